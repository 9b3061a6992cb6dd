"""Indexing: x[index], the recorded form of x[index] = value, and their adjoint scatter-add.

Reading elements out sends gradients back into zeros at the same places; an index that
repeats an element adds its gradients there (scatter-add), as it must.
"""
from __future__ import annotations

import builtins

import numpy

from .. import backend, core
from ..graph import state
from .apply import Op, as_constant, index_data, record, requires_grad, unary
from .elementwise import where
from .shapes import view_of


def _is_basic(index) -> bool:
    """True for indexes that select each element at most once (ints, slices, None, ...)."""
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (int, slice, numpy.integer))
                        for i in items)


class IndexAddToZeros(Op):
    """zeros(shape) with g added at `index`; repeated indices accumulate. GetItem's adjoint."""

    name = "index_add"
    reads_inputs = False

    @staticmethod
    def forward(g, index, shape):
        z = backend.xp_of(g).zeros(shape, g.dtype)
        if _is_basic(index):
            z[index] = g
        else:
            backend.scatter_add(z, index, g)
        return z

    @staticmethod
    def backward(node, out, gg):
        return (getitem(gg, node.args[0]),)


def index_add_to_zeros(g, index, shape):
    """zeros(shape) with g added at index (the backward of getitem)."""
    return unary(IndexAddToZeros, g, index, tuple(shape))


class GetItem(Op):
    name = "getitem"
    reads_inputs = False

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def backward(node, out, g):
        return (index_add_to_zeros(g, node.args[0], node.inputs[0].data.shape),)


def getitem(x, index):
    """x[index] for basic slices and integer (or boolean) arrays."""
    index = index_data(index)
    try:
        return view_of(x, unary(GetItem, x, index))
    except IndexError as e:
        raise IndexError(f"index {index!r} does not fit a tensor of shape {x.shape}: {e}") \
            from None


class SetItem(Op):
    """x with x[index] replaced by value: how `t[index] = value` is recorded (as PyTorch).

    args are (index, x): the tensor t was before the update, kept past the freeing of inputs,
    so that ops recorded on t before the update send their gradients to it (`replaced`).
    """

    name = "setitem"
    reads_inputs = False

    @staticmethod
    def forward(x, value, index):
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(node, out, g):
        index = node.args[0]
        gx = gv = None
        if node.requires_grad[0]:           # overwritten elements no longer depend on x
            keep = backend.xp_of(g.data).ones(g.data.shape, bool)
            keep[index] = False
            gx = where(keep, g, 0.0)
        if node.requires_grad[1]:
            gv = getitem(g, index)
        return gx, gv

    @staticmethod
    def replaced(node):
        return node.args[1]


def setitem(x, index, value):
    """A copy of x with x[index] = value; recorded when x or value needs a gradient."""
    index = index_data(index)
    if not isinstance(value, (core.Tensor, int, float)):
        value = as_constant(value, x)
    if isinstance(value, core.Tensor):
        core.check_same_device(x.data, value.data, "setitem")
    out = core._wrap(SetItem.forward(x.data, value.data if isinstance(value, core.Tensor)
                                     else value, index))
    if state.recording and (requires_grad(x) or requires_grad(value)):
        record(SetItem, out, (x, value), (index, x))
    return out
