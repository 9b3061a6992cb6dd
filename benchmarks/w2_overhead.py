"""W2, per-op overhead: a 1000-op elementwise chain on a 10-element tensor, forward+backward.

The arrays are so small that NumPy's arithmetic is nearly free: what is measured is the cost
an engine adds to each operation (building tensors, recording nodes, walking them back).
"""
from __future__ import annotations

import numpy

import microgradnd as mg
from microgradnd import autograd

from ._harness import interleave, load_torch, result, timed

# The chain cycles through these three ops: a scalar product, a scalar sum, and a tanh.


def run_microgradnd(x0, n_ops):
    x = mg.tensor(x0)
    x.attach_grad()
    with autograd.record():
        y = x
        for i in range(n_ops):
            k = i % 3
            y = y * 1.01 if k == 0 else (y + 0.01 if k == 1 else y.tanh())
    y.backward()
    return x.grad.numpy()


def run_floor(x0, n_ops):
    """The chain with its derivative by hand: save what backward needs, multiply it back."""
    saved = []
    y = x0
    for i in range(n_ops):
        k = i % 3
        if k == 0:
            y = y * 1.01
        elif k == 1:
            y = y + 0.01
        else:
            y = numpy.tanh(y)
            saved.append((i, y))
    g = numpy.ones_like(y)
    tanhs = dict(saved)
    for i in range(n_ops - 1, -1, -1):
        k = i % 3
        if k == 0:
            g = g * 1.01
        elif k == 2:
            t = tanhs[i]
            g = g * (1.0 - t * t)
    return g


def run_torch(torch, x0, n_ops):
    x = torch.tensor(x0, requires_grad=True)
    y = x
    for i in range(n_ops):
        k = i % 3
        y = y * 1.01 if k == 0 else (y + 0.01 if k == 1 else y.tanh())
    y.sum().backward()
    return x.grad.numpy()


def run(quick: bool = False, rounds: int | None = None) -> dict:
    n_ops = 60 if quick else 1000
    rounds = rounds or (2 if quick else 15)
    x0 = numpy.linspace(-1, 1, 10, dtype=numpy.float32)
    torch = load_torch()
    cases = {"microgradnd": lambda: timed(lambda: run_microgradnd(x0, n_ops)),
             "numpy floor": lambda: timed(lambda: run_floor(x0, n_ops))}
    notes = []
    ref = run_floor(x0, n_ops)
    if not numpy.allclose(run_microgradnd(x0, n_ops), ref, rtol=1e-4):
        raise AssertionError("W2: microgradnd's gradient differs from the hand-written one")
    if torch is not None:
        cases["pytorch"] = lambda: timed(lambda: run_torch(torch, x0, n_ops))
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads")
    else:
        notes.append("PyTorch is not installed: its column and ratio are skipped")
    samples = {k: [s * 1e6 / n_ops for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / pytorch", "microgradnd", "pytorch", 0.4),
             ("microgradnd / numpy floor (no goal)", "microgradnd", "numpy floor", float("inf"))]
    return result("W2", f"per-op overhead: {n_ops}-op elementwise chain on 10 float32, "
                  "forward + backward", "us/op", samples, goals, {"n_ops": n_ops}, notes)
