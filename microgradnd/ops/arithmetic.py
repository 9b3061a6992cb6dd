"""Elementwise arithmetic: + - * / ** (and square) and unary minus, each rule beside its function.

Inputs may have different shapes (NumPy broadcasting) or be Python scalars; the rules return
gradients of the broadcast shape, and the backward walk sums them back to each input's shape.
"""
from __future__ import annotations

import math
import operator

import numpy

from .. import backend, core
from .apply import Op, binary, unary
from .conversion import cast
from .elementwise import log, where
from .tangents import through_backward

__all__ = [  # what ops/__init__.py gathers
    "Add", "Div", "Mul", "Neg", "Power", "PowerByProducts", "Sub", "add", "div", "mul", "neg",
    "power", "square", "sub",
]


class Add(Op):
    name = "add"
    rule = "grad_a = g; grad_b = g"
    numpy_twin = "add"
    torch_twin = "add"
    reads_inputs = False

    forward = staticmethod(operator.add)     # a C call: no Python frame per op

    @staticmethod
    def backward(node, out, g):
        need_a, need_b = node.requires_grad
        return (g if need_a else None), (g if need_b else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        ta, tb = t
        return ta if tb is None else tb if ta is None else ta + tb


def add(a, b):
    """a + b."""
    return binary(Add, a, b)


class Sub(Op):
    name = "sub"
    rule = "grad_a = g; grad_b = -g"
    numpy_twin = "subtract"
    torch_twin = "sub"
    reads_inputs = False

    forward = staticmethod(operator.sub)

    @staticmethod
    def backward(node, out, g):
        need_a, need_b = node.requires_grad
        return (g if need_a else None), (-g if need_b else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        ta, tb = t
        return ta if tb is None else -tb if ta is None else ta - tb


def sub(a, b):
    """a - b."""
    return binary(Sub, a, b)


class Mul(Op):
    name = "mul"
    rule = "grad_a = g * b; grad_b = g * a"
    numpy_twin = "multiply"
    torch_twin = "mul"

    forward = staticmethod(operator.mul)

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs
        need_a, need_b = node.requires_grad
        return (g * b if need_a else None), (g * a if need_b else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        (a, b), (ta, tb) = inputs, t
        if tb is None:
            return ta * b
        return a * tb if ta is None else ta * b + a * tb


def mul(a, b):
    """a * b."""
    return binary(Mul, a, b)


class Div(Op):
    name = "div"
    rule = "grad_a = g / b; grad_b = -g * out / b"
    numpy_twin = "divide"
    torch_twin = "div"
    saves_output = True

    forward = staticmethod(operator.truediv)

    @staticmethod
    def backward(node, out, g):
        b = node.inputs[1]
        if type(b) is not core.Tensor and b:     # a nonzero scalar (x / 2): no errstate cost
            return g / b, None                  # (then a is what wants a gradient)
        need_a, need_b = node.requires_grad
        with numpy.errstate(divide="ignore", invalid="ignore"):     # b == 0: inf, no warning
            g_over_b = g / b
            # d/db a/b = -a/b² = -(1/b)·out
            return (g_over_b if need_a else None), (-g_over_b * out if need_b else None)

    @staticmethod
    def jvp(inputs, args, out, t):
        b, (ta, tb) = inputs[1], t
        with numpy.errstate(divide="ignore", invalid="ignore"):
            # d(a/b) = (da - out·db) / b
            return (ta if tb is None else -(out * tb) if ta is None else ta - out * tb) / b


def div(a, b):
    """a / b."""
    return binary(Div, a, b)


class Power(Op):
    """a ** b. d/da = b·a**(b-1), exactly 0 where b == 0; d/db = out·log(a), 0 where a == 0 <= b.

    The masks are PyTorch's: a nan in g (log of a negative base, at second order) or an inf in
    a**(b-1) does not leak into a slope that is 0 by definition; 0 ** b with b < 0 has -inf.
    """

    name = "pow"
    rule = "grad_a = g * b * a ** (b - 1); grad_b = g * out * log(a)"
    function = "power"
    numpy_twin = "power"
    torch_twin = "pow"

    forward = staticmethod(operator.pow)

    @staticmethod
    def backward(node, out, g):
        a, b = node.inputs
        need_a, need_b = node.requires_grad
        if type(b) is not core.Tensor and b == 2:    # the chapter's squared loss
            ga = g * a
            # In place on a fresh tensor: one n-sized temporary fewer (W3's peak memory).
            # Under create_graph this is recorded out of place, as `ga = ga * 2.0`.
            ga *= 2.0
            return ga, None
        if type(b) is int and b > 2:     # x ** 3, x ** 4: no inf or nan can arise here
            return (g * b) * a ** (b - 1), None     # g * b first: g rarely has a tangent
        ga = gb = None
        # a == 0 with b < 1 (sqrt-like) or a < 0: inf and nan as PyTorch, without warnings
        with numpy.errstate(divide="ignore", invalid="ignore"), backend.on_device_of(g.data):
            if need_a:
                if isinstance(b, core.Tensor):
                    ga = where(b.data == 0, 0.0, g * (b * a ** (b - 1)))
                elif b == 0:
                    ga = where(backend.zeros_like(g.data) == 0, 0.0, g)  # not 0·inf; on g's graph
                elif b == 1:
                    ga = g
                else:
                    ga = g * (b * a ** (b - 1))
            if need_b:
                out = a ** b        # recomputed: the output need not be kept for this rare case
                if isinstance(a, core.Tensor):       # 0 ** b is flat in b where b >= 0
                    log_a = log(cast(a, out.dtype))     # a float32 base: log in out's precision
                    gb = g * where((a.data == 0) & (b.data >= 0), 0.0, out * log_a)
                elif a == 0:                    # log(0) = -inf: 0 ** b = inf falls for b < 0
                    gb = g * where(b.data >= 0, 0.0, out * -math.inf)
                else:
                    gb = g * (out * (math.log(a) if a > 0 else math.nan))
            return ga, gb

    @staticmethod
    def jvp(inputs, args, out, t):
        """Elementwise, so the backward rule (masks and all) applied to each tangent."""
        (a, b), (ta, tb) = inputs, t
        if tb is None and type(b) is int and b > 1:     # x ** 2, x ** 4: no mask can apply
            return ta * (a * 2) if b == 2 else ta * (b * a ** (b - 1))
        return through_backward(Power, inputs, args, out, t)


class PowerByProducts(Power):     # x ** 3 and x ** 4, by products (see backend.power)
    rule, numpy_twin, torch_twin = Power.rule, None, None     # Power's rows cover it
    forward = staticmethod(backend.power)


def power(a, b):
    """a ** b."""
    return binary(PowerByProducts if type(b) is int and 2 < b < 5 else Power, a, b)


def square(x):
    """x²; d/dx = 2x. Composed: x ** 2 is one op whose rule has a fast path for it."""
    return binary(Power, x, 2)


class Neg(Op):
    name = "neg"
    rule = "grad_x = -g"
    numpy_twin = "negative"
    torch_twin = "neg"
    reads_inputs = False

    forward = staticmethod(operator.neg)

    @staticmethod
    def backward(node, out, g):
        return (-g,)

    @staticmethod
    def jvp(inputs, args, out, t):
        return -t[0]


def neg(x):
    """-x."""
    return unary(Neg, x)
