"""The backward walk, and the `autograd` namespace of API §2: `backward`, `grad`, `record`...

Ops (ops/) decide *what* each derivative is; this module decides *when* they run: backward
walks the nodes that `record()` left, from the output towards the leaves, newest first,
without recursion, and stores what reaches each variable in its `.grad`.
"""
from __future__ import annotations

import heapq
import threading

import numpy

from . import backend
from .core import Tensor, _wrap, tensor
from .debugging import AnomalyError, allow_nonfinite, detect_anomaly, explain_grad
from .errors import DeviceError, GraphError, ShapeError
from .graph import Step, Tape, is_recording, pause, record, state
from .ops.conversion import cast  # a dtype change, as an op
from .ops.indexing import inputs_as_recorded  # a node's inputs as recorded, before `t[i] = v`
from .ops.shapes import sum_to  # sums a gradient back down to a shape (undoes broadcasting)
from .ops.tangents import carry  # a gradient copied outside the ops keeps its tangents
from .stepper import step_backward

__all__ = ["AnomalyError", "Step", "Tape", "allow_nonfinite", "backward", "detect_anomaly",
           "explain_grad", "grad", "is_recording", "is_training", "pause", "predict_mode",
           "record", "saved_tensors", "set_recording", "set_training", "step_backward",
           "trace_backward", "train_mode"]

# ---- the backward walk ----


def _freed_error(node) -> GraphError:
    return GraphError(
        f"backward through '{node.name}' (output shape {node.out_shape}) a second "
        "time: its saved values were freed by the first backward. Pass "
        "retain_graph=True to the first backward to differentiate twice")


def _check_versions(node, out):
    """Refuse to use a saved tensor that was changed in place after it was recorded.

    Returns the node's inputs as they were when it ran: `t[i] = v` inside record() gives t
    a new history (Tensor.__setitem__), and a consumer of the old t sends its gradient there:

        t = x * 3        # a recorded result: t._node is A
        y = t + 1        # node B records t (add reads no values: t may change afterwards)
        t[0] = 5.0       # node S, after B: t takes S's output and history, version + 1
        # B's input t now has t._node is S, newer than B: S.op.replaced(S) is t as A made it

    Updates can chain (t[0] = 5; t[1] = 6): before_replacements walks back, always to an
    older node, to the first tensor whose node is not newer than this one, or to a leaf.
    """
    inputs = inputs_as_recorded(node, node.inputs, "its gradient")
    if node.op.saves_output and out._vc[0] != 0:
        raise GraphError(
            f"the output (shape {out.shape}) of '{node.name}' was modified in place (directly "
            "or through a tensor sharing its memory: a view, detach()), but its backward needs "
            "the original value: compute a new tensor instead, or modify it after backward")
    return inputs


def _walk(heads, seeds, retain_graph, create_graph, wanted=None):
    """Send gradients from `heads` back to the leaves; return {id(leaf): [leaf, grad]}.

    `wanted`, when given, maps id(tensor) -> tensor for `grad()`: gradients of those are
    collected (intermediate tensors included) instead of leaves' `.grad` being touched.
    Nodes run newest first (a heap keyed by creation order), so each runs only after every
    node that consumed its output has added its share of the gradient.
    """
    pending = {}     # node -> [its output tensor, gradient summed so far]
    leaves = {}      # id(leaf or wanted tensor) -> [tensor, gradient summed so far]
    heap = []
    # A shortcut for a chain of ops, where one node at a time waits: `top` holds it instead
    # of the heap (docs/performance.md). Invariant: when top is set, it is the only waiting
    # node and the heap is empty; a second waiting node moves top into the heap first.
    top = None
    trace = state.trace
    push, pop = heapq.heappush, heapq.heappop
    last = float("inf")  # the seq of the node that ran last (with retain_graph)

    saved = state.recording
    state.recording = create_graph     # record the backward rules only for create_graph
    try:
        # The heads are delivered exactly like the gradients a node sends to its inputs.
        inputs, grads = heads, seeds
        while True:
            # ---- deliver each gradient to its input: a leaf gathers it, a node waits ----
            for x, g in zip(inputs, grads):
                if g is None:       # every rule sends None exactly where none is wanted
                    continue
                if g.data.shape != x.data.shape:
                    g = sum_to(g, x.data.shape)     # undo broadcasting: the only place it is done
                if g.data.dtype is not x.data.dtype and g.data.dtype != x.data.dtype:
                    g = cast(g, x.data.dtype)       # a gradient has its tensor's dtype
                node = x._node
                if node is None:
                    entry = leaves.get(id(x))
                    if entry is None:
                        leaves[id(x)] = [x, g]
                    else:
                        entry[1] = entry[1] + g
                else:
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
            # ---- take the newest waiting node and run its backward rule ----
            if top is not None:
                node, top = top, None
            elif heap:
                node = pop(heap)[1]
            else:
                break
            if retain_graph:    # each runs once, newest first (or finds its inputs freed)
                if node.seq >= last:
                    raise GraphError(f"backward reached '{node.name}' twice: an in-place "
                                     "update broke a tensor's history into a cycle")
                last = node.seq
            out, g = pending.pop(node)
            # A recorded result's own gradient is kept too when it is a variable (attach_grad
            # on a result) for backward(), or one of the tensors asked for by grad().
            result_gradient_kept = (out._req is not None) if wanted is None else (id(out) in wanted)
            if result_gradient_kept:
                leaves[id(out)] = [out, g]
            inputs = node.inputs
            if inputs is None:
                raise _freed_error(node)
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
            if trace is not None:
                trace.append(Step(node, g, grads))
            if not retain_graph:
                node.inputs = None      # frees the saved tensors (the local keeps them a moment)
    finally:
        state.recording = saved
    return leaves


# ---- backward and grad: the walk, seeded, and what is done with its result ----

_ndarray = numpy.ndarray


def _ones_like(d):
    """Ones of d's shape and dtype."""
    ones = backend.xp_of(d).empty(d.shape, d.dtype)
    ones.fill(1)
    return ones


def _walk_where(heads, *walk_args):
    """_walk(heads, *walk_args), run on the heads' GPU when it is not CuPy's current one.

    Each op a backward rule applies runs on its inputs' device already; this makes the array
    code of the rules (masks, zeros) run there too. A graph that crosses GPUs (through .to())
    reaches its other GPU only through ops."""
    return backend.on_its_device(_walk, heads[0].data, heads, *walk_args)


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
        if not h.requires_grad:
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
            if type(d) is _ndarray:
                hg = numpy.empty(d.shape, d.dtype)
                hg.fill(1)      # empty + fill: two C calls where numpy.ones runs Python code
            else:               # ones on the head's device, which need not be the current GPU
                hg = backend.on_its_device(_ones_like, d, d)
            hg = _wrap(hg)
        else:
            if isinstance(hg, Tensor) or backend.is_array(hg):
                where = backend.device_of(hg.data if isinstance(hg, Tensor) else hg)
                if where != h.device:
                    raise DeviceError(
                        f"head_grad for head {i} is on {where}, but the head is on {h.device}: "
                        f"move it first, e.g. head_grad.to('{h.device}')")
            if not isinstance(hg, Tensor):
                hg = tensor(hg, dtype=h.dtype, device=h.device)
            if hg.shape != h.shape:
                raise ShapeError(f"head_grad for head {i} has shape {hg.shape}, but the head "
                                 f"has shape {h.shape}: pass a gradient of the head's shape")
        seeds.append(hg)
    return seeds


# Threads may backpropagate into one shared variable (Hogwild-style); NumPy releases the GIL
# inside a large `+=`, so storing into `.grad` is serialized or a thread's sum is lost.
_grad_lock = threading.Lock()


def backward(heads, head_grads=None, retain_graph=False, create_graph=False) -> None:
    """Accumulate d(heads)/d(leaf) into every leaf variable's `.grad`.

    A non-scalar head without a head_grad is treated as its sum. `create_graph=True` records
    the backward pass so the gradients can be differentiated again (it implies retain_graph).
    """
    heads = _as_list(heads)
    seeds = _head_grads(heads, head_grads)
    retain = retain_graph or create_graph
    # on the heads' GPU, which need not be CuPy's current one (see _walk_where)
    leaves = _walk(heads, seeds, retain, create_graph) if type(heads[0].data) is _ndarray \
        else _walk_where(heads, seeds, retain, create_graph)
    with _grad_lock:
        for x, g in leaves.values():
            if type(g.data) is _ndarray:
                _store_grad(x, g, create_graph)
            else:           # on the leaf's GPU, which need not be CuPy's current one
                backend.on_its_device(_store_grad, g.data, x, g, create_graph)


class _recording_as:
    """Set recording on or off for the duration of a block (storing a create_graph `.grad`)."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        self._saved = state.recording
        state.recording = self.on

    def __exit__(self, *exc):
        state.recording = self._saved
        return False


def _store_grad(x, g, create_graph):
    """Write or add one pass's gradient into a leaf's `.grad`, as its grad_req says.

    Writes `_grad`, not `.grad`: the checks of the `.grad` setter hold here by construction
    (the walk gives each gradient its tensor's shape and dtype) and would cost every step.
    """
    req = x._req
    if req is None:
        return
    held = x._grad
    if create_graph:      # keep the graph: the gradient must stay a recorded Tensor
        if g.is_leaf:                   # nothing recorded it (a view of the seed): own a copy
            g = _wrap(g.data.copy())
        if req == "write" or held is None:
            x._grad = g
        else:
            with _recording_as(True):   # backward may run outside record(): record the sum
                x._grad = held + g
    elif held is None or held.data.shape != g.data.shape:
        x._grad = _wrap(g.data.copy())    # a copy: two leaves may share one gradient
    elif not held.is_leaf:              # a create_graph gradient is on a graph: never mutate it
        x._grad = _wrap(g.data.copy()) if req == "write" else _wrap(held.data + g.data)
    elif req == "write":
        held.data[...] = g.data                 # in place, as MXNet: a held `.grad` sees it
        held._bump_version()
    else:
        held.data += g.data
        held._bump_version()


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
        if not v.requires_grad:
            raise GraphError(
                f"a variable of shape {v.shape} needs no gradient: call .attach_grad() on it "
                "(or create it with requires_grad=True) before recording")
    seeds = _head_grads(heads, head_grads)
    if retain_graph is None:
        retain_graph = create_graph
    wanted = {id(v): v for v in variables}
    found = _walk_where(heads, seeds, retain_graph or create_graph, create_graph, wanted)
    result = []
    seen = {id(_memory_root(s.data)) for s in seeds}    # the caller's head_grads stay theirs
    for v in variables:
        entry = found.get(id(v))
        if entry is None:
            result.append(_wrap(backend.zeros_like(v.data)))
            continue
        g = entry[1]
        if not create_graph:    # hand out arrays the caller may modify without side effects
            root = id(_memory_root(g.data))
            if root in seen or not _writeable(g.data):
                g = carry(g, _wrap(backend.copy(g.data)))   # a tangent of g stays with it
                root = id(g.data)
            seen.add(root)
        result.append(g)
    return result


def walked_gradient(head, variable):
    """d(head)/d(variable) as the walk leaves it (None: head does not depend on it).

    For a transform that reads only the gradient's tangent (functional.hvp): grad() without
    its checks of the variables and without the copy that lets a caller modify the result.
    """
    found = _walk_where([head], _head_grads([head], None), False, False,
                        {id(variable): variable})
    entry = found.get(id(variable))
    return None if entry is None else entry[1]


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


# ---- watching backward, and what it will need ----


def saved_tensors(tape: Tape):
    """The ledger of `tape`: each tensor its nodes keep for backward, with shape, bytes and
    what shares its memory (ledger.py); `print()` it for a table."""
    from .ledger import saved_tensors as ledger  # noqa: PLC0415 - not needed by the walk

    return ledger(tape)


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

        self._saved = state.trace
        self.steps = BackwardTrace(self.tape)
        state.trace = self.steps
        return self.steps

    def __exit__(self, *exc):
        state.trace = self._saved
        return False


# ---- MXNet's mode switches, for code ported from it ----


def is_training() -> bool:
    """The train_mode of the innermost record() or pause() block (False outside both).

    As in MXNet: `record(train_mode=False)` records in predict mode, and `pause(train_mode=True)`
    stops recording but stays in train mode. No microgradnd op behaves differently.
    """
    return state.training


class train_mode:
    """`with autograd.train_mode():` — is_training() is True inside; recording is unchanged."""

    _mode = True

    def __enter__(self):
        self._saved = state.training
        state.training = self._mode

    def __exit__(self, *exc):
        state.training = self._saved
        return False


class predict_mode(train_mode):
    """`with autograd.predict_mode():` — is_training() is False inside; recording unchanged."""

    _mode = False


def set_recording(is_recording: bool) -> bool:
    """Turn recording on or off without a block (MXNet); returns the previous state.

    Prefer `with record():` / `with pause():`, which restore the state even on an error.
    """
    previous, state.recording = state.recording, bool(is_recording)
    return previous


def set_training(train_mode: bool) -> bool:
    """Set what is_training() says (MXNet); returns the previous state."""
    previous, state.training = state.training, bool(train_mode)
    return previous
