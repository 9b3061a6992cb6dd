"""Drawing the recorded graph with Graphviz: `draw_graph(t)` (API §5).

Only reads what autograd.py recorded; nothing here runs during forward or backward. The
`graphviz` package is imported on first use, so `import microgradnd` never needs it.
"""
from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence

from . import backend
from .core import Tensor
from .display import format_values, shape_text

VIZ_HINT = 'draw_graph needs the graphviz Python package: pip install "microgradnd[viz]"'

# Fill colours by what a tensor is; ops are yellow ellipses, tensors are boxes.
COLOURS = {
    "variable": "lightblue",    # a leaf with attach_grad(): backward fills its .grad
    "constant": "lightgrey",    # a leaf that needs no gradient (data, labels)
    "result": "white",          # computed by a recorded op
    "output": "palegreen",      # the tensor(s) passed to draw_graph
    "op": "lightyellow",
}


def _import_graphviz():
    try:
        import graphviz  # noqa: PLC0415 - optional dependency, imported on demand
    except ImportError as e:
        raise ImportError(VIZ_HINT) from e
    return graphviz


def _kind(t: Tensor) -> str:
    if t._node is not None:
        return "result"
    return "variable" if t._req is not None else "constant"


def _arg_text(value) -> str:
    """A short description of a non-tensor op argument (axis, shape, index...)."""
    if backend.is_array(value):
        return f"array{shape_text(value.shape)} {value.dtype}"
    if isinstance(value, (tuple, list)) and any(backend.is_array(v) for v in value):
        return "(" + ", ".join(_arg_text(v) for v in value) + ")"
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _op_label(node) -> str:
    """The op's name and its non-tensor arguments, named as in the op's forward()."""
    lines = [node.name]
    if node.args:
        params = list(inspect.signature(node.op.forward).parameters)
        names = params[len(params) - len(node.args):]
        lines += [f"{n}={_arg_text(a)}" for n, a in zip(names, node.args)]
    if node.inputs is None:
        lines.append("(inputs freed by backward)")
    return "\\n".join(lines)


def draw_graph(t, show_values: bool = False, names: Mapping[str, Tensor] | None = None,
               rankdir: str = "TB"):
    """A graphviz.Digraph of everything `t` (a Tensor or a list of them) was computed from.

    One box per tensor (its shape, dtype and kind; with `show_values` its values and
    `.grad`), one ellipse per recorded op, edges in the direction data flowed. `names`
    maps labels to tensors, e.g. `names={"w": w, "b": b}`. Rendering needs the `dot`
    program; building the Digraph does not.
    """
    graphviz = _import_graphviz()
    heads = list(t) if isinstance(t, Sequence) and not isinstance(t, Tensor) else [t]
    for h in heads:
        if not isinstance(h, Tensor):
            raise TypeError(f"draw_graph draws Tensors, got {type(h).__name__}")
    label_of = {id(v): k for k, v in (names or {}).items()}
    head_ids = {id(h) for h in heads}

    dot = graphviz.Digraph("microgradnd", graph_attr={"rankdir": rankdir},
                           node_attr={"fontname": "Helvetica", "fontsize": "11"},
                           edge_attr={"arrowsize": "0.7"})
    names_of: dict[int, str] = {}      # id(tensor) -> its DOT name t0, t1, ... (seen)
    seen = []                          # holding the tensors keeps their ids unique
    drawn: set[int] = set()
    n_ops = 0

    def name_of(x: Tensor) -> str:
        if id(x) not in names_of:
            names_of[id(x)] = f"t{len(seen)}"
            seen.append(x)
        return names_of[id(x)]

    stack = list(reversed(heads))
    while stack:                       # iterative depth-first walk: no recursion limit
        x = stack.pop()
        if id(x) in drawn:
            continue
        drawn.add(id(x))
        tid = name_of(x)
        kind = _kind(x)
        lines = [f"{shape_text(x.shape)} {x.dtype}"]
        if id(x) in label_of:
            lines.insert(0, label_of[id(x)])
        if kind in ("variable", "constant"):
            lines.append(kind if kind == "constant" else f"variable, grad_req='{x._req}'")
        if x.device != "cpu":
            lines.append(x.device)
        if show_values:
            lines.append("value " + format_values(x.data, 8, 3, count=True))
            if x.grad is not None:
                lines.append("grad " + format_values(x.grad.data, 8, 3, count=True))
        head = id(x) in head_ids
        dot.node(tid, "\\n".join(lines), shape="box", style="filled,rounded",
                 fillcolor=COLOURS["output" if head else kind], penwidth="2" if head else "1")
        node = x._node
        if node is None:
            continue
        op_id = f"op{n_ops}"
        n_ops += 1
        dot.node(op_id, _op_label(node), shape="ellipse", style="filled",
                 fillcolor=COLOURS["op"])
        dot.edge(op_id, tid)
        for i, inp in enumerate(node.inputs or ()):
            if isinstance(inp, Tensor):
                dot.edge(name_of(inp), op_id)
                stack.append(inp)
            else:                       # a Python scalar operand, as the 2 in `x ** 2`
                sid = f"{op_id}_in{i}"
                dot.node(sid, repr(inp), shape="plaintext")
                dot.edge(sid, op_id)
    return dot
