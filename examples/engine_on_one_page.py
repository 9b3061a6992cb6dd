"""The engine on one page: microgradnd's design in miniature, first order only.

`python examples/engine_on_one_page.py [--epochs 3 --lr 0.03]` trains d2l.ai §3.2's linear
regression (y = Xw + b + noise, w = [2, -3.4], b = 4.2, batches of 10), prints `epoch N, loss
X`, then the first step's gradients of w and b beside microgradnd's for the same minibatch and
parameters, and their largest difference (0 or close: the run fails if they disagree).

As in microgradnd: a Node holds its inputs, never its output; only ops inside `record()` leave
nodes; backward runs without recursion, newest node first, summing what reaches each tensor;
broadcasting is undone in one place (`sum_to`), never in an op. Left out on purpose: second
derivatives (the rules compute on arrays; docs/second-derivatives.md shows the change), devices
and dtypes (float64 only), per-thread state, in-place checks, freeing the graph after backward,
and helpful error messages.
"""
import argparse
import contextlib
import heapq
import itertools
import types

import numpy

_state = types.SimpleNamespace(recording=False)
_seq = itertools.count()        # creation order: a node never feeds an older one


class Node:
    """One recorded op: its inputs (never its output) and its rule g -> a gradient per input."""

    def __init__(self, inputs, backward):
        self.inputs, self.backward, self.seq = inputs, backward, next(_seq)


@contextlib.contextmanager
def record():
    """`with record():` ops inside leave Nodes for backward; outside they only compute."""
    saved, _state.recording = _state.recording, True
    try:
        yield
    finally:
        _state.recording = saved


class Tensor:
    """An array that remembers, inside record(), the Node that computed it."""

    def __init__(self, data, inputs=(), backward=None):
        self.data = numpy.asarray(data, dtype=numpy.float64)
        self.node, self.grad, self.requires_grad = None, None, False
        if _state.recording and any(x.node is not None or x.requires_grad for x in inputs):
            self.node = Node(inputs, backward)      # an op's result that needs a gradient

    shape = property(lambda self: self.data.shape)

    def attach_grad(self):
        """Make this a variable: each backward writes d(output)/d(self) into `.grad`."""
        self.grad, self.requires_grad = numpy.zeros_like(self.data), True

    def backward(self): walk(self)

    # ---- the primitives: the forward on arrays, then the backward rule on arrays ----
    def __add__(self, other):
        b = other if isinstance(other, Tensor) else Tensor(other)   # a number: a constant
        return Tensor(self.data + b.data, (self, b), lambda g: (g, g))

    def __mul__(self, other):
        b = other if isinstance(other, Tensor) else Tensor(other)
        return Tensor(self.data * b.data, (self, b), lambda g: (g * b.data, g * self.data))

    def __pow__(self, c):       # c a constant: d/da a**c = c·a**(c-1)
        return Tensor(self.data ** c, (self,), lambda g: (g * c * self.data ** (c - 1),))

    def dot(self, b):           # 2-d matrices: dA = g Bᵀ, dB = Aᵀ g
        return Tensor(self.data @ b.data, (self, b), lambda g: (g @ b.data.T, self.data.T @ g))

    def reshape(self, shape):
        return Tensor(self.data.reshape(shape), (self,), lambda g: (g.reshape(self.shape),))

    def sum(self):
        return Tensor(self.data.sum(), (self,), lambda g: (numpy.broadcast_to(g, self.shape),))

    # ---- composed from the primitives, as micrograd does: no rules of their own ----
    __radd__, __rmul__ = __add__, __mul__
    def __sub__(self, other): return self + -1.0 * other
    def __truediv__(self, c): return self * (1.0 / c)


def sum_to(g, shape):
    """g summed down to `shape`: broadcasting undone, for every op, in this one place."""
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def walk(head):
    """Backward: d(sum of head)/dx into x.grad for every variable x, without recursion.

    Newest node first: each runs after all those that used its output added their share.
    """
    grads, heap = {}, []            # tensor -> its gradient, summed so far

    def send(x, g):
        g = sum_to(g, x.shape)
        if x.node is not None and x not in grads:       # first gradient for it: it waits
            heapq.heappush(heap, (-x.node.seq, x))
        grads[x] = grads[x] + g if x in grads else g

    send(head, numpy.ones_like(head.data))
    while heap:
        out = heapq.heappop(heap)[1]
        for x, g in zip(out.node.inputs, out.node.backward(grads.pop(out))):
            send(x, g)
    for x, g in grads.items():      # what is left: the leaves
        if x.requires_grad:
            x.grad[...] = g         # in place, as MXNet's grad_req='write'


# ---- d2l.ai §3.2 on this engine, checked against microgradnd ----

def linreg(X, w, b):
    return X.dot(w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.03)
    args, n, batch_size = parser.parse_args(), 1000, 10
    rng = numpy.random.default_rng(0)
    features = rng.normal(0, 1, (n, 2))
    labels = features @ [2, -3.4] + 4.2 + rng.normal(0, 0.01, n)
    w, b = Tensor(rng.normal(0, 0.01, (2, 1))), Tensor(numpy.zeros(1))
    w.attach_grad()
    b.attach_grad()
    first = None        # the first step: minibatch, parameters, gradients
    for epoch in range(args.epochs):
        for batch in numpy.split(rng.permutation(n), n // batch_size):
            X, y = Tensor(features[batch]), Tensor(labels[batch])
            with record():
                l = squared_loss(linreg(X, w, b), y)  # noqa: E741 - the chapter's name
            l.backward()
            first = first or [t.copy() for t in (X.data, y.data, w.data, b.data, w.grad, b.grad)]
            for param in (w, b):
                param.data -= args.lr * param.grad / batch_size
        loss = squared_loss(linreg(Tensor(features), w, b), Tensor(labels)).data.mean()
        print(f"epoch {epoch + 1}, loss {loss:f}")

    import microgradnd as mg  # only to check this engine against the real one

    X, y, w0, b0, *grads = first
    mw, mb = mg.tensor(w0, requires_grad=True), mg.tensor(b0, requires_grad=True)
    with mg.autograd.record():
        l = squared_loss(linreg(mg.tensor(X), mw, mb), mg.tensor(y))  # noqa: E741
    l.backward()
    ours = numpy.r_[grads[0].ravel(), grads[1]]
    theirs = numpy.r_[mw.grad.numpy().ravel(), mb.grad.numpy()]
    diff = numpy.abs(ours - theirs).max()
    print(f"first step's dl/dw, dl/db: this page {ours}\n{'microgradnd':>37} {theirs}")
    print(f"max |difference| {diff:.1e}")
    assert diff <= 1e-12 * numpy.abs(theirs).max(), "the two engines disagree"
