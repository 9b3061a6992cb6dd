"""W3, large batch: the full-batch gradient of the squared loss for X of 1,000,000 x 100.

Here NumPy's arithmetic dominates: the goal is to add almost nothing to the two
matrix-vector products (time within 1.1x of the hand-written floor) and to hold no n x d
temporary and no gradient for X (peak memory beyond the data, seen by tracemalloc, <= 16 MB).
"""
from __future__ import annotations

import gc
import tracemalloc

import numpy

import microgradnd as mg
from microgradnd import autograd

from ._harness import interleave, load_torch, result, timed


def make_data(n: int, d: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=numpy.float32)
    y = (X @ rng.standard_normal((d, 1), dtype=numpy.float32) + 1.5).astype(numpy.float32)
    return X, y


class Microgradnd:
    """Parameters and data held across steps, as a training loop holds them."""

    def __init__(self, X, y):
        self.X, self.y = mg.tensor(X), mg.tensor(y)
        self.w = mg.tensor(numpy.zeros((X.shape[1], 1), numpy.float32))
        self.b = mg.tensor(numpy.zeros(1, numpy.float32))
        self.w.attach_grad()
        self.b.attach_grad()

    def step(self):
        with autograd.record():
            loss = ((self.X.dot(self.w) + self.b - self.y) ** 2).mean() / 2
        loss.backward()
        return self.w.grad


class Floor:
    """The same gradient by hand: r = Xw + b - y; dw = Xᵀr / n, db = Σr / n."""

    def __init__(self, X, y):
        self.X, self.y = X, y
        self.w = numpy.zeros((X.shape[1], 1), numpy.float32)
        self.b = numpy.zeros(1, numpy.float32)

    def step(self):
        n = len(self.X)
        r = self.X @ self.w + self.b - self.y
        loss = (r ** 2).mean() / 2   # noqa: F841 - the loss is computed, as the others do
        return self.X.T @ r / n, r.sum() / n


class Torch:
    def __init__(self, torch, X, y):
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y)
        self.w = torch.zeros((X.shape[1], 1), requires_grad=True)
        self.b = torch.zeros(1, requires_grad=True)

    def step(self):
        self.w.grad = self.b.grad = None
        loss = ((self.X @ self.w + self.b - self.y) ** 2).mean() / 2
        loss.backward()
        return self.w.grad


def peak_bytes(step) -> int:
    """Peak bytes allocated during one step beyond what was allocated before it."""
    gc.collect()
    tracemalloc.start()
    try:
        step()      # the first step under tracing fills any caches, as a training loop does
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def run(quick: bool = False, rounds: int | None = None) -> dict:
    n, d = (20_000, 10) if quick else (1_000_000, 100)
    rounds = rounds or (2 if quick else 7)
    X, y = make_data(n, d)
    impls = {"microgradnd": Microgradnd(X, y), "numpy floor": Floor(X, y)}
    torch = load_torch()
    notes = []
    if torch is not None:
        impls["pytorch"] = Torch(torch, X, y)
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads "
                     "(its memory is not seen by tracemalloc and is not reported)")
    else:
        notes.append("PyTorch is not installed: its column is skipped")
    gw = impls["microgradnd"].step().numpy()
    if not numpy.allclose(gw, impls["numpy floor"].step()[0], rtol=1e-3, atol=1e-3):
        raise AssertionError("W3: microgradnd's gradient differs from the hand-written one")
    if impls["microgradnd"].X.grad is not None:
        raise AssertionError("W3: a gradient was computed for X, which needs none")
    for impl in impls.values():     # warm up: first-touch page faults, BLAS threads
        impl.step()
    cases = {k: (lambda impl=impl: timed(impl.step) * 1e3) for k, impl in impls.items()}
    samples = interleave(cases, rounds)
    units = {k: "ms/step" for k in samples}
    for k in ("microgradnd", "numpy floor"):
        samples[f"{k} peak MB"] = [peak_bytes(impls[k].step) / 2**20]
        units[f"{k} peak MB"] = "MiB beyond the data"
    goals = [("microgradnd / numpy floor", "microgradnd", "numpy floor", 1.1),
             ("microgradnd peak MiB beyond the data", "microgradnd peak MB", None, 16.0)]
    return result("W3", f"large batch: full-batch gradient, X {n} x {d} float32", units,
                  samples, goals, {"n": n, "d": d}, notes)
