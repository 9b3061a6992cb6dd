"""Forward mode's machinery: the levels that are open, the tangents tensors carry, and how an
op's forward rule (`jvp`) pushes them from its inputs to its output.

Read this after apply.py, which opens levels (`dual_level`) and calls `push` while one is
open. A tangent lives on the Tensor it belongs to (`_tan`, a dict from level tag to tangent
Tensor, left unset until forward mode touches the tensor), so reverse mode pays nothing for it.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy

from .. import backend, core
from ..graph import state

__all__ = []    # used as tangents.<name>

_ndarray = numpy.ndarray

# ---- reading and writing a tensor's tangents ----


def _entry(x, level: int):
    """What x holds at `level`: a tangent, a Deferred one, or None."""
    tans = getattr(x, "_tan", None)
    return tans.get(level) if tans else None


def get_tangent(x, level: int):
    """x's tangent at `level`, or None, which means zero (always so for a Python scalar).

    A deferred tangent (below) is computed now."""
    t = _entry(x, level)
    if type(t) is Deferred:
        resolve(x, level)
        t = _entry(x, level)
    return t


def set_tangent(x, level: int, t) -> None:
    """Give x the tangent t at `level`."""
    tans = getattr(x, "_tan", None)
    if tans is None:
        x._tan = {level: t}
    else:
        tans[level] = t


def carry(src, dst):
    """dst, a copy of src's values made outside the ops, with src's tangents (which it shares)."""
    tans = getattr(src, "_tan", None)
    if tans:
        dst._tan = dict(tans)
    return dst


def has_tangent(x) -> bool:
    """Does x carry a tangent at an open level of this thread?"""
    tans = getattr(x, "_tan", None)
    return bool(tans) and any(level in tans for level in state.levels)


def fit(t, like):
    """A rule's tangent in the shape and dtype of its output `like` (broadcasting done once
    here, as the backward walk undoes it once for gradients)."""
    data, want = t.data, like.data
    if data.shape != want.shape:
        t = core.ops.broadcast_to(t, want.shape)
    if data.dtype != want.dtype:
        t = core.ops.cast(t, want.dtype)
    return t


# ---- tangents computed only when read ----

# level tag -> the tape that was recording when the level opened (dual_level keeps it): a
# different tape now means a record() began inside the level, on a tape of its own
tape_at_open = {}


class Deferred:
    """A tangent not computed yet: the recorded op that will compute it when it is read.

    Forward over reverse (`hvp`, `hessian`) pushes tangents through f's forward pass, but the
    backward pass reads only a few of them (x and A·x in ½xᵀAx: not the tangent of f itself,
    nor of x⁴). A recorded op's node holds its inputs anyway, so its tangent can wait, and
    most are never computed (W5: 10 of 11 forward rules skipped). `push` defers only where
    that changes nothing: one level open, and the op recorded on a tape that began inside it
    (the tangent's own ops then need no recording, and the rule runs later exactly as now).
    """

    __slots__ = ("node", "inputs")

    def __init__(self, node, inputs):
        self.node = node
        self.inputs = inputs    # the node's, kept here: backward frees node.inputs

    def __repr__(self) -> str:
        return f"<tangent of '{self.node.name}', computed when read>"


def resolve(x, level: int) -> None:
    """Compute x's deferred tangent at `level`, and first those it reads (a loop, no recursion:
    a chain of deferred tangents is as long as the forward pass)."""
    saved = state.levels, state.recording
    state.levels, state.recording = (), False       # as push ran the rule: see Deferred
    try:
        stack = [x]
        while stack:
            y = stack[-1]
            d = y._tan.get(level)
            if type(d) is not Deferred:
                stack.pop()
                continue
            waiting = [z for z in d.inputs if type(_entry(z, level)) is Deferred]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            node = d.node
            inputs = core.ops.inputs_as_recorded(node, d.inputs, "its tangent")
            ts = [_entry(z, level) for z in inputs]
            t = None
            if any(t is not None for t in ts):
                t = backend.on_its_device(node.op.jvp, y.data, inputs, node.args, y, ts)
            if t is None:
                del y._tan[level]               # zero
            else:
                y._tan[level] = fit(t, y)
    finally:
        state.levels, state.recording = saved


# ---- pushing tangents through an op ----


def push(op, out, inputs, args) -> None:
    """Give `out` its tangent at each open level where an input has one, by `op.jvp`.

    The rule for a level runs with only the levels outside it open: an inner tangent may then
    carry an outer level's tangent (a mixed second derivative), never the other way round,
    and the tangent of a level never picks up a tangent at its own level.
    """
    out._tan = None
    levels = state.levels
    if len(levels) > 1:
        _push_nested(op, out, inputs, args, levels)
        return
    # One level open (jvp, hvp, jacfwd): the same steps as _push_nested's, spelled out for it
    # (about a third of a push's cost; W5 pushes 18 times per HVP).
    level = levels[0]
    if out._node is not None and state.tape is not tape_at_open[level]:
        # recorded on a tape that began inside the only level: wait until read (see Deferred)
        for x in inputs:
            tans = getattr(x, "_tan", None)     # None on a Python scalar too
            if tans and tans.get(level) is not None:
                out._tan = {level: Deferred(out._node, inputs)}
                return
        return
    tangents, moving = [], False
    for x in inputs:
        tans = getattr(x, "_tan", None)
        t = tans.get(level) if tans else None
        if type(t) is Deferred:
            t = get_tangent(x, level)       # a rule reads it now: compute it
        if t is not None:
            moving = True
        tangents.append(t)
    if not moving:
        return          # nothing moves (a constant, a Python scalar): the tangent is zero
    state.levels = ()
    try:
        t = (op.jvp(inputs, args, out, tangents) if type(out.data) is _ndarray
             else backend.on_its_device(op.jvp, out.data, inputs, args, out, tangents))
    finally:
        state.levels = levels
    if t is not None:
        if t.data.shape != out.data.shape or t.data.dtype != out.data.dtype:
            t = fit(t, out)     # (the test, inlined: most tangents fit already)
        out._tan = {level: t}


def _push_nested(op, out, inputs, args, levels) -> None:
    """push() with several levels open: each level's rule runs with the levels outside it."""
    for i, level in enumerate(levels):
        tangents, moving = [], False
        for x in inputs:
            tans = getattr(x, "_tan", None)
            t = tans.get(level) if tans else None
            if t is not None:
                if type(t) is Deferred:
                    t = get_tangent(x, level)       # a rule reads it now: compute it
                moving = moving or t is not None
            tangents.append(t)
        if not moving:
            continue            # nothing moves at this level (a Python scalar, a constant)
        state.levels = levels[:i]
        try:
            # on out's GPU, which need not be current (a NumPy array: the plain call)
            t = backend.on_its_device(op.jvp, out.data, inputs, args, out, tangents)
        finally:
            state.levels = levels
        if t is not None:
            set_tangent(out, level, fit(t, out))


# ---- helpers for the rules ----


def tangent_sum(*terms):
    """The sum of the terms that are not None (zero tangents); None when all are."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


# ---- elementwise ops: the forward rule is the backward rule ----


class Call(NamedTuple):
    """What a backward rule reads from its Node, for an op applied outside recording."""

    inputs: tuple
    args: tuple
    requires_grad: tuple


def through_backward(op, inputs, args, out, tangents):
    """The forward rule of an elementwise op, from its backward rule.

    An elementwise op's Jacobian with respect to each input is diagonal, so it is its own
    transpose: pushing a tangent forward is pulling it back, one input at a time.
    """
    total = None
    for i, t in enumerate(tangents):
        if t is None:
            continue
        wants = tuple(j == i for j in range(len(inputs)))
        part = op.backward(Call(inputs, args, wants), out, t)[i]
        if part is not None:
            total = part if total is None else total + part
    return total
