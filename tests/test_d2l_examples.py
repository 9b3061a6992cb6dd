"""Smoke tests of the issue-12 examples in --synthetic mode: loss falls, accuracy rises.

Each runs as a learner would, from the repository root, with tiny sizes; the full-size numbers
are in each example's docstring.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("microgradnd.npx", reason="the examples use npx (issue 12)")

ROOT = Path(__file__).resolve().parent.parent
# One BLAS thread per example: two run at once on two cores (see d2l_listings/runner.py).
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def env() -> dict:
    """The environment of an example: this checkout's microgradnd first, headless plots."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**ONE_THREAD, **os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg"}


def run(script: str, *flags: str, path: str = "") -> str:
    """Run examples/<script> with `flags` (`path` first on PYTHONPATH); return its stdout."""
    variables = env()
    variables["PYTHONPATH"] = os.pathsep.join(filter(None, [path, variables["PYTHONPATH"]]))
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *flags],
                          cwd=ROOT, env=variables, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def epochs(out: str) -> list[tuple[float, float, float]]:
    """(loss, train acc, test acc) of each `epoch N, loss X, train acc Y, test acc Z, ...` line
    (it ends with the time per epoch and the time left)."""
    found = re.findall(r"^epoch \d+, loss ([\d.]+), train acc ([\d.]+), test acc ([\d.]+), "
                       r"\S+ s/epoch, .* left$", out, re.M)
    assert found, out
    return [tuple(map(float, m)) for m in found]


@pytest.mark.parametrize("script, flags", [
    ("softmax_regression.py", ["--epochs", "3"]),
    ("mlp.py", ["--epochs", "3", "--hiddens", "64", "--lr", "0.5"]),
    ("dropout.py", ["--epochs", "3", "--hiddens", "64"]),
])
def test_classifiers_learn_the_synthetic_fashion_mnist(script, flags):
    rows = epochs(run(script, "--synthetic", *flags))
    assert len(rows) == 3
    assert rows[-1][0] < rows[0][0]                 # the loss falls
    assert rows[-1][2] > 0.5                        # test accuracy well above chance (0.1)


def test_softmax_regression_starts_at_chance_and_prints_predictions():
    out = run("softmax_regression.py", "--synthetic", "--epochs", "1")
    before = float(re.search(r"^accuracy before training (\S+)$", out, re.M).group(1))
    assert before < 0.3
    label = "(?:t-shirt|trouser|pullover|dress|coat|sandal|shirt|sneaker|bag|ankle boot)"
    six = f"(?:{label} ){{5}}{label}"                # 'ankle boot' is one label of two words
    assert re.search(f"^true: {six}$", out, re.M) and re.search(f"^pred: {six}$", out, re.M)


def test_dropout_layer_prints_the_books_three_cases():
    out = run("dropout.py", "--synthetic", "--epochs", "1", "--hiddens", "16")
    assert "15." in out.split("\n")[1]             # p = 0 keeps arange(16) as it is
    assert out.count("0.") >= 16                    # p = 1 zeroes everything


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_char_rnn_perplexity_falls(cell):
    out = run("rnn.py", "--synthetic", "--cell", cell, "--epochs", "10", "--report", "2",
              "--hiddens", "64")
    assert re.search(r"^epoch 1 took \S+ s: 10 epochs take about .*\(--epochs N for fewer\)$",
                     out, re.M)
    ppl = [float(x) for x in re.findall(r"^epoch \d+, perplexity ([\d.]+), \S+ s/epoch, .* left$",
                                        out, re.M)]
    assert len(ppl) == 5 and ppl[-1] < ppl[0]
    assert re.search(r"^perplexity \S+, \S+ tokens/sec on cpu\(0\)$", out, re.M)
    assert re.search(r"^time traveller.{50}$", out, re.M)


def test_optimizers_converge_on_the_2d_function_and_the_airfoil_data(tmp_path):
    png = tmp_path / "traces.png"
    out = run("optimizers.py", "--synthetic", "--plot", str(png))
    ends = re.findall(r"^(\w+): epoch 20, x1: (\S+), x2: (\S+)$", out, re.M)
    assert [name for name, *_ in ends] == ["gd", "momentum", "adagrad", "rmsprop"]
    start = 0.1 * 5 ** 2 + 2 * 2 ** 2
    for name, x1, x2 in ends:
        assert 0.1 * float(x1) ** 2 + 2 * float(x2) ** 2 < start / 2, name
    losses = dict(re.findall(r"^(\w+): loss: (\S+),", out, re.M))
    assert sorted(losses) == sorted(["sgd", "momentum", "adagrad", "rmsprop", "adadelta",
                                     "adam", "yogi"])
    assert all(float(v) < 0.35 for v in losses.values())    # from about 0.5 at w = 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_optimizers_plot_is_skipped_with_a_message_without_matplotlib(tmp_path):
    (tmp_path / "matplotlib").mkdir()
    (tmp_path / "matplotlib" / "__init__.py").write_text(
        "raise ImportError('no matplotlib here')\n")
    png = tmp_path / "traces.png"
    out = run("optimizers.py", "--synthetic", "--epochs", "1", "--plot", str(png),
              path=str(tmp_path))
    assert re.search(r"^--plot skipped: matplotlib is not installed .* not written$", out, re.M)
    assert not png.exists()
    assert len(re.findall(r"^\w+: loss: \S+,", out, re.M)) == 7     # the training still ran


@pytest.mark.parametrize("script, flags", [
    ("mlp.py", ["--epochs", "2", "--hiddens", "32"]),
    ("dropout.py", ["--epochs", "2", "--hiddens", "32"]),
    ("softmax_regression.py", ["--epochs", "2"]),
    ("rnn.py", ["--cell", "gru", "--epochs", "2", "--report", "1", "--hiddens", "16"]),
    ("optimizers.py", ["--epochs", "1"]),
])
def test_examples_run_on_the_gpu(device, script, flags):
    if device == "cpu":
        pytest.skip("the tests above run every example on the CPU")
    out = run(script, "--synthetic", "--device", "cuda:0", *flags)
    if script == "rnn.py":
        assert re.search(r"^perplexity \S+, \S+ tokens/sec on gpu\(0\)$", out, re.M)
    elif script == "optimizers.py":
        assert len(re.findall(r"^\w+: loss: \S+,", out, re.M)) == 7
    else:       # the data stay on the host: each batch moves, the metrics come back
        rows = epochs(out)
        assert len(rows) == 2 and rows[1][0] < rows[0][0]
