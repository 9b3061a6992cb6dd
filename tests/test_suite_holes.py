"""Tests for five faults the rest of the suite let through (issue 11, "close the suite's holes").

Each was planted by hand in a correct engine and no other test failed: a leaf's `.grad`
sharing the array the walk hands it, gradcheck blind to signs, to NaN on one side and to
errors a projection on ones hides, and SetItem's backward letting the gradient through the
elements it overwrote. Each test here passes on today's code and fails on one of those faults.
"""
from types import SimpleNamespace

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, ops

f64 = numpy.float64


# ---- 1. a leaf's .grad owns its array ----

# Leaves of each grad_req: requires_grad=True and attach_grad('add') accumulate, 'write'
# overwrites; `.grad = None` sends the first backward down the path that stores a new array.
LEAF_KINDS = {
    "requires_grad": True,
    "attach_add": True,
    "attach_write": False,
    "write_grad_none": False,
}


def _leaf(values, kind, device):
    t = mg.tensor(numpy.array(values, dtype=f64), device=device,
                  requires_grad=kind == "requires_grad")
    if kind == "attach_add":
        t.attach_grad("add")
    elif kind in ("attach_write", "write_grad_none"):
        t.attach_grad("write")
        if kind == "write_grad_none":
            t.grad = None
    return t


def _graph(name, values, f, grads, head=None):
    return pytest.param(SimpleNamespace(values=values, f=f, grads=grads, head=head), id=name)


_A, _B, _B23 = [1.0, 2.0, 3.0], [4.0, -5.0, 6.0], [[1.0, 2.0, 3.0], [-4.0, 5.0, 6.0]]
_HEAD = [0.5, -1.0, 2.0]

# Each graph's leaf values, its head, and d(sum of head * y)/d(leaf) for one backward.
# `a + b` hands both leaves one array; `x.sum()` hands x a read-only broadcast view; a head
# passed by the caller reaches the leaf unchanged through `x + 0` and `x` itself.
GRAPHS = [
    _graph("a+b", [_A, _B], lambda a, b: a + b,
           lambda a, b: [numpy.ones(3), numpy.ones(3)]),
    _graph("x.sum", [_B23], lambda x: x.sum(), lambda x: [numpy.ones((2, 3))]),
    _graph("x*x", [_B], lambda x: x * x, lambda x: [2 * x]),
    _graph("a+b_broadcast", [_A, _B23], lambda a, b: a + b,
           lambda a, b: [numpy.full(3, 2.0), numpy.ones((2, 3))]),
    _graph("a*b_broadcast", [_A, _B23], lambda a, b: a * b,
           lambda a, b: [b.sum(axis=0), numpy.broadcast_to(a, (2, 3))]),
    _graph("x+0_with_head", [_A], lambda x: x + 0.0, lambda x: [numpy.array(_HEAD)],
           head=_HEAD),
    _graph("leaf_is_head", [_A], lambda x: x, lambda x: [numpy.array(_HEAD)], head=_HEAD),
]


def _backward(graph, leaves, device, create_graph):
    """Record graph.f on the leaves and backpropagate once; return the head gradient passed."""
    with autograd.record():
        y = graph.f(*leaves)
    head = None if graph.head is None else mg.tensor(numpy.array(graph.head), device=device)
    y.backward(head, create_graph=create_graph)
    return head


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "create_graph"])
@pytest.mark.parametrize("kind", LEAF_KINDS)
@pytest.mark.parametrize("graph", GRAPHS)
def test_leaf_grad_after_one_two_three_backwards(device, graph, kind, create_graph):
    leaves = [_leaf(v, kind, device) for v in graph.values]
    expected = graph.grads(*(numpy.array(v, dtype=f64) for v in graph.values))
    for k in (1, 2, 3):
        _backward(graph, leaves, device, create_graph)
        for x, e in zip(leaves, expected):
            numpy.testing.assert_allclose(x.grad.numpy(), (k if LEAF_KINDS[kind] else 1) * e,
                                          err_msg=f"after backward {k}")


@pytest.mark.parametrize("create_graph", [False, True], ids=["plain", "create_graph"])
@pytest.mark.parametrize("kind", LEAF_KINDS)
@pytest.mark.parametrize("graph", GRAPHS)
def test_leaf_grads_share_memory_with_nothing(device, graph, kind, create_graph):
    leaves = [_leaf(v, kind, device) for v in graph.values]
    for _ in range(2):      # the first backward stores a new array, the second updates it
        head = _backward(graph, leaves, device, create_graph)
        others = [x.data for x in leaves] + ([] if head is None else [head.data])
        if device == "cpu":
            grads = [x.grad.data for x in leaves]
            for i, g in enumerate(grads):
                assert not any(numpy.shares_memory(g, o) for o in grads[:i] + others)
        # Writing into one leaf's gradient leaves every other gradient and the head alone
        # (the device-neutral form of the check above).
        head_before = None if head is None else head.numpy().copy()
        for i, x in enumerate(leaves):
            before = [y.grad.numpy().copy() for y in leaves]
            x.grad[...] = -7.0
            assert (x.grad.numpy() == -7.0).all()
            for j, y in enumerate(leaves):
                if j != i:
                    numpy.testing.assert_array_equal(y.grad.numpy(), before[j])
            if head is not None:
                numpy.testing.assert_array_equal(head.numpy(), head_before)


# ---- custom ops with wrong backward rules, for gradcheck to catch ----


class _Sin(ops.Op):
    """sin with a backward rule chosen per subclass."""

    name = "sin_under_test"

    @staticmethod
    def forward(x):
        return numpy.sin(x)


class _SinNegatedSlope(_Sin):
    @staticmethod
    def backward(node, out, g):
        return (-(g * node.inputs[0].cos()),)      # d/dx sin = +cos


class _CosNegatedSlope(ops.Op):
    name = "cos_negated_slope"

    @staticmethod
    def forward(x):
        return numpy.cos(x)

    @staticmethod
    def backward(node, out, g):
        return (g * node.inputs[0].sin(),)          # d/dx cos = -sin


class _SinNegatedCurvature(_Sin):
    """First derivative right, second derivative of the wrong sign."""

    @staticmethod
    def backward(node, out, g):
        return (g * ops.unary(_CosNegatedSlope, node.inputs[0]),)


class _SinNaNSlope(_Sin):
    @staticmethod
    def backward(node, out, g):
        return (g * node.inputs[0].cos() * float("nan"),)


class _CosNaNSlope(_CosNegatedSlope):
    @staticmethod
    def backward(node, out, g):
        return (g * float("nan"),)


class _SinNaNCurvature(_Sin):
    """First derivative right, second derivative NaN."""

    @staticmethod
    def backward(node, out, g):
        return (g * ops.unary(_CosNaNSlope, node.inputs[0]),)


# Slopes right element by element but applied to g rearranged: J^T g is wrong for almost
# every g, yet right for g = ones, which every such rearrangement leaves unchanged.
class _SinReversedG(_Sin):
    @staticmethod
    def backward(node, out, g):
        return (node.inputs[0].cos() * g[::-1],)


class _SinTransposedG(_Sin):
    @staticmethod
    def backward(node, out, g):
        return (node.inputs[0].cos() * g.transpose(),)


class _SinMeanG(_Sin):
    @staticmethod
    def backward(node, out, g):
        return (node.inputs[0].cos() * g.mean(),)


def _op(cls):
    return lambda x: ops.unary(cls, x)


_X = numpy.array([0.3, -1.2, 2.0, 0.7])
_X33 = numpy.array([[0.3, -1.2, 2.0], [0.7, 1.1, -0.4], [-2.5, 0.2, 1.6]])


def _must_fail(name, check, f, x):
    return pytest.param(check, f, x, id=name)


def _raises(check, f, x):
    with pytest.raises(mg.GradcheckError):
        check(f, [x])


# ---- 2. gradcheck compares signs ----


@pytest.mark.parametrize("check, f, x", [
    _must_fail("negated_slope", mg.gradcheck, _op(_SinNegatedSlope), _X),
    _must_fail("negated_slope_scalar_out", mg.gradcheck,
               lambda x: ops.unary(_SinNegatedSlope, x).sum(), _X),
    _must_fail("negated_curvature", mg.gradgradcheck, _op(_SinNegatedCurvature), _X),
])
def test_gradcheck_refuses_a_slope_of_the_wrong_sign(check, f, x):
    _raises(check, f, x)


def test_the_negated_curvature_op_has_a_right_first_derivative():
    """So only the second-order check can catch it (and gradgradcheck does, above)."""
    assert mg.gradcheck(_op(_SinNegatedCurvature), [_X])
    assert mg.gradgradcheck(lambda x: x.sin(), [_X])


# ---- 3. gradcheck refuses NaN on one side ----


@pytest.mark.parametrize("check, f, x", [
    _must_fail("log_at_-1_fd_nan", mg.gradcheck, lambda x: x.log(), numpy.array([-1.0, 2.0])),
    _must_fail("log_at_-1_scalar_out", mg.gradcheck, lambda x: x.log().sum(), numpy.array(-1.0)),
    _must_fail("reverse_nan_fd_finite", mg.gradcheck, _op(_SinNaNSlope), _X),
    _must_fail("second_order_nan", mg.gradgradcheck, _op(_SinNaNCurvature), _X),
])
def test_gradcheck_refuses_nan_on_one_side(check, f, x):
    _raises(check, f, x)


# ---- 4. gradcheck projects on a random direction ----

ONES_BLIND = [
    pytest.param(_SinReversedG, _X, id="reversed_g"),
    pytest.param(_SinTransposedG, _X33, id="transposed_g"),
    pytest.param(_SinMeanG, _X33, id="mean_of_g"),
]


@pytest.mark.parametrize("cls, x", ONES_BLIND)
def test_ones_blind_ops_are_right_under_a_ones_head(cls, x):
    """The premise of the next test: projected on ones, these wrong rules give cos(x)."""
    t = mg.tensor(x)
    t.attach_grad()
    with autograd.record():
        y = ops.unary(cls, t)
    (gx,) = autograd.grad(y, [t], head_grads=mg.tensor(numpy.ones_like(x)))
    numpy.testing.assert_allclose(gx.numpy(), numpy.cos(x))


@pytest.mark.parametrize("cls, x", ONES_BLIND)
def test_gradcheck_catches_what_a_ones_projection_hides(cls, x):
    _raises(mg.gradcheck, _op(cls), x)


# ---- 5. SetItem's backward: overwritten elements get no gradient from x ----


def _sum_to(a, shape):
    """a summed back to the shape it was broadcast from."""
    a = a.sum(axis=tuple(range(a.ndim - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and a.shape[i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


_M5 = numpy.array([True, False, True, False, True])
_M34 = numpy.array([[True, False, False, True], [False, False, True, False],
                    [True, True, False, False]])

# (x's shape, index, value's shape, or None for a Python float). Repeated integer indices
# appear only with a Python float: which of several values lands there is up to the backend.
SETITEM_CASES = [
    pytest.param((5,), 1, (), id="int"),
    pytest.param((5,), -1, (), id="negative_int"),
    pytest.param((5,), slice(1, 4), (3,), id="slice"),
    pytest.param((5,), slice(1, 4), (), id="slice_scalar_value"),
    pytest.param((6,), slice(None, None, -2), (3,), id="negative_step_slice"),
    pytest.param((5,), numpy.array([3, 0]), (2,), id="int_array"),
    pytest.param((5,), numpy.array([0, 0, 3]), None, id="int_array_repeats"),
    pytest.param((5,), _M5, (3,), id="bool_mask"),
    pytest.param((5,), _M5, (), id="bool_mask_scalar_value"),
    pytest.param((3, 4), 1, (4,), id="row"),
    pytest.param((3, 4), (slice(None), 2), (1,), id="column_broadcast_value"),
    pytest.param((3, 4), (numpy.array([0, 2]), numpy.array([1, 3])), (2,), id="int_array_pair"),
    pytest.param((3, 4), _M34, (5,), id="bool_mask_2d"),
    pytest.param((3, 4), (slice(0, 2), slice(1, 3)), None, id="block_python_float"),
]


def _on(index, device):
    """The index with its arrays on `device` (as Tensors, which indexing accepts)."""
    if isinstance(index, tuple):
        return tuple(_on(i, device) for i in index)
    return mg.tensor(index, device=device) if isinstance(index, numpy.ndarray) else index


def _setitem_f(index, has_value):
    def f(x, v=None):
        y = x * 1
        y[index] = v if has_value else 2.5
        return y * y        # not linear, so the second derivative checks something
    return f


@pytest.mark.parametrize("shape, index, vshape", SETITEM_CASES)
def test_setitem_gradients_skip_the_overwritten_elements(device, shape, index, vshape):
    rng = numpy.random.default_rng(0)
    x = mg.tensor(rng.standard_normal(shape), device=device)
    x.attach_grad()
    variables = [x]
    value = 2.5
    if vshape is not None:
        value = mg.tensor(rng.standard_normal(vshape), device=device)
        value.attach_grad()
        variables.append(value)
    h = rng.standard_normal(shape)
    with autograd.record():
        y = x * 1
        y[_on(index, device)] = value
    y.backward(mg.tensor(h, device=device))
    keep = numpy.ones(shape, bool)
    keep[index] = False
    numpy.testing.assert_allclose(x.grad.numpy(), numpy.where(keep, h, 0.0))
    if vshape is not None:
        numpy.testing.assert_allclose(value.grad.numpy(), _sum_to(h[index], vshape))
    expected = x.numpy().copy()
    expected[index] = 2.5 if vshape is None else value.numpy()
    numpy.testing.assert_allclose(y.numpy(), expected)


@pytest.mark.parametrize("shape, index, vshape", SETITEM_CASES)
def test_setitem_passes_gradcheck_and_gradgradcheck(device, shape, index, vshape):
    rng = numpy.random.default_rng(1)
    inputs = [mg.tensor(rng.standard_normal(shape), device=device)]
    if vshape is not None:
        inputs.append(mg.tensor(rng.standard_normal(vshape), device=device))
    f = _setitem_f(_on(index, device), vshape is not None)
    assert mg.gradcheck(f, inputs)
    assert mg.gradgradcheck(f, inputs)
