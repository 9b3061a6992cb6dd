"""Edge cases that bit other engines (PyTorch, JAX, MXNet, autograd, micrograd, tinygrad).

Kinks, ties, singular points, empty and 0-d tensors, dtypes, in-place updates inside and
outside recording, graphs reused, split across blocks or threads. Where PyTorch is the
reference its answer is computed here, never copied.
"""
import threading
import warnings

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

try:
    import torch
except ImportError:         # the cases that compare with PyTorch skip; the rest still run
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed: the cases "
                                 "that compare with it are skipped")


def var(values, dtype="float64", req="write"):
    t = mg.tensor(numpy.asarray(values, dtype=dtype))
    t.attach_grad(req)
    return t


def amax(t, axis):
    """NumPy's max over an axis in either engine (PyTorch's max(dim) also returns indices)."""
    return t.max(axis=axis) if isinstance(t, mg.Tensor) else t.amax(axis)


def value_and_grad_both(fn, x0):
    """fn's value and gradient (of its sum) in microgradnd and in PyTorch, float64."""
    x = var(x0)
    with autograd.record():
        y = fn(x)
    y.backward()
    t = torch.tensor(numpy.asarray(x0, dtype="float64"), requires_grad=True)
    ty = fn(t)
    ty.sum().backward()
    return (y.numpy(), x.grad.numpy()), (ty.detach().numpy(), t.grad.numpy())


# ---- singular points, kinks and ties: (name, fn, x) with PyTorch's value and gradient ----

POINTS = [
    ("square_at_0", lambda x: x ** 2, [0.0, -0.0]),
    ("cube_negative", lambda x: x ** 3, [-2.0, -0.5, 0.0]),      # finite, 3x², not nan
    ("pow_int_negative_base", lambda x: x ** 4 - x ** 5, [-1.5, -3.0]),
    ("pow_zero_at_0", lambda x: x ** 0, [0.0, -1.0]),            # 1, slope 0
    ("pow_zero_float_at_0", lambda x: x ** 0.0, [0.0]),
    ("pow_one_at_0", lambda x: x ** 1, [0.0]),
    ("pow_half_at_0", lambda x: x ** 0.5, [0.0, 4.0]),           # slope inf at 0
    ("pow_fraction_negative_base", lambda x: x ** 2.5, [-1.0]),  # nan, as PyTorch
    ("pow_minus_one_at_0", lambda x: x ** -1, [0.0]),            # inf, slope -inf
    ("sqrt_at_0", lambda x: x.sqrt(), [0.0, 1.0]),               # slope inf
    ("sqrt_negative", lambda x: x.sqrt(), [-1.0]),               # nan
    ("abs_at_0", lambda x: x.abs(), [0.0, -0.0, 2.0, -2.0]),     # slope 0 at the kink
    ("relu_at_0", lambda x: x.relu(), [0.0, -0.0, 1.0, -1.0]),   # slope 0 at the kink
    ("max_ties", lambda x: x.max(), [1.0, 3.0, 3.0, 3.0]),       # ties share: 1/3 each
    ("max_all_equal", lambda x: x.max(), [2.0, 2.0]),            # MXNet #18563 gave 1 each
    ("max_axis_ties", lambda x: amax(x.reshape(2, 3), 1), [1.0, 1.0, 0.0, 5.0, 5.0, 5.0]),
    ("max_with_inf", lambda x: x.max(), [1.0, numpy.inf]),
    ("log_of_0_and_negative", lambda x: x.log(), [0.0, -1.0, 1.0]),   # -inf, nan; slope inf
    ("div_by_0", lambda x: 1.0 / x, [0.0, -0.0]),                # inf, -inf; no crash
    ("zero_over_zero", lambda x: x / x, [0.0]),                  # nan
    ("rpow_zero_base", lambda x: 0.0 ** x, [2.0, 0.0]),          # d/dx 0**x = 0 (x > 0)
    ("rpow_negative_base", lambda x: (-2.0) ** x, [2.0]),        # 4, slope nan
    ("exp_overflow", lambda x: x.exp(), [800.0, -800.0]),        # inf and 0
    ("sigmoid_saturated", lambda x: x.sigmoid(), [-800.0, 800.0, 0.0]),
    ("tanh_saturated", lambda x: x.tanh(), [-800.0, 800.0]),
    ("sum_of_empty", lambda x: x.sum(), numpy.zeros(0)),         # 0
    ("mean_of_empty", lambda x: x.mean(), numpy.zeros(0)),       # nan
    ("empty_broadcast", lambda x: x.reshape(0, 1) * 2.0 + x.reshape(1, 0), numpy.zeros(0)),
    ("same_operand", lambda x: x * x + x / x - x - x, [3.0, -2.0]),
]


@needs_torch
@pytest.mark.parametrize("name, fn, x0", POINTS, ids=[p[0] for p in POINTS])
def test_value_and_gradient_at_special_points_match_pytorch(name, fn, x0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)     # NumPy's forward warnings (1/0)
        (y, g), (ty, tg) = value_and_grad_both(fn, x0)
    assert y.shape == ty.shape and g.shape == tg.shape
    numpy.testing.assert_allclose(y, ty, rtol=1e-12, equal_nan=True)
    numpy.testing.assert_allclose(g, tg, rtol=1e-12, equal_nan=True)


def test_backward_rules_at_singular_points_do_not_warn():
    """The user wrote no division: x**0.5 at 0 and log at 0 give inf quietly, as PyTorch."""
    x, z = var([0.0, 1.0]), var([0.0, 1.0])
    with autograd.record(), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)       # the forward 1/0 is NumPy's
        y = (x ** 0.5).sum() + x.sqrt().sum() + x.log().sum()
        w = (1.0 / z).sum() + (z ** -2).sum()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
        w.backward()
    assert x.grad.tolist() == [numpy.inf, 2.0] and z.grad.tolist() == [-numpy.inf, -3.0]


@needs_torch
def test_zero_pow_zero_with_tensor_exponent():
    """0**0 = 1; PyTorch gives both gradients 0 there."""
    a, b = var([0.0, 0.0, 2.0]), var([0.0, 2.0, 0.0])
    with autograd.record():
        y = (a ** b).sum()
    y.backward()
    ta = torch.tensor([0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64, requires_grad=True)
    (ta ** tb).sum().backward()
    assert y.item() == 2.0
    numpy.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
    numpy.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


@pytest.mark.parametrize("x0, want", [(0.0, [0.0, 0.0, 6.0]), (-2.0, [12.0, -12.0, 6.0])])
def test_higher_derivatives_of_cube_at_0_and_negative(x0, want):
    f = lambda x: x ** 3  # noqa: E731
    x = mg.tensor(numpy.float64(x0))
    got = [mg.grad(f)(x).item(), mg.grad(mg.grad(f))(x).item(),
           mg.grad(mg.grad(mg.grad(f)))(x).item()]
    assert got == want


def test_second_derivative_of_square_at_0_is_2():
    x = var([0.0, 1.0])
    with autograd.record():
        (g,) = autograd.grad((x ** 2).sum(), [x], create_graph=True)
        (gg,) = autograd.grad(g.sum(), [x])
    numpy.testing.assert_array_equal(g.numpy(), [0.0, 2.0])
    numpy.testing.assert_array_equal(gg.numpy(), [2.0, 2.0])


def test_max_of_many_float16_ties_does_not_underflow():
    """tinygrad #12296: 70,000 float16 ties must each get 1/70000, not 0."""
    x = var(numpy.ones(70000), dtype="float16")
    with autograd.record():
        y = x.max()
    y.backward()
    assert x.grad.dtype == numpy.float16
    assert (x.grad.numpy() > 0).all()
    assert abs(float(x.grad.numpy().astype("float64").sum()) - 1.0) < 0.01


def test_max_of_empty_raises_shape_error_but_empty_rows_are_fine():
    with pytest.raises(mg.ShapeError):
        mg.tensor(numpy.zeros((0, 3))).max()
    with pytest.raises(mg.ShapeError):
        mg.tensor(numpy.zeros((0, 3))).max(axis=0)
    assert mg.tensor(numpy.zeros((0, 3))).max(axis=1).shape == (0,)


# ---- dtypes ----


def test_float32_stays_float32_through_ops_scalars_and_gradients():
    x = var([1.0, 2.0], dtype="float32")
    with autograd.record():
        y = ((x * 2.5 + 1) ** 2 / 3.0 - x.exp()).mean()
    y.backward(numpy.float64(1.0))                  # a float64 head grad does not promote
    assert y.dtype == numpy.float32 and x.grad.dtype == numpy.float32


def test_float32_sum_accumulates_like_numpy():
    """A million 0.1s in float32: NumPy's pairwise sum, close to 1e5 (not a naive loop's)."""
    data = numpy.full(10 ** 6, 0.1, dtype=numpy.float32)
    got = mg.tensor(data).sum()
    assert got.dtype == numpy.float32
    assert got.item() == data.sum().item()
    assert abs(got.item() - 1e5) < 1.0


def test_integer_tensors_mix_with_floats_by_numpy_rules():
    i = mg.tensor([1, 2])
    assert i.dtype == numpy.int64
    assert (i + 0.5).dtype == numpy.float64                     # NumPy 2: int + float
    assert (i * mg.tensor([0.5, 1.0])).dtype == numpy.float64
    assert (i / i).dtype == numpy.float64 and (i / i).tolist() == [1.0, 1.0]
    assert (i * 2).dtype == numpy.int64
    assert i.mean().item() == 1.5
    with pytest.raises(ValueError, match="negative integer powers"):
        i ** -1                                                 # as NumPy and PyTorch
    x = var([1.0, 2.0], dtype="float32")
    with autograd.record():
        y = (x * i).sum()       # the int constant promotes the product to float64
    y.backward()
    assert y.dtype == numpy.float64
    assert x.grad.dtype == numpy.float32 and x.grad.tolist() == [1.0, 2.0]


def test_bool_tensors():
    b = mg.tensor([True, False])
    assert b.dtype == numpy.bool_
    assert (b + b).tolist() == [True, False]
    assert (mg.tensor([1.0, 2.0]) * b).tolist() == [1.0, 0.0]
    with pytest.raises(TypeError):
        b.attach_grad()
    with pytest.raises(TypeError):
        mg.tensor([1, 2], requires_grad=True)


def test_head_grad_dtype_and_kind_do_not_matter():
    for head in [numpy.array([1.0, 1.0]), mg.tensor([1, 1]), [1, 1]]:
        x = var([1.0, 2.0], dtype="float32")
        with autograd.record():
            y = x * 2
        y.backward(head)
        assert x.grad.dtype == numpy.float32 and x.grad.tolist() == [2.0, 2.0]


def test_head_grad_of_wrong_shape_is_refused():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(mg.ShapeError, match=r"\(3,\).*\(2,\)"):
        y.backward(numpy.ones(3))


# ---- gradients and .grad ----


def test_retain_graph_twice_accumulates_with_add_and_overwrites_with_write():
    for req, want in [("add", [4.0, 8.0]), ("write", [2.0, 4.0])]:
        x = var([1.0, 2.0], req=req)
        with autograd.record():
            y = (x * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        assert x.grad.tolist() == want
    with pytest.raises(mg.GraphError, match="retain_graph=True"):
        y.backward()


def test_zero_grad_and_requires_grad_accumulate_as_pytorch():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    for _ in range(2):
        with autograd.record():
            y = (x * 3).sum()
        y.backward()
    assert x.grad.tolist() == [6.0, 6.0]
    held = x.grad
    x.zero_grad()
    assert held.tolist() == [0.0, 0.0]
    unused = mg.tensor([1.0], requires_grad=True)
    with autograd.record():
        y = (x * 3).sum()
    y.backward()
    assert x.grad.tolist() == [3.0, 3.0] and unused.grad is None


def test_grad_of_non_scalar_without_head_grad_is_grad_of_sum():
    x = var([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = x * x
    (g,) = autograd.grad(y, [x], retain_graph=True)
    numpy.testing.assert_array_equal(g.numpy(), 2 * x.numpy())
    y.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), 2 * x.numpy())


def test_grad_results_are_distinct_and_writable():
    """(a + b).sum() w.r.t. [a, b]: two arrays the caller may change independently."""
    a, b = var(numpy.ones(3)), var(numpy.ones((2, 3)))
    h = mg.tensor(numpy.arange(3.0))
    with autograd.record():
        y = (a + b).sum()
        z = a + b[0]
    ga, gb = autograd.grad(y, [a, b], retain_graph=True)
    assert ga is not gb
    ga.data += 1
    gb.data += 1            # was a read-only broadcast view
    assert ga.tolist() == [3.0] * 3 and gb.tolist() == [[2.0] * 3] * 2
    ga, gb = autograd.grad(z, [a, b], head_grads=h)
    ga.data[:] = -1
    assert h.tolist() == [0.0, 1.0, 2.0]        # the caller's head grad is untouched
    assert gb.tolist() == [[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]]


def test_backward_of_a_leaf_and_of_an_unrecorded_tensor():
    x = var([1.0, 2.0])
    x.backward()
    assert x.grad.tolist() == [1.0, 1.0]
    with pytest.raises(mg.GraphError, match="record"):
        (x * 2).backward()          # computed outside record()


# ---- graph shapes: reuse, diamonds, blocks, constants, threads ----


@needs_torch
def test_diamond_with_shared_subexpression_matches_pytorch():
    def f(x):
        a = x * x
        return (a.exp() * a.sin() + a).sum() + (a @ a if a.ndim == 1 else 0)

    (y, g), (ty, tg) = value_and_grad_both(f, [0.5, -1.2, 2.0])
    numpy.testing.assert_allclose(y, ty, rtol=1e-12)
    numpy.testing.assert_allclose(g, tg, rtol=1e-12)


@needs_torch
def test_same_tensor_as_both_matmul_operands():
    x0 = numpy.arange(6.0).reshape(2, 3)
    (y, g), (ty, tg) = value_and_grad_both(lambda x: (x @ x.T).sum() + (x.T @ x).sum(), x0)
    numpy.testing.assert_allclose(g, tg, rtol=1e-12)
    (y, g), (ty, tg) = value_and_grad_both(lambda x: x @ x, [1.0, 2.0, 3.0])
    numpy.testing.assert_allclose(g, tg, rtol=1e-12)


def test_getitem_negative_and_repeated_indices_in_2d_accumulate():
    x = var(numpy.zeros((3, 4)))
    with autograd.record():
        y = x[[-1, -1, 0], [-1, -1, 1]].sum() + x[-1].sum() + x[[0, 0]][:, 1].sum()
    y.backward()
    want = numpy.zeros((3, 4))
    want[2, 3] += 2
    want[0, 1] += 1
    want[2] += 1
    want[0, 1] += 2
    numpy.testing.assert_array_equal(x.grad.numpy(), want)


def test_detach_inside_record_blocks_the_gradient():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x.detach()).sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 2.0]


def test_result_computed_outside_record_is_a_constant():
    x = var([1.0, 2.0])
    c = x * 3                       # not recorded
    assert not c.requires_grad
    with autograd.record():
        y = (x * c).sum()
    y.backward()
    assert x.grad.tolist() == [3.0, 6.0]


def test_graph_built_across_two_record_blocks():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * x
    with autograd.record():
        z = (y * x).sum()
    z.backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_recording_is_thread_local_and_threads_differentiate_independently():
    seen, grads = [], {}

    def work(k):
        seen.append(autograd.is_recording())
        x = mg.tensor(numpy.float64(k))
        x.attach_grad()
        with autograd.record():
            y = x
            for _ in range(300):
                y = y * 1.0 + 0.0
            y = y * y
        y.backward()
        grads[k] = x.grad.item()

    with autograd.record():
        threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert seen == [False] * 4
    assert grads == {k: 2.0 * k for k in range(1, 5)}


def test_very_long_chain():
    x = var(1.0)
    with autograd.record():
        y = x
        for _ in range(50_000):
            y = y * 1.0 + 0.0
    y.backward()
    assert x.grad.item() == 1.0


def test_reshape_of_transposed_tensor_then_backward():
    x = var(numpy.arange(6.0).reshape(2, 3))
    w = numpy.arange(6.0)
    with autograd.record():
        y = (x.T.reshape(-1) * w).sum()
    y.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), w.reshape(3, 2).T)


def test_broadcasting_with_size_0_dims():
    a, b = var(numpy.zeros((0, 1))), var(numpy.ones((1, 3)))
    with autograd.record():
        y = (a * b).sum()
    y.backward()
    assert y.item() == 0.0 and a.grad.shape == (0, 1)
    numpy.testing.assert_array_equal(b.grad.numpy(), numpy.zeros((1, 3)))


# ---- in-place updates ----


def test_setitem_on_a_leaf_then_backward_raises_graph_error():
    x = var([1.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    x[0] = 5.0
    with pytest.raises(mg.GraphError, match="'mul'.*modified in place"):
        y.backward()


def test_inplace_change_of_an_output_a_backward_needs_raises():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x.exp()
        z = y.sum()
    y += 1.0                    # outside record: an update of y's data
    with pytest.raises(mg.GraphError, match="'exp'"):
        z.backward()


def test_inplace_change_that_backward_does_not_need_is_allowed():
    """y = a + b needs neither value for its gradient: PyTorch lets a change afterwards."""
    a, b = var([1.0, 2.0]), var([3.0, 4.0])
    with autograd.record():
        y = (a + b).reshape(2, 1)[:, 0].sum()
    a[0] = 10.0
    y.backward()
    assert a.grad.tolist() == [1.0, 1.0] and b.grad.tolist() == [1.0, 1.0]


def inplace_programs(m, x):
    """Three PyTorch-style in-place programs; `m` is mg or torch."""
    y = x * 2
    w = y[1:] * 3               # reads y before it is overwritten
    y[1] = x[0] ** 2
    y[0] = 5.0
    first = (y * y).sum() + w.sum()

    y = x * 1
    y[0] += 10                  # getitem, add, setitem
    second = (y * y).sum()

    buf = m.zeros(3, dtype=m.float64)
    buf[1:] = x[:2] * 2         # a constant buffer filled from variables
    buf[0] = x[2]
    third = (buf ** 2).sum()
    return first + second * 0.5 + third * 0.25


@needs_torch
def test_setitem_inside_record_is_differentiated_as_pytorch():
    x0 = numpy.array([1.0, 2.0, 3.0])
    x = var(x0)
    with autograd.record():
        out = inplace_programs(mg.np, x)
        (g,) = autograd.grad(out, [x], create_graph=True)
        gg = autograd.grad((g * g).sum(), [x])[0]
    t = torch.tensor(x0, requires_grad=True)
    tout = inplace_programs(torch, t)
    (tg,) = torch.autograd.grad(tout, [t], create_graph=True)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), [t])
    assert out.item() == tout.item()
    numpy.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)
    numpy.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12)


def test_augmented_assignment_inside_record_and_outside():
    x = var([1.0, 2.0])
    c = mg.tensor(numpy.array([1.0, 1.0]))
    with autograd.record():
        c += x * x              # recorded as c = c + x*x
        c *= x
        s = c.sum()
    s.backward()
    assert x.grad.tolist() == [3 * 1.0 + 1.0, 3 * 4.0 + 1.0]
    d = mg.tensor(numpy.array([1.0, 2.0]))
    same = d
    d += 1                      # outside record: in place, the same object
    assert d is same and d.tolist() == [2.0, 3.0]


def test_seed_style_parameter_update_outside_record():
    """The chapter's sgd: param[:] = param - lr * param.grad / batch_size, then record again."""
    w = var([1.0, 2.0])
    for _ in range(2):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w[:] = w - 0.25 * w.grad
    assert w.tolist() == [0.25, 0.5] and w.grad.tolist() == [1.0, 2.0]


# ---- aliases share the version counter: detach(), views, tensor(t) (as PyTorch) ----


def _mul_graph(shape=(2, 2)):
    x = var(numpy.arange(1.0, 1.0 + numpy.prod(shape)).reshape(shape))
    with autograd.record():
        z = (x * x).sum()           # mul saves x: an in-place change of x must be refused
    return x, z


def _rows_zeroed(x):
    for row in x:               # each row is a view of x
        row *= 0


ALIAS_CHANGES = [
    # pytorch/pytorch#6990: a detached alias changed in place; the backward needs the value
    ("detach_setitem", lambda x: x.detach().__setitem__(slice(None), 0.0)),
    ("detach_iadd", lambda x: x.detach().__iadd__(1.0)),
    # pytorch/pytorch#39150: an in-place change through a basic-slice view of a leaf
    ("view_row_imul", lambda x: x[0].__imul__(0.0)),
    ("iterated_rows", _rows_zeroed),
    ("transposed_view", lambda x: x.T.__isub__(1.0)),
    ("reshaped_view", lambda x: x.reshape(-1).__setitem__(0, 9.0)),
    ("view_of_view", lambda x: x[:, :][1:][0].__itruediv__(2.0)),
    ("tensor_of_tensor", lambda x: mg.tensor(x).__iadd__(1.0)),     # shares memory (API §1)
]


@pytest.mark.parametrize("name, change", ALIAS_CHANGES, ids=[c[0] for c in ALIAS_CHANGES])
def test_inplace_change_through_an_alias_is_refused(name, change):
    x, z = _mul_graph()
    change(x)
    with pytest.raises(mg.GraphError, match="'mul'.*modified in place"):
        z.backward()


def test_detached_output_changed_in_place_is_refused_by_the_op_that_saved_it():
    """pytorch/pytorch#6990, verbatim: out = a.sigmoid(); out.detach().zero_(); backward."""
    a = var([1.0, 2.0, 3.0])
    with autograd.record():
        out = a.sigmoid()
        s = out.sum()
    out.detach()[:] = 0.0
    assert out.tolist() == [0.0, 0.0, 0.0]          # the same memory
    with pytest.raises(mg.GraphError, match="'sigmoid'"):
        s.backward()


def test_view_of_a_result_changed_through_its_base_is_refused():
    x = var(numpy.arange(4.0))
    with autograd.record():
        y = x.exp()
        v = y[1:]                   # a view of y's memory, recorded as getitem
        z = (v * v).sum()
    y.detach()[2] = 0.0             # changes v's value too
    with pytest.raises(mg.GraphError, match="'mul'"):
        z.backward()


ALIAS_COPIES = [
    ("fancy_index_copy", lambda x: x[[0, 1]].__imul__(0.0)),    # integer arrays copy
    ("int_index_of_1d_copy", lambda x: x.reshape(-1)[0].__iadd__(5.0)),   # a 0-d copy
    ("astype_copy", lambda x: x.astype("float32").__iadd__(1.0)),
    ("np_array_copy", lambda x: mg.np.array(x).__iadd__(1.0)),
]


@pytest.mark.parametrize("name, change", ALIAS_COPIES, ids=[c[0] for c in ALIAS_COPIES])
def test_inplace_change_of_a_copy_is_not_refused(name, change):
    x, z = _mul_graph()
    change(x)
    z.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), 2 * numpy.arange(1.0, 5.0).reshape(2, 2))


def test_detached_alias_of_an_op_that_reads_nothing_may_change():
    """add and sum need no values (PyTorch allows the change); the gradient is still 1."""
    x = var([1.0, 2.0])
    with autograd.record():
        y = x + 1.0
        z = y.sum()
    d = y.detach()
    d += 1.0
    z.backward()
    assert y.tolist() == [3.0, 4.0] and x.grad.tolist() == [1.0, 1.0]


def test_recorded_setitem_gives_the_tensor_new_memory_and_leaves_old_aliases_alone():
    """After a recorded `y[0] = v`, y holds a copy: a detached alias of the old y may change."""
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 1.0
        d = y.detach()
        y[0] = x[1] * 3.0
        z = (y * y).sum()
    d += 100.0                      # the old memory; nothing recorded reads it
    z.backward()
    assert y.tolist() == [6.0, 2.0] and x.grad.tolist() == [0.0, 2 * 2.0 + 2 * 6.0 * 3.0]


@needs_torch
@pytest.mark.parametrize("how", ["numpy", "data"])
def test_changes_autograd_cannot_see_give_what_pytorch_gives(how):
    """Writes through x.numpy() or a new x.data bypass the version counter, in both engines.

    A documented limit (PyTorch #7860: `.data` is untracked): backward then uses the new
    values silently, exactly as PyTorch does.
    """
    x = var([1.0, 2.0])
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with autograd.record():
        z = (x * x).sum()
    tz = (t * t).sum()
    if how == "numpy":
        x.numpy()[0] = 10.0
        t.detach().numpy()[0] = 10.0
    else:
        x.data = numpy.array([10.0, 2.0])
        t.data = torch.tensor([10.0, 2.0], dtype=torch.float64)
    z.backward()
    tz.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


# ---- errors name what is wrong ----


@pytest.mark.parametrize("axis", [2, -3, (0, 2)])
def test_mean_over_an_out_of_range_axis_is_a_shape_error(axis):
    """numpy/numpy#15836 and jax-ml/jax#25155: mean's item count raised a bare IndexError."""
    with pytest.raises(mg.ShapeError, match=r"mean.*\(2, 3\).*out of bounds"):
        mg.tensor(numpy.ones((2, 3))).mean(axis=axis)


@needs_torch
def test_cast_to_integer_cuts_the_gradient_as_pytorch():
    """tensorflow/tensorflow#897: a round trip through int passed the gradient (1, not 0)."""
    x = var([1.4, 2.6, -3.5])
    t = torch.tensor([1.4, 2.6, -3.5], dtype=torch.float64, requires_grad=True)
    with autograd.record():
        k = (x * 2).astype("int64")
        y = (x * k + k.astype("float64") + (x > 0).astype("float64")).sum()
    (t * (t * 2).long() + (t * 2).long().double() + (t > 0).double()).sum().backward()
    y.backward()
    assert not k.requires_grad and k.dtype == numpy.int64
    numpy.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_backward_of_an_integer_result_names_its_dtype():
    """tinygrad/tinygrad#10460: a gradient through an integer tensor should raise, not give 0."""
    x = var([1.0, 2.0])
    with autograd.record():
        k = (x * 2).astype("int32")
    with pytest.raises(mg.GraphError, match="int32.*no gradient"):
        k.backward()


def _x23():
    return var(numpy.arange(6.0).reshape(2, 3))


def _backward_twice():
    x = _x23()
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    y.backward()


def _backward_with_head_grad(head):
    x = _x23()
    with autograd.record():
        y = x * 2
    y.backward(head)


def _grad_of_constant():
    x, c = _x23(), mg.tensor([1.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.grad(y, [c])


ERRORS = [
    # (name, call, exception class, regex the message must match); each message names the
    # shapes, dtypes or devices at fault and says what to do.
    # pytorch/pytorch#71098: an in-place update whose operand broadcasts to a larger shape
    ("iadd_wider_operand", lambda: mg.tensor([1.0, 2.0]).__iadd__(numpy.ones((2, 2))),
     mg.ShapeError, r"shape \(2,\).*shape \(2, 2\)"),
    ("iadd_mismatch", lambda: _x23().__isub__(numpy.ones(2)),
     mg.ShapeError, r"shape \(2, 3\).*shape \(2,\)"),
    ("setitem_mismatch", lambda: _x23().__setitem__(0, numpy.ones(5)),
     mg.ShapeError, r"\(2, 3\) at index 0 \(shape \(3,\)\).*shape \(5,\)"),
    ("setitem_out_of_range", lambda: _x23().__setitem__(9, 1.0),
     IndexError, r"index 9 does not fit a tensor of shape \(2, 3\)"),
    ("getitem_out_of_range", lambda: _x23()[2, 0], IndexError, r"\(2, 0\).*shape \(2, 3\)"),
    # numpy/numpy#8345: a broadcasting error should print both shapes
    ("add_broadcast", lambda: _x23() + mg.tensor([1.0, 2.0]),
     mg.ShapeError, r"add: shapes \(2, 3\) and \(2,\)"),
    ("radd_ndarray_broadcast", lambda: numpy.ones(2) + _x23(),
     mg.ShapeError, r"add: shapes \(2,\) and \(2, 3\)"),
    # tensorflow/tensorflow#110513: a 2-D @ 1-D mismatch must say which shapes
    ("matmul_mismatch", lambda: _x23() @ mg.tensor([1.0, 2.0]),
     mg.ShapeError, r"matmul: shapes \(2, 3\) and \(2,\)"),
    ("reshape_size", lambda: _x23().reshape(4, 2),
     mg.ShapeError, r"shape \(2, 3\) \(6 elements\) into shape \(4, 2\)"),
    ("sum_axis", lambda: _x23().sum(axis=2), mg.ShapeError, r"\(2, 3\).*axis 2"),
    ("max_axis", lambda: _x23().max(axis=-3), mg.ShapeError, r"\(2, 3\).*axis -3"),
    ("head_grad_shape", lambda: _backward_with_head_grad(numpy.ones(3)),
     mg.ShapeError, r"head_grad.*\(3,\).*\(2, 3\)"),
    ("head_grad_scalar", lambda: _backward_with_head_grad(1.0),
     mg.ShapeError, r"head_grad.*\(\).*\(2, 3\)"),
    ("head_grads_count", lambda: autograd.backward([_x23()], [None, None]),
     ValueError, r"1 heads but 2 head_grads"),
    # the PyTorch message every tracker carries ("Trying to backward through the graph a
    # second time", e.g. davda54/sam#45): name the op and the fix
    ("backward_twice", _backward_twice, mg.GraphError, r"'sum'.*retain_graph=True"),
    ("backward_not_recorded", lambda: (_x23() * 2).sum().backward(),
     mg.GraphError, r"shape \(\).*not recorded.*autograd.record"),
    ("grad_of_a_constant", _grad_of_constant, mg.GraphError, r"\(1,\).*attach_grad"),
    # apache/mxnet#16111 and jax-ml/jax#424: integers get no gradient, and say so
    ("attach_grad_int", lambda: mg.tensor([1, 2]).attach_grad(), TypeError, r"int64.*astype"),
    ("requires_grad_bool", lambda: mg.tensor([True], requires_grad=True), TypeError, r"bool"),
    ("mg_grad_int_input", lambda: mg.grad(lambda t: (t * t).sum())(mg.tensor([1, 2])),
     TypeError, r"int64.*2\.0 rather than 2"),
    ("cuda_unavailable" if not mg.cuda_is_available() else "unknown_device",
     (lambda: mg.tensor([1.0], device="cuda")) if not mg.cuda_is_available()
     else (lambda: mg.tensor([1.0], device="tpu")),
     mg.DeviceError, r"microgradnd\[cuda\]" if not mg.cuda_is_available() else r"'tpu'"),
]


@pytest.mark.parametrize("name, call, cls, pattern", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_are_the_documented_class_and_name_what_is_wrong(name, call, cls, pattern):
    with pytest.raises(cls, match=pattern) as info:
        call()
    e = info.value          # no NumPy error chained under ours ("During handling of...")
    assert e.__cause__ is None and (e.__suppress_context__ or e.__context__ is None)


@pytest.mark.skipif(not mg.cuda_is_available(), reason="mixing devices needs a GPU")
def test_mixed_devices_name_both():
    with pytest.raises(mg.DeviceError, match=r"cpu.*cuda:0|cuda:0.*cpu"):
        mg.tensor([1.0]) + mg.tensor([1.0], device="cuda")


def test_y_equals_x_and_y_equals_one_times_x_give_the_same_gradient():
    """apache/mxnet#8687: `y = x` and `y = 1 * x` gave different gradients."""
    grads = []
    for f in (lambda x: x, lambda x: 1 * x):
        x = var([1.0, 2.0])
        with autograd.record():
            y = f(x)
        y.backward(numpy.array([3.0, 4.0]))
        grads.append(x.grad.tolist())
    assert grads == [[3.0, 4.0], [3.0, 4.0]]


ZERO_D = [
    # pytorch/pytorch#102546: mean(0) of a 0-d tensor raised IndexError computing the count
    ("mean_axis_0", lambda x: x.mean(axis=0), lambda t: t.mean(dim=0)),
    ("mean_axis_-1", lambda x: x.mean(axis=-1), lambda t: t.mean(dim=-1)),
    ("sum_axis_0", lambda x: x.sum(axis=0), lambda t: t.sum(dim=0)),
    ("max_axis_-1", lambda x: x.max(axis=-1), lambda t: t.amax(dim=-1)),
    ("getitem_none", lambda x: x[None] * 2.0, lambda t: t[None] * 2.0),
    ("reshape_1_1", lambda x: x.reshape(1, 1) ** 2, lambda t: t.reshape(1, 1) ** 2),
]


@needs_torch
@pytest.mark.parametrize("name, f, tf", ZERO_D, ids=[z[0] for z in ZERO_D])
def test_reductions_and_views_of_a_0d_tensor_match_pytorch(name, f, tf):
    x = var(3.0)
    with autograd.record():
        y = f(x)
    y.backward()
    t = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    ty = tf(t)
    ty.sum().backward()
    assert y.shape == tuple(ty.shape) and y.numpy().tolist() == ty.tolist()
    assert x.grad.item() == t.grad.item()
