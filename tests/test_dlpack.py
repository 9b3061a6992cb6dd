"""DLPack: tensors leave for NumPy, PyTorch and CuPy without a copy, and come back the same way."""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, backend

try:
    import torch
except ImportError:     # the NumPy cases still run; the PyTorch ones skip
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")


def _name(device):
    return "cuda:0" if device == "cuda" else device


def _torch_device(device):
    """The torch device for a fixture device, skipping when this torch cannot reach it."""
    if torch is None:
        pytest.skip("PyTorch is not installed")
    if device == "cpu":
        return "cpu"
    if not torch.cuda.is_available():
        pytest.skip("this PyTorch build has no CUDA")
    return "cuda:0"


def test_dlpack_device(device):
    t = mg.tensor([1.0, 2.0], device=device)
    assert tuple(t.__dlpack_device__()) == ((1, 0) if device == "cpu" else (2, 0))


# ---- NumPy ----


def test_numpy_from_dlpack_shares_memory():
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    a = numpy.from_dlpack(t)
    assert numpy.shares_memory(a, t.data) and a.dtype == numpy.float32
    t[0, 0] = 10.0
    assert a[0, 0] == 10.0


def test_from_dlpack_of_a_numpy_array_shares_memory():
    a = numpy.arange(6, dtype=numpy.float64).reshape(2, 3)
    t = mg.from_dlpack(a)
    assert isinstance(t, mg.Tensor) and t.device == "cpu" and t.dtype == numpy.float64
    assert numpy.shares_memory(t.data, a)
    a[1, 2] = -1.0
    assert t[1, 2].item() == -1.0


def test_from_dlpack_keeps_strides():
    a = numpy.arange(12, dtype=numpy.float32).reshape(3, 4).T       # not C-contiguous
    t = mg.from_dlpack(a)
    assert t.shape == (4, 3) and numpy.shares_memory(t.data, a)
    numpy.testing.assert_array_equal(t.numpy(), a)


def test_a_tensor_from_dlpack_can_be_a_variable():
    t = mg.from_dlpack(numpy.array([1.0, 2.0, 3.0]))
    t.attach_grad()
    with autograd.record():
        y = (t * t).sum()
    y.backward()
    numpy.testing.assert_array_equal(t.grad.numpy(), [2.0, 4.0, 6.0])


def test_from_dlpack_of_something_else_raises():
    with pytest.raises(TypeError, match="DLPack"):
        mg.from_dlpack([1.0, 2.0])


# ---- PyTorch, both directions, on every device both libraries reach ----


def test_torch_from_dlpack_shares_memory(device):
    _torch_device(device)
    t = mg.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    p = torch.from_dlpack(t)
    assert p.dtype == torch.float32 and tuple(p.shape) == (2, 2)
    assert str(p.device) == ("cpu" if device == "cpu" else "cuda:0")
    p[1, 1] = -5.0                  # a write through torch is seen by microgradnd
    if device != "cpu":
        torch.cuda.synchronize()
    assert t.numpy()[1, 1] == -5.0


def test_from_dlpack_of_a_torch_tensor_shares_memory(device):
    dev = _torch_device(device)
    torch_tensor = torch.arange(6, dtype=torch.float64, device=dev).reshape(2, 3)
    t = mg.from_dlpack(torch_tensor)
    assert t.device == _name(device) and t.dtype == numpy.float64 and t.shape == (2, 3)
    torch_tensor[0, 1] = 42.0
    if device != "cpu":
        torch.cuda.synchronize()
    assert t.numpy()[0, 1] == 42.0
    # Round trip: microgradnd -> torch -> microgradnd is still the same memory.
    p = torch.from_dlpack(t)
    assert p.data_ptr() == torch_tensor.data_ptr()


@needs_torch
def test_from_dlpack_of_a_transposed_torch_tensor():
    p = torch.arange(6, dtype=torch.float32).reshape(2, 3).t()
    t = mg.from_dlpack(p)
    numpy.testing.assert_array_equal(t.numpy(), p.numpy())


@needs_torch
def test_torch_refuses_a_tensor_that_needs_grad_until_detached():
    p = torch.ones(3, requires_grad=True)
    with pytest.raises((RuntimeError, BufferError)):
        mg.from_dlpack(p)
    assert mg.from_dlpack(p.detach()).shape == (3,)


# ---- CuPy ----


def test_cupy_from_dlpack_shares_memory(device):
    if device == "cpu":
        pytest.skip("CuPy takes GPU tensors; the CPU case is NumPy's, above")
    cupy = backend.xp_for(_name(device))
    t = mg.tensor([1.0, 2.0, 3.0], device=device)
    c = cupy.from_dlpack(t)
    assert c.data.ptr == t.data.data.ptr
    back = mg.from_dlpack(c * 2)
    assert back.device == _name(device)
    numpy.testing.assert_array_equal(back.numpy(), [2.0, 4.0, 6.0])
    assert mg.from_dlpack(c).data.data.ptr == c.data.ptr


class _Producer:
    """A host buffer that reports a chosen DLPack device type (as pinned memory would)."""

    def __init__(self, device_type):
        self.array, self.device_type = numpy.arange(4.0), device_type

    def __dlpack__(self, **kwargs):
        kwargs.pop("dl_device", None)
        return self.array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (self.device_type, 0)


@pytest.mark.parametrize("device_type", [1, 3, 11])     # kDLCPU, kDLCUDAHost, kDLROCMHost
def test_host_memory_of_any_kind_comes_in_through_numpy(device_type):
    # cupy.from_dlpack refuses kDLCUDAHost (TypeError); NumPy reads it
    p = _Producer(device_type)
    t = mg.from_dlpack(p)
    assert t.device == "cpu" and numpy.shares_memory(t.data, p.array)


@pytest.mark.parametrize("device_type", [4, 7, 8])      # OpenCL, Vulkan, Metal
def test_dlpack_from_another_kind_of_device_raises(device_type):
    with pytest.raises(mg.DeviceError, match=f"device type {device_type}"):
        mg.from_dlpack(_Producer(device_type))
