"""The pieces d2l.ai §3.2 "saves for later use": data, model, loss and optimizer.

`synthetic_data`, `data_iter`, `linreg`, `squared_loss` and `sgd` are the chapter's own code,
ported to this engine; `fast_data_iter` is the iterator to use for real sizes. Plotting and
the training loop stay in examples/linreg.py, where a learner reads them.
"""
from __future__ import annotations

import random
from collections.abc import Iterator

from . import backend, np
from .core import Tensor, _wrap


def synthetic_data(w: Tensor, b, num_examples: int, *, noise: float = 0.01):
    """Generate y = X w + b + noise, with X ~ N(0, 1) of shape (num_examples, len(w)).

    The data lands on w's device; `noise` is the standard deviation of the label noise.
    """
    device = w.device if isinstance(w, Tensor) else None
    X = np.random.normal(0, 1, (num_examples, len(w)), device=device)
    y = np.dot(X, w) + b
    y += np.random.normal(0, noise, y.shape, device=device)
    return X, y


def data_iter(batch_size: int, features: Tensor, labels: Tensor):
    """Yield shuffled minibatches (X, y), as the chapter does: clear, but slow at scale.

    It builds a Python list of every index and one small index array per batch. The last
    batch is short when `batch_size` does not divide the number of examples.
    """
    num_examples = len(features)
    indices = list(range(num_examples))
    # The examples are read at random, in no particular order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = np.array(
            indices[i: min(i + batch_size, num_examples)], device=features.device)
        yield features[batch_indices], labels[batch_indices]


def fast_data_iter(batch_size: int, features: Tensor, labels: Tensor,
                   shuffle: bool = True) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield minibatches (X, y) from one permutation per epoch, without Python lists.

    The permutation is drawn on the data's device (NumPy's generator on the CPU, CuPy's on a
    GPU); each batch is one gather into a fresh contiguous array. The last batch is short
    when `batch_size` does not divide the number of examples, as in `data_iter`.
    """
    X, y = features.data, labels.data
    n = len(X)
    if shuffle:
        order = backend.random_state(features.device).permutation(n)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            yield _wrap(X[idx]), _wrap(y[idx])
    else:   # contiguous slices are views already: nothing to gather
        for i in range(0, n, batch_size):
            yield _wrap(X[i:i + batch_size]), _wrap(y[i:i + batch_size])


def linreg(X: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """The linear regression model: X w + b."""
    return np.dot(X, w) + b


def squared_loss(y_hat: Tensor, y: Tensor) -> Tensor:
    """Per-example squared loss (ŷ - y)² / 2; y is reshaped to ŷ's shape (exercise 5)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: list[Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD: param -= lr · grad / batch_size, in place.

    The loss is summed over the batch, so dividing by the batch size makes the step an average.
    Pass the actual length of a short last batch, `len(X)`, to average it correctly (exercise 7).
    """
    for param in params:
        if param.grad is None:
            raise TypeError(f"a parameter of shape {param.shape} has no gradient: call "
                            ".attach_grad() on it before autograd.record(), then backward")
        param[:] = param - lr * param.grad / batch_size
