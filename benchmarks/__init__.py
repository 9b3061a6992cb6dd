"""Benchmarks of microgradnd against a hand-written NumPy floor and PyTorch (CPU).

`python -m benchmarks` runs the workloads W1-W5 of docs/performance.md; each lives in its own
module (w1_chapter.py ... w5_hvp.py) and the shared timing and printing in _harness.py.
benchmarks/gpu.py (GPU timings) is separate and not run from here.
"""
