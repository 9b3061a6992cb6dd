"""Functional transforms (API §3): `grad`, `value_and_grad`, `hessian` and `hvp`.

Each one takes a function and differentiates it on a tape of its own, so it works with or
without an enclosing `autograd.record()` and never touches anyone's `.grad`. Nothing here
knows a derivative rule: they all come from ops/ through `autograd.grad`.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy

from . import autograd, backend, ops
from .core import Tensor, _wrap, as_tensor, tensor
from .errors import ShapeError
from .graph import state

# ---- how a transform sees one argument ----


class Wall:
    """Whether an Alias node stops backward (while its own transform runs) or lets it pass."""

    def __init__(self):
        self.closed = True

    def __repr__(self) -> str:
        return "closed" if self.closed else "open"


class Alias(ops.Op):
    """y = x as a recorded step of its own: the point a nested transform differentiates at.

    A transform must differentiate with respect to *this use* of x, not every use (a closure
    may read x too), and its backward pass must stop there instead of walking on through x's
    history. So the node is a wall while its own transform runs (its Wall is closed) and
    becomes a plain identity afterwards, which lets the caller's backward pass through it.
    """

    name = "alias"
    rule = "grad_x = g (none while its own transform runs)"

    @staticmethod
    def forward(x, wall):
        return x

    @staticmethod
    def backward(node, out, g):
        return (None,) if node.args[0].closed else (g,)


def _variable(x, argnum: int, nested: bool, walls: list) -> Tensor:
    """The tensor the transform differentiates with respect to, standing in for argument x.

    Nested (the caller records and x is on its graph): an Alias node, so the gradient stays
    connected to x for the caller's own backward. Otherwise: a fresh leaf sharing x's memory.
    """
    x = as_tensor(x)
    if x.data.dtype.kind not in "fc":
        raise TypeError(f"argument {argnum} has dtype {x.dtype}: only floating-point inputs "
                        "can be differentiated (pass 2.0 rather than 2, or .astype('float32'))")
    if nested and ops.requires_grad(x):     # not a result of a freed graph: on the graph
        wall = Wall()
        walls.append(wall)
        return ops.unary(Alias, x, wall)
    v = _wrap(x.data)
    v._req = "write"     # a variable for autograd.grad; its .grad is never filled
    return v


class _tape:
    """Record f: into the caller's tape when it records, else onto a private one."""

    def __enter__(self):
        self._ctx = None if state.recording else autograd.record()
        if self._ctx is not None:
            self._ctx.__enter__()

    def __exit__(self, *exc):
        if self._ctx is not None:
            self._ctx.__exit__(*exc)
        return False


def _scalar_output(out, name: str) -> Tensor:
    """f's result as a Tensor, which must hold exactly one number."""
    if not isinstance(out, Tensor):
        if not (isinstance(out, (int, float, numpy.generic)) or backend.is_array(out)):
            raise TypeError(f"{name} needs f to return a scalar Tensor, but it returned "
                            f"{type(out).__name__}: return one value, e.g. a loss")
        out = tensor(out)
    if out.size != 1:
        raise ShapeError(f"{name} needs f to return a scalar, but it returned shape "
                         f"{out.shape}: reduce it first (e.g. .sum() or .mean())")
    return out


def _differentiate(heads, variables, head_grads, create_graph):
    """autograd.grad, except that an output that depends on nothing gives zeros."""
    if not any(h.requires_grad for h in heads):
        return [_wrap(v.xp.zeros_like(v.data)) for v in variables]
    return autograd.grad(heads, variables, head_grads=head_grads, create_graph=create_graph)


def _open_walls(walls):
    """After our own backward: let the caller's backward pass through our Alias nodes."""
    for wall in walls:
        wall.closed = False


# ---- the transforms ----


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning (f(*args), ∂f/∂args[argnums]); a tuple argnums gives a tuple.

    Inside `autograd.record()` the results stay on the graph, so they can be differentiated
    again (`grad(grad(f))` is f''); outside, they are plain tensors.
    """
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def value_and_grad_f(*args, **kwargs):
        create_graph = state.recording    # decided before our own tape opens
        args = list(args)
        for i in nums:
            if not -len(args) <= i < len(args):
                raise IndexError(f"argnums={argnums!r} but f was called with {len(args)} "
                                 "positional argument(s)")
        walls = []
        xs = [_variable(args[i], i, create_graph, walls) for i in nums]
        for i, x in zip(nums, xs):
            args[i] = x
        with _tape():
            out = _scalar_output(f(*args, **kwargs), "grad")
        grads = _differentiate([out], xs, None, create_graph)
        _open_walls(walls)
        value = out if create_graph else out.detach()
        return value, (grads[0] if single else tuple(grads))

    value_and_grad_f.__name__ = f"value_and_grad_{getattr(f, '__name__', 'f')}"
    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning ∂f/∂args[argnums] (a tuple for a tuple argnums); composable.

    mg.grad(mg.grad(f)) is f'' for a scalar function f, and so on to any order.
    """
    vg = value_and_grad(f, argnums)

    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]

    grad_f.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return grad_f


def hvp(f: Callable, x, v) -> Tensor:
    """H(x)·v, the Hessian of scalar f at x times v, without forming H.

    One forward pass, one backward pass that records itself (g = ∇f), and one backward pass
    through g with v as its seed: ∂⟨∇f, v⟩/∂x = H·v. Cost: about three gradients.
    """
    create_graph = state.recording
    walls = []
    xv = _variable(x, 0, create_graph, walls)
    v = as_tensor(v, like=xv)
    if v.shape != xv.shape:
        raise ShapeError(f"hvp: v has shape {v.shape} but x has shape {xv.shape}; they must "
                         "match")
    with _tape():
        out = _scalar_output(f(xv), "hvp")
        (g,) = _differentiate([out], [xv], None, create_graph=True)
    (hv,) = _differentiate([g], [xv], [v], create_graph)
    _open_walls(walls)
    return hv


def hessian(f: Callable) -> Callable:
    """A function returning the Hessian of scalar f at x, shaped x.shape + x.shape.

    Row i is the Hessian-vector product with the i-th unit vector: one recorded gradient,
    then x.size backward passes through it.
    """

    def hessian_f(x, *args, **kwargs):
        create_graph = state.recording
        walls = []
        xv = _variable(x, 0, create_graph, walls)
        with _tape():
            out = _scalar_output(f(xv, *args, **kwargs), "hessian")
            (g,) = _differentiate([out], [xv], None, create_graph=True)
        n, xp = xv.size, xv.xp
        rows = []
        for i in range(n):
            e = xp.zeros(n, dtype=xv.dtype)
            e[i] = 1
            if g.requires_grad:
                (row,) = autograd.grad([g], [xv], head_grads=[_wrap(e.reshape(xv.shape))],
                                       retain_graph=True, create_graph=create_graph)
            else:       # f is linear (or constant) in x: its Hessian is zero
                row = _wrap(xp.zeros_like(xv.data))
            rows.append(row)
        _open_walls(walls)
        shape = xv.shape + xv.shape
        if n == 0:
            return _wrap(xp.zeros(shape, xv.dtype))
        if not create_graph:
            return _wrap(xp.stack([r.data for r in rows]).reshape(shape))
        # Differentiable assembly, only when the caller records: row i scattered into place.
        h = None
        for i, row in enumerate(rows):
            part = ops.index_add_to_zeros(ops.reshape(row, (n,)), i, (n, n))
            h = part if h is None else h + part
        return ops.reshape(h, shape)

    hessian_f.__name__ = f"hessian_{getattr(f, '__name__', 'f')}"
    return hessian_f
