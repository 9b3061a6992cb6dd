"""gluon.utils: splitting a batch across devices (the book's data-parallel chapter)."""
from __future__ import annotations

from ..core import Tensor, as_tensor
from ..errors import ShapeError

__all__ = ["split_and_load", "split_data"]


def split_data(data, num_slice: int, batch_axis: int = 0, even_split: bool = True) -> list:
    """`data` cut into `num_slice` slices along `batch_axis` (views; differentiable).

    With even_split (the default) the size along the axis must divide evenly, as in Gluon;
    otherwise the last slices are one shorter.
    """
    data = as_tensor(data)
    size = data.shape[batch_axis]
    if num_slice < 1:
        raise ValueError(f"num_slice must be >= 1, got {num_slice}")
    if even_split and size % num_slice:
        raise ShapeError(f"data of shape {data.shape} cannot be split evenly into {num_slice} "
                         f"slices along axis {batch_axis} ({size} is not a multiple of "
                         f"{num_slice}); pass even_split=False or change the batch size")
    if size < num_slice:
        raise ShapeError(f"data of shape {data.shape} has only {size} examples along axis "
                         f"{batch_axis}, fewer than the {num_slice} slices asked for")
    step, extra = divmod(size, num_slice)
    bounds, start = [], 0
    for i in range(num_slice):
        stop = start + step + (1 if i < extra else 0)
        bounds.append((start, stop))
        start = stop
    before = (slice(None),) * batch_axis
    return [data[before + (slice(a, b),)] for a, b in bounds]


def split_and_load(data, ctx_list, batch_axis: int = 0, even_split: bool = True) -> list:
    """`data` split along `batch_axis` into one slice per device of `ctx_list`, each copied
    there (Gluon's split_and_load). With one device the whole batch is moved."""
    if not isinstance(data, Tensor):
        data = as_tensor(data)
    ctx_list = list(ctx_list)
    if len(ctx_list) == 1:
        return [data.as_in_ctx(ctx_list[0])]
    slices = split_data(data, len(ctx_list), batch_axis, even_split)
    return [s.as_in_ctx(ctx) for s, ctx in zip(slices, ctx_list)]
