"""W4, depth: a chain of up to 1,000,000 recorded operations, forward and backward.

Checks that time grows linearly with depth (no recursion, no quadratic garbage collection over
a million live nodes) and compares the 100,000-op chain with PyTorch.
"""
from __future__ import annotations

import numpy

import microgradnd as mg
from microgradnd import autograd

from ._harness import interleave, load_torch, result, timed


def run_microgradnd(n_ops):
    x = mg.tensor(numpy.float32(0.5))
    x.attach_grad()
    with autograd.record():
        y = x
        for i in range(n_ops):
            y = y * 0.999999 if i % 2 else y + 1e-6
    y.backward()
    return x.grad.item()


def run_torch(torch, n_ops):
    x = torch.tensor(0.5, requires_grad=True)
    y = x
    for i in range(n_ops):
        y = y * 0.999999 if i % 2 else y + 1e-6
    y.backward()
    return x.grad.item()


def run(quick: bool = False, rounds: int | None = None) -> dict:
    small, big = (1000, 10_000) if quick else (100_000, 1_000_000)
    rounds = rounds or (2 if quick else 3)
    torch = load_torch()
    cases = {f"microgradnd {small} ops": lambda: timed(lambda: run_microgradnd(small)),
             f"microgradnd {big} ops": lambda: timed(lambda: run_microgradnd(big))}
    notes = []
    if torch is not None:
        cases[f"pytorch {small} ops"] = lambda: timed(lambda: run_torch(torch, small))
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads; "
                     f"timed at {small} ops only")
        expect = run_torch(torch, small)
        got = run_microgradnd(small)
        if abs(got - expect) > 1e-3 * abs(expect):
            raise AssertionError(f"W4: gradient {got} differs from PyTorch's {expect}")
    else:
        notes.append("PyTorch is not installed: its column and ratio are skipped")
    samples = interleave(cases, rounds)
    goals = [(f"time({big}) / time({small}) (linear: 10x ops)", f"microgradnd {big} ops",
              f"microgradnd {small} ops", 12.0),
             (f"microgradnd / pytorch at {small} ops", f"microgradnd {small} ops",
              f"pytorch {small} ops", 0.25)]
    return result("W4", f"depth: a chain of {small} and {big} scalar ops, forward + backward",
                  "s", samples, goals, {"small": small, "big": big}, notes)
