"""Shapes: reshape (and expand_dims, squeeze, flatten), transpose, broadcast_to, sum_to.

None of these reads values, only moves them, so each rule moves the gradient back the other
way. sum_to is the one the backward walk calls to undo broadcasting.
"""
from __future__ import annotations

import builtins
import operator

import numpy

from .. import backend
from ..errors import AxisError, ShapeError
from .apply import Op, unary

__all__ = [  # what ops/__init__.py gathers
    "BroadcastTo", "Reshape", "SumTo", "Transpose", "axes_index", "axis_index", "broadcast_to",
    "expand_dims", "flatten", "repeat", "reshape", "squeeze", "sum_to", "tile", "transpose",
]


def axis_index(axis, ndim: int, what: str) -> int:
    """`axis` (negative counts from the end) as 0..ndim-1; AxisError when it is out of range.

    Never `axis % ndim`: that would quietly take axis 5 of a matrix for axis 1.
    """
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise AxisError(f"{what}: axis {axis} is out of bounds for a tensor of {ndim} "
                        f"dimensions (axes {-ndim} to {ndim - 1})")
    return axis + ndim if axis < 0 else axis


def view_of(x, out):
    """out, sharing x's version counter when its array is a view of x's memory (as PyTorch).

    Then `v = x[0]; v += 1` counts as a change of x too, and x's saved value is protected.
    """
    base = out.data.base
    if base is not None and (base is x.data or base is x.data.base):
        out._vc = x._shared_vc()
    return out


class Reshape(Op):
    name = "reshape"
    rule = "grad_x = g reshaped to x's shape"
    reads_inputs = False

    @staticmethod
    def forward(x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(node, out, g):
        return (reshape(g, node.inputs[0].data.shape),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(Reshape, t[0], *args)


def reshape(x, shape: tuple):
    """The same values in a new shape; one dimension may be -1."""
    shape = tuple(map(operator.index, shape))   # accepts ints and 0-d int arrays, not floats
    if x.data.shape == shape:
        return x
    try:
        return view_of(x, unary(Reshape, x, shape))
    except ShapeError:
        raise ShapeError(f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
                         f"shape {shape}: the sizes must match") from None


def axes_index(axis, ndim: int, what: str) -> tuple:
    """`axis` (an int or a tuple) as sorted non-negative axes of an ndim-d result."""
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    try:
        out = sorted(operator.index(a) + ndim if operator.index(a) < 0 else operator.index(a)
                     for a in axes)
    except TypeError:
        raise TypeError(f"{what}: axis must be an int or a tuple of ints, got {axis!r}") \
            from None
    for a in axes:
        axis_index(a, ndim, what)
    if len(set(out)) != len(out):
        raise ShapeError(f"{what}: axis {axis!r} repeats an axis")
    return tuple(out)


def expand_dims(x, axis):
    """x with new size-1 axes at `axis` (an int or a tuple), as NumPy: a view."""
    ndim = x.data.ndim + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    shape = list(x.data.shape)
    for a in axes_index(axis, ndim, "expand_dims"):
        shape.insert(a, 1)
    return reshape(x, tuple(shape))


def squeeze(x, axis=None):
    """x without its size-1 axes (only those of `axis` when given), as NumPy: a view."""
    shape = x.data.shape
    if axis is None:
        return reshape(x, tuple(n for n in shape if n != 1))
    axes = axes_index(axis, len(shape), "squeeze")
    if any(shape[a] != 1 for a in axes):
        raise ShapeError(f"squeeze: axis {axis!r} of a tensor of shape {shape} does not "
                         "have size 1")
    return reshape(x, tuple(n for i, n in enumerate(shape) if i not in axes))


def flatten(x):
    """The values as a 1-D tensor; a copy, as NumPy's and MXNet's flatten."""
    out = unary(Reshape, x, (-1,))
    out.data = backend.copy(out.data)   # a view would let writes to the result change x
    return out


class Transpose(Op):
    name = "transpose"
    rule = "grad_x = g transposed back (the inverse permutation)"
    reads_inputs = False

    @staticmethod
    def forward(x, axes):
        return x.transpose(axes)

    @staticmethod
    def backward(node, out, g):
        axes = node.args[0]
        if axes is None:
            return (transpose(g),)
        return (transpose(g, tuple(numpy.argsort(axes).tolist())),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(Transpose, t[0], *args)


def transpose(x, axes=None):
    """Permute the axes (reverse them when `axes` is None); negative axes count from the end."""
    if axes is not None:
        axes = tuple(axis_index(a, x.ndim, "transpose") for a in axes)
    return view_of(x, unary(Transpose, x, axes))


class BroadcastTo(Op):
    name = "broadcast_to"
    rule = "grad_x = sum_to(g, x's shape)"
    reads_inputs = False

    @staticmethod
    def forward(x, shape):
        return backend.broadcast_to(x, shape)

    @staticmethod
    def backward(node, out, g):
        return (sum_to(g, node.inputs[0].data.shape),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return broadcast_to(t[0], *args)


def broadcast_to(x, shape: tuple):
    """x repeated along new or size-1 axes to `shape` (a view)."""
    if x.data.shape == tuple(shape):
        return x
    return unary(BroadcastTo, x, tuple(shape))


class SumTo(Op):
    """Sum a broadcast result back down to `shape`: the inverse of broadcasting."""

    name = "sum_to"
    rule = "grad_x = g broadcast to x's shape"
    reads_inputs = False

    forward = staticmethod(backend.sum_to)     # the backend picks the fastest reduction

    @staticmethod
    def backward(node, out, g):
        return (broadcast_to(g, node.inputs[0].data.shape),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return sum_to(t[0], *args)


def sum_to(x, shape: tuple):
    """x summed down to `shape`: the inverse of broadcast_to."""
    if x.data.shape == tuple(shape):
        return x
    return unary(SumTo, x, tuple(shape))


# ---- repeating: broadcasting along a new axis, then merging it (no op of their own) ----


def repeat(x, repeats: int, axis=None):
    """Each element repeated `repeats` times along `axis` (of the flattened x when None), as
    numpy.repeat with an int count. Differentiable: the gradient sums each run of copies."""
    repeats = operator.index(repeats)
    if repeats < 0:
        raise ValueError(f"repeat: repeats must be >= 0, got {repeats}")
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    (axis,) = axes_index(axis, x.data.ndim, "repeat")
    shape = x.data.shape
    # (..., n, ...) -> (..., n, 1, ...) -> (..., n, repeats, ...) -> (..., n * repeats, ...)
    copies = broadcast_to(expand_dims(x, axis + 1),
                          shape[:axis + 1] + (repeats,) + shape[axis + 1:])
    return reshape(copies, shape[:axis] + (shape[axis] * repeats,) + shape[axis + 1:])


def tile(x, reps):
    """x repeated `reps` times along each axis, as numpy.tile. Differentiable: the gradient
    sums the tiles."""
    reps = (operator.index(reps),) if not isinstance(reps, (tuple, list)) else \
        tuple(map(operator.index, reps))
    ndim = builtins.max(len(reps), x.data.ndim)
    shape = (1,) * (ndim - x.data.ndim) + x.data.shape
    reps = (1,) * (ndim - len(reps)) + reps
    # each axis of size s becomes a pair (1, s), broadcast to (r, s), then merged to r * s
    pairs = reshape(x, tuple(v for s in shape for v in (1, s)))
    tiles = broadcast_to(pairs, tuple(v for r, s in zip(reps, shape) for v in (r, s)))
    return reshape(tiles, tuple(r * s for r, s in zip(reps, shape)))
