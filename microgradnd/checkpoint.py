"""`mg.checkpoint(fn, *args)`: trade compute for memory by recomputing a block in backward.

Recorded normally, every op inside fn leaves a node that keeps its inputs until backward
(the ledger, `print(tape)`, shows them). Checkpointed, fn runs with recording paused and
one node stands for the whole block: it keeps only the block's inputs. Its backward rule
runs fn again, this time recorded, and differentiates that with `autograd.grad`, seeded with
the gradient arriving at the block. So the block's insides live only while its own backward
runs: for a deep network cut into blocks, the peak holds one block's insides instead of all.

The gradients are the same as without the checkpoint, to any order: when the outer backward
records itself (create_graph=True), so does the recomputation and its gradient, and they are
connected to the block's inputs through Alias nodes (functional.py). fn must compute the same
thing twice: the random state (NumPy's global generator) and the train/predict mode are saved
at the first run and restored for the second, as PyTorch's checkpoint does (preserve_rng_state).
"""
from __future__ import annotations

import numpy

from . import functional
from .core import Tensor, _wrap
from .errors import GraphError
from .graph import Tape, pause, state
from .ops import tangents
from .ops.apply import Op, record_node, requires_grad

__all__ = ["Block", "Checkpoint", "checkpoint"]


class Block:
    """What a checkpoint node remembers to run fn again: fn, its non-tensor arguments, where
    its tensors go, and the random state and train mode of the first run. `recomputed` is
    the last recomputation when a backward trace watched it (a BackwardTrace), else None."""

    def __init__(self, fn, args, kwargs, positions, rng_state, training):
        self.fn = fn
        self.args = args            # fn's positional arguments, None where a tensor goes
        self.kwargs = kwargs
        self.positions = positions  # the positions of the tensor arguments, in order
        self.rng_state = rng_state
        self.training = training
        self.recomputed = None

    def call(self, tensors):
        """fn with the tensors put back in their places."""
        args = list(self.args)
        for i, t in zip(self.positions, tensors):
            args[i] = t
        return self.fn(*args, **self.kwargs)

    def __repr__(self) -> str:
        return f"<checkpoint of {getattr(self.fn, '__name__', 'fn')}>"


class _replay:
    """Recording on, onto `tape`, with the first run's random state and train mode; on exit,
    everything as it was (the random state too: the recomputation draws nothing new)."""

    def __init__(self, block: Block, tape: Tape):
        self.block, self.tape = block, tape

    def __enter__(self):
        self._saved = (state.recording, state.tape, state.training, numpy.random.get_state())
        numpy.random.set_state(self.block.rng_state)
        state.recording, state.tape, state.training = True, self.tape, self.block.training

    def __exit__(self, *exc):
        state.recording, state.tape, state.training, rng = self._saved
        numpy.random.set_state(rng)
        return False


class Checkpoint(Op):
    """One node for a whole block: keeps the block's inputs, recomputes the rest in backward."""

    name = "checkpoint"
    rule = "grad_inputs = autograd.grad(fn(*inputs), inputs, g), fn re-run recorded"

    @staticmethod
    def backward(node, out, g):
        from .stepper import _Nodes  # noqa: PLC0415 - a node list that also feeds an outer tape

        (block,) = node.args
        create_graph = state.recording      # the outer walk records its rules: so do we
        walls = []
        stand_ins = [functional._variable(x, i, create_graph, walls) if want else x
                     for i, (x, want) in enumerate(zip(node.inputs, node.requires_grad))]
        tape = Tape()       # the recomputed nodes; also on the outer tape when create_graph
        tape.nodes = _Nodes(state.tape if create_graph else None)
        with _replay(block, tape):
            again = block.call(stand_ins)
        wanted = [x for x, want in zip(stand_ins, node.requires_grad) if want]
        outer_trace, inner = state.trace, None
        if outer_trace is not None:     # someone watches backward: keep the inner steps
            from .display import BackwardTrace  # noqa: PLC0415

            inner = state.trace = BackwardTrace(tape)
        try:
            grads = iter(functional._differentiate([again], wanted, [g], create_graph))
        finally:
            state.trace = outer_trace
        functional._open_walls(walls)
        block.recomputed = inner
        return tuple(next(grads) if want else None for want in node.requires_grad)

    @staticmethod
    def inner_trace(node):
        """The traced backward of the block's last recomputation (None when none watched)."""
        return node.args[0].recomputed


def checkpoint(fn, *args, **kwargs):
    """fn(*args, **kwargs), recorded as one node that recomputes fn during backward.

    Use it to cut the memory a deep model keeps for backward: the tensors inside fn are
    freed as soon as fn returns, and made again, one block at a time, while backward runs.
    fn must return one Tensor and compute it from its arguments alone (tensors it reads
    from elsewhere, such as a closure's weights, get no gradient: pass them as arguments).
    Outside record(), when no argument needs a gradient, or when an argument carries a
    forward-mode tangent (inside mg.jvp), it is just fn(*args).
    """
    for key, value in kwargs.items():
        if requires_grad(value):
            raise TypeError(f"checkpoint: the keyword argument {key}= is a tensor that needs a "
                            "gradient; pass it positionally, so the checkpoint keeps it and "
                            "sends it its gradient")
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
    tensors = tuple(args[i] for i in positions)
    if not (state.recording and any(requires_grad(t) for t in tensors)):
        return fn(*args, **kwargs)
    if any(tangents.has_tangent(t) for t in tensors):
        # forward mode in flight (mg.jvp): its tangents are computed, and recorded for
        # reverse over forward, by fn's own ops, so fn runs plainly (kept, not recomputed)
        return fn(*args, **kwargs)
    rng_state, training = numpy.random.get_state(), state.training
    with pause(train_mode=training):
        out = fn(*args, **kwargs)
    if not isinstance(out, Tensor):
        raise TypeError(f"checkpoint needs fn to return one Tensor, but it returned "
                        f"{type(out).__name__}: checkpoint a function of one result (or "
                        "one checkpoint per result)")
    if out.data.dtype.kind not in "fc":
        raise GraphError(f"checkpoint: fn returned a tensor of dtype {out.dtype}, which "
                         "carries no gradient; return a floating-point result")
    out = _wrap(out.data)       # a fresh result for the node, even when fn returned an input
    plain = [None if isinstance(a, Tensor) else a for a in args]
    record_node(Checkpoint, out, tensors,
                (Block(fn, plain, kwargs, positions, rng_state, training),))
    return out
