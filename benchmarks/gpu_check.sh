#!/usr/bin/env bash
# The whole GPU check in one run, from the repository root on a machine with an NVIDIA GPU:
#   bash benchmarks/gpu_check.sh
# 1. the full test suite (the CUDA cases run instead of skipping), 2. benchmarks/gpu.py at full
# size. Logs go to $OUT (when set) as tests.log and gpu_bench.log. Takes a few minutes on an H200.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH=.
log_dir="${OUT:-}"
if [ -n "$log_dir" ]; then mkdir -p "$log_dir"; else log_dir=$(mktemp -d); fi

python3 - <<'PY' 2>&1 | tee "$log_dir/env.log"
import importlib, platform
import microgradnd as mg
print("python", platform.python_version())
for name in ["numpy", "cupy", "torch", "pytest", "hypothesis", "graphviz", "matplotlib"]:
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as e:
        print(name, "missing:", type(e).__name__, e)
print("cuda available to microgradnd:", mg.cuda_is_available(), mg.backend.why_no_cuda())
PY

echo "== tests" | tee "$log_dir/tests.log"
timeout 300 python3 -m pytest -q --maxfail=40 -p no:cacheprovider -rs tests 2>&1 \
    | tee -a "$log_dir/tests.log"
tests_rc=${PIPESTATUS[0]}

echo "== examples/linreg.py --device cuda" | tee "$log_dir/examples.log"
timeout 60 python3 examples/linreg.py --device cuda 2>&1 | tee -a "$log_dir/examples.log"
timeout 60 python3 examples/linreg.py --device cuda --fast --num-examples 1000000 \
    --batch-size 1000 --epochs 2 2>&1 | tee -a "$log_dir/examples.log"

echo "== benchmarks/gpu.py" | tee "$log_dir/gpu_bench.log"
timeout 150 python3 benchmarks/gpu.py 2>&1 | tee -a "$log_dir/gpu_bench.log"
bench_rc=${PIPESTATUS[0]}

echo "tests exit status: $tests_rc; benchmark exit status: $bench_rc" | tee "$log_dir/status.log"
[ "$tests_rc" -eq 0 ] && [ "$bench_rc" -eq 0 ]
