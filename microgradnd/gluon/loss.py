"""Gluon's losses, as the book's from-scratch chapters call them: one value per example.

Each loss is a callable `loss(pred, label[, sample_weight])` that returns a Tensor of shape
(batch,): the loss of each example, averaged over its other axes (Gluon's `batch_axis=0`).
Everything is composed from the engine's ops, so it is differentiable to any order.
"""
from __future__ import annotations

from .. import npx, ops
from ..core import Tensor, as_tensor

__all__ = ["L1Loss", "L2Loss", "Loss", "SigmoidBinaryCrossEntropyLoss",
           "SigmoidBCELoss", "SoftmaxCELoss", "SoftmaxCrossEntropyLoss"]


class Loss:
    """What every loss shares: `weight`, `batch_axis`, and the per-example mean."""

    def __init__(self, weight=None, batch_axis: int = 0):
        if batch_axis != 0:
            raise ValueError(f"only batch_axis=0 is supported, got {batch_axis}")
        self._weight, self._batch_axis = weight, batch_axis

    def _per_example(self, loss: Tensor, sample_weight) -> Tensor:
        """loss times sample_weight and weight, averaged over every axis but the first."""
        if sample_weight is not None:
            loss = loss * as_tensor(sample_weight, like=loss)
        if self._weight is not None:
            loss = loss * self._weight
        if loss.ndim <= 1:
            return loss
        return loss.mean(axis=tuple(range(1, loss.ndim)))

    def __call__(self, pred, label, sample_weight=None) -> Tensor:
        return self.forward(as_tensor(pred), label, sample_weight)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"


def _like(label, pred: Tensor) -> Tensor:
    """The label on pred's device and in pred's dtype and shape (Gluon reshapes it so)."""
    return as_tensor(label, like=pred).astype(pred.dtype).reshape(pred.shape)


class L2Loss(Loss):
    """½ (pred - label)² per element, averaged per example."""

    def __init__(self, weight=1.0, batch_axis: int = 0):
        super().__init__(weight, batch_axis)

    def forward(self, pred, label, sample_weight=None):
        return self._per_example((pred - _like(label, pred)) ** 2 / 2, sample_weight)


class L1Loss(Loss):
    """|pred - label| per element, averaged per example."""

    def __init__(self, weight=None, batch_axis: int = 0):
        super().__init__(weight, batch_axis)

    def forward(self, pred, label, sample_weight=None):
        return self._per_example((pred - _like(label, pred)).abs(), sample_weight)


class SoftmaxCrossEntropyLoss(Loss):
    """-log softmax(pred)[label] per example: Gluon's SoftmaxCrossEntropyLoss.

    `sparse_label=True`: labels are class indices (any dtype; MXNet's are often float32);
    False: they are distributions over `axis`. `from_logits=True`: pred is already a
    log-softmax. The result has shape (batch,).
    """

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight=None, batch_axis: int = 0):
        super().__init__(weight, batch_axis)
        self._axis, self._sparse_label, self._from_logits = axis, sparse_label, from_logits

    def forward(self, pred, label, sample_weight=None):
        log_p = pred if self._from_logits else npx.log_softmax(pred, axis=self._axis)
        if self._sparse_label:
            loss = -npx.pick(log_p, label, axis=self._axis, keepdims=True)
        else:
            loss = -(log_p * _like(label, log_p)).sum(axis=self._axis, keepdims=True)
        return self._per_example(loss, sample_weight)


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    """-(y log σ(x) + (1 - y) log(1 - σ(x))) per element, averaged per example.

    With `from_sigmoid=False` (the default) pred is a logit, and the loss is computed as
    Gluon does without overflow: relu(x) - x·y + log(1 + exp(-|x|)).
    """

    def __init__(self, from_sigmoid: bool = False, weight=None, batch_axis: int = 0):
        super().__init__(weight, batch_axis)
        self._from_sigmoid = from_sigmoid

    def forward(self, pred, label, sample_weight=None):
        y = _like(label, pred)
        if self._from_sigmoid:
            eps = 1e-12
            loss = -((pred + eps).log() * y + (1 - pred + eps).log() * (1 - y))
        else:
            loss = ops.relu(pred) - pred * y + (-pred.abs()).exp().log1p()
        return self._per_example(loss, sample_weight)


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss
