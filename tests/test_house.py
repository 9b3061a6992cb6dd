"""The house a learner reads: the README's reading path is short, and true as written.

README.md gives graph.py, ops/apply.py, ops/arithmetic.py and autograd.py up to the end of the
backward walk as the path, says each name on it is defined above its use, and lists the few
names the path uses that other files define. These tests keep all of that true.
"""
import ast
import builtins
import re
from pathlib import Path

import numpy

import microgradnd as mg

PACKAGE = Path(mg.__file__).parent
README = (PACKAGE.parent / "README.md").read_text()
PATH = ["graph.py", "ops/apply.py", "ops/arithmetic.py", "autograd.py"]
MAX_LINES = 780     # 680 for reverse mode; forward mode adds ~85, anomaly mode's state field 2
WALK_END = "    return leaves"      # the last line of _walk in autograd.py


def _lines(name):
    return (PACKAGE / name).read_text().splitlines()


def _end(name) -> int:
    """The last line of the path in `name`: the whole file, or _walk's end for autograd.py."""
    lines = _lines(name)
    if name != "autograd.py":
        return len(lines)
    start = lines.index(next(line for line in lines if line.startswith("def _walk(")))
    return lines.index(WALK_END, start) + 1


def test_readme_gives_the_reading_path_line_ranges_and_their_total():
    for name in PATH:
        assert f"microgradnd/{name}) | 1–{_end(name)} |" in README, name
    total = sum(_end(name) for name in PATH)
    assert total <= MAX_LINES, f"the reading path is {total} lines"
    assert f"in {total} lines" in README


def test_the_path_ends_where_the_walk_closes():
    lines = _lines("autograd.py")[:_end("autograd.py")]
    assert lines[-1] == WALK_END
    assert any(line.strip() == "grads = op.backward(node, out, g)" for line in lines)
    assert any(line.strip() == "node.inputs = None      # frees the saved tensors (the local "
               "keeps them a moment)" for line in lines)


# ---- every name on the path is defined above its use, or listed in the README ----


def readme_list() -> dict:
    """{file: names} from the README's list of what the path uses from elsewhere."""
    start = README.index("\n- ", README.index("Used on the path 1–4, defined elsewhere"))
    listed, file = {}, None
    for token, colon in re.findall(r"`([\w/.]+)`(:?)", README[start:README.index("\n\n", start)]):
        if colon:
            file = token
            listed[file] = set()
        else:
            listed[file].add(token)
    return listed


TENSOR = set(dir(mg.Tensor)) | set(mg.Tensor.__slots__)
# Attributes of Python's and NumPy's own types (list.append, ndarray.ndim...), not a Tensor's.
GENERIC = set().union(*(dir(t) for t in (list, dict, tuple, str, int, float, set, object,
                                         BaseException, numpy.dtype, numpy.ndarray))) - TENSOR


def _locals(function) -> set:
    found = set()
    for n in ast.walk(function):
        if isinstance(n, ast.arg):
            found.add(n.arg)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            found.add(n.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            found.add(n.name)
    return found


def _class_attributes(cls) -> set:
    """What a class defines: methods, class attributes, __slots__, self.<name> = ..."""
    found = set()
    for n in ast.walk(cls):
        if isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            found.add(n.name)
        elif (isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)
              and isinstance(n.value, ast.Name) and n.value.id == "self"):
            found.add(n.attr)
    for stmt in cls.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            found |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if any(isinstance(t, ast.Name) and t.id == "__slots__" for t in targets):
                found |= {c.value for c in ast.walk(stmt.value) if isinstance(c, ast.Constant)}
    return found


def undefined_uses(listed_names: set) -> list:
    """(file, line, name) for each name or attribute used on the path before any definition
    on it and not in `listed_names`; names of Python, NumPy and the standard library pass."""
    names, attributes, modules, external, problems = set(), set(), set(), set(), []
    for file in PATH:
        end = _end(file)
        tree = ast.parse((PACKAGE / file).read_text())
        for stmt in tree.body:
            if stmt.lineno > end:
                break
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                for alias in stmt.names:
                    bound = (alias.asname or alias.name).split(".")[0]
                    if isinstance(stmt, ast.Import) or stmt.level == 0:
                        external.add(bound)             # numpy, heapq, threading...
                    elif stmt.module is None:
                        modules.add(bound)              # from .. import backend, core
                    elif bound not in names and bound not in listed_names:
                        problems.append((file, stmt.lineno, bound))
                    else:
                        names.add(bound)
                continue
            if isinstance(stmt, ast.ClassDef):
                attributes |= _class_attributes(stmt)
            if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
                names.add(stmt.name)
            scope = {}
            for f in ast.walk(stmt):
                if isinstance(f, (ast.FunctionDef, ast.Lambda)):
                    own = _locals(f)
                    for n in ast.walk(f):
                        scope.setdefault(id(n), set()).update(own)
            for n in ast.walk(stmt):
                if getattr(n, "lineno", 0) > end:
                    continue
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                    if not (n.id in scope.get(id(n), ()) or n.id in names or n.id in external
                            or n.id in modules or hasattr(builtins, n.id)
                            or n.id in listed_names):
                        problems.append((file, n.lineno, n.id))
                elif isinstance(n, ast.Attribute):
                    base = n.value.id if isinstance(n.value, ast.Name) else None
                    if base in external or (base is not None and hasattr(builtins, base)):
                        continue                    # numpy.ndarray, object.__new__
                    if base in modules:             # core.Tensor: a name of that module
                        if n.attr not in listed_names and n.attr not in names:
                            problems.append((file, n.lineno, f"{base}.{n.attr}"))
                    elif not (n.attr in attributes or n.attr in listed_names
                              or n.attr in GENERIC):
                        problems.append((file, n.lineno, n.attr))
            if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return problems


def test_every_name_on_the_path_is_defined_above_its_use_or_listed():
    listed = set().union(*readme_list().values())
    problems = undefined_uses(listed)
    assert problems == [], "used before any definition on the path, and not in README's list"


def test_the_readme_list_is_short_true_and_needed():
    listed = readme_list()
    assert set(listed) == {"core.py", "backend.py", "errors.py", "ops/elementwise.py",
                           "ops/conversion.py", "ops/shapes.py", "ops/indexing.py",
                           "display.py", "notebook.py", "stepper.py", "ops/tangents.py",
                           "debugging.py"}
    for file, names in listed.items():
        module = mg if file == "__init__.py" else __import__(
            "microgradnd." + file.removesuffix(".py").replace("/", "."), fromlist=["_"])
        for name in names:
            assert hasattr(module, name) or (file == "core.py" and name in TENSOR), (file, name)
    everything = set().union(*listed.values())
    for name in everything:     # each listed name is one the path needs
        assert undefined_uses(everything - {name}), f"{name} is listed but the path defines it"
