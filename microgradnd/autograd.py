"""Recording and the backward walk: the tape, the graph's nodes, `backward` and `grad`.

Ops (in ops.py) decide *what* each derivative is; this module decides *when* they run:
inside `record()` every op whose inputs need gradients leaves a `Node`, and backward walks
those nodes from the output towards the leaves, newest first, without recursion. The one
piece of global state (recording on or off, the current tape, train mode) lives here, per thread.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any, NamedTuple

from . import backend
from .errors import GraphError, ShapeError

# ---- recording state: the one piece of global state, kept per thread ----


class _State(threading.local):
    recording = False
    training = False     # MXNet's train mode: set by record()/pause(), read by is_training()
    tape = None          # the Tape of the innermost record() block, or None
    trace = None         # a list that backward appends steps to, inside trace_backward()


_state = _State()
_seq = itertools.count()    # creation order of nodes: a later node never feeds an earlier one
# Threads may backpropagate into one shared variable (Hogwild-style); NumPy releases the GIL
# inside a large `+=`, so storing into `.grad` is serialized or a thread's sum is lost.
_grad_lock = threading.Lock()


class Node:
    """One recorded operation: what ran, on which inputs, and what backward needs from it.

    The node holds its inputs (so backward can use them) but never its output, so dropping
    the output tensor frees the whole graph behind it: there is no reference cycle.
    """

    __slots__ = ("op", "inputs", "args", "needs", "versions", "seq", "out_shape", "out_dtype")

    def __init__(self, op, inputs, args, needs, versions, out_data):
        self.op = op                # the Op class from ops.py
        self.inputs = inputs        # tuple of Tensors (or Python scalars) the op was applied to
        self.args = args            # non-tensor arguments (axis, shape, index...)
        self.needs = needs          # per input: does it want a gradient?
        self.versions = versions    # each input's version when recorded (in-place check)
        self.seq = next(_seq)
        self.out_shape = out_data.shape
        self.out_dtype = out_data.dtype

    @property
    def name(self) -> str:
        return self.op.name

    def __repr__(self) -> str:
        return f"<Node #{self.seq} {self.name} -> {self.out_shape}>"


class Tape:
    """The operations recorded inside one `record()` block, in execution order."""

    def __init__(self):
        self.nodes: list[Node] = []

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __str__(self) -> str:
        from .display import format_tape  # noqa: PLC0415 - keeps printing out of the hot path

        return format_tape(self)

    __repr__ = __str__


class record:
    """`with autograd.record() as tape:` — record ops whose inputs need gradients.

    `train_mode` only sets what `is_training()` says (as in MXNet); no op here reads it.
    """

    def __init__(self, train_mode: bool = True):
        self.tape = Tape()
        self.train_mode = train_mode

    def __enter__(self) -> Tape:
        self._saved = (_state.recording, _state.tape, _state.training)
        _state.recording = True
        _state.tape = self.tape
        _state.training = self.train_mode
        return self.tape

    def __exit__(self, *exc):
        _state.recording, _state.tape, _state.training = self._saved
        return False


class pause:
    """`with autograd.pause():` — a block inside `record()` where nothing is recorded."""

    def __init__(self, train_mode: bool = False):
        self.train_mode = train_mode

    def __enter__(self):
        self._saved = (_state.recording, _state.training)
        _state.recording = False
        _state.training = self.train_mode

    def __exit__(self, *exc):
        _state.recording, _state.training = self._saved
        return False


def is_recording() -> bool:
    """True inside `record()` (and not inside a `pause()` nested in it)."""
    return _state.recording


def is_training() -> bool:
    """The train_mode of the innermost record() or pause() block (False outside both).

    As in MXNet: `record(train_mode=False)` records in predict mode, and `pause(train_mode=True)`
    stops recording but stays in train mode. No microgradnd op behaves differently.
    """
    return _state.training


class train_mode:
    """`with autograd.train_mode():` — is_training() is True inside; recording is unchanged."""

    _mode = True

    def __enter__(self):
        self._saved = _state.training
        _state.training = self._mode

    def __exit__(self, *exc):
        _state.training = self._saved
        return False


class predict_mode(train_mode):
    """`with autograd.predict_mode():` — is_training() is False inside; recording unchanged."""

    _mode = False


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off without a block (MXNet); returns the previous state.

    Prefer `with record():` / `with pause():`, which restore the state even on an error.
    """
    previous, _state.recording = _state.recording, bool(is_recording)
    return previous


def set_training(train_mode: bool) -> bool:
    """Set what is_training() says (MXNet); returns the previous state."""
    previous, _state.training = _state.training, bool(train_mode)
    return previous


class _recording_as:
    """Set recording on or off for the duration of a backward pass."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        self._saved = _state.recording
        _state.recording = self.on

    def __exit__(self, *exc):
        _state.recording = self._saved
        return False


# ---- the backward walk ----


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _head_grads(heads, head_grads):
    """The seed gradient of each head: ones (sum of a non-scalar) unless given.

    Also refuses heads that were never recorded, before any work is done.
    """
    if head_grads is None:
        head_grads = (None,) * len(heads)
    elif not isinstance(head_grads, (list, tuple)):
        head_grads = [head_grads]
    if len(head_grads) != len(heads):
        raise ValueError(f"got {len(heads)} heads but {len(head_grads)} head_grads")
    seeds = []
    for i, (h, hg) in enumerate(zip(heads, head_grads)):
        if not isinstance(h, Tensor):
            raise TypeError(f"backward needs Tensors as heads, got {type(h).__name__}")
        if h._node is None and h._req is None:
            if h.data.dtype.kind not in "fc":
                raise GraphError(
                    f"cannot differentiate a tensor of dtype {h.dtype}: integer and boolean "
                    "tensors carry no gradient; differentiate a floating-point result instead")
            raise GraphError(
                f"cannot differentiate a tensor of shape {h.shape} that was not recorded: "
                "compute it inside `with autograd.record():` from tensors that need gradients "
                "(call .attach_grad() on them first)")
        if hg is None:
            d = h.data
            hg = backend.xp_of(d).empty(d.shape, d.dtype)
            hg.fill(1)      # empty + fill: two C calls where numpy.ones runs Python code
            hg = _wrap(hg)
        else:
            if not isinstance(hg, Tensor):
                hg = tensor(hg, dtype=h.dtype, device=h.device)
            if hg.shape != h.shape:
                raise ShapeError(f"head_grad for head {i} has shape {hg.shape}, but the head "
                                 f"has shape {h.shape}: pass a gradient of the head's shape")
        seeds.append(hg)
    return seeds


def _walk(heads, seeds, retain_graph, create_graph, wanted=None):
    """Send gradients from `heads` back to the leaves; return {id(leaf): [leaf, grad]}.

    `wanted`, when given, maps id(tensor) -> tensor for `grad()`: gradients of those are
    collected (intermediate tensors included) instead of leaves' `.grad` being touched.
    The walk pops nodes newest-first from a heap keyed by creation order, so each node runs
    only after every node that consumed its output has added its share of the gradient.
    """
    pending = {}     # node -> [its output tensor, gradient summed so far]
    leaves = {}      # id(leaf or wanted tensor) -> [tensor, gradient summed so far]
    heap = []
    # In a chain only one node waits at a time: it is kept in `top` instead of the heap, and
    # pushed there only when a second one joins it (a heap push and pop saved per node).
    top = None
    trace = _state.trace
    push, pop = heapq.heappush, heapq.heappop     # bound once: saves two lookups per node

    saved = _state.recording
    _state.recording = create_graph     # record the backward rules only for create_graph
    try:
        # The heads are delivered exactly like the gradients a node sends to its inputs.
        inputs, grads, needs = heads, seeds, (True,) * len(heads)
        while True:
            for x, g, need in zip(inputs, grads, needs):
                if not need or g is None:
                    continue
                if g.data.shape != x.data.shape:
                    g = sum_to(g, x.data.shape)     # undo broadcasting: the only place it is done
                if g.data.dtype is not x.data.dtype and g.data.dtype != x.data.dtype:
                    g = cast(g, x.data.dtype)       # a gradient has its tensor's dtype
                node = x._node
                if node is None:                    # a leaf: gradients gather here
                    entry = leaves.get(id(x))
                    if entry is None:
                        leaves[id(x)] = [x, g]
                    else:
                        entry[1] = entry[1] + g
                else:                               # a recorded result: its node waits its turn
                    entry = pending.get(node)
                    if entry is not None:
                        entry[1] = entry[1] + g
                    elif not pending:               # the only one waiting: it runs next
                        pending[node] = [x, g]
                        top = node
                    else:
                        pending[node] = [x, g]
                        if top is not None:
                            push(heap, (-top.seq, top))
                            top = None
                        push(heap, (-node.seq, node))
            x = None        # the loop variable must not keep the last input alive (memory)
            if top is not None:
                node, top = top, None
            elif heap:
                node = pop(heap)[1]
            else:
                break
            out, g = pending.pop(node)
            if wanted is None:
                if out._req is not None:    # attach_grad on a recorded result: keep its grad
                    leaves[id(out)] = [out, g]
            elif id(out) in wanted:
                leaves[id(out)] = [out, g]
            inputs = node.inputs
            if inputs is None:
                raise GraphError(
                    f"backward through '{node.name}' (output shape {node.out_shape}) a second "
                    "time: its saved values were freed by the first backward. Pass "
                    "retain_graph=True to the first backward to differentiate twice")
            for x, v in zip(inputs, node.versions):   # the in-place check, inlined
                if v is not None and x._vc[0] != v:
                    inputs = _check_versions(node, out)
                    break
            op = node.op
            if op.saves_output:
                if out._vc[0]:
                    _check_versions(node, out)
            else:
                out = None      # frees the output before its backward runs (W3 peak memory)
            grads = op.backward(node, out, g)
            needs = node.needs
            if trace is not None:
                trace.append(Step(node, g, grads))
            if not retain_graph:
                node.inputs = None      # frees the saved tensors (the local keeps them a moment)
    finally:
        _state.recording = saved
    return leaves


def _check_versions(node, out):
    """Refuse to use a saved tensor that was changed in place after it was recorded.

    Returns the node's inputs as they were when it ran: `t[i] = v` inside record() gives t
    a new history (Tensor.__setitem__), and a consumer of the old t sends its gradient there.
    """
    inputs = list(node.inputs)
    for i, (x, v) in enumerate(zip(node.inputs, node.versions)):
        if v is None or x._version == v:
            continue
        if node.op.reads_inputs:
            raise GraphError(
                f"input {i} (shape {x.shape}) of '{node.name}' was modified in place after "
                f"'{node.name}' recorded it (version {v} -> {x._version}); its gradient would "
                "be wrong. Compute a new tensor instead of updating this one in place, or "
                "update it only after backward")
        while x._node is not None and x._node.seq > node.seq:     # rebound by a later setitem
            x = x._node.args[1]
        inputs[i] = x
    if node.op.saves_output and out._version != 0:
        raise GraphError(
            f"the output (shape {out.shape}) of '{node.name}' was modified in place (directly "
            "or through a tensor sharing its memory: a view, detach()), but its backward needs "
            "the original value: compute a new tensor instead, or modify it after backward")
    return tuple(inputs)


def backward(heads, head_grads=None, retain_graph=False, create_graph=False) -> None:
    """Accumulate d(heads)/d(leaf) into every leaf variable's `.grad`.

    A non-scalar head without a head_grad is treated as its sum. `create_graph=True` records
    the backward pass so the gradients can be differentiated again (it implies retain_graph).
    """
    heads = _as_list(heads)
    seeds = _head_grads(heads, head_grads)
    retain = retain_graph or create_graph
    leaves = _walk(heads, seeds, retain, create_graph)
    with _grad_lock:
        for x, g in leaves.values():
            _store_grad(x, g, create_graph)


def _store_grad(x, g, create_graph):
    """Write or add one pass's gradient into a leaf's `.grad`, as its grad_req says."""
    req = x._req
    if req is None:
        return
    if create_graph:      # keep the graph: the gradient must stay a recorded Tensor
        if g._node is None:             # nothing recorded it (a view of the seed): own a copy
            g = _wrap(g.data.copy())
        if req == "write" or x.grad is None:
            x.grad = g
        else:
            with _recording_as(True):   # backward may run outside record(): record the sum
                x.grad = x.grad + g
    elif x.grad is None or x.grad.data.shape != g.data.shape:
        x.grad = _wrap(g.data.copy())    # a copy: two leaves may share one gradient
    elif x.grad._node is not None:      # a create_graph gradient is on a graph: never mutate it
        x.grad = _wrap(g.data.copy()) if req == "write" else _wrap(x.grad.data + g.data)
    elif req == "write":
        x.grad.data[...] = g.data               # in place, as MXNet: a held `.grad` sees it
        x.grad._bump_version()
    else:
        x.grad.data += g.data
        x.grad._bump_version()


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False):
    """Return d(heads)/d(variable) for each variable, leaving every `.grad` untouched.

    A variable the heads do not depend on gets a gradient of zeros.
    """
    heads = _as_list(heads)
    variables = _as_list(variables)
    for v in variables:
        if not isinstance(v, Tensor):
            raise TypeError(f"grad() differentiates with respect to Tensors, got "
                            f"{type(v).__name__}")
        if v._node is None and v._req is None:
            raise GraphError(
                f"a variable of shape {v.shape} needs no gradient: call .attach_grad() on it "
                "(or create it with requires_grad=True) before recording")
    seeds = _head_grads(heads, head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    wanted = {id(v): v for v in variables}
    found = _walk(heads, seeds, retain_graph or create_graph, create_graph, wanted)
    result = []
    seen = {id(_memory_root(s.data)) for s in seeds}    # the caller's head_grads stay theirs
    for v in variables:
        entry = found.get(id(v))
        if entry is None:
            result.append(_wrap(v.xp.zeros_like(v.data)))
            continue
        g = entry[1]
        if not create_graph:    # hand out arrays the caller may modify without side effects
            root = id(_memory_root(g.data))
            if root in seen or not _writeable(g.data):
                g = _wrap(g.data.copy())
                root = id(g.data)
            seen.add(root)
        result.append(g)
    return result


def _memory_root(a):
    """The array that owns a's memory (a itself unless a is a view)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _writeable(a) -> bool:
    """False for read-only arrays and for broadcast views (CuPy has no writeable flag)."""
    if not getattr(a.flags, "writeable", True):
        return False
    return all(stride or n <= 1 for stride, n in zip(a.strides, a.shape))


class Step(NamedTuple):
    """One step of a traced backward pass (see `trace_backward`)."""

    node: Node                # the recorded op that backward ran
    grad_in: Any              # the gradient of its output (a Tensor)
    grads_out: tuple          # the gradient it sends to each input; None where none needed


class trace_backward:
    """`with autograd.trace_backward(tape) as steps:` — watch what each backward step does.

    Every backward (or grad) run inside the block appends one `Step(node, grad_in,
    grads_out)` per op it visits, in the order it ran, to `steps`; `print(steps)` shows them
    as a table, naming ops as `print(tape)` does when the tape is given. Outside the block
    backward pays one attribute read for this.
    """

    def __init__(self, tape: Tape | None = None):
        self.tape = tape

    def __enter__(self):
        from .display import BackwardTrace  # noqa: PLC0415 - keeps printing out of the hot path

        self._saved = _state.trace
        self.steps = BackwardTrace(self.tape)
        _state.trace = self.steps
        return self.steps

    def __exit__(self, *exc):
        _state.trace = self._saved
        return False


from .core import Tensor, _wrap, tensor  # noqa: E402 - core imports this module first
from .ops import cast, sum_to  # noqa: E402 - and so does ops
