"""Adding an op is two places: its class in its family file, and its row in the op table.

Everything else that lists ops is derived from the op's declaration (ops/registry.py): these
tests check that the written-out parts are current, that every declaration is seen where it
says, and, on a temporary copy of the package, that a new op is seen everywhere.
"""
import importlib.util
import inspect
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, interop, np
from microgradnd.ops import registry

ROOT = Path(__file__).resolve().parent.parent


def _fake_cupy():
    spec = importlib.util.spec_from_file_location("fake_cupy_listing",
                                                  Path(__file__).with_name("fake_cupy.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_written_out_source_is_current():
    assert registry.stale() == [], (
        f"run `{registry.COMMAND}`: these files' generated blocks are out of date with the "
        "ops' declarations")


@pytest.mark.parametrize("d", registry.declared(), ids=lambda d: d.op.name)
def test_each_declaration_is_seen(d):
    op = d.op
    assert d.function.__module__ == op.__module__, "the function lives beside its class"
    x = mg.tensor([0.25, 0.75], dtype="float64")     # inside every elementwise op's domain
    x.attach_grad()
    if op.method:
        method = getattr(mg.Tensor, op.method)
        assert method.__qualname__ == f"Tensor.{op.method}"      # a written def
        required = [p for p in inspect.signature(method).parameters.values()
                    if p.default is inspect.Parameter.empty]
        if len(required) == 1:          # self alone: t.exp(); t.repeat(n) needs more
            with autograd.record():
                assert getattr(x, op.method)()._node.op is op
    if op.numpy_twin:
        twin = registry.numpy_twin(op)
        table = (interop.DIFFERENTIABLE_UFUNCS if isinstance(twin, numpy.ufunc)
                 else interop.DIFFERENTIABLE_FUNCTIONS)
        assert table[twin] is d.function
        if isinstance(twin, numpy.ufunc):
            assert getattr(np, op.numpy_twin).__module__ == "microgradnd.np"
            assert twin.__name__ in _fake_cupy()._UFUNCS
            args = (x,) * twin.nin
            with autograd.record():
                assert twin(*args)._node.op is op
                assert getattr(np, op.numpy_twin)(*args)._node.op is op
    if op.torch_twin:
        torch = pytest.importorskip("torch")
        assert callable(getattr(torch, op.torch_twin))


ARCTAN = '''

class Arctan(Op):
    name = "arctan"
    method = "arctan"
    numpy_twin = "arctan"
    torch_twin = "arctan"

    @staticmethod
    def forward(x):
        return numpy.arctan(x)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        return (g / (1.0 + x * x),)


def arctan(x):
    """arctan x; d/dx = 1/(1 + x²)."""
    return unary(Arctan, x)
'''

CHECK = '''
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fake_cupy", "tests/fake_cupy.py")
sys.modules["fake_cupy"] = fake = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fake)
fake.install()
import numpy
import microgradnd as mg
from microgradnd import autograd, np
assert mg.__file__.startswith(sys.argv[1]), mg.__file__

for device in ["cpu", "cuda"]:          # the CuPy stand-in plays the GPU
    x = mg.tensor([0.5, -1.0, 2.0], dtype="float64", device=device)
    x.attach_grad()
    with autograd.record():
        ys = [x.arctan(), np.arctan(x), numpy.arctan(x)]
    for y in ys:
        assert y._node.op.name == "arctan" and y.device == x.device
    numpy.testing.assert_allclose(ys[2].numpy(), numpy.arctan(x.numpy()))
    assert mg.gradcheck(lambda t: t.arctan(), [x]) and mg.gradgradcheck(np.arctan, [x])
assert "arctan" in fake._UFUNCS
assert "`t.arctan()`" in open("docs/api.md").read()

sys.path.insert(0, "tests")
import test_ops
assert test_ops.missing_rows() == ["arctan"], test_ops.missing_rows()
row = test_ops.Row("arctan", lambda a: a.arctan(), numpy.arctan, [((3, 4),)])
assert test_ops.missing_rows(test_ops.OPS + [row]) == []
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    test_ops.OPS.append(row)
    import test_torch_ops
    assert [r.name for r in test_torch_ops.OPS if r.name == "arctan"] == ["arctan"]
print("seen everywhere")
'''


def test_a_new_op_is_seen_everywhere_after_two_edits_and_the_command(tmp_path):
    """On a copy: the class in elementwise.py (edit 1) and the command give t.arctan(),
    np.arctan, numpy.arctan(t) on both backends, the fake CuPy, api.md, and the table's
    coverage check, which then asks for the row (edit 2)."""
    shutil.copytree(ROOT / "microgradnd", tmp_path / "microgradnd",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / "docs" / "api.md", tmp_path / "docs" / "api.md")
    (tmp_path / "tests").mkdir()
    for name in ["fake_cupy.py", "test_ops.py", "test_torch_ops.py", "conftest.py"]:
        shutil.copy(ROOT / "tests" / name, tmp_path / "tests" / name)
    family = tmp_path / "microgradnd" / "ops" / "elementwise.py"
    text = family.read_text().replace("__all__ = [  # what ops/__init__.py gathers\n",
                                      '__all__ = [  # what ops/__init__.py gathers\n'
                                      '    "Arctan", "arctan",\n', 1)
    family.write_text(text + ARCTAN)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MICROGRADND_")}
    env["PYTHONPATH"] = str(tmp_path)
    run = [sys.executable, "-m", "microgradnd.ops"]
    wrote = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert wrote.returncode == 0, wrote.stderr
    assert "microgradnd/core.py, microgradnd/np.py, docs/api.md" in wrote.stdout
    checked = subprocess.run([sys.executable, "-c", textwrap.dedent(CHECK), str(tmp_path)],
                             cwd=tmp_path, env=env, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.strip() == "seen everywhere"
