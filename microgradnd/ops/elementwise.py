"""Elementwise math: exp, log, sqrt, abs, sign, tanh, sigmoid, relu, sin, cos, where.

Each function maps every element on its own, so each rule is the incoming gradient times the
function's slope at that element. Slopes that are themselves piecewise constant (of abs and
relu) are ops too (`sign`, `step`), so a create_graph gradient stays on the graph.
"""
from __future__ import annotations

import numpy

from .. import backend, core
from ..errors import ShapeError
from ..graph import state
from .apply import Op, binary, operand_data, record, requires_grad, unary


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


def exp(x):
    """e**x; d/dx = e**x."""
    return unary(Exp, x)


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


def log(x):
    """Natural logarithm; d/dx = 1/x."""
    return unary(Log, x)


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


def sqrt(x):
    """√x; d/dx = 1/(2√x)."""
    return unary(Sqrt, x)


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


def sign(x):
    """-1, 0 or 1 by the sign of x; d/dx = 0."""
    return unary(Sign, x)


class Abs(Op):
    """|x|; its slope at 0 is taken as 0, as in PyTorch."""

    name = "abs"

    @staticmethod
    def forward(x):
        return numpy.abs(x)

    @staticmethod
    def backward(node, out, g):
        return (g * sign(node.inputs[0]),)


def abs(x):  # noqa: A001 - mirrors numpy.abs
    """|x|; d/dx = sign(x)."""
    return unary(Abs, x)


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
        need_g, need_t = node.requires_grad
        return (gg * (1.0 - t * t) if need_g else None), (gg * (-2.0 * g * t) if need_t else None)


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


def tanh(x):
    """tanh x; d/dx = 1 - tanh² x."""
    return unary(Tanh, x)


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


def sigmoid(x):
    """1 / (1 + e**-x); d/dx = σ(x)(1 - σ(x))."""
    return unary(Sigmoid, x)


class Heaviside(Op):
    """The unit step: 1 where x > 0, else 0. The slope of relu; its own derivative is 0."""

    name = "step"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return (x > 0).astype(x.dtype)

    @staticmethod
    def backward(node, out, g):
        return (None,)


def step(x):
    """1 where x > 0, else 0; d/dx = 0."""
    return unary(Heaviside, x)


class Relu(Op):
    name = "relu"

    @staticmethod
    def forward(x):
        return numpy.maximum(x, 0)

    @staticmethod
    def backward(node, out, g):
        return (g * step(node.inputs[0]),)


def relu(x):
    """max(x, 0); d/dx = 1 where x > 0, else 0."""
    return unary(Relu, x)


class Sin(Op):
    name = "sin"

    @staticmethod
    def forward(x):
        return numpy.sin(x)

    @staticmethod
    def backward(node, out, g):
        return (g * cos(node.inputs[0]),)


def sin(x):
    """sin x; d/dx = cos x."""
    return unary(Sin, x)


class Cos(Op):
    name = "cos"

    @staticmethod
    def forward(x):
        return numpy.cos(x)

    @staticmethod
    def backward(node, out, g):
        return (-g * sin(node.inputs[0]),)


def cos(x):
    """cos x; d/dx = -sin x."""
    return unary(Cos, x)


class Where(Op):
    """where(cond, a, b) with a constant boolean cond; gradient flows to the chosen side.

    Its inputs are a and b; cond is a constant argument, so forward takes (a, b, cond), as
    every forward takes its input arrays first and its arguments after.
    """

    name = "where"
    reads_inputs = False

    @staticmethod
    def forward(a, b, cond):
        return backend.xp_of(cond).where(cond, a, b)

    @staticmethod
    def backward(node, out, g):
        cond = node.args[0]
        return (where(cond, g, 0.0) if node.requires_grad[0] else None,
                where(cond, 0.0, g) if node.requires_grad[1] else None)


def where(cond, a, b):
    """a where cond is true, else b; `cond` is a boolean array or tensor (not differentiated)."""
    if isinstance(cond, core.Tensor):
        cond = cond.data
    like = a if isinstance(a, core.Tensor) else b
    if not isinstance(like, core.Tensor):
        raise TypeError("where() needs a Tensor for a or b")
    ad, bd = operand_data(a, like), operand_data(b, like)
    try:
        out = core._wrap(Where.forward(ad, bd, cond))
    except ValueError as e:
        raise ShapeError(f"where: condition {numpy.shape(cond)}, a {numpy.shape(ad)} and "
                         f"b {numpy.shape(bd)} do not broadcast ({e})") from None
    if state.recording and (requires_grad(a) or requires_grad(b)):
        record(Where, out, (a, b), (cond,))
    return out
