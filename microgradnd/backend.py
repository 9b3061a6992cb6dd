"""The one place that chooses the array library: NumPy for 'cpu', CuPy for 'cuda:N'.

This is the only module in microgradnd that imports CuPy, and it does so lazily, so
`import microgradnd` never needs it. Everything spelled differently on the two libraries
(device placement, host transfer, scatter-add, random numbers, DLPack) is a named helper here.
"""
from __future__ import annotations

import contextlib
import importlib
import operator

import numpy

from .errors import DeviceError

CUDA_HINT = 'pip install "microgradnd[cuda]"'

_cupy = None            # the cupy module once imported; False once the import has failed
_cupy_problem = ""      # why CuPy is unusable, for the DeviceError message
_default_device = "cpu"
_UNSEEDED = object()
_last_seed = _UNSEEDED  # the last seed() argument, given to each GPU's generator on first use
_seeded_gpus = set()    # the GPUs whose CuPy generator has had _last_seed since seed()
# True under CuPy < 14, which promotes Python scalars by value (float32 array / 100000 gives
# float64) where NumPy 2 and CuPy 14 keep the array's dtype (NEP 50); see weak_scalar().
legacy_scalars = False


def _import_cupy():
    """Import CuPy on first use; return None when it is not installed or finds no GPU."""
    global _cupy, _cupy_problem, legacy_scalars
    if _cupy is None:
        try:
            cupy = importlib.import_module("cupy")
        except ImportError as e:
            _cupy, _cupy_problem = False, f"CuPy is not installed ({e}); install it with " \
                                          f"{CUDA_HINT}"
            return None
        except Exception as e:  # a broken install: CuPy found but its CUDA libraries not
            _cupy, _cupy_problem = False, f"CuPy failed to import ({type(e).__name__}: {e}); " \
                                          f"reinstall it with {CUDA_HINT}"
            return None
        try:
            # Raises CUDARuntimeError (cudaErrorNoDevice, cudaErrorInsufficientDriver, ...)
            # rather than returning 0 when there is no driver or no GPU.
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as e:
            count, detail = 0, f" ({type(e).__name__}: {e})"
        else:
            detail = ""
        if count == 0:
            _cupy, _cupy_problem = False, (f"CuPy is installed but sees no GPU{detail}; run on a "
                                           f"machine with an NVIDIA GPU and a CUDA driver, with "
                                           f"the CuPy wheel for its CUDA version ({CUDA_HINT})")
            return None
        _cupy = cupy
        major = str(getattr(cupy, "__version__", "0")).split(".")[0]
        legacy_scalars = major.isdigit() and int(major) < 14
    return _cupy or None


def cuda_is_available() -> bool:
    """True when CuPy is installed and sees at least one GPU."""
    return _import_cupy() is not None


def why_no_cuda() -> str:
    """Why CUDA is unavailable (empty when it is available), with the install hint."""
    _import_cupy()
    return "" if _cupy else _cupy_problem


def cuda_device_count() -> int:
    """How many GPUs CuPy sees (0 without CuPy)."""
    cupy = _import_cupy()
    return 0 if cupy is None else cupy.cuda.runtime.getDeviceCount()


# ---- devices ----

def normalize_device(device) -> str:
    """'cuda' -> 'cuda:0', None -> the default device; DeviceError for the unavailable."""
    if device is None:
        return _default_device
    # str.__str__ reads a str subclass's value: npx.gpu(0) is 'cuda:0', though it prints gpu(0)
    device = str.__str__(device) if isinstance(device, str) else str(device)
    if device == "cpu":
        return "cpu"
    if device.startswith("cpu:") and device[4:].isdigit():     # MXNet's cpu(i): a label
        return cpu_name(int(device[4:]))
    if device == "cuda":
        device = "cuda:0"
    if device.startswith("cuda:") and device[5:].isdigit():
        if _import_cupy() is None:
            raise DeviceError(f"device {device!r} asked for, but CUDA is not available: "
                              f"{_cupy_problem}")
        count = cuda_device_count()
        if int(device[5:]) >= count:
            raise DeviceError(f"device {device!r} asked for, but this machine has {count} GPU(s): "
                              f"use 'cuda:0' to 'cuda:{count - 1}'")
        return f"cuda:{int(device[5:])}"
    raise DeviceError(f"unknown device {device!r}: use 'cpu', 'cpu:N', 'cuda' or 'cuda:N'")


def set_default_device(device) -> None:
    """Make `device` the one new tensors land on when no device is given.

    A GPU also becomes CuPy's current device, so that the ops on its tensors run there.
    """
    global _default_device
    device = normalize_device(device)
    if not is_host(device):
        _cupy.cuda.Device(_gpu_id(device)).use()
    _default_device = device


def get_default_device() -> str:
    """The device new tensors land on when no device is given."""
    return _default_device


def _gpu_id(device: str) -> int:
    return int(device[5:])


# ---- CPU contexts: MXNet's cpu(0), cpu(1), ... are labels over the one host memory ----
#
# MXNet keeps cpu(1) apart from cpu(0) (the book's data-parallel chapter runs on two of them
# when there are no two GPUs), though both are the host's memory. Here an array of cpu(i),
# i > 0, is a HostArray: a NumPy array that carries its label. NumPy keeps the subclass
# through views, copies and astype, and HostArray's two hooks below label every other result
# with the context of its first array operand, as MXNet does (cpu(0) + cpu(1) is on cpu(0)).
# A plain NumPy array is cpu(0): code that never names cpu(1) never meets a HostArray.


def is_host(device: str) -> bool:
    """True for 'cpu' and the labels 'cpu:N': devices whose arrays are NumPy's."""
    return device[:3] == "cpu"


def cpu_name(i: int) -> str:
    """The engine's name of MXNet's cpu(i): 'cpu' for 0, 'cpu:i' otherwise."""
    return "cpu" if i == 0 else f"cpu:{i}"


def same_memory(a: str, b: str) -> bool:
    """Can arrays on devices a and b meet in one operation? The same device, or two CPUs."""
    return a == b or (a[:3] == "cpu" and b[:3] == "cpu")


def _plain(x):
    """x as a plain NumPy array if it is a HostArray (lists and tuples of them too)."""
    if isinstance(x, HostArray):
        return x.view(numpy.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


def _first_cpu(values):
    """The CPU id of the first array among `values` (searching lists and tuples); None if none."""
    for v in values:
        if isinstance(v, numpy.ndarray):
            return v.cpu_id if isinstance(v, HostArray) else 0
        if isinstance(v, (list, tuple)):
            found = _first_cpu(v)
            if found is not None:
                return found
    return None


def on_cpu(result, i: int):
    """`result` (an array, a NumPy scalar, or a tuple of them) labelled cpu(i)."""
    if isinstance(result, tuple):
        return tuple(on_cpu(r, i) for r in result)
    if isinstance(result, numpy.generic):
        result = numpy.asarray(result)
    if not isinstance(result, numpy.ndarray):
        return result
    if i == 0:
        return result.view(numpy.ndarray) if isinstance(result, HostArray) else result
    out = result.view(HostArray)
    out.cpu_id = i
    return out


class HostArray(numpy.ndarray):
    """A NumPy array on MXNet's cpu(i), i > 0 (`cpu_id`); host memory like any other."""

    cpu_id = 0

    def __array_finalize__(self, obj):
        self.cpu_id = getattr(obj, "cpu_id", 0)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        label = _first_cpu(inputs)
        out = kwargs.get("out")
        if out is not None:
            kwargs["out"] = _plain(out)
        result = getattr(ufunc, method)(*_plain(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return on_cpu(result, label or 0)

    def __array_function__(self, func, types, args, kwargs):
        result = func(*_plain(args), **{k: _plain(v) for k, v in kwargs.items()})
        return on_cpu(result, _first_cpu(args) or 0)


_ndarray = numpy.ndarray
_HOST = (numpy.ndarray, numpy.generic)     # a 0-d comparison on the host gives a numpy.bool_


_gpu_names = {}     # GPU id -> 'cuda:N': device_of builds no string per call


def _gpu_of(array) -> int:
    """The id of the GPU holding a CuPy array."""
    try:
        # two documented fields (MemoryPointer.device_id), where a.device builds a
        # cupy.cuda.Device object on every call: this runs for every op on two GPU tensors
        return array.data.device_id
    except AttributeError:      # an array-like that has only .device (a test stand-in)
        return array.device.id


def device_of(array) -> str:
    """'cpu' for a NumPy array or scalar ('cpu:i' for cpu(i)), 'cuda:N' for a CuPy array."""
    if isinstance(array, _HOST):
        return "cpu" if type(array) is not HostArray else cpu_name(array.cpu_id)
    gpu = _gpu_of(array)
    name = _gpu_names.get(gpu)
    if name is None:
        name = _gpu_names[gpu] = f"cuda:{gpu}"
    return name


def xp_of(array):
    """The array module (numpy or cupy) that owns `array` (numpy for NumPy scalars too)."""
    if isinstance(array, _HOST):
        return numpy
    return _import_cupy() or numpy


def xp_for(device: str):
    """The array module for a normalized device string."""
    return numpy if is_host(device) else _import_cupy()


def is_array(obj) -> bool:
    """True for a NumPy or CuPy ndarray."""
    if isinstance(obj, numpy.ndarray):
        return True
    # A CuPy array can reach us before anything else needed CuPy: import it then.
    if not _cupy and type(obj).__module__.startswith("cupy"):
        _import_cupy()
    return bool(_cupy) and isinstance(obj, _cupy.ndarray)


def is_cupy_array(obj) -> bool:
    """True for a CuPy ndarray (without importing CuPy for anything else)."""
    return bool(_cupy) and isinstance(obj, _cupy.ndarray)


# ---- several GPUs: work on an array runs on the array's GPU ----
#
# CuPy runs every kernel on its *current* GPU and allocates every new array there. A kernel
# that reads an array of another GPU is refused (ValueError), or, where the two GPUs have peer
# access (NVLink), runs anyway on the current GPU with a PerformanceWarning, its output left
# on the wrong GPU. PyTorch and MXNet compute where the inputs live, whatever GPU is current:
# so the engine makes an array's GPU current around the work it does on it (ops/apply.py for
# every op; gradients, updates and the other array code below it), and only when that GPU is
# not current already. NumPy arrays never switch anything.

_NO_SWITCH = contextlib.nullcontext()


def on_device_of(array):
    """`with backend.on_device_of(a):` runs the block with a's GPU as CuPy's current device.

    A context that does nothing for a host array, or when a's GPU is current already.
    """
    if isinstance(array, _HOST) or not is_cupy_array(array):
        return _NO_SWITCH
    gpu = _gpu_of(array)
    if gpu == _cupy.cuda.runtime.getDevice():
        return _NO_SWITCH
    return _cupy.cuda.Device(gpu)


def on_its_device(forward, first, *arrays_and_args):
    """forward(*arrays_and_args) run on the device of the array `first`, its first input.

    On a GPU that is not CuPy's current one, that GPU is made current for the call: an op on
    tensors of GPU 1 runs on GPU 1 and its result lies there, whatever GPU is current, as in
    PyTorch and MXNet. An array among the arguments that lies on yet another GPU (an index)
    makes CuPy refuse the call: a DeviceError then.
    """
    if type(first) is _ndarray:
        return forward(*arrays_and_args)
    switch = on_device_of(first)
    try:
        if switch is _NO_SWITCH:    # one GPU, or its GPU current already: no context to enter
            return forward(*arrays_and_args)
        with switch:
            return forward(*arrays_and_args)
    except ValueError as e:
        if "current device" in str(e):     # CuPy's words for an array of another GPU
            device = device_of(first)
            raise DeviceError(f"an array on another GPU was given to an operation on "
                              f"{device} ({e}): move it to {device} first, e.g. with "
                              f".to('{device}')") from None
        raise


def on_device(device: str):
    """`with backend.on_device('cuda:1'):` runs the block with GPU 1 current, so that what
    CuPy allocates there lands on it; a context that does nothing for a CPU device."""
    if is_host(device):
        return _NO_SWITCH
    return _import_cupy().cuda.Device(_gpu_id(device))


def zeros_like(array):
    """Zeros of array's shape and dtype on its device (cupy.zeros_like uses the current GPU)."""
    with on_device_of(array):
        return xp_of(array).zeros_like(array)


def copy(array):
    """A copy of `array` in new memory on its own device (CuPy's copy() lands on the current
    GPU, whichever holds the array)."""
    with on_device_of(array):
        return array.copy()


# ---- moving data ----

def as_array(data, dtype=None, device: str = "cpu"):
    """An array on `device` from any array-like; no copy when nothing needs converting."""
    if is_host(device):
        if is_cupy_array(data):
            data = data.get()
        if device == "cpu":
            return numpy.asarray(data, dtype=dtype)
        return on_cpu(numpy.asarray(data, dtype=dtype), int(device[4:]))
    cupy = _import_cupy()
    if is_cupy_array(data) and _gpu_of(data) != _gpu_id(device) and not (
            data.flags.c_contiguous or data.flags.f_contiguous):
        # CuPy copies only a contiguous array from one GPU to another: gather it on its own
        with on_device_of(data):
            data = cupy.ascontiguousarray(data)
    # cupy.asarray allocates on the current device; it copies a CuPy array from another GPU.
    with cupy.cuda.Device(_gpu_id(device)):
        return cupy.asarray(data, dtype=dtype)


def to_device(array, device: str):
    """`array` on `device`: the array itself when it is already there, else a copy."""
    here = device_of(array)
    if here == device:
        return array
    if is_host(device):     # between CPU labels, a copy, as MXNet's copyto
        host = to_host(array)
        return on_cpu(host.copy() if is_host(here) else host,
                      0 if device == "cpu" else int(device[4:]))
    return as_array(array, device=device)


def to_host(array) -> numpy.ndarray:
    """A NumPy array with the values of a NumPy or CuPy array (the same array if on the host)."""
    if is_cupy_array(array):
        return array.get()
    return numpy.asarray(array)


def synchronize(device=None) -> None:
    """Wait until the queued GPU work on `device` has finished (a no-op on the CPU).

    GPU calls return before the GPU is done: time a GPU step only after synchronizing.
    """
    device = normalize_device(device)
    if not is_host(device):
        _cupy.cuda.Device(_gpu_id(device)).synchronize()


# ---- sums: CuPy's reduction over leading axes is slow ----

# CuPy reduces with one thread block per output element (CUB's segmented reduce alike), so a
# long reduction into few outputs runs on a few of the GPU's cores: on an H200, (10M, 1)
# summed over axis 0 takes 3.2 ms where the same numbers summed whole take 0.02 ms, and
# (1M, 100) over axis 0 takes 23 ms where ones((1, 1M)) @ M takes 0.13 ms (docs/gpu.md).
# Below this many elements every spelling is one launch (about 15 us on the H200 measured)
# and a reduction is too short for the per-output blocks to cost anything: CuPy's own sum.
FAST_SUM_MIN_SIZE = 4096


def reduce_sum(x, axis=None, keepdims: bool = False):
    """x.sum(axis=axis, keepdims=keepdims), summed on a GPU in a way that uses all of it."""
    if type(x) is _ndarray or not is_cupy_array(x):     # NumPy: the plain call, nothing else
        return x.sum(axis=axis, keepdims=keepdims)
    return _gpu_sum(x, axis, keepdims)


def power(a, b):
    """a ** b, with x ** 3 and x ** 4 of a NumPy float array as multiplications (the forward
    of ops.PowerByProducts, which Tensor.__pow__ picks for those two exponents).

    NumPy calls C's pow() per element for every exponent but 2 and 0.5: x ** 4 of 200
    floats takes 13 µs, two multiplications 1.5 µs (W5's Σx⁴/4 and its derivatives). The
    products differ from pow() by at most an ulp or two, as PyTorch's own x ** 3 does.
    """
    if type(a) is _ndarray and a.dtype.kind == "f" and (b == 3 or b == 4):
        out = a * a
        out *= out if b == 4 else a
        return out
    return a ** b


def sum_to(x, shape: tuple):
    """x summed down to `shape`, which x's shape broadcasts from: undoes broadcasting."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        # reduce_sum inlined for NumPy: the walk runs this for every broadcast gradient
        x = x.sum(axis=axes, keepdims=True) if type(x) is _ndarray else reduce_sum(x, axes, True)
    return x.reshape(shape) if lead else x


def _gpu_sum(x, axis, keepdims):
    """CuPy's sum with NumPy's answer, spelled so that a long reduction uses the whole GPU.

    Summed to one element, a C-contiguous array is summed flat (CuPy's full reduction runs at
    memory speed); summed over its leading axes, it is ones((1, k)) @ x.reshape(k, -1), one
    cuBLAS gemv. A broadcast axis (stride 0, as the gradient of a sum arrives) is summed as
    one slice times its length. Float16 is summed in float32 and cast back, as mean() does
    (a float16 gemv accumulates visibly: relative error 3e-3 over 10M numbers). The rest
    (the last axes, small arrays, integers and booleans) stays CuPy's own sum, which is fast
    for them or has no faster spelling; the results have the dtypes CuPy's sum gives.
    """
    if x.ndim == 0:
        # NumPy sums a 0-d array over axis 0 or -1 (not (0,)); CuPy refuses any axis there.
        if axis is not None and not isinstance(axis, tuple) and operator.index(axis) in (0, -1):
            axis = None
        return x.sum(axis=axis, keepdims=keepdims)
    axes = _axes(axis, x.ndim)
    if axes is None or x.size < FAST_SUM_MIN_SIZE or x.dtype.kind != "f":
        return x.sum(axis=axis, keepdims=keepdims)
    dtype, copies = x.dtype, 1
    out_shape = (tuple(1 if i in axes else n for i, n in enumerate(x.shape)) if keepdims else
                 tuple(n for i, n in enumerate(x.shape) if i not in axes))
    if 0 in x.strides:
        x, copies = _one_copy(x, axes)
    wide = numpy.float32 if dtype == numpy.float16 else None
    out = _fast_sum(x, axes, wide)
    if out is None:
        if copies == 1 and wide is None:
            return x.sum(axis=axis, keepdims=keepdims)
        out = x.sum(axis=axes, keepdims=True, dtype=wide)
    if copies != 1:
        out = out * copies
    return out.reshape(out_shape).astype(dtype, copy=False)


def _one_copy(x, axes):
    """x cut to one slice along its summed broadcast axes, and how many copies were cut."""
    copies, index = 1, []
    for i, (n, stride) in enumerate(zip(x.shape, x.strides)):
        if stride == 0 and n > 1 and i in axes:
            copies *= n
            index.append(slice(0, 1))
        else:
            index.append(slice(None))
    return (x[tuple(index)], copies) if copies > 1 else (x, 1)


def _fast_sum(x, axes, wide):
    """x summed over `axes` with keepdims (in `wide` when given) by a flat sum or a gemv; None
    where CuPy's own sum is as fast (small arrays, the last axes) or a copy would cost memory
    (a broadcast view)."""
    shape = x.shape
    k = 1                               # how many numbers make each output element
    for i in axes:
        k *= shape[i]
    if x.size < FAST_SUM_MIN_SIZE or k == 1:
        return None
    if k != x.size and axes != tuple(range(len(axes))):     # not to one element, not leading
        return None
    if not x.flags.c_contiguous:
        if 0 in x.strides:
            return None                 # a contiguous copy would materialize the broadcast
        x = _cupy.ascontiguousarray(x)  # one pass over x: far cheaper than the slow reduction
    if k == x.size:
        flat = x.reshape(-1)
        out = flat.sum() if wide is None else flat.sum(dtype=wide)
    else:
        if wide is not None:
            x = x.astype(wide)
        out = _cupy.ones((1, k), x.dtype) @ x.reshape(k, -1)
    return out.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _axes(axis, ndim: int):
    """The summed axes, sorted, from 0; None when CuPy should judge (and refuse) them."""
    if axis is None:
        return tuple(range(ndim))
    try:
        items = [operator.index(a) for a in (axis if isinstance(axis, tuple) else (axis,))]
    except TypeError:
        return None
    if not all(-ndim <= a < ndim for a in items):
        return None
    axes = tuple(sorted({a % ndim for a in items}))
    return axes if len(axes) == len(items) else None


# ---- the operations spelled differently on NumPy and CuPy ----

def scatter_add(target, index, values) -> None:
    """target[index] += values, where repeated indices accumulate (in place)."""
    if isinstance(target, numpy.ndarray):
        numpy.add.at(target, index, values)
    else:
        cupyx = importlib.import_module("cupyx")
        cupyx.scatter_add(target, index, values)


def broadcast_to(x, shape: tuple):
    """x repeated to `shape`: a read-only view, as numpy.broadcast_to.

    A 0-d NumPy array (the gradient of every full reduction: sum(), mean(), a scalar loss) is
    spread by zero strides directly: numpy.broadcast_to checks and iterates in Python, four
    times the cost of the whole view for this case (W5's Σx⁴ pays it once per HVP).
    """
    if type(x) is _ndarray and not x.shape and min(shape, default=0) >= 0:
        view = _ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        view.flags.writeable = False
        return view
    return xp_of(x).broadcast_to(x, shape)


def as_strided(x, shape: tuple, strides: tuple):
    """A view of x's memory with the given shape and byte strides (no copy; never write to it
    when windows overlap). NumPy and CuPy both keep it in `lib.stride_tricks`."""
    return xp_of(x).lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def random_state(device: str):
    """numpy.random for 'cpu'; for a GPU, cupy.random with each draw made on (and lands on) it."""
    if is_host(device):
        return numpy.random
    return _GpuRandom(_import_cupy(), _gpu_id(device))


class _GpuRandom:
    """cupy.random bound to one GPU.

    CuPy keeps one generator per device and draws on the *current* one: each call here makes
    the GPU current first, and gives its generator the last seed() if it has not had it yet.
    """

    def __init__(self, cupy, gpu: int):
        self._cupy, self._gpu = cupy, gpu

    def __getattr__(self, name):
        draw = getattr(self._cupy.random, name)

        def on_gpu(*args, **kwargs):
            with self._cupy.cuda.Device(self._gpu):
                _seed_gpu(self._cupy, self._gpu)
                return draw(*args, **kwargs)
        return on_gpu


def _seed_gpu(cupy, gpu: int) -> None:
    """Seed the current GPU's generator with the last seed(), once per seed() call.

    cupy.random.seed seeds the current device's generator only, so every GPU is seeded on its
    first draw after seed() (also when CuPy is imported after seed()).
    """
    if _last_seed is not _UNSEEDED and gpu not in _seeded_gpus:
        cupy.random.seed(_last_seed)
        _seeded_gpus.add(gpu)


def seed(s) -> None:
    """Seed NumPy's global generator now, and each GPU's CuPy generator before its next draw."""
    global _last_seed
    numpy.random.seed(s)
    _last_seed = s
    _seeded_gpus.clear()


def random_normal(loc=0.0, scale=1.0, size=None, dtype=numpy.float32, device: str = "cpu"):
    """Draws from N(loc, scale²) as an array of `dtype` on `device`, drawn where they land."""
    return _draw("normal", loc, scale, size, dtype, device)


def random_uniform(low=0.0, high=1.0, size=None, dtype=numpy.float32, device: str = "cpu"):
    """Draws from U[low, high) as an array of `dtype` on `device`, drawn where they land."""
    return _draw("uniform", low, high, size, dtype, device)


def _draw(distribution: str, a, b, size, dtype, device: str):
    """numpy.random.<distribution>(a, b, size) or its CuPy twin, as an array of `dtype`."""
    if is_host(device):
        return as_array(getattr(numpy.random, distribution)(a, b, size), dtype, device)
    cupy, gpu = _import_cupy(), _gpu_id(device)
    with cupy.cuda.Device(gpu):
        _seed_gpu(cupy, gpu)
        a, b = _on_gpu(cupy, a), _on_gpu(cupy, b)
        # cupy.random.normal/uniform(..., dtype=) draw float32 or float64 only (TypeError for
        # others) and default to float64; NumPy would draw float64 and convert.
        draws = getattr(cupy.random, distribution)(a, b, size, dtype=_draw_dtype(dtype))
        return cupy.asarray(draws, dtype=dtype)


def _draw_dtype(dtype):
    """CuPy's generators draw float32 or float64 only; others are converted afterwards."""
    dtype = numpy.dtype(dtype)
    return dtype if dtype in (numpy.float32, numpy.float64) else numpy.float64


def _on_gpu(cupy, x):
    """A distribution parameter as CuPy accepts it: a Python number or a CuPy array."""
    return x if isinstance(x, (int, float)) else cupy.asarray(x)


# ---- DLPack ----

# DLPack's DLDeviceType numbers: what NumPy reads (host memory, pinned host memory included)
# and what cupy.from_dlpack takes (GPU memory; it refuses kDLCUDAHost with a TypeError).
_DLPACK_HOST = (1, 3, 11)       # kDLCPU, kDLCUDAHost, kDLROCMHost
_DLPACK_CUDA = (2, 13)          # kDLCUDA, kDLCUDAManaged


def from_dlpack(obj):
    """An array sharing memory with a DLPack producer (NumPy, CuPy, PyTorch, JAX...)."""
    if not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"{type(obj).__name__} does not speak DLPack (no __dlpack__ and "
                        "__dlpack_device__ methods)")
    device_type = int(obj.__dlpack_device__()[0])
    if device_type in _DLPACK_HOST:
        return numpy.from_dlpack(obj)
    if device_type in _DLPACK_CUDA:
        cupy = _import_cupy()
        if cupy is None:
            raise DeviceError(f"a DLPack tensor on a GPU needs CuPy: {_cupy_problem}")
        return cupy.from_dlpack(obj)
    raise DeviceError(f"DLPack device type {device_type} is neither the CPU nor a CUDA GPU")


# ---- Python scalars under CuPy < 14 ----


def weak_scalars(a, b):
    """Operands a and b of a binary op, one a Python scalar, as CuPy < 14 must get them."""
    if type(b) is not numpy.ndarray and is_cupy_array(b):
        return weak_scalar(a, b), b
    if type(a) is not numpy.ndarray and is_cupy_array(a):
        return a, weak_scalar(b, a)
    return a, b


def weak_scalar(x, array):
    """The Python scalar `x` as CuPy < 14 must get it so that `array op x` keeps array's dtype.

    NumPy 2 and CuPy 14 let a Python int or float take the array's dtype (float32 / 100000 is
    float32). CuPy 13 promotes by the scalar's value instead: 100000 needs int32, which float32
    cannot hold, so the result is float64. A NumPy scalar of the array's dtype gives NumPy 2's
    answer there. A numpy.float64 (a float subclass) keeps its own dtype in NumPy 2, which a
    0-d array gives on CuPy 13. Anything else (a float with an int array) is returned unchanged.
    """
    kind = array.dtype.kind
    if (type(x) is int and kind in "iufc") or (type(x) is float and kind in "fc"):
        return array.dtype.type(x)
    if type(x) is numpy.float64:
        with _cupy.cuda.Device(array.device.id):
            return _cupy.asarray(x)
    return x
