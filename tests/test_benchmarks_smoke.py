"""Smoke test of the benchmarks: `python -m benchmarks --quick` runs every workload."""
import json
import os
import re
import subprocess
import sys


def test_quick_benchmarks_print_every_ratio(tmp_path):
    out_json = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--json",
                           str(out_json)], capture_output=True, text=True, env=os.environ,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    for wid in ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9"):
        assert re.search(rf"^{wid} ratio .+ = \d+\.\d+ ", proc.stdout, re.M), wid
    saved = json.loads(out_json.read_text())
    assert [w["id"] for w in saved["workloads"]] == ["W1", "W2", "W3", "W4", "W5", "W6", "W7",
                                                     "W8", "W9"]
    assert all(w["ratios"] for w in saved["workloads"])
