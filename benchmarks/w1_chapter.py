"""W1, the chapter: minibatch SGD on 1000 x 2 float32 with the seed's code shape.

Batch 10, lr 0.03, 3 epochs over the same shuffled batches for every implementation; the
metric is microseconds per step (index a batch, forward, backward, update both parameters).
"""
from __future__ import annotations

import numpy

import microgradnd as mg
from microgradnd import autograd

from ._harness import interleave, load_torch, result, timed


def make_data(n: int, seed: int = 0):
    """The chapter's synthetic data y = Xw + b + noise, and one shuffled batch order per epoch."""
    rng = numpy.random.default_rng(seed)
    X = rng.normal(0, 1, (n, 2)).astype(numpy.float32)
    y = (X @ numpy.array([2, -3.4], numpy.float32) + 4.2
         + rng.normal(0, 0.01, n)).astype(numpy.float32)
    w0 = rng.normal(0, 0.01, (2, 1)).astype(numpy.float32)
    return X, y, w0


def batches(n: int, batch_size: int, epochs: int, seed: int = 1) -> list:
    """Index arrays of every step, as the chapter's data_iter yields them."""
    rng = numpy.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n)
        out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return out


def run_microgradnd(X, y, w0, steps, lr, batch_size):
    """The seed's loop: record, squared loss, backward, `param[:] = ...`."""
    features, labels = mg.tensor(X), mg.tensor(y)
    w, b = mg.tensor(w0.copy()), mg.tensor(numpy.zeros(1, numpy.float32))
    w.attach_grad()
    b.attach_grad()
    for idx in steps:
        Xb, yb = features[idx], labels[idx]
        with autograd.record():
            y_hat = Xb.dot(w) + b
            loss = (y_hat - yb.reshape(y_hat.shape)) ** 2 / 2
        loss.backward()
        for param in (w, b):
            param[:] = param - lr * param.grad / batch_size
    return w.numpy()


def run_floor(X, y, w0, steps, lr, batch_size):
    """The same steps with the gradient written by hand: the cost of the arithmetic alone."""
    w, b = w0.copy(), numpy.zeros(1, numpy.float32)
    for idx in steps:
        Xb, yb = X[idx], y[idx]
        y_hat = Xb.dot(w) + b
        r = y_hat - yb.reshape(y_hat.shape)
        loss = r ** 2 / 2   # noqa: F841 - the loss is computed, as the chapter does
        gw, gb = Xb.T.dot(r), r.sum(0)
        w[:] = w - lr * gw / batch_size
        b[:] = b - lr * gb / batch_size
    return w


def run_torch(torch, X, y, w0, steps, lr, batch_size):
    """The same loop in PyTorch's idiom (sum before backward, zero the gradients)."""
    features, labels = torch.from_numpy(X), torch.from_numpy(y)
    w = torch.tensor(w0, requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    tsteps = [torch.from_numpy(i) for i in steps]
    for idx in tsteps:
        Xb, yb = features[idx], labels[idx]
        y_hat = Xb @ w + b
        loss = (y_hat - yb.reshape(y_hat.shape)) ** 2 / 2
        loss.sum().backward()
        with torch.no_grad():
            for param in (w, b):
                param[:] = param - lr * param.grad / batch_size
                param.grad.zero_()
    return w.detach().numpy()


def run(quick: bool = False, rounds: int | None = None) -> dict:
    n, epochs, lr, batch_size = (100, 1, 0.03, 10) if quick else (1000, 3, 0.03, 10)
    rounds = rounds or (2 if quick else 7)
    X, y, w0 = make_data(n)
    steps = batches(n, batch_size, epochs)
    torch = load_torch()
    per_step = 1e6 / len(steps)
    cases = {
        "microgradnd": lambda: timed(lambda: run_microgradnd(X, y, w0, steps, lr, batch_size)),
        "numpy floor": lambda: timed(lambda: run_floor(X, y, w0, steps, lr, batch_size)),
    }
    notes = []
    if torch is not None:
        cases["pytorch"] = lambda: timed(
            lambda: run_torch(torch, X, y, w0, steps, lr, batch_size))
        notes.append(f"PyTorch {torch.__version__} CPU, torch.set_num_threads("
                     f"{torch.get_num_threads()}) to match NumPy's BLAS threads")
        w_mg = run_microgradnd(X, y, w0, steps, lr, batch_size)
        w_t = run_torch(torch, X, y, w0, steps, lr, batch_size)
        if not numpy.allclose(w_mg, w_t, atol=1e-4):
            raise AssertionError(f"W1: microgradnd and PyTorch disagree: {w_mg} vs {w_t}")
    else:
        notes.append("PyTorch is not installed: its column and ratio are skipped")
    samples = {k: [s * per_step for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / numpy floor", "microgradnd", "numpy floor", 4.0),
             ("microgradnd / pytorch", "microgradnd", "pytorch", 0.4)]
    return result("W1", f"the chapter: {n} x 2 float32, batch {batch_size}, {epochs} epochs "
                  "of minibatch SGD", "us/step", samples, goals,
                  {"n": n, "epochs": epochs, "batch_size": batch_size, "lr": lr,
                   "steps": len(steps)}, notes)
