"""Reductions: sum, max, min, cumsum; mean, var, std and norm composed from them.

A reduction's gradient is spread back over what was reduced: sum copies it to every element,
max gives it to the largest (shared between ties). The reduced axes are put back as size-1
axes first (`_keep_shape`), then broadcasting does the copying. argmax and argmin, at the
end, give indices: they are never differentiated.
"""
from __future__ import annotations

import builtins
import math

import numpy

from .. import backend, core
from ..errors import AxisError, ShapeError, shape_error
from .apply import Op, unary
from .conversion import cast
from .elementwise import abs, where
from .indexing import concatenate
from .shapes import axes_index, axis_index, broadcast_to, reshape

__all__ = [  # what ops/__init__.py gathers
    "Cumsum", "Max", "Min", "SafeSqrt", "Sum", "argmax", "argmin", "cumsum", "max", "mean",
    "min", "norm", "prod", "std", "sum", "var",
]


def _keep_shape(shape, axis):
    """The shape a reduction over `axis` has with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes} if shape else set()
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


class Sum(Op):
    name = "sum"
    rule = "grad_x = g broadcast to x's shape"
    reads_inputs = False

    forward = staticmethod(backend.reduce_sum)     # the backend picks the fastest reduction

    @staticmethod
    def backward(node, out, g):
        shape = node.inputs[0].data.shape
        axis, keepdims = node.args
        if not keepdims and axis is not None:   # (a total's 0-d g broadcasts as it is)
            g = reshape(g, _keep_shape(shape, axis))
        return (broadcast_to(g, shape),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(Sum, t[0], *args)


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001 - mirrors numpy.sum
    """Sum over `axis` (all axes when None)."""
    return unary(Sum, x, _axis(axis), keepdims)


def _share_of_extremes(xd, axis, best):
    """1/k at each of the k elements equal to best(x) over `axis`, 0 elsewhere (an array)."""
    # counted in float32 at least: 70,000 float16 ties would count to inf (tinygrad #12296)
    with backend.on_device_of(xd):      # a backward rule: on x's GPU, whichever is current
        mask = (xd == best(xd, axis=axis, keepdims=True)).astype(  # out is not kept: recomputed
            numpy.float32 if xd.dtype == numpy.float16 else xd.dtype)
        return (mask / backend.reduce_sum(mask, axis, True)).astype(xd.dtype, copy=False)


class Max(Op):
    """The largest element; ties share the gradient equally (as PyTorch's amax)."""

    name = "max"
    rule = "grad_x = g where x is the max (shared equally at ties), else 0"

    @staticmethod
    def forward(x, axis, keepdims):
        # Reducing over an empty axis has no value (NumPy raises, unary() makes it a
        # ShapeError), but (0, 3).max(axis=1) is fine: zero rows, shape (0,), as in PyTorch.
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        axis, keepdims = node.args
        share = _share_of_extremes(x.data, axis, backend.xp_of(x.data).max)
        return (reshape(g, _keep_shape(x.data.shape, axis)) * core._wrap(share),)

    @staticmethod
    def jvp(inputs, args, out, t):
        x = inputs[0]
        share = _share_of_extremes(x.data, args[0], backend.xp_of(x.data).max)
        return unary(Sum, t[0] * core._wrap(share), *args)


def max(x, axis=None, keepdims: bool = False):  # noqa: A001 - mirrors numpy.max
    """Largest element over `axis`; ties share the gradient."""
    return unary(Max, x, _axis(axis), keepdims)


class Min(Op):
    """The smallest element; ties share the gradient equally (as PyTorch's amin)."""

    name = "min"
    rule = "grad_x = g where x is the min (shared equally at ties), else 0"

    @staticmethod
    def forward(x, axis, keepdims):
        return x.min(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        axis, keepdims = node.args
        share = _share_of_extremes(x.data, axis, backend.xp_of(x.data).min)
        return (reshape(g, _keep_shape(x.data.shape, axis)) * core._wrap(share),)

    @staticmethod
    def jvp(inputs, args, out, t):
        x = inputs[0]
        share = _share_of_extremes(x.data, args[0], backend.xp_of(x.data).min)
        return unary(Sum, t[0] * core._wrap(share), *args)


def min(x, axis=None, keepdims: bool = False):  # noqa: A001 - mirrors numpy.min
    """Smallest element over `axis`; ties share the gradient."""
    return unary(Min, x, _axis(axis), keepdims)


class Cumsum(Op):
    """Running sums along an axis (from the end when `reverse`): each is the other's adjoint."""

    name = "cumsum"
    rule = "grad_x = cumsum of g in the opposite direction"
    reads_inputs = False

    @staticmethod
    def forward(x, axis, reverse):
        xp = backend.xp_of(x)
        if reverse:
            return xp.flip(xp.cumsum(xp.flip(x, axis), axis), axis)
        return xp.cumsum(x, axis)

    @staticmethod
    def backward(node, out, g):
        axis, reverse = node.args
        return (unary(Cumsum, g, axis, not reverse),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(Cumsum, t[0], *args)


def cumsum(x, axis=None):
    """Running sums along `axis` (of the flattened values when None); d/dx: the running
    sums of the gradient from the other end."""
    if axis is None:
        x, axis = (x if x.data.ndim == 1 else reshape(x, (-1,))), 0
    return unary(Cumsum, x, axis_index(axis, x.data.ndim, "cumsum"), False)


# ---- composed: no backward of their own ----


def _count(x, axis, name: str) -> int:
    """How many elements a reduction over `axis` takes into each result."""
    try:
        # a 0-d tensor takes axis 0 or -1 (as NumPy's sum and PyTorch): its one element
        return x.size if axis is None or x.ndim == 0 else math.prod(
            x.shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))
    except IndexError:      # as NumPy's own fix (numpy#15836): not a bare IndexError
        raise AxisError(f"{name} of a tensor of shape {x.shape}: axis {axis} is out of "
                         f"bounds for {x.ndim} dimensions") from None


def mean(x, axis=None, keepdims: bool = False):
    """Average over `axis`: sum / count."""
    axis = _axis(axis)
    count = _count(x, axis, "mean")
    if x.data.dtype == numpy.float16:
        # summed in float32, as NumPy and PyTorch do: in float16 the sum of 70,000 ones is
        # inf, and so is the count 70,000 itself
        return cast(mean(cast(x, numpy.float32), axis, keepdims), numpy.float16)
    s = sum(x, axis, keepdims)
    if x.data.dtype.kind not in "fc":
        s = cast(s, numpy.float64)
    return s / count if count else s * math.nan


def var(x, axis=None, ddof: int = 0, keepdims: bool = False):
    """Variance over `axis`: the mean squared deviation, divided by count - ddof."""
    axis = _axis(axis)
    d = x - mean(x, axis, keepdims=True)
    count = _count(x, axis, "var")
    s = sum(d * d, axis, keepdims)
    with numpy.errstate(divide="ignore", invalid="ignore"):     # count <= ddof: inf, as NumPy
        return s / builtins.max(count - ddof, 0)


class SafeSqrt(Op):
    """√x whose slope is taken as 0 where x = 0 (not inf): the rule PyTorch gives std and
    the 2-norm, so that a constant input (std 0) or a zero vector (norm 0) gets gradient 0."""

    name = "safe_sqrt"
    rule = "grad_x = g * 0.5 / out, 0 where out == 0"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.sqrt(x)

    @staticmethod
    def backward(node, out, g):
        with backend.on_device_of(out.data):    # out's GPU, which need not be current
            zero = out.data == 0
        return (where(zero, 0.0, g * 0.5 / where(zero, 1.0, out)),)

    @staticmethod
    def jvp(inputs, args, out, t):
        with backend.on_device_of(out.data):
            zero = out.data == 0
        return where(zero, 0.0, t[0] * 0.5 / where(zero, 1.0, out))


def std(x, axis=None, ddof: int = 0, keepdims: bool = False):
    """Standard deviation over `axis`: √var; its gradient is 0 where it is 0 (as PyTorch)."""
    return unary(SafeSqrt, var(x, axis, ddof, keepdims))


def norm(x, ord=None, axis=None, keepdims: bool = False):  # noqa: A002 - NumPy's name
    """numpy.linalg.norm: the 2-norm (Frobenius for a matrix) by default, over all axes or
    `axis`; vector orders 1, 2, inf, -inf and p > 0; matrix orders 'fro', 1, -1, inf, -inf.
    The 2-norm's gradient x/‖x‖ is taken as 0 at x = 0, as PyTorch."""
    if x.data.dtype.kind not in "fc":
        x = cast(x, numpy.float64)          # as NumPy: the norm of ints is a float
    if axis is None:
        matrix = ord is not None and x.ndim == 2
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
        matrix = len(axes) == 2
    if len(axes) > 2 and (axis is not None or ord is not None):
        raise ShapeError(f"norm of a tensor of shape {x.shape}: ord={ord!r} needs a vector "
                         "or a matrix (give axis)")
    if matrix and ord not in (None, "fro"):
        if ord not in (1, -1, math.inf, -math.inf):
            raise NotImplementedError(f"norm: the matrix norm ord={ord!r} is not supported "
                                      "(only None, 'fro', 1, -1, inf, -inf)")
        rows, cols = (axis_index(a, x.ndim, "norm") for a in axes)
        if rows == cols:
            raise ShapeError(f"norm of a tensor of shape {x.shape}: axis {axis!r} repeats an axis")
        over, across = (rows, cols) if ord in (1, -1) else (cols, rows)
        best = max if ord > 0 else min
        sums = sum(abs(x), over, keepdims=True)
        out = best(sums, across, keepdims=True)
        return out if keepdims else reshape(out, tuple(
            n for i, n in enumerate(x.shape) if i not in (rows, cols)))
    reduce = None if axis is None else axes
    if ord is None or ord == 2 or ord == "fro":
        if not matrix and ord == "fro":
            raise ValueError("norm: ord='fro' is a matrix norm; give two axes")
        return unary(SafeSqrt, sum(x * x, reduce, keepdims))
    if matrix or isinstance(ord, str):
        raise NotImplementedError(f"norm: ord={ord!r} is not supported for a vector")
    if ord == math.inf:
        return max(abs(x), reduce, keepdims)
    if ord == -math.inf:
        return min(abs(x), reduce, keepdims)
    if ord == 1:
        return sum(abs(x), reduce, keepdims)
    if ord > 0:
        return sum(abs(x) ** ord, reduce, keepdims) ** (1.0 / ord)
    raise NotImplementedError(f"norm: ord={ord!r} is not supported (a vector norm needs "
                              "ord > 0 or ±inf)")


# ---- indices: never recorded ----


def argmax(x, axis=None, keepdims: bool = False):
    """The index of the largest element over `axis` (of the flattened values when None):
    an int64 tensor, a constant."""
    return core._cut(core._wrap(_arg(x, axis, keepdims, "argmax")), "argmax", x)


def argmin(x, axis=None, keepdims: bool = False):
    """The index of the smallest element over `axis`: an int64 tensor, a constant."""
    return core._cut(core._wrap(_arg(x, axis, keepdims, "argmin")), "argmin", x)


def _arg(x, axis, keepdims, name):
    try:
        out = backend.on_its_device(getattr(backend.xp_of(x.data), name), x.data, x.data, axis)
    except ValueError as e:     # an empty tensor has no largest element, or a bad axis
        raise shape_error(f"{name} of a tensor of shape {x.shape}: {e}", e) from None
    if keepdims:
        out = out.reshape(_keep_shape(x.data.shape, axis))
    with backend.on_device_of(out):
        return out.astype(numpy.int64, copy=False)


# ---- products: pairs multiplied level by level (no op of its own) ----


def prod(x, axis=None, keepdims: bool = False):
    """The product over `axis` (all axes when None), as numpy.prod.

    Multiplied in pairs, halving the axis each time (log2(n) multiplications of whole
    slices): its derivatives of every order are the products of the other elements, exact
    when some elements are zero, where dividing the product by x would give nan.
    """
    shape = x.data.shape
    if axis is None:
        axes = tuple(range(len(shape)))
    else:
        axes = axes_index(axis, len(shape), "prod")
    out = x
    for a in axes:
        out = _prod_along(out, a)           # keeps the axis, as size 1
    if not keepdims:
        out = reshape(out, tuple(n for i, n in enumerate(shape) if i not in axes))
    return out


def _prod_along(x, axis: int):
    """The product over one axis, kept as size 1."""
    n = x.data.shape[axis]
    if n == 0:      # the empty product is 1: the empty sum (0) plus 1 keeps it recorded
        return sum(x, axis, keepdims=True) + 1
    before = (slice(None),) * axis
    while n > 1:
        pairs = x[before + (slice(0, n - 1, 2),)] * x[before + (slice(1, n, 2),)]
        x = concatenate([pairs, x[before + (slice(n - 1, n),)]], axis) if n % 2 else pairs
        n = (n + 1) // 2
    return x
