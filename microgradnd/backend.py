"""The one place that chooses the array library: NumPy for 'cpu', CuPy for 'cuda:N'.

This is the only module in microgradnd that imports CuPy, and it does so lazily, so
`import microgradnd` never needs it. Everything that is spelled differently on the two
libraries (scatter-add, host transfer, random numbers, DLPack) is a named helper here.
"""
from __future__ import annotations

import numpy

from .errors import DeviceError

CUDA_HINT = 'install CuPy with: pip install "microgradnd[cuda]"'

_cupy = None          # the cupy module once imported; False once the import has failed
_default_device = "cpu"


def _import_cupy():
    """Import CuPy on first use; return None when it is not installed or finds no GPU."""
    global _cupy
    if _cupy is None:
        try:
            import cupy  # noqa: PLC0415 - optional dependency, imported on demand

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:  # ImportError, or a CUDA runtime error without a driver or GPU
            _cupy = False
    return _cupy or None


def cuda_is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return _import_cupy() is not None


# ---- devices ----

def normalize_device(device) -> str:
    """'cuda' -> 'cuda:0', None -> the default device; raise DeviceError for the unknown."""
    if device is None:
        return _default_device
    device = str(device)
    if device == "cpu":
        return "cpu"
    if device == "cuda":
        device = "cuda:0"
    if device.startswith("cuda:") and device[5:].isdigit():
        cupy = _import_cupy()
        if cupy is None:
            raise DeviceError(f"device {device!r} asked for, but CUDA is not available: "
                              f"{CUDA_HINT} and run on a machine with an NVIDIA GPU")
        count = cupy.cuda.runtime.getDeviceCount()
        if int(device[5:]) >= count:
            raise DeviceError(f"device {device!r} asked for, but this machine has {count} GPU(s)")
        return device
    raise DeviceError(f"unknown device {device!r}: use 'cpu', 'cuda' or 'cuda:N'")


def set_default_device(device) -> None:
    """Make `device` the one new tensors land on when no device is given."""
    global _default_device
    _default_device = normalize_device(device)


def get_default_device() -> str:
    """The device new tensors land on when no device is given."""
    return _default_device


def device_of(array) -> str:
    """'cpu' for a NumPy array, 'cuda:N' for a CuPy array."""
    if type(array) is numpy.ndarray:
        return "cpu"
    return f"cuda:{array.device.id}"


def xp_of(array):
    """The array module (numpy or cupy) that owns `array`."""
    if type(array) is numpy.ndarray:
        return numpy
    return _import_cupy() or numpy


def xp_for(device: str):
    """The array module for a normalized device string."""
    return numpy if device == "cpu" else _import_cupy()


def is_array(obj) -> bool:
    """True for a NumPy or CuPy ndarray."""
    if isinstance(obj, numpy.ndarray):
        return True
    return _cupy not in (None, False) and isinstance(obj, _cupy.ndarray)


def as_array(data, dtype=None, device: str = "cpu"):
    """An array on `device` from any array-like; no copy when nothing needs converting."""
    if device == "cpu":
        if type(data) is not numpy.ndarray and not isinstance(data, numpy.ndarray):
            if hasattr(data, "__cuda_array_interface__"):   # a CuPy array moving to the host
                data = to_host(data)
        return numpy.asarray(data, dtype=dtype)
    cupy = _import_cupy()
    with cupy.cuda.Device(int(device[5:])):
        return cupy.asarray(data, dtype=dtype)


def to_device(array, device: str):
    """Copy `array` to `device` (no copy when it is already there)."""
    if device_of(array) == device:
        return array
    if device == "cpu":
        return to_host(array)
    return as_array(array, device=device)


def to_host(array) -> numpy.ndarray:
    """A NumPy array with the values of a NumPy or CuPy array."""
    if isinstance(array, (numpy.ndarray, numpy.generic)):
        return numpy.asarray(array)
    return array.get()


def synchronize(device: str) -> None:
    """Wait for queued GPU work on `device` (a no-op on the CPU); for honest timings."""
    if device != "cpu":
        cupy = _import_cupy()
        with cupy.cuda.Device(int(device[5:])):
            cupy.cuda.get_current_stream().synchronize()


# ---- the operations spelled differently on NumPy and CuPy ----

def scatter_add(target, index, values) -> None:
    """target[index] += values, where repeated indices accumulate (in place)."""
    if type(target) is numpy.ndarray:
        numpy.add.at(target, index, values)
    else:
        import cupyx  # noqa: PLC0415 - only reached with CuPy arrays

        cupyx.scatter_add(target, index, values)


def random_state(device: str):
    """The random module whose draws land on `device`."""
    return numpy.random if device == "cpu" else _import_cupy().random


def seed(s: int) -> None:
    """Seed NumPy's global generator and, when CuPy is loaded, CuPy's."""
    numpy.random.seed(s)
    if _cupy:
        _cupy.random.seed(s)


def from_dlpack(obj):
    """An array that shares memory with any DLPack producer (NumPy, CuPy, PyTorch, JAX)."""
    device_type, device_id = obj.__dlpack_device__()
    if device_type == 1:     # kDLCPU
        return numpy.from_dlpack(obj)
    cupy = _import_cupy()
    if cupy is None:
        raise DeviceError(f"a DLPack tensor on a GPU needs CuPy: {CUDA_HINT}")
    return cupy.from_dlpack(obj)
