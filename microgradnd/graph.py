"""The graph's vocabulary: whether recording is on, and the Node each recorded op leaves.

Read this first. It imports nothing else of microgradnd: the Tensor (core.py), the ops that
record nodes (ops/) and the backward walk that visits them (autograd.py) all stand on it.
"""
from __future__ import annotations

import itertools
import threading
from typing import Any, NamedTuple

# ---- the recording state: the one piece of global state, kept per thread ----


class _State(threading.local):
    recording = False    # inside record() (and not in a pause() within it)
    training = False     # MXNet's train mode: set by record()/pause(), read by is_training()
    tape = None          # the Tape of the innermost record() block, or None
    trace = None         # a list that backward appends Steps to, inside trace_backward()
    levels = ()          # the tags of the open forward levels, outermost first (ops/tangents.py)
    anomaly = None       # detect_anomaly()'s checker (debugging.py): a new tape's list maker


state = _State()
_seq = itertools.count()    # creation order of nodes: a later node never feeds an earlier one


# ---- what a Tensor carries (core.py defines it; the code on this path reads these fields) ----
# t.data    its array (NumPy or CuPy)
# t.grad    the gradient backward stored for a variable, a Tensor (else None)
# t._node   the Node (below) of the op that computed t while recording; None for a leaf
# t._req    a variable's grad_req, 'write' or 'add' (attach_grad); None: not a variable
# t._vc     its version counter: t._vc[0] counts the in-place changes of t's memory. Tensors
#           that alias one memory (views, detach()) share one list [n]; until its first change
#           or alias a tensor holds the shared read-only tuple (0,), so making one allocates none.

UNCHANGED = (0,)    # that shared tuple: every new tensor's _vc


# ---- what one recorded op leaves behind ----


class Node:
    """One recorded operation: what ran, on which inputs, and what backward needs from it.

    The node holds its inputs (so backward can use them) but never its output: there is no
    reference cycle, so dropping the output tensor frees the graph behind it, once the Tape
    of its record() block is gone too. A tape holds every node recorded in its block, and
    so their inputs until backward frees them: `with autograd.record() as tape:` keeps the
    intermediates alive while `tape` is referenced (`with autograd.record():` keeps nothing).
    """

    __slots__ = ("op", "inputs", "args", "requires_grad", "versions", "seq", "out_shape",
                 "out_dtype", "site")    # site: set only by detect_anomaly()

    def __init__(self, op, inputs, args, requires_grad, versions, out_data):
        self.op = op                # the Op class (ops/) whose backward rule this node runs
        self.inputs = inputs        # Tensors (or Python scalars) the op was applied to
        self.args = args            # non-tensor arguments (axis, shape, index...)
        self.requires_grad = requires_grad  # per input: does it want a gradient?
        self.versions = versions    # each input's version when recorded (the in-place check)
        self.seq = next(_seq)
        self.out_shape = out_data.shape
        self.out_dtype = out_data.dtype

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self) -> str:
        return f"<Node #{self.seq} {self.name} -> {self.out_shape}>"


class Tape:
    """The nodes recorded inside one `record()` block, in execution order."""

    def __init__(self):
        self.nodes: list[Node] = [] if state.anomaly is None else state.anomaly([])

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __str__(self) -> str:
        from .display import format_tape  # noqa: PLC0415 - printing is not part of the graph

        return format_tape(self)

    __repr__ = __str__

    def _repr_html_(self) -> str:      # a notebook's view: rows linked to their inputs' rows
        from .notebook import tape_html  # noqa: PLC0415 - HTML only when a notebook asks
        return tape_html(self)


# ---- turning recording on and off ----


class record:
    """`with autograd.record() as tape:` — record ops whose inputs need gradients.

    `train_mode` only sets what `is_training()` says (as in MXNet); no op here reads it.
    """

    def __init__(self, train_mode: bool = True):
        self.tape = Tape()
        self.train_mode = train_mode

    def __enter__(self) -> Tape:
        self._saved = (state.recording, state.tape, state.training)
        state.recording, state.tape, state.training = True, self.tape, self.train_mode
        return self.tape

    def __exit__(self, *exc):
        state.recording, state.tape, state.training = self._saved
        return False


class pause:
    """`with autograd.pause():` — a block inside `record()` where nothing is recorded."""

    def __init__(self, train_mode: bool = False):
        self.train_mode = train_mode

    def __enter__(self):
        self._saved = (state.recording, state.training)
        state.recording, state.training = False, self.train_mode

    def __exit__(self, *exc):
        state.recording, state.training = self._saved
        return False


def is_recording() -> bool:
    """True inside `record()` (and not inside a `pause()` nested in it)."""
    return state.recording


# ---- what a traced backward step shows ----


class Step(NamedTuple):
    """One step of a traced backward pass (see `autograd.trace_backward`)."""

    node: Node                # the recorded op that backward ran
    grad_in: Any              # the gradient of its output (a Tensor)
    grads_out: tuple          # the gradient it sends to each input; None where none needed
