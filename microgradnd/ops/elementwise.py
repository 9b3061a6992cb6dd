"""Elementwise math: exp, log, sqrt, abs, sign, tanh, sigmoid, relu, sin, cos, sinh, cosh,
logaddexp, maximum, minimum, clip, where.

Each function maps every element on its own, so each rule is the incoming gradient times the
function's slope at that element. The piecewise-constant slope of abs is an op too (`sign`),
and relu's backward is one (`relu_grad`), so a create_graph gradient stays on the graph. Where
a slope is 0 on a piece (relu, maximum, minimum, clip), the rule selects g instead of
multiplying it by a 0/1 mask, so an infinite or NaN g there gives 0, as PyTorch's masks do
(sqrt(relu(x)) at x <= 0 has gradient 0, not 0 · inf = nan).
"""
from __future__ import annotations

import math

import numpy

from .. import backend, core
from ..errors import ShapeError
from ..graph import state
from . import tangents
from .apply import (
    Op,
    as_constant,
    binary,
    operand_data,
    record_node,
    requires_grad,
    unary,
)
from .tangents import tangent_sum, through_backward

__all__ = [  # what ops/__init__.py gathers
    "Arccos", "Floor", "Log2", "arccos", "floor", "log2",
    "Abs", "Clip", "Cos", "Cosh", "Exp", "Log", "Log1p", "LogAddExp", "Maximum",
    "Minimum", "Relu", "ReluGrad", "Sigmoid", "Sign", "Sin", "Sinh", "Sqrt", "Tanh", "TanhGrad",
    "Where",
    "abs", "clip", "cos", "cosh", "exp", "log", "log1p", "logaddexp", "maximum", "minimum",
    "relu", "sigmoid", "sign", "sin", "sinh", "sqrt", "tanh", "where",
]

_HOST = (numpy.ndarray, numpy.generic)     # an array (or NumPy scalar) in host memory


class Exp(Op):
    name = "exp"
    rule = "grad_x = g * out"
    method = "exp"
    numpy_twin = "exp"
    torch_twin = "exp"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.exp(x)

    @staticmethod
    def backward(node, out, g):
        return (g * out,)

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * out

def exp(x):
    """e**x; d/dx = e**x."""
    return unary(Exp, x)


class Log(Op):
    """Natural log; log(0) = -inf with gradient inf, as NumPy and PyTorch."""

    name = "log"
    rule = "grad_x = g / x"
    method = "log"
    numpy_twin = "log"
    torch_twin = "log"

    @staticmethod
    def forward(x):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return numpy.log(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g / node.inputs[0],)

    @staticmethod
    def jvp(inputs, args, out, t):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return t[0] / inputs[0]

def log(x):
    """Natural logarithm; d/dx = 1/x."""
    return unary(Log, x)


class Log1p(Op):
    """log(1 + x), exact for tiny x where 1 + x would round to 1 (softplus, log-likelihoods)."""

    name = "log1p"
    rule = "grad_x = g / (1 + x)"
    method = "log1p"
    numpy_twin = "log1p"
    torch_twin = "log1p"

    @staticmethod
    def forward(x):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return numpy.log1p(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g / (1.0 + node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return t[0] / (1.0 + inputs[0])

def log1p(x):
    """log(1 + x); d/dx = 1/(1 + x)."""
    return unary(Log1p, x)


class Sqrt(Op):
    name = "sqrt"
    rule = "grad_x = g * 0.5 / out"
    method = "sqrt"
    numpy_twin = "sqrt"
    torch_twin = "sqrt"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.sqrt(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g * 0.5 / out,)

    @staticmethod
    def jvp(inputs, args, out, t):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return t[0] * 0.5 / out

def sqrt(x):
    """√x; d/dx = 1/(2√x)."""
    return unary(Sqrt, x)


def _zeros_like(g):
    """The gradient of a piecewise-constant op: zeros (a constant) shaped as g, not None,
    which is kept for an input that wants no gradient at all."""
    return core._wrap(backend.zeros_like(g.data))


class Sign(Op):
    """sign(x), the slope of abs. Its own derivative is 0 (as PyTorch's sgn): recording it
    keeps a create_graph gradient of abs on the graph, so differentiating it gives zeros."""

    name = "sign"
    rule = "grad_x = 0 (sign is flat)"
    method = "sign"
    torch_twin = "sign"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return numpy.sign(x)

    @staticmethod
    def backward(node, out, g):
        return (_zeros_like(g),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return None

def sign(x):
    """-1, 0 or 1 by the sign of x; d/dx = 0."""
    return unary(Sign, x)


class Floor(Op):
    """The largest integer <= x, in x's dtype. A step function: its derivative is 0 (as
    PyTorch's floor), also at the integers where it jumps."""

    name = "floor"
    rule = "grad_x = 0 (floor is flat between its jumps)"
    numpy_twin = "floor"
    torch_twin = "floor"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return numpy.floor(x)

    @staticmethod
    def backward(node, out, g):
        return (_zeros_like(g),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return None


def floor(x):
    """floor(x) elementwise; d/dx = 0."""
    return unary(Floor, x)


class Log2(Op):
    """Base-2 logarithm; log2(0) = -inf with gradient inf, as log."""

    name = "log2"
    rule = "grad_x = g / (x ln 2)"
    numpy_twin = "log2"
    torch_twin = "log2"

    @staticmethod
    def forward(x):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return numpy.log2(x)

    @staticmethod
    def backward(node, out, g):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (g / (node.inputs[0] * _LN2),)

    @staticmethod
    def jvp(inputs, args, out, t):
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return t[0] / (inputs[0] * _LN2)


_LN2 = math.log(2.0)


def log2(x):
    """log2 x; d/dx = 1 / (x ln 2)."""
    return unary(Log2, x)


class Arccos(Op):
    """The angle in [0, π] whose cosine is x; nan outside [-1, 1], as NumPy."""

    name = "arccos"
    rule = "grad_x = -g / sqrt(1 - x²)"
    numpy_twin = "arccos"
    torch_twin = "arccos"

    @staticmethod
    def forward(x):
        with numpy.errstate(invalid="ignore"):
            return numpy.arccos(x)

    @staticmethod
    def backward(node, out, g):
        x = node.inputs[0]
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return (-g / sqrt(1.0 - x * x),)

    @staticmethod
    def jvp(inputs, args, out, t):
        x = inputs[0]
        with numpy.errstate(divide="ignore", invalid="ignore"):
            return -t[0] / sqrt(1.0 - x * x)


def arccos(x):
    """arccos x; d/dx = -1 / √(1 - x²)."""
    return unary(Arccos, x)


class Abs(Op):
    """|x|; its slope at 0 is taken as 0, as in PyTorch."""

    name = "abs"
    rule = "grad_x = g * sign(x)"
    method = "abs"
    numpy_twin = "abs"
    torch_twin = "abs"

    @staticmethod
    def forward(x):
        return numpy.abs(x)

    @staticmethod
    def backward(node, out, g):
        return (g * sign(node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * sign(inputs[0])

def abs(x):  # noqa: A001 - mirrors numpy.abs
    """|x|; d/dx = sign(x)."""
    return unary(Abs, x)


class TanhGrad(Op):
    """g·(1 - t²) with t = tanh x: tanh's backward as one op (as PyTorch's tanh_backward).

    Written as `g * (1.0 - t * t)` it would cost three Tensor ops per tanh in every backward;
    as a primitive it costs one, and `create_graph` still differentiates it through this rule.
    """

    name = "tanh_grad"
    rule = "grad_g = gg * (1 - t * t); grad_t = gg * (-2 * g * t)"

    @staticmethod
    def forward(g, t):
        return g * (1.0 - t * t)

    @staticmethod
    def backward(node, out, gg):
        g, t = node.inputs
        need_g, need_t = node.requires_grad
        return (gg * (1.0 - t * t) if need_g else None), (gg * (-2.0 * g * t) if need_t else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        (g, tt), (dg, dt) = inputs, t
        return tangent_sum(binary(TanhGrad, dg, tt) if dg is not None else None,
                           dt * (-2.0 * g * tt) if dt is not None else None)

class Tanh(Op):
    name = "tanh"
    rule = "grad_x = tanh_grad(g, out) = g * (1 - out * out)"
    method = "tanh"
    numpy_twin = "tanh"
    torch_twin = "tanh"
    reads_inputs = False
    saves_output = True

    @staticmethod
    def forward(x):
        return numpy.tanh(x)

    @staticmethod
    def backward(node, out, g):
        return (binary(TanhGrad, g, out),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return binary(TanhGrad, t[0], out)

def tanh(x):
    """tanh x; d/dx = 1 - tanh² x."""
    return unary(Tanh, x)


class Sigmoid(Op):
    name = "sigmoid"
    rule = "grad_x = g * out * (1 - out)"
    method = "sigmoid"
    torch_twin = "sigmoid"
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

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * (out * (1.0 - out))

def sigmoid(x):
    """1 / (1 + e**-x); d/dx = σ(x)(1 - σ(x))."""
    return unary(Sigmoid, x)


class Where(Op):
    """where(cond, a, b) with a constant boolean cond; gradient flows to the chosen side.

    Its inputs are a and b; cond is a constant argument, so forward takes (a, b, cond), as
    every forward takes its input arrays first and its arguments after.
    """

    name = "where"
    rule = "grad_a = where(cond, g, 0); grad_b = where(cond, 0, g)"
    numpy_twin = "where"
    reads_inputs = False

    @staticmethod
    def forward(a, b, cond):
        return backend.xp_of(cond).where(cond, a, b)

    @staticmethod
    def backward(node, out, g):
        cond = node.args[0]
        return (where(cond, g, 0.0) if node.requires_grad[0] else None,
                where(cond, 0.0, g) if node.requires_grad[1] else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        """Elementwise, so the backward rule applied to each tangent."""
        return through_backward(Where, inputs, args, out, t)

def where(cond, a, b):
    """a where cond is true, else b; `cond` is a boolean array or tensor (not differentiated)."""
    if isinstance(cond, core.Tensor):
        cond = cond.data
    like = a if isinstance(a, core.Tensor) else b
    if not isinstance(like, core.Tensor):
        raise TypeError("where() needs a Tensor for a or b")
    ad, bd = operand_data(a, like), operand_data(b, like)
    try:
        out = core._wrap(backend.on_its_device(Where.forward, like.data, ad, bd, cond))
    except ValueError as e:
        raise ShapeError(f"where: condition {numpy.shape(cond)}, a {numpy.shape(ad)} and "
                         f"b {numpy.shape(bd)} do not broadcast ({e})") from None
    if state.recording and (requires_grad(a) or requires_grad(b)):
        record_node(Where, out, (a, b), (cond,))
    if state.levels:
        tangents.push(Where, out, (a, b), (cond,))
    return out


class ReluGrad(Op):
    """g where x > 0, else 0: relu's backward as one op (PyTorch's threshold_backward).

    Selecting g, not multiplying it by a 0/1 step, keeps an inf or nan g where x <= 0 out of
    the result (sqrt(relu(x)) at x <= 0 has gradient 0, not 0 · inf = nan). Recorded on x
    too, with derivative 0, so a gradient taken with create_graph stays on the graph and
    differentiating it again gives zeros, not a "not recorded" error.
    """

    name = "relu_grad"
    rule = "grad_g = relu_grad(gg, x); grad_x = 0"

    @staticmethod
    def forward(g, x):
        keep = x > 0
        with numpy.errstate(invalid="ignore"):      # inf · 0: selected away below
            out = g * keep
        # Exact wherever g is finite, and on the host ten times faster than where(), whose
        # branch on a mask of random signs is mispredicted half the time (W6); only an inf or
        # nan g where x <= 0 leaves a nan to be selected away.
        if isinstance(out, _HOST) and not numpy.isnan(out).any():
            return out
        return backend.xp_of(x).where(keep, g, g.dtype.type(0))

    @staticmethod
    def backward(node, out, gg):
        g, x = node.inputs
        need_g, need_x = node.requires_grad
        return (binary(ReluGrad, gg, x) if need_g else None), (_zeros_like(gg) if need_x
                                                               else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        """Linear in g, flat in x: only g's tangent counts."""
        return None if t[0] is None else binary(ReluGrad, t[0], inputs[1])


class Relu(Op):
    name = "relu"
    rule = "grad_x = relu_grad(g, x) = g where x > 0, else 0"
    method = "relu"
    torch_twin = "relu"

    @staticmethod
    def forward(x):
        return numpy.maximum(x, 0)

    @staticmethod
    def backward(node, out, g):
        return (binary(ReluGrad, g, node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return binary(ReluGrad, t[0], inputs[0])


def relu(x):
    """max(x, 0); d/dx = 1 where x > 0, else 0."""
    return unary(Relu, x)


class Sin(Op):
    name = "sin"
    rule = "grad_x = g * cos(x)"
    method = "sin"
    numpy_twin = "sin"
    torch_twin = "sin"

    @staticmethod
    def forward(x):
        return numpy.sin(x)

    @staticmethod
    def backward(node, out, g):
        return (g * cos(node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * cos(inputs[0])

def sin(x):
    """sin x; d/dx = cos x."""
    return unary(Sin, x)


class Cos(Op):
    name = "cos"
    rule = "grad_x = -g * sin(x)"
    method = "cos"
    numpy_twin = "cos"
    torch_twin = "cos"

    @staticmethod
    def forward(x):
        return numpy.cos(x)

    @staticmethod
    def backward(node, out, g):
        return (-g * sin(node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return -t[0] * sin(inputs[0])

def cos(x):
    """cos x; d/dx = -sin x."""
    return unary(Cos, x)


class Sinh(Op):
    name = "sinh"
    rule = "grad_x = g * cosh(x)"
    method = "sinh"
    numpy_twin = "sinh"
    torch_twin = "sinh"

    @staticmethod
    def forward(x):
        return numpy.sinh(x)

    @staticmethod
    def backward(node, out, g):
        return (g * cosh(node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * cosh(inputs[0])

def sinh(x):
    """sinh x; d/dx = cosh x."""
    return unary(Sinh, x)


class Cosh(Op):
    name = "cosh"
    rule = "grad_x = g * sinh(x)"
    method = "cosh"
    numpy_twin = "cosh"
    torch_twin = "cosh"

    @staticmethod
    def forward(x):
        return numpy.cosh(x)

    @staticmethod
    def backward(node, out, g):
        return (g * sinh(node.inputs[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return t[0] * sinh(inputs[0])

def cosh(x):
    """cosh x; d/dx = sinh x."""
    return unary(Cosh, x)


class LogAddExp(Op):
    """log(eᵃ + eᵇ) without overflow (NumPy's logaddexp): a smooth maximum of a and b."""

    name = "logaddexp"
    rule = "grad_a = g * exp(a - out); grad_b = g * exp(b - out)"
    numpy_twin = "logaddexp"
    torch_twin = "logaddexp"
    saves_output = True

    @staticmethod
    def forward(a, b):
        return numpy.logaddexp(a, b)

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs          # either may be a Python float: np.logaddexp(t, 0.0)
        need_a, need_b = node.requires_grad
        # d/da = eᵃ / (eᵃ + eᵇ) = e^(a - out), which never overflows; where a is the answer
        # (a == out, an infinite one included, where a - out would be inf - inf) it is e⁰ = 1
        return ((g * exp(_where_not_answer(a, out)) if need_a else None),
                (g * exp(_where_not_answer(b, out)) if need_b else None))

    @staticmethod
    def jvp(inputs, args, out, t):
        (a, b), (ta, tb) = inputs, t
        return tangent_sum(ta * exp(_where_not_answer(a, out)) if ta is not None else None,
                           tb * exp(_where_not_answer(b, out)) if tb is not None else None)


def _where_not_answer(x, out):
    """x - out, and 0 where x equals out (so +inf - +inf gives the slope 1, as PyTorch)."""
    xd = x.data if isinstance(x, core.Tensor) else x
    with numpy.errstate(invalid="ignore"), backend.on_device_of(out.data):   # out's GPU
        return where(xd == out.data, 0.0, x - out)


def logaddexp(a, b):
    """log(eᵃ + eᵇ); d/da = e^(a - out), d/db = e^(b - out)."""
    return binary(LogAddExp, a, b)


# ---- piecewise linear: maximum, minimum, clip. Their slopes are constants (0, ½ or 1), so
# each rule selects g where the slope is 1 (halves it where ½) and gives 0 elsewhere, and their
# second derivatives are 0. Selecting, not multiplying: an inf or nan g where the slope is 0
# gives 0 (PyTorch's masks), not 0 · inf = nan ----


def _split_by_winner(node, g, beats):
    """max(a, b)'s (or min's) gradient: all of g to the winner, half each at a tie (as
    PyTorch's maximum); where either side is NaN, neither beats the other and both get g."""
    a, b = node.inputs
    ad, bd = (x.data if isinstance(x, core.Tensor) else x for x in (a, b))
    need_a, need_b = node.requires_grad
    dtype = g.data.dtype
    with backend.on_device_of(g.data):      # array code: on g's GPU, whichever is current
        tie = ad == bd
        # On the host, ties are looked for once and usually absent (the MLP's relu); on a
        # GPU that look would wait for the device, so the ½ is always subtracted there.
        half = tie * dtype.type(0.5) if not isinstance(tie, _HOST) or tie.any() else None
        share_a = _unbeaten(beats(bd, ad), dtype, half) if need_a else None
        share_b = _unbeaten(beats(ad, bd), dtype, half) if need_b else None
    return _share_of(g, share_a, half), _share_of(g, share_b, half)



def _unbeaten(beaten, dtype, half):
    """1 where not beaten, less ½ at ties: 6x faster than nested where()s."""
    share = (~beaten).astype(dtype)
    if half is not None:
        share -= half
    return share


def _share_of(g, share, half):
    """g times its share (0, ½ or 1), and exactly 0 where the share is 0 whatever g is.

    The product alone is exact wherever g is finite and, on the host, ten times faster than
    where() on a mask of random signs (the MLP's relu as np.maximum(x, 0), W6); a nan in it
    (an inf or nan g) sends it through where(), which selects 0 where the share is 0."""
    if share is None:
        return None
    with numpy.errstate(invalid="ignore"):      # inf · 0: selected away below
        product = g * core._wrap(share)
    if isinstance(product.data, _HOST) and not numpy.isnan(product.data).any():
        return product
    with backend.on_device_of(g.data):
        won = share != 0
    return where(won, product, 0.0)


class Maximum(Op):
    """The larger of a and b, elementwise; a tie splits the gradient half and half."""

    name = "maximum"
    rule = "grad_a = g where a > b (half at a tie); grad_b = g where b > a (half at a tie)"
    numpy_twin = "maximum"
    torch_twin = "maximum"

    @staticmethod
    def forward(a, b):
        return numpy.maximum(a, b)

    @staticmethod
    def backward(node, out, g):
        return _split_by_winner(node, g, numpy.greater)

    @staticmethod
    def jvp(inputs, args, out, t):
        """Elementwise, so the backward rule applied to each tangent."""
        return through_backward(Maximum, inputs, args, out, t)

def maximum(a, b):
    """max(a, b) elementwise, broadcasting; d/da = 1 where a > b, ½ where a == b, else 0."""
    return binary(Maximum, a, b)


class Minimum(Op):
    """The smaller of a and b, elementwise; a tie splits the gradient half and half."""

    name = "minimum"
    rule = "grad_a = g where a < b (half at a tie); grad_b = g where b < a (half at a tie)"
    numpy_twin = "minimum"
    torch_twin = "minimum"

    @staticmethod
    def forward(a, b):
        return numpy.minimum(a, b)

    @staticmethod
    def backward(node, out, g):
        return _split_by_winner(node, g, numpy.less)

    @staticmethod
    def jvp(inputs, args, out, t):
        """Elementwise, so the backward rule applied to each tangent."""
        return through_backward(Minimum, inputs, args, out, t)

def minimum(a, b):
    """min(a, b) elementwise, broadcasting; d/da = 1 where a < b, ½ where a == b, else 0."""
    return binary(Minimum, a, b)


class Clip(Op):
    """x limited to [lo, hi] (a bound may be None): min(max(x, lo), hi), as NumPy.

    The gradient reaches x where lo <= x <= hi, bounds included (PyTorch's clamp), so never
    where x is NaN. A bound that is a Tensor gets it where it is the answer, as PyTorch: lo
    where x < lo < hi, hi where x > hi or lo > hi (then every element is hi); where
    x < lo == hi, neither does.
    """

    name = "clip"
    rule = "grad_x = g where lo <= x <= hi, else 0; grad_lo, grad_hi = g where the bound won"

    @staticmethod
    def forward(x, lo, hi):
        out = x if lo is None else numpy.maximum(x, lo)
        out = out if hi is None else numpy.minimum(out, hi)
        return x.copy() if out is x else out

    @staticmethod
    def backward(node, out, g):
        x, lo, hi = node.inputs
        xd, lod, hid = (v.data if isinstance(v, core.Tensor) else v for v in (x, lo, hi))
        need_x, need_lo, need_hi = node.requires_grad
        xp = backend.xp_of(xd)
        with backend.on_device_of(xd):      # array code: on x's GPU, whichever is current
            no = xp.zeros((), bool)     # an absent bound is never the answer
            below = no if lo is None else xp.asarray(xd < lod)
            above = no if hi is None else xp.asarray(xd > hid)
            inside = ~(below | above) & (xd == xd)      # NaN is inside no bounds (gradient 0)
            if lo is not None and hi is not None:
                below = below & xp.asarray(lod < hid)
                above = above | xp.asarray(lod > hid)
        return tuple(where(mask, g, 0.0) if need else None
                     for mask, need in ((inside, need_x), (below, need_lo), (above, need_hi)))

    @staticmethod
    def jvp(inputs, args, out, t):
        """Elementwise, so the backward rule applied to each tangent."""
        return through_backward(Clip, inputs, args, out, t)

def _shape_of(b):
    return None if b is None else b.shape if isinstance(b, core.Tensor) else ()


def clip(x, lo=None, hi=None):
    """x limited to [lo, hi]; d/dx = 1 where lo <= x <= hi (bounds included), else 0."""
    lo, hi = (b if b is None or isinstance(b, (core.Tensor, int, float)) else as_constant(b, x)
              for b in (lo, hi))
    for b in (lo, hi):
        if isinstance(b, core.Tensor):
            core.check_same_device(x.data, b.data, "clip")
    bounds = (b.data if isinstance(b, core.Tensor) else b for b in (lo, hi))
    try:
        out = core._wrap(backend.on_its_device(Clip.forward, x.data, x.data, *bounds))
    except ValueError as e:
        raise ShapeError(f"clip: a tensor of shape {x.shape} and bounds of shapes "
                         f"{_shape_of(lo)} and {_shape_of(hi)} do not broadcast ({e})") \
            from None
    if state.recording and (requires_grad(x) or requires_grad(lo) or requires_grad(hi)):
        record_node(Clip, out, (x, lo, hi), ())
    if state.levels:
        tangents.push(Clip, out, (x, lo, hi), ())
    return out


