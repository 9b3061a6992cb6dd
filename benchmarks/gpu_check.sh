#!/usr/bin/env bash
# The whole GPU check in one run, from the repository root on a machine with an NVIDIA GPU:
#   bash benchmarks/gpu_check.sh
# 1. benchmarks/gpu.py at full size, 2. the chapter on cuda, 3. every test that touches the GPU
# (the `cuda` cases of the backend fixture, DLPack, the GPU smoke test), in parallel when
# pytest-xdist is there, since CuPy compiles each new kernel once. The CPU half of the suite is
# what CI runs. Logs go to $OUT (when set), five files. Needs CuPy 13 or 14 (cupy-cuda12x or
# cupy-cuda13x) importable by python3; nothing is installed here. Each step has its own time
# limit, 10 minutes in all at worst (about 3-4 minutes expected on an H200: the test step
# runs about 3,200 CUDA cases, each new kernel compiled once).
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=. PYTHONUNBUFFERED=1
log_dir="${OUT:-}"
if [ -n "$log_dir" ]; then mkdir -p "$log_dir"; else log_dir=$(mktemp -d); fi

python3 - <<'PY' 2>&1 | tee "$log_dir/env.log"
import importlib, platform
import microgradnd as mg
print("python", platform.python_version())
for name in ["numpy", "cupy", "torch", "pytest", "hypothesis", "graphviz", "matplotlib", "xdist"]:
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as e:
        print(name, "missing:", type(e).__name__, e)
print("cuda available to microgradnd:", mg.cuda_is_available(), mg.backend.why_no_cuda())
if mg.cuda_is_available():
    import cupy
    cupy.show_config()
PY

echo "== benchmarks/gpu.py" | tee "$log_dir/gpu_bench.log"
timeout 180 python3 benchmarks/gpu.py 2>&1 | tee -a "$log_dir/gpu_bench.log"
bench_rc=${PIPESTATUS[0]}

echo "== examples/linreg.py --device cuda" | tee "$log_dir/examples.log"
timeout 30 python3 examples/linreg.py --device cuda 2>&1 | tee -a "$log_dir/examples.log"
timeout 40 python3 examples/linreg.py --device cuda --fast --num-examples 1000000 \
    --batch-size 1000 --epochs 2 2>&1 | tee -a "$log_dir/examples.log"

echo "== tests touching the GPU" | tee "$log_dir/tests.log"
parallel=""
python3 -c "import xdist" 2>/dev/null && parallel="-n 8"
# Not the fake-CuPy runs (test_fake_cupy's subprocesses): CI runs those without a GPU.
timeout 360 python3 -m pytest -q $parallel --maxfail=60 -p no:cacheprovider -rs \
    -k "(cuda or gpu or dlpack or devices) and not under_the_fake" tests 2>&1 \
    | tee -a "$log_dir/tests.log"
tests_rc=${PIPESTATUS[0]}

echo "tests exit status: $tests_rc; benchmark exit status: $bench_rc" | tee "$log_dir/status.log"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
