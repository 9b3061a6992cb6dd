"""W7, the RNN chapter's training step: d2l §8.5 from scratch, batch 32, 35 steps, 28 tokens.

One step is the book's (with a fresh state per minibatch, as its random sampling does): one-hot
inputs, a tanh RNN of 256 hidden units unrolled over 35 time steps, softmax cross-entropy over
all of them (`.mean()`), `l.backward()`, `d2l.grad_clipping(net, 1)`, `d2l.sgd(params, lr, 1)`.
The token batches are made beforehand and are the same for every implementation; the metric is
milliseconds per step.
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


def make_data(steps: int, batch_size: int, num_steps: int, vocab: int, hidden: int,
              seed: int = 0):
    """Random token minibatches (X and Y, Y being X shifted by one) and initial weights."""
    rng = numpy.random.default_rng(seed)
    batches = []
    for _ in range(steps):
        seq = rng.integers(0, vocab, (batch_size, num_steps + 1))
        batches.append((seq[:, :-1], seq[:, 1:]))
    params = [rng.normal(0, 0.01, (vocab, hidden)).astype(numpy.float32),
              rng.normal(0, 0.01, (hidden, hidden)).astype(numpy.float32),
              numpy.zeros(hidden, numpy.float32),
              rng.normal(0, 0.01, (hidden, vocab)).astype(numpy.float32),
              numpy.zeros(vocab, numpy.float32)]
    return batches, params


# ---- microgradnd, as the book writes it ----


def init_rnn_state(batch_size, num_hiddens, device):
    return (np.zeros((batch_size, num_hiddens), ctx=device), )


def rnn(inputs, state, params):
    # Shape of `inputs`: (`num_steps`, `batch_size`, `vocab_size`)
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    # Shape of `X`: (`batch_size`, `vocab_size`)
    for X in inputs:
        H = np.tanh(np.dot(X, W_xh) + np.dot(H, W_hh) + b_h)
        Y = np.dot(H, W_hq) + b_q
        outputs.append(Y)
    return np.concatenate(outputs, axis=0), (H,)


def run_microgradnd(batches, params0, lr):
    """The chapter's train_epoch_ch8 step; returns the parameters and the last loss."""
    vocab, hidden = params0[0].shape

    def get_params(vocab_size, num_hiddens, device):
        params = [np.array(p) for p in params0]
        for param in params:
            param.attach_grad()
        return params

    net = d2l.RNNModelScratch(vocab, hidden, npx.cpu(), get_params, init_rnn_state, rnn)
    loss = d2l.softmax_cross_entropy    # gluon.loss.SoftmaxCrossEntropyLoss()
    data = [(mg.tensor(X), mg.tensor(Y)) for X, Y in batches]   # as a loader yields them
    for X, Y in data:
        state = net.begin_state(batch_size=X.shape[0], ctx=npx.cpu())
        y = Y.T.reshape(-1)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()  # noqa: E741 - the book's name
        l.backward()
        d2l.grad_clipping(net, 1)
        d2l.sgd(net.params, lr, 1)
    return [p.numpy() for p in net.params], float(l)


# ---- the floor: backpropagation through time by hand ----


def run_floor(batches, params0, lr):
    """The same steps in NumPy, float32; what does not recur runs as one matmul over all steps."""
    W_xh, W_hh, b_h, W_hq, b_q = params = [p.copy() for p in params0]
    vocab, hidden = W_xh.shape
    eye = numpy.eye(vocab, dtype=numpy.float32)
    for X, Y in batches:
        batch_size, num_steps = X.shape
        n = batch_size * num_steps
        inputs = eye[X.T.reshape(-1)]                   # one-hot, (steps·batch, vocab)
        XW = inputs.dot(W_xh).reshape(num_steps, batch_size, hidden)
        Hs = numpy.empty((num_steps + 1, batch_size, hidden), numpy.float32)
        Hs[0] = 0
        for t in range(num_steps):
            Hs[t + 1] = numpy.tanh(XW[t] + Hs[t].dot(W_hh) + b_h)
        H_all = Hs[1:].reshape(n, hidden)
        logits = H_all.dot(W_hq) + b_q
        S = logits - logits.max(axis=1, keepdims=True)
        E = numpy.exp(S)
        sum_e = E.sum(axis=1, keepdims=True)
        rows, y = numpy.arange(n), Y.T.reshape(-1)
        l = float((numpy.log(sum_e[:, 0]) - S[rows, y]).mean())  # noqa: E741 - as the book
        # d l / d logits = (softmax(logits) - one_hot(y)) / n
        gO = E / sum_e
        gO[rows, y] -= 1
        gO /= n
        gW_hq, gb_q = H_all.T.dot(gO), gO.sum(axis=0)
        gH_out = gO.dot(W_hq.T).reshape(num_steps, batch_size, hidden)
        gA = numpy.empty_like(gH_out)
        gH = numpy.zeros((batch_size, hidden), numpy.float32)
        for t in range(num_steps - 1, -1, -1):
            gH = gH + gH_out[t]
            gA[t] = gH * (1 - Hs[t + 1] * Hs[t + 1])
            gH = gA[t].dot(W_hh.T)
        gA_all = gA.reshape(n, hidden)
        gW_xh, gb_h = inputs.T.dot(gA_all), gA_all.sum(axis=0)
        gW_hh = Hs[:-1].reshape(n, hidden).T.dot(gA_all)
        grads = [gW_xh, gW_hh, gb_h, gW_hq, gb_q]
        norm = numpy.sqrt(sum(float((g ** 2).sum()) for g in grads))     # grad_clipping
        if norm > 1:
            for g in grads:
                g *= 1 / norm
        for param, grad in zip(params, grads):
            param[:] = param - lr * grad / 1                            # d2l.sgd
    return params, l


# ---- PyTorch eager, as d2l's PyTorch edition writes the chapter ----


def run_torch(torch, batches, params0, lr):
    """The PyTorch edition's step: one_hot, the same rnn, CrossEntropyLoss, its clipping and sgd."""
    F = torch.nn.functional
    params = [torch.tensor(p, requires_grad=True) for p in params0]
    vocab, hidden = params0[0].shape

    def rnn_torch(inputs, H):
        W_xh, W_hh, b_h, W_hq, b_q = params
        outputs = []
        for X in inputs:
            H = torch.tanh(torch.mm(X, W_xh) + torch.mm(H, W_hh) + b_h)
            Y = torch.mm(H, W_hq) + b_q
            outputs.append(Y)
        return torch.cat(outputs, dim=0), H

    loss = torch.nn.CrossEntropyLoss()
    data = [(torch.from_numpy(X), torch.from_numpy(Y)) for X, Y in batches]
    for X, Y in data:
        H = torch.zeros((X.shape[0], hidden))
        y = Y.T.reshape(-1)
        y_hat, H = rnn_torch(F.one_hot(X.T, vocab).type(torch.float32), H)
        l = loss(y_hat, y.long()).mean()  # noqa: E741 - as the book
        l.backward()
        norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))  # d2l.grad_clipping
        if norm > 1:
            for param in params:
                param.grad[:] *= 1 / norm
        torch_sgd(torch, params, lr, 1)
    return [p.detach().numpy() for p in params], float(l.detach())


def run(quick: bool = False, rounds: int | None = None) -> dict:
    batch_size, num_steps, vocab, hidden, lr = 32, 35, 28, 256, 1.0
    steps = 2 if quick else 10
    if quick:
        batch_size, num_steps, hidden = 4, 5, 16
    rounds = rounds or (2 if quick else 15)
    batches, params0 = make_data(steps, batch_size, num_steps, vocab, hidden)
    torch = load_torch()
    floor = run_floor(batches, params0, lr)
    check_agree("W7 microgradnd vs the floor", run_microgradnd(batches, params0, lr), floor)
    cases = {
        "microgradnd": lambda: timed(lambda: run_microgradnd(batches, params0, lr)),
        "numpy floor": lambda: timed(lambda: run_floor(batches, params0, lr)),
    }
    notes = []
    add_pytorch_case("W7", torch, lambda: run_torch(torch, batches, params0, lr), floor,
                     cases, notes)
    per_step = 1e3 / steps
    samples = {k: [s * per_step for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / pytorch", "microgradnd", "pytorch", 1.0),
             ("microgradnd / numpy floor (no goal)", "microgradnd", "numpy floor", float("inf"))]
    return result("W7", f"the RNN chapter (d2l 8.5): batch {batch_size}, {num_steps} steps, "
                  f"vocabulary {vocab}, {hidden} hidden, clipping 1, SGD lr {lr}", "ms/step",
                  samples, goals, {"batch_size": batch_size, "num_steps": num_steps,
                                   "vocab": vocab, "hidden": hidden, "lr": lr, "steps": steps},
                  notes)
