"""benchmarks/gpu.py at a tiny size on a GPU; without one, it must say so and exit non-zero."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import microgradnd as mg

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "gpu.py"


def _run(*flags):
    return subprocess.run([sys.executable, str(SCRIPT), *flags], capture_output=True, text=True,
                          cwd=ROOT, env=os.environ, timeout=300)


@pytest.mark.skipif(not mg.cuda_is_available(), reason="needs CuPy and a GPU (none visible)")
def test_gpu_benchmark_runs_tiny():
    out = _run("--n", "20000", "--d", "8", "--rounds", "3", "--steps", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any(line.startswith("CuPy by hand (floor)") and "1.00x" in line for line in lines)
    row = next(line for line in lines if line.startswith("microgradnd"))
    assert float(row.split()[1]) > 0           # ms per step
    assert "| microgradnd |" in out.stdout


@pytest.mark.skipif(mg.cuda_is_available(), reason="a GPU is visible: the benchmark would run")
def test_gpu_benchmark_explains_itself_without_a_gpu():
    out = _run("--n", "1000", "--d", "4")
    assert out.returncode == 1
    assert "needs an NVIDIA GPU" in out.stderr and 'pip install "microgradnd[cuda]"' in out.stderr
