"""MXNet's `mxnet.metric`, kept for the book: only `NegativeLogLikelihood`.

The book's §18.11 checks its cross-entropy against `NegativeLogLikelihood().update(labels,
preds)` and `.get()`. This is that metric, computed with the engine's ops on the tensors'
device and outside any recording (a metric is read, never differentiated), with MXNet
1.9.1's update, get and reset; the rest of MXNet's metric API is not here.
"""
from __future__ import annotations

import math

from . import backend
from .core import Tensor
from .d2l import _check_labels
from .errors import ShapeError

__all__ = ["NegativeLogLikelihood"]


def _as_list(arrays, what: str) -> list:
    """A Tensor as [Tensor]; a list or tuple of Tensors as a list; anything else refused."""
    arrays = [arrays] if isinstance(arrays, Tensor) else arrays
    if not isinstance(arrays, (list, tuple)) or not all(isinstance(a, Tensor) for a in arrays):
        raise TypeError(f"NegativeLogLikelihood.update takes {what} as a tensor or a list of "
                        f"tensors, got {type(arrays).__name__}: make them with np.array(...)")
    return list(arrays)


class NegativeLogLikelihood:
    """The mean over examples of -log(pred[i, label[i]] + eps), accumulated over updates.

    `update(labels, preds)` takes a tensor (or a list of them) of class labels, one per
    example, and a tensor (or a list) of predicted probabilities of shape (examples, classes);
    each call adds every example's -log(p + eps), summed in the predictions' dtype, to
    `sum_metric` and their count to `num_inst`. `get()` is `(name, sum_metric / num_inst)`,
    or `(name, nan)` before any update; `reset()` starts again. Labels must be whole numbers
    in 0..classes-1 (a ValueError here; MXNet truncates 2.9 to 2 and reads -1 as the last
    class).
    """

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss"):
        self.eps, self.name = eps, str(name)
        self.reset()

    def reset(self) -> None:
        """Forget every update: no examples, a sum of 0."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def update(self, labels, preds) -> None:
        """Add the negative log-likelihood of each example of each (labels, preds) pair."""
        labels, preds = _as_list(labels, "labels"), _as_list(preds, "preds")
        if len(labels) != len(preds):
            raise ValueError(f"NegativeLogLikelihood.update: {len(labels)} label tensors for "
                             f"{len(preds)} prediction tensors; pass one of each per batch")
        for label, pred in zip(labels, preds):
            label, pred = label.detach().reshape(-1), pred.detach()
            if pred.ndim != 2 or label.size != pred.shape[0]:
                raise ShapeError(f"NegativeLogLikelihood.update: labels of shape {label.shape} "
                                 f"and predictions of shape {pred.shape}; predictions must be "
                                 "(examples, classes), with one label per example")
            _check_labels(label, pred.shape[1], "NegativeLogLikelihood.update")
            with backend.on_device_of(pred.data):     # pred's GPU, which need not be current
                rows = pred.xp.arange(pred.shape[0])
                index = label.to(pred.device).data.astype("int64")
            prob = pred[rows, index]
            self.sum_metric += (-(prob + self.eps).log()).sum().item()
            self.num_inst += pred.shape[0]

    def get(self) -> tuple:
        """(name, the mean negative log-likelihood per example so far), nan before any."""
        if self.num_inst == 0:
            return (self.name, math.nan)
        return (self.name, self.sum_metric / self.num_inst)
