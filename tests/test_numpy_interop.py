"""NumPy's own functions on Tensors: numpy.exp(t) must not silently drop the gradient.

Differentiable ufuncs dispatch to microgradnd's ops (NEP 13, as MXNet 2's np arrays do);
numpy.sum/mean/max/reshape/transpose reach the Tensor methods; any other ufunc gives a
constant Tensor, and refuses, inside record(), a tensor that needs a gradient.
"""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

A = numpy.array([[0.5, 1.5, 2.0], [1.0, 0.25, 3.0]])
B = numpy.array([2.0, 0.5, 1.5])

# name: (written with NumPy's functions, written with Tensor methods); both take a Tensor.
SAME_AS_METHODS = {
    "add": (lambda t: numpy.add(t, B), lambda t: t + B),
    "radd": (lambda t: B + t, lambda t: t + B),
    "subtract": (lambda t: numpy.subtract(B, t), lambda t: B - t),
    "multiply": (lambda t: numpy.multiply(t, t), lambda t: t * t),
    "divide": (lambda t: numpy.divide(B, t), lambda t: B / t),
    "power": (lambda t: numpy.power(t, 3), lambda t: t ** 3),
    "matmul": (lambda t: numpy.matmul(t, B), lambda t: t @ B),
    "negative": (lambda t: numpy.negative(t), lambda t: -t),
    "exp": (lambda t: numpy.exp(t), lambda t: t.exp()),
    "log": (lambda t: numpy.log(t), lambda t: t.log()),
    "sqrt": (lambda t: numpy.sqrt(t), lambda t: t.sqrt()),
    "abs": (lambda t: numpy.abs(t), lambda t: t.abs()),
    "tanh": (lambda t: numpy.tanh(t), lambda t: t.tanh()),
    "sin": (lambda t: numpy.sin(t), lambda t: t.sin()),
    "cos": (lambda t: numpy.cos(t), lambda t: t.cos()),
    "numpy scalar": (lambda t: numpy.float64(2.0) * t, lambda t: 2.0 * t),
    "sum": (lambda t: numpy.sum(t, axis=1, keepdims=True), lambda t: t.sum(1, True)),
    "mean": (lambda t: numpy.mean(t, axis=0), lambda t: t.mean(0)),
    "max": (lambda t: numpy.max(t), lambda t: t.max()),
    "reshape": (lambda t: numpy.reshape(t, (3, 2)) * B[:2], lambda t: t.reshape(3, 2) * B[:2]),
    "transpose": (lambda t: numpy.transpose(t) * B[:2], lambda t: t.T * B[:2]),
}


def _value_and_grad(f, values):
    x = mg.tensor(values)
    x.attach_grad()
    with autograd.record():
        y = f(x)
        loss = (y * y).sum()
    assert isinstance(y, mg.Tensor)
    loss.backward()
    return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("name", SAME_AS_METHODS)
def test_numpy_functions_on_tensors_differentiate_like_the_methods(name):
    with_numpy, with_methods = SAME_AS_METHODS[name]
    value, grad = _value_and_grad(with_numpy, A)
    expected_value, expected_grad = _value_and_grad(with_methods, A)
    numpy.testing.assert_allclose(value, expected_value, rtol=1e-12)
    numpy.testing.assert_allclose(grad, expected_grad, rtol=1e-12)
    assert numpy.any(grad != 0)


def test_numpy_functions_pass_gradcheck_and_gradgradcheck():
    def f(t):
        return numpy.sum(numpy.tanh(numpy.exp(t) * B) / numpy.sqrt(t))
    x = mg.tensor(A)
    assert mg.gradcheck(f, [x]) and mg.gradgradcheck(f, [x])


# (floor is an op: numpy.floor(t) records it, with its derivative 0, as PyTorch; ceil is not)
@pytest.mark.parametrize("ufunc", [numpy.greater, numpy.isnan, numpy.ceil, numpy.sign])
def test_constant_ufuncs_give_constant_tensors_even_while_recording(ufunc):
    x = mg.tensor(A)
    x.attach_grad()
    args = (x, 1.0) if ufunc.nin == 2 else (x,)
    with autograd.record():
        out = ufunc(*args)
    assert isinstance(out, mg.Tensor) and not out.requires_grad
    numpy.testing.assert_array_equal(out.numpy(), ufunc(*[numpy.asarray(a) for a in args]))


def test_other_ufuncs_refuse_a_variable_while_recording_and_compute_otherwise():
    x = mg.tensor(A)
    x.attach_grad()
    with autograd.record(), pytest.raises(TypeError, match="numpy.expm1 cannot be diff"):
        numpy.expm1(x)
    out = numpy.expm1(x)                       # outside record(): nothing to lose
    assert isinstance(out, mg.Tensor)
    numpy.testing.assert_allclose(out.numpy(), numpy.expm1(A))
    with autograd.record(), pytest.raises(TypeError, match="numpy.add.reduce"):
        numpy.add.reduce(x)


def test_in_place_numpy_update_with_a_tensor_and_refused_out():
    host = numpy.zeros(3)
    host += mg.tensor(B)                       # the array is updated, as with any array-like
    numpy.testing.assert_array_equal(host, B)
    with pytest.raises(TypeError, match="out= is not supported"):
        numpy.sum(mg.tensor(B), out=numpy.zeros(()))
    with pytest.raises(ValueError, match="order='C'"):
        mg.tensor(A).reshape(3, 2, order="F")


def test_reductions_take_numpys_dtype_argument():
    x = mg.tensor(A.astype(numpy.float32))
    assert numpy.sum(x, dtype=numpy.float64).dtype == numpy.float64
    assert x.mean(dtype="float64").dtype == numpy.float64
