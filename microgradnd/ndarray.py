"""MXNet's legacy `mxnet.ndarray` namespace, kept for the book: only `nansum`.

The book's §18.11 (information theory) sums with `from mxnet.ndarray import nansum`, MXNet's
older NDArray API, over `x.as_nd_ndarray()`. This is that API kept for the book, not a second
array type: `t.as_nd_ndarray()` is the tensor itself, and `nansum` takes and returns Tensors,
with the legacy operator's semantics (a full reduction has shape (1,), as a legacy NDArray
cannot be 0-d). It is composed from the engine's ops, so it is differentiable.
"""
from __future__ import annotations

from . import backend, ops
from .core import Tensor
from .ops.shapes import axes_index

__all__ = ["nansum"]


def nansum(data: Tensor, axis=None, keepdims: bool = False, exclude: bool = False) -> Tensor:
    """The sum over `axis` with NaN counted as zero; d/dx = 1, and 0 where x is NaN.

    As MXNet 1.9.1's legacy operator: `axis` is an int or a tuple, and None or () means every
    axis; `exclude=True` sums over the axes *not* in `axis`; a result with no axes left has
    shape (1,) (`(1, 1)` for a matrix with keepdims=True); the dtype is kept (int32 sums to
    int32). An infinity stays an infinity here, where MXNet's compensated sum turns
    `[inf, nan, 1.]` into nan.
    """
    if not isinstance(data, Tensor):
        raise TypeError(f"nansum takes a tensor, got {type(data).__name__}: make one first "
                        "(the book passes x.as_nd_ndarray() of an np array)")
    if data.dtype.kind not in "iufc":
        raise TypeError(f"nansum sums numbers, got a tensor of dtype {data.dtype}: convert it "
                        "first, e.g. x.astype('float32')")
    every = tuple(range(data.ndim))
    axes = every if axis is None or axis == () else axes_index(axis, data.ndim, "nansum")
    if exclude:
        axes = tuple(a for a in every if a not in axes)
    values = data
    if data.dtype.kind in "fc":
        with backend.on_device_of(data.data):     # data's GPU, which need not be current
            nan = data.xp.isnan(data.data)
        values = ops.where(nan, 0.0, data)
    out = values.sum(axis=axes, keepdims=keepdims)
    if out.dtype != data.dtype:         # NumPy sums int32 to int64; MXNet keeps int32
        out = out.astype(data.dtype)
    return out.reshape(1) if out.ndim == 0 else out
