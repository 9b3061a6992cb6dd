"""Shared fixtures: `device` runs a test once per backend, skipping CUDA where it is absent.

With MICROGRADND_FAKE_CUPY=1 the NumPy-backed CuPy stand-in of tests/fake_cupy.py is installed
before microgradnd is imported, so the CUDA cases run (on the host) without a GPU.
"""
import importlib.util
import os
import sys
from pathlib import Path

import pytest

# Scripts the tests run in a subprocess (examples/, benchmarks/) import this checkout's
# microgradnd, installed or not.
_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_ROOT, os.environ.get("PYTHONPATH")) if p)

FAKE_CUPY = os.environ.get("MICROGRADND_FAKE_CUPY") == "1"
if FAKE_CUPY and "fake_cupy" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("fake_cupy",
                                                   Path(__file__).with_name("fake_cupy.py"))
    sys.modules["fake_cupy"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["fake_cupy"])
if FAKE_CUPY:
    sys.modules["fake_cupy"].install()

import microgradnd as mg  # noqa: E402 - after the fake CuPy, when asked for

BACKENDS = [
    "cpu",
    pytest.param("cuda", marks=pytest.mark.skipif(
        not mg.cuda_is_available(),
        reason="CUDA backend not tested: CuPy is not installed or no GPU is visible "
               '(pip install "microgradnd[cuda]" on a GPU machine)')),
]


@pytest.fixture(params=BACKENDS)
def device(request):
    """'cpu', and 'cuda' where CuPy sees a GPU."""
    return request.param


# ---- `--op NAME`: the rows of one op, by exact name ----


def pytest_addoption(parser):
    parser.addoption(
        "--op", action="append", default=[], metavar="NAME",
        help="keep, of the tests run once per op-table row or op declaration, only those of "
             "the op NAME (rows NAME and NAME_<variant>): `--op sin` is sin, not sinh or "
             "sign. Tests not run per op are kept. Repeatable.")


def pytest_terminal_summary(terminalreporter, config):
    if config.getoption("--op") and not FAKE_CUPY and not mg.cuda_is_available():
        terminalreporter.write_line(
            "--op without MICROGRADND_FAKE_CUPY=1: the CUDA cases were skipped; set it to run "
            "them on the CuPy stand-in (tests/fake_cupy.py)")


def _op_name(item):
    """The op name of a test run once per op-table row (`row`) or declaration (`d`), or None."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "row" in params:
        return params["row"].name
    if "d" in params:
        return params["d"].op.name
    return None


def pytest_collection_modifyitems(config, items):
    names = config.getoption("--op")
    if not names:
        return
    keep, drop = [], []
    for item in items:
        name = _op_name(item)
        if name is None or any(name == n or name.startswith(n + "_") for n in names):
            keep.append(item)
        else:
            drop.append(item)
    config.hook.pytest_deselected(items=drop)
    items[:] = keep
