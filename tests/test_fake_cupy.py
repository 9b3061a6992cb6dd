"""The CUDA half of the suite, run without a GPU against tests/fake_cupy.py (a CuPy test double).

The fake refuses what CuPy refuses (implicit host conversion, NumPy arrays in GPU ufuncs, ...),
so engine code written for NumPy only fails here as it would on a GPU. The first tests pin
those refusals; the last runs every CUDA-parametrized test under the fake in a subprocess, with
the whole op table (CPU cases too: CPU code must not reach for CuPy just because it imports).
"""
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _fake():
    """The fake module, loaded once, without installing it as `cupy` in this process."""
    if "fake_cupy" not in sys.modules:
        spec = importlib.util.spec_from_file_location("fake_cupy", ROOT / "tests" / "fake_cupy.py")
        sys.modules["fake_cupy"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["fake_cupy"])
    return sys.modules["fake_cupy"]


REFUSED = [     # what CuPy refuses, and the exception it raises
    ("numpy.asarray", lambda cp, a: numpy.asarray(a), TypeError),
    ("gpu + host", lambda cp, a: a + numpy.ones(3), TypeError),
    ("host + gpu", lambda cp, a: numpy.ones(3) + a, TypeError),
    ("ufunc.at", lambda cp, a: numpy.add.at(a, [0], 1.0), TypeError),
    ("NumPy-only function", lambda cp, a: numpy.array2string(a), TypeError),
    ("cupy function on host data", lambda cp, a: cp.exp(numpy.ones(3)), TypeError),
    ("list in a ufunc", lambda cp, a: cp.add(a, [1.0, 2.0, 3.0]), TypeError),
    ("host array into a slice", lambda cp, a: a.__setitem__(slice(None), numpy.ones(3)),
     ValueError),
    ("host DLPack consumer", lambda cp, a: numpy.from_dlpack(a), BufferError),
    ("int64 scatter_add", lambda cp, a: cp.cupyx.scatter_add(
        cp.zeros(3, cp.int64), cp.asarray([0]), cp.ones(1, cp.int64)), TypeError),
]


@pytest.mark.parametrize("name, use, error", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_fake_refuses_what_cupy_refuses(name, use, error):
    cp = _fake()
    with pytest.raises(error):
        use(cp, cp.arange(3, dtype=cp.float32))


def test_the_fake_keeps_results_on_the_device_as_cupy_does():
    cp = _fake()
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    for result in (a.sum(), numpy.sum(a), numpy.exp(a), a[0, 0], a.max(axis=0), a @ a.T,
                   cp.random.normal(0.0, 1.0, None, dtype=cp.float32)):
        assert type(result) is cp.ndarray          # never a numpy.ndarray or NumPy scalar
    assert a.sum().shape == () and a.sum().item() == 15.0 and a.device.id == 0
    assert a.__dlpack_device__() == (2, 0) and cp.from_dlpack(a) is a
    host = a.get()
    assert type(host) is numpy.ndarray and host.tolist() == a.tolist()
    assert cp.arange(3)[numpy.array([3, -1])].tolist() == [0, 2]   # CuPy wraps, no IndexError
    z = cp.zeros(3, cp.float32)
    cp.cupyx.scatter_add(z, cp.asarray([0, 0, 2]), cp.ones(3, cp.float32))
    assert z.tolist() == [2.0, 0.0, 1.0]


@pytest.mark.skipif(os.environ.get("MICROGRADND_FAKE_CUPY") == "1",
                    reason="already running under the fake CuPy")
def test_cuda_cases_pass_under_the_fake():
    env = dict(os.environ, MICROGRADND_FAKE_CUPY="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
         "-k", "cuda or test_ops", "--ignore", str(Path(__file__)), "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 500, summary     # the CUDA cases ran, not skipped
