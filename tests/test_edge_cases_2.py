"""Edge cases from other engines' trackers, round two: what tests/test_edge_cases.py leaves out.

NaN and inf in one branch, float32/float16 saturation, reductions over empty and negative
axis tuples, index kinds (empty lists, 0-d and boolean tensors, negative steps), head_grads
in every form, recording state after exceptions and nesting, NumPy writing into Tensors,
error messages of grad/gradcheck, creation helpers and the d2l iterators. PyTorch's answer
is computed here, never copied; where it differs from NumPy, NumPy's rule is asserted.
"""
import random
import threading
import warnings

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, d2l, np

try:
    import torch
except ImportError:         # the cases that compare with PyTorch skip; the rest still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")

NAN, INF = numpy.nan, numpy.inf


def var(values, dtype="float64", req="write"):
    t = mg.tensor(numpy.asarray(values, dtype=dtype))
    t.attach_grad(req)
    return t


def both(fn, x0, dtype="float64", tfn=None):
    """fn's value and gradient of its sum, in microgradnd and in PyTorch."""
    x = var(x0, dtype)
    with autograd.record():
        y = fn(x)
    y.backward()
    t = torch.tensor(numpy.asarray(x0, dtype=dtype), requires_grad=True)
    ty = (tfn or fn)(t)
    ty.sum().backward()
    return (y.numpy(), x.grad.numpy()), (ty.detach().numpy(), t.grad.numpy())


def assert_same(ours, theirs, rtol=1e-12, atol=0.0):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype, (a, b)
        numpy.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


# ---- NaN, inf and empty tensors through backward: (name, fn, x, PyTorch's fn if other) ----

NUMERICS = [
    # pytorch/pytorch#152088 and #18287: log(0) is masked away by a slice, but its local
    # slope 1/0 meets a zero gradient: 0 * inf = nan, in both engines
    ("log_then_slice", lambda x: x.log()[1:], [0.0, 1.0], None),
    ("sqrt_negative_then_slice", lambda x: x.sqrt()[1:], [-1.0, 4.0], None),
    # pytorch/pytorch#187297: a nan in one element must not poison another element's gradient
    ("nan_branch_is_separate", lambda x: x[0:1].log() + x[1:2] * 2.0, [-1.0, 3.0], None),
    ("zero_times_inf", lambda x: x * 0.0, [INF, 1.0], None),
    ("exp_overflow_times_0", lambda x: x.exp() * 0.0, [1000.0], None),
    ("inf_minus_inf", lambda x: x - x, [INF], None),
    # jax-ml/jax#13600: max over a row holding nan gives nan; PyTorch's amax spreads nan too
    ("max_with_nan", lambda x: x.max(), [1.0, NAN, 3.0], lambda t: t.amax()),
    ("max_axis_with_nan_row", lambda x: x.reshape(2, 2).max(axis=1), [1.0, NAN, 3.0, 2.0],
     lambda t: t.reshape(2, 2).amax(1)),
    ("max_all_minus_inf", lambda x: x.max(), [-INF, -INF], lambda t: t.amax()),
    ("max_inf_ties", lambda x: x.max(), [INF, INF, 1.0], lambda t: t.amax()),
    # pytorch/pytorch#15223 and #2920: reductions over an empty axis, with and without keepdims
    ("sum_empty_axis0", lambda x: x.reshape(0, 3).sum(axis=0), numpy.zeros(0),
     lambda t: t.reshape(0, 3).sum(0)),
    ("mean_empty_axis0", lambda x: x.reshape(0, 3).mean(axis=0), numpy.zeros(0),
     lambda t: t.reshape(0, 3).mean(0)),
    ("mean_empty_axis1", lambda x: x.reshape(0, 3).mean(axis=1), numpy.zeros(0),
     lambda t: t.reshape(0, 3).mean(1)),
    ("sum_empty_keepdims", lambda x: x.reshape(0, 3).sum(axis=1, keepdims=True),
     numpy.zeros(0), lambda t: t.reshape(0, 3).sum(1, keepdim=True)),
    # reason: negative axes in a tuple with keepdims must map back to the right axes
    ("sum_negative_axes_keepdims",
     lambda x: x.reshape(2, 3, 4).sum(axis=(-1, -3), keepdims=True) * x.reshape(2, 3, 4),
     numpy.arange(24.0),
     lambda t: t.reshape(2, 3, 4).sum((-1, -3), keepdim=True) * t.reshape(2, 3, 4)),
    ("mean_negative_axes_keepdims",
     lambda x: x.reshape(2, 3, 4).mean(axis=(-1, 0), keepdims=True) ** 2, numpy.arange(24.0),
     lambda t: t.reshape(2, 3, 4).mean((-1, 0), keepdim=True) ** 2),
    ("max_negative_axes_keepdims",
     lambda x: x.reshape(2, 3, 4).max(axis=(-1, 0), keepdims=True) ** 2,
     numpy.arange(24.0) % 5, lambda t: t.reshape(2, 3, 4).amax((-1, 0), keepdim=True) ** 2),
    ("max_list_axis", lambda x: x.reshape(2, 3).max(axis=[0, 1]), numpy.arange(6.0),
     lambda t: t.reshape(2, 3).amax([0, 1])),
    # reason: x*x, x**2 and x**x at 0 and at negative x take different backward rules
    ("x_times_x", lambda x: x * x, [0.0, -0.0, -3.0], None),
    ("x_pow_2_float", lambda x: x ** 2.0, [0.0, -3.0], None),
    ("x_pow_minus_2", lambda x: x ** -2, [0.0, -3.0], None),
    ("x_pow_minus_half", lambda x: x ** -0.5, [0.0, -3.0, 4.0], None),
    ("x_pow_3_float_negative", lambda x: x ** 3.0, [-2.0], None),
    ("x_pow_x", lambda x: x ** x, [0.0, 2.0, -2.0], None),
    ("integer_valued_exponent", lambda x: x ** x.detach(), [2.0, 3.0, -1.0], None),
    ("abs_kink_at_integer", lambda x: (x - 2.0).abs(), [2.0, 3.0, 1.0], None),
]


@needs_torch
@pytest.mark.parametrize("name, fn, x0, tfn", NUMERICS, ids=[c[0] for c in NUMERICS])
def test_nan_inf_and_empty_through_backward_match_pytorch(name, fn, x0, tfn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # NumPy's forward log(0) etc.
        ours, theirs = both(fn, x0, tfn=tfn)
    assert_same(ours, theirs)


SATURATING = [
    # reason: at large |x| the value saturates or overflows and the gradient follows, never
    # nan (tinygrad/tinygrad#17087 and pytorch/pytorch#98691 are float16 overflow reports)
    ("sigmoid", lambda x: x.sigmoid(), [-100.0, 100.0, -88.0, 89.0]),
    ("tanh", lambda x: x.tanh(), [-100.0, 100.0, 10.0]),
    ("exp", lambda x: x.exp(), [88.0, 89.0, -104.0]),
    ("log_of_subnormal", lambda x: x.log(), [1e-45, 1e-38, 3e38]),
    ("square_overflows", lambda x: x ** 2, [1e20, 2e19]),
    ("sqrt_of_subnormal", lambda x: x.sqrt(), [1e-45, 0.0]),
    ("reciprocal_of_subnormal", lambda x: 1.0 / x, [1e-45, 1e-39]),
    # numpy/numpy#7930, pytorch/pytorch#44350: the mean of 70,000 float16 ones is 1, not inf
    ("mean_of_many", lambda x: x.mean(), numpy.ones(70000)),
    ("mean_axis_of_many", lambda x: x.reshape(2, 35000).mean(axis=1), numpy.full(70000, 3.0)),
    ("sum_of_many", lambda x: x.sum(), numpy.ones(70000)),      # inf in float16 in both
]


@needs_torch
@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name, fn, x0", SATURATING, ids=[c[0] for c in SATURATING])
def test_low_precision_saturation_matches_pytorch(name, fn, x0, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours, theirs = both(fn, x0, dtype=dtype)
    # PyTorch flushes subnormal results to 0 (sigmoid(-100) in float32); NumPy keeps them
    tiny = numpy.finfo(dtype).tiny
    assert_same(ours, theirs, rtol=2e-3 if dtype == "float16" else 1e-6, atol=tiny)


def test_sum_over_an_empty_axis_tuple_reduces_nothing_as_numpy():
    """NumPy: axis=() reduces no axis (PyTorch's dim=() reduces all: NumPy's rule wins here)."""
    x = var(numpy.arange(6.0).reshape(2, 3))
    with autograd.record():
        y = x.sum(axis=()) * x
    y.backward()
    assert y.shape == (2, 3)
    numpy.testing.assert_array_equal(x.grad.numpy(), 2 * numpy.arange(6.0).reshape(2, 3))


# ---- index kinds: (name, our index, PyTorch's index) on a 3x4 tensor ----

def _mask():
    return numpy.arange(12).reshape(3, 4) % 3 == 0


INDEXES = [
    # pytorch/pytorch#2920: an empty selection, and its gradient is all zeros
    ("empty_list", lambda: [], lambda: torch.tensor([], dtype=torch.long)),
    ("two_empty_lists", lambda: ([], []), lambda: (torch.tensor([], dtype=torch.long),) * 2),
    # reason: a 0-d integer tensor indexes like an int (one more kind of index in _is_basic)
    ("int_0d", lambda: mg.tensor(1), lambda: torch.tensor(1)),
    ("int_0d_negative", lambda: mg.tensor(-1), lambda: torch.tensor(-1)),
    ("two_int_0d", lambda: (mg.tensor(1), mg.tensor(2)),
     lambda: (torch.tensor(1), torch.tensor(2))),
    ("slice_and_int_0d", lambda: (slice(None), mg.tensor(2)),
     lambda: (slice(None), torch.tensor(2))),
    ("numpy_int64", lambda: numpy.int64(1), lambda: 1),
    # reason: NumPy's 0-d boolean index adds an axis of length 1 or 0; Python's bool is int
    ("python_true", lambda: True, lambda: True),
    ("python_false", lambda: False, lambda: False),
    ("bool_0d_true", lambda: mg.tensor(True), lambda: torch.tensor(True)),
    ("bool_0d_false", lambda: mg.tensor(False), lambda: torch.tensor(False)),
    ("numpy_bool", lambda: numpy.bool_(True), lambda: True),
    ("bool_mask_2d", lambda: mg.tensor(_mask()), lambda: torch.tensor(_mask())),
    ("bool_mask_rows", lambda: mg.tensor([True, False, True]),
     lambda: torch.tensor([True, False, True])),
    ("ellipsis_none_int", lambda: (Ellipsis, None, 1), lambda: (Ellipsis, None, 1)),
    ("int32_index", lambda: mg.tensor(numpy.array([0, 2, 2], "int32")),
     lambda: torch.tensor([0, 2, 2])),
    ("uint8_index_is_integer", lambda: mg.tensor(numpy.array([0, 2, 2], "uint8")),
     lambda: torch.tensor([0, 2, 2])),
    ("slice_then_repeated_list", lambda: (slice(1, None), [0, 0, 3]),
     lambda: (slice(1, None), [0, 0, 3])),
    ("broadcast_lists", lambda: ([[0], [2]], [1, 1, 3]),
     lambda: (torch.tensor([[0], [2]]), torch.tensor([1, 1, 3]))),
]


@needs_torch
@pytest.mark.parametrize("name, idx, tidx", INDEXES, ids=[c[0] for c in INDEXES])
def test_index_kinds_match_pytorch(name, idx, tidx):
    data = numpy.arange(12.0).reshape(3, 4)
    x = var(data)
    with autograd.record():
        y = x[idx()] * 2.0
    y.backward()
    t = torch.tensor(data, requires_grad=True)
    ty = t[tidx()] * 2.0
    ty.sum().backward()
    assert y.shape == tuple(ty.shape)
    numpy.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    numpy.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("index", [
    (slice(None, None, -1), slice(None, None, -2)),     # PyTorch has no negative steps
    (slice(3, 0, -2),),
    (slice(None, None, -1), [2, 0, 0]),
])
def test_negative_step_slices_scatter_back_as_numpy(index):
    """numpy.add.at on a zero array is the adjoint NumPy itself defines (no PyTorch twin)."""
    data = numpy.arange(12.0).reshape(3, 4)
    x = var(data)
    with autograd.record():
        y = x[index] ** 2
    y.backward()
    want = numpy.zeros_like(data)
    numpy.add.at(want, index, 2 * data[index])
    numpy.testing.assert_array_equal(y.numpy(), data[index] ** 2)
    numpy.testing.assert_array_equal(x.grad.numpy(), want)


def test_float_indices_are_refused_naming_the_shape():
    x = mg.tensor(numpy.zeros((3, 4)))
    with pytest.raises(IndexError, match=r"shape \(3, 4\)"):
        x[1.0]


def test_float_tensor_indices_with_whole_values_select_as_mxnet():
    # MXNet's np.array([0, 2]) is float32, and the book indexes with it (y_hat[[0, 1], y])
    x = mg.tensor(numpy.arange(12.0).reshape(3, 4))
    assert x[mg.tensor([0.0, 2.0])].tolist() == x[mg.tensor([0, 2])].tolist()
    assert x[[0, 1], np.array([0, 2])].tolist() == [0.0, 6.0]
    # MXNet truncates 2.9 to 2; a fractional index is a mistake, so it is named instead
    with pytest.raises(IndexError, match="whole numbers"):
        x[mg.tensor([0.0, 2.9])]


# ---- views of 0-d and 1-d tensors: reshape(-1), .T and transpose() as NumPy ----

VIEWS = [
    ("reshape_minus1_of_0d", lambda x: x.reshape(-1) * 2.0, 3.0, (1,), 2.0),
    ("T_of_0d", lambda x: x.T * 2.0, 3.0, (), 2.0),
    ("transpose_of_0d", lambda x: x.transpose() * 2.0, 3.0, (), 2.0),
    ("T_of_1d", lambda x: x.T * x, [1.0, 2.0], (2,), [2.0, 4.0]),
    ("reshape_1d_to_0d", lambda x: x.reshape(()) * 5.0, [3.0], (), [5.0]),
]


@pytest.mark.parametrize("name, f, x0, shape, grad", VIEWS, ids=[c[0] for c in VIEWS])
def test_views_of_0d_and_1d(name, f, x0, shape, grad):
    x = var(x0)
    with autograd.record():
        y = f(x)
    y.backward()
    assert y.shape == shape
    numpy.testing.assert_array_equal(x.grad.numpy(), grad)


# ---- head_grads in every form MXNet and PyTorch accept ----

HEAD_GRADS = [
    # apache/mxnet#19021 (head_grad forms and shapes): arrays and lists, not only tensors
    ("ndarray", numpy.array([2.0, 3.0])),
    ("list", [2.0, 3.0]),
    ("tuple", (2.0, 3.0)),
    ("int_list", [2, 3]),
    ("other_dtype_tensor", mg.tensor([2.0, 3.0], dtype="float16")),
    ("float32_ndarray", numpy.array([2.0, 3.0], "float32")),
]


@pytest.mark.parametrize("name, hg", HEAD_GRADS, ids=[c[0] for c in HEAD_GRADS])
def test_head_grad_forms(name, hg):
    for call in (lambda y: y.backward(hg), lambda y: autograd.backward([y], [hg])):
        x = var([1.0, 2.0])
        with autograd.record():
            y = x * 3.0
        call(y)
        assert x.grad.dtype == numpy.float64
        assert x.grad.tolist() == [6.0, 9.0]


@pytest.mark.parametrize("hg", [5.0, 5, numpy.float32(5.0), numpy.array(5.0)])
def test_scalar_head_grad_for_a_0d_head(hg):
    x = var(2.0)
    with autograd.record():
        y = x * 3.0
    autograd.backward(y, hg)
    assert x.grad.item() == 15.0


def test_scalar_head_grad_for_a_vector_head_is_a_shape_error_as_pytorch():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 3.0
    with pytest.raises(mg.ShapeError, match=r"shape \(\).*shape \(2,\)"):
        y.backward(2.0)


def test_heads_and_head_grads_as_tuples():
    """MXNet takes lists; PyTorch takes tuples: both work."""
    x = var([1.0, 2.0])
    with autograd.record():
        y, z = x * 3.0, x * x
    autograd.backward((y, z), (numpy.ones(2), numpy.array([1.0, 2.0])))
    assert x.grad.tolist() == [5.0, 11.0]
    with autograd.record():
        y, z = x * 3.0, x * x
    (g,) = autograd.grad((y, z), (x,))
    assert g.tolist() == [5.0, 7.0]


def test_two_head_grads_for_one_head_name_both_counts():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 3.0
    with pytest.raises(ValueError, match="1 heads but 2 head_grads"):
        autograd.backward(y, [numpy.ones(2), numpy.ones(2)])


def test_leaf_head_backward_and_grad():
    """Backward of a variable itself gives ones (or the head_grad), as PyTorch."""
    x = var([1.0, 2.0])
    x.backward()
    assert x.grad.tolist() == [1.0, 1.0]
    x.backward(numpy.array([3.0, 4.0]))
    assert x.grad.tolist() == [3.0, 4.0]
    assert autograd.grad(x, [x], head_grads=[[5.0, 6.0]])[0].tolist() == [5.0, 6.0]


def test_grad_of_a_head_that_does_not_depend_on_the_variable_is_zeros():
    """PyTorch's allow_unused gives None; MXNet and API §2 give zeros."""
    x, w = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = (x * 2.0).sum()
    gx, gw = autograd.grad(y, [x, w])
    assert gx.tolist() == [2.0, 2.0] and gw.tolist() == [0.0, 0.0]


@needs_torch
def test_create_graph_backward_twice_accumulates_on_the_graph_as_pytorch():
    """grad_req 'add' with create_graph sums both passes on the graph, as PyTorch."""
    x = var([1.0, 2.0], req="add")
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)    # PyTorch's reference-cycle warning
        for _ in range(2):
            with autograd.record():
                y = (x ** 3).sum()
            y.backward(create_graph=True)
            (t ** 3).sum().backward(create_graph=True)
    assert x.grad.tolist() == t.grad.tolist() == [6.0, 24.0]
    with autograd.record():
        s = x.grad.sum()
    (gg,) = autograd.grad(s, [x])
    (tgg,) = torch.autograd.grad(t.grad.sum(), [t])
    assert gg.tolist() == tgg.tolist() == [12.0, 24.0]     # d/dx of 2 · 3x²


@needs_torch
def test_same_tensor_twice_in_matmul_second_order_matches_pytorch():
    """x @ x.T uses x twice; the second derivative sums both paths."""
    data = numpy.arange(6.0).reshape(2, 3) / 5
    x = var(data)
    with autograd.record():
        (g,) = autograd.grad(((x @ x.T) ** 2).sum(), [x], create_graph=True)
        (gg,) = autograd.grad((g * g).sum(), [x])
    t = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(((t @ t.T) ** 2).sum(), [t], create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), [t])
    numpy.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


# ---- recording state ----


def test_an_exception_inside_record_leaves_recording_off():
    """An error inside record() must not leave recording on (ufo-kit/concert#233)."""
    x = var([1.0])
    with pytest.raises(KeyError), autograd.record():
        x * 2.0
        raise KeyError("boom")
    assert (autograd.is_recording(), autograd.is_training()) == (False, False)
    with pytest.raises(mg.ShapeError), autograd.record(), autograd.pause():
        x * mg.tensor([[1.0, 2.0, 3.0]]) + mg.tensor([1.0, 2.0])
    assert (autograd.is_recording(), autograd.is_training()) == (False, False)
    assert not (x * 2.0).requires_grad


def test_nested_record_and_pause_restore_each_level():
    """apache/mxnet#8673 (nested autograd scopes): each block restores what it found."""
    seen = []

    def look():
        seen.append((autograd.is_recording(), autograd.is_training()))

    with autograd.record():
        with autograd.record(train_mode=False):
            look()
        look()
        with autograd.pause():
            with autograd.pause(train_mode=True):
                look()
            look()
            with autograd.record():
                look()
            look()
        look()
    look()
    assert seen == [(True, False), (True, True), (False, True), (False, False), (True, True),
                    (False, False), (True, True), (False, False)]


def test_inner_record_block_adds_to_one_graph():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2.0
        with autograd.record() as inner:
            z = y * 3.0
    z.backward()
    assert x.grad.tolist() == [6.0, 6.0] and len(inner) == 1


def test_record_inside_pause_records():
    x = var([1.0, 2.0])
    with autograd.record(), autograd.pause():
        c = x * 5.0
        with autograd.record():
            y = (x * x).sum()
    assert not c.requires_grad
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_threads_record_their_own_graphs_concurrently():
    """Graphs built by threads at once must not mix; recording is per thread."""
    results, errors = {}, []
    start = threading.Barrier(4)

    def work(i):
        try:
            x = var(float(i + 1))
            start.wait()
            for _ in range(50):
                with autograd.record() as tape:
                    y = x * x * float(i + 1)
                y.backward()
            results[i] = (x.grad.item(), len(tape), autograd.is_recording())
        except Exception as e:      # noqa: BLE001 - reported by the assert below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    seen_inside = []
    with autograd.record():
        for t in threads:
            t.start()
        probe = threading.Thread(target=lambda: seen_inside.append(autograd.is_recording()))
        probe.start()
        probe.join()
        for t in threads:
            t.join()
    assert not errors
    assert results == {i: (2.0 * (i + 1) ** 2, 2, False) for i in range(4)}
    assert seen_inside == [False]       # a new thread starts outside record()


# ---- NumPy writing into Tensors, and NumPy functions that are not ufuncs ----


@pytest.mark.parametrize("write", [
    lambda y: numpy.multiply(y, 2.0, out=y),
    lambda y: numpy.add.at(y, [0], 1.0),
    lambda y: numpy.exp(y, out=y),
])
def test_numpy_writing_into_a_saved_tensor_is_refused_by_backward(write):
    """pytorch/pytorch#14571: an in-place write that skips the version counter gives a
    silently wrong gradient; out= and ufunc.at count as in-place changes."""
    x = var([1.0, 2.0])
    with autograd.record():
        y = x.exp()
    write(y)
    with pytest.raises(mg.GraphError, match="modified in place"):
        y.backward()


def test_numpy_out_returns_the_out_object():
    t = mg.tensor([1.0, 2.0])
    assert numpy.multiply(t, 2.0, out=t) is t and t.tolist() == [2.0, 4.0]
    host = numpy.zeros(2)
    same = host
    host += mg.tensor([1.0, 2.0], dtype="float64")
    assert host is same and type(host) is numpy.ndarray


def test_numpy_dot_and_where_on_tensors_are_differentiable():
    """HIPS/autograd#8: a dot that bypassed the tracer gave zero gradients silently."""
    x, w = var([1.0, 2.0]), var([3.0, -4.0])
    with autograd.record():
        y = numpy.dot(x, w) + numpy.where(w > 0, w, 0.0).sum()
    y.backward()
    assert y.item() == -2.0
    assert x.grad.tolist() == [3.0, -4.0] and w.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("fn", [
    lambda x: numpy.cumprod(x), lambda x: numpy.diff(x), lambda x: numpy.outer(x, x),
    lambda x: numpy.trace(x), lambda x: numpy.average(x), lambda x: numpy.copy(x),
])
def test_other_numpy_functions_refuse_a_variable_while_recording(fn):
    """A float array back from NumPy would carry no gradient: refused, as for ufuncs
    (rsokl/MyGrad#364 dispatches them through __array_function__ for this reason)."""
    x = var([[0.5, 2.0], [-1.0, 3.0]])
    with autograd.record(), pytest.raises(TypeError, match="cannot be differentiated"):
        fn(x)
    numpy.testing.assert_allclose(fn(x), fn(x.numpy()))     # outside record(): NumPy's


def test_numpy_queries_work_while_recording():
    x = var([[0.5, 2.0], [-1.0, 3.0]])
    with autograd.record():
        assert numpy.shape(x) == (2, 2) and numpy.ndim(x) == 2
        assert numpy.argmax(x) == 3 and numpy.allclose(x, x.numpy())
        assert numpy.isclose(x, 0.5).tolist() == [[True, False], [False, False]]


# ---- grad, hessian and gradcheck: misuse gets a clear error ----

MISUSE = [
    # jax-ml/jax#6213: a function returning (loss, aux) to grad
    ("grad_of_tuple", lambda: mg.grad(lambda x: (x.sum(), x))(mg.tensor([1.0, 2.0])),
     TypeError, "returned tuple"),
    ("grad_of_none", lambda: mg.grad(lambda x: None)(mg.tensor([1.0])),
     TypeError, "returned NoneType"),
    # jax-ml/jax#2303: a non-scalar output
    ("grad_of_vector", lambda: mg.grad(lambda x: x * 2.0)(mg.tensor([1.0, 2.0])),
     mg.ShapeError, r"shape \(2,\)"),
    ("hessian_of_vector", lambda: mg.hessian(lambda x: x ** 3)(mg.tensor([1.0, 2.0])),
     mg.ShapeError, r"shape \(2,\)"),
    # pytorch/pytorch#48764: gradcheck's input checks should name the input
    ("gradcheck_of_ints", lambda: mg.gradcheck(lambda x: x * x, [numpy.array([1, 2])]),
     TypeError, "input 0 has dtype int64"),
    ("gradcheck_of_int_list", lambda: mg.gradcheck(lambda x, y: x * y, [[1.0], [2]]),
     TypeError, "input 1 has dtype int64"),
    ("gradcheck_of_bools", lambda: mg.gradcheck(lambda x: x * 1.0, [mg.tensor([True])]),
     TypeError, "dtype bool"),
    ("gradgradcheck_of_ints", lambda: mg.gradgradcheck(lambda x: x ** 3, [[1, 2]]),
     TypeError, "int64"),
    ("gradcheck_of_float_output", lambda: mg.gradcheck(lambda x: 3.0, [[1.0, 2.0]]),
     TypeError, "returned float"),
    ("gradcheck_of_tuple_output", lambda: mg.gradcheck(lambda x: (x, x), [[1.0, 2.0]]),
     TypeError, "returned tuple"),
    ("gradcheck_of_ndarray_output",
     lambda: mg.gradcheck(lambda x: numpy.ones(2), [[1.0, 2.0]]), TypeError, "ndarray"),
]


@pytest.mark.parametrize("name, call, cls, pattern", MISUSE, ids=[c[0] for c in MISUSE])
def test_misuse_of_transforms_and_gradcheck_is_a_clear_error(name, call, cls, pattern):
    with pytest.raises(cls, match=pattern):
        call()


def test_gradcheck_takes_0d_empty_and_non_scalar_outputs():
    assert mg.gradcheck(lambda x: x ** 3, [2.0])
    assert mg.gradcheck(lambda x: x ** 3, mg.tensor(2.0))
    assert mg.gradcheck(lambda x: x ** 3, [numpy.zeros(0)])
    assert mg.gradgradcheck(lambda x: x ** 3, [numpy.array([1.0, -2.0])])
    with pytest.raises(mg.GradcheckError, match="input 0"):
        mg.gradcheck(lambda x: x * x.detach(), [numpy.array([1.0, 2.0])])


@needs_torch
@pytest.mark.parametrize("x0, f", [
    (2.0, lambda x: x ** 3),
    ([[1.0, 2.0], [3.0, 4.0]], lambda x: (x[0] * x[1]).sum() + (x ** 3).sum()),
    ([[1.0, 2.0], [3.0, 4.0]], lambda x: (x @ x).sum()),
], ids=["0d", "2d_products", "2d_matmul_with_itself"])
def test_hessian_of_0d_and_2d_inputs_matches_pytorch(x0, f):
    """The Hessian of a matrix input has shape x.shape + x.shape, as PyTorch's."""
    data = numpy.asarray(x0, dtype="float64")
    h = mg.hessian(f)(mg.tensor(data))
    th = torch.autograd.functional.hessian(f, torch.tensor(data))
    assert h.shape == data.shape * 2
    numpy.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)


# ---- creation, conversion and printing ----

CREATION = [
    # reason: tensor(True) is boolean, not an integer (bool is a subclass of int)
    ("tensor_true", lambda: mg.tensor(True), numpy.bool_, ()),
    ("tensor_bool_list", lambda: mg.tensor([True, False]), numpy.bool_, (2,)),
    # reason: a list of 0-d and 1-d Tensors becomes one tensor, as torch.tensor's
    ("list_of_0d_tensors", lambda: mg.tensor([mg.tensor(1.0), 2.0]), numpy.float32, (2,)),
    ("list_of_1d_tensors", lambda: mg.tensor([mg.tensor([1.0, 2.0]), mg.tensor([3.0, 4.0])]),
     numpy.float32, (2, 2)),
    ("np_array_of_0d_tensors", lambda: np.array([mg.tensor(1.0), mg.tensor(2.0)]),
     numpy.float32, (2,)),
    ("numpy_array_of_0d_tensors",
     lambda: mg.tensor(numpy.array([mg.tensor(1.0), mg.tensor(2.0)])), numpy.float32, (2,)),
    # reason: arange with a float step takes MXNet's float32 default (API §6)
    ("arange_float_step", lambda: np.arange(0, 1, 0.25), numpy.float32, (4,)),
    ("arange_float_stop", lambda: np.arange(3.0), numpy.float32, (3,)),
    ("arange_ints", lambda: np.arange(1, 7, 2), numpy.float32, (3,)),     # as MXNet
    ("arange_int64", lambda: np.arange(1, 7, 2, dtype="int64"), numpy.int64, (3,)),
    ("zeros_list_shape", lambda: np.zeros([2, 3]), numpy.float32, (2, 3)),
    ("zeros_int_shape", lambda: np.zeros(3), numpy.float32, (3,)),
    ("zeros_0d", lambda: np.zeros(()), numpy.float32, ()),
    ("normal_no_size", lambda: np.random.normal(0, 1), numpy.float32, ()),
    ("normal_list_size", lambda: np.random.normal(0, 1, [2, 3]), numpy.float32, (2, 3)),
    ("uniform_int_size", lambda: np.random.uniform(0, 1, 4), numpy.float32, (4,)),
]


@pytest.mark.parametrize("name, make, dtype, shape", CREATION, ids=[c[0] for c in CREATION])
def test_creation_dtype_and_shape(name, make, dtype, shape):
    t = make()
    assert isinstance(t, mg.Tensor) and t.dtype == dtype and t.shape == shape


def test_values_of_created_tensors():
    assert mg.tensor([mg.tensor(1.0), 2.0]).tolist() == [1.0, 2.0]
    assert np.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]


def test_seed_reproduces_interleaved_normal_and_uniform_draws():
    """One seed must fix every draw np.random makes, in any order (API §6)."""
    def draws():
        np.random.seed(3)
        return [np.random.normal(0, 1, (3,)).tolist(), np.random.uniform(0, 1, (2,)).tolist(),
                np.random.normal(2, 0.5).item()]
    first = draws()
    assert draws() == first
    np.random.seed(4)
    assert np.random.normal(0, 1, (3,)).tolist() != first[0]


REPRS = [
    ("0d", lambda: mg.tensor(3.0), "tensor(3., dtype=float32, device='cpu')"),
    ("empty", lambda: mg.tensor(numpy.zeros(0)), "tensor([], dtype=float64, device='cpu')"),
    ("empty_2d", lambda: mg.tensor(numpy.zeros((0, 3))),
     "tensor([], shape=(0, 3), dtype=float64, device='cpu')"),
    ("float16", lambda: mg.tensor(numpy.array([1.5, 2.0], "float16")),
     "tensor([1.5, 2. ], dtype=float16, device='cpu')"),
    ("huge_is_summarised", lambda: mg.tensor(numpy.zeros(10000)),
     "tensor([0., 0., 0., ..., 0., 0., 0.], dtype=float64, device='cpu')"),
    ("variable", lambda: var([1.0], "float32"),
     "tensor([1.], dtype=float32, device='cpu', grad_req='write')"),
]


@pytest.mark.parametrize("name, make, text", REPRS, ids=[c[0] for c in REPRS])
def test_repr_of_odd_tensors(name, make, text):
    """repr of 0-d, empty, float16 and huge tensors: values, shape when hidden, dtype."""
    assert repr(make()) == text


def test_str_format_len_and_bool_of_odd_tensors():
    """len() of 0-d and bool() of several or no values are errors, as in PyTorch."""
    assert str(mg.tensor(3.0)) == "3.0" and f"{mg.tensor(3.0):.2f}" == "3.00"
    with pytest.raises(TypeError, match="0-d"):
        len(mg.tensor(3.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.tensor(numpy.zeros(0)))
    assert bool(mg.tensor([2.0])) and not bool(mg.tensor(0.0))


# ---- the d2l chapter's helpers with batch sizes that do not divide the data ----


@pytest.mark.parametrize("batch_size, sizes", [
    (1, [1] * 10), (3, [3, 3, 3, 1]), (10, [10]), (11, [10]), (100, [10]),
])
def test_data_iter_with_odd_batch_sizes_covers_every_example_once(batch_size, sizes):
    """The seed's data_iter: a short last batch, and every example exactly once."""
    random.seed(0)
    features = mg.tensor(numpy.arange(20.0).reshape(10, 2))
    labels = mg.tensor(numpy.arange(10.0))
    for it in (d2l.data_iter, d2l.fast_data_iter):
        batches = list(it(batch_size, features, labels))
        assert [len(X) for X, _ in batches] == sizes
        seen = sorted(v for _, y in batches for v in y.tolist())
        assert seen == list(range(10))
        for X, y in batches:
            numpy.testing.assert_array_equal(X.numpy()[:, 0], 2 * y.numpy())


def test_synthetic_data_shapes_and_seeding():
    w = np.array([2, -3.4])
    np.random.seed(5)
    X, y = d2l.synthetic_data(w, 4.2, 7)
    np.random.seed(5)
    X2, y2 = d2l.synthetic_data(w, 4.2, 7)
    assert X.shape == (7, 2) and y.shape == (7,) and X.dtype == y.dtype == numpy.float32
    assert X.tolist() == X2.tolist() and y.tolist() == y2.tolist()
    assert d2l.synthetic_data(np.array([[2.0], [-3.4]]), 4.2, 5)[1].shape == (5, 1)
    X0, y0 = d2l.synthetic_data(w, 4.2, 0)
    assert X0.shape == (0, 2) and list(d2l.data_iter(3, X0, y0)) == []
