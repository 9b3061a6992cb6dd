"""Other engines' own tests, ported to microgradnd's API.

micrograd's test_engine.py (both tests, compared with PyTorch as there), then a selection in
the style of HIPS autograd (higher derivatives, indexing fan-out, check_grads), DeZero (the
Newton step, create_graph through `.grad`) and tinygrad (the backward pass of a small net).
"""
import math

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

torch = pytest.importorskip("torch", reason="PyTorch is not installed: ported tests skipped")


def var(value, dtype="float64"):
    """A variable holding `value` (MXNet style: attach_grad)."""
    t = mg.tensor(numpy.asarray(value, dtype=dtype))
    t.attach_grad()
    return t


# ---- micrograd: test/test_engine.py ----


def test_micrograd_sanity_check():
    x = var(-4.0)
    with autograd.record():
        z = 2 * x + 2 + x
        q = z.relu() + z * x
        h = (z * z).relu()
        y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    assert ymg.item() == ypt.item()
    assert xmg.grad.item() == xpt.grad.item()


def micrograd_more_ops(a, b, relu):
    """The expression of micrograd's test_more_ops, with `+=` as micrograd writes it."""
    c = a + b
    d = a * b + b ** 3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e ** 2
    g = f / 2.0
    g += 10.0 / f
    return g


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-6), ("float32", 1e-6)])
def test_micrograd_more_ops(dtype, tol):
    a, b = var(-4.0, dtype), var(2.0, dtype)
    with autograd.record():
        g = micrograd_more_ops(a, b, lambda t: t.relu())
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    g = micrograd_more_ops(a, b, torch.relu)
    g.backward()
    apt, bpt, gpt = a, b, g

    # micrograd's tolerance is absolute; float32 values here are ~25 and gradients ~645
    scale = 1.0 if dtype == "float64" else 1e2
    assert abs(gmg.item() - gpt.item()) < tol * scale
    assert abs(amg.grad.item() - apt.grad.item()) < tol * scale * 10
    assert abs(bmg.grad.item() - bpt.grad.item()) < tol * scale * 10
    assert gmg.dtype == numpy.dtype(dtype) and amg.grad.dtype == numpy.dtype(dtype)


# ---- HIPS autograd style: higher derivatives, closed forms ----


@pytest.mark.parametrize("x0", [-1.3, 0.0, 0.7, 2.5])
def test_nth_derivative_of_sin(x0):
    """d^n/dx^n sin x = sin(x + n pi/2), for n up to 5 by nesting mg.grad."""
    f = lambda x: x.sin()  # noqa: E731
    x = mg.tensor(numpy.float64(x0))
    for n in range(1, 6):
        f = mg.grad(f)
        numpy.testing.assert_allclose(f(x).item(), math.sin(x0 + n * math.pi / 2),
                                      rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x0", [-0.8, 0.0, 0.3, 1.7])
def test_derivatives_of_tanh(x0):
    """tanh' = 1 - t², tanh'' = -2t(1 - t²), tanh''' = (6t² - 2)(1 - t²)."""
    t = math.tanh(x0)
    expected = [1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t)]
    f = lambda x: x.tanh()  # noqa: E731
    x = mg.tensor(numpy.float64(x0))
    for want in expected:
        f = mg.grad(f)
        numpy.testing.assert_allclose(f(x).item(), want, rtol=1e-12, atol=1e-12)


def test_hessian_of_sin_of_dot():
    """autograd's test_hessian: f = sin(x·x), H = 2cos(s) I - 4 sin(s) x xᵀ."""
    x0 = numpy.random.default_rng(0).standard_normal(4)
    s = x0 @ x0
    want = 2 * math.cos(s) * numpy.eye(4) - 4 * math.sin(s) * numpy.outer(x0, x0)
    h = mg.hessian(lambda x: x.dot(x).sin())(mg.tensor(x0))
    numpy.testing.assert_allclose(h.numpy(), want, rtol=1e-10, atol=1e-12)


def to_scalar(x):
    """autograd's tests reduce with sum(sin(x)) so that every element matters differently."""
    return x.sin().sum()


HIPS_FUNCTIONS = [
    ("index_ints", lambda x: to_scalar(x[1, 0, 2]), (5, 6, 4)),
    ("index_slice", lambda x: to_scalar(x[::-1, 2:4, :]), (5, 6, 4)),
    ("index_lists", lambda x: to_scalar(x[[0, 1, 2], :]), (5, 6, 4)),
    ("index_mixed", lambda x: to_scalar(x[2, :, 1]), (5, 6, 4)),
    ("vector_slice", lambda x: to_scalar(x[2:4]), (6,)),
    ("index_slice_fanout", lambda x: to_scalar(x[::-1, 2:4, :] + x[::-1, 3:5, :]), (5, 6, 4)),
    ("index_multiple_slices", lambda x: to_scalar(x[::-1, 2:4, :][::-1, 1:2, :]), (5, 6, 4)),
    ("index_repeated_ints", lambda x: to_scalar(x[[0, 0, 3, 0]] * x[[1, 1, 1, 2]]), (4, 3)),
    ("sum_3", lambda x: to_scalar(x.sum(axis=1, keepdims=True)), (3, 4, 2)),
    ("mean_neg_axis", lambda x: to_scalar(x.mean(axis=-2)), (3, 4, 2)),
    ("max_axis", lambda x: to_scalar(x.max(axis=1)), (3, 4)),
    ("dot_self", lambda x: to_scalar(x.dot(x.T)), (3, 4)),
    ("transpose", lambda x: to_scalar(x.transpose(2, 0, 1) * x.transpose((2, 0, 1))), (3, 4, 2)),
    ("reshape_chain", lambda x: to_scalar(x.reshape(4, -1).T.reshape(-1) ** 3), (2, 2, 3)),
    ("broadcast_pow", lambda x: to_scalar((x.abs() + 1.0) ** x[0]), (3, 4)),
]


@pytest.mark.parametrize("name, fun, shape", HIPS_FUNCTIONS, ids=[h[0] for h in HIPS_FUNCTIONS])
def test_hips_check_grads(name, fun, shape):
    """autograd's check_grads: first and second order against finite differences."""
    x = numpy.random.default_rng(len(name)).standard_normal(shape)
    assert mg.gradcheck(fun, [x])
    assert mg.gradgradcheck(fun, [x])


def test_hips_broadcasting_grads():
    """Each gradient is summed back to its input's shape, (3, 1) * (1, 4) and a scalar."""
    a, b, c = var(numpy.arange(3.0).reshape(3, 1)), var(numpy.arange(4.0).reshape(1, 4)), var(2.0)
    with autograd.record():
        y = (a * b * c).sum()
    y.backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), 2.0 * 6.0 * numpy.ones((3, 1)))
    numpy.testing.assert_array_equal(b.grad.numpy(), 2.0 * 3.0 * numpy.ones((1, 4)))
    assert c.grad.shape == () and c.grad.item() == 18.0


def test_hips_getitem_accumulation():
    """A[0] + A[0] and A[[0, 0]] both send 2 to A[0]; A[1] gets nothing."""
    a = var(numpy.ones((2, 3)))
    with autograd.record():
        y = (a[0] + a[0]).sum() + a[[0, 0]].sum() + a[0, 0]
    y.backward()
    numpy.testing.assert_array_equal(a.grad.numpy(), [[5, 4, 4], [0, 0, 0]])


# ---- DeZero: steps 33-35 and the in-place check ----


def test_dezero_newton_second_derivative():
    """DeZero step 33: y = x⁴ - 2x², gx = 24 at x = 2, then gx.backward() gives 44."""
    x = var(2.0)
    with autograd.record():
        y = x ** 4 - 2 * x ** 2
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.item() == 24.0
    x.grad = None
    gx.backward()
    assert x.grad.item() == 44.0


def test_dezero_newton_iterations():
    """DeZero step 33: Newton's method on x⁴ - 2x² from 2 reaches the minimum at 1."""
    f = lambda x: x ** 4 - 2 * x ** 2  # noqa: E731
    x = mg.tensor(numpy.float64(2.0))
    seen = []
    for _ in range(10):
        x = x - mg.grad(f)(x) / mg.grad(mg.grad(f))(x)
        seen.append(x.item())
    numpy.testing.assert_allclose(seen[:3], [1.4545454545454546, 1.1510467893775467,
                                             1.0253259289766978], rtol=1e-12)
    assert abs(seen[-1] - 1.0) < 1e-12


def test_dezero_tanh_higher_order_graph_grows():
    """DeZero step 35: the nth derivative of tanh, taken by repeated .backward(create_graph)."""
    x = var(1.0)
    with autograd.record():
        y = x.tanh()
    gx = y
    values = []
    for _ in range(4):
        x.grad = None
        gx.backward(create_graph=True)
        gx = x.grad
        values.append(gx.item())
    t = math.tanh(1.0)
    s = 1 - t * t
    want = [s, -2 * t * s, (6 * t * t - 2) * s, -8 * t * (3 * t * t - 2) * s]
    numpy.testing.assert_allclose(values, want, rtol=1e-12)


def test_inplace_change_of_saved_value_is_caught():
    """PyTorch's 'modified by an inplace operation': y = x * w, then w changes, then backward."""
    x, w = var([1.0, 2.0]), mg.tensor(numpy.array([3.0, 4.0]))
    with autograd.record():
        y = (x * w).sum()
    w += 1.0
    with pytest.raises(mg.GraphError, match="modified in place"):
        y.backward()


# ---- tinygrad: test/test_tensor.py's backward pass ----


def log_softmax(x, mod):
    """tinygrad's log_softmax on the last axis, written with the API's ops."""
    m = x.max(axis=-1, keepdims=True) if mod is mg else x.amax(-1, keepdim=True)
    z = x - m
    return z - z.exp().sum(-1, keepdims=True).log() if mod is mg else \
        z - z.exp().sum(-1, keepdim=True).log()


def test_tinygrad_backward_pass():
    rng = numpy.random.default_rng(1337)
    x_init, w_init, m_init = (rng.standard_normal(s) for s in [(1, 3), (3, 3), (1, 3)])

    x, w, m = var(x_init), var(w_init), mg.tensor(m_init)
    with autograd.record():
        out = log_softmax(x.dot(w).relu(), mg)
        out = (out * m + m).sum()
    out.backward()

    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x_init, w_init))
    tm = torch.tensor(m_init)
    tout = (log_softmax((tx @ tw).relu(), torch) * tm + tm).sum()
    tout.backward()

    numpy.testing.assert_allclose(out.item(), tout.item(), rtol=1e-12)
    numpy.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
