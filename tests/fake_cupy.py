"""A NumPy-backed stand-in for CuPy: a test double that runs the CUDA code paths without a GPU.

Not part of microgradnd. tests/conftest.py installs it as `cupy` and `cupyx` only when the
environment variable MICROGRADND_FAKE_CUPY=1 is set (MICROGRADND_FAKE_CUPY_DEVICES=N fakes N
GPUs). It copies the CuPy behaviours that break code written for NumPy, each from CuPy's own
source (cupy/_core/core.pyx, _routines_indexing.pyx) or documentation:

- `ndarray` is its own type, not a numpy.ndarray; `__array__` raises TypeError, so
  numpy.asarray(gpu_array) fails; `.get()` copies to the host; `.device.id` is the GPU.
- NumPy ufuncs on it return it (`__array_ufunc__`, `__call__` only: `numpy.add.at` and
  `numpy.add.reduce` fail); a numpy.ndarray or a list in a ufunc raises TypeError.
- NumPy functions dispatch (`__array_function__`) to the function of the same name here,
  which refuses numpy.ndarray inputs; a NumPy function CuPy lacks raises TypeError.
- Reductions, scalar indexing and ufuncs on 0-d arrays give 0-d arrays, never NumPy scalars.
- Integer array indices wrap around instead of raising IndexError; `a[basic] = numpy_array`
  fails (fill); `cupyx.scatter_add` refuses int64 values.
- `__dlpack_device__` is (2, id), kDLCUDA, so host consumers (numpy.from_dlpack) refuse it;
  `__dlpack__` takes CuPy 13.6's keywords (a host copy only for dl_device=(1, 0)).
- MICROGRADND_FAKE_CUPY_VERSION=13.6.0 plays CuPy 13: Python and NumPy scalars promote by
  value (float32 array / 100000 is float64), as before NEP 50. The default plays CuPy 14.
- One random generator per device, seeded by cupy.random.seed for the current device only;
  cupy.cuda.runtime.getDeviceCount() raises CUDARuntimeError when there is no GPU.
- Several GPUs (CuPy 13/14, cupy/_core/_kernel.pyx `_check_peer_access`): a kernel runs on
  the current GPU and its output is allocated there; a kernel that reads or writes an array
  of another GPU raises ValueError ("The device where the array resides (1) is different from
  the current device (0). Peer access is unavailable ..."), or, where the two GPUs have peer
  access (`peer_access = True`, or MICROGRADND_FAKE_CUPY_PEER=1), runs anyway on the current
  GPU with a PerformanceWarning. Views (slices, reshape, transpose, ...) stay on their array's
  GPU; `zeros_like` & co. allocate on the current GPU without looking at the prototype's;
  `copy()` and `cupy.asarray` copy an array of another GPU to the current one (refusing, as
  CuPy, a layout that is neither C- nor F-contiguous for `asarray`).
The data really live in host memory and every "kernel" is the NumPy call, so timings,
asynchrony, streams, memory pools and kernel compilation are not modelled.
"""
from __future__ import annotations

import builtins
import functools
import os
import sys
import tempfile
import types
import warnings
from pathlib import Path

import numpy

__version__ = os.environ.get("MICROGRADND_FAKE_CUPY_VERSION", "14.2.0") + "+fake"
_LEGACY = int(__version__.split(".")[0]) < 14      # value-based scalar promotion (CuPy <= 13)
_N_DEVICES = int(os.environ.get("MICROGRADND_FAKE_CUPY_DEVICES", "1"))
_importing = [False]    # True while from_dlpack below reads a capsule
_current = [0]          # the current device id (CuPy keeps it per thread; one thread here)
# Whether the GPUs have peer access to each other's memory (NVLink, or PCIe P2P): then CuPy
# runs a kernel on an array of another GPU (on the current one) instead of refusing it.
peer_access = os.environ.get("MICROGRADND_FAKE_CUPY_PEER") == "1"
_SCALARS = (int, float, complex, bool, numpy.generic)


class CUDARuntimeError(RuntimeError):
    """cupy.cuda.runtime.CUDARuntimeError (a RuntimeError subclass, as CuPy's)."""


def _check_device(device):
    """CuPy checks an ordinal only when it calls cudaSetDevice & co, not in Device()."""
    if not 0 <= device < _N_DEVICES:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")


class Device:
    """cupy.cuda.Device: `with Device(i):` makes GPU i current for the block."""

    def __init__(self, device=None):
        self.id = _current[0] if device is None else int(device)
        self._saved = []

    def __enter__(self):
        _check_device(self.id)
        self._saved.append(_current[0])
        _current[0] = self.id
        return self

    def __exit__(self, *exc):
        _current[0] = self._saved.pop()

    def use(self):
        _check_device(self.id)
        _current[0] = self.id
        return self

    def synchronize(self):
        _check_device(self.id)

    @property
    def mem_info(self):
        _check_device(self.id)
        return (100 * 2**30, 141 * 2**30)

    @property
    def compute_capability(self):
        return "90"

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


class _MemoryPointer:
    """What `a.data` is on CuPy: a device pointer (here the host address of the buffer)."""

    def __init__(self, a, device_id=0):
        self.ptr = a.__array_interface__["data"][0]
        self.device_id = device_id


class PerformanceWarning(RuntimeWarning):
    """cupy._util.PerformanceWarning: what CuPy warns when it enables peer access itself."""


def _check_peer(x):
    """CuPy 13/14's _check_peer_access, run on every array a kernel reads or writes.

    An array of another GPU than the current one is refused with CuPy's ValueError, unless
    the GPUs have peer access: CuPy then enables it, warns, and the kernel runs on the
    current GPU (its output lands there, not on the array's GPU).
    """
    if x._dev == _current[0]:
        return
    msg = (f"The device where the array resides ({x._dev}) is different from the current "
           f"device ({_current[0]}).")
    if not peer_access:
        raise ValueError(f"{msg} Peer access is unavailable between these devices.")
    warnings.warn(f"{msg} Peer access has been activated automatically.", PerformanceWarning,
                  stacklevel=3)


def _unwrap(x):
    """The NumPy buffer of a fake array a kernel uses (checked by _check_peer); a
    numpy.ndarray is refused, as CuPy refuses it."""
    return _raw(x, kernel=True)


def _raw(x, kernel: bool = False):
    """The NumPy buffers of fake arrays (in lists and tuples too), unchecked unless a kernel
    reads them: views and what reads only an array's shape and dtype need no check."""
    if isinstance(x, ndarray):
        if kernel:
            _check_peer(x)
        return x._a
    if isinstance(x, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(_raw(v, kernel) for v in x)
    return x


def _fakes(values):
    """The fake arrays among `values` (searching lists and tuples)."""
    found = []
    for v in values:
        if isinstance(v, ndarray):
            found.append(v)
        elif isinstance(v, (list, tuple)):
            found.extend(_fakes(v))
    return found


def _wrap(a, dev=None):
    """NumPy results as fake arrays on GPU `dev` (the current one by default); NumPy scalars
    become 0-d arrays."""
    if isinstance(a, numpy.generic):
        a = numpy.asarray(a)
    if isinstance(a, numpy.ndarray):
        out = ndarray.__new__(ndarray)
        out._a, out._dev = a, _current[0] if dev is None else dev
        return out
    if isinstance(a, tuple):
        return tuple(_wrap(v, dev) for v in a)
    if isinstance(a, list):
        return [_wrap(v, dev) for v in a]
    return a


def _from(result, sources):
    """What a NumPy call on the fake arrays `sources` gives, as CuPy would place it.

    A view of a source (a slice, a reshape, a transpose: no kernel ran) stays on the source's
    GPU. Any other array or scalar is a kernel's output: every source is checked (_check_peer)
    and the output lies on the current GPU. Python ints (shapes) pass as they are.
    """
    items = list(result) if isinstance(result, (tuple, list)) else [result]
    homes = []
    for r in items:
        home = None
        if isinstance(r, numpy.ndarray):
            home = next((s._dev for s in sources if numpy.may_share_memory(r, s._a)), None)
        homes.append(home)
    if result is None or builtins.any(     # None: an in-place kernel (a.sort())
            h is None and isinstance(r, (numpy.ndarray, numpy.generic, bool))
            for r, h in zip(items, homes)):
        for s in sources:
            _check_peer(s)
    out = [_wrap(r, h) for r, h in zip(items, homes)]
    if isinstance(result, tuple):
        return tuple(out)
    return out if isinstance(result, list) else out[0]


def _is_basic(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (int, slice, numpy.integer))
               for i in items)


def _index(shape, index):
    """The index as NumPy takes it; integer arrays wrap around (CuPy's take/scatter kernels)."""
    items = list(index) if isinstance(index, tuple) else [index]
    out = []
    for i in items:
        if isinstance(i, ndarray):
            i = i._a
        elif isinstance(i, list):
            i = numpy.asarray([v._a if isinstance(v, ndarray) else v for v in i])
        out.append(i)
    plain = builtins.all(i is not None and i is not Ellipsis for i in out)
    if plain and len(out) <= len(shape):
        out = [i % shape[axis] if isinstance(i, numpy.ndarray) and i.dtype.kind in "iu"
               and shape[axis] else i for axis, i in enumerate(out)]
    return tuple(out) if isinstance(index, tuple) else out[0]


_KIND_SCORE = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 2}     # CuPy 13's _get_kind_score
_CUPY_LOOP_TYPES = set("?bBhHiIlLqQefdFD")                  # the loops CuPy's ufuncs have


def _min_scalar_types(x):
    """CuPy 13's _min_scalar_type: a non-negative int may fit a signed type too."""
    t = numpy.min_scalar_type(x)
    if t.kind == "u":
        signed = numpy.dtype(t.char.lower())
        if x <= numpy.iinfo(signed).max:
            return (t, signed)
    return (t,)


def _legacy_loop(npufunc, raw):
    """The loop CuPy 13 picks when scalars meet arrays: scalars count by value, not type.

    Mirrors cupy/_core/_kernel.pyx (v13): _check_should_use_min_scalar, _min_scalar_type
    and _guess_routine_from_in_types. None where NumPy's own choice is CuPy 13's too.
    """
    arrays = [x for x in raw if isinstance(x, numpy.ndarray)]
    if not arrays or len(arrays) == len(raw):
        return None
    scalar_kind = builtins.max(_KIND_SCORE.get(numpy.asarray(x).dtype.kind, -1)
                               for x in raw if not isinstance(x, numpy.ndarray))
    if builtins.max(_KIND_SCORE.get(a.dtype.kind, -1) for a in arrays) < scalar_kind:
        return None
    in_types = [(x.dtype,) if isinstance(x, numpy.ndarray) else _min_scalar_types(x)
                for x in raw]
    for loop in npufunc.types:
        ins = loop.split("->")[0]
        if len(ins) != len(raw) or not set(loop.replace("->", "")) <= _CUPY_LOOP_TYPES:
            continue
        if builtins.all(builtins.any(numpy.can_cast(t, numpy.dtype(c)) for t in candidates)
                        for candidates, c in zip(in_types, ins)):
            return loop
    return None


def _call(npufunc, args, kwargs):
    """npufunc on the NumPy buffers, with CuPy 13's loop when playing CuPy 13."""
    raw = _unwrap(args)
    if _LEGACY and "dtype" not in kwargs and "signature" not in kwargs:
        loop = _legacy_loop(npufunc, raw)
        if loop is not None:
            kwargs = dict(kwargs, signature=loop)
    return npufunc(*raw, **kwargs)


_AT = ("add subtract maximum minimum bitwise_and bitwise_or bitwise_xor").split()  # scatter ops
_REDUCE = {"reduce": ("add", "multiply"), "accumulate": ("add", "multiply"),
           "reduceat": ("add",), "outer": None}


def _should_use_rop(x, y) -> bool:
    """CuPy's rule: defer to y's reflected method when y has the higher __array_priority__."""
    return getattr(x, "__array_priority__", 0) < getattr(y, "__array_priority__", 0)


def _binop(ufunc, reflected=False):
    def op(self, other):
        if not isinstance(other, ndarray) and _should_use_rop(self, other):
            return NotImplemented
        return ufunc(other, self) if reflected else ufunc(self, other)
    return op


def _inplace(ufunc):
    def op(self, other):
        return ufunc(self, other, out=self)
    return op


def _method(name):
    def m(self, *args, **kwargs):
        return _from(getattr(self._a, name)(*_raw(args), **kwargs), [self] + _fakes(args))
    m.__name__ = name
    return m


# ---- reductions: CuPy's axis rules, and a log of the sums a GPU would run slowly ----

_AXIS_REDUCTIONS = ("sum", "prod", "max", "min", "mean", "any", "all")
SLOW_SUM_MIN_SIZE = 4096
# One (shape, axes) entry per sum that CuPy runs slowly: a float or int array of at least
# SLOW_SUM_MIN_SIZE elements summed over an axis other than its last (of length > 1), given
# as `axis=`. CuPy reduces with one thread block per output element, so a long reduction
# into few outputs runs on a few cores: (10M, 1).sum(axis=0) takes 3.2 ms on an H200 where
# .sum() takes 0.02 ms. Tests clear the list, sum, and read it to prove the fast path.
slow_sums = []


def _reduce_axis(a, axis):
    """CuPy's _get_axis (cupy/_core/_reduction.pyx): every axis is checked against a.ndim,
    so a 0-d array refuses axis 0 and -1, which NumPy's sum takes."""
    if axis is not None and a.ndim == 0:
        items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        if items:
            raise numpy.exceptions.AxisError(
                f"axis {items[0]} is out of bounds for array of dimension 0")


def _note_sum(a, axis):
    """Log a sum of `a` over `axis` when CuPy would run it slowly (see slow_sums)."""
    if axis is None or a.ndim == 0 or a.size < SLOW_SUM_MIN_SIZE:
        return
    items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(sorted(int(i) % a.ndim for i in items))
    if builtins.any(i != a.ndim - 1 and a.shape[i] > 1 for i in axes):
        slow_sums.append((a.shape, axes))


def _reduction(name):
    def m(self, axis=None, *args, **kwargs):
        _reduce_axis(self._a, axis)
        if name == "sum":
            _note_sum(self._a, axis)
        _check_peer(self)
        return _wrap(getattr(self._a, name)(axis, *_unwrap(args), **kwargs))
    m.__name__ = name
    return m


class ndarray:  # noqa: N801 - CuPy's name
    """A 'GPU' array: NumPy data behind CuPy's interface and CuPy's refusals."""

    __array_priority__ = 100        # CuPy's value: a Tensor (1000) wins `gpu_array + tensor`
    __slots__ = ("_a", "_dev")

    def __init__(self, shape, dtype=float):
        self._a, self._dev = numpy.empty(shape, dtype), _current[0]

    # ---- what CuPy refuses ----

    def __array__(self, dtype=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        # As cupy/_core/core.pyx: the ufunc's CuPy twin for __call__, at, reduce, accumulate,
        # reduceat and outer; a list (or anything but arrays and scalars) gives NotImplemented.
        if method not in ("__call__", "at", "outer") + tuple(_REDUCE) or \
                ufunc.__name__ not in _UFUNCS:
            return NotImplemented
        out = kwargs.get("out")
        if out is not None:
            out = out if isinstance(out, tuple) else (out,)
            if len(out) != 1:
                raise ValueError("The 'out' parameter must have exactly one array value")
        for x in inputs + (out or ()):
            if not isinstance(x, (ndarray, numpy.ndarray) + _SCALARS):
                return NotImplemented
        if out is not None:
            kwargs["out"] = _unwrap(out[0])
        name = ufunc.__name__
        if method == "at":
            if name not in _AT:
                raise NotImplementedError(f"`{name}.at` is not supported yet")
            a, index = inputs[0], inputs[1]
            if not isinstance(a, ndarray):
                raise TypeError(f"Unsupported type {type(a)}")
            _check_scatter_dtype(a, index, name)
            _check_peer(a)
            ufunc.at(a._a, _index(a.shape, index), *_unwrap(inputs[2:]))
            return None
        if method == "__call__":
            result = _call(ufunc, inputs, kwargs)
        else:
            allowed = _REDUCE[method]
            if allowed is not None and name not in allowed:
                raise NotImplementedError(f"`{name}.{method}` is not supported yet")
            if method == "reduce" and isinstance(inputs[0], ndarray):
                axis = kwargs.get("axis", inputs[1] if len(inputs) > 1 else 0)
                _reduce_axis(inputs[0]._a, axis)
                if name == "add":
                    _note_sum(inputs[0]._a, axis)
            result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        return out[0] if out is not None else _wrap(result)

    def __array_function__(self, func, types, args, kwargs):
        module = sys.modules[__name__]
        for part in func.__module__.split(".")[1:]:
            module = getattr(module, part, None)
        impl = getattr(module, func.__name__, None)
        foreign = builtins.any(t not in (ndarray, numpy.ndarray) for t in types)
        if impl is None or impl is func or foreign:
            return NotImplemented
        return impl(*args, **kwargs)

    # ---- attributes ----

    shape = property(lambda self: self._a.shape)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    dtype = property(lambda self: self._a.dtype)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: _wrap(self._a.T, self._dev))
    device = property(lambda self: Device(self._dev))
    data = property(lambda self: _MemoryPointer(self._a, self._dev))
    base = property(lambda self: None if self._a.base is None else _wrap(self._a.base, self._dev))

    @shape.setter
    def shape(self, value):
        self._a.shape = value

    # ---- host transfer and Python conversions (CuPy copies to the host for these) ----

    def get(self, stream=None, order="C", out=None):
        return numpy.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, numpy.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        self._a[...] = arr

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self._a)))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def __reduce__(self):
        return array, (self.get(),)

    # ---- indexing ----

    def __getitem__(self, index):
        items = index if isinstance(index, tuple) else (index,)
        if _is_basic(index):    # a view, a 0-d one for a single element (NumPy's `a[i, ...]`)
            if Ellipsis not in items:
                items = items + (Ellipsis,)
            return _wrap(self._a[items], self._dev)
        return _from(self._a[_index(self._a.shape, index)], [self] + _fakes(items))

    def __setitem__(self, index, value):
        for x in [self] + _fakes(index if isinstance(index, tuple) else (index,)):
            _check_peer(x)
        if isinstance(value, ndarray):
            _check_peer(value)
            value = value._a
        elif not isinstance(value, _SCALARS):
            if _is_basic(index) and numpy.ndim(value) > 0:
                # CuPy fills a basic selection with a scalar only (ndarray.fill)
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        self._a[_index(self._a.shape, index)] = value

    # ---- operators: through the ufuncs, as CuPy does ----

    __add__, __radd__ = _binop(numpy.add), _binop(numpy.add, True)
    __sub__, __rsub__ = _binop(numpy.subtract), _binop(numpy.subtract, True)
    __mul__, __rmul__ = _binop(numpy.multiply), _binop(numpy.multiply, True)
    __truediv__, __rtruediv__ = _binop(numpy.true_divide), _binop(numpy.true_divide, True)
    __floordiv__, __rfloordiv__ = _binop(numpy.floor_divide), _binop(numpy.floor_divide, True)
    __mod__, __rmod__ = _binop(numpy.remainder), _binop(numpy.remainder, True)
    __pow__, __rpow__ = _binop(numpy.power), _binop(numpy.power, True)
    __matmul__, __rmatmul__ = _binop(numpy.matmul), _binop(numpy.matmul, True)
    __and__, __or__, __xor__ = (_binop(numpy.bitwise_and), _binop(numpy.bitwise_or),
                                _binop(numpy.bitwise_xor))
    __rand__, __ror__ = _binop(numpy.bitwise_and, True), _binop(numpy.bitwise_or, True)
    __lt__, __le__ = _binop(numpy.less), _binop(numpy.less_equal)
    __gt__, __ge__ = _binop(numpy.greater), _binop(numpy.greater_equal)
    __eq__, __ne__ = _binop(numpy.equal), _binop(numpy.not_equal)
    __hash__ = None
    __iadd__, __isub__ = _inplace(numpy.add), _inplace(numpy.subtract)
    __imul__, __itruediv__ = _inplace(numpy.multiply), _inplace(numpy.true_divide)
    __ipow__ = _inplace(numpy.power)

    def __neg__(self):
        return numpy.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return numpy.absolute(self)

    def __invert__(self):
        return numpy.invert(self)

    # ---- methods ----

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        out = self._a.astype(dtype, order=order, copy=copy)
        if out is self._a:
            return self
        _check_peer(self)       # a cast is a kernel
        return _wrap(out)

    def reshape(self, *shape, order="C"):
        return _from(self._a.reshape(*shape, order=order), [self])

    def fill(self, value):
        if isinstance(value, numpy.ndarray) and value.shape != ():
            raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        _check_peer(self)
        self._a.fill(value.item() if isinstance(value, ndarray) else value)

    def copy(self, order="C"):
        """A copy on the current GPU, also of an array of another GPU (CuPy's copy())."""
        if self._dev == _current[0]:
            return _wrap(numpy.array(self._a, order=order))
        if order not in "CFA" and not (self._a.flags.c_contiguous or self._a.flags.f_contiguous):
            raise NotImplementedError("CuPy cannot copy non-contiguous array between devices.")
        return _wrap(numpy.array(self._a, order="K" if order == "K" else order))

    def dot(self, b, out=None):
        return globals()["dot"](self, b, out=out)

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        # CuPy 13.6's checks, in its order (cupy/_core/core.pyx); CuPy 13.0 took stream only.
        to_host = False
        if dl_device is None or tuple(dl_device) == self.__dlpack_device__():
            if copy is True:
                raise BufferError("copy=True only supported for copy to CPU.")
        elif tuple(dl_device) == (1, 0):
            if copy is False:
                raise ValueError("GPU memory cannot be exported to CPU without copy.")
            to_host = True
        else:
            raise BufferError("unsupported device requested.")
        if not to_host and stream is not None and (not isinstance(stream, int) or stream < -1):
            raise ValueError(f"On CUDA, the valid stream for the DLPack protocol is -1, 1, 2, "
                             f"or any larger value, but {stream} was provided")
        if to_host:     # what numpy.from_dlpack(a, device="cpu") asks for: a host copy
            return numpy.array(self._a).__dlpack__(max_version=max_version)
        # The buffer is host memory, so NumPy's capsule would say kDLCPU: only this module's
        # from_dlpack may take it; any other consumer is refused, as a host reader of a real
        # GPU capsule would be.
        if not _importing[0]:
            raise BufferError("fake CuPy: this array is on a CUDA device (kDLCUDA); a host "
                              "consumer cannot read its DLPack capsule")
        return self._a.__dlpack__()

    def __dlpack_device__(self):
        return (2, self._dev)

    for _name in _AXIS_REDUCTIONS:
        locals()[_name] = _reduction(_name)
    for _name in ("argmax", "argmin", "cumsum", "var", "std", "transpose", "ravel",
                  "flatten", "squeeze", "swapaxes", "take", "repeat", "clip", "nonzero", "round",
                  "conj", "view", "argsort", "sort"):
        locals()[_name] = _method(_name)
    del _name


ndarray.__module__ = "cupy"     # as CuPy's: code that sniffs the module name sees "cupy"


# ---- module functions: NumPy's, on fake arrays only (numpy.ndarray inputs are refused) ----


def _function(name):
    npfunc = getattr(numpy, name)

    @functools.wraps(npfunc)
    def f(*args, **kwargs):
        result = npfunc(*_raw(args), **{k: _raw(v) for k, v in kwargs.items()})
        return _from(result, _fakes(args) + _fakes(kwargs.values()))
    return f


def _like(name):
    """zeros_like & co.: a new array on the current GPU; the prototype gives only its shape,
    dtype and layout (CuPy reads none of its memory, whatever GPU holds it)."""
    npfunc = getattr(numpy, name)

    @functools.wraps(npfunc)
    def f(a, *args, **kwargs):
        return _wrap(npfunc(_raw(a), *args, **kwargs))
    return f


def _ufunc(name):
    npfunc = getattr(numpy, name)

    def f(*args, **kwargs):
        for x in args:
            if not isinstance(x, (ndarray, numpy.ndarray) + _SCALARS):
                raise TypeError(f"Unsupported type {type(x)}")
        out = kwargs.pop("out", None)
        if out is not None:
            _call(npfunc, args, dict(kwargs, out=_unwrap(out)))
            return out
        return _wrap(_call(npfunc, args, kwargs))
    f.__name__ = name
    return f


# CuPy has NumPy's ufuncs, all but these (cupy docs, "Universal functions"); so the fake
# has every other one, and an op whose forward calls a NumPy ufunc needs no entry here.
_NOT_IN_CUPY = {"isnat", "spacing", "bitwise_count", "matvec", "vecmat", "vecdot"}
_UFUNCS = sorted(n for n, u in vars(numpy).items() if isinstance(u, numpy.ufunc)
                 and not n.startswith("_") and u.__name__ not in _NOT_IN_CUPY)
_FUNCTIONS = ("where broadcast_to stack concatenate sum mean amax amin max min prod argmax "
              "argmin dot reshape transpose shape ndim argsort sort allclose array_equal "
              "unravel_index squeeze expand_dims clip cumsum any all outer einsum tensordot "
              "moveaxis swapaxes ravel nonzero count_nonzero isclose broadcast_arrays "
              "atleast_1d atleast_2d vstack hstack tile repeat take diag trace var std inner "
              "vdot array_split split flip ascontiguousarray").split()
_CREATION = "zeros ones empty full arange linspace eye identity".split()

for _n in _UFUNCS:
    globals()[_n] = _ufunc(_n)
for _n in _FUNCTIONS:
    globals()[_n] = _function(_n)
for _n in ("zeros_like", "ones_like", "empty_like", "full_like"):
    globals()[_n] = _like(_n)


def copy(a, order="K"):
    """cupy.copy: a.copy(), on the current GPU."""
    return a.copy(order=order)


def _reduction_function(name):
    npfunc = getattr(numpy, name)

    @functools.wraps(npfunc)
    def f(a, axis=None, *args, **kwargs):
        if isinstance(a, ndarray):
            _reduce_axis(a._a, axis)
            if name == "sum":
                _note_sum(a._a, axis)
        return _wrap(npfunc(_unwrap(a), axis, *_unwrap(args),
                            **{k: _unwrap(v) for k, v in kwargs.items()}))
    return f


for _n in _AXIS_REDUCTIONS + ("amax", "amin"):
    globals()[_n] = _reduction_function(_n)


def _creation(name):
    npfunc = getattr(numpy, name)

    @functools.wraps(npfunc)
    def f(*args, **kwargs):
        return _wrap(npfunc(*args, **kwargs))
    return f


for _n in _CREATION:
    globals()[_n] = _creation(_n)
for _n in ("float16 float32 float64 int8 int16 int32 int64 uint8 uint32 uint64 bool_ complex64 "
           "complex128 dtype newaxis pi e inf nan intp result_type can_cast promote_types "
           "issubdtype finfo iinfo").split():
    globals()[_n] = getattr(numpy, _n)
del _n


def array(obj, dtype=None, copy=True, order="K", ndmin=0):
    """A new array on the current device from host data or another fake array; an array of
    the current device itself when copy=False and nothing needs converting."""
    if isinstance(obj, ndarray):
        if obj._dev == _current[0]:
            if not copy:
                return obj.astype(dtype, copy=False) if dtype is not None else obj
        else:       # CuPy: src.copy(order=order) onto the current GPU, then the cast
            obj = obj.copy(order=order)
        return _wrap(numpy.array(obj._a, dtype=dtype, order=order, ndmin=ndmin))
    if isinstance(obj, (list, tuple)) and builtins.any(isinstance(v, ndarray) for v in obj):
        obj = [v.get() if isinstance(v, ndarray) else v for v in obj]
    return _wrap(numpy.array(obj, dtype=dtype, order=order, ndmin=ndmin))


def asarray(a, dtype=None, order=None, blocking=False):
    """`a` itself when it is already on the current device with that dtype, else a copy."""
    return array(a, dtype=dtype, copy=False, order=order or "K")


def asnumpy(a, stream=None, order="C", out=None, blocking=True):
    """A host copy (cupy.asnumpy takes NumPy arrays too)."""
    return a.get(order=order) if isinstance(a, ndarray) else numpy.asarray(a, order=order)


def get_array_module(*args):
    return sys.modules[__name__] if builtins.any(isinstance(a, ndarray) for a in args) else numpy


def from_dlpack(x, *, device=None, copy=None):
    """Zero-copy import of a kDLCUDA producer (here: one whose buffer is host memory)."""
    if device is not None:
        raise NotImplementedError("from_dlpack() does not support device yet.")
    kind, dev = x.__dlpack_device__()
    if int(kind) == 1:
        raise TypeError("CPU arrays cannot be directly imported to CuPy. "
                        "Use `cupy.array(numpy.from_dlpack(input))` instead.")
    if int(kind) not in (2, 13):       # kDLCUDA, kDLCUDAManaged: not kDLCUDAHost (3)
        raise TypeError(f"Unsupported array type: {kind}")
    if isinstance(x, ndarray):          # a new array object on the same memory, as CuPy's
        out = ndarray.__new__(ndarray)
        out._a, out._dev = x._a.view(), x._dev
        return out

    class _OnHost:          # the fake's buffers are host memory: let NumPy read the capsule
        def __dlpack__(self, **kwargs):
            return x.__dlpack__()

        def __dlpack_device__(self):
            return (1, 0)

    _importing[0] = True
    try:
        with Device(dev):
            return _wrap(numpy.from_dlpack(_OnHost()))
    finally:
        _importing[0] = False


fromDlpack = from_dlpack  # noqa: N816 - CuPy's old name


# ---- cupy.random ----

random = types.ModuleType("cupy.random")
_rngs = {}      # one generator per device, as cupy.random.get_random_state()


def _rng():
    """The current device's generator; unseeded ones start from OS entropy, as CuPy's."""
    if _current[0] not in _rngs:
        _rngs[_current[0]] = numpy.random.RandomState(None)
    return _rngs[_current[0]]


def _draw(method, *params, size=None, dtype=numpy.float64):
    dtype = numpy.dtype(dtype)
    if dtype not in (numpy.float32, numpy.float64):
        raise TypeError("cupy.random only supports float32 and float64")
    # CuPy gives a 0-d array for size=None (NumPy a Python float)
    return _wrap(numpy.asarray(getattr(_rng(), method)(*_unwrap(params), size=size), dtype))


def _uniform(low=0.0, high=1.0, size=None, dtype=float):
    # CuPy's uniform converts non-scalar bounds with cupy.asarray (host arrays too)
    low, high = (v if numpy.isscalar(v) or isinstance(v, ndarray) else asarray(v)
                 for v in (low, high))
    return _draw("uniform", low, high, size=size, dtype=dtype)


def _permutation(a):
    # CuPy: a permuted range for a Python int, else a[permutation of len(a)]
    if isinstance(a, int):
        return _wrap(_rng().permutation(a))
    return a[_wrap(_rng().permutation(len(a)))]


random.seed = lambda seed=None: _rngs.__setitem__(_current[0], numpy.random.RandomState(seed))
random.normal = lambda loc=0.0, scale=1.0, size=None, dtype=float: \
    _draw("normal", loc, scale, size=size, dtype=dtype)
random.uniform = _uniform
random.standard_normal = lambda size=None, dtype=float: \
    _draw("standard_normal", size=size, dtype=dtype)
random.randn = lambda *size, dtype=float: _draw("standard_normal", size=size, dtype=dtype)
random.rand = lambda *size, dtype=float: _draw("random_sample", size=size, dtype=dtype)
random.random = lambda size=None, dtype=float: _draw("random_sample", size=size, dtype=dtype)
random.randint = lambda low, high=None, size=None, dtype="l": \
    _wrap(numpy.asarray(_rng().randint(low, high, size)).astype(dtype))
random.permutation = _permutation
random.shuffle = lambda a: _rng().shuffle(a._a)


# ---- cupy._util (where CuPy keeps its warnings) ----

_util = types.ModuleType("cupy._util")
_util.PerformanceWarning = PerformanceWarning


# ---- cupy.cuda ----

cuda = types.ModuleType("cupy.cuda")
cuda.Device = Device
runtime = types.ModuleType("cupy.cuda.runtime")
cuda.runtime = runtime
runtime.cudaDevAttrMemoryClockRate = 36
runtime.cudaDevAttrGlobalMemoryBusWidth = 37
_ATTRIBUTES = {36: 3_201_000, 37: 6144}   # an H200's HBM3e: kHz and bits


def _device_attribute(attrib, device):
    _check_device(device)
    return _ATTRIBUTES.get(attrib, 0)


def _device_properties(device):
    _check_device(device)
    return {"name": b"Fake H200 (NumPy-backed test double)", "totalGlobalMem": 141 * 2**30,
            "major": 9, "minor": 0, "multiProcessorCount": 132}


def _device_count():
    if _N_DEVICES == 0:     # CUDA reports no GPU as an error, which CuPy raises
        raise CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    return _N_DEVICES


runtime.CUDARuntimeError = CUDARuntimeError
runtime.getDeviceCount = _device_count
runtime.deviceGetAttribute = _device_attribute
runtime.getDeviceProperties = _device_properties
runtime.runtimeGetVersion = lambda: 13000
runtime.getDevice = lambda: _current[0]


class Stream:
    """cupy.cuda.Stream: everything here is already finished."""

    null = None

    def synchronize(self):
        pass


class Event:
    """cupy.cuda.Event, timing with the host clock."""

    def record(self, stream=None):
        import time
        self.t = time.perf_counter()

    def synchronize(self):
        pass


Stream.null = Stream()
cuda.Stream, cuda.Event = Stream, Event
cuda.get_current_stream = lambda device=None: Stream.null
cuda.get_elapsed_time = lambda start, end: (end.t - start.t) * 1e3


# ---- cupy.lib.stride_tricks ----


def _as_strided(x, shape=None, strides=None):
    """cupy.lib.stride_tricks.as_strided: a view of a GPU array's memory (refuses host data)."""
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    return _wrap(numpy.lib.stride_tricks.as_strided(x._a, shape, strides), x._dev)


lib = types.ModuleType("cupy.lib")
lib.stride_tricks = types.ModuleType("cupy.lib.stride_tricks")
lib.stride_tricks.as_strided = _as_strided


# ---- cupyx ----

cupyx = types.ModuleType("cupyx")


_I32, _U32, _U64 = numpy.int32, numpy.uint32, numpy.uint64
_SCATTER_DTYPES = {         # cupy/_core/_routines_indexing.pyx (v13): the atomic kernels' types
    "add": (_I32, numpy.float16, numpy.float32, numpy.float64, _U32, _U64),
    "subtract": (_I32, _U32),
    "maximum": (_I32, numpy.float32, numpy.float64, _U32, _U64),
    "minimum": (_I32, numpy.float32, numpy.float64, _U32, _U64),
    "bitwise_and": (_I32, numpy.int64, _U32, _U64),
    "bitwise_or": (_I32, numpy.int64, _U32, _U64),
    "bitwise_xor": (_I32, numpy.int64, _U32, _U64),
}


def _check_scatter_dtype(a, index, name):
    """CuPy casts the values to a.dtype, then its atomic kernels take only a few dtypes.

    The check runs only when an integer array is in the index: basic indexes and a lone
    boolean mask take other kernels, which accept every dtype.
    """
    items = index if isinstance(index, tuple) else (index,)
    arrays = [i for i in items if not _is_basic((i,))]
    if not arrays:
        return
    if len(items) == 1 and numpy.asarray(
            arrays[0]._a if isinstance(arrays[0], ndarray) else arrays[0]).dtype.kind == "b":
        return
    if a.dtype.type not in _SCATTER_DTYPES[name]:
        names = ", ".join(numpy.dtype(t).name for t in _SCATTER_DTYPES[name])
        raise TypeError(f"cupy.{name}.at only supports {names}, as data type")


def _scatter_add(a, slices, value):
    """cupyx.scatter_add: a[slices] += value with repeated indices accumulating."""
    if not isinstance(a, ndarray):
        raise AttributeError(f"{type(a).__name__!r} object has no attribute 'scatter_add'")
    _check_scatter_dtype(a, slices, "add")
    items = slices if isinstance(slices, tuple) else (slices,)
    for x in [a] + _fakes(items) + _fakes([value]):
        _check_peer(x)
    v = value._a if isinstance(value, ndarray) else numpy.asarray(value, a.dtype)
    numpy.add.at(a._a, _index(a.shape, slices), v.astype(a.dtype, copy=False))


cupyx.scatter_add = _scatter_add


# ---- installing ----

_SHIM = ('import importlib.util, sys\n'
         'if "fake_cupy" not in sys.modules:\n'
         '    spec = importlib.util.spec_from_file_location("fake_cupy", {path!r})\n'
         '    sys.modules["fake_cupy"] = importlib.util.module_from_spec(spec)\n'
         '    spec.loader.exec_module(sys.modules["fake_cupy"])\n'
         'sys.modules["fake_cupy"].install()\n')


def install() -> None:
    """Make `import cupy` and `import cupyx` give the fake, here and in child processes."""
    me = sys.modules[__name__]
    sys.modules.update({"cupy": me, "cupy.random": random, "cupy.cuda": cuda, "cupy._util": _util,
                        "cupy.cuda.runtime": runtime, "cupyx": cupyx, "cupy.lib": lib,
                        "cupy.lib.stride_tricks": lib.stride_tricks})
    if "MICROGRADND_FAKE_CUPY_SHIMS" not in os.environ:
        # Subprocesses (the examples' smoke tests) find shim modules that load this file.
        shims = tempfile.mkdtemp(prefix="fake_cupy_")
        for name in ("cupy", "cupyx"):
            Path(shims, f"{name}.py").write_text(_SHIM.format(path=str(Path(__file__).resolve())))
        os.environ["MICROGRADND_FAKE_CUPY_SHIMS"] = shims
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (shims, os.environ.get("PYTHONPATH")) if p)
