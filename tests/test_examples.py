"""Smoke tests: every chapter example runs from the repository root and prints its key result."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(script: str, *flags: str) -> str:
    """Run examples/<script> with `flags`; return its stdout (failing on a non-zero exit)."""
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / script), *flags],
                          cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def floats(pattern: str, text: str) -> list[float]:
    """Every number captured by `pattern`'s groups, in order."""
    found = re.findall(pattern, text, re.M)
    assert found, f"{pattern!r} not in:\n{text}"
    return [float(x) for m in found for x in (m if isinstance(m, tuple) else (m,))]


def errors(out: str) -> float:
    """The largest |error| in 'Error in estimating w/b [...]' lines."""
    return max(abs(float(x)) for line in re.findall(r"^Error in estimating [wb] \[(.*)\]$",
                                                    out, re.M) for x in line.split())


def test_linreg_defaults_reproduce_the_chapter(tmp_path):
    png = tmp_path / "linreg.png"
    out = run("linreg.py", "--plot", str(png))
    assert out.startswith("features: [")
    losses = floats(r"^epoch \d, loss (\S+)$", out)
    assert len(losses) == 3 and losses[0] < 0.1 and losses[2] < 1e-4
    assert errors(out) < 5e-3
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_linreg_fast_iterator_and_flags():
    out = run("linreg.py", "--fast", "--num-examples", "500", "--batch-size", "5",
              "--epochs", "2", "--lr", "0.05", "--seed", "3", "--device", "cpu")
    assert len(floats(r"^epoch \d, loss (\S+)$", out)) == 2
    assert floats(r"^trained (\d+) steps", out) == [200]
    assert errors(out) < 5e-3


def test_linreg_tape_and_graph_show_the_first_minibatch_and_change_nothing(tmp_path):
    svg = tmp_path / "loss.svg"
    out = run("linreg.py", "--tape", "--graph", str(svg))
    assert "Tape: 5 recorded op(s)" in out
    assert floats(r"^epoch (3), loss 0.000046$", out) == [3.0]     # training as without flags
    if svg.exists():                   # rendering needs Graphviz's `dot`; the test checks it
        assert svg.read_text().lstrip().startswith(("<?xml", "<svg"))


def test_sgd_names_a_parameter_without_a_gradient():
    from microgradnd import autograd, d2l, np
    w, b = np.zeros((2, 1)), np.zeros(1)
    b.attach_grad()                    # w forgotten
    X, y = np.ones((4, 2)), np.ones((4, 1))
    with autograd.record():
        loss = d2l.squared_loss(d2l.linreg(X, w, b), y)
    loss.backward()
    with pytest.raises(TypeError, match=r"shape \(2, 1\) has no gradient: call .attach_grad"):
        d2l.sgd([w, b], 0.03, 4)


def test_exercise1_zero_init():
    out = run("exercise1_zero_init.py", "--epochs", "2")
    assert floats(r"^linear model from w = 0: loss (\S+)$", out)[0] < 1e-3
    assert errors(out) < 2e-2
    assert floats(r"zero init: .*distinct hidden units (\d+) of 8", out) == [1]
    assert floats(r"random init: .*distinct hidden units (\d+) of 8", out) == [8]


def test_exercise2_ohm():
    out = run("exercise2_ohm.py", "--resistance", "10", "--epochs", "10")
    r, r_ls = floats(r"^learned R = (\S+) ohm \(true 10 ohm, least squares (\S+) ohm\)", out)
    assert abs(r - 10) < 0.1 and abs(r - r_ls) < 0.05


def test_exercise3_planck():
    out = run("exercise3_planck.py", "--temperature", "4000", "--epochs", "5")
    assert "SI units, lr 0.001: T = nan K" in out
    t = floats(r"^recovered T = (\d+) K \(true 4000 K, start 1000 K\)$", out)[0]
    assert abs(t - 4000) < 40


def test_exercise4_second_derivative():
    out = run("exercise4_second_derivative.py", "--x", "1.5")
    for order in ("f'", "f''"):
        got, want = floats(rf"^{order}\(x\) +autograd (\S+) +closed form (\S+)$", out)
        assert abs(got - want) < 1e-9 * max(1, abs(want))


def test_exercise5_reshape():
    out = run("exercise5_reshape.py")
    assert "with reshape: y_hat (10, 1) vs y (10,) -> loss (10, 1)" in out
    assert "without reshape: y_hat (10, 1) vs y (10,) -> loss (10, 10)" in out
    good = floats(r"^trained with reshape: w \[ *(\S+) +(\S+)\]", out)
    bad = floats(r"^trained without reshape: w \[ *(\S+) +(\S+)\]", out)
    assert abs(good[0] - 2) < 5e-3 and abs(good[1] + 3.4) < 5e-3
    assert abs(bad[0]) < 0.5 and abs(bad[1]) < 0.5       # near w_true / 10, far from w_true


def test_exercise6_learning_rates(tmp_path):
    png = tmp_path / "lr.png"
    out = run("exercise6_learning_rates.py", "--lrs", "0.001,0.03,3", "--plot", str(png))
    verdicts = re.findall(r"^ *(\S+) .*  (slow|good|diverged)$", out, re.M)
    assert verdicts == [("0.001", "slow"), ("0.03", "good"), ("3", "diverged")]
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("n, batch, full, last", [(1000, 64, 15, 40), (105, 10, 10, 5)])
def test_exercise7_odd_batch(n, batch, full, last):
    out = run("exercise7_odd_batch.py", "--num-examples", str(n), "--batch-size", str(batch),
              "--epochs", "3")
    assert (f"data_iter yields {full} batches of {batch} and 1 of {last}, {n} examples in all"
            in out)
    assert f"by {last}/{batch} = {last / batch:.4f}" in out
    assert len(floats(r"^sgd / (?:batch_size|len\(X\)) +loss (\S+),", out)) == 2


def test_exercises_doc_shows_what_its_code_prints():
    import contextlib
    import io

    text = (ROOT / "docs" / "exercises.md").read_text()
    pairs = re.findall(r"```python\n(.*?)```\s*```text\n(.*?)```", text, re.S)
    assert len(pairs) == 3
    namespace = {}
    for code, shown in pairs:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, "docs/exercises.md", "exec"), namespace)
        assert out.getvalue() == shown


def test_lenet_trains_well_above_chance_on_one_device_and_on_two_cpu_contexts():
    flags = ("--synthetic", "--epochs", "1", "--max-batches", "20", "--batch-size", "64")
    one = run("lenet.py", *flags)
    loss, train_acc, test_acc = floats(r"^epoch 1, loss (\S+), train acc (\S+), test acc (\S+),",
                                       one)
    assert test_acc > 0.5 and train_acc > 0.5 and loss < 2.0     # chance is 0.1, log 10 = 2.3
    assert "on [cpu(0)]" in one
    two = run("lenet.py", *flags, "--devices", "2")
    assert "on [cpu(0), cpu(1)]" in two
    # the same steps (the split batch's gradients sum to the whole batch's): the same training,
    # up to float32 rounding in a different order
    loss2, _, test_acc2 = floats(r"^epoch 1, loss (\S+), train acc (\S+), test acc (\S+),", two)
    assert abs(loss2 - loss) < 0.05 * loss and test_acc2 > 0.5
