"""The NumPy-like facade of API §6, so the d2l chapter runs with `from microgradnd import np`.

Every function here returns Tensors, takes NumPy's argument names and defaults, and adds
`dtype=None, device=None` to creation functions (`ctx=` is MXNet 1.x's name for `device=`).
Dtypes follow MXNet 1.9.1 (API §6): an array made from Python numbers or lists is float32,
ints and bools included, unless `dtype=` says otherwise; a NumPy array (or Tensor) keeps its
dtype. `npx.set_np(dtype=True)` switches to NumPy's own dtypes, as MXNet 2.0 does (Python
ints int64, floats float64, and float64 zeros, ones and random draws); `npx.set_np()` switches
back. The maths lives in ops/; the NumPy/CuPy choice in backend.py.
"""
from __future__ import annotations

import math

import numpy
from numpy import float16, float32, float64, int32, int64  # noqa: F401 - dtype names

from . import backend, ops
from .core import Tensor, _wrap, tensor
from .core import as_tensor as _as_tensor
from .graph import state
from .interop import any_requires_grad, not_differentiable

# `isinstance(x, np.ndarray)` holds for the Tensors this module returns, as in MXNet.
ndarray = Tensor

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan


# ---- dtypes: MXNet's float32 everywhere, or NumPy's own ----

# False: MXNet 1.9.1's rule (float32 unless told); True: NumPy's (npx.set_np(dtype=True)).
numpy_dtypes = False


def _float_dtype(dtype):
    """The dtype a creation function uses when a float is meant: float32 unless told."""
    if dtype is None:
        return numpy.dtype(numpy.float64 if numpy_dtypes else numpy.float32)
    return numpy.dtype(dtype)


def _made_from_python(data) -> bool:
    """True for Python numbers and (nested) lists; False for arrays, Tensors, NumPy scalars."""
    return not (isinstance(data, (Tensor, numpy.generic)) or backend.is_array(data))


def _creation_dtype(data, dtype):
    """The dtype np.array gives `data`: `dtype` if given; float32 for Python numbers and
    lists, whatever they hold (MXNet 1.9.1), or NumPy's choice under set_np(dtype=True)."""
    if dtype is not None or not _made_from_python(data):
        return dtype
    if numpy_dtypes:
        return numpy.asarray(data).dtype
    return numpy.float32


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """An operand of an np function as a Tensor: a Tensor passes; a Python number or list is
    made as np.array makes it (float32, as in MXNet, so `np.sqrt(1000)` beside a float32
    array keeps it float32); an array keeps its dtype. With `like`: on like's device and in
    like's dtype."""
    if like is None and _made_from_python(x):
        return tensor(x, dtype=_creation_dtype(x, None))
    return _as_tensor(x, like)


def _landed(array, device: str) -> Tensor:
    """A Tensor around `array`, moved to `device` (a no-op when it is already there)."""
    return _wrap(backend.to_device(array, device))


def _made(device: str, make, *args, **kwargs) -> Tensor:
    """A Tensor on `device` around make(*args, **kwargs), run with `device` current: CuPy
    makes new arrays on its current GPU, which need not be `device`."""
    with backend.on_device(device):
        return _landed(make(*args, **kwargs), device)


def _drawn(draws, dtype, device: str) -> Tensor:
    """A Tensor of random draws in `dtype` (NumPy gives a Python float when size is None)."""
    if not backend.is_array(draws):
        draws = numpy.asarray(draws)
    return _landed(draws.astype(dtype, copy=False), device)


def _device(device, ctx):
    """The device asked for by `device=` or by MXNet 1.x's `ctx=` (not both)."""
    if ctx is not None:
        if device is not None:
            raise TypeError(f"got both device={device!r} and ctx={ctx!r}: ctx= is MXNet 1.x's "
                            "name for device=, give one of them")
        return ctx
    return device


def _constant_result(name: str, *inputs) -> None:
    """Refuse, inside record(), a float input that needs a gradient this function would drop."""
    if state.recording and any_requires_grad(inputs):
        raise not_differentiable(f"microgradnd.np.{name}")


def _data(x):
    """The array behind a Tensor; anything else as NumPy reads it."""
    return x.data if isinstance(x, Tensor) else numpy.asarray(x)


def _pair(a, b):
    """Two operands, at least one a Tensor: a scalar, list or array beside a Tensor joins it."""
    return (a, b) if isinstance(a, Tensor) or isinstance(b, Tensor) else (as_tensor(a), b)


def _param(x):
    """A distribution parameter (scalar, list, array or Tensor) as something xp.random takes."""
    return x.data if isinstance(x, Tensor) else x


# ---- creation ----


def array(object, dtype=None, *, copy: bool = True, device=None,  # noqa: A002
          ctx=None) -> Tensor:
    """A Tensor holding a copy of `object` (as numpy.array): float32 when made from Python
    numbers or lists, ints and bools included (MXNet); an array keeps its dtype."""
    device = _device(device, ctx)
    src = object.data if isinstance(object, Tensor) else object
    out = tensor(src, dtype=_creation_dtype(src, dtype), device=device)
    if out.data is src:
        if copy:                        # tensor() shares an array's memory; array() copies
            out = _wrap(backend.copy(out.data))
        elif isinstance(object, Tensor):    # an alias: it shares the version too
            out._vc = object._shared_vc()
    return out


def asarray(a, dtype=None, *, device=None, ctx=None) -> Tensor:
    """As array(), but shares the memory of an array or Tensor when nothing needs converting."""
    device = _device(device, ctx)
    if isinstance(a, Tensor) and dtype is None and device is None:
        return a
    return array(a, dtype=dtype, copy=False, device=device)


def zeros(shape, dtype=None, *, device=None, ctx=None) -> Tensor:
    """A Tensor of zeros (float32 unless `dtype` says otherwise)."""
    device = backend.normalize_device(_device(device, ctx))
    return _made(device, backend.xp_for(device).zeros, shape, _float_dtype(dtype))


def ones(shape, dtype=None, *, device=None, ctx=None) -> Tensor:
    """A Tensor of ones (float32 unless `dtype` says otherwise)."""
    device = backend.normalize_device(_device(device, ctx))
    return _made(device, backend.xp_for(device).ones, shape, _float_dtype(dtype))


def full(shape, fill_value, dtype=None, *, device=None, ctx=None) -> Tensor:
    """A Tensor filled with `fill_value`: float32 unless told (or the dtype of an array value)."""
    if dtype is None:
        dtype = tensor(fill_value, dtype=_creation_dtype(fill_value, None)).dtype
    device = backend.normalize_device(_device(device, ctx))
    return _made(device, backend.xp_for(device).full, shape, fill_value, dtype)


def zeros_like(a, dtype=None, *, device=None, ctx=None) -> Tensor:
    """Zeros with the shape, dtype and device of `a`."""
    device = _device(device, ctx)
    a = as_tensor(a)
    return zeros(a.shape, a.dtype if dtype is None else dtype,
                 device=a.device if device is None else device)


def ones_like(a, dtype=None, *, device=None, ctx=None) -> Tensor:
    """Ones with the shape, dtype and device of `a`."""
    device = _device(device, ctx)
    a = as_tensor(a)
    return ones(a.shape, a.dtype if dtype is None else dtype,
                device=a.device if device is None else device)


def arange(start, stop=None, step=1, dtype=None, *, device=None, ctx=None) -> Tensor:
    """Evenly spaced values in [start, stop): float32 unless told, ints included (MXNet).

    A float range is computed in float64 and then rounded, as MXNet does: float32 steps
    would drift (element 300 of arange(-5, 5, 0.01) would be -1.9999313, not -2.0).
    Under set_np(dtype=True), NumPy's dtypes: int64 for ints, float64 otherwise.
    """
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, numpy.integer)) for v in (start, stop, step))
        dtype = numpy.int64 if ints and numpy_dtypes else _float_dtype(None)
    dtype = numpy.dtype(dtype)
    device = backend.normalize_device(_device(device, ctx))
    xp = backend.xp_for(device)
    if dtype.kind == "f":
        return _made(device, lambda: xp.arange(start, stop, step, numpy.float64).astype(dtype))
    return _made(device, xp.arange, start, stop, step, dtype=dtype)


def linspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, *,
             device=None, ctx=None) -> Tensor:
    """`num` evenly spaced values from start to stop (float32 unless told)."""
    device = backend.normalize_device(_device(device, ctx))
    xp = backend.xp_for(device)
    return _made(device, xp.linspace, start, stop, num, endpoint=endpoint,
                 dtype=_float_dtype(dtype))


def eye(N: int, M: int | None = None, k: int = 0, dtype=None, *, device=None,  # noqa: N803
        ctx=None) -> Tensor:
    """An N x M matrix with ones on diagonal k (float32 unless told), as numpy.eye."""
    device = backend.normalize_device(_device(device, ctx))
    return _made(device, backend.xp_for(device).eye, N, M, k, dtype=_float_dtype(dtype))


def meshgrid(*xi, indexing: str = "xy") -> tuple[Tensor, ...]:
    """Coordinate matrices from coordinate vectors, as numpy.meshgrid (indexing 'xy' or 'ij').

    Not differentiable: inside record() a vector that needs a gradient raises TypeError.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"indexing must be 'xy' or 'ij', not {indexing!r}")
    _constant_result("meshgrid", *xi)
    arrays = [_data(x).reshape(-1) for x in xi]
    n = len(arrays)
    # 'xy' is 'ij' with the first two axes swapped (Cartesian x along columns)
    axes = list(range(n))
    if indexing == "xy" and n >= 2:
        axes[0], axes[1] = 1, 0
    shape = [0] * n
    for a, axis in zip(arrays, axes):
        shape[axis] = a.size
    grids = []
    for a, axis in zip(arrays, axes):
        along = [1] * n
        along[axis] = a.size
        xp = backend.xp_of(a)
        grids.append(_wrap(backend.copy(xp.broadcast_to(a.reshape(along), tuple(shape)))))
    return tuple(grids)


def genfromtxt(fname, dtype=None, *, device=None, ctx=None, **kwargs) -> Tensor:
    """numpy.genfromtxt's table as a Tensor: float32 unless `dtype` is given.

    Every other keyword (delimiter, skip_header, usecols...) goes to numpy.genfromtxt.
    """
    device = backend.normalize_device(_device(device, ctx))
    table = numpy.genfromtxt(fname, dtype=float if dtype is None else dtype, **kwargs)
    return _landed(table.astype(_float_dtype(dtype), copy=False), device)


# ---- maths: each one call into the engine, so all of it is differentiable ----
# The functions between the next two rulers are written out by ops/registry.py, one for each op
# whose `numpy_twin` is a NumPy ufunc; edit the op's declaration, then run the command.

# ---- generated by `python -m microgradnd.ops` from each op's `numpy_twin` ----
def add(x1, x2) -> Tensor:
    """a + b."""
    return ops.add(*_pair(x1, x2))


def subtract(x1, x2) -> Tensor:
    """a - b."""
    return ops.sub(*_pair(x1, x2))


def multiply(x1, x2) -> Tensor:
    """a * b."""
    return ops.mul(*_pair(x1, x2))


def divide(x1, x2) -> Tensor:
    """a / b."""
    return ops.div(*_pair(x1, x2))


def power(x1, x2) -> Tensor:
    """a ** b."""
    return ops.power(*_pair(x1, x2))


def negative(x) -> Tensor:
    """-x."""
    return ops.neg(as_tensor(x))


def exp(x) -> Tensor:
    """e**x; d/dx = e**x."""
    return ops.exp(as_tensor(x))


def log(x) -> Tensor:
    """Natural logarithm; d/dx = 1/x."""
    return ops.log(as_tensor(x))


def log1p(x) -> Tensor:
    """log(1 + x); d/dx = 1/(1 + x)."""
    return ops.log1p(as_tensor(x))


def sqrt(x) -> Tensor:
    """√x; d/dx = 1/(2√x)."""
    return ops.sqrt(as_tensor(x))


def floor(x) -> Tensor:
    """floor(x) elementwise; d/dx = 0."""
    return ops.floor(as_tensor(x))


def log2(x) -> Tensor:
    """log2 x; d/dx = 1 / (x ln 2)."""
    return ops.log2(as_tensor(x))


def arccos(x) -> Tensor:
    """arccos x; d/dx = -1 / √(1 - x²)."""
    return ops.arccos(as_tensor(x))


def abs(x) -> Tensor:  # noqa: A001 - NumPy's name
    """|x|; d/dx = sign(x)."""
    return ops.abs(as_tensor(x))


def tanh(x) -> Tensor:
    """tanh x; d/dx = 1 - tanh² x."""
    return ops.tanh(as_tensor(x))


def sin(x) -> Tensor:
    """sin x; d/dx = cos x."""
    return ops.sin(as_tensor(x))


def cos(x) -> Tensor:
    """cos x; d/dx = -sin x."""
    return ops.cos(as_tensor(x))


def sinh(x) -> Tensor:
    """sinh x; d/dx = cosh x."""
    return ops.sinh(as_tensor(x))


def cosh(x) -> Tensor:
    """cosh x; d/dx = sinh x."""
    return ops.cosh(as_tensor(x))


def logaddexp(x1, x2) -> Tensor:
    """log(eᵃ + eᵇ); d/da = e^(a - out), d/db = e^(b - out)."""
    return ops.logaddexp(*_pair(x1, x2))


def maximum(x1, x2) -> Tensor:
    """max(a, b) elementwise, broadcasting; d/da = 1 where a > b, ½ where a == b, else 0."""
    return ops.maximum(*_pair(x1, x2))


def minimum(x1, x2) -> Tensor:
    """min(a, b) elementwise, broadcasting; d/da = 1 where a < b, ½ where a == b, else 0."""
    return ops.minimum(*_pair(x1, x2))


def matmul(x1, x2) -> Tensor:
    """a @ b (NumPy's matmul rules)."""
    return ops.matmul(*_pair(x1, x2))
# ---- end of the generated functions ----

absolute = abs


def dot(a, b) -> Tensor:
    """NumPy's dot product (matrix product for 2-D, contraction for n-D)."""
    # A scalar or list beside a Tensor joins it on its device (np.dot(2.0, gpu_tensor)).
    return ops.dot(a if isinstance(b, Tensor) else as_tensor(a), b)


def sum(a, axis=None, dtype=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over `axis` (all axes when None), optionally in `dtype`."""
    a = as_tensor(a)
    if dtype is not None:
        a = a.astype(dtype)
    return ops.sum(a, axis, keepdims)


def mean(a, axis=None, dtype=None, keepdims: bool = False) -> Tensor:
    """Average over `axis` (all axes when None), optionally in `dtype`."""
    a = as_tensor(a)
    if dtype is not None:
        a = a.astype(dtype)
    return ops.mean(a, axis, keepdims)


def reshape(a, newshape) -> Tensor:
    """The values of `a` in a new shape."""
    return as_tensor(a).reshape(newshape)


def transpose(a, axes=None) -> Tensor:
    """Permute the axes of `a` (reverse them when `axes` is None)."""
    return ops.transpose(as_tensor(a), axes)


# ---- not differentiable: indices and running sums ----


def argmax(a, axis=None) -> Tensor:
    """Indices of the maxima along `axis` (of the flattened `a` when None), int64; constant."""
    return as_tensor(a).argmax(axis)


def argmin(a, axis=None) -> Tensor:
    """Indices of the minima along `axis` (of the flattened `a` when None), int64; constant."""
    return as_tensor(a).argmin(axis)


def cumsum(a, axis=None, dtype=None) -> Tensor:
    """Running sums along `axis` (of the flattened `a` when None), as numpy.cumsum;
    differentiable: the gradient is the running sum taken from the other end."""
    return as_tensor(a).cumsum(axis, dtype)


# ---- random numbers: np.random.normal(...), as in NumPy and MXNet ----


class _Random:
    """The `np.random` namespace: draws land on the asked-for device, float32 by default."""

    @staticmethod
    def seed(seed: int) -> None:
        """Seed the generators behind np.random (NumPy's global one, and CuPy's when loaded)."""
        backend.seed(seed)

    @staticmethod
    def normal(loc=0.0, scale=1.0, size=None, dtype=None, device=None, ctx=None) -> Tensor:
        """Samples of N(loc, scale²) of shape `size`."""
        device = backend.normalize_device(_device(device, ctx))
        return _wrap(backend.random_normal(_param(loc), _param(scale), size,
                                           _float_dtype(dtype), device))

    @staticmethod
    def uniform(low=0.0, high=1.0, size=None, dtype=None, device=None, ctx=None) -> Tensor:
        """Samples of the uniform distribution on [low, high) of shape `size`."""
        device = backend.normalize_device(_device(device, ctx))
        return _wrap(backend.random_uniform(_param(low), _param(high), size,
                                            _float_dtype(dtype), device))

    @staticmethod
    def randint(low, high=None, size=None, dtype=None, device=None, ctx=None) -> Tensor:
        """Random integers in [low, high) (in [0, low) when high is None); int64 by default."""
        device = backend.normalize_device(_device(device, ctx))
        if high is None:
            low, high = 0, low
        draws = backend.random_state(device).randint(low, high, size)
        return _drawn(draws, numpy.dtype(dtype or numpy.int64), device)

    @staticmethod
    def rand(*size, device=None, ctx=None) -> Tensor:
        """Uniform samples on [0, 1) of shape `size` (given as separate ints), float32."""
        return _Random.uniform(0.0, 1.0, size or None, device=device, ctx=ctx)

    @staticmethod
    def randn(*size, device=None, ctx=None) -> Tensor:
        """Standard normal samples of shape `size` (given as separate ints), float32."""
        return _Random.normal(0.0, 1.0, size or None, device=device, ctx=ctx)

    @staticmethod
    def multinomial(n: int, pvals, size=None) -> Tensor:
        """Counts of `n` draws among len(pvals) outcomes of probabilities `pvals`, shape
        size + (len(pvals),), int64 (as MXNet). Drawn on the host; lands on pvals' device."""
        device = pvals.device if isinstance(pvals, Tensor) else backend.get_default_device()
        pvals = numpy.asarray(backend.to_host(_data(pvals)), dtype=numpy.float64)
        return _drawn(numpy.random.multinomial(n, pvals, size), numpy.int64, device)

    @staticmethod
    def shuffle(x: Tensor) -> None:
        """Shuffle `x` in place along its first axis (as MXNet and NumPy); returns None."""
        if not isinstance(x, Tensor):
            raise TypeError(f"np.random.shuffle shuffles a Tensor in place, not a "
                            f"{type(x).__name__}: make one with np.array first")
        if state.recording and x.requires_grad:
            raise not_differentiable("microgradnd.np.random.shuffle (in place)")
        if x.ndim:
            order = backend.random_state(x.device).permutation(len(x))
            with backend.on_device_of(x.data):      # x's GPU, which need not be current
                x.data[...] = x.data[order]
            x._bump_version()

    def __dir__(self):
        return [name for name in vars(_Random) if not name.startswith("_")]

    def __repr__(self) -> str:
        return f"<microgradnd.np.random: {', '.join(self.__dir__())}>"


random = _Random()


# ---- the book's later chapters: differentiable functions ----
# Each takes Tensors, arrays, lists or Python scalars, as NumPy's function of the same name.


def square(x) -> Tensor:
    """x² elementwise."""
    return ops.square(as_tensor(x))


def sign(x) -> Tensor:
    """-1, 0 or 1 by the sign of each element; its gradient is 0."""
    return ops.sign(as_tensor(x))


def sort(a, axis=-1) -> Tensor:
    """`a` sorted along `axis` (flattened when None); differentiable (a gather)."""
    return ops.sort(as_tensor(a), axis)


def tile(A, reps) -> Tensor:  # noqa: N803 - NumPy's name
    """`A` repeated `reps` times along each axis, as numpy.tile; differentiable."""
    return ops.tile(as_tensor(A), reps)


def repeat(a, repeats: int, axis=None) -> Tensor:
    """Each element `repeats` times along `axis` (flattened when None); differentiable."""
    return ops.repeat(as_tensor(a), repeats, axis)


def prod(a, axis=None, dtype=None, keepdims: bool = False) -> Tensor:
    """The product over `axis` (all axes when None); differentiable, also at zeros."""
    return as_tensor(a).prod(axis, keepdims, dtype)


def clip(a, a_min, a_max) -> Tensor:
    """`a` limited to [a_min, a_max] (either may be None); gradient 1 inside, bounds included."""
    return ops.clip(as_tensor(a), a_min, a_max)


def expand_dims(a, axis) -> Tensor:
    """`a` with a new size-1 axis at `axis` (a view)."""
    return ops.expand_dims(as_tensor(a), axis)


def squeeze(a, axis=None) -> Tensor:
    """`a` without its size-1 axes (those of `axis` only, when given)."""
    return ops.squeeze(as_tensor(a), axis)


def _sequence(seq) -> list:
    """A sequence of operands; when none is a Tensor, the first becomes one."""
    seq = list(seq)
    if seq and not any(isinstance(x, Tensor) for x in seq):
        seq[0] = as_tensor(seq[0])
    return seq


def concatenate(seq, axis=0) -> Tensor:
    """The arrays of `seq` joined along an existing axis (flattened first when axis is None)."""
    return ops.concatenate(_sequence(seq), axis)


def stack(arrays, axis=0) -> Tensor:
    """The arrays, all of one shape, joined along a new axis."""
    return ops.stack(_sequence(arrays), axis)


def split(ary, indices_or_sections, axis=0) -> list:
    """`ary` cut along `axis` into equal sections or at the given indices: a list of views."""
    return ops.split(as_tensor(ary), indices_or_sections, axis)


def max(a, axis=None, out=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The largest element over `axis`; ties share the gradient."""
    return as_tensor(a).max(axis, keepdims, out=out)


def min(a, axis=None, out=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """The smallest element over `axis`; ties share the gradient."""
    return as_tensor(a).min(axis, keepdims, out=out)


def var(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """The variance over `axis` (divided by count - ddof)."""
    return as_tensor(a).var(axis, dtype, out, ddof, keepdims)


def std(a, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """The standard deviation over `axis`; its gradient is 0 where it is 0 (as PyTorch)."""
    return as_tensor(a).std(axis, dtype, out, ddof, keepdims)


class _Linalg:
    """The `np.linalg` namespace."""

    @staticmethod
    def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A002
        """numpy.linalg.norm: the 2-norm (Frobenius) by default; its gradient x/‖x‖ is 0 at
        x = 0 (as PyTorch). Vector orders 1, 2, ±inf, p > 0; matrix 'fro', ±1, ±inf."""
        return ops.norm(as_tensor(x), ord, axis, keepdims)

    def __repr__(self) -> str:
        return "<microgradnd.np.linalg: norm>"


linalg = _Linalg()
