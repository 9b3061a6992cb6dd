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
    ("int64 add.at, float values", lambda cp, a: numpy.add.at(
        cp.zeros(3, cp.int64), cp.asarray([0]), 1.5), TypeError),        # checks a's dtype
    ("ufunc.at CuPy lacks", lambda cp, a: numpy.multiply.at(a, cp.asarray([0]), 2.0),
     NotImplementedError),
    ("ufunc.reduce CuPy lacks", lambda cp, a: numpy.maximum.reduce(a), NotImplementedError),
    ("DLPack copy on the device", lambda cp, a: a.__dlpack__(copy=True), BufferError),
    ("DLPack to another GPU", lambda cp, a: a.__dlpack__(dl_device=(2, 1)), BufferError),
    ("DLPack to host, no copy", lambda cp, a: a.__dlpack__(dl_device=(1, 0), copy=False),
     ValueError),
    ("DLPack stream -2", lambda cp, a: a.__dlpack__(stream=-2), ValueError),
    ("cupy.from_dlpack of host data", lambda cp, a: cp.from_dlpack(numpy.ones(3)), TypeError),
    ("float16 draws", lambda cp, a: cp.random.normal(size=3, dtype=numpy.float16), TypeError),
    ("normal around a host array", lambda cp, a: cp.random.normal(numpy.zeros(3), 1.0),
     TypeError),
    ("permutation of a NumPy int", lambda cp, a: cp.random.permutation(numpy.int64(3)),
     TypeError),
    ("a GPU that is not there", lambda cp, a: cp.cuda.Device(7).use(), RuntimeError),
]


@pytest.mark.parametrize("name, use, error", REFUSED, ids=[r[0] for r in REFUSED])
def test_the_fake_refuses_what_cupy_refuses(name, use, error):
    cp = _fake()
    with pytest.raises(error):
        use(cp, cp.arange(3, dtype=cp.float32))


def _add_at(cp, a, index):
    numpy.add.at(a, index, 1.0)
    return a


ACCEPTED = [    # what CuPy 13.6 and 14 take (each checked in their source), and what it gives
    ("add.at, GPU index", lambda cp, a: _add_at(cp, a, cp.asarray([0, 0])), [2.0, 1.0, 2.0]),
    ("add.at, host index", lambda cp, a: _add_at(cp, a, numpy.array([2])), [0.0, 1.0, 3.0]),
    ("add.reduce", lambda cp, a: numpy.add.reduce(a), 3.0),
    ("host copy through DLPack", lambda cp, a: numpy.from_dlpack(a, device="cpu"),
     [0.0, 1.0, 2.0]),
    ("uniform between host bounds", lambda cp, a: cp.random.uniform(
        numpy.zeros(2), numpy.full(2, 1e-9), dtype=numpy.float32) * 0, [0.0, 0.0]),
    ("int64 scatter_add through a slice", lambda cp, a: _scatter(cp, slice(0, 2)), [1, 1, 0]),
    ("int64 scatter_add through a mask", lambda cp, a: _scatter(
        cp, cp.asarray([True, False, True])), [1, 0, 1]),
    ("Device() of a missing GPU, unused", lambda cp, a: cp.cuda.Device(7).id, 7),
    ("float32 * a Python float", lambda cp, a: str((a * 0.5).dtype), "float32"),
]


def _scatter(cp, index):
    z = cp.zeros(3, cp.int64)
    cp.cupyx.scatter_add(z, index, 1)
    return z


@pytest.mark.parametrize("name, use, want", ACCEPTED, ids=[r[0] for r in ACCEPTED])
def test_the_fake_accepts_what_cupy_accepts(name, use, want):
    cp = _fake()
    got = use(cp, cp.arange(3, dtype=cp.float32))
    got = got.tolist() if hasattr(got, "tolist") else got
    assert got == want


LEGACY = [      # CuPy 13's loop for array-with-scalar ufuncs (value-based), e.g. cupy/cupy#7630
    (numpy.true_divide, numpy.float32, 123456, "dd->d"),
    (numpy.true_divide, numpy.float32, 1000, "ff->f"),
    (numpy.multiply, numpy.float32, numpy.float64(2.0), "ff->f"),
    (numpy.add, numpy.float32, 1e39, "dd->d"),
    (numpy.add, numpy.int8, 1000, "hh->h"),
    (numpy.add, numpy.float16, 300, "ff->f"),
    (numpy.add, numpy.int32, 2.5, None),        # a float scalar outranks ints: type-based
]


@pytest.mark.parametrize("ufunc, dtype, scalar, loop", LEGACY)
def test_the_fake_plays_cupy_13_scalar_promotion(ufunc, dtype, scalar, loop):
    assert _fake()._legacy_loop(ufunc, [numpy.ones(2, dtype), scalar]) == loop


def test_the_fake_keeps_results_on_the_device_as_cupy_does():
    cp = _fake()
    a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    for result in (a.sum(), numpy.sum(a), numpy.exp(a), a[0, 0], a.max(axis=0), a @ a.T,
                   cp.random.normal(0.0, 1.0, None, dtype=cp.float32)):
        assert type(result) is cp.ndarray          # never a numpy.ndarray or NumPy scalar
    assert a.sum().shape == () and a.sum().item() == 15.0 and a.device.id == 0
    assert a.__dlpack_device__() == (2, 0) and cp.from_dlpack(a).data.ptr == a.data.ptr
    host = a.get()
    assert type(host) is numpy.ndarray and host.tolist() == a.tolist()
    assert cp.arange(3)[numpy.array([3, -1])].tolist() == [0, 2]   # CuPy wraps, no IndexError
    z = cp.zeros(3, cp.float32)
    cp.cupyx.scatter_add(z, cp.asarray([0, 0, 2]), cp.ones(3, cp.float32))
    assert z.tolist() == [2.0, 0.0, 1.0]


def test_the_fake_plays_cupy_13_and_14_with_two_gpus(monkeypatch):
    # cupy/_core/_kernel.pyx _check_peer_access; core.pyx copy() and _array_from_cupy_ndarray
    cp = _fake()
    monkeypatch.setattr(cp, "_N_DEVICES", 2)
    monkeypatch.setattr(cp, "peer_access", False)
    with cp.cuda.Device(1):
        a = cp.arange(6, dtype=cp.float32).reshape(2, 3)
    assert a.device.id == 1 and cp.cuda.runtime.getDevice() == 0
    views = (a[0], a[0, 1], a.T, a.reshape(3, 2), a.transpose(), a[None, ..., 1:],
             cp.expand_dims(a, 0), cp.broadcast_to(a, (2, 2, 3)),
             cp.lib.stride_tricks.as_strided(a, (3,), (4,)))
    assert [v.device.id for v in views] == [1] * len(views)     # no kernel: still GPU 1
    kernels = (lambda: a + 1, lambda: a.sum(), lambda: numpy.exp(a), lambda: -a[0],
               lambda: a.astype(cp.float64), lambda: a[cp.asarray([0])],
               lambda: a.__setitem__(0, 1.0), lambda: cp.concatenate([a, a]),
               lambda: a.fill(0), lambda: a.argmax(), lambda: cp.cupyx.scatter_add(
                   a, (0, 0), 1.0))
    for kernel in kernels:
        with pytest.raises(ValueError, match=r"resides \(1\) is different from the current "
                           r"device \(0\)\. Peer access is unavailable"):
            kernel()
    # allocations land on the current GPU; copies come over from GPU 1
    made = (cp.zeros_like(a), cp.empty_like(a), a.copy(), cp.copy(a), cp.asarray(a),
            cp.array(a, dtype=cp.float64), cp.zeros(3))
    assert [m.device.id for m in made] == [0] * len(made)
    assert cp.asarray(a).tolist() == a.get().tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(NotImplementedError, match="non-contiguous"):
        cp.asarray(a[:, ::2])           # copied between GPUs only when contiguous
    with cp.cuda.Device(1):
        assert (a + 1).device.id == 1 and a.sum().item() == 15.0
    # between GPUs with peer access, CuPy runs the kernel on the current GPU and warns
    monkeypatch.setattr(cp, "peer_access", True)
    with pytest.warns(cp._util.PerformanceWarning, match="Peer access has been activated"):
        b = a + 1
    assert b.device.id == 0 and b.tolist() == [[1, 2, 3], [4, 5, 6]]


PLAYS = [     # CuPy 14 with one GPU (with the CPU op table), and CuPy 13 with two GPUs
    ({}, "cuda or test_ops", 500),
    ({"MICROGRADND_FAKE_CUPY_VERSION": "13.6.0", "MICROGRADND_FAKE_CUPY_DEVICES": "2"},
     "cuda", 400),
]


@pytest.mark.skipif(os.environ.get("MICROGRADND_FAKE_CUPY") == "1",
                    reason="already running under the fake CuPy")
@pytest.mark.parametrize("env, select, at_least", PLAYS, ids=["cupy14", "cupy13-2gpus"])
def test_cuda_cases_pass_under_the_fake(env, select, at_least):
    env = dict(os.environ, MICROGRADND_FAKE_CUPY="1", **env)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
         "-k", select, "--ignore", str(Path(__file__)), "tests"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= at_least, summary    # the CUDA cases ran
