"""Forward mode's machinery: the levels that are open, the tangents tensors carry, and how an
op's forward rule (`jvp`) pushes them from its inputs to its output.

Read this after apply.py, which opens levels (`dual_level`) and calls `push` while one is
open. A tangent lives on the Tensor it belongs to (`_tan`, a dict from level tag to tangent
Tensor, left unset until forward mode touches the tensor), so reverse mode pays nothing for it.
"""
from __future__ import annotations

from typing import NamedTuple

from .. import backend, core
from ..graph import state

__all__ = []    # used as tangents.<name>

# ---- reading and writing a tensor's tangents ----


def get_tangent(x, level: int):
    """x's tangent at `level`, or None, which means zero (always so for a Python scalar)."""
    tans = getattr(x, "_tan", None)
    return None if tans is None else tans.get(level)


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


# ---- pushing tangents through an op ----


def push(op, out, inputs, args) -> None:
    """Give `out` its tangent at each open level where an input has one, by `op.jvp`.

    The rule for a level runs with only the levels outside it open: an inner tangent may then
    carry an outer level's tangent (a mixed second derivative), never the other way round,
    and the tangent of a level never picks up a tangent at its own level.
    """
    # Set even when no tangent comes: reading an unset slot raises (and getattr catches) an
    # AttributeError, which costs far more than the attribute itself.
    out._tan = found = {}
    levels = state.levels
    for i, level in enumerate(levels):
        tangents, any_tangent = [], False
        for x in inputs:
            tans = getattr(x, "_tan", None)
            t = tans.get(level) if tans else None
            if t is not None:
                any_tangent = True
            tangents.append(t)
        if not any_tangent:
            continue
        state.levels = levels[:i]
        try:
            with backend.on_device_of(out.data):    # out's GPU, which need not be current
                t = op.jvp(inputs, args, out, tangents)
            if t is not None:
                found[level] = fit(t, out)
        finally:
            state.levels = levels


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
