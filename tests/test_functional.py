"""The functional transforms of API §3: grad, value_and_grad, hessian, hvp.

Each is checked against closed forms or finite differences, with and without an enclosing
`autograd.record()`, in float32 and float64, and for what it must not do (touch `.grad`).
"""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

RNG = numpy.random.default_rng(0)


def _x(shape, device, dtype=numpy.float64, requires_grad=False, seed=0):
    data = numpy.random.default_rng(seed).uniform(-1.5, 1.5, shape).astype(dtype)
    return mg.tensor(data, device=device, requires_grad=requires_grad)


def _fd_hessian(f, x, eps=1e-5):
    """Central differences of the analytic gradient, column by column (float64)."""
    x = numpy.array(x, dtype=numpy.float64)
    n = x.size
    gfun = mg.grad(f)
    cols = []
    for j in range(n):
        e = numpy.zeros(n)
        e[j] = eps
        e = e.reshape(x.shape)
        cols.append(((gfun(x + e).numpy() - gfun(x - e).numpy()) / (2 * eps)).reshape(-1))
    return numpy.stack(cols, axis=1).reshape(x.shape + x.shape)


# ---- grad and value_and_grad ----

# f, its gradient in closed form (NumPy), input shape
GRAD_CASES = [
    ("quartic", lambda x: (x ** 4).sum(), lambda x: 4 * x ** 3, (5,)),
    ("tanh_sum", lambda x: x.tanh().sum(), lambda x: 1 - numpy.tanh(x) ** 2, (2, 3)),
    ("exp_mean", lambda x: x.exp().mean(), lambda x: numpy.exp(x) / x.size, (4,)),
    ("sigmoid_0d", lambda x: x.sigmoid(),
     lambda x: (s := 1 / (1 + numpy.exp(-x))) * (1 - s), ()),
    ("quadratic", lambda x: (x @ x) / 2, lambda x: x, (3,)),
]


@pytest.mark.parametrize("name, f, df, shape", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
@pytest.mark.parametrize("dtype, tol", [(numpy.float32, 1e-5), (numpy.float64, 1e-12)])
def test_grad_matches_closed_form(name, f, df, shape, dtype, tol, device):
    x = _x(shape, device, dtype)
    g = mg.grad(f)(x)
    assert g.shape == x.shape and g.dtype == dtype and g.device == x.device
    assert not g.requires_grad          # outside record(): a plain tensor, no graph kept
    numpy.testing.assert_allclose(g.numpy(), df(x.numpy().astype(numpy.float64)),
                                  rtol=tol, atol=tol)


def test_grad_accepts_arrays_and_scalars():
    f = lambda x: x ** 3  # noqa: E731
    assert mg.grad(f)(2.0).item() == pytest.approx(12.0)          # Python float: float32
    assert mg.grad(f)(2.0).dtype == numpy.float32
    g = mg.grad(f)(numpy.float64(2.0))
    assert g.dtype == numpy.float64 and g.item() == 12.0
    g = mg.grad(lambda x: (x ** 3).sum())(numpy.array([1.0, -2.0]))
    numpy.testing.assert_array_equal(g.numpy(), [3.0, 12.0])


def test_grad_composes_to_third_and_fourth_order():
    f = lambda x: x ** 4  # noqa: E731
    x = numpy.array(1.5)
    expected = [4 * 1.5 ** 3, 12 * 1.5 ** 2, 24 * 1.5, 24.0, 0.0]
    d = f
    for k, value in enumerate(expected):
        d = mg.grad(d)
        assert d(x).item() == pytest.approx(value, abs=1e-12), f"order {k + 1}"


def test_grad_of_non_scalar_output_is_refused():
    with pytest.raises(mg.ShapeError, match=r"scalar.*\(3,\)"):
        mg.grad(lambda x: x * 2)(numpy.ones(3))


def test_grad_of_integer_input_is_refused():
    with pytest.raises(TypeError, match="floating-point"):
        mg.grad(lambda x: x * 2)(3)


def test_argnums_out_of_range():
    with pytest.raises(IndexError, match="argnums"):
        mg.grad(lambda a: a * 2, argnums=1)(1.0)


def test_grad_of_constant_function_is_zero():
    g = mg.grad(lambda x: mg.tensor(3.0))(numpy.array([1.0, 2.0]))
    numpy.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def _f3(a, b, c):
    return (a * b ** 2).sum() + c * 3.0


@pytest.mark.parametrize("argnums, expected", [
    (0, "b2"), (1, "2ab"), (-1, "3"), ((0,), ("b2",)), ((0, 2), ("b2", "3")),
    ((2, 1), ("3", "2ab")),
])
def test_argnums_follow_jax(argnums, expected):
    a, b, c = numpy.array([1.0, 2.0]), numpy.array([3.0, -1.0]), numpy.float64(0.5)
    closed = {"b2": b ** 2, "2ab": 2 * a * b, "3": 3.0}
    value, grads = mg.value_and_grad(_f3, argnums)(a, b, c)
    assert value.item() == pytest.approx(_f3(mg.tensor(a), mg.tensor(b), c).item())
    assert mg.grad(_f3, argnums)(a, b, c).__class__ is grads.__class__
    if isinstance(expected, str):
        assert isinstance(grads, mg.Tensor)
        numpy.testing.assert_allclose(grads.numpy(), closed[expected])
    else:
        assert isinstance(grads, tuple) and len(grads) == len(expected)
        for g, key in zip(grads, expected):
            numpy.testing.assert_allclose(g.numpy(), closed[key])


def test_same_tensor_in_two_argnums_gets_two_gradients():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    ga, gb = mg.grad(lambda a, b: (a * b * b).sum(), (0, 1))(x, x)
    numpy.testing.assert_array_equal(ga.numpy(), [1.0, 4.0])          # b²
    numpy.testing.assert_array_equal(gb.numpy(), [2.0, 8.0])          # 2ab
    ga.data[0] = 99.0        # results are the caller's: no shared or read-only memory
    assert gb.numpy()[0] == 2.0
    g = mg.grad(lambda a: a.sum())(x)      # sum's backward broadcasts a view; we copy it
    g.data[...] = 5.0
    assert x.numpy().tolist() == [1.0, 2.0]


def test_value_and_grad_value_is_detached_outside_record():
    value, g = mg.value_and_grad(lambda x: (x ** 2).sum())(numpy.array([1.0, 2.0]))
    assert value.item() == 5.0 and not value.requires_grad and not g.requires_grad


# ---- hessian ----


def test_hessian_of_quadratic_form_is_symmetrised_matrix(device):
    a = numpy.random.default_rng(1).standard_normal((4, 4))
    at = mg.tensor(a, device=device)
    h = mg.hessian(lambda x: 0.5 * (x @ (at @ x)))(_x((4,), device))
    assert h.shape == (4, 4)
    numpy.testing.assert_allclose(h.numpy(), (a + a.T) / 2, rtol=1e-12, atol=1e-12)


HESS_CASES = [
    ("tanh_outer", lambda x: (x.tanh() * x.sum()).sum(), (3,)),
    ("matrix_input", lambda x: (x.exp() @ x.T).sum() + (x ** 3).mean(), (2, 3)),
    ("log_sum_exp", lambda x: x.exp().sum().log(), (4,)),
    ("scalar", lambda x: x.sigmoid() * x ** 2, ()),
]


@pytest.mark.parametrize("name, f, shape", HESS_CASES, ids=[c[0] for c in HESS_CASES])
def test_hessian_matches_finite_differences(name, f, shape):
    x = _x(shape, "cpu", seed=2)
    h = mg.hessian(f)(x)
    assert h.shape == shape + shape and h.dtype == numpy.float64
    numpy.testing.assert_allclose(h.numpy(), _fd_hessian(f, x.numpy()), rtol=1e-6, atol=1e-7)
    flat = h.numpy().reshape(x.size, x.size)
    numpy.testing.assert_allclose(flat, flat.T, atol=1e-12)


def test_hessian_of_linear_function_is_zero():
    h = mg.hessian(lambda x: (x * 3.0).sum())(numpy.ones((2, 2)))
    assert h.shape == (2, 2, 2, 2) and not h.numpy().any()


def test_hessian_float32(device):
    x = _x((3,), device, numpy.float32)
    h = mg.hessian(lambda x: (x ** 3).sum())(x)
    assert h.dtype == numpy.float32
    numpy.testing.assert_allclose(h.numpy(), numpy.diag(6 * x.numpy()), rtol=1e-6)


# ---- hvp ----


@pytest.mark.parametrize("name, f, shape", HESS_CASES, ids=[c[0] for c in HESS_CASES])
def test_hvp_equals_hessian_times_v(name, f, shape):
    x = _x(shape, "cpu", seed=3)
    v = numpy.random.default_rng(4).standard_normal(shape)
    hv = mg.hvp(f, x, v)
    h = mg.hessian(f)(x).numpy().reshape(x.size, x.size)
    assert hv.shape == shape
    numpy.testing.assert_allclose(hv.numpy(), (h @ v.reshape(-1)).reshape(shape), rtol=1e-10,
                                  atol=1e-12)


@pytest.mark.parametrize("dtype, tol", [(numpy.float32, 1e-4), (numpy.float64, 1e-10)])
def test_hvp_closed_form(dtype, tol, device):
    """f = ½xᵀAx + Σx⁴/4 has H·v = ((A + Aᵀ)/2)·v + 3x²·v."""
    rng = numpy.random.default_rng(5)
    a = rng.standard_normal((6, 6)).astype(dtype)
    at = mg.tensor(a, device=device)
    x, v = _x((6,), device, dtype), rng.standard_normal(6).astype(dtype)
    hv = mg.hvp(lambda x: 0.5 * (x @ (at @ x)) + (x ** 4).sum() / 4, x, v)
    assert hv.dtype == dtype and not hv.requires_grad
    xn = x.numpy().astype(numpy.float64)
    expected = (a + a.T) / 2 @ v + 3 * xn ** 2 * v
    numpy.testing.assert_allclose(hv.numpy(), expected, rtol=tol, atol=tol)


def test_hvp_shape_mismatch():
    with pytest.raises(mg.ShapeError, match=r"\(2,\).*\(3,\)"):
        mg.hvp(lambda x: (x ** 2).sum(), numpy.ones(3), numpy.ones(2))


def test_hvp_records_no_hessian_sized_tensor():
    """Every tensor recorded while computing an HVP has at most d elements (no d×d)."""
    d = 30
    x = mg.tensor(numpy.linspace(-1, 1, d))
    with autograd.record() as tape:
        mg.hvp(lambda y: (y.tanh() ** 3).sum(), x, numpy.ones(d))
    assert len(tape) > 0
    assert max(int(numpy.prod(n.out_shape)) for n in tape) <= d


# ---- what the transforms must leave alone ----


def test_inputs_grad_and_data_untouched():
    x = mg.tensor(numpy.array([0.5, -1.0]))
    x.attach_grad()
    x.grad[:] = 7.0
    held, before = x.grad, x.numpy().copy()
    f = lambda y: (y ** 3).sum()  # noqa: E731
    mg.grad(f)(x)
    mg.value_and_grad(f)(x)
    mg.hessian(f)(x)
    mg.hvp(f, x, numpy.ones(2))
    with autograd.record():
        mg.grad(mg.grad(lambda y: y.tanh().sum()))(x[0])
    assert x.grad is held and x.grad.numpy().tolist() == [7.0, 7.0]
    numpy.testing.assert_array_equal(x.numpy(), before)


# ---- inside and outside an enclosing record() ----


def test_same_values_inside_and_outside_record():
    x = mg.tensor(numpy.array([0.3, -0.8]), requires_grad=True)
    f = lambda y: (y.tanh() * y ** 2).sum()  # noqa: E731
    v = numpy.array([1.0, 2.0])
    outside = [mg.grad(f)(x), mg.hessian(f)(x), mg.hvp(f, x, v)]
    with autograd.record():
        inside = [mg.grad(f)(x), mg.hessian(f)(x), mg.hvp(f, x, v)]
    for a, b in zip(outside, inside):
        assert not a.requires_grad and b.requires_grad     # inside: kept on the graph
        numpy.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-14)


def test_gradient_from_grad_differentiates_again_with_backward():
    """∂/∂x Σ x·∂(Σx³)/∂x = ∂/∂x Σ 3x³ = 9x², through the tape-level backward."""
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record() as tape:
        g = mg.grad(lambda y: (y ** 3).sum())(x)
        s = (g * x).sum()
    s.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [9.0, 36.0])
    assert tape.nodes[0].name == "alias"        # the transform's variable, on the caller's tape


def test_closure_over_the_argument_is_a_constant():
    """grad differentiates with respect to its argument only (as JAX): d/dy (y·x) at y=x is x."""
    x = mg.tensor(numpy.array([2.0, -3.0]), requires_grad=True)
    for recording in (False, True):
        with autograd.record() if recording else autograd.pause():
            g = mg.grad(lambda y: (y * x).sum())(x)
        numpy.testing.assert_array_equal(g.numpy(), x.numpy())


def test_closure_variable_gets_mixed_derivative():
    """With w recorded, ∂/∂w Σ ∂(w·x³)/∂x = Σ 3x² : the mixed second derivative."""
    w = mg.tensor(numpy.array([0.3, 0.2]), requires_grad=True)
    x = numpy.array([1.0, 2.0])
    with autograd.record():
        s = mg.grad(lambda y: (y ** 3 * w).sum())(x).sum()
    s.backward()
    numpy.testing.assert_allclose(w.grad.numpy(), 3 * x ** 2)


def test_argument_with_freed_history():
    """The transform's backward stops at its argument, so a freed graph behind it is fine."""
    a = mg.tensor(numpy.array([0.5, 1.0]), requires_grad=True)
    with autograd.record():
        y = a * 2.0
        y.sum().backward()                 # frees the node that made y
        g = mg.grad(lambda z: (z ** 2).sum())(y)
    numpy.testing.assert_allclose(g.numpy(), [2.0, 4.0])


def test_hessian_inside_record_is_differentiable():
    """Σ Hess(Σx⁴/4) = Σ 3x², whose gradient is 6x."""
    x = mg.tensor(numpy.array([0.5, -1.0, 2.0]), requires_grad=True)
    with autograd.record():
        total = mg.hessian(lambda y: (y ** 4).sum() / 4)(x).sum()
    total.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy())


def test_hvp_inside_record_is_differentiable():
    """Σ hvp(Σx⁴/4, x, v) = Σ 3x²v, whose gradient is 6xv."""
    x = mg.tensor(numpy.array([0.5, -1.0]), requires_grad=True)
    v = numpy.array([2.0, 3.0])
    with autograd.record():
        total = mg.hvp(lambda y: (y ** 4).sum() / 4, x, v).sum()
    total.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy() * v)


def test_inside_pause_results_are_plain():
    x = mg.tensor(numpy.array([1.0]), requires_grad=True)
    with autograd.record(), autograd.pause():
        g = mg.grad(lambda y: (y ** 2).sum())(x)
    assert not g.requires_grad and g.item() == 2.0
