"""examples/engine_on_one_page.py: it trains the chapter's model, and its gradients are
microgradnd's on the chapter's step, on broadcasting, on a shared input and on a deep chain."""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "engine_on_one_page.py"


def load():
    """The example as a module (examples/ is not a package); its training loop does not run."""
    spec = importlib.util.spec_from_file_location("engine_on_one_page", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


page = load()


def test_the_example_trains_and_agrees_with_microgradnd():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get(
        "PYTHONPATH", "")])}        # this checkout's microgradnd, whatever is installed
    proc = subprocess.run([sys.executable, str(EXAMPLE), "--epochs", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    losses = [float(x) for x in re.findall(r"^epoch \d, loss (\S+)$", proc.stdout, re.M)]
    assert len(losses) == 2 and losses[0] < 0.1 and losses[1] < losses[0] / 10
    rows = re.findall(r"(this page|microgradnd) \[(.*?)\]", proc.stdout, re.S)
    assert [name for name, _ in rows] == ["this page", "microgradnd"]
    ours, theirs = (numpy.array(values.split(), dtype=float) for _, values in rows)
    assert ours.shape == (3,) and numpy.abs(ours).max() > 1     # the first step: far from 0
    numpy.testing.assert_allclose(ours, theirs, rtol=1e-8)      # as printed, to 8 digits
    assert re.search(r"^max \|difference\| (\S+)$", proc.stdout, re.M)


def chapter(X, y, w, b):
    return page.squared_loss(page.linreg(X, w, b), y)


# (name, function of the tensors, their shapes, which of them are variables)
CASES = [
    ("the chapter's loss", chapter, [(10, 2), (10,), (2, 1), (1,)], [2, 3]),
    ("broadcast (3, 1) + (1,)", lambda a, b: (a + b) * a, [(3, 1), (1,)], [0, 1]),
    ("broadcast (2, 3) * (3,) and a 0-d result", lambda a, b: (a * b).sum() * 2.0,
     [(2, 3), (3,)], [0, 1]),
    ("broadcast a (1, 3) row against (4, 1)", lambda a, b: (a - b) ** 2 / 3.0,
     [(1, 3), (4, 1)], [0, 1]),
    ("a shared input used twice", lambda a: a * a + a, [(4,)], [0]),
    ("a shared result used three times", lambda a: (lambda h: h * h - h / 2.0)(a * 3.0 + 1.0),
     [(5,)], [0]),
    ("numbers on either side", lambda a: 2.0 * a + 1.0 - a * 0.5, [(3,)], [0]),
    ("dot, reshape, pow and sum", lambda a, b: (a.dot(b).reshape((6,)) ** 3 - a.sum()) / 4.0,
     [(2, 3), (3, 3)], [0, 1]),
    ("a fractional power", lambda a: (a * a + 1.0) ** 0.5, [(2, 2)], [0]),
]


@pytest.mark.parametrize("name, f, shapes, variables", CASES, ids=[c[0] for c in CASES])
def test_gradients_equal_microgradnd(name, f, shapes, variables):
    rng = numpy.random.default_rng(len(name))
    arrays = [rng.normal(size=s) for s in shapes]

    ours = [page.Tensor(a) for a in arrays]
    for i in variables:
        ours[i].attach_grad()
    with page.record():
        out = f(*ours)
    out.backward()

    theirs = [mg.tensor(a) for a in arrays]         # float64 arrays stay float64
    for i in variables:
        theirs[i].attach_grad()
    with autograd.record():
        ref = f(*theirs)
    ref.backward()

    numpy.testing.assert_allclose(out.data, ref.numpy(), rtol=1e-13)
    for i in variables:
        assert ours[i].grad.shape == arrays[i].shape
        numpy.testing.assert_allclose(ours[i].grad, theirs[i].grad.numpy(), rtol=1e-12,
                                      atol=1e-14, err_msg=f"input {i}")


def test_a_chain_of_5000_ops_needs_no_recursion():
    x = page.Tensor([1.0, 2.0])
    x.attach_grad()
    with page.record():
        y = x
        for _ in range(5000):
            y = y * 1.0001
    y.backward()
    numpy.testing.assert_allclose(x.grad, [1.0001 ** 5000] * 2, rtol=1e-10)


def test_each_node_runs_once_after_every_node_that_used_its_output():
    x = page.Tensor([0.5, -1.0])
    x.attach_grad()
    with page.record():
        h = x * 3.0
        y = (h * h + h) * h             # h feeds three nodes
    nodes, stack = set(), [y]
    while stack:
        t = stack.pop()
        if t.node is not None and t.node not in nodes:
            nodes.add(t.node)
            stack.extend(t.node.inputs)
    calls = []
    for node in nodes:
        node.backward = (lambda rule, n: lambda g: calls.append(n) or rule(g))(node.backward,
                                                                                node)
    y.backward()
    assert sorted(calls, key=lambda n: -n.seq) == calls and set(calls) == nodes
    assert len(calls) == len(nodes) == 4         # x * 3, h * h, + h, * h
    xs = numpy.array([0.5, -1.0])
    numpy.testing.assert_allclose(x.grad, 3 * (27 * xs ** 2 + 6 * xs))     # y = h³ + h², h = 3x


def test_only_ops_inside_record_that_need_a_gradient_leave_nodes():
    w, c = page.Tensor([1.0, 2.0]), page.Tensor([3.0, 4.0])
    w.attach_grad()
    assert (w * c).node is None                 # not recording
    with page.record():
        assert (c * c).node is None             # nothing needs a gradient
        y = w * c
    assert y.node is not None and y.node.inputs == (w, c)
    assert not hasattr(y.node, "out")           # a node never holds its output


def test_backward_twice_writes_the_same_gradient():
    """The graph is kept (nothing is freed) and .grad is written, not added to."""
    x = page.Tensor([1.0, 2.0])
    x.attach_grad()
    with page.record():
        y = x ** 3
    y.backward()
    first = x.grad.copy()
    y.backward()
    numpy.testing.assert_array_equal(x.grad, first)
    numpy.testing.assert_array_equal(first, [3.0, 12.0])


def test_sum_to_undoes_broadcasting():
    g = numpy.arange(24.0).reshape(2, 3, 4)
    for shape in [(2, 3, 4), (3, 4), (1, 4), (3, 1), (4,), (1,), (), (2, 1, 4), (1, 1, 1)]:
        want = g.sum(axis=tuple(i for i in range(3) if i < 3 - len(shape)
                                or shape[i - 3 + len(shape)] == 1), keepdims=True)
        numpy.testing.assert_array_equal(page.sum_to(g, shape), want.reshape(shape))
