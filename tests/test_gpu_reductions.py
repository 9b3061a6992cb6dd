"""GPU sums take the fast spellings (a flat sum, a ones-vector product) and give NumPy's answer.

CuPy's own reduction over a leading axis is 100-160x slower than it should be (docs/gpu.md), so
backend.reduce_sum spells those sums differently. Under the fake CuPy (tests/fake_cupy.py), CI
proves the slow reduction is never called: the fake logs every sum CuPy would run slowly.
Tests are named `cuda` so that test_fake_cupy.py's runs under the fake pick them up.
"""
import contextlib
import sys

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, backend, ops

needs_cuda = pytest.mark.skipif(not mg.cuda_is_available(),
                                reason="needs CuPy and a GPU, or MICROGRADND_FAKE_CUPY=1")


def _fake():
    """The fake CuPy when it is the one in use (its log of slow sums), else None."""
    fake = sys.modules.get("fake_cupy")
    return fake if fake is not None and backend._import_cupy() is fake else None


class _NoSlowSums:
    """`with _NoSlowSums():` fails when a sum inside runs CuPy's slow reduction (fake only)."""

    def __enter__(self):
        self.fake = _fake()
        if self.fake is not None:
            self.fake.slow_sums.clear()

    def __exit__(self, *exc):
        if self.fake is not None and exc[0] is None:
            assert self.fake.slow_sums == [], f"CuPy's slow reduction ran: {self.fake.slow_sums}"


def _data(shape, dtype, seed=0):
    rng = numpy.random.default_rng(seed)
    if numpy.dtype(dtype).kind == "b":
        return rng.random(shape) < 0.5
    if numpy.dtype(dtype).kind in "iu":
        return rng.integers(-50, 50, shape).astype(dtype)
    return rng.random(shape).astype(dtype)     # positive: no cancellation, relative errors read


TOL = {numpy.float16: 2e-3, numpy.float32: 2e-6, numpy.float64: 1e-13}

SUMS = [    # shape, axis, keepdims: every case big enough for the fast path
    ((10_000, 1), 0, False), ((10_000, 1), -2, True), ((10_000, 1), (0,), False),
    ((10_000, 1), None, False), ((10_000, 1), (0, 1), True),
    ((5_000, 8), 0, False), ((5_000, 8), -2, True), ((5_000, 8), (0,), False),
    ((5_000, 8), (-1, 0), False), ((5_000, 8), None, True),
    ((20, 30, 16), (0, 1), False), ((20, 30, 16), (-3, -2), True), ((20, 30, 16), 0, False),
    ((20, 30, 16), (1, 0), True), ((20, 30, 16), None, False),
    ((3, 5_000), 0, False),                     # a short leading axis: still the gemv
    ((5_000, 8), 1, False), ((5_000, 8), -1, True),     # last axes: CuPy's own, fast
]


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.float16])
@pytest.mark.parametrize("shape, axis, keepdims", SUMS)
def test_cuda_sum_is_fast_and_equals_numpy(shape, axis, keepdims, dtype):
    host = _data(shape, dtype)
    gpu = backend.as_array(host, device="cuda:0")
    assert gpu.size >= backend.FAST_SUM_MIN_SIZE
    with _NoSlowSums():
        got = backend.reduce_sum(gpu, axis, keepdims)
    want = host.astype(numpy.float64).sum(axis=axis, keepdims=keepdims)
    assert got.dtype == host.sum(axis=axis).dtype == dtype
    assert got.shape == want.shape
    numpy.testing.assert_allclose(backend.to_host(got).astype(numpy.float64), want,
                                  rtol=TOL[dtype], atol=0)


# Views the walk meets: a sum's gradient is a broadcast view, a transpose's a strided one.
VIEWS = [
    ("transposed", lambda xp, a: a.T, (8, 5_000), 0, True),
    ("column slice", lambda xp, a: a[:, ::2], (5_000, 8), (0,), True),
    ("broadcast rows", lambda xp, a: xp.broadcast_to(a, (5_000, 8)), (1, 8), 0, True),
    ("broadcast scalar", lambda xp, a: xp.broadcast_to(a, (5_000, 1)), (), (0,), True),
    ("broadcast, all summed", lambda xp, a: xp.broadcast_to(a, (50, 40, 8)), (40, 1), None,
     True),
    ("broadcast kept axis", lambda xp, a: xp.broadcast_to(a, (5_000, 8)), (5_000, 1), 0, False),
]


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float16])
@pytest.mark.parametrize("name, view, shape, axis, fast", VIEWS, ids=[v[0] for v in VIEWS])
def test_cuda_sum_of_a_view_equals_numpy(name, view, shape, axis, fast, dtype):
    host = _data(shape, dtype)
    gpu = backend.as_array(host, device="cuda:0")
    gpu_view, host_view = view(backend.xp_of(gpu), gpu), view(numpy, host)
    with _NoSlowSums() if fast else contextlib.nullcontext():
        got = backend.reduce_sum(gpu_view, axis, False)
    want = host_view.astype(numpy.float64).sum(axis=axis)
    assert got.dtype == dtype and got.shape == want.shape
    numpy.testing.assert_allclose(backend.to_host(got).astype(numpy.float64), want,
                                  rtol=TOL[dtype], atol=0)


SUM_TO = [  # x's shape, the shape summed down to: the walk's unbroadcast of a bias gradient
    ((10_000, 1), (1,)), ((10_000, 1), (1, 1)), ((10_000, 1), ()),
    ((5_000, 8), (8,)), ((5_000, 8), (1, 8)), ((5_000, 8), (1, 1)),
    ((20, 30, 16), (16,)), ((20, 30, 16), (30, 16)), ((20, 30, 16), (1, 1, 16)),
    ((20, 30, 16), (1, 16)),
]


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64, numpy.float16])
@pytest.mark.parametrize("shape, to", SUM_TO)
def test_cuda_sum_to_is_fast_and_equals_numpy(shape, to, dtype):
    host = _data(shape, dtype)
    with _NoSlowSums():
        got = ops.sum_to(mg.tensor(host, device="cuda"), to)
    want = ops.sum_to(mg.tensor(host.astype(numpy.float64)), to).data
    assert got.device == "cuda:0" and got.dtype == dtype and got.shape == want.shape == to
    numpy.testing.assert_allclose(got.numpy().astype(numpy.float64), want, rtol=TOL[dtype],
                                  atol=0)


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.int32, numpy.int64, numpy.uint8, numpy.bool_])
@pytest.mark.parametrize("shape, axis, keepdims", SUMS[:8])
def test_cuda_integer_sums_are_cupys_own_with_numpys_dtype(shape, axis, keepdims, dtype):
    host = _data(shape, dtype)
    got = backend.reduce_sum(backend.as_array(host, device="cuda:0"), axis, keepdims)
    want = host.sum(axis=axis, keepdims=keepdims)
    assert got.dtype == want.dtype and got.shape == want.shape
    assert numpy.array_equal(backend.to_host(got), want)


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float16, numpy.int32])
@pytest.mark.parametrize("axis", [0, -1, None])
@pytest.mark.parametrize("keepdims", [False, True])
def test_cuda_sum_of_a_0d_array_over_axis_0_gives_its_value(axis, keepdims, dtype):
    host = numpy.asarray(3, dtype)
    got = backend.reduce_sum(backend.as_array(host, device="cuda:0"), axis, keepdims)
    want = host.sum(axis=axis, keepdims=keepdims)
    assert got.shape == () and got.dtype == want.dtype and backend.to_host(got) == want
    t = mg.tensor(host, device="cuda")
    assert t.sum(axis).item() == t.mean(axis).item() == 3      # what the tinygrad rows do


@needs_cuda
@pytest.mark.parametrize("axis", [(0,), 1, (0, -1)])
def test_cuda_sum_of_a_0d_array_refuses_other_axes_as_numpy(axis):
    with pytest.raises(mg.ShapeError, match="out of bounds"):
        mg.tensor(3.0, device="cuda").sum(axis)
    with pytest.raises(mg.ShapeError, match="out of bounds"):
        mg.tensor(3.0).sum(axis)


def test_reduce_sum_on_numpy_is_numpys_sum():
    x = _data((50, 3, 4), numpy.float32)
    for axis in (None, 0, -1, (0, 2)):
        for keepdims in (False, True):
            got = backend.reduce_sum(x, axis, keepdims)
            want = x.sum(axis=axis, keepdims=keepdims)
            assert type(got) is type(want) and got.dtype == want.dtype
            assert numpy.array_equal(got, want)
    assert backend.reduce_sum(numpy.asarray(2.0), 0).item() == 2.0


# ---- gradients through the fast sums: the same on the GPU as on the CPU ----


def _grads(f, arrays, device):
    """f's value and d f / d each array, on `device`, as host arrays."""
    xs = [mg.tensor(a, device=device) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = f(*xs)
    y.backward()
    return [y.numpy()] + [x.grad.numpy() for x in xs]


GRADS = [
    ("sum(axis=0)", lambda x: (x * x).sum(axis=0), [(5_000, 8)]),
    ("sum(axis=0) of a column", lambda x: (x * x).sum(axis=0), [(10_000, 1)]),
    ("sum(axis=(0, 1))", lambda x: (x * x).sum(axis=(0, 1), keepdims=True), [(20, 30, 16)]),
    ("mean(axis=0)", lambda x: (x * x).mean(axis=0), [(5_000, 8)]),
    ("mean(axis=-2) of a column", lambda x: (x * x).mean(axis=-2), [(10_000, 1)]),
    ("bias add (1,)", lambda X, b: ((X + b) ** 2 / 2), [(10_000, 1), (1,)]),
    ("bias add (d,)", lambda X, b: ((X + b) ** 2 / 2), [(5_000, 8), (8,)]),
    ("bias add (b, d)", lambda X, b: ((X * b) ** 2), [(20, 30, 16), (30, 16)]),
    ("linreg", lambda X, w, b: (X @ w + b).sum(), [(5_000, 8), (8, 1), (1,)]),
]


@needs_cuda
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
@pytest.mark.parametrize("name, f, shapes", GRADS, ids=[g[0] for g in GRADS])
def test_cuda_gradients_through_sums_equal_the_cpus(name, f, shapes, dtype):
    arrays = [_data(s, dtype, seed=i) for i, s in enumerate(shapes)]
    with _NoSlowSums():
        gpu = _grads(f, arrays, "cuda")
    cpu = _grads(f, arrays, "cpu")
    for g, c in zip(gpu, cpu):
        assert g.dtype == c.dtype == dtype and g.shape == c.shape
        numpy.testing.assert_allclose(g, c, rtol=TOL[dtype] * 10, atol=0)


@needs_cuda
def test_cuda_the_fake_logs_cupys_own_slow_sum():
    fake = _fake()
    if fake is None:
        pytest.skip("the log of slow sums is the fake CuPy's; a real GPU has none")
    a = fake.ones((10_000, 2), fake.float32)
    fake.slow_sums.clear()
    a.sum(axis=1)
    a.sum()
    fake.ones((100, 2), fake.float32).sum(axis=0)      # small: fast enough
    assert fake.slow_sums == []
    a.sum(axis=0)
    numpy.sum(a, axis=(0, 1))
    numpy.add.reduce(a)
    assert fake.slow_sums == [((10_000, 2), (0,)), ((10_000, 2), (0, 1)), ((10_000, 2), (0,))]
    with pytest.raises(numpy.exceptions.AxisError):
        fake.asarray(1.0).sum(axis=0)       # CuPy refuses what NumPy takes


@needs_cuda
def test_cuda_device_of_names_one_string_per_gpu():
    gpu = backend.as_array(numpy.ones(3, numpy.float32), device="cuda:0")
    assert backend.device_of(gpu) == "cuda:0" and backend.device_of(gpu) is backend.device_of(gpu)
    assert backend.device_of(numpy.ones(3)) == "cpu"
