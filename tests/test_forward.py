"""Forward mode, checked op by op through the op table of tests/test_ops.py.

Every row there is also a row here: its forward rule (`jvp`) against central finite
differences in float64, the dot-product identity <vjp(u), v> == <u, jvp(v)> that makes
reverse mode the transpose of forward mode, and second derivatives taken three ways (forward
over reverse, reverse over reverse, reverse over forward), on every backend.
"""
import numpy
import pytest
from test_ops import CASES, _inputs

import microgradnd as mg
from microgradnd import ops
from microgradnd.functional import Alias

EPS = 1e-6


def _tensors(arrays, device):
    return [mg.tensor(a, device=device) for a in arrays]


def _tangents(xs, rng):
    return [mg.tensor(rng.normal(size=x.shape), device=x.device) for x in xs]


def _finite_difference(fn, xs, vs):
    """(f(x + εv) - f(x - εv)) / 2ε, on the host."""
    plus = fn(*[x + EPS * v for x, v in zip(xs, vs)])
    minus = fn(*[x - EPS * v for x, v in zip(xs, vs)])
    return (plus.numpy() - minus.numpy()) / (2 * EPS)


def _dot(a, b) -> float:
    return float((numpy.asarray(a.numpy()) * numpy.asarray(b.numpy())).sum())


@pytest.mark.parametrize("row, shapes", CASES)
def test_jvp_matches_finite_differences(row, shapes, device):
    rng = numpy.random.default_rng(10)
    xs = _tensors(_inputs(row, shapes, rng), device)
    vs = _tangents(xs, rng)
    out, t = mg.jvp(row.fn, tuple(xs), tuple(vs))
    numpy.testing.assert_allclose(out.numpy(), row.fn(*xs).numpy(), rtol=1e-12, atol=1e-12)
    assert t.shape == out.shape and t.dtype == out.dtype and t.device == out.device
    expected = _finite_difference(row.fn, xs, vs)
    if not numpy.any(t.numpy()) and numpy.any(numpy.abs(expected) > 1e-6):
        pytest.fail(f"{row.name}: the tangent is zero but finite differences say otherwise: an "
                    "op applied without unary()/binary() must call tangents.push(op, out, "
                    "inputs, args) while state.levels is set (as ops.concatenate does)")
    numpy.testing.assert_allclose(t.numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("row, shapes", CASES)
def test_vjp_is_the_transpose_of_jvp(row, shapes, device):
    """<vjp(u), v> == <u, jvp(v)> for random u and v."""
    rng = numpy.random.default_rng(11)
    xs = _tensors(_inputs(row, shapes, rng), device)
    vs = _tangents(xs, rng)
    out, vjp_fn = mg.vjp(row.fn, *xs)
    u = mg.tensor(rng.normal(size=out.shape), device=device)
    pulled = vjp_fn(u)
    assert isinstance(pulled, tuple) and len(pulled) == len(xs)
    left = sum(_dot(g, v) for g, v in zip(pulled, vs))
    right = _dot(u, mg.jvp(row.fn, tuple(xs), tuple(vs))[1])
    assert left == pytest.approx(right, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("row, shapes", [c for c in CASES if c.values[0].second_order])
def test_second_order_three_ways(row, shapes, device):
    """The Hessian of <u, f> along v: forward over reverse == reverse over reverse ==
    reverse over forward."""
    rng = numpy.random.default_rng(12)
    xs = _tensors(_inputs(row, shapes, rng), device)
    vs = _tangents(xs, rng)
    u = mg.tensor(rng.normal(size=row.fn(*xs).shape), device=device)
    every = tuple(range(len(xs)))

    def s(*ys):
        return (u * row.fn(*ys)).sum()

    def directional(*ys):      # <∇s, v>, by reverse mode
        return sum((g * v).sum() for g, v in zip(mg.grad(s, every)(*ys), vs))

    fwd_rev = mg.jvp(mg.grad(s, every), tuple(xs), tuple(vs))[1]
    rev_rev = mg.grad(directional, every)(*xs)
    rev_fwd = mg.grad(lambda *ys: (u * mg.jvp(row.fn, ys, tuple(vs))[1]).sum(), every)(*xs)
    for a, b, c in zip(fwd_rev, rev_rev, rev_fwd):
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-9)
        numpy.testing.assert_allclose(c.numpy(), b.numpy(), rtol=1e-9, atol=1e-9)


def _op_classes():
    seen, todo = [], list(ops.Op.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


# Ops whose nodes never meet a tangent, and why (each is checked by a test of its own).
NO_FORWARD_RULE = {
    # checkpoint() runs its block plainly when a tangent is in flight (test_checkpoint.py's
    # test_forward_mode_through_a_checkpoint), so no Checkpoint node is made inside mg.jvp
    "Checkpoint",
}


def test_every_op_has_a_forward_rule():
    """An op added without a jvp rule is named here (and fails its table rows above)."""
    ours = [cls for cls in _op_classes() if cls.__module__.startswith("microgradnd.")
            and cls.__name__ not in NO_FORWARD_RULE]
    missing = [cls.__name__ for cls in ours
               if not any("jvp" in vars(c) for c in cls.__mro__ if c is not ops.Op)]
    assert not missing, f"ops without a forward rule (jvp): {sorted(missing)}"
    assert Alias in _op_classes()


def test_an_op_without_a_forward_rule_says_so():
    class Twice(ops.Op):
        name = "twice"

        @staticmethod
        def forward(x):
            return 2 * x

    with pytest.raises(NotImplementedError, match="'twice' has no forward rule"):
        mg.jvp(lambda x: ops.unary(Twice, x), (mg.tensor([1.0]),), (mg.tensor([1.0]),))
