"""W5, second order: Hessian-vector products of f(x) = ½xᵀAx + Σx⁴/4 in d = 200 (float64).

microgradnd two ways: `mg.hvp` (forward over reverse: the jvp of the gradient) and
`mg.hvp(..., mode='reverse')` (reverse over reverse: the gradient of ⟨∇f, v⟩). PyTorch three
ways: double backward, `torch.autograd.functional.hvp`, `torch.func.jvp(torch.func.grad(f))`;
the goal is set against the fastest of them. The floor is Av + 3x²·v.
"""
from __future__ import annotations

import statistics

import numpy

import microgradnd as mg

from ._harness import interleave, load_torch, result, timed


def make_problem(d: int, seed: int = 0):
    rng = numpy.random.default_rng(seed)
    M = rng.normal(0, 1, (d, d))
    return (M + M.T) / 2, rng.normal(0, 1, d), rng.normal(0, 1, d)


def hvp_microgradnd(A, x0, v0, mode: str = "forward"):
    """One HVP; the function and its inputs are built as a user would for each call."""
    A_t = mg.tensor(A)

    def f(x):
        return 0.5 * (x @ (A_t @ x)) + (x ** 4).sum() / 4

    return mg.hvp(f, mg.tensor(x0), mg.tensor(v0), mode=mode)


def hvp_torch(torch, A, x0, v0):
    A_t = torch.from_numpy(A)
    x = torch.tensor(x0, requires_grad=True)
    v = torch.from_numpy(v0)
    f = 0.5 * (x @ (A_t @ x)) + (x ** 4).sum() / 4
    (g,) = torch.autograd.grad(f, x, create_graph=True)
    return torch.autograd.grad((g * v).sum(), x)[0]


def _torch_f(torch, A):
    A_t = torch.from_numpy(A)
    return lambda x: 0.5 * (x @ (A_t @ x)) + (x ** 4).sum() / 4


def hvp_torch_functional(torch, A, x0, v0):
    """torch.autograd.functional.hvp: double backward behind one call."""
    return torch.autograd.functional.hvp(_torch_f(torch, A), torch.from_numpy(x0),
                                         torch.from_numpy(v0))[1]


def hvp_torch_func(torch, A, x0, v0):
    """torch.func: forward over reverse, as JAX."""
    f = _torch_f(torch, A)
    return torch.func.jvp(torch.func.grad(f), (torch.from_numpy(x0),),
                          (torch.from_numpy(v0),))[1]


def hvp_floor(A, x0, v0):
    return A @ v0 + 3 * x0 ** 2 * v0


def _as_numpy(h):
    return h.numpy() if hasattr(h, "numpy") else numpy.asarray(h)


def run(quick: bool = False, rounds: int | None = None) -> dict:
    d, reps = (20, 20) if quick else (200, 300)
    rounds = rounds or (2 if quick else 9)
    A, x0, v0 = make_problem(d)
    expect = hvp_floor(A, x0, v0)
    for mode in ("forward", "reverse"):
        got = _as_numpy(hvp_microgradnd(A, x0, v0, mode))
        if not numpy.allclose(got, expect, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"W5: microgradnd's {mode} HVP differs from Av + 3x²v")
    torch = load_torch()

    def loop(fn):
        return lambda: timed(lambda: [fn() for _ in range(reps)])

    cases = {"mg fwd-over-rev": loop(lambda: hvp_microgradnd(A, x0, v0)),
             "mg rev-over-rev": loop(lambda: hvp_microgradnd(A, x0, v0, "reverse")),
             "numpy floor": loop(lambda: hvp_floor(A, x0, v0))}
    notes = ["mg fwd-over-rev is mg.hvp (the jvp of the gradient); mg rev-over-rev is "
             "mg.hvp(mode='reverse')"]
    torch_cases = {"torch double backward": hvp_torch,
                   "torch functional.hvp": hvp_torch_functional,
                   "torch func jvp(grad)": hvp_torch_func}
    if torch is not None:
        for name, fn in torch_cases.items():
            got = fn(torch, A, x0, v0).detach().numpy()
            if not numpy.allclose(got, expect, rtol=1e-9, atol=1e-9):
                raise AssertionError(f"W5: {name} differs from Av + 3x²v")
            cases[name] = loop(lambda fn=fn: fn(torch, A, x0, v0))
        notes.append(f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads")
    else:
        notes.append("PyTorch is not installed: its columns and ratios are skipped")
    samples = {k: [s * 1e6 / reps for s in v] for k, v in interleave(cases, rounds).items()}
    goals = [("mg rev-over-rev / fwd-over-rev (no goal)", "mg rev-over-rev",
              "mg fwd-over-rev", float("inf")),
             ("mg fwd-over-rev / numpy floor (no goal)", "mg fwd-over-rev", "numpy floor",
              float("inf"))]
    if torch is not None:
        fastest = min(torch_cases, key=lambda k: statistics.median(samples[k]))
        notes.append(f"PyTorch's fastest spelling here: {fastest}")
        goals[:0] = [(f"mg fwd-over-rev / {fastest}", "mg fwd-over-rev",
                      fastest, 0.6),
                     (f"mg rev-over-rev / {fastest} (no goal)",
                      "mg rev-over-rev", fastest, float("inf"))]
    return result("W5", f"second order: HVP of ½xᵀAx + Σx⁴/4, d = {d}, float64", "us/hvp",
                  samples, goals, {"d": d, "reps": reps}, notes)
