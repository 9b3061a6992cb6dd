#!/usr/bin/env bash
# Instructions per W1 step and per W2 op, from valgrind's callgrind: deterministic, unlike time
# on a shared machine. Each count is differenced between two run lengths, so start-up cancels
# out; one BLAS thread, since idle OpenBLAS workers spinning would add noise of ~20,000 a step.
# Run from the repository root: bash benchmarks/instructions.sh   (about 4 minutes)
set -euo pipefail
# valgrind must run the interpreter itself, not a wrapper script such as pyenv's shim (which
# would be counted instead, as 0 instructions of Python)
PY=$(python -c 'import sys; print(sys.executable)')
# Addresses fixed (no ASLR) where setarch can: dicts keyed by id() and the alignment of
# NumPy's buffers otherwise move a W5 count by up to 1% from run to run.
NO_ASLR=$(command -v setarch >/dev/null && setarch -R true 2>/dev/null && echo "setarch -R" || true)
count() {
    PYTHONHASHSEED=0 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        $NO_ASLR valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$PY" -m benchmarks.instructions "$1" "$2" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count w1 20); b=$(count w1 300); echo "W1 instructions per step: $(( (b - a) / 280 ))"
a=$(count w2 1000); b=$(count w2 4000); echo "W2 instructions per op: $(( (b - a) / 3000 ))"
for mode in forward reverse; do
    a=$(count "w5-$mode" 20); b=$(count "w5-$mode" 120)
    echo "W5 instructions per HVP, $mode over reverse: $(( (b - a) / 100 ))"
done
