"""Text views of the machine: the tape as a numbered table, and the steps of a backward pass.

Nothing here is on the hot path; it only reads what autograd.py recorded.
"""
from __future__ import annotations


def _shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _input_label(x, index_of) -> str:
    """How the tape names an input: %k for the output of step k, else what kind of leaf."""
    from .core import Tensor  # noqa: PLC0415

    if not isinstance(x, Tensor):
        return repr(x)
    node = x._node
    if node is not None:
        k = index_of.get(id(node))
        return f"%{k}" if k is not None else f"<{node.name} {_shape(x.shape)}>"
    kind = "var" if x._req is not None else "const"
    return f"{kind}{_shape(x.shape)}"


def format_tape(tape) -> str:
    """The tape as a table: step, op, inputs -> output, shape, dtype."""
    index_of = {id(n): k for k, n in enumerate(tape.nodes)}
    rows = [("#", "op", "inputs", "output", "shape", "dtype")]
    for k, node in enumerate(tape.nodes):
        if node.inputs is None:
            inputs = "(freed by backward)"
        else:
            inputs = ", ".join(_input_label(x, index_of) for x in node.inputs)
        rows.append((str(k), node.name, inputs, f"%{k}", _shape(node.out_shape),
                     str(node.out_dtype)))
    if len(rows) == 1:
        return "Tape: nothing recorded (no op had an input that needs a gradient)"
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [f"Tape: {len(tape.nodes)} recorded op(s)"]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


class BackwardTrace(list):
    """The steps of one or more backward passes: (node, incoming grad, input grads)."""

    def __str__(self) -> str:
        rows = [("step", "op", "output shape", "grad in", "grads out")]
        for k, (node, g, grads) in enumerate(self):
            outs = ", ".join("-" if gx is None else _shape(gx.shape) for gx in grads)
            rows.append((str(k), node.name, _shape(node.out_shape), _shape(g.shape), outs))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"Backward: {len(self)} step(s)"]
        for r in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        return "\n".join(lines)

    __repr__ = __str__
