"""Higher-order derivatives through the engine itself: closed forms, third order, `.grad`.

The op table (tests/test_ops.py) runs gradgradcheck on every op; here: closed forms to the
4th order, a third-order finite-difference check of each smooth op, ops whose second
derivative is zero, and how `create_graph`, `retain_graph` and `.grad` play together.
"""
import gc
import os
import subprocess
import sys
import weakref

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

XS = numpy.linspace(-2.0, 2.0, 9)


def _nested(f, order):
    """The order-th derivative of an elementwise f, as a function (sum trick at each level)."""
    d = f
    for _ in range(order):
        d = (lambda inner: mg.grad(lambda y: inner(y).sum()))(d)
    return d


# ---- closed forms ----

T = numpy.tanh(XS)
S = 1 - T ** 2
SIG = 1 / (1 + numpy.exp(-XS))

CLOSED_FORMS = [
    # name, f, order, closed form at XS
    ("tanh'", lambda x: x.tanh(), 1, S),
    ("tanh''", lambda x: x.tanh(), 2, -2 * T * S),
    ("tanh'''", lambda x: x.tanh(), 3, -2 * S * (1 - 3 * T ** 2)),
    ("tanh''''", lambda x: x.tanh(), 4, 8 * T * S * (2 - 3 * T ** 2)),
    ("x^4'''", lambda x: x ** 4, 3, 24 * XS),
    ("x^4''''", lambda x: x ** 4, 4, numpy.full_like(XS, 24.0)),
    ("sigmoid''", lambda x: x.sigmoid(), 2, SIG * (1 - SIG) * (1 - 2 * SIG)),
    ("exp'''", lambda x: x.exp(), 3, numpy.exp(XS)),
    ("log''", lambda x: (x * x + 1.0).log(), 2, 2 * (1 - XS ** 2) / (1 + XS ** 2) ** 2),
    ("sqrt''", lambda x: (x * x + 1.0).sqrt(), 2, (1 + XS ** 2) ** -1.5),
    ("recip'", lambda x: 1.0 / (x * x + 1.0), 1, -2 * XS / (1 + XS ** 2) ** 2),
]


@pytest.mark.parametrize("name, f, order, expected", CLOSED_FORMS,
                         ids=[c[0] for c in CLOSED_FORMS])
@pytest.mark.parametrize("dtype, tol", [(numpy.float32, 2e-5), (numpy.float64, 1e-12)])
def test_closed_form_via_nested_grad(name, f, order, expected, dtype, tol, device):
    x = mg.tensor(XS.astype(dtype), device=device)
    d = _nested(f, order)(x)
    assert d.dtype == dtype and d.shape == XS.shape
    numpy.testing.assert_allclose(d.numpy(), expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("order, expected", [(1, S), (2, -2 * T * S),
                                             (3, -2 * S * (1 - 3 * T ** 2)),
                                             (4, 8 * T * S * (2 - 3 * T ** 2))])
def test_tanh_derivatives_via_tape_level_grad(order, expected, device):
    """The same closed forms with autograd.grad(create_graph=True) inside one record()."""
    x = mg.tensor(XS, device=device)
    x.attach_grad()
    with autograd.record():
        d = x.tanh()
        for _ in range(order):
            (d,) = autograd.grad(d, [x], create_graph=True)
    numpy.testing.assert_allclose(d.numpy(), expected, rtol=1e-12, atol=1e-12)
    assert x.grad.numpy().tolist() == [0.0] * XS.size       # grad() never writes .grad


def test_third_derivative_of_x4_via_backward_create_graph():
    """The chapter's style: backward(create_graph=True) twice, then a plain backward."""
    x = mg.tensor(numpy.array([0.5, -1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = (x ** 4).sum()
    y.backward(create_graph=True)
    g1 = x.grad                                   # 4x³, on the graph
    with autograd.record():
        s1 = g1.sum()
    s1.backward(create_graph=True)
    g2 = x.grad                                   # 12x²
    with autograd.record():
        s2 = g2.sum()
    s2.backward()
    xs = x.numpy()
    numpy.testing.assert_allclose(g1.numpy(), 4 * xs ** 3)
    numpy.testing.assert_allclose(g2.numpy(), 12 * xs ** 2)
    numpy.testing.assert_allclose(x.grad.numpy(), 24 * xs)


# ---- third order for every smooth op: gradgradcheck of the gradient ----

SMOOTH = [
    ("mul", lambda a, b: a * b * a, [(3,), (3,)]),
    ("div", lambda a, b: a / b, [(3,), (3,)]),
    ("pow", lambda a, b: a ** b, [(3,), (3,)]),
    ("pow_scalar", lambda a: a ** 3.5, [(3,)]),
    ("exp", lambda a: a.exp(), [(3,)]),
    ("log", lambda a: a.log(), [(3,)]),
    ("sqrt", lambda a: a.sqrt(), [(3,)]),
    ("tanh", lambda a: a.tanh(), [(3,)]),
    ("sigmoid", lambda a: a.sigmoid(), [(3,)]),
    ("matmul", lambda a, b: (a.reshape(1, 3) @ b.reshape(3, 1)) ** 2, [(3,), (3,)]),
    ("mean_sq", lambda a: a.mean() ** 3, [(2, 3)]),
    ("getitem", lambda a: a[numpy.array([0, 2, 2])] ** 3, [(3,)]),
    ("linreg_loss", lambda x, w: ((x @ w) - 1.0) ** 2 / 2, [(4, 2), (2,)]),
]


@pytest.mark.parametrize("name, f, shapes", SMOOTH, ids=[c[0] for c in SMOOTH])
def test_third_derivative_matches_finite_differences(name, f, shapes):
    """gradgradcheck of x -> ∇⟨f(x), 1⟩ checks f's third derivative against differences."""
    rng = numpy.random.default_rng(7)
    xs = [mg.tensor(rng.uniform(0.5, 1.5, s)) for s in shapes]
    nums = tuple(range(len(xs)))

    def gradient(*args):
        gs = mg.grad(lambda *a: f(*a).sum(), nums)(*args)
        return sum((g * (k + 1.0)).sum() for k, g in enumerate(gs))

    assert mg.gradgradcheck(gradient, xs, atol=1e-4)


# ---- ops whose second derivative is zero (or undefined at a kink) ----

PIECEWISE = [
    ("relu", lambda x: x.relu(), lambda x: (x > 0).astype(float)),
    ("abs", lambda x: x.abs(), numpy.sign),
    ("max", lambda x: x.max() * numpy.ones(1), lambda x: (x == x.max()).astype(float)),
]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("name, f, slope", PIECEWISE, ids=[c[0] for c in PIECEWISE])
def test_piecewise_linear_ops_have_zero_second_derivative(name, f, slope, mode):
    x = numpy.array([-1.5, -0.25, 0.5, 2.0])
    g = mg.grad(lambda y: f(y).sum())(x)
    numpy.testing.assert_array_equal(g.numpy(), slope(x))
    h = mg.hessian(lambda y: f(y).sum(), mode=mode)(x)
    assert h.shape == (4, 4) and not h.numpy().any()
    if name == "max":       # its mask compares values, off the graph (as PyTorch's amax)
        return
    y = mg.tensor(x)
    y.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(f(y).sum(), [y], create_graph=True)
        total = g.sum()
    total.backward()    # g is on the graph (as in PyTorch): its gradient is 0, not an error
    numpy.testing.assert_array_equal(y.grad.numpy(), numpy.zeros(4))


ZERO_SLOPE_THEN_SQRT = [
    ("relu", lambda y: y.relu().sqrt()),
    ("maximum", lambda y: mg.np.maximum(y, 0.0).sqrt()),
    ("clip", lambda y: y.clip(0.0, 9.0).sqrt()),
]


@pytest.mark.parametrize("name, f", ZERO_SLOPE_THEN_SQRT, ids=[c[0] for c in ZERO_SLOPE_THEN_SQRT])
def test_a_zero_slope_stops_an_infinite_gradient(name, f):
    """sqrt(relu(x)) at x < 0: sqrt's slope at 0 is inf, relu's is 0, and the gradient is 0
    (PyTorch's), not 0 · inf = nan; the same at second order, reverse over reverse."""
    x = numpy.array([-1.0, -0.5, 4.0])
    first = mg.grad(lambda y: f(y).sum())
    numpy.testing.assert_array_equal(first(x).numpy(), [0.0, 0.0, 0.25])
    second = mg.grad(lambda y: first(y).sum())(x)
    numpy.testing.assert_array_equal(second.numpy(), [0.0, 0.0, -1 / 32])


def test_relu_kink_uses_zero_slope_and_zero_curvature():
    """At the kink itself the derivative is taken as 0 (PyTorch's choice), curvature 0."""
    x = numpy.array([0.0])
    assert mg.grad(lambda y: y.relu().sum())(x).item() == 0.0
    assert mg.grad(lambda y: y.abs().sum())(x).item() == 0.0
    assert mg.hessian(lambda y: (y.relu() * y).sum())(numpy.array([1.0])).item() == 2.0


# ---- create_graph, retain_graph and .grad ----


def test_gradient_without_create_graph_is_a_dead_end():
    """A gradient computed on plain arrays (create_graph=False) has no graph to go back on."""
    x = mg.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    with autograd.record():
        (g,) = autograd.grad((x ** 3).sum(), [x])
        assert not g.requires_grad
        with pytest.raises(mg.GraphError, match="not recorded"):
            g.sum().backward()


def test_create_graph_implies_retain_graph():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = (x ** 3).sum()
    y.backward(create_graph=True)             # no retain_graph: still retained
    y.backward()                              # so a second pass works
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])
    with pytest.raises(mg.GraphError, match="second time"):
        y.backward()                          # the plain backward freed it


def test_second_backward_through_a_freed_graph_raises():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y = (x.tanh() ** 2).sum()
        (g,) = autograd.grad(y, [x], create_graph=True)
        s = g.sum()
    s.backward()                              # frees the nodes it walked through
    with pytest.raises(mg.GraphError, match="retain_graph"):
        s.backward()


def test_create_graph_grad_is_not_overwritten_by_a_later_backward():
    """engine fix: a later backward replaces a graph-carrying .grad instead of writing into it."""
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()                           # grad_req='write'
    with autograd.record():
        y = (x ** 3).sum()
    y.backward(create_graph=True)
    g1 = x.grad
    g1.backward()                             # d/dx Σ3x² = 6x
    numpy.testing.assert_array_equal(g1.numpy(), [3.0, 12.0])
    numpy.testing.assert_array_equal(x.grad.numpy(), [6.0, 12.0])


def test_create_graph_accumulates_on_the_graph_for_grad_req_add():
    """engine fix: with grad_req='add', .grad + g is recorded even when backward runs outside."""
    x = mg.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
    with autograd.record():
        y = (x ** 3).sum()
    y.backward(create_graph=True)
    g1 = x.grad
    assert g1.requires_grad
    with autograd.record():
        s = g1.sum()
    s.backward()                              # PyTorch semantics: 3x² + 6x
    numpy.testing.assert_array_equal(x.grad.numpy(), [9.0, 24.0])
    numpy.testing.assert_array_equal(g1.numpy(), [3.0, 12.0])


def test_create_graph_grad_shared_by_two_leaves_stays_writable():
    """engine fix: a seed view given to two leaves is copied, so later backwards can write."""
    a = mg.tensor(numpy.array([1.0, 2.0]))
    b = mg.tensor(numpy.array([1.0, 2.0]))
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (a + b).sum()
    y.backward(create_graph=True)
    assert a.grad is not b.grad
    with autograd.record():
        y = (a * 3.0 + b).sum()
    y.backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
    numpy.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def _collected_only_by_gc(make):
    """Does the leaf `make()` returns outlive its last reference until gc runs (a cycle)?"""
    gc.collect()
    gc.disable()
    try:
        ref = weakref.ref(make())
        alive = ref() is not None
        gc.collect()
        return alive and ref() is None
    finally:
        gc.enable()


def test_backward_create_graph_makes_a_cycle_and_grad_does_not():
    """x.grad keeps a graph that holds x: a cycle. autograd.grad / mg.grad return it instead."""

    def with_backward():
        x = mg.tensor(numpy.array([1.0, 2.0]))
        x.attach_grad()
        with autograd.record():
            y = (x ** 3).sum()
        y.backward(create_graph=True)
        return x

    def with_grad():
        x = mg.tensor(numpy.array([1.0, 2.0]))
        x.attach_grad()
        with autograd.record():
            y = (x ** 3).sum()
        autograd.grad(y, [x], create_graph=True)
        return x

    def with_backward_then_cut():
        x = with_backward()
        x.grad = x.grad.detach()
        return x

    assert _collected_only_by_gc(with_backward)
    assert not _collected_only_by_gc(with_grad)
    assert not _collected_only_by_gc(with_backward_then_cut)

    def with_transforms():
        x = mg.tensor(numpy.array([1.0, 2.0]), requires_grad=True)
        mg.hessian(lambda y: (y ** 3).sum())(x)
        mg.grad(mg.grad(lambda y: (y ** 3).sum()))(x[0])
        return x

    assert not _collected_only_by_gc(with_transforms)


# ---- the example ----


def test_second_derivative_example_runs(tmp_path):
    plot = tmp_path / "tanh.png"
    done = subprocess.run(
        [sys.executable, "examples/second_derivative.py", "--points", "21", "--examples", "50",
         "--plot", str(plot), "--graph", str(tmp_path / "d2.svg")],
        capture_output=True, text=True, env=os.environ, timeout=120, check=True)
    lines = done.stdout.splitlines()
    errors = [float(ln.rsplit("=", 1)[1]) for ln in lines if "max |error|" in ln]
    assert len(errors) == 4 and max(errors) < 1e-12
    newton = [ln for ln in lines if ln.strip().startswith("step")]
    assert 5 <= len(newton) <= 10
    assert "x = 1.000000000000000" in newton[-1]
    assert "x = 2.000000000000000" in newton[0]
    diff = [ln for ln in lines if "max |difference|" in ln]
    assert len(diff) == 1 and float(diff[0].rsplit("=", 1)[1]) < 1e-5
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "(d)" in done.stdout     # drawn, or skipped with a reason when draw_graph is absent
