"""The primitive operations: each forward rule (on arrays) beside its backward rule.

A backward rule receives the recorded node, the op's output tensor (only if the op sets
`saves_output`; otherwise None) and the incoming gradient `g`, and returns one gradient per
input (None where the input needs none). Rules are written with Tensor operations (even the
slopes of relu and abs are ops, `step` and `sign`), so recording them (`create_graph=True`) is
all it takes to differentiate them again. Broadcasting and dtype are undone centrally by the
backward walk in autograd.py, never here. Ops that are not primitives are composed at the bottom.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy

from . import backend
from .autograd import Node, _state
from .core import Tensor, _wrap, check_same_device, tensor
from .errors import DeviceError, ShapeError

_Scalar = (int, float, bool)
_ndarray = numpy.ndarray


# ---- turning operands into arrays ----


def operand_data(x, like: Tensor):
    """The array (or Python scalar) behind an operand of an op with the tensor `like`."""
    if isinstance(x, Tensor):
        if type(x.data) is not type(like.data) or type(x.data) is not _ndarray:
            check_same_device(like.data, x.data, "comparison or update")
        return x.data
    if isinstance(x, _Scalar):
        return x
    return _as_operand(x, like).data


def _as_operand(x, like: Tensor):
    """A non-Tensor, non-scalar operand (array, list) as a constant Tensor on like's device."""
    if backend.is_array(x) and backend.device_of(x) != like.device:
        raise DeviceError(f"an array on {backend.device_of(x)} was combined with a tensor on "
                          f"{like.device}: move one of them first")
    return tensor(x, device=like.device)


def index_data(index):
    """An index with any Tensors in it replaced by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list) and builtins.any(isinstance(i, Tensor) for i in index):
        return [i.data if isinstance(i, Tensor) else i for i in index]
    return index


def _needs(x) -> bool:
    """Does x want a gradient: a variable, or a result recorded from one?"""
    return isinstance(x, Tensor) and (x._node is not None or x._req is not None)


# ---- applying an op: forward always, a Node only while recording ----


class Op:
    """A primitive. Subclasses define `forward(*arrays, *args)` and `backward(node, out, g)`."""

    name = "op"
    # True when backward uses the output (then it must stay unmodified); otherwise backward
    # gets out=None, so the output's memory can go before its backward runs.
    saves_output = False
    # False when backward never reads the inputs' values (only shapes): changing an input in
    # place after recording then does no harm, and backward does not refuse it (as PyTorch).
    reads_inputs = True

    def __repr__(self):
        return self.name


def _record(op, out, inputs, args):
    """Attach a Node to `out` when recording and some input needs a gradient."""
    needs = tuple(_needs(x) for x in inputs)
    node = Node(op, inputs, args, needs,
                tuple(x._vc[0] if isinstance(x, Tensor) else None for x in inputs), out.data)
    out._node = node
    tape = _state.tape
    if tape is not None:
        tape.nodes.append(node)


def unary(op, x: Tensor, *args) -> Tensor:
    """Run a one-input op; record it if needed."""
    try:
        out = _wrap(op.forward(x.data, *args))
    except ValueError as e:
        _refuse_other_gpu(e)
        raise ShapeError(f"{op.name} of a tensor of shape {x.shape}: {e}") from None
    if _state.recording and (x._node is not None or x._req is not None):
        # _record inlined: a unary op's needs and versions are known without looping.
        out._node = node = Node(op, (x,), args, _NEED_ONE, (x._vc[0],), out.data)
        tape = _state.tape
        if tape is not None:
            tape.nodes.append(node)
    return out


_NEED_ONE = (True,)     # shared by every unary node: saves a tuple per recorded op


def binary(op, a, b) -> Tensor:
    """Run a two-input op; either input may be a Python scalar, which keeps the tensor's dtype."""
    ta, tb = type(a), type(b)
    # Exact type tests are the cheapest check; arrays, lists, bools and subclasses take the
    # slow path, which turns arrays and lists into constant Tensors.
    if not ((ta is Tensor or ta is float or ta is int)
            and (tb is Tensor or tb is float or tb is int)):
        a, b = _operands(a, b)
        ta = Tensor if isinstance(a, Tensor) else type(a)     # a subclass is a Tensor below
        tb = Tensor if isinstance(b, Tensor) else type(b)
    ad = a.data if ta is Tensor else a
    bd = b.data if tb is Tensor else b
    # Two NumPy arrays pass with two identity checks; anything else (a CuPy array) takes the
    # careful look, so NumPy and CuPy arrays never meet inside the op. A Python scalar operand
    # (the other case) needs a look only under CuPy 13.
    if ta is Tensor and tb is Tensor:
        if type(ad) is not type(bd) or type(ad) is not _ndarray:
            check_same_device(ad, bd, op.name)
    elif backend.legacy_scalars:        # CuPy 13 would promote by the scalar's value
        if type(bd) is not _ndarray and backend.is_cupy_array(bd):
            ad = backend.weak_scalar(ad, bd)
        elif type(ad) is not _ndarray and backend.is_cupy_array(ad):
            bd = backend.weak_scalar(bd, ad)
    try:
        out = _wrap(op.forward(ad, bd))
    except ValueError as e:
        _refuse_other_gpu(e)
        if op is not MatMul and _broadcasts(ad, bd):
            raise       # not about shapes: NumPy's own complaint (an int ** a negative int)
        raise ShapeError(f"{op.name}: shapes {numpy.shape(ad)} and {numpy.shape(bd)} do not "
                         + (f"fit ({e}); a @ b needs the last axis of a to match the "
                            "second-last axis of b (or b's only axis): transpose or reshape one"
                            if op is MatMul else
                            "broadcast: compared from the last axis, each pair of sizes must "
                            "be equal or one of them 1; reshape one of them to fit")) from None
    if _state.recording:
        # _record inlined for two inputs: this is the hottest line of a training loop.
        na = ta is Tensor and (a._node is not None or a._req is not None)
        nb = tb is Tensor and (b._node is not None or b._req is not None)
        if na or nb:
            out._node = node = Node(op, (a, b), (), (na, nb),
                                    (a._vc[0] if ta is Tensor else None,
                                     b._vc[0] if tb is Tensor else None), out.data)
            tape = _state.tape
            if tape is not None:
                tape.nodes.append(node)
    return out


def _refuse_other_gpu(e: ValueError) -> None:
    """CuPy's refusal to compute on a GPU that is not its current one, as a DeviceError."""
    if "current device" in str(e):
        raise DeviceError(f"{e}. CuPy runs every operation on its current GPU: make the "
                          "tensors' GPU current first, e.g. mg.set_default_device('cuda:1') "
                          "or `with cupy.cuda.Device(1):`") from None


def _broadcasts(a, b) -> bool:
    """Do the shapes of a and b broadcast together?"""
    try:
        numpy.broadcast_shapes(numpy.shape(a), numpy.shape(b))
    except ValueError:
        return False
    return True


def _operands(a, b):
    """The slow path of binary(): a non-Tensor, non-scalar operand becomes a constant Tensor."""
    if isinstance(a, Tensor):
        if not isinstance(b, (Tensor, int, float)):
            b = _as_operand(b, a)
    elif not isinstance(a, (int, float)):
        a = _as_operand(a, b)
    return a, b


# ---- elementwise arithmetic ----


class Add(Op):
    name = "add"
    reads_inputs = False

    forward = staticmethod(operator.add)     # a + b, as a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        return g, g


class Sub(Op):
    name = "sub"
    reads_inputs = False

    forward = staticmethod(operator.sub)     # a - b, as a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        return g, (-g if node.needs[1] else None)


class Mul(Op):
    name = "mul"

    forward = staticmethod(operator.mul)     # a * b, as a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs
        need_a, need_b = node.needs
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Op):
    name = "div"
    saves_output = True

    forward = staticmethod(operator.truediv)     # a / b, as a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        b = node.inputs[1]
        if type(b) is not Tensor and b:     # a nonzero scalar (x / 2): no inf, no errstate cost
            return g / b, None
        with numpy.errstate(divide="ignore", invalid="ignore"):     # b == 0: inf, no warning
            ga = g / b
            # d/db a/b = -a/b² = -(1/b)·out
            return ga, (-ga * out if node.needs[1] else None)


class Power(Op):
    """a ** b. d/da = b·a**(b-1), exactly 0 where b == 0; d/db = out·log(a), 0 where a == 0 <= b.

    The masks are PyTorch's: a nan in g (log of a negative base, at second order) or an inf in
    a**(b-1) does not leak into a slope that is 0 by definition; 0 ** b with b < 0 has -inf.
    """

    name = "pow"

    forward = staticmethod(operator.pow)     # a ** b, as a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs
        need_a, need_b = node.needs
        if type(b) is not Tensor and b == 2:    # the squared loss: skip a ** 1 and errstate
            ga = g * a
            ga *= 2.0       # in place (a fresh tensor): one n-sized temporary fewer
            return ga, None
        ga = gb = None
        # a == 0 with b < 1 (sqrt-like) or a < 0: inf and nan as PyTorch, without warnings
        with numpy.errstate(divide="ignore", invalid="ignore"):
            if need_a:
                if isinstance(b, Tensor):
                    ga = where(b.data == 0, 0.0, g * (b * a ** (b - 1)))
                elif b == 0:
                    ga = g * 0.0        # stays on the graph: a second derivative is 0, not an error
                elif b == 1:
                    ga = g
                else:
                    ga = g * (b * a ** (b - 1))
            if need_b:
                out = a ** b        # recomputed: the output need not be kept for this rare case
                if isinstance(a, Tensor):       # 0 ** b is flat in b where b >= 0
                    log_a = log(cast(a, out.dtype))     # a float32 base: log in out's precision
                    gb = g * where((a.data == 0) & (b.data >= 0), 0.0, out * log_a)
                elif a == 0:                    # log(0) = -inf: 0 ** b = inf falls for b < 0
                    gb = g * where(b.data >= 0, 0.0, out * -math.inf)
                else:
                    gb = g * (out * (math.log(a) if a > 0 else math.nan))
            return ga, gb


class Neg(Op):
    name = "neg"
    reads_inputs = False

    forward = staticmethod(operator.neg)     # -x

    @staticmethod
    def backward(node, out, g):
        return (-g,)


class Exp(Op):
    name = "exp"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.exp(x)

    @staticmethod
    def backward(node, out, g):
        return (g * out,)


class Log(Op):
    """Natural log; log(0) = -inf with gradient inf, as NumPy and PyTorch."""

    name = "log"

    @staticmethod
    def forward(x):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return numpy.log(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g / node.inputs[0],)


class Sqrt(Op):
    name = "sqrt"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.sqrt(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g * 0.5 / out,)


class Abs(Op):
    """|x|; its slope at 0 is taken as 0, as in PyTorch."""

    name = "abs"

    @staticmethod
    def forward(x):
        return numpy.abs(x)

    @staticmethod
    def backward(node, out, g):
        return (g * sign(node.inputs[0]),)


class Sign(Op):
    """sign(x), the slope of abs. Its own derivative is 0 (as PyTorch's sgn): recording it
    keeps a create_graph gradient of abs on the graph, so differentiating it gives zeros."""

    name = "sign"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return numpy.sign(x)

    @staticmethod
    def backward(node, out, g):
        return (None,)


class Tanh(Op):
    name = "tanh"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.tanh(x)

    @staticmethod
    def backward(node, out, g):
        return (binary(TanhGrad, g, out),)


class TanhGrad(Op):
    """g·(1 - t²) with t = tanh x: tanh's backward as one op (as PyTorch's tanh_backward).

    Written as `g * (1.0 - t * t)` it would cost three Tensor ops per tanh in every backward;
    as a primitive it costs one, and `create_graph` still differentiates it through this rule.
    """

    name = "tanh_grad"

    @staticmethod
    def forward(g, t):
        return g * (1.0 - t * t)

    @staticmethod
    def backward(node, out, gg):
        g, t = node.inputs
        need_g, need_t = node.needs
        return (gg * (1.0 - t * t) if need_g else None), (gg * (-2.0 * g * t) if need_t else None)


class Sigmoid(Op):
    name = "sigmoid"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        # 1 / (1 + exp(-x)) overflows for large negative x, and 0.5·tanh(x/2) + 0.5 rounds
        # the left tail to 0 (log σ(-40) = -inf); with e = exp(-|x|) <= 1, neither happens.
        xp = backend.xp_of(x)
        if x.dtype.kind not in "fc":
            x = x.astype(numpy.float64)     # ints and bools, as numpy.exp would
        e = xp.exp(-xp.abs(x))
        d = 1 + e
        return xp.where(x >= 0, 1 / d, e / d)

    @staticmethod
    def backward(node, out, g):
        return (g * (out * (1.0 - out)),)


class Relu(Op):
    name = "relu"

    @staticmethod
    def forward(x):
        return numpy.maximum(x, 0)

    @staticmethod
    def backward(node, out, g):
        return (g * step(node.inputs[0]),)


class Step(Op):
    """1 where x > 0, else 0: the slope of relu. Its own derivative is 0, as for Sign."""

    name = "step"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return (x > 0).astype(x.dtype)

    @staticmethod
    def backward(node, out, g):
        return (None,)


class Sin(Op):
    name = "sin"

    @staticmethod
    def forward(x):
        return numpy.sin(x)

    @staticmethod
    def backward(node, out, g):
        return (g * cos(node.inputs[0]),)


class Cos(Op):
    name = "cos"

    @staticmethod
    def forward(x):
        return numpy.cos(x)

    @staticmethod
    def backward(node, out, g):
        return (-g * sin(node.inputs[0]),)


class Cast(Op):
    name = "cast"
    reads_inputs = False

    @staticmethod
    def forward(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(node, out, g):
        return (cast(g, node.inputs[0].data.dtype),)


class Where(Op):
    """where(cond, a, b) with a constant boolean cond; gradient flows to the chosen side."""

    name = "where"
    reads_inputs = False

    @staticmethod
    def forward(a, b, cond):
        return backend.xp_of(cond).where(cond, a, b)

    @staticmethod
    def backward(node, out, g):
        cond = node.args[0]
        return (where(cond, g, 0.0) if node.needs[0] else None,
                where(cond, 0.0, g) if node.needs[1] else None)


# ---- shapes ----


class Reshape(Op):
    name = "reshape"
    reads_inputs = False

    @staticmethod
    def forward(x, shape):
        return x.reshape(shape)

    @staticmethod
    def backward(node, out, g):
        return (reshape(g, node.inputs[0].data.shape),)


class Transpose(Op):
    name = "transpose"
    reads_inputs = False

    @staticmethod
    def forward(x, axes):
        return x.transpose(axes)

    @staticmethod
    def backward(node, out, g):
        axes = node.args[0]
        if axes is None:
            return (transpose(g),)
        return (transpose(g, tuple(numpy.argsort(axes).tolist())),)


class BroadcastTo(Op):
    name = "broadcast_to"
    reads_inputs = False

    @staticmethod
    def forward(x, shape):
        return backend.xp_of(x).broadcast_to(x, shape)

    @staticmethod
    def backward(node, out, g):
        return (sum_to(g, node.inputs[0].data.shape),)


class SumTo(Op):
    """Sum a broadcast result back down to `shape`: the inverse of broadcasting."""

    name = "sum_to"
    reads_inputs = False

    @staticmethod
    def forward(x, shape):
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
        if axes:
            x = backend.reduce_sum(x, axes, True)
        return x.reshape(shape) if lead else x

    @staticmethod
    def backward(node, out, g):
        return (broadcast_to(g, node.inputs[0].data.shape),)


def _is_basic(index) -> bool:
    """True for indexes that select each element at most once (ints, slices, None, ...)."""
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (int, slice, numpy.integer))
                        for i in items)


class GetItem(Op):
    name = "getitem"
    reads_inputs = False

    @staticmethod
    def forward(x, index):
        return x[index]

    @staticmethod
    def backward(node, out, g):
        return (index_add_to_zeros(g, node.args[0], node.inputs[0].data.shape),)


class SetItem(Op):
    """x with x[index] replaced by value: how `t[index] = value` is recorded (as PyTorch)."""

    name = "setitem"
    reads_inputs = False

    @staticmethod
    def forward(x, value, index):
        out = x.copy()
        out[index] = value
        return out

    @staticmethod
    def backward(node, out, g):
        index = node.args[0]
        gx = gv = None
        if node.needs[0]:                   # overwritten elements no longer depend on x
            keep = backend.xp_of(g.data).ones(g.data.shape, bool)
            keep[index] = False
            gx = where(keep, g, 0.0)
        if node.needs[1]:
            gv = getitem(g, index)
        return gx, gv


class IndexAddToZeros(Op):
    """zeros(shape) with g added at `index`; repeated indices accumulate. GetItem's adjoint."""

    name = "index_add"
    reads_inputs = False

    @staticmethod
    def forward(g, index, shape):
        z = backend.xp_of(g).zeros(shape, g.dtype)
        if _is_basic(index):
            z[index] = g
        else:
            backend.scatter_add(z, index, g)
        return z

    @staticmethod
    def backward(node, out, gg):
        return (getitem(gg, node.args[0]),)


class ToDevice(Op):
    name = "to_device"
    reads_inputs = False

    @staticmethod
    def forward(x, device):
        return backend.to_device(x, device)

    @staticmethod
    def backward(node, out, g):
        return (to_device(g, node.inputs[0].device),)


# ---- reductions ----


def _keep_shape(shape, axis):
    """The shape a reduction over `axis` has with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = axis if isinstance(axis, tuple) else (axis,)
    axes = {a % len(shape) for a in axes} if shape else set()
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Op):
    name = "sum"
    reads_inputs = False

    @staticmethod
    def forward(x, axis, keepdims):
        return backend.reduce_sum(x, axis, keepdims)

    @staticmethod
    def backward(node, out, g):
        shape = node.inputs[0].data.shape
        axis, keepdims = node.args
        if not keepdims:
            g = reshape(g, _keep_shape(shape, axis))
        return (broadcast_to(g, shape),)


class Max(Op):
    """The largest element; ties share the gradient equally (as PyTorch's amax)."""

    name = "max"

    @staticmethod
    def forward(x, axis, keepdims):
        # Reducing over an empty axis has no value (NumPy raises, unary() makes it a
        # ShapeError), but (0, 3).max(axis=1) is fine: zero rows, shape (0,), as in PyTorch.
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        axis, keepdims = node.args
        keep = _keep_shape(x.data.shape, axis)
        mask = x.data == x.data.max(axis=axis, keepdims=True)   # out is not kept: recompute
        share = mask / mask.sum(axis=axis, keepdims=True)
        return (reshape(g, keep) * _wrap(share.astype(x.data.dtype, copy=False)),)


# ---- linear algebra ----


def _swap_last(x: Tensor) -> Tensor:
    """x with its last two axes exchanged (the matrix transpose of a batch)."""
    ndim = x.data.ndim
    if ndim == 2:
        return unary(Transpose, x, None)
    return unary(Transpose, x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


class MatMul(Op):
    """a @ b with NumPy's rules for 1-D operands and batch broadcasting."""

    name = "matmul"

    @staticmethod
    def forward(a, b):
        try:
            return a @ b
        except ValueError:
            if numpy.ndim(a) == 0 or numpy.ndim(b) == 0:
                raise ValueError("matmul needs at least 1-D operands; use * for scalars") \
                    from None
            raise

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs
        need_a, need_b = node.needs
        a_vec, b_vec = a.data.ndim == 1, b.data.ndim == 1
        if a_vec and b_vec:
            return (g * b if need_a else None), (g * a if need_b else None)
        # Promote 1-D operands to matrices, as the forward did, then use the 2-D rules:
        # dA = dOut @ Bᵀ and dB = Aᵀ @ dOut. The walk sums batch broadcasting away.
        a2 = reshape(a, (1, a.shape[0])) if a_vec else a
        b2 = reshape(b, (b.shape[0], 1)) if b_vec else b
        g2 = g
        if a_vec:
            g2 = reshape(g2, g2.shape[:-1] + (1,) + g2.shape[-1:])
        if b_vec:
            g2 = reshape(g2, g2.shape + (1,))
        ga = gb = None
        if need_a:
            ga = matmul(g2, _swap_last(b2))
            if a_vec:
                ga = reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = matmul(_swap_last(a2), g2)
            if b_vec:
                gb = reshape(gb, gb.shape[:-1])
        return ga, gb


# ---- the public functions behind Tensor's methods ----


def add(a, b) -> Tensor:
    """a + b."""
    return binary(Add, a, b)


def sub(a, b) -> Tensor:
    """a - b."""
    return binary(Sub, a, b)


def mul(a, b) -> Tensor:
    """a * b."""
    return binary(Mul, a, b)


def div(a, b) -> Tensor:
    """a / b."""
    return binary(Div, a, b)


def power(a, b) -> Tensor:
    """a ** b."""
    return binary(Power, a, b)


def matmul(a, b) -> Tensor:
    """a @ b (NumPy's matmul rules)."""
    return binary(MatMul, a, b)


def neg(x: Tensor) -> Tensor:
    """-x."""
    return unary(Neg, x)


def exp(x: Tensor) -> Tensor:
    """e**x; d/dx = e**x."""
    return unary(Exp, x)


def log(x: Tensor) -> Tensor:
    """Natural logarithm; d/dx = 1/x."""
    return unary(Log, x)


def sqrt(x: Tensor) -> Tensor:
    """√x; d/dx = 1/(2√x)."""
    return unary(Sqrt, x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - mirrors numpy.abs
    """|x|; d/dx = sign(x)."""
    return unary(Abs, x)


def tanh(x: Tensor) -> Tensor:
    """tanh x; d/dx = 1 - tanh² x."""
    return unary(Tanh, x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + e**-x); d/dx = σ(x)(1 - σ(x))."""
    return unary(Sigmoid, x)


def relu(x: Tensor) -> Tensor:
    """max(x, 0); d/dx = 1 where x > 0, else 0."""
    return unary(Relu, x)


def sign(x: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of x; d/dx = 0."""
    return unary(Sign, x)


def step(x: Tensor) -> Tensor:
    """1 where x > 0, else 0; d/dx = 0."""
    return unary(Step, x)


def sin(x: Tensor) -> Tensor:
    """sin x; d/dx = cos x."""
    return unary(Sin, x)


def cos(x: Tensor) -> Tensor:
    """cos x; d/dx = -sin x."""
    return unary(Cos, x)


def cast(x: Tensor, dtype) -> Tensor:
    """x converted to `dtype`."""
    if x.data.dtype == dtype:
        return x
    if numpy.dtype(dtype).kind not in "fc":     # integers, booleans: no gradient, a constant
        return _wrap(x.data.astype(dtype))
    return unary(Cast, x, dtype)


def where(cond, a, b) -> Tensor:
    """a where cond is true, else b; `cond` is a boolean array or tensor (not differentiated)."""
    if isinstance(cond, Tensor):
        cond = cond.data
    like = a if isinstance(a, Tensor) else b
    if not isinstance(like, Tensor):
        raise TypeError("where() needs a Tensor for a or b")
    ad, bd = operand_data(a, like), operand_data(b, like)
    try:
        out = _wrap(Where.forward(ad, bd, cond))
    except ValueError as e:
        raise ShapeError(f"where: condition {numpy.shape(cond)}, a {numpy.shape(ad)} and "
                         f"b {numpy.shape(bd)} do not broadcast ({e})") from None
    if _state.recording and (_needs(a) or _needs(b)):
        _record(Where, out, (a, b), (cond,))
    return out


def _view_of(x: Tensor, out: Tensor) -> Tensor:
    """out, sharing x's version counter when its array is a view of x's memory (as PyTorch).

    Then `v = x[0]; v += 1` counts as a change of x too, and x's saved value is protected.
    """
    base = out.data.base
    if base is not None and (base is x.data or base is x.data.base):
        out._vc = x._shared_vc()
    return out


def reshape(x: Tensor, shape: tuple) -> Tensor:
    """The same values in a new shape; one dimension may be -1."""
    shape = tuple(map(operator.index, shape))   # accepts ints and 0-d int arrays, not floats
    if x.data.shape == shape:
        return x
    try:
        return _view_of(x, unary(Reshape, x, shape))
    except ShapeError:
        raise ShapeError(f"cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
                         f"shape {shape}: the sizes must match") from None


def transpose(x: Tensor, axes=None) -> Tensor:
    """Permute the axes (reverse them when `axes` is None); negative axes count from the end."""
    if axes is not None:
        axes = tuple(int(a) % x.ndim if x.ndim else int(a) for a in axes)
    return _view_of(x, unary(Transpose, x, axes))


def broadcast_to(x: Tensor, shape: tuple) -> Tensor:
    """x repeated along new or size-1 axes to `shape` (a view)."""
    if x.data.shape == tuple(shape):
        return x
    return unary(BroadcastTo, x, tuple(shape))


def sum_to(x: Tensor, shape: tuple) -> Tensor:
    """x summed down to `shape`: the inverse of broadcast_to."""
    if x.data.shape == tuple(shape):
        return x
    return unary(SumTo, x, tuple(shape))


def getitem(x: Tensor, index) -> Tensor:
    """x[index] for basic slices and integer (or boolean) arrays."""
    index = index_data(index)
    try:
        return _view_of(x, unary(GetItem, x, index))
    except IndexError as e:
        raise IndexError(f"index {index!r} does not fit a tensor of shape {x.shape}: {e}") \
            from None


def setitem(x: Tensor, index, value) -> Tensor:
    """A copy of x with x[index] = value; recorded when x or value needs a gradient."""
    index = index_data(index)
    if not isinstance(value, (Tensor, int, float)):
        value = _as_operand(value, x)
    if isinstance(value, Tensor):
        check_same_device(x.data, value.data, "setitem")
    out = _wrap(SetItem.forward(x.data, value.data if isinstance(value, Tensor) else value,
                                index))
    if _state.recording and (_needs(x) or _needs(value)):
        # args keep x past the freeing of inputs: consumers of t recorded before the update
        # send their gradients to it (see autograd._check_versions)
        _record(SetItem, out, (x, value), (index, x))
    return out


def index_add_to_zeros(g: Tensor, index, shape) -> Tensor:
    """zeros(shape) with g added at index (the backward of getitem)."""
    return unary(IndexAddToZeros, g, index, tuple(shape))


def to_device(x: Tensor, device: str) -> Tensor:
    """x copied to `device`; the gradient flows back across the copy."""
    if x.device == device:
        return x
    return unary(ToDevice, x, device)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def sum(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over `axis` (all axes when None)."""
    return unary(Sum, x, _axis(axis), keepdims)


def max(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Largest element over `axis`; ties share the gradient."""
    return unary(Max, x, _axis(axis), keepdims)


# ---- composed ops: no backward of their own ----


def mean(x: Tensor, axis=None, keepdims: bool = False) -> Tensor:
    """Average over `axis`: sum / count."""
    axis = _axis(axis)
    try:
        # a 0-d tensor takes axis 0 or -1 (as NumPy's sum and PyTorch): its one element
        count = x.size if axis is None or x.ndim == 0 else math.prod(
            x.shape[a] for a in (axis if isinstance(axis, tuple) else (axis,)))
    except IndexError:      # as NumPy's own fix (numpy#15836): not a bare IndexError
        raise ShapeError(f"mean of a tensor of shape {x.shape}: axis {axis} is out of bounds "
                         f"for {x.ndim} dimensions") from None
    if x.data.dtype == numpy.float16:
        # summed in float32, as NumPy and PyTorch do: in float16 the sum of 70,000 ones is
        # inf, and so is the count 70,000 itself
        return cast(mean(cast(x, numpy.float32), axis, keepdims), numpy.float16)
    s = sum(x, axis, keepdims)
    if x.data.dtype.kind not in "fc":
        s = cast(s, numpy.float64)
    return s / count if count else s * math.nan


def dot(a, b) -> Tensor:
    """NumPy's dot: matmul, except that b of 3+ dims is contracted over its second-last axis."""
    if not isinstance(a, Tensor):
        a = _as_operand(a, b)
    if not isinstance(b, Tensor):
        b = _as_operand(b, a)
    a_ndim, b_ndim = a.data.ndim, b.data.ndim
    if a_ndim == 0 or b_ndim == 0:
        return mul(a, b)
    if b_ndim <= 2 or a_ndim == 1:
        return matmul(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape} do not fit: the last axis of a "
                         f"({a.shape[-1]}) must match the second-last of b ({b.shape[-2]})")
    # dot(a, b)[..., j, ...] = Σ_k a[..., k] b[..., k, j]: move b's k axis first, flatten both.
    axes = (b.ndim - 2,) + tuple(i for i in range(b.ndim) if i != b.ndim - 2)
    b2 = reshape(transpose(b, axes), (b.shape[-2], -1))
    a2 = reshape(a, (-1, a.shape[-1]))
    out_shape = a.shape[:-1] + b.shape[:-2] + b.shape[-1:]
    return reshape(matmul(a2, b2), out_shape)
