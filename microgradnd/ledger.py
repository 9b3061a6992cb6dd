"""What the tape keeps for backward: one row per tensor a node holds, with its bytes.

A node keeps its inputs (node.inputs), any arrays among its non-tensor arguments (node.args)
and, when its op's backward reads the output (`saves_output`), the output too. Many of these
are one memory seen twice: `x * x` keeps x twice, the output of `tanh` is also the input of the
next op, a reshape is a view of its input's array. The ledger names the memory each tensor
keeps alive (the array that owns it: a view keeps its whole base) and counts each memory once,
in the first row that keeps it. `print(tape)` shows the per-node sums;
`autograd.saved_tensors(tape)` gives the rows. Nothing here is on the hot path.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy

from . import backend
from .core import Tensor
from .display import _input_label, _table, shape_text

__all__ = ["Ledger", "SavedTensor", "byte_text", "saved_tensors"]


class SavedTensor(NamedTuple):
    """One tensor (or array) a recorded node keeps alive for its backward rule."""

    step: int           # the tape row (print(tape)'s #) of the node that keeps it
    op: str             # that node's op
    role: str           # 'input 0', 'output' (saves_output), 'arg 1' (an array argument)
    label: str          # how print(tape) names it: %k, var(2, 1), const(3,)
    shape: tuple
    dtype: str
    nbytes: int         # bytes of the memory it keeps alive: for a view, its whole base
    buffer: int         # which memory: rows with equal numbers share one, counted once
    view: bool          # True when it is a view into memory another array owns
    first: int          # the tape row that first keeps this memory; counted there only


def _owner(a):
    """The array that owns a's memory: a itself, or the base at the end of a view chain."""
    while backend.is_array(getattr(a, "base", None)):
        a = a.base
    return a


def byte_text(n: int) -> str:
    """Bytes as people read them: 96 B, 1.5 KiB, 3.2 MiB."""
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


class Ledger(list):
    """The SavedTensor rows of one tape, in tape order; `total_bytes` counts each memory once.

    `print(ledger)` itemizes them, naming for each memory the other rows that keep it too.
    """

    def __init__(self, rows, freed: int, steps: int):
        super().__init__(rows)
        self.freed = freed          # nodes whose saved tensors backward has freed already
        self.steps = steps          # nodes on the tape

    @property
    def total_bytes(self) -> int:
        """Bytes kept for backward, each memory counted once."""
        return sum({r.buffer: r.nbytes for r in self}.values())

    @property
    def buffers(self) -> int:
        """How many distinct memories the rows keep."""
        return len({r.buffer for r in self})

    def step_bytes(self, step: int) -> tuple[int, int, list]:
        """(bytes first kept by this row, bytes it shares with earlier rows, those rows)."""
        new, shared, rows, seen = 0, 0, [], set()
        for r in self:
            if r.step != step or r.buffer in seen:
                continue
            seen.add(r.buffer)
            if r.first == step:
                new += r.nbytes
            else:
                shared += r.nbytes
                if r.first not in rows:
                    rows.append(r.first)
        return new, shared, rows

    def step_text(self, step: int) -> str:
        """The `saved` cell of print(tape): `24 B`, `12 B + 12 B shared with #0`."""
        new, shared, rows = self.step_bytes(step)
        if not any(r.step == step for r in self):
            return "-"
        if not shared:
            return byte_text(new)
        text = f"{byte_text(shared)} shared with " + ", ".join(f"#{k}" for k in rows)
        return text if not new else f"{byte_text(new)} + {text}"

    def total_text(self) -> str:
        """The line under print(tape)'s table."""
        if not self:
            if self.freed:
                return "Saved for backward: nothing (backward freed it)"
            return "Saved for backward: nothing"
        views = sum(r.view for r in self)
        text = (f"Saved for backward: {byte_text(self.total_bytes)} in {self.buffers} "
                "buffer(s), each counted once")
        if views:
            text += f" ({views} view(s) counted as their base)"
        return text

    def format(self) -> str:
        """One line per saved tensor: who keeps it, its shape and bytes, who shares it."""
        rows = [("#", "op", "keeps", "as", "shape", "dtype", "bytes", "shared with")]
        seen = set()
        for r in self:
            others = sorted({o.step for o in self if o.buffer == r.buffer} - {r.step})
            mine = byte_text(r.nbytes) if r.buffer not in seen else f"(counted at #{r.first})"
            seen.add(r.buffer)
            label = r.label + (" (view)" if r.view else "")
            rows.append((str(r.step), r.op, label, r.role, shape_text(r.shape), r.dtype, mine,
                         ", ".join(f"#{k}" for k in others)))
        if len(rows) == 1:
            return self.total_text()
        return _table(self.total_text(), rows)

    def __str__(self) -> str:
        return self.format()

    __repr__ = __str__


def saved_tensors(tape) -> Ledger:
    """The ledger of `tape`: every tensor its nodes keep for backward, with shapes and bytes.

    A node that backward has freed (no retain_graph) keeps nothing and has no rows.
    """
    nodes = tape.nodes
    index_of = {id(n): k for k, n in enumerate(nodes)}
    output_of = {}      # id(node) -> its output tensor, found as a later node's input
    for node in nodes:
        for x in node.inputs or ():
            if isinstance(x, Tensor) and x._node is not None:
                output_of.setdefault(id(x._node), x)
    rows, first_at, freed = [], {}, 0

    def add(step, node, role, label, shape, dtype, nbytes, buffer, view):
        first = first_at.setdefault(buffer, step)
        rows.append(SavedTensor(step, node.name, role, label, tuple(shape), str(dtype),
                                int(nbytes), buffer, view, first))

    def add_array(step, node, role, label, a):
        owner = _owner(a)
        add(step, node, role, label, a.shape, a.dtype, owner.nbytes, id(owner), owner is not a)

    for k, node in enumerate(nodes):
        if node.inputs is None:
            freed += 1
            continue
        for i, x in enumerate(node.inputs):
            if isinstance(x, Tensor):
                add_array(k, node, f"input {i}", _input_label(x, index_of), x.data)
        for i, arg in enumerate(node.args):     # an index may be an array, or a tuple of some
            for a in arg if isinstance(arg, tuple) else (arg,):
                if isinstance(a, Tensor):
                    a = a.data
                if backend.is_array(a):
                    add_array(k, node, f"arg {i}", f"array{shape_text(a.shape)}", a)
        if node.op.saves_output:
            out = output_of.get(id(node))
            if out is not None:
                add_array(k, node, "output", f"%{k}", out.data)
            else:       # the head: only its holder has the tensor; its size is on the node
                size = math.prod(node.out_shape) * numpy.dtype(node.out_dtype).itemsize
                add(k, node, "output", f"%{k}", node.out_shape, node.out_dtype, size,
                    -node.seq - 1, False)
    return Ledger(rows, freed, len(nodes))
