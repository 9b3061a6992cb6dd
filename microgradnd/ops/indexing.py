"""Indexing: x[index], the recorded form of x[index] = value, and their adjoint scatter-add;
then joining and splitting (concatenate, stack, split), whose rules are slices.

Reading elements out sends gradients back into zeros at the same places; an index that
repeats an element adds its gradients there (scatter-add), as it must.
"""
from __future__ import annotations

import builtins
import operator

import numpy

from .. import backend, core
from ..errors import DeviceError, GraphError, ShapeError
from ..graph import state
from . import tangents
from .apply import Op, as_constant, record_node, requires_grad, unary
from .elementwise import where
from .shapes import axis_index, expand_dims, reshape, view_of

__all__ = [  # what ops/__init__.py gathers
    "Concatenate", "GetItem", "IndexAddToZeros", "SetItem", "before_replacements", "concatenate",
    "getitem", "index_add_to_zeros", "index_data", "inputs_as_recorded", "setitem", "sort",
    "split", "stack",
]


def _index_array(t, like):
    """The array of a Tensor used as an index into `like`. Float indices with whole values
    become int64, as MXNet takes them (its np makes `np.array([0, 2])` float32, and the book
    indexes with it); a fractional one is refused rather than truncated without a word. An
    index on a GPU must be on like's (one on the CPU may index any tensor, as in PyTorch)."""
    data = t.data
    if type(data) is not numpy.ndarray and backend.is_cupy_array(data) and (
            like is None or backend.device_of(data) != like.device):
        where = "" if like is None else f" for a tensor on {like.device}"
        raise DeviceError(f"an index on {t.device}{where}: move the index to the indexed "
                          f"tensor's device first (or keep it on the CPU)")
    if data.dtype.kind != "f":
        return data
    with backend.on_device_of(data):
        whole = data.astype(numpy.int64)
        exact = bool((whole == data).all())
    if not exact:
        raise IndexError(f"a float index must hold whole numbers to select elements; got "
                         f"{t.tolist()!r}: round it (or cast it to an int dtype) first")
    return whole


def index_data(index, like=None):
    """An index into the tensor `like` with any Tensors in it replaced by their arrays."""
    if isinstance(index, core.Tensor):
        return _index_array(index, like)
    if isinstance(index, tuple):
        return tuple(_index_array(i, like) if isinstance(i, core.Tensor) else i for i in index)
    if isinstance(index, list) and any(isinstance(i, core.Tensor) for i in index):
        return [_index_array(i, like) if isinstance(i, core.Tensor) else i for i in index]
    return index


def _is_basic(index) -> bool:
    """True for indexes that select each element at most once (ints, slices, None, ...)."""
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (int, slice, numpy.integer))
                        for i in items)


class IndexAddToZeros(Op):
    """zeros(shape) with g added at `index`; repeated indices accumulate. GetItem's adjoint."""

    name = "index_add"
    rule = "grad_g = gg[index]"
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

    @staticmethod
    def jvp(inputs, args, out, t):
        return index_add_to_zeros(t[0], *args)


def index_add_to_zeros(g, index, shape):
    """zeros(shape) with g added at index (the backward of getitem)."""
    return unary(IndexAddToZeros, g, index, tuple(shape))


class GetItem(Op):
    name = "getitem"
    rule = "grad_x = zeros like x, with g added at index"
    reads_inputs = False

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def backward(node, out, g):
        return (index_add_to_zeros(g, node.args[0], node.inputs[0].data.shape),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(GetItem, t[0], *args)


def getitem(x, index):
    """x[index] for basic slices and integer (or boolean) arrays."""
    index = index_data(index, x)
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
    rule = "grad_x = g with zeros at index; grad_value = g[index]"
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
            with backend.on_device_of(g.data):
                keep = backend.xp_of(g.data).ones(g.data.shape, bool)
                keep[index] = False
            gx = where(keep, g, 0.0)
        if node.requires_grad[1]:
            gv = getitem(g, index)
        return gx, gv

    @staticmethod
    def jvp(inputs, args, out, t):
        """x's tangent with its tangent at `index` replaced by value's."""
        tx, tv = t
        if tx is None:
            tx = core._wrap(backend.zeros_like(out.data))
        return setitem(tx, args[0], 0.0 if tv is None else tv)

    @staticmethod
    def replaced(node):
        return node.args[1]


def before_replacements(x, node):
    """The tensor `node` was recorded on, before recorded `x[i] = v` updates rebound x.

    Each update's SetItem node keeps the tensor it replaced (Op.replaced). The chain is
    followed back while it is newer than `node`, and each step must go back in time: a step
    that does not (a broken replacement) is refused, so the loop ends after at most as many
    steps as there are nodes between them, and backward never goes round in a cycle.
    """
    while x._node is not None and x._node.seq > node.seq:
        earlier = x._node.op.replaced(x._node)
        if earlier is None or (earlier._node is not None and earlier._node.seq >= x._node.seq):
            raise GraphError(
                f"'{node.name}' was recorded on a tensor (shape {x.shape}) that '{x._node.name}' "
                "replaced later, and the tensor it replaced cannot be found: backward would go "
                "round in a cycle. Compute a new tensor instead of updating this one in place")
        x = earlier
    return x


def inputs_as_recorded(node, inputs, wants: str) -> tuple:
    """`inputs` (node's) as its op saw them: an input rebound since by a recorded `t[i] = v`
    is followed back (before_replacements); one whose values changed in place is refused when
    the op reads them, since what `wants` them (its gradient, its tangent) would be wrong."""
    for i, (x, v) in enumerate(zip(inputs, node.versions)):
        if v is None or x._vc[0] == v:
            continue
        x = before_replacements(x, node)
        if node.op.reads_inputs and x._vc[0] != v:
            raise GraphError(
                f"input {i} (shape {x.shape}) of '{node.name}' was modified in place after "
                f"'{node.name}' recorded it (version {v} -> {x._vc[0]}); {wants} would be "
                "wrong. Compute a new tensor instead of updating this one in place, or update "
                "it only after backward")
        inputs = inputs[:i] + (x,) + inputs[i + 1:]
    return tuple(inputs)


def setitem(x, index, value):
    """A copy of x with x[index] = value; recorded when x or value needs a gradient."""
    index = index_data(index, x)
    if not isinstance(value, (core.Tensor, int, float)):
        value = as_constant(value, x)
    if isinstance(value, core.Tensor):
        core.check_same_device(x.data, value.data, "setitem")
    vd = value.data if isinstance(value, core.Tensor) else value
    out = core._wrap(backend.on_its_device(SetItem.forward, x.data, x.data, vd, index))
    if state.recording and (requires_grad(x) or requires_grad(value)):
        record_node(SetItem, out, (x, value), (index, x))
    if state.levels:
        tangents.push(SetItem, out, (x, value), (index, x))
    return out


# ---- joining and splitting ----


def _along(axis: int, start: int, stop: int) -> tuple:
    """The index of elements start:stop along `axis` (a basic slice: a view)."""
    return (slice(None),) * axis + (slice(start, stop),)


class Concatenate(Op):
    """The inputs joined along an axis; each gets back its slice of the gradient."""

    name = "concatenate"
    rule = "grad_xs[i] = the slice of g where xs[i] was placed"
    numpy_twin = "concatenate"
    reads_inputs = False

    @staticmethod
    def forward(*arrays_and_axis):
        *arrays, axis = arrays_and_axis
        return backend.xp_of(arrays[0]).concatenate(arrays, axis)

    @staticmethod
    def backward(node, out, g):
        axis = node.args[0]
        grads, start = [], 0
        for x, need in zip(node.inputs, node.requires_grad):
            stop = start + x.data.shape[axis]
            grads.append(getitem(g, _along(axis, start, stop)) if need else None)
            start = stop
        return tuple(grads)

    @staticmethod
    def jvp(inputs, args, out, t):
        return concatenate([core._wrap(backend.zeros_like(x.data)) if tx is None else tx
                            for x, tx in zip(inputs, t)], args[0])


def concatenate(xs, axis=0):
    """The tensors of `xs` joined along an existing axis (all axes flattened when None)."""
    xs = list(xs)
    like = next((x for x in xs if isinstance(x, core.Tensor)), None)
    if like is None:
        raise TypeError("concatenate() needs at least one Tensor")
    xs = [x if isinstance(x, core.Tensor) else as_constant(x, like) for x in xs]
    if axis is None:
        xs, axis = [x if x.data.ndim == 1 else reshape(x, (-1,)) for x in xs], 0
    for x in xs:
        core.check_same_device(like.data, x.data, "concatenate")
    if like.data.ndim == 0:
        raise ShapeError("concatenate: zero-dimensional tensors cannot be concatenated")
    axis = axis_index(axis, like.data.ndim, "concatenate")
    try:
        out = core._wrap(backend.on_its_device(Concatenate.forward, like.data,
                                       *(x.data for x in xs), axis))
    except ValueError as e:
        raise ShapeError(f"concatenate along axis {axis}: shapes "
                         f"{', '.join(str(x.shape) for x in xs)} do not fit ({e})") from None
    if state.recording and builtins.any(requires_grad(x) for x in xs):
        record_node(Concatenate, out, tuple(xs), (axis,))
    if state.levels:
        tangents.push(Concatenate, out, tuple(xs), (axis,))
    return out


def stack(xs, axis=0):
    """The tensors of `xs`, all of one shape, joined along a new axis."""
    xs = list(xs)
    like = next((x for x in xs if isinstance(x, core.Tensor)), None)
    if like is None:
        raise TypeError("stack() needs at least one Tensor")
    xs = [x if isinstance(x, core.Tensor) else as_constant(x, like) for x in xs]
    shapes = {x.shape for x in xs}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have one shape, got "
                         f"{', '.join(str(x.shape) for x in xs)}")
    return concatenate([expand_dims(x, axis) for x in xs], axis)


def split(x, indices_or_sections, axis=0):
    """x cut along `axis` into equal sections (an int) or at the given indices (a list);
    each piece is a view, and its gradient flows back into x."""
    axis = axis_index(axis, x.data.ndim, "split")
    n = x.data.shape[axis]
    if isinstance(indices_or_sections, (list, tuple)) or backend.is_array(indices_or_sections):
        cuts = [operator.index(i) for i in indices_or_sections]
    else:
        sections = operator.index(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ShapeError(f"split: axis {axis} of size {n} does not divide into "
                             f"{sections} equal sections")
        cuts = [n // sections * k for k in range(1, sections)]
    bounds = [0, *cuts, n]
    return [getitem(x, _along(axis, start, stop)) for start, stop in zip(bounds, bounds[1:])]


# ---- sorting: a gather by the sorting permutation (no op of its own) ----


def sort(x, axis=-1):
    """x sorted along `axis` (the flattened x when None), as numpy.sort. Differentiable: each
    element's gradient goes back to where the element came from (ties keep their order)."""
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if x.data.ndim == 0:
        raise ShapeError("sort: a 0-d tensor has no axis to sort along; reshape it first")
    ndim = x.data.ndim
    axis = axis_index(axis, ndim, "sort")
    xp = backend.xp_of(x.data)
    with backend.on_device_of(x.data):
        order = xp.argsort(x.data, axis=axis, kind="stable")
        # an open grid over the other axes, so that order picks along `axis` only
        grid = tuple(order if i == axis else
                     xp.arange(n).reshape((1,) * i + (n,) + (1,) * (ndim - i - 1))
                     for i, n in enumerate(x.data.shape))
    return getitem(x, grid)
