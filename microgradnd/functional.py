"""Functional transforms (API §3): reverse mode (`grad`, `value_and_grad`, `vjp`, `jacrev`),
forward mode (`jvp`, `linearize`, `jacfwd`), and both together (`jacobian`, `hessian`, `hvp`).

Each one takes a function and differentiates it on a tape (or a forward level) of its own, so
it works with or without an enclosing `autograd.record()` and never touches anyone's `.grad`.
Nothing here knows a derivative rule: backward rules come from ops/ through `autograd.grad`,
forward rules through the tangents that ops/tangents.py pushes along with the values.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy

from . import autograd, backend, ops
from .core import Tensor, _wrap, as_tensor, tensor
from .errors import ShapeError
from .graph import state
from .ops import tangents

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

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0]


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
    v = tangents.carry(x, _wrap(x.data))     # a tangent x carries goes on (forward over reverse)
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
        return [_wrap(backend.zeros_like(v.data)) for v in variables]
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
        value = out if create_graph else tangents.carry(out, out.detach())
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


def _hvp_reverse(f: Callable, x, v) -> Tensor:
    """H(x)·v reverse over reverse: the gradient of ⟨∇f, v⟩.

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


def _hessian_reverse(f: Callable) -> Callable:
    """The Hessian reverse over reverse: row i is the Hessian-vector product with the i-th
    unit vector, from one recorded gradient and then x.size backward passes through it.
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
            with backend.on_device_of(xv.data):
                e = xp.zeros(n, dtype=xv.dtype)
                e[i] = 1
            if g.requires_grad:
                (row,) = autograd.grad([g], [xv], head_grads=[_wrap(e.reshape(xv.shape))],
                                       retain_graph=True, create_graph=create_graph)
            else:       # f is linear (or constant) in x: its Hessian is zero
                row = _wrap(backend.zeros_like(xv.data))
            rows.append(row)
        _open_walls(walls)
        shape = xv.shape + xv.shape
        if n == 0 or not create_graph:
            with backend.on_device_of(xv.data):
                return _wrap(xp.zeros(shape, xv.dtype) if n == 0 else
                             xp.stack([r.data for r in rows]).reshape(shape))
        # Differentiable assembly, only when the caller records: row i scattered into place.
        h = None
        for i, row in enumerate(rows):
            part = ops.index_add_to_zeros(ops.reshape(row, (n,)), i, (n, n))
            h = part if h is None else h + part
        return ops.reshape(h, shape)

    hessian_f.__name__ = f"hessian_{getattr(f, '__name__', 'f')}"
    return hessian_f


# ---- forward mode ----


def _tensors(xs, name: str, like=None) -> tuple:
    """A tuple of primals (or, given `like`, of tangents matching them) as Tensors."""
    if not isinstance(xs, (tuple, list)):
        raise TypeError(f"{name} must be a tuple (one entry per argument of f), got "
                        f"{type(xs).__name__}: write ({name[:-1]},) for one argument")
    if like is None:
        return tuple(as_tensor(x) for x in xs)
    if len(xs) != len(like):
        raise ValueError(f"jvp: {len(like)} primals but {len(xs)} tangents; give one tangent "
                         "per primal")
    out = []
    for i, (t, p) in enumerate(zip(xs, like)):
        t = as_tensor(t, like=p)
        if t.shape != p.shape:
            raise ShapeError(f"jvp: tangent {i} has shape {t.shape} but its primal has shape "
                             f"{p.shape}; they must match")
        if t.dtype != p.dtype:
            raise TypeError(f"jvp: tangent {i} has dtype {t.dtype} but its primal has dtype "
                            f"{p.dtype}: convert it with .astype('{p.dtype}')")
        out.append(t)
    return tuple(out)


_OPEN = Wall()
_OPEN.closed = False    # an Alias that never stops backward: a primal stand-in for jvp


def _dual(x, t, level: int) -> Tensor:
    """A stand-in for x in f that carries tangent t at `level` (x itself must not: a closure
    may read x, and that use is not perturbed). Recorded as an identity step of x when the
    caller records, so that grad of a function calling jvp reaches x."""
    if x.data.dtype.kind not in "fc":
        raise TypeError(f"jvp: a primal has dtype {x.dtype}: only floating-point inputs have "
                        "tangents (pass 2.0 rather than 2, or .astype('float32'))")
    xd = ops.unary(Alias, x, _OPEN)
    tangents.set_tangent(xd, level, t)
    return xd


def _unpack(out, level: int, name: str):
    """(out, its tangent at `level`) for each output of f, with zeros where there is none."""
    if isinstance(out, (tuple, list)):
        pairs = [_unpack(o, level, name) for o in out]
        return type(out)(p for p, _ in pairs), type(out)(t for _, t in pairs)
    if not isinstance(out, Tensor):
        raise TypeError(f"{name} needs f to return Tensors (or a tuple of them), but it "
                        f"returned {type(out).__name__}")
    t = tangents.get_tangent(out, level)
    if t is None:       # out does not depend on the primals: its tangent is zero
        t = _wrap(backend.zeros_like(out.data))
    return out, t


def jvp(f: Callable, primals: tuple, tangents_in: tuple):
    """(f(*primals), J·tangents): the value and the directional derivative, in one pass.

    Forward mode: every op computes its output's tangent from its inputs' tangents beside
    its value (each op's `jvp` rule). Cost: about one evaluation of f (twice its arithmetic),
    whatever the size of f's output. f may return a Tensor or a tuple of Tensors.
    """
    primals = _tensors(primals, "primals")
    tans = _tensors(tangents_in, "tangents", like=primals)
    with ops.dual_level() as level:
        out = f(*(_dual(x, t, level) for x, t in zip(primals, tans)))
        out, tangent = _unpack(out, level, "jvp")
    for o in out if isinstance(out, (tuple, list)) else (out,):
        if getattr(o, "_tan", None):
            o._tan.pop(level, None)     # the level is closed: out is handed back without it
    return out, tangent


def linearize(f: Callable, *primals):
    """(f(*primals), jvp_fn): f once, then its tangent program on its own, as a function.

    `jvp_fn(*tangents)` is J·tangents, computed by replaying only the forward rules of the
    ops f recorded, in order, on the saved values: the tangent program, without f's own
    arithmetic. Inside `autograd.record()` the program is recorded, so print the tape to
    read it (docs/forward-and-reverse.md).
    """
    xs = tuple(_variable(x, i, False, []) for i, x in enumerate(_tensors(primals, "primals")))
    with autograd.record() as tape:
        out = f(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"linearize needs f to return one Tensor, got {type(out).__name__}")
    # A node's output is the input of a later node (or f's result): find each one there.
    outputs = {} if out._node is None else {out._node: out}
    for node in tape.nodes:
        for x in node.inputs:
            if isinstance(x, Tensor) and x._node is not None:
                outputs[x._node] = x

    def jvp_fn(*tans):
        tans = _tensors(tans, "tangents", like=xs)
        tangent = {id(x): t for x, t in zip(xs, tans)}
        for node in tape.nodes:
            y = outputs.get(node)
            ts = tuple(tangent.get(id(x)) for x in node.inputs)
            if y is None or all(t is None for t in ts):
                continue
            t = node.op.jvp(node.inputs, node.args, y, ts)
            if t is not None:
                tangent[id(y)] = tangents.fit(t, y)
        t = tangent.get(id(out))
        return _wrap(backend.zeros_like(out.data)) if t is None else t

    jvp_fn.tape = tape      # f's tape, whose nodes the tangent program follows
    return out.detach(), jvp_fn


# ---- reverse mode, as a function ----


def vjp(f: Callable, *primals):
    """(f(*primals), vjp_fn) with vjp_fn(cotangent) = cotangentᵀ·J, one entry per primal.

    f runs once, recorded; each call of vjp_fn is one backward pass through that record (it
    may be called many times). Called while recording, vjp_fn records its backward pass, so
    it can be differentiated again (the vjp of a vjp is a jvp).
    """
    create_graph = state.recording
    walls = []
    xs = [_variable(x, i, create_graph, walls) for i, x in enumerate(primals)]
    _open_walls(walls)      # closed only while vjp_fn's own backward runs
    with _tape():
        out = f(*xs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        if not isinstance(o, Tensor):
            raise TypeError(f"vjp needs f to return Tensors (or a tuple of them), but it "
                            f"returned {type(o).__name__}")

    def vjp_fn(cotangents):
        several = isinstance(out, (tuple, list))
        cts = list(cotangents) if several and isinstance(cotangents, (tuple, list)) \
            else [cotangents]
        if len(cts) != len(outs):
            raise ValueError(f"vjp_fn: f returned {len(outs)} outputs but got {len(cts)} "
                             "cotangent(s); give a tuple with one per output")
        cts = [as_tensor(c, like=o) for c, o in zip(cts, outs)]
        for i, (c, o) in enumerate(zip(cts, outs)):
            if c.shape != o.shape:
                raise ShapeError(f"vjp_fn: cotangent {i} has shape {c.shape} but f's output "
                                 f"has shape {o.shape}; they must match")
        live = [(o, c) for o, c in zip(outs, cts) if o.requires_grad]
        if not live:
            return tuple(_wrap(backend.zeros_like(x.data)) for x in xs)
        for wall in walls:
            wall.closed = True
        try:
            return tuple(autograd.grad([o for o, _ in live], xs, [c for _, c in live],
                                       retain_graph=True, create_graph=state.recording))
        finally:
            _open_walls(walls)

    if not create_graph:
        out = type(out)(tangents.carry(o, o.detach()) for o in outs) \
            if isinstance(out, (tuple, list)) else tangents.carry(out, out.detach())
    return out, vjp_fn


# ---- Jacobians: one pass per column (forward) or per row (reverse) ----


def _unit(x: Tensor, j: int) -> Tensor:
    """The j-th unit vector in x's shape, dtype and device."""
    with backend.on_device_of(x.data):
        e = x.xp.zeros(x.size, dtype=x.dtype)
        e[j] = 1
    return _wrap(e.reshape(x.shape))


def _assemble(parts, shape, axis: int, like: Tensor) -> Tensor:
    """Stack the rows or columns of a Jacobian into `shape`; on the graph only when needed."""
    if not parts:       # an empty input or output: an empty Jacobian
        with backend.on_device_of(like.data):
            return _wrap(like.xp.zeros(shape, like.dtype))
    if state.recording or state.levels:
        return ops.reshape(ops.stack(parts, axis), shape)
    with backend.on_device_of(parts[0].data):
        return _wrap(parts[0].xp.stack([p.data for p in parts], axis).reshape(shape))


def _argument(args, argnums: int, name: str):
    if not -len(args) <= argnums < len(args):
        raise IndexError(f"{name}: argnums={argnums} but f was called with {len(args)} "
                         "positional argument(s)")
    return as_tensor(args[argnums])


def jacfwd(f: Callable, argnums: int = 0) -> Callable:
    """A function returning the Jacobian of f at args[argnums], shaped out.shape + x.shape.

    Forward mode: one jvp per input element (column j is J·e_j), so x.size passes: cheap for
    a tall Jacobian (few inputs, many outputs).
    """

    def jacfwd_f(*args):
        args = list(args)
        x = _argument(args, argnums, "jacfwd")

        def at(xj):
            return f(*args[:argnums], xj, *args[argnums + 1:])

        cols, out = [], None
        for j in range(x.size):
            out, col = jvp(at, (x,), (_unit(x, j),))
            cols.append(col)
        if out is None:
            out = at(x)
        return _assemble(cols, out.shape + x.shape, out.ndim, out)

    jacfwd_f.__name__ = f"jacfwd_{getattr(f, '__name__', 'f')}"
    return jacfwd_f


def jacrev(f: Callable, argnums: int = 0) -> Callable:
    """A function returning the Jacobian of f at args[argnums], shaped out.shape + x.shape.

    Reverse mode: f once, then one backward pass per output element (row i is e_iᵀ·J), so
    out.size passes: cheap for a wide Jacobian (many inputs, few outputs).
    """

    def jacrev_f(*args):
        args = list(args)
        x = _argument(args, argnums, "jacrev")
        out, vjp_fn = vjp(lambda xi: f(*args[:argnums], xi, *args[argnums + 1:]), x)
        rows = [vjp_fn(_unit(out, i))[0] for i in range(out.size)]
        return _assemble(rows, out.shape + x.shape, 0, out)

    jacrev_f.__name__ = f"jacrev_{getattr(f, '__name__', 'f')}"
    return jacrev_f


def jacobian(f: Callable, argnums: int = 0) -> Callable:
    """The Jacobian by whichever mode takes fewer passes: jacfwd when f has more outputs
    than inputs (tall), jacrev otherwise (wide or square)."""

    def jacobian_f(*args):
        x = _argument(list(args), argnums, "jacobian")
        with autograd.pause():      # one evaluation, not recorded, to see the output's size
            size = as_tensor(f(*args)).size
        transform = jacfwd if size > x.size else jacrev
        return transform(f, argnums)(*args)

    jacobian_f.__name__ = f"jacobian_{getattr(f, '__name__', 'f')}"
    return jacobian_f


# ---- second derivatives: forward over reverse, reverse over reverse kept beside it ----


def hvp(f: Callable, x, v, mode: str = "forward") -> Tensor:
    """H(x)·v, the Hessian of scalar f at x times v, without forming H.

    mode='forward' (the default, as torch.func and JAX): the jvp of the gradient along v,
    forward over reverse: one forward and one backward pass, each carrying a tangent.
    mode='reverse': the gradient of ⟨∇f, v⟩, reverse over reverse (three passes).
    """
    if mode == "reverse":
        return _hvp_reverse(f, x, v)
    if mode != "forward":
        raise ValueError(f"hvp: mode must be 'forward' or 'reverse', got {mode!r}")
    x = as_tensor(x)
    v = as_tensor(v, like=x)
    if v.shape != x.shape:
        raise ShapeError(f"hvp: v has shape {v.shape} but x has shape {x.shape}; they must "
                         "match")
    if state.recording:     # the caller differentiates the result: the composable route
        return jvp(grad(lambda xv: _scalar_output(f(xv), "hvp")), (x,), (v,))[1]
    return _hvp_forward(f, x, v)


def _hvp_forward(f: Callable, x: Tensor, v: Tensor) -> Tensor:
    """jvp(grad(f)) written out, for a caller that does not record: x carries v at a level of
    its own, f runs on a tape (its tangents deferred until backward reads them), and the
    walk's gradient comes out with H·v as its tangent. The same passes as the composition,
    without its wrappers (a third of W5's time at d = 200)."""
    xv = _variable(x, 0, False, [])
    with ops.dual_level() as level:
        tangents.set_tangent(xv, level, v)
        with autograd.record():
            out = _scalar_output(f(xv), "hvp")
        g = autograd.walked_gradient(out, xv) if out.requires_grad else None
        hv = None if g is None else tangents.get_tangent(g, level)
    return _wrap(backend.zeros_like(x.data)) if hv is None else hv


def hessian(f: Callable, mode: str = "forward") -> Callable:
    """A function returning the Hessian of scalar f at x, shaped x.shape + x.shape.

    mode='forward': jacfwd(grad(f)), forward over reverse (JAX's hessian): x.size passes of
    a gradient that carries a tangent. mode='reverse': one recorded gradient, then x.size
    backward passes through it.
    """
    if mode == "reverse":
        return _hessian_reverse(f)
    if mode != "forward":
        raise ValueError(f"hessian: mode must be 'forward' or 'reverse', got {mode!r}")

    def hessian_f(x, *args, **kwargs):
        g = grad(lambda xv: _scalar_output(f(xv, *args, **kwargs), "hessian"))
        return jacfwd(g)(x)

    hessian_f.__name__ = f"hessian_{getattr(f, '__name__', 'f')}"
    return hessian_f
