"""Shared machinery of the benchmarks: interleaved timing, medians, ratio lines, PyTorch setup.

Every workload times its implementations in one process, one sample of each per round, so
that drift on a noisy machine (frequency, other load) hits all of them alike.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy

NUMPY_THREADS = int(os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
                    or os.cpu_count() or 1)


def load_torch():
    """PyTorch with as many threads as NumPy's BLAS uses, or None when it is not installed."""
    try:
        import torch  # noqa: PLC0415 - optional: the benchmarks run without it
    except ImportError:
        return None
    torch.set_num_threads(NUMPY_THREADS)
    return torch


def torch_sgd(torch, params, lr: float, batch_size: int) -> None:
    """d2l.sgd, PyTorch edition: one minibatch step on each parameter, then its grad zeroed."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def check_agree(name, got, want, atol=1e-5):
    """Raise unless two runs end with the same parameters and last loss."""
    (p_got, l_got), (p_want, l_want) = got, want
    for i, (a, b) in enumerate(zip(p_got, p_want)):
        if not numpy.allclose(a, b, rtol=1e-4, atol=atol):
            raise AssertionError(f"{name}: parameter {i} differs by "
                                 f"{numpy.abs(a - b).max():.3g}")
    if not numpy.isclose(l_got, l_want, rtol=1e-4):
        raise AssertionError(f"{name}: last loss {l_got} vs {l_want}")


def add_pytorch_case(wid: str, torch, run: Callable[[], object], floor, cases: dict,
                     notes: list) -> None:
    """The 'pytorch' column, checked against the floor before it is timed; or, without
    PyTorch, a note saying its column is skipped."""
    if torch is None:
        notes.append("PyTorch is not installed: its column and ratio are skipped")
        return
    check_agree(f"{wid} PyTorch vs the floor", run(), floor)
    cases["pytorch"] = lambda: timed(run)
    notes.append(f"PyTorch {torch.__version__} CPU, torch.set_num_threads("
                 f"{torch.get_num_threads()}) to match NumPy's BLAS threads")


def interleave(cases: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Call each case once per round, in turn; return every case's samples."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, fn in cases.items():
            samples[name].append(fn())
    return samples


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of fn takes."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def result(wid: str, title: str, unit: str | dict, samples: dict[str, list[float]], goals: list,
           params: dict, notes: list[str]) -> dict:
    """The JSON-ready record of one workload: medians, ratios, and whether each goal is met.

    `goals` lists (label, numerator case, denominator case or None, limit); with None the
    ratio is the numerator's median itself (a ratio computed by the workload).
    """
    medians = {k: statistics.median(v) for k, v in samples.items() if v}
    units = unit if isinstance(unit, dict) else {k: unit for k in samples}
    rows = []
    for label, num, den, limit in goals:
        if num not in medians or (den is not None and den not in medians):
            continue
        ratio = medians[num] if den is None else medians[num] / medians[den]
        rows.append({"label": label, "ratio": ratio, "limit": limit, "met": ratio <= limit})
    return {"id": wid, "title": title, "unit": units, "medians": medians, "samples": samples,
            "ratios": rows, "params": params, "notes": notes}


def print_result(r: dict) -> None:
    """Print one workload's table, its ratio lines and its notes."""
    print(f"\n{r['id']}  {r['title']}")
    print(f"  {'implementation':<24}{'median':>14}  {'min':>12}  rounds")
    for name, v in r["medians"].items():
        s = r["samples"][name]
        print(f"  {name:<24}{v:>14.4g}  {min(s):>12.4g}  {len(s):>6}   {r['unit'][name]}")
    for row in r["ratios"]:
        verdict = "met" if row["met"] else f"MISSED by {row['ratio'] / row['limit']:.2f}x"
        print(f"{r['id']} ratio {row['label']} = {row['ratio']:.3f}  "
              f"(goal <= {row['limit']})  {verdict}")
    for note in r["notes"]:
        print(f"{r['id']} note: {note}")
