"""Text views of the machine: the tape as a numbered table, and the steps of a backward pass.

Nothing here is on the hot path; it only reads what autograd.py recorded. The Graphviz
drawing of the same graph lives in viz.py.
"""
from __future__ import annotations

import numpy

from . import backend
from .core import Tensor

MAX_SHOWN = 6       # a gradient with more elements shows its first and last values only
EDGE_ITEMS = 2


def shape_text(shape) -> str:
    """A shape as Python writes a tuple: (3,), (2, 3), ()."""
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def format_values(array, max_shown: int = MAX_SHOWN, edge_items: int = EDGE_ITEMS,
                  count: bool = False) -> str:
    """Values on one line, flattened; large arrays show their first and last few (and, with
    `count`, how many there are)."""
    flat = numpy.asarray(backend.to_host(array)).reshape(-1)
    if flat.size <= max_shown:
        return "[" + ", ".join(_number(v) for v in flat) + "]"
    items = ([_number(v) for v in flat[:edge_items]] + ["…"]
             + [_number(v) for v in flat[-edge_items:]])
    return "[" + ", ".join(items) + "]" + (f" ({flat.size} values)" if count else "")


def _number(v) -> str:
    if isinstance(v, (numpy.floating, float)):
        return f"{float(v):.4g}"
    return str(v.item() if hasattr(v, "item") else v)


def tensor_repr(t: Tensor) -> str:
    """repr(t): values, dtype, device, and the op that made it or its grad_req."""
    body = numpy.array2string(backend.to_host(t.data), separator=", ", prefix="tensor(")
    extra = f", dtype={t.data.dtype}, device='{t.device}'"
    if t.data.size == 0 and t.data.ndim > 1:    # '[]' alone hides the shape
        extra = f", shape={t.data.shape}" + extra
    if t._node is not None:
        extra += f", op={t._node.name}"
    elif t._req is not None:
        extra += f", grad_req='{t._req}'"
    return f"tensor({body}{extra})"


def _input_label(x, index_of) -> str:
    """How the tape names an input: %k for the output of step k, else what kind of leaf."""
    if not isinstance(x, Tensor):
        return repr(x)
    node = x._node
    if node is not None:
        k = index_of.get(id(node))
        return f"%{k}" if k is not None else f"<{node.name} {shape_text(x.shape)}>"
    kind = "var" if x._req is not None else "const"
    return f"{kind}{shape_text(x.shape)}"


def _table(title: str, rows) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [title]
    for r in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


def format_tape(tape) -> str:
    """The tape as a table: step, op, inputs -> output, shape, dtype, and the bytes the
    node keeps for backward (the ledger, ledger.py: memory kept by an earlier row too is
    named, not counted again), then the total.

    `%k` is the output of step k; `var(shape)` a variable (attach_grad), `const(shape)` a
    tensor that needs no gradient; plain numbers are Python scalar operands.
    """
    from .ledger import saved_tensors  # noqa: PLC0415 - ledger.py builds on this module

    index_of = {id(n): k for k, n in enumerate(tape.nodes)}
    ledger = saved_tensors(tape)
    rows = [("#", "op", "inputs", "output", "shape", "dtype", "saved")]
    for k, node in enumerate(tape.nodes):
        if node.inputs is None:
            inputs = "(freed by backward)"
        else:
            inputs = ", ".join(_input_label(x, index_of) for x in node.inputs)
        rows.append((str(k), node.name, inputs, f"%{k}", shape_text(node.out_shape),
                     str(node.out_dtype), ledger.step_text(k)))
    if len(rows) == 1:
        return "Tape: nothing recorded (no op had an input that needs a gradient)"
    return _table(f"Tape: {len(tape.nodes)} recorded op(s)", rows) + "\n" + ledger.total_text()


class BackwardTrace(list):
    """The steps of the backward passes run inside `autograd.trace_backward()`, in order.

    Each step is an `autograd.Step(node, grad_in, grads_out)`: the recorded op, the gradient
    of its output, and the gradient it sends to each input (None where none is needed).
    Given the tape, nodes and inputs are named as `print(tape)` names them.
    """

    def __init__(self, tape=None):
        super().__init__()
        self.tape = tape
        self._inputs = []       # each step's inputs, kept: backward frees node.inputs
        self._inner = []        # each step's own traced backward (a checkpoint's), or None

    def append(self, step) -> None:
        """Add a step, remembering its node's inputs before backward frees them."""
        super().append(step)
        self._inputs.append(step.node.inputs)
        inner = getattr(step.node.op, "inner_trace", None)    # a checkpoint's recomputation
        self._inner.append(inner(step.node) if inner is not None else None)

    def format(self, values: bool = False) -> str:
        """The trace as a table; `values=True` adds the gradients' (abbreviated) values."""
        rows = [("step", "node", "op", "grad in", "grads out")] + self._rows(values)
        if len(rows) == 1:
            return "Backward: no steps traced (no backward ran inside trace_backward())"
        return _table(f"Backward: {len(self)} step(s), newest op first", rows)

    def _rows(self, values: bool, prefix: str = "") -> list:
        """The table's rows; a step that ran a backward of its own (a checkpoint recomputing
        its block) is followed by that backward's rows, numbered `k.0, k.1...`, whose nodes
        are the recomputed ones (`fn%j`: step j of the recomputation)."""
        nodes = self.tape.nodes if self.tape is not None else []
        index_of = {id(n): k for k, n in enumerate(nodes)}
        mark = "fn" if prefix else ""
        rows = []
        for k, ((node, g, grads), inputs) in enumerate(zip(self, self._inputs)):
            at = index_of.get(id(node))
            grad_in = shape_text(g.shape) + (" " + format_values(g.data) if values else "")
            outs = []
            for x, gx in zip(inputs, grads):
                if gx is None:
                    continue
                label = _input_label(x, index_of)
                text = f"-> {mark if label[0] == '%' else ''}{label} {shape_text(gx.shape)}"
                if values:
                    text += " " + format_values(gx.data)
                shape = x.shape if isinstance(x, Tensor) else numpy.shape(x)    # or a scalar
                if shape != gx.shape:       # backward sums a broadcast gradient back down
                    text += f" summed to {shape_text(shape)}"
                    if values:
                        summed = backend.sum_to(backend.to_host(gx.data), shape)
                        text += " " + format_values(summed)
                outs.append(text)
            rows.append((f"{prefix}{k}", "-" if at is None else f"{mark}%{at}", node.name,
                         grad_in, "; ".join(outs)))
            if self._inner[k] is not None:
                rows += self._inner[k]._rows(values, f"{prefix}{k}.")
        return rows

    def __str__(self) -> str:
        return self.format()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        """How a notebook shows the trace: gradient in, the rule, what each input got."""
        from .notebook import trace_html  # noqa: PLC0415 - notebook.py imports this module

        return trace_html(self)
