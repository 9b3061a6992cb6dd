"""Every example that downloads data, run offline: one short message, a non-zero exit, no
traceback, and no empty cache folder left behind.

The examples are found by what they call (a d2l loader that downloads), so a new one is
covered without a line here. The network is switched off for the subprocess by a
sitecustomize module that refuses every connection, as an unplugged cable would.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOADERS = r"d2l\.(?:load_data_fashion_mnist|load_data_time_machine|get_data_ch11|download)\("
DOWNLOADING = sorted(p.name for p in (ROOT / "examples").glob("*.py")
                     if re.search(LOADERS, p.read_text()))

NO_NETWORK = '''\
import errno, socket

def _refuse(*args, **kwargs):
    raise OSError(errno.ENETUNREACH, "Network is unreachable (switched off by the test)")

socket.socket.connect = _refuse
socket.getaddrinfo = _refuse
socket.create_connection = _refuse
'''


def test_the_downloading_examples_are_found():
    assert {"mlp.py", "softmax_regression.py", "dropout.py", "rnn.py",
            "optimizers.py"} <= set(DOWNLOADING)


def run_offline(tmp_path, script: str, env: dict) -> subprocess.CompletedProcess:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_NETWORK)
    path = os.pathsep.join([str(site), str(ROOT)])
    variables = {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg",
                 "MICROGRADND_DATA": str(tmp_path / "cache"), "OPENBLAS_NUM_THREADS": "1",
                 **env}
    return subprocess.run([sys.executable, str(ROOT / "examples" / script)], cwd=ROOT,
                          env=variables, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("script", DOWNLOADING)
def test_example_offline_says_what_to_place_and_which_flag_to_use(tmp_path, script):
    proc = run_offline(tmp_path, script, {})
    assert proc.returncode != 0
    message = proc.stderr.strip()
    assert "Traceback" not in message and message.count("\n") <= 2, message
    assert message.startswith("error: ") and str(tmp_path / "cache") in message
    assert f"python examples/{script} --synthetic" in message
    assert "unreachable" in message                 # why the download failed, in a few words
    assert not (tmp_path / "cache").exists()        # no empty folder left behind


def test_example_with_downloads_forbidden_says_the_same(tmp_path):
    proc = run_offline(tmp_path, "mlp.py", {"MICROGRADND_OFFLINE": "1"})
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "train-images-idx3-ubyte.gz" in proc.stderr and "MICROGRADND_OFFLINE=1" in proc.stderr
    assert "python examples/mlp.py --synthetic" in proc.stderr
    assert not (tmp_path / "cache").exists()
