"""W5, second order: Hessian-vector products of f(x) = ½xᵀAx + Σx⁴/4 in d = 200 (float64).

microgradnd uses `mg.hvp` when the package has it, else the same work spelled out: a gradient
recorded with create_graph=True, then the gradient of ⟨g, v⟩. The floor is Av + 3x²·v.
"""
from __future__ import annotations

import numpy

import microgradnd as mg
from microgradnd import autograd

from ._harness import interleave, load_torch, result, timed


def make_problem(d: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    M = rng.normal(0, 1, (d, d))
    return (M + M.T) / 2, rng.normal(0, 1, d), rng.normal(0, 1, d)


def hvp_microgradnd(A, x0, v0):
    """One HVP; the function and its inputs are built as a user would for each call."""
    A_t = mg.tensor(A)

    def f(x):
        return 0.5 * (x @ (A_t @ x)) + (x ** 4).sum() / 4

    x, v = mg.tensor(x0), mg.tensor(v0)
    if hasattr(mg, "hvp"):
        return mg.hvp(f, x, v)
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(f(x), [x], create_graph=True)
        gv = (g * v).sum()
    return autograd.grad(gv, [x])[0]


def hvp_torch(torch, A, x0, v0):
    A_t = torch.from_numpy(A)
    x = torch.tensor(x0, requires_grad=True)
    v = torch.from_numpy(v0)
    f = 0.5 * (x @ (A_t @ x)) + (x ** 4).sum() / 4
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    return torch.autograd.grad((g * v).sum(), x)[0]


def hvp_floor(A, x0, v0):
    return A @ v0 + 3 * x0 ** 2 * v0


def _as_numpy(h):
    return h.numpy() if hasattr(h, "numpy") else numpy.asarray(h)


def run(quick: bool = False, rounds: int | None = None) -> dict:
    d, reps = (20, 20) if quick else (200, 300)
    rounds = rounds or (2 if quick else 9)
    A, x0, v0 = make_problem(d)
    expect = hvp_floor(A, x0, v0)
    got = _as_numpy(hvp_microgradnd(A, x0, v0))
    if not numpy.allclose(got, expect, rtol=1e-9, atol=1e-9):
        raise AssertionError("W5: microgradnd's HVP differs from Av + 3x²v")
    torch = load_torch()

    def loop(fn):
        return lambda: timed(lambda: [fn() for _ in range(reps)])

    cases = {"microgradnd": loop(lambda: hvp_microgradnd(A, x0, v0)),
             "numpy floor": loop(lambda: hvp_floor(A, x0, v0))}
    notes = ["microgradnd via " + ("mg.hvp" if hasattr(mg, "hvp")
                                   else "autograd.grad(create_graph=True) twice")]
    if torch is not None:
        cases["pytorch"] = loop(lambda: hvp_torch(torch, A, x0, v0))
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads")
    else:
        notes.append("PyTorch is not installed: its column and ratio are skipped")
    samples = {k: [s * 1e6 / reps for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("microgradnd / pytorch", "microgradnd", "pytorch", 0.75),
             ("microgradnd / numpy floor (no goal)", "microgradnd", "numpy floor", float("inf"))]
    return result("W5", f"second order: HVP of ½xᵀAx + Σx⁴/4, d = {d}, float64", "us/hvp",
                  samples, goals, {"d": d, "reps": reps}, notes)
