"""gluon.data.vision: MNIST and Fashion-MNIST as datasets, and the transforms the book applies."""
from __future__ import annotations

import numpy

from .... import d2l
from ....core import _wrap
from ..dataset import Dataset
from . import transforms

__all__ = ["FashionMNIST", "MNIST", "transforms"]


class FashionMNIST(Dataset):
    """Fashion-MNIST: examples (image, label), the image a (28, 28, 1) uint8 Tensor, the label
    an int32 scalar, as Gluon's FashionMNIST gives them. An index that is a slice gives the
    examples stacked, `transform` applied to the stack (Gluon's `dataset[10:38]`).

    The files are d2l's: downloaded once into its cache folder (d2l.read_fashion_mnist),
    checked, and offline a d2l.DownloadError that says what to do. `synthetic=True` (or the
    environment variable MICROGRADND_SYNTHETIC=1) uses d2l.synthetic_fashion_mnist()
    instead: the same shapes and types, generated locally, no download. `root` is accepted
    for Gluon's signature; the cache folder is d2l's (MICROGRADND_DATA).
    """

    name = "fashion_mnist"
    synthetic_seed = 0

    def __init__(self, root=None, train: bool = True, transform=None, *,
                 synthetic: bool | None = None):
        import os
        if synthetic is None:
            synthetic = os.environ.get("MICROGRADND_SYNTHETIC") == "1"
        if synthetic:
            train_set, test_set = d2l.synthetic_fashion_mnist(seed=self.synthetic_seed)
            images, labels = train_set if train else test_set
        else:
            images, labels = d2l.read_fashion_mnist(train, name=self.name)
        self._images = images[..., None]                  # (n, 28, 28, 1), as Gluon's
        self._labels = labels.astype(numpy.int32)
        self._transform = transform

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, idx):
        image, label = _wrap(self._images[idx]), _wrap(self._labels[idx])
        if self._transform is not None:
            return self._transform(image, label)
        return image, label

    def _batch(self, indices) -> list:
        if self._transform is not None:
            return Dataset._batch(self, indices)
        return [self._images[indices], self._labels[indices]]


class MNIST(FashionMNIST):
    """MNIST's handwritten digits, in the same form as FashionMNIST (Gluon's MNIST).

    The files come from MXNet's data repository through d2l.download; `synthetic=True` (or
    MICROGRADND_SYNTHETIC=1) uses d2l.synthetic_fashion_mnist's generator with another seed:
    ten classes of blocky shapes standing in for the digits.
    """

    name = "mnist"
    synthetic_seed = 1
