"""The house a learner reads: the README's reading path stays short enough to read in a sitting.

README.md promises that graph.py, ops/apply.py, ops/arithmetic.py and the walk in autograd.py
reach the line where backward calls an op's rule within 620 lines; this keeps the promise true.
"""
from pathlib import Path

import microgradnd as mg

PACKAGE = Path(mg.__file__).parent
PATH = ["graph.py", "ops/apply.py", "ops/arithmetic.py"]
BACKWARD_CALL = "grads = op.backward(node, out, g)"


def test_reading_path_reaches_the_backward_call_within_620_lines():
    before = sum(len((PACKAGE / name).read_text().splitlines()) for name in PATH)
    walk = (PACKAGE / "autograd.py").read_text().splitlines()
    at = next(i for i, line in enumerate(walk, 1) if line.strip() == BACKWARD_CALL)
    assert before + at <= 620, f"the reading path is {before + at} lines"


def test_readme_gives_the_reading_path_line_ranges():
    readme = (PACKAGE.parent / "README.md").read_text()
    for name in PATH:
        count = len((PACKAGE / name).read_text().splitlines())
        assert f"microgradnd/{name}) | 1–{count} |" in readme, name
