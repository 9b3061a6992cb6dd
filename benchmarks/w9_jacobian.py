"""W9, Jacobians: jacfwd against jacrev for a wide (1000 → 10) and a tall (10 → 1000) function.

f(x) = tanh(Wx), float64. Forward mode pays one pass per input, reverse mode one per output,
so each mode should win on one shape and lose on the other by about the ratio of the sizes.
PyTorch's `torch.func.jacfwd`/`jacrev` batch their passes with vmap; microgradnd runs them one
after another. Peak memory (tracemalloc, host only) is noted for microgradnd.
"""
from __future__ import annotations

import tracemalloc

import numpy

import microgradnd as mg

from ._harness import interleave, load_torch, result, timed

SHAPES = {"wide": (1000, 10), "tall": (10, 1000)}      # (inputs, outputs)


def make_problem(n_in: int, n_out: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    return rng.normal(0, 1 / numpy.sqrt(n_in), (n_out, n_in)), rng.normal(0, 1, n_in)


def jacobian_microgradnd(W, x0, mode: str):
    W_t = mg.tensor(W)
    transform = mg.jacfwd if mode == "jacfwd" else mg.jacrev
    return transform(lambda x: (W_t @ x).tanh())(mg.tensor(x0))


def jacobian_torch(torch, W, x0, mode: str):
    W_t = torch.from_numpy(W)
    transform = torch.func.jacfwd if mode == "jacfwd" else torch.func.jacrev
    return transform(lambda x: torch.tanh(W_t @ x))(torch.from_numpy(x0))


def peak_bytes(fn) -> int:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def run(quick: bool = False, rounds: int | None = None) -> dict:
    scale = 10 if quick else 1
    rounds = rounds or (2 if quick else 5)
    torch = load_torch()
    cases, notes = {}, []
    problems = {}
    for shape, (n_in, n_out) in SHAPES.items():
        n_in, n_out = max(n_in // scale, 1), max(n_out // scale, 1)
        W, x0 = problems[shape] = make_problem(n_in, n_out)
        expect = (1 - numpy.tanh(W @ x0) ** 2)[:, None] * W
        for mode in ("jacfwd", "jacrev"):
            got = jacobian_microgradnd(W, x0, mode).numpy()
            if not numpy.allclose(got, expect, rtol=1e-10, atol=1e-12):
                raise AssertionError(f"W9: microgradnd's {mode} differs on the {shape} shape")
            cases[f"mg {mode} {shape}"] = (
                lambda W=W, x0=x0, mode=mode: timed(lambda: jacobian_microgradnd(W, x0, mode)))
            peak = peak_bytes(lambda W=W, x0=x0, mode=mode: jacobian_microgradnd(W, x0, mode))
            passes = n_in if mode == "jacfwd" else n_out
            notes.append(f"mg {mode} {shape} ({n_in} → {n_out}): {passes} passes, peak "
                         f"{peak / 2 ** 20:.2f} MiB")
            if torch is not None:
                got = jacobian_torch(torch, W, x0, mode).numpy()
                if not numpy.allclose(got, expect, rtol=1e-10, atol=1e-12):
                    raise AssertionError(f"W9: torch.func's {mode} differs on the {shape} shape")
                cases[f"torch {mode} {shape}"] = (
                    lambda W=W, x0=x0, mode=mode: timed(
                        lambda: jacobian_torch(torch, W, x0, mode)))
    if torch is not None:
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads, "
                     "torch.func.jacfwd/jacrev (vmap-batched)")
    else:
        notes.append("PyTorch is not installed: its columns and ratios are skipped")
    samples = {k: [s * 1e3 for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("mg jacfwd / jacrev, wide (no goal: jacrev should win)", "mg jacfwd wide",
              "mg jacrev wide", float("inf")),
             ("mg jacrev / jacfwd, tall (no goal: jacfwd should win)", "mg jacrev tall",
              "mg jacfwd tall", float("inf"))]
    for mode, shape in (("jacrev", "wide"), ("jacfwd", "tall")):
        goals.append((f"mg / torch.func, {mode} {shape} (no goal)", f"mg {mode} {shape}",
                      f"torch {mode} {shape}", float("inf")))
    return result("W9", "Jacobians of tanh(Wx): jacfwd vs jacrev, 1000 → 10 and 10 → 1000, "
                  "float64", "ms/jacobian", samples, goals,
                  {"shapes": {k: list(v) for k, v in SHAPES.items()}, "scale": scale}, notes)
