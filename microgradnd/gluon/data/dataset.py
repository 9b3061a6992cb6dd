"""Datasets: indexable collections of examples, and the transforms applied to them."""
from __future__ import annotations

import operator

import numpy

from ... import backend
from ...core import Tensor, _wrap

__all__ = ["ArrayDataset", "Dataset", "SimpleDataset"]


def _array(x):
    """The array behind a Tensor; anything else as NumPy reads it."""
    return x.data if isinstance(x, Tensor) else numpy.asarray(x)


class Dataset:
    """An indexable collection of examples; transform() and transform_first() wrap it."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, idx):
        raise NotImplementedError

    def _batch(self, indices) -> list:
        """The examples at `indices`, one list per field (the general path: one by one)."""
        examples = [self[int(i)] for i in indices]
        if not isinstance(examples[0], tuple):
            return [_stack(examples)]
        return [_stack([e[k] for e in examples]) for k in range(len(examples[0]))]

    def transform(self, fn, lazy: bool = True) -> Dataset:
        """A dataset whose examples are fn(*example)."""
        return _Transformed(self, fn, first_only=False)

    def transform_first(self, fn, lazy: bool = True) -> Dataset:
        """A dataset whose examples have fn applied to their first field (the image)."""
        return _Transformed(self, fn, first_only=True)


def _stack(values):
    """Examples of one field stacked into one array (scalars into a 1-D array)."""
    arrays = [_array(v) for v in values]
    return backend.xp_of(arrays[0]).stack(arrays)


class _Transformed(Dataset):
    """A dataset with a function applied to each example (or to its first field).

    A function that declares `batched = True` (the transforms of vision.transforms) works on
    a whole batch at once and gives what it gives one example at a time, stacked.
    """

    def __init__(self, dataset: Dataset, fn, first_only: bool):
        self._dataset, self._fn, self._first_only = dataset, fn, first_only

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, idx):
        item = self._dataset[idx]
        if self._first_only:
            return (self._fn(item[0]),) + tuple(item[1:]) if isinstance(item, tuple) \
                else self._fn(item)
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)

    def _batch(self, indices) -> list:
        if not (self._first_only and getattr(self._fn, "batched", False)):
            return Dataset._batch(self, indices)
        fields = self._dataset._batch(indices)
        return [_array(self._fn(fields[0], batched=True))] + fields[1:]


class SimpleDataset(Dataset):
    """A dataset over any sequence (a list, an array)."""

    def __init__(self, data):
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx):
        return self._data[idx]


class ArrayDataset(Dataset):
    """Examples drawn from equally long arrays (Tensors, NumPy arrays or lists), one field
    each: dataset[i] is (a[i], b[i], ...), or a[i] for a single array."""

    def __init__(self, *args):
        if not args:
            raise ValueError("ArrayDataset needs at least one array")
        self._arrays = [a.data if isinstance(a, Tensor) else
                        a if backend.is_array(a) else numpy.asarray(a) for a in args]
        lengths = [len(a) for a in self._arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"ArrayDataset: the arrays have lengths {lengths}; they must "
                             "all have the same length")

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, idx):
        # each array read on its own GPU, which need not be CuPy's current one
        items = tuple(_wrap(backend.on_its_device(operator.getitem, a, a, idx))
                      for a in self._arrays)
        return items[0] if len(items) == 1 else items

    def _batch(self, indices) -> list:
        return [backend.on_its_device(operator.getitem, a, a, backend.to_device(
                    numpy.asarray(indices), backend.device_of(a)))
                if not isinstance(a, numpy.ndarray) else a[indices] for a in self._arrays]
