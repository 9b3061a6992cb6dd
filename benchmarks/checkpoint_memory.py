"""Peak memory of a deep tanh MLP's training step, with and without `mg.checkpoint`.

    python -m benchmarks.checkpoint_memory [--layers 100] [--width 64] [--batch 512]
                                          [--every 10]

Measured with tracemalloc (NumPy reports its arrays to it): the peak above what was allocated
before the forward pass (the weights), over forward and backward together. Memory, not time,
so tests/test_checkpoint.py asserts the same ratio at a smaller size.
"""
from __future__ import annotations

import argparse
import gc
import tracemalloc

import numpy

import microgradnd as mg
from microgradnd import autograd


def make_mlp(layers: int, width: int, seed: int = 0):
    """`layers` square weight matrices (float64), scaled so tanh neither saturates nor dies."""
    rng = numpy.random.RandomState(seed)
    return [mg.tensor(rng.randn(width, width) / numpy.sqrt(width), requires_grad=True)
            for _ in range(layers)]


def forward(weights, x, every: int = 0):
    """h = tanh(h @ W) for each W; with every=k, each k layers form one checkpointed block."""
    def block(h, *ws):
        for w in ws:
            h = h.dot(w).tanh()
        return h

    h = x
    if not every:
        return block(h, *weights)
    for start in range(0, len(weights), every):
        h = mg.checkpoint(block, h, *weights[start:start + every])
    return h


def peak_bytes(weights, x, every: int = 0) -> tuple[int, list]:
    """(peak bytes allocated during forward + backward, the weights' gradients as arrays)."""
    for w in weights:
        w.grad = None
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        with autograd.record():
            loss = (forward(weights, x, every) ** 2).sum()
        loss.backward()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return peak, [w.grad.data for w in weights]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checkpoint_memory",
                                     description=__doc__)
    parser.add_argument("--layers", type=int, default=100)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--every", type=int, default=10)
    a = parser.parse_args()
    weights = make_mlp(a.layers, a.width)
    x = mg.tensor(numpy.random.RandomState(1).randn(a.batch, a.width))
    plain, g_plain = peak_bytes(weights, x)
    checked, g_checked = peak_bytes(weights, x, a.every)
    same = all(numpy.array_equal(p, q) for p, q in zip(g_plain, g_checked))
    mib = 2 ** 20
    print(f"{a.layers}-layer tanh MLP, width {a.width}, batch {a.batch}, float64; "
          f"activations {a.batch * a.width * 8 / mib:.3f} MiB each, "
          f"weight gradients {a.layers * a.width * a.width * 8 / mib:.2f} MiB in all")
    print(f"peak without checkpoint: {plain / mib:8.2f} MiB")
    print(f"peak, checkpoint every {a.every} layers: {checked / mib:8.2f} MiB "
          f"({checked / plain:.2f} x), gradients identical: {same}")


if __name__ == "__main__":
    main()
