"""The `np` facade (API §6): names, NumPy's argument names, dtype rules, devices, seeding."""
import inspect

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, np

API_NAMES = ["array", "zeros", "ones", "arange", "dot", "matmul", "exp", "log", "sum", "mean",
             "abs", "sqrt", "tanh"]


def test_api_names_exist_and_random_namespace():
    for name in API_NAMES:
        assert callable(getattr(np, name)), name
    for name in ("normal", "uniform", "seed"):
        assert callable(getattr(np.random, name)), name
    assert np.ndarray is mg.Tensor


# NumPy's own parameter names and defaults, in NumPy's order (extra keywords come after).
SIGNATURES = [
    (np.random.normal, numpy.random.normal, ["loc", "scale", "size"]),
    (np.random.uniform, numpy.random.uniform, ["low", "high", "size"]),
    (np.zeros, numpy.zeros, ["shape", "dtype"]),
    (np.ones, numpy.ones, ["shape", "dtype"]),
]


@pytest.mark.parametrize("ours, theirs, names", SIGNATURES,
                         ids=lambda x: getattr(x, "__name__", None))
def test_numpy_argument_names_and_defaults(ours, theirs, names):
    params = list(inspect.signature(ours).parameters.values())
    assert [p.name for p in params[:len(names)]] == names
    assert "device" in inspect.signature(ours).parameters
    defaults = {p.name: p.default for p in params}
    if theirs is numpy.random.normal:
        assert (defaults["loc"], defaults["scale"], defaults["size"]) == (0.0, 1.0, None)
    if theirs is numpy.random.uniform:
        assert (defaults["low"], defaults["high"], defaults["size"]) == (0.0, 1.0, None)


def test_keyword_calls_as_in_numpy():
    assert np.random.normal(loc=1.0, scale=0.0, size=(2, 3)).tolist() == [[1.0] * 3] * 2
    assert np.random.uniform(low=2.0, high=2.0, size=4).tolist() == [2.0] * 4
    assert np.arange(start=1, stop=7, step=2).tolist() == [1, 3, 5]
    assert np.sum(a=np.ones((2, 3)), axis=0, keepdims=True).shape == (1, 3)
    assert np.mean(np.arange(4.0), axis=0).item() == 1.5


# (call, expected dtype, expected shape)
CREATION = [
    (lambda d: np.array([2, -3.4], device=d), numpy.float32, (2,)),
    (lambda d: np.array([1, 2, 3], device=d), numpy.float32, (3,)),     # MXNet: float32
    (lambda d: np.array([1, 2, 3], dtype="int64", device=d), numpy.int64, (3,)),
    (lambda d: np.array(4.2, device=d), numpy.float32, ()),
    (lambda d: np.array([True, False], device=d), numpy.float32, (2,)),
    (lambda d: np.array(numpy.array([True, False]), device=d), numpy.bool_, (2,)),
    (lambda d: np.array(numpy.ones(3), device=d), numpy.float64, (3,)),   # arrays keep dtype
    (lambda d: np.array([1, 2], dtype="float64", device=d), numpy.float64, (2,)),
    (lambda d: np.zeros(1, device=d), numpy.float32, (1,)),
    (lambda d: np.zeros((2, 3), dtype=np.int64, device=d), numpy.int64, (2, 3)),
    (lambda d: np.ones((2,), device=d), numpy.float32, (2,)),
    (lambda d: np.arange(5, device=d), numpy.float32, (5,)),
    (lambda d: np.arange(5, dtype="int64", device=d), numpy.int64, (5,)),
    (lambda d: np.arange(0, 1, 0.25, device=d), numpy.float32, (4,)),
    (lambda d: np.arange(3, dtype="float32", device=d), numpy.float32, (3,)),
    (lambda d: np.random.normal(0, 0.01, (2, 1), device=d), numpy.float32, (2, 1)),
    (lambda d: np.random.normal(0, 1, 5, dtype="float64", device=d), numpy.float64, (5,)),
    (lambda d: np.random.normal(device=d), numpy.float32, ()),
    (lambda d: np.random.uniform(size=(3,), device=d), numpy.float32, (3,)),
    (lambda d: np.random.randint(10, size=4, device=d), numpy.int64, (4,)),
    (lambda d: np.full((2,), 7, device=d), numpy.float32, (2,)),
    (lambda d: np.linspace(0, 1, 5, device=d), numpy.float32, (5,)),
]


@pytest.mark.parametrize("make, dtype, shape", CREATION)
def test_creation_dtype_shape_device(make, dtype, shape, device):
    t = make(device)
    assert isinstance(t, mg.Tensor)
    assert t.dtype == dtype and t.shape == shape
    assert t.device == mg.tensor(0.0, device=device).device


def test_creation_values():
    assert np.zeros((2, 2)).tolist() == [[0, 0], [0, 0]]
    assert np.ones(3).tolist() == [1, 1, 1]
    assert np.arange(2, 8, 3).tolist() == [2, 5]
    assert np.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert np.full((2,), 0.5).tolist() == [0.5, 0.5]
    assert np.zeros_like(np.ones((2, 3), dtype="float64")).dtype == numpy.float64
    assert np.ones_like(np.arange(3)).tolist() == [1, 1, 1]


def test_array_copies_like_numpy_but_tensor_shares():
    src = numpy.arange(3.0)
    copied, shared = np.array(src), mg.tensor(src)
    src[0] = 9.0
    assert copied.tolist() == [0.0, 1.0, 2.0] and shared.tolist() == [9.0, 1.0, 2.0]
    t = np.ones(2)
    t.attach_grad()
    c = np.array(t)
    c[0] = 5.0
    assert t.tolist() == [1.0, 1.0] and not c.requires_grad
    assert np.asarray(t) is t


def test_array_of_int_indices_indexes_a_tensor():
    x = np.arange(10) * 2
    assert x[np.array([3, 1])].tolist() == [6, 2]


def test_seed_makes_draws_reproducible(device):
    draws = []
    for _ in range(2):
        np.random.seed(42)
        draws.append((np.random.normal(0, 1, (3,), device=device).numpy(),
                      np.random.uniform(-1, 1, (2,), device=device).numpy()))
    numpy.testing.assert_array_equal(draws[0][0], draws[1][0])
    numpy.testing.assert_array_equal(draws[0][1], draws[1][1])
    np.random.seed(43)
    assert not numpy.array_equal(np.random.normal(0, 1, (3,), device=device).numpy(),
                                 draws[0][0])


def test_distribution_moments():
    np.random.seed(0)
    x = np.random.normal(3.0, 0.5, (20000,)).numpy()
    assert abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 0.5) < 0.02
    u = np.random.uniform(-2.0, 4.0, (20000,)).numpy()
    assert u.min() >= -2.0 and u.max() < 4.0 and abs(u.mean() - 1.0) < 0.05


MATH = [  # (facade function, NumPy reference, input)
    (np.exp, numpy.exp, [0.5, -1.0, 2.0]),
    (np.log, numpy.log, [0.5, 1.0, 3.0]),
    (np.sqrt, numpy.sqrt, [0.25, 1.0, 9.0]),
    (np.abs, numpy.abs, [-1.5, 0.0, 2.0]),
    (np.tanh, numpy.tanh, [-1.0, 0.0, 0.5]),
    (np.sum, numpy.sum, [[1.0, 2.0], [3.0, 4.0]]),
    (np.mean, numpy.mean, [[1.0, 2.0], [3.0, 4.0]]),
]


@pytest.mark.parametrize("ours, ref, values", MATH, ids=lambda x: getattr(x, "__name__", None))
def test_unary_math_matches_numpy_and_accepts_any_operand(ours, ref, values, device):
    expected = ref(numpy.asarray(values, dtype=numpy.float32))
    for arg in (mg.tensor(values, device=device), values):
        if not isinstance(arg, mg.Tensor) and device != "cpu":
            continue        # a list always lands on the default device
        out = ours(arg)
        assert isinstance(out, mg.Tensor) and out.dtype == numpy.float32
        numpy.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert isinstance(ours(numpy.asarray(values)), mg.Tensor)


def test_scalar_operands():
    assert np.exp(0.0).item() == 1.0 and np.exp(0.0).dtype == numpy.float32
    assert np.sqrt(4).item() == 2.0
    assert np.dot(2.0, np.ones(3)).tolist() == [2.0, 2.0, 2.0]


def test_dot_and_matmul(device):
    a = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    b = numpy.arange(3, dtype=numpy.float32)
    ta, tb = mg.tensor(a, device=device), mg.tensor(b, device=device)
    numpy.testing.assert_allclose(np.dot(ta, tb).numpy(), a @ b)
    numpy.testing.assert_allclose(np.matmul(ta, ta.T).numpy(), a @ a.T)
    numpy.testing.assert_allclose(np.dot(a, b).numpy(), a @ b)       # plain arrays
    if device == "cpu":
        numpy.testing.assert_allclose(np.dot(ta, b).numpy(), a @ b)      # mixed
    else:       # a host array never meets a GPU tensor silently (docs/gpu.md, rule 2)
        with pytest.raises(mg.DeviceError, match="cpu"):
            np.dot(ta, b)
    assert np.dot(ta, tb).dtype == numpy.float32


def test_facade_functions_are_differentiable(device):
    x = np.array([0.5, 1.0, 2.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = np.sum(np.exp(x) + np.log(x) + np.sqrt(x) + np.tanh(x) + np.abs(x)) \
            + np.mean(np.dot(x, x))
    y.backward()
    xv = numpy.array([0.5, 1.0, 2.0])
    expected = numpy.exp(xv) + 1 / xv + 0.5 / numpy.sqrt(xv) + 1 - numpy.tanh(xv) ** 2 + 1 \
        + 2 * xv
    numpy.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)


def test_unknown_device_is_refused():
    with pytest.raises(mg.DeviceError):
        np.zeros(2, device="tpu")
    if not mg.cuda_is_available():
        with pytest.raises(mg.DeviceError, match="pip install"):
            np.random.normal(size=2, device="cuda")
