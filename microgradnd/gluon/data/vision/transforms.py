"""gluon.data.vision.transforms: ToTensor, Resize and Compose, for one image or a batch.

Each is a callable on an image of shape (H, W, C) (a Tensor or an array). Gluon applies
transforms to one example at a time; these also take a whole batch (N, H, W, C) when called
with `batched=True`, which is what gluon.data.DataLoader does for them (`batched = True` on
the class says they can), giving the same values as one by one.
"""
from __future__ import annotations

import numpy

from .... import backend, d2l
from ....core import Tensor, _wrap

__all__ = ["Compose", "Resize", "ToTensor"]


def _array(x):
    return x.data if isinstance(x, Tensor) else numpy.asarray(x)


class ToTensor:
    """(H, W, C) uint8 in [0, 255] -> (C, H, W) float32 in [0, 1]."""

    batched = True

    def __call__(self, x, batched: bool = False):
        a = _array(x)
        if not batched:
            a = a[None]
        out = (a.astype(numpy.float32) / 255).transpose(0, 3, 1, 2)
        return _wrap(backend.xp_of(out).ascontiguousarray(out if batched else out[0]))


class Resize:
    """(H, W, C) -> (height, width, C), bilinear (as d2l's loader); `size` is an int or
    Gluon's (width, height)."""

    batched = True

    def __init__(self, size, keep_ratio: bool = False, interpolation: int = 1):
        self._size = size

    def __call__(self, x, batched: bool = False):
        a = backend.to_host(_array(x))
        if not batched:
            a = a[None]
        dtype = a.dtype
        n, h, w, c = a.shape
        channels = a.transpose(0, 3, 1, 2).reshape(n * c, h, w).astype(numpy.float32)
        resized = d2l._resize(channels, self._size)
        out = resized.reshape(n, c, *resized.shape[1:]).transpose(0, 2, 3, 1)
        if dtype == numpy.uint8:
            out = numpy.clip(numpy.round(out), 0, 255)
        out = out.astype(dtype)
        return _wrap(out if batched else out[0])


class Compose:
    """The transforms applied in order."""

    def __init__(self, transforms):
        self._transforms = list(transforms)
        self.batched = all(getattr(t, "batched", False) for t in self._transforms)

    def __call__(self, x, batched: bool = False):
        for t in self._transforms:
            x = t(x, batched=True) if batched else t(x)
        return x
