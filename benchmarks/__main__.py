"""Run the benchmarks: `python -m benchmarks [--quick] [--only W1,W3] [--json PATH]`.

Prints a table and ratio lines per workload and writes every sample, median and ratio as
JSON to benchmarks/results/<time>.json (or --json PATH).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy

from . import (
    _harness,
    w1_chapter,
    w2_overhead,
    w3_large_batch,
    w4_depth,
    w5_hvp,
    w6_mlp,
    w7_rnn,
    w8_lenet,
    w9_jacobian,
)

WORKLOADS = {"W1": w1_chapter, "W2": w2_overhead, "W3": w3_large_batch, "W4": w4_depth,
             "W5": w5_hvp, "W6": w6_mlp, "W7": w7_rnn,
             "W8": w8_lenet, "W9": w9_jacobian}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--only", default=",".join(WORKLOADS),
                        help="comma-separated workloads to run (default: all)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="interleaved rounds per workload (default: each its own)")
    parser.add_argument("--json", default=None, help="where to write the results")
    args = parser.parse_args()
    chosen = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    torch = _harness.load_torch()
    print(f"microgradnd benchmarks: Python {platform.python_version()}, NumPy "
          f"{numpy.__version__}, PyTorch {torch.__version__ if torch else 'not installed'}, "
          f"{os.cpu_count()} CPUs, BLAS threads {_harness.NUMPY_THREADS}"
          f"{', quick sizes' if args.quick else ''}")
    results = []
    for wid in chosen:
        r = WORKLOADS[wid].run(quick=args.quick, rounds=args.rounds)
        _harness.print_result(r)
        results.append(r)
    path = args.json or os.path.join(os.path.dirname(__file__), "results",
                                     time.strftime("%Y%m%d-%H%M%S") + ".json")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"python": platform.python_version(), "numpy": numpy.__version__,
                   "torch": torch.__version__ if torch else None, "quick": args.quick,
                   "workloads": results}, f, indent=1)
    print(f"\nresults written to {path}")


if __name__ == "__main__":
    main()
