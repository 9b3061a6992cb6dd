"""W8, the data-parallel chapter's LeNet step (d2l 12.5) on one device, float32.

One step is the book's `lenet` (conv 20@3×3, relu, avg pool 2×2, conv 50@5×5, relu, avg pool
2×2, dense 800→128, relu, dense 128→10) written with `npx.convolution` and `npx.pooling`,
softmax cross-entropy, `l.backward()` and `d2l.sgd`, batch 256 of 1×28×28 images. Beside it:
the same step written by hand in NumPy (im2col by a strided view and one matmul per
convolution, its backward by hand), and PyTorch eager with the same number of threads. The
batches are made beforehand and are the same for every implementation; the metric is
milliseconds per step.
"""
from __future__ import annotations

import numpy
from numpy.lib.stride_tricks import as_strided

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

SHAPES = [(20, 1, 3, 3), (20,), (50, 20, 5, 5), (50,), (800, 128), (128,), (128, 10), (10,)]


def make_data(steps: int, batch_size: int, side: int, seed: int = 0):
    """Fashion-MNIST-shaped batches (pixels in [0, 1), labels in [0, 10)) and the book's
    initial weights (normal, scale 0.01; biases 0)."""
    rng = numpy.random.default_rng(seed)
    batches = [(rng.random((batch_size, 1, side, side), numpy.float32),
                rng.integers(0, 10, batch_size)) for _ in range(steps)]
    params = [rng.normal(0, 0.01, s).astype(numpy.float32) if len(s) > 1 else
              numpy.zeros(s, numpy.float32) for s in SHAPES]
    dense_in = 50 * ((((side - 2) // 2) - 4) // 2) ** 2
    params[4] = rng.normal(0, 0.01, (dense_in, 128)).astype(numpy.float32)
    return batches, params


def lenet(X, params):
    """The book's model (d2l 12.5), word for word."""
    h1_conv = npx.convolution(data=X, weight=params[0], bias=params[1],
                              kernel=(3, 3), num_filter=20)
    h1_activation = npx.relu(h1_conv)
    h1 = npx.pooling(data=h1_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2_conv = npx.convolution(data=h1, weight=params[2], bias=params[3],
                              kernel=(5, 5), num_filter=50)
    h2_activation = npx.relu(h2_conv)
    h2 = npx.pooling(data=h2_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2 = h2.reshape(h2.shape[0], -1)
    h3_linear = np.dot(h2, params[4]) + params[5]
    h3 = npx.relu(h3_linear)
    y_hat = np.dot(h3, params[6]) + params[7]
    return y_hat


def run_microgradnd(batches, params0, lr):
    """The chapter's step on one device; returns the parameters and the last loss."""
    params = [np.array(p) for p in params0]
    for p in params:
        p.attach_grad()

    def loss(y_hat, y):             # gluon.loss.SoftmaxCrossEntropyLoss()
        return -npx.pick(npx.log_softmax(y_hat), y)

    data = [(mg.tensor(X), mg.tensor(y)) for X, y in batches]   # as a loader yields them
    for X, y in data:
        with autograd.record():
            l = loss(lenet(X, params), y)  # noqa: E741 - the book's name
        l.backward()
        d2l.sgd(params, lr, X.shape[0])
    return [p.numpy() for p in params], float(l.mean())


# ---- the NumPy floor: forward and backward by hand ----


def _im2col(x, k):
    """(N, C, H, W) -> (C·k·k, OH·OW·N): every k×k window as a column (one strided copy of
    the images-last array, so that the copy and _col2im's adds run over long stretches)."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    x = numpy.ascontiguousarray(x.transpose(1, 2, 3, 0))
    sc, sh, sw, sn = x.strides
    view = as_strided(x, (c, k, k, oh, ow, n), (sc, sh, sw, sh, sw, sn))
    return numpy.ascontiguousarray(view).reshape(c * k * k, oh * ow * n)


def _col2im(cols, shape, k):
    """The adjoint of _im2col: each column's entries added back onto the image."""
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    cols = cols.reshape(c, k, k, oh, ow, n)
    out = numpy.zeros((c, h, w, n), cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, i:i + oh, j:j + ow] += cols[:, i, j]
    return out.transpose(3, 0, 1, 2)


def _conv(x, W, b):
    """Valid convolution, stride 1: returns the output (N, O, OH, OW) and the columns.

    The product is colsᵀ @ Wᵀ, so that the weight's gradient is cols @ g (the orientation
    OpenBLAS runs fast; g @ colsᵀ is several times slower at these sizes).
    """
    o, k = W.shape[0], W.shape[-1]
    n, oh, ow = x.shape[0], x.shape[2] - k + 1, x.shape[3] - k + 1
    cols = _im2col(x, k)
    out = cols.T.dot(W.reshape(o, -1).T).reshape(oh, ow, n, o).transpose(2, 3, 0, 1)
    return out + b.reshape(o, 1, 1), cols


def _conv_backward(g, x_shape, W, cols, need_x):
    o, k = W.shape[0], W.shape[-1]
    g2 = g.transpose(2, 3, 0, 1).reshape(-1, o)
    gW = cols.dot(g2).T.reshape(W.shape)
    gb = g2.sum(axis=0)
    gx = _col2im(W.reshape(o, -1).T.dot(g2.T), x_shape, k) if need_x else None
    return gx, gW, gb


def _pool(x):
    """2×2 average pooling, stride 2 (an odd last row or column is left out, as MXNet)."""
    n, c, h, w = x.shape
    x = x[:, :, :h // 2 * 2, :w // 2 * 2]
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def _pool_backward(g, x):
    """The gradient of _pool, laid out in memory as x is (a convolution's output is laid out
    (H, W, N, C)), so that the next backward step reads it in order."""
    n, c, h, w = g.shape
    out = numpy.zeros_like(x)
    s0, s1, s2, s3 = out.strides
    tiles = as_strided(out, (n, c, h, 2, w, 2), (s0, s1, 2 * s2, s2, 2 * s3, s3))
    tiles[...] = (g / 4)[:, :, :, None, :, None]
    return out


def run_floor(batches, params0, lr):
    """The same steps with forward and backward written by hand in NumPy, float32."""
    params = [p.copy() for p in params0]
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    for X, y in batches:
        n = X.shape[0]
        Z1, cols1 = _conv(X, W1, b1)
        A1 = numpy.maximum(Z1, 0)
        P1 = _pool(A1)
        Z2, cols2 = _conv(P1, W2, b2)
        A2 = numpy.maximum(Z2, 0)
        P2 = _pool(A2)
        F = P2.reshape(n, -1)
        Z3 = F.dot(W3) + b3
        H3 = numpy.maximum(Z3, 0)
        logits = H3.dot(W4) + b4
        S = logits - logits.max(axis=1, keepdims=True)
        E = numpy.exp(S)
        sum_e = E.sum(axis=1, keepdims=True)
        rows = numpy.arange(n)
        l = numpy.log(sum_e[:, 0]) - S[rows, y]  # noqa: E741 - as the book
        g = E / sum_e                   # d l.sum() / d logits = softmax - one_hot(y)
        g[rows, y] -= 1
        gW4, gb4 = H3.T.dot(g), g.sum(axis=0)
        g = g.dot(W4.T) * (Z3 > 0)
        gW3, gb3 = F.T.dot(g), g.sum(axis=0)
        g = _pool_backward(g.dot(W3.T).reshape(P2.shape), A2) * (Z2 > 0)
        g, gW2, gb2 = _conv_backward(g, P1.shape, W2, cols2, True)
        g = _pool_backward(g, A1) * (Z1 > 0)
        _, gW1, gb1 = _conv_backward(g, X.shape, W1, cols1, False)
        for param, grad in zip(params, (gW1, gb1, gW2, gb2, gW3, gb3, gW4, gb4)):
            param[:] = param - lr * grad / n    # d2l.sgd's spelling
    return params, float(l.mean())


def run_torch(torch, batches, params0, lr):
    """The same step in PyTorch eager (torch.nn.functional), l.sum().backward(), its sgd."""
    params = [torch.tensor(p, requires_grad=True) for p in params0]
    W1, b1, W2, b2, W3, b3, W4, b4 = params
    F = torch.nn.functional
    data = [(torch.from_numpy(X), torch.from_numpy(y)) for X, y in batches]
    for X, y in data:
        h = F.avg_pool2d(torch.relu(F.conv2d(X, W1, b1)), 2)
        h = F.avg_pool2d(torch.relu(F.conv2d(h, W2, b2)), 2).reshape(X.shape[0], -1)
        y_hat = torch.relu(h @ W3 + b3) @ W4 + b4
        l = F.cross_entropy(y_hat, y, reduction="none")  # noqa: E741 - as the book
        l.sum().backward()
        torch_sgd(torch, params, lr, X.shape[0])
    return [p.detach().numpy() for p in params], float(l.detach().mean())


def run(quick: bool = False, rounds: int | None = None) -> dict:
    batch_size, side, lr = 256, 28, 0.9
    steps = 2 if quick else 4
    if quick:
        batch_size, side = 8, 16
    rounds = rounds or (2 if quick else 9)
    batches, params0 = make_data(steps, batch_size, side)
    torch = load_torch()
    floor = run_floor(batches, params0, lr)
    check_agree("W8 microgradnd vs the floor", run_microgradnd(batches, params0, lr), floor)
    cases = {
        "microgradnd": lambda: timed(lambda: run_microgradnd(batches, params0, lr)),
        "numpy floor": lambda: timed(lambda: run_floor(batches, params0, lr)),
    }
    notes = ["gradients are checked through the parameters after every run's steps (SGD with "
             f"lr {lr}, so a wrong gradient moves them visibly)"]
    add_pytorch_case("W8", torch, lambda: run_torch(torch, batches, params0, lr), floor,
                     cases, notes)
    per_step = 1e3 / steps
    samples = {k: [s * per_step for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / pytorch", "microgradnd", "pytorch", 1.5),
             ("microgradnd / numpy floor (no goal)", "microgradnd", "numpy floor",
              float("inf"))]
    return result("W8", f"the LeNet step of d2l 12.5: batch {batch_size}, 1x{side}x{side}, "
                  "conv 20@3x3, avg pool, conv 50@5x5, avg pool, 800-128-10, float32, SGD",
                  "ms/step", samples, goals,
                  {"batch_size": batch_size, "side": side, "lr": lr, "steps": steps}, notes)
