"""Reductions: sum, max, and mean composed from them.

A reduction's gradient is spread back over what was reduced: sum copies it to every element,
max gives it to the largest (shared between ties). The reduced axes are put back as size-1
axes first (`_keep_shape`), then broadcasting does the copying.
"""
from __future__ import annotations

import math

import numpy

from .. import backend, core
from ..errors import ShapeError
from .apply import Op, unary
from .conversion import cast
from .shapes import broadcast_to, reshape


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
    reads_inputs = False

    forward = staticmethod(backend.reduce_sum)     # the backend picks the fastest reduction

    @staticmethod
    def backward(node, out, g):
        shape = node.inputs[0].data.shape
        axis, keepdims = node.args
        if not keepdims:
            g = reshape(g, _keep_shape(shape, axis))
        return (broadcast_to(g, shape),)


def sum(x, axis=None, keepdims: bool = False):  # noqa: A001 - mirrors numpy.sum
    """Sum over `axis` (all axes when None)."""
    return unary(Sum, x, _axis(axis), keepdims)


class Max(Op):
    """The largest element; ties share the gradient equally (as PyTorch's amax)."""

    name = "max"

    @staticmethod
    def forward(x, axis, keepdims):
        # Reducing over an empty axis has no value (NumPy raises, unary() makes it a
        # ShapeError), but (0, 3).max(axis=1) is fine: zero rows, shape (0,), as in PyTorch.
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        axis, keepdims = node.args
        keep = _keep_shape(x.data.shape, axis)
        # out is not kept: recompute it
        mask = (x.data == x.data.max(axis=axis, keepdims=True)).astype(x.data.dtype)
        share = mask / backend.reduce_sum(mask, axis, True)
        return (reshape(g, keep) * core._wrap(share),)


def max(x, axis=None, keepdims: bool = False):  # noqa: A001 - mirrors numpy.max
    """Largest element over `axis`; ties share the gradient."""
    return unary(Max, x, _axis(axis), keepdims)


# ---- composed: no backward of their own ----


def mean(x, axis=None, keepdims: bool = False):
    """Average over `axis`: sum / count."""
    axis = _axis(axis)
    try:
        # a 0-d tensor takes axis 0 or -1 (as NumPy's sum and PyTorch): its one element
        count = x.size if axis is None or x.ndim == 0 else math.prod(
            x.shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))
    except IndexError:      # as NumPy's own fix (numpy#15836): not a bare IndexError
        raise ShapeError(f"mean of a tensor of shape {x.shape}: axis {axis} is out of bounds "
                         f"for {x.ndim} dimensions") from None
    if x.data.dtype == numpy.float16:
        # summed in float32, as NumPy and PyTorch do: in float16 the sum of 70,000 ones is
        # inf, and so is the count 70,000 itself
        return cast(mean(cast(x, numpy.float32), axis, keepdims), numpy.float16)
    s = sum(x, axis, keepdims)
    if x.data.dtype.kind not in "fc":
        s = cast(s, numpy.float64)
    return s / count if count else s * math.nan
