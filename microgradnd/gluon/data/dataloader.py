"""DataLoader: minibatches of a dataset, each field stacked into a Tensor."""
from __future__ import annotations

import math

import numpy

from ...core import _wrap
from .dataset import Dataset, SimpleDataset

__all__ = ["DataLoader"]


class DataLoader:
    """Minibatches of a dataset: each a Tensor (or a tuple of Tensors, one per field).

    `shuffle` draws a new order at every pass (with np.random's generator, so np.random.seed
    fixes it); `last_batch` is 'keep' (a short last batch), 'discard' or 'rollover' (its
    examples start the next pass), as in Gluon. `num_workers` is accepted and ignored: the
    batches are made in this process.
    """

    def __init__(self, dataset, batch_size: int, shuffle: bool = False,
                 last_batch: str = "keep", num_workers: int = 0, **kwargs):
        if last_batch not in ("keep", "discard", "rollover"):
            raise ValueError(f"last_batch must be 'keep', 'discard' or 'rollover', not "
                             f"{last_batch!r}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self._dataset = dataset if isinstance(dataset, Dataset) else SimpleDataset(dataset)
        self._batch_size, self._shuffle, self._last_batch = batch_size, shuffle, last_batch
        self._carry = numpy.zeros(0, numpy.int64)      # 'rollover': the last pass's rest

    def __len__(self) -> int:
        n = len(self._dataset)
        if self._last_batch == "keep":
            return math.ceil(n / self._batch_size)
        if self._last_batch == "discard":
            return n // self._batch_size
        return (n + len(self._carry)) // self._batch_size

    def __iter__(self):
        n = len(self._dataset)
        order = numpy.random.permutation(n) if self._shuffle else numpy.arange(n)
        order = numpy.concatenate([self._carry, order])
        bs = self._batch_size
        full = len(order) // bs * bs
        stop = len(order) if self._last_batch == "keep" else full
        self._carry = order[full:] if self._last_batch == "rollover" else self._carry[:0]
        for i in range(0, stop, bs):
            fields = self._dataset._batch(order[i:i + bs])
            batch = tuple(_wrap(f) for f in fields)
            yield batch[0] if len(batch) == 1 else batch
