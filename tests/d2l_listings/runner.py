"""Run a listing of this folder in a subprocess, under microgradnd or under MXNet 1.9.1.

Under MXNet the listing's import lines are translated back to the book's (`from mxnet import
...`, `from d2l import mxnet as d2l`) in a temporary copy; nothing else changes. Used by
tests/test_d2l_listings.py and by mxnet/run_reference.py.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

LISTINGS = sorted(p.stem for p in HERE.glob("ch*.py"))

# One BLAS thread per listing: the tests run two at a time on two cores, and OpenBLAS's
# threads spin-wait when the cores are taken (a 32x512 @ 512x512 matmul: 0.5 ms on one
# thread, 35 ms on two threads of a busy machine).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def to_mxnet(source: str) -> str:
    """The listing with the book's own import lines (`from mxnet.metric import ...` too)."""
    source = source.replace("from microgradnd import d2l", "from d2l import mxnet as d2l")
    source = source.replace("from microgradnd.", "from mxnet.")
    return source.replace("from microgradnd import ", "from mxnet import ")


@dataclass
class Run:
    """What a listing did: exit status, output, its RESULT line, and the first failure."""
    returncode: int
    stdout: str
    stderr: str
    result: dict = field(default_factory=dict)
    failure: str = ""

    def lines(self, pattern: str) -> list[tuple[str, ...]]:
        """Every match of `pattern` (a regex with groups) in stdout, line by line."""
        return re.findall(pattern, self.stdout, re.M)


def first_failure(stderr: str, listing: str) -> str:
    """'line N: <code> -> ExcType: message' for the listing's own frame nearest the error."""
    frames = re.findall(r'File "[^"]*' + re.escape(listing) + r'\.py", line (\d+)[^\n]*\n\s+(.*)',
                        stderr)
    error = stderr.strip().splitlines()[-1] if stderr.strip() else "(no message)"
    if frames:
        line, code = frames[-1]
        return f"line {line}: {code.strip()} -> {error}"
    return error


def run(listing: str, env: dict | None = None, *, python: str = sys.executable,
        mxnet: bool = False, timeout: float = 900) -> Run:
    """Run `listing` (a stem such as 'ch09_1_gru') with D2L_* knobs from `env`."""
    full_env = {**ONE_THREAD, **os.environ,
                "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
                "MPLBACKEND": "Agg", **(env or {})}
    path = HERE / f"{listing}.py"
    with tempfile.TemporaryDirectory() as tmp:
        if mxnet:
            path = Path(tmp) / f"{listing}.py"
            path.write_text(to_mxnet((HERE / f"{listing}.py").read_text()))
            full_env["PYTHONPATH"] = str(HERE)       # never pick up microgradnd by accident
        proc = subprocess.run([python, str(path)], cwd=tmp, env=full_env, capture_output=True,
                              text=True, timeout=timeout)
    found = re.findall(r"^RESULT (.*)$", proc.stdout, re.M)
    return Run(proc.returncode, proc.stdout, proc.stderr,
               json.loads(found[-1]) if found else {},
               "" if proc.returncode == 0 else first_failure(proc.stderr, listing))


if __name__ == "__main__":      # python tests/d2l_listings/runner.py [listing ...]: status table
    for name in sys.argv[1:] or LISTINGS:
        r = run(name, {"D2L_NUM_EPOCHS": os.environ.get("D2L_NUM_EPOCHS", "2")})
        print(f"{name:24} {'runs' if r.returncode == 0 else r.failure}", flush=True)
