"""Conversions: to new memory, to another dtype, to another device. The gradient converts back."""
from __future__ import annotations

import numpy

from .. import backend, core
from .apply import Op, unary

__all__ = [  # what ops/__init__.py gathers
    "Cast", "Copy", "ToDevice", "cast", "copy", "to_device",
]


class Copy(Op):
    """The same values in new memory (MXNet's and NumPy's copy()); the gradient passes as is."""

    name = "copy"
    rule = "grad_x = g"
    method = "copy"
    torch_twin = "clone"
    reads_inputs = False

    @staticmethod
    def forward(x):
        return x.copy()

    @staticmethod
    def backward(node, out, g):
        return (g,)

    @staticmethod
    def jvp(inputs, args, out, t):
        return copy(t[0])


def copy(x):
    """A copy in new memory, sharing none with x; d/dx = 1."""
    return unary(Copy, x)


class Cast(Op):
    name = "cast"
    rule = "grad_x = g cast back to x's dtype"
    reads_inputs = False

    @staticmethod
    def forward(x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(node, out, g):
        return (cast(g, node.inputs[0].data.dtype),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return cast(t[0], args[0])


def cast(x, dtype):
    """x converted to `dtype`; to an integer or boolean dtype the result is a constant."""
    if x.data.dtype == dtype:
        return x
    if numpy.dtype(dtype).kind not in "fc":     # integers, booleans: no gradient, a constant
        out = backend.on_its_device(x.data.astype, x.data, dtype)
        return core._cut(core._wrap(out), f"a cast to {numpy.dtype(dtype)}", x)
    return unary(Cast, x, dtype)


class ToDevice(Op):
    name = "to_device"
    rule = "grad_x = g copied back to x's device"
    reads_inputs = False

    @staticmethod
    def forward(x, device):
        return backend.to_device(x, device)

    @staticmethod
    def backward(node, out, g):
        return (to_device(g, node.inputs[0].device),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return to_device(t[0], args[0])


def to_device(x, device: str):
    """x copied to `device`; the gradient flows back across the copy."""
    if x.device == device:
        return x
    return unary(ToDevice, x, device)
