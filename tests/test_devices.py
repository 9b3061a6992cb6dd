"""Devices: placement, .to() with gradients across the copy, mixed-device errors, the install
hint, the default device, host transfer, and the op table run on every backend against the CPU.
"""
import operator
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, backend

HINT = re.escape('pip install "microgradnd[cuda]"')
needs_cuda = pytest.mark.skipif(not mg.cuda_is_available(),
                                reason="needs CuPy and a GPU (none visible here)")


def _name(device):
    """The normalized name of a fixture device: 'cuda' is 'cuda:0'."""
    return "cuda:0" if device == "cuda" else device


@pytest.fixture
def restore_default_device():
    yield
    backend.set_default_device("cpu")


# ---- placement ----


def test_cpu_is_the_default():
    t = mg.tensor([1.0, 2.0])
    assert mg.get_default_device() == "cpu"
    assert t.device == "cpu" and type(t.data) is numpy.ndarray


def test_tensor_lands_on_the_device_asked_for(device):
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert t.device == _name(device)
    assert type(t.data) is backend.xp_for(_name(device)).ndarray
    assert t.dtype == numpy.float32
    numpy.testing.assert_array_equal(t.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    # Results of ops stay on the device of their inputs.
    u = (t * 2.0 + t) @ t
    assert u.device == _name(device)
    numpy.testing.assert_allclose(u.numpy(), 3 * numpy.array([[7.0, 10.0], [15.0, 22.0]]))


@pytest.mark.parametrize("given, expected", [
    ("cpu", "cpu"),
    (None, "cpu"),
])
def test_device_names_normalize(given, expected):
    assert backend.normalize_device(given) == expected


@pytest.mark.parametrize("bad", ["tpu", "cuda:x", "gpu0", "cuda:-1"])
def test_unknown_device_names_raise(bad):
    with pytest.raises(mg.DeviceError, match="unknown device"):
        mg.tensor([1.0], device=bad)


def test_cuda_normalizes_to_cuda_0(device):
    assert backend.normalize_device(device) == _name(device)


@needs_cuda
def test_cuda_a_gpu_index_past_the_last_raises():     # "cuda": the fake CuPy run selects it
    count = backend.cuda_device_count()
    with pytest.raises(mg.DeviceError, match=f"has {count} GPU"):
        mg.tensor([1.0], device=f"cuda:{count}")


# ---- .to(): a differentiable copy ----


@pytest.mark.parametrize("src", ["cpu", "device"])
def test_gradient_flows_back_across_to(device, src):
    src = _name(device) if src == "device" else "cpu"
    dst = "cpu" if src != "cpu" else _name(device)
    x = mg.tensor([1.0, -2.0, 3.0], device=src)
    x.attach_grad()
    with autograd.record() as tape:
        y = x.to(dst)
        loss = (y * y * 0.5).sum()
    assert y.device == dst
    assert ("to_device" in [n.name for n in tape]) == (src != dst)
    loss.backward()
    assert x.grad.device == src
    numpy.testing.assert_allclose(x.grad.numpy(), [1.0, -2.0, 3.0])


def test_second_derivative_across_to(device):
    x = mg.tensor([0.5, 2.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = (x.to(device) ** 3).sum()
    (g,) = autograd.grad(y, [x], create_graph=True)      # 3x², back on the CPU
    assert g.device == "cpu"
    with autograd.record():
        s = g.sum()
    s.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 6 * numpy.array([0.5, 2.0]))


def test_to_the_same_device_is_the_same_tensor(device):
    t = mg.tensor([1.0], device=device)
    assert t.to(device) is t


# ---- mixed devices ----


class _FakeGpuArray:
    """Just enough of a CuPy array for the device checks, so they also run without a GPU."""

    def __init__(self, device_id):
        self.device = types.SimpleNamespace(id=device_id)
        self.shape, self.dtype, self.ndim = (2,), numpy.dtype("float32"), 1


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.matmul, operator.lt, operator.eq])
def test_device_check_names_both_devices_without_a_gpu(op):
    cpu = mg.tensor([1.0, 2.0])
    gpu0 = mg.core._wrap(_FakeGpuArray(0))
    gpu1 = mg.core._wrap(_FakeGpuArray(1))
    for a, b, first, second in [(cpu, gpu0, "cpu", "cuda:0"), (gpu0, cpu, "cuda:0", "cpu"),
                                (gpu0, gpu1, "cuda:0", "cuda:1")]:
        with pytest.raises(mg.DeviceError, match=f"on {first} and the other on {second}"):
            op(a, b)


@needs_cuda
@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.matmul, operator.lt, operator.eq])
def test_mixed_devices_raise(op):
    cpu = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    gpu = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device="cuda")
    for a, b in [(cpu, gpu), (gpu, cpu)]:
        with pytest.raises(mg.DeviceError) as e:
            op(a, b)
        assert "cpu" in str(e.value) and "cuda:0" in str(e.value)


@needs_cuda
def test_a_host_array_with_a_gpu_tensor_raises():
    gpu = mg.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(mg.DeviceError, match="cpu.*cuda:0"):
        gpu + numpy.ones(2, numpy.float32)
    with pytest.raises(mg.DeviceError, match="cuda:0.*cpu"):
        mg.tensor([1.0, 2.0]) * gpu.data


@needs_cuda
def test_a_gpu_tensor_refuses_implicit_conversion_to_numpy():
    gpu = mg.tensor([1.0, 2.0], device="cuda")
    with pytest.raises(TypeError, match=r"\.numpy\(\)"):
        numpy.asarray(gpu)


@pytest.mark.skipif(backend.cuda_device_count() < 2, reason="needs two GPUs")
def test_two_gpus_do_not_mix():
    a = mg.tensor([1.0], device="cuda:0")
    b = mg.tensor([1.0], device="cuda:1")
    with pytest.raises(mg.DeviceError, match="cuda:0 and the other on cuda:1"):
        a + b
    c = a.to("cuda:1")
    # GPU 0 is CuPy's current one, but an op on two tensors of GPU 1 runs there, as in
    # PyTorch and MXNet (tests/test_cuda_two_gpus.py checks every op)
    assert (c + b).device == "cuda:1"
    numpy.testing.assert_array_equal((c + b).numpy(), [2.0])
    import cupy
    with cupy.cuda.Device(1):
        numpy.testing.assert_array_equal((c + b).numpy(), [2.0])


# ---- CUDA asked for where it is unavailable ----


@pytest.fixture
def no_cupy(monkeypatch):
    """Pretend CuPy is not installed, whatever this machine has."""
    monkeypatch.setitem(sys.modules, "cupy", None)       # `import cupy` now raises ImportError
    monkeypatch.setattr(backend, "_cupy", None)          # forget an earlier successful import


_ASK_FOR_CUDA = {
    "tensor": lambda: mg.tensor([1.0], device="cuda"),
    "Tensor": lambda: mg.Tensor([1.0], device="cuda:0"),
    "to": lambda: mg.tensor([1.0]).to("cuda"),
    "set_default_device": lambda: mg.set_default_device("cuda"),
}


@pytest.mark.parametrize("ask", list(_ASK_FOR_CUDA))
def test_cuda_without_cupy_raises_with_the_install_hint(no_cupy, ask):
    with pytest.raises(mg.DeviceError, match=HINT) as e:
        _ASK_FOR_CUDA[ask]()
    assert "not installed" in str(e.value)
    assert not mg.cuda_is_available()
    assert mg.get_default_device() == "cpu"


def _fake_cupy(get_device_count):
    return types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=get_device_count)))


def _no_driver():
    raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")


@pytest.mark.parametrize("count", [_no_driver, lambda: 0])
def test_cupy_without_a_gpu_raises_with_the_install_hint(monkeypatch, count):
    monkeypatch.setitem(sys.modules, "cupy", _fake_cupy(count))
    monkeypatch.setattr(backend, "_cupy", None)
    assert not mg.cuda_is_available()
    with pytest.raises(mg.DeviceError, match="sees no GPU") as e:
        mg.tensor([1.0], device="cuda")
    assert re.search(HINT, str(e.value))


# ---- the default device ----


def test_set_default_device(device, restore_default_device):
    mg.set_default_device(device)
    assert mg.get_default_device() == _name(device)
    t = mg.tensor([1.0, 2.0])
    assert t.device == _name(device)
    # Host data follows the default device; so do results computed from it.
    assert mg.tensor(numpy.arange(3.0)).device == _name(device)
    assert (t + 1.0).sum().device == _name(device)
    mg.set_default_device("cpu")
    assert mg.tensor([1.0]).device == "cpu"


def test_a_bad_default_device_leaves_the_old_one(restore_default_device):
    with pytest.raises(mg.DeviceError):
        mg.set_default_device("tpu")
    assert mg.get_default_device() == "cpu"


# ---- host transfer ----


def test_numpy_item_and_tolist(device):
    t = mg.tensor([[1.5, 2.5]], device=device)
    host = t.numpy()
    assert type(host) is numpy.ndarray and host.dtype == numpy.float32
    numpy.testing.assert_array_equal(host, [[1.5, 2.5]])
    numpy.testing.assert_array_equal(t.asnumpy(), host)
    assert t.sum().item() == 4.0 and type(t.sum().item()) is float
    assert t.tolist() == [[1.5, 2.5]]
    assert float(t[0, 1]) == 2.5 and int(mg.tensor(3, device=device)) == 3
    assert [10, 20, 30][mg.tensor(2, device=device)] == 30
    assert "device='" + _name(device) + "'" in repr(t)
    backend.synchronize(device)
    host[0, 0] = -1.0       # on the CPU .numpy() shares memory; from a GPU it is a copy
    assert t.numpy()[0, 0] == (-1.0 if device == "cpu" else 1.5)


def test_numpy_asarray_of_a_cpu_tensor_shares_memory():
    t = mg.tensor([1.0, 2.0])
    assert numpy.shares_memory(numpy.asarray(t), t.data)


# ---- the helpers spelled differently on NumPy and CuPy ----


def test_scatter_add_accumulates_repeated_indices(device):
    xp = backend.xp_for(_name(device))
    target = xp.zeros((4, 2), dtype=numpy.float32)
    backend.scatter_add(target, xp.asarray([0, 2, 2, 0, 3]), xp.ones((5, 2), numpy.float32))
    numpy.testing.assert_array_equal(backend.to_host(target), [[2, 2], [0, 0], [2, 2], [1, 1]])


@pytest.mark.parametrize("draw, low, high", [
    (lambda **k: backend.random_normal(1.0, 2.0, **k), -30.0, 30.0),
    (lambda **k: backend.random_uniform(-1.0, 3.0, **k), -1.0, 3.0),
])
@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_random_helpers_draw_on_the_device(device, draw, low, high, dtype):
    backend.seed(7)
    a = draw(size=(2000,), dtype=dtype, device=_name(device))
    backend.seed(7)
    b = draw(size=(2000,), dtype=dtype, device=_name(device))
    assert backend.device_of(a) == _name(device) and a.dtype == dtype and a.shape == (2000,)
    host = backend.to_host(a)
    numpy.testing.assert_array_equal(host, backend.to_host(b))      # seeded: reproducible
    assert low <= host.min() and host.max() <= high
    assert abs(host.mean() - 1.0) < 0.15                           # both have mean 1


def test_random_state_draws_on_the_device_and_replays_after_seed(device):
    rs = backend.random_state(_name(device))
    backend.seed(11)
    order, ints = rs.permutation(50), rs.randint(0, 10, (20,))
    backend.seed(11)
    assert backend.device_of(order) == _name(device) == backend.device_of(ints)
    assert backend.to_host(order).tolist() == backend.to_host(rs.permutation(50)).tolist()
    assert sorted(backend.to_host(order).tolist()) == list(range(50))
    assert backend.to_host(ints).tolist() == backend.to_host(rs.randint(0, 10, (20,))).tolist()


@pytest.mark.skipif(backend.cuda_device_count() < 2, reason="needs two GPUs")
def test_seed_reaches_every_gpu_and_draws_land_where_asked():
    # cupy.random.seed seeds the current GPU only; each GPU must replay after mg seed()
    draws = []
    for _ in range(2):
        mg.np.random.seed(5)
        draws.append([mg.np.random.normal(0, 1, (4,), device=f"cuda:{i}") for i in (0, 1)])
    assert [t.device for t in draws[0]] == ["cuda:0", "cuda:1"]
    for first, again in zip(*draws):
        numpy.testing.assert_array_equal(first.numpy(), again.numpy())
    order = backend.random_state("cuda:1").permutation(8)
    assert backend.device_of(order) == "cuda:1"


# A Python scalar takes the tensor's dtype (NumPy 2, CuPy 14); CuPy 13 would promote by value
# (float32 / 100000 gives float64) unless the engine hands it a scalar of the tensor's dtype.
SCALARS = [
    # name, dtype, f, the dtype NumPy 2 gives
    ("f32 / 100000", numpy.float32, lambda t: t / 100000, numpy.float32),
    ("100000 / f32", numpy.float32, lambda t: 100000 / t, numpy.float32),
    ("f32 * 1e5", numpy.float32, lambda t: t * 1e5, numpy.float32),
    ("f32 + 70000", numpy.float32, lambda t: t + 70000, numpy.float32),
    ("f32 mean of 70000", numpy.float32, lambda t: mg.np.ones(70000, device=t.device).mean(),
     numpy.float32),
    ("f16 * 300", numpy.float16, lambda t: t * 300, numpy.float16),
    ("f64 / 3", numpy.float64, lambda t: t / 3, numpy.float64),
    ("i32 + 100000", numpy.int32, lambda t: t + 100000, numpy.int32),
    ("i64 * 2.5", numpy.int64, lambda t: t * 2.5, numpy.float64),
    ("f32 * numpy.float64", numpy.float32, lambda t: t * numpy.float64(2.0), numpy.float64),
    ("f32 ** 2", numpy.float32, lambda t: t ** 2, numpy.float32),
]


@pytest.mark.parametrize("name, dtype, f, want", SCALARS, ids=[row[0] for row in SCALARS])
def test_python_scalars_keep_the_tensor_dtype(device, name, dtype, f, want):
    t = mg.tensor(numpy.arange(1, 4).astype(dtype), device=device)
    out = f(t)
    assert out.dtype == want and out.device == _name(device)
    expected = f(mg.tensor(numpy.arange(1, 4).astype(dtype)))     # the CPU's values
    numpy.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


def test_gradient_of_a_mean_keeps_float32(device):
    x = mg.np.ones((70000,), device=device)
    x.attach_grad()
    with autograd.record():
        y = x.mean()
    y.backward()
    assert y.dtype == numpy.float32 and x.grad.dtype == numpy.float32
    assert abs(x.grad.numpy()[0] - 1 / 70000) < 1e-9


# ---- CuPy stays inside backend.py ----


def test_only_backend_imports_cupy():
    package = Path(mg.__file__).parent
    pattern = re.compile(r"^\s*(import|from)\s+cupy|import_module\(\"cupy", re.MULTILINE)
    modules = sorted(package.rglob("*.py"))             # sub-packages (ops/) included
    assert package / "ops" / "apply.py" in modules
    users = [p.relative_to(package).as_posix() for p in modules if pattern.search(p.read_text())]
    assert users == ["backend.py"]


@pytest.mark.parametrize("module", sorted(
    p.relative_to(Path(mg.__file__).parent.parent).with_suffix("").as_posix().replace("/", ".")
    .removesuffix(".__init__") for p in Path(mg.__file__).parent.rglob("*.py")))
def test_each_module_imports_first_in_a_fresh_interpreter(module):
    """No import order of the package's modules breaks it: the only circle (Tensor <-> ops)
    holds by module references resolved at call time, and nothing imports at the bottom."""
    package = Path(mg.__file__).parent
    code = (  # the package's __init__ is skipped, so `module` really is imported first
        "import importlib, sys, types\n"
        f"pkg = types.ModuleType('microgradnd'); pkg.__path__ = [{str(package)!r}]\n"
        "sys.modules['microgradnd'] = pkg\n"
        f"importlib.import_module({module!r})\n"
        "from microgradnd.core import tensor\n"
        "print(float((tensor([1.0, 2.0]) * 3).sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(mg.__file__).parent.parent)
    assert out.returncode == 0 and out.stdout.strip() == "9.0", out.stderr


def test_importing_microgradnd_does_not_import_cupy():
    code = "import sys, microgradnd; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(mg.__file__).parent.parent)
    assert out.stdout.strip() == "False"


# ---- the op table, forward and backward on every backend, against the CPU ----

def _r(seed):
    return numpy.random.default_rng(seed)


OPS = [
    # name, f, inputs (float64 arrays, made from a seeded generator)
    ("add_broadcast", lambda a, b: a + b, lambda r: [r.normal(size=(3, 4)), r.normal(size=4)]),
    ("sub", lambda a, b: a - b, lambda r: [r.normal(size=(3, 4)), r.normal(size=(3, 1))]),
    ("mul", lambda a, b: a * b, lambda r: [r.normal(size=(2, 3)), r.normal(size=(2, 3))]),
    ("div", lambda a, b: a / b, lambda r: [r.normal(size=(2, 3)), r.uniform(1, 2, (2, 3))]),
    ("pow_tensor", lambda a, b: a ** b, lambda r: [r.uniform(.5, 2, (2, 3)), r.normal(size=3)]),
    ("pow_scalar", lambda a: a ** 3, lambda r: [r.normal(size=(2, 3))]),
    ("rpow", lambda a: 2.0 ** a, lambda r: [r.normal(size=(2, 3))]),
    ("neg", lambda a: -a, lambda r: [r.normal(size=(2, 3))]),
    ("exp", lambda a: a.exp(), lambda r: [r.normal(size=(2, 3))]),
    ("log", lambda a: a.log(), lambda r: [r.uniform(.5, 2, (2, 3))]),
    ("sqrt", lambda a: a.sqrt(), lambda r: [r.uniform(.5, 2, (2, 3))]),
    ("abs", lambda a: abs(a), lambda r: [r.normal(size=(2, 3))]),
    ("tanh", lambda a: a.tanh(), lambda r: [r.normal(size=(2, 3))]),
    ("sigmoid", lambda a: a.sigmoid(), lambda r: [r.normal(size=(2, 3))]),
    ("relu", lambda a: a.relu() * a, lambda r: [r.normal(size=(2, 3))]),
    ("matmul", lambda a, b: a @ b, lambda r: [r.normal(size=(3, 4)), r.normal(size=(4, 2))]),
    ("matmul_batched", lambda a, b: a @ b,
     lambda r: [r.normal(size=(2, 3, 4)), r.normal(size=(4, 5))]),
    ("matmul_vectors", lambda a, b: a @ b, lambda r: [r.normal(size=4), r.normal(size=4)]),
    ("dot_3d", lambda a, b: a.dot(b), lambda r: [r.normal(size=(2, 3)), r.normal(size=(4, 3, 2))]),
    ("sum_axis", lambda a: a.sum(axis=1, keepdims=True) * a, lambda r: [r.normal(size=(3, 4))]),
    ("mean", lambda a: a.mean(axis=0) ** 2, lambda r: [r.normal(size=(3, 4))]),
    ("max_ties", lambda a: a.max(axis=1) ** 2,
     lambda r: [numpy.array([[1.0, 3.0, 3.0], [-1.0, 0.5, 0.25]])]),
    ("reshape", lambda a: a.reshape(4, -1) ** 2, lambda r: [r.normal(size=(2, 6))]),
    ("transpose", lambda a: a.transpose(1, 0, 2) ** 2, lambda r: [r.normal(size=(2, 3, 2))]),
    ("T", lambda a, b: a.T @ b, lambda r: [r.normal(size=(3, 2)), r.normal(size=(3, 2))]),
    ("getitem_slice", lambda a: a[1:, ::2] ** 2, lambda r: [r.normal(size=(3, 4))]),
    ("getitem_repeats", lambda a: a[[0, 2, 2, 0]] ** 2, lambda r: [r.normal(size=(3, 2))]),
    ("getitem_mask", lambda a: a[numpy.array([True, False, True])] ** 2,
     lambda r: [r.normal(size=(3, 2))]),
    ("astype", lambda a: a.astype("float32").astype("float64") * a,
     lambda r: [r.normal(size=(2, 3))]),
    ("squared_loss", lambda x, w, b, y: (x @ w + b - y.reshape((5, 1))) ** 2 / 2,
     lambda r: [r.normal(size=(5, 3)), r.normal(size=(3, 1)), r.normal(size=1),
                r.normal(size=5)]),
]


def _forward_backward(f, arrays, device):
    """f's value, first gradients, and d/dx Σ⟨∂f/∂x, x⟩ (second order), all as host arrays."""
    xs = [mg.tensor(a, device=device) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = f(*xs)
    v = mg.tensor(_r(99).normal(size=out.shape), dtype=out.dtype, device=device)
    grads = autograd.grad(out, xs, head_grads=v, create_graph=True)
    with autograd.record():
        second = sum((g * x).sum() for g, x in zip(grads, xs))
    second.backward()
    assert out.device == _name(device)
    assert all(g.device == _name(device) and g.dtype == x.dtype for g, x in zip(grads, xs))
    return out.numpy(), [g.numpy() for g in grads], [x.grad.numpy() for x in xs]


@pytest.mark.parametrize("name, f, make", OPS, ids=[row[0] for row in OPS])
def test_op_matches_the_cpu(device, name, f, make):
    arrays = make(_r(len(name)))
    want = _forward_backward(f, arrays, "cpu")
    got = _forward_backward(f, arrays, device)
    numpy.testing.assert_allclose(got[0], want[0], rtol=1e-9, atol=1e-12, err_msg="forward")
    for kind, got_list, want_list in [("first", got[1], want[1]), ("second", got[2], want[2])]:
        for i, (g, w) in enumerate(zip(got_list, want_list)):
            numpy.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-12,
                                          err_msg=f"{kind} derivative, input {i}")


def test_gradcheck_on_the_device(device):
    x = mg.tensor(_r(3).normal(size=(3, 2)), device=device)
    assert mg.gradcheck(lambda a: (a[[0, 2, 2]] * a[1]).tanh().sum(), [x])
    assert mg.gradgradcheck(lambda a: (a.exp() * a).sum(), [x])
