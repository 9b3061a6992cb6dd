"""Run N W1 steps, N W2 ops or N W5 HVPs once, for counting instructions (instructions.sh).

    python -m benchmarks.instructions w1 300
    python -m benchmarks.instructions w5-forward 100      # or w5-reverse

The garbage collector is off: its collections would land at different points for different N
and make the difference between two counts noisy.
"""
from __future__ import annotations

import gc
import sys

import numpy

from . import w1_chapter, w2_overhead, w5_hvp


def main(which: str, n: int) -> None:
    gc.disable()
    if which == "w1":
        X, y, w0 = w1_chapter.make_data(1000)
        steps = w1_chapter.batches(1000, 10, 3)[:n]
        w1_chapter.run_microgradnd(X, y, w0, steps, 0.03, 10)
    elif which.startswith("w5-"):
        A, x0, v0 = w5_hvp.make_problem(200)
        for _ in range(n):
            w5_hvp.hvp_microgradnd(A, x0, v0, which[3:])
    else:
        w2_overhead.run_microgradnd(numpy.linspace(-1, 1, 10, dtype=numpy.float32), n)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
