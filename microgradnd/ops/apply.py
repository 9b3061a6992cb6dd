"""Applying an op: run its forward rule on arrays, and while recording leave a Node behind.

Read this second, after graph.py. An op is a class with a `forward` rule (arrays in, an array
out), a `backward` rule (the output's gradient in, one gradient per input out) and a `jvp`
rule (one tangent per input in, the output's tangent out), both written in Tensor operations
so that they compose with each other and with themselves. `unary` and `binary` apply one; the
families (arithmetic.py, elementwise.py, ...) define the ops; tangents.py is forward mode.
"""
from __future__ import annotations

import itertools
import threading

import numpy

from .. import backend, core
from ..errors import DeviceError, shape_error
from ..graph import UNCHANGED, Node, state
from . import tangents

__all__ = ["Op", "as_constant", "binary", "dual_level", "operand_data", "record_node",
           "requires_grad", "unary"]

_ndarray = numpy.ndarray
_new = object.__new__


class Op:
    """A primitive: each subclass defines its `forward` and `backward` rules as below."""

    name = "op"
    rule = ""      # backward in words, for autograd.step_backward: "grad_a = g * b", ...

    @staticmethod
    def forward(*arrays_then_args):
        """The input arrays, then the non-tensor arguments -> the output array."""
        raise NotImplementedError

    @staticmethod
    def backward(node, out, g):
        """g, the output's gradient -> one gradient per input (Tensors, written with Tensor
        ops so that recording them gives second derivatives): None exactly for the inputs
        that want none (node.requires_grad). The walk sends on every gradient that is not
        None, so a Python scalar input must get None."""
        raise NotImplementedError

    # True when backward uses the output (then it must stay unmodified); otherwise backward
    # gets out=None, so the output's memory can go before its backward runs.
    saves_output = False
    # False when backward never reads the inputs' values (only shapes): changing an input in
    # place after recording then does no harm, and backward does not refuse it (as PyTorch).
    reads_inputs = True
    # Where a user meets the op; registry.py derives everything that lists ops from these.
    function = None     # the name of the function in ops/ that applies it; None: `name`
    method = None       # the Tensor method that calls that function (`t.exp()`), if any
    numpy_twin = None   # NumPy's name for it (`numpy.exp(t)`, `np.exp(x)`), if NumPy has one
    torch_twin = None   # PyTorch's (`torch.exp`), compared with in tests/test_torch_ops.py

    @classmethod
    def jvp(cls, inputs, args, out, tangents):
        """The output's tangent, given one tangent per input (None: zero); forward mode."""
        raise NotImplementedError(f"the op '{cls.name}' has no forward rule: give its class a "
                                  "jvp(inputs, args, out, tangents) beside its backward rule "
                                  "(docs/adding-an-op.md)")

    @staticmethod
    def replaced(node):
        """The tensor whose place this node's output took in place, if any (see SetItem)."""
        return None

    @classmethod
    def shape_error(cls, a, b, e: ValueError) -> ValueError:
        """The error to raise when forward(a, b) raised e (built only on failure): a
        ShapeError naming both shapes when they do not broadcast, else NumPy's own complaint
        (an int ** a negative int)."""
        return core.broadcast_error(cls.name, (a, b), e)


def requires_grad(x) -> bool:
    """Does x enter a new recording as something that wants a gradient?

    A variable does, and so does a result recorded from one, unless a backward without
    retain_graph has freed its graph already: then, as in MXNet, x is a constant from now on
    (the book's RNNs carry their hidden state across minibatches that way).
    """
    return isinstance(x, core.Tensor) and (
        x._req is not None or (x._node is not None and x._node.inputs is not None))


def record_node(op, out, inputs, args) -> None:
    """Attach a Node to `out` (a fresh result of `op` on `inputs`) and put it on the tape."""
    out._node = node = Node(
        op, inputs, args, tuple(requires_grad(x) for x in inputs),
        tuple(x._vc[0] if isinstance(x, core.Tensor) else None for x in inputs), out.data)
    tape = state.tape
    if tape is not None:
        tape.nodes.append(node)


# ---- forward mode: levels of tangents ----

# Forward levels open in all threads together: unary()'s and binary()'s one test, a plain global
# (another thread's level only costs this thread a look at its own, empty, `state.levels`).
open_levels = 0
_lock = threading.Lock()
_tags = itertools.count(1)      # never reused: a closed level's tangents stay dead


class dual_level:
    """`with dual_level() as level:` — open a forward level, the tag of one jvp's tangents.

    Levels nest, each with its own tag: an inner jvp's tangent never mixes with an outer one's
    (perturbation confusion), and a closed level's tangents are ignored everywhere."""

    def __enter__(self) -> int:
        global open_levels
        self.tag, self._saved = next(_tags), state.levels
        state.levels = self._saved + (self.tag,)
        tangents.tape_at_open[self.tag] = state.tape
        with _lock:
            open_levels += 1
        return self.tag

    def __exit__(self, *exc):
        global open_levels
        state.levels = self._saved
        del tangents.tape_at_open[self.tag]
        with _lock:
            open_levels -= 1
        return False


# ---- operands that are not Tensors ----


def as_constant(x, like):
    """A non-Tensor operand (array, list, scalar) as a constant Tensor on like's device."""
    if backend.is_array(x) and not backend.same_memory(backend.device_of(x), like.device):
        raise DeviceError(f"an array on {backend.device_of(x)} was combined with a tensor on "
                          f"{like.device}: move one of them first")
    return core.tensor(x, device=like.device)


def _operands(a, b):
    """The slow path of binary(): a non-Tensor, non-scalar operand becomes a constant Tensor."""
    if isinstance(a, core.Tensor):
        if not isinstance(b, (core.Tensor, int, float)):
            b = as_constant(b, a)
    elif not isinstance(a, (int, float)):
        a = as_constant(a, b)
    return a, b


def operand_data(x, like):
    """The array (or Python scalar) behind an operand of an op with the tensor `like`."""
    if isinstance(x, core.Tensor):
        if type(x.data) is not type(like.data) or type(x.data) is not _ndarray:
            core.check_same_device(like.data, x.data, "comparison or update")
        return x.data
    if isinstance(x, (int, float, bool)):
        return x
    return as_constant(x, like).data


# ---- operands that are not NumPy arrays ----


def _binary_forward(op, ad, bd, a_is_tensor: bool, b_is_tensor: bool):
    """binary()'s forward for a GPU array (or one labelled cpu(i)): devices checked, CuPy 13's
    scalar promotion undone, run on the tensor operand's device (backend.on_its_device)."""
    if a_is_tensor and b_is_tensor:
        core.check_same_device(ad, bd, op.name)
    elif backend.legacy_scalars:        # CuPy 13 promotes a Python scalar by its value
        ad, bd = backend.weak_scalars(ad, bd)
    return backend.on_its_device(op.forward, ad if a_is_tensor else bd, ad, bd)


# ---- applying an op ----

_ONE_INPUT = (True,)    # every unary node's requires_grad: one shared tuple, none made per op


def unary(op, x, *args):
    """Run a one-input op; record it when recording and x requires a gradient."""
    try:    # a NumPy array (an exact type test) here; any other on its own device
        out = core._wrap(op.forward(x.data, *args) if type(x.data) is _ndarray
                         else backend.on_its_device(op.forward, x.data, x.data, *args))
    except ValueError as e:
        raise shape_error(f"{op.name} of a tensor of shape {x.shape}: {e}", e) from None
    # requires_grad(x), inlined: this runs once per op
    if state.recording and (x._req is not None or (
            x._node is not None and x._node.inputs is not None)):
        out._node = node = Node(op, (x,), args, _ONE_INPUT, (x._vc[0],), out.data)
        tape = state.tape
        if tape is not None:
            tape.nodes.append(node)
    # forward mode: one global read while it is off (and the thread's levels while it is on)
    if open_levels and state.levels:
        tangents.push(op, out, (x,), args)
    return out


def binary(op, a, b):
    """Run a two-input op; either input may be a Python scalar, which keeps the tensor's dtype."""
    Tensor = core.Tensor
    ta, tb = type(a), type(b)
    # Exact type tests are the cheapest check (docs/performance.md); arrays, lists, bools and
    # subclasses take the slow path, which turns arrays and lists into constant Tensors.
    if not ((ta is Tensor or ta is float or ta is int)
            and (tb is Tensor or tb is float or tb is int)):
        a, b = _operands(a, b)
        ta = Tensor if isinstance(a, Tensor) else type(a)     # a subclass is a Tensor below
        tb = Tensor if isinstance(b, Tensor) else type(b)
    ad = a.data if ta is Tensor else a
    bd = b.data if tb is Tensor else b
    try:    # NumPy arrays and Python scalars (exact type tests) here; others: _binary_forward
        if (ta is not Tensor or type(ad) is _ndarray) and (
                tb is not Tensor or type(bd) is _ndarray):
            # core._wrap(op.forward(ad, bd)) inlined: a call fewer per op (W1: 1.2% a step)
            data = op.forward(ad, bd)
            if type(data) is not _ndarray:
                data = numpy.asarray(data)      # NumPy makes 0-d results scalars
            out = _new(Tensor)
            out.data = data
            out._grad = out._node = out._req = None
            out._vc = UNCHANGED
        else:
            out = core._wrap(_binary_forward(op, ad, bd, ta is Tensor, tb is Tensor))
    except ValueError as e:
        raise op.shape_error(ad, bd, e) from None
    if state.recording:
        # record_node() and requires_grad() inlined for two inputs: the hottest lines of training
        ra = ta is Tensor and (a._req is not None or (
            a._node is not None and a._node.inputs is not None))
        rb = tb is Tensor and (b._req is not None or (
            b._node is not None and b._node.inputs is not None))
        if ra or rb:
            out._node = node = Node(op, (a, b), (), (ra, rb),
                                    (a._vc[0] if ta is Tensor else None,
                                     b._vc[0] if tb is Tensor else None), out.data)
            tape = state.tape
            if tape is not None:
                tape.nodes.append(node)
    if open_levels and state.levels:      # forward mode, as in unary()
        tangents.push(op, out, (a, b), ())
    return out
