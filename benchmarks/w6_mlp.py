"""W6, the MLP chapter's training step: d2l §4.2 from scratch, batch 256, 784-256-10, float32.

One step is the book's: record, `net(X)` (relu of `np.dot(X, W1) + b1`, then `np.dot(H, W2) +
b2`), gluon's softmax cross-entropy (`-npx.pick(npx.log_softmax(y_hat), y)`), `l.backward()`,
`d2l.sgd(params, lr, batch_size)`. The batches are made beforehand and are the same for every
implementation; the metric is milliseconds per step.
"""
from __future__ import annotations

import numpy

import microgradnd as mg
from microgradnd import autograd, d2l, np, npx

from ._harness import (
    add_pytorch_case,
    check_agree,
    interleave,
    load_torch,
    result,
    timed,
    torch_sgd,
)


def make_data(steps: int, batch_size: int, n_in: int, n_hidden: int, n_out: int, seed: int = 0):
    """Fashion-MNIST-shaped batches (pixels in [0, 1), labels in [0, 10)) and initial weights."""
    rng = numpy.random.default_rng(seed)
    batches = [(rng.random((batch_size, n_in), numpy.float32),
                rng.integers(0, n_out, batch_size)) for _ in range(steps)]
    params = [rng.normal(0, 0.01, (n_in, n_hidden)).astype(numpy.float32),
              numpy.zeros(n_hidden, numpy.float32),
              rng.normal(0, 0.01, (n_hidden, n_out)).astype(numpy.float32),
              numpy.zeros(n_out, numpy.float32)]
    return batches, params


def book_relu(X):
    """The chapter's relu."""
    return np.maximum(X, 0)


def run_microgradnd(batches, params0, lr, relu=book_relu):
    """The chapter's loop, as the book writes it; returns the parameters and the last loss."""
    W1, b1, W2, b2 = params = [np.array(p) for p in params0]
    for param in params:
        param.attach_grad()
    num_inputs = W1.shape[0]

    def net(X):
        X = X.reshape((-1, num_inputs))
        H = relu(np.dot(X, W1) + b1)
        return np.dot(H, W2) + b2

    def loss(y_hat, y):             # gluon.loss.SoftmaxCrossEntropyLoss()
        return -npx.pick(npx.log_softmax(y_hat), y)

    data = [(mg.tensor(X), mg.tensor(y)) for X, y in batches]   # as a loader yields them
    for X, y in data:
        with autograd.record():
            l = loss(net(X), y)  # noqa: E741 - the book's name
        l.backward()
        d2l.sgd(params, lr, X.shape[0])
    return [p.numpy() for p in params], float(l.mean())


def run_floor(batches, params0, lr):
    """The same steps with forward and backward written by hand in NumPy, float32."""
    W1, b1, W2, b2 = params = [p.copy() for p in params0]
    for X, y in batches:
        n = X.shape[0]
        Z = X.dot(W1) + b1
        H = numpy.maximum(Z, 0)
        logits = H.dot(W2) + b2
        S = logits - logits.max(axis=1, keepdims=True)
        E = numpy.exp(S)
        sum_e = E.sum(axis=1, keepdims=True)
        rows = numpy.arange(n)
        l = numpy.log(sum_e[:, 0]) - S[rows, y]  # noqa: E741 - as the book
        # d l.sum() / d logits = softmax(logits) - one_hot(y)
        gO = E / sum_e
        gO[rows, y] -= 1
        gW2, gb2 = H.T.dot(gO), gO.sum(axis=0)
        gZ = gO.dot(W2.T) * (Z > 0)
        gW1, gb1 = X.T.dot(gZ), gZ.sum(axis=0)
        for param, grad in zip(params, (gW1, gb1, gW2, gb2)):
            param[:] = param - lr * grad / n    # d2l.sgd's spelling
    return params, float(l.mean())


def run_torch(torch, batches, params0, lr):
    """The same loop as d2l's PyTorch edition writes it (l.sum().backward(), its sgd)."""
    params = [torch.tensor(p, requires_grad=True) for p in params0]
    W1, b1, W2, b2 = params
    F = torch.nn.functional
    data = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches]
    for X, y in data:
        H = torch.relu(X.reshape(-1, W1.shape[0]) @ W1 + b1)
        l = F.cross_entropy(H @ W2 + b2, y, reduction="none")  # noqa: E741 - as the book
        l.sum().backward()
        torch_sgd(torch, params, lr, X.shape[0])
    return [p.detach().numpy() for p in params], float(l.detach().mean())


def run(quick: bool = False, rounds: int | None = None) -> dict:
    batch_size, n_in, n_hidden, n_out, lr = 256, 784, 256, 10, 0.1
    steps = 2 if quick else 20
    if quick:
        batch_size, n_in, n_hidden = 16, 49, 16
    rounds = rounds or (2 if quick else 15)
    batches, params0 = make_data(steps, batch_size, n_in, n_hidden, n_out)
    torch = load_torch()
    floor = run_floor(batches, params0, lr)
    check_agree("W6 microgradnd vs the floor", run_microgradnd(batches, params0, lr), floor)
    check_agree("W6 microgradnd (npx.relu) vs the floor",
                run_microgradnd(batches, params0, lr, npx.relu), floor)
    cases = {
        "microgradnd": lambda: timed(lambda: run_microgradnd(batches, params0, lr)),
        "microgradnd (npx.relu)": lambda: timed(
            lambda: run_microgradnd(batches, params0, lr, npx.relu)),
        "numpy floor": lambda: timed(lambda: run_floor(batches, params0, lr)),
    }
    notes = ["microgradnd spells relu as the book does, np.maximum(X, 0); "
             "'microgradnd (npx.relu)' is the same loop with npx.relu"]
    add_pytorch_case("W6", torch, lambda: run_torch(torch, batches, params0, lr), floor,
                     cases, notes)
    per_step = 1e3 / steps
    samples = {k: [s * per_step for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / numpy floor", "microgradnd", "numpy floor", 1.15),
             ("microgradnd (npx.relu) / numpy floor", "microgradnd (npx.relu)", "numpy floor",
              1.15),
             ("microgradnd / pytorch (no goal)", "microgradnd", "pytorch", float("inf"))]
    return result("W6", f"the MLP chapter (d2l 4.2): batch {batch_size}, {n_in}-{n_hidden}-"
                  f"{n_out} float32, softmax cross-entropy, SGD lr {lr}", "ms/step", samples,
                  goals, {"batch_size": batch_size, "sizes": [n_in, n_hidden, n_out], "lr": lr,
                          "steps": steps}, notes)
