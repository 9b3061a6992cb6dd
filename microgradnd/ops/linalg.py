"""Linear algebra: matmul (a primitive) and NumPy's dot (composed from it).

The matrix rules are dA = dOut @ Bᵀ and dB = Aᵀ @ dOut; 1-D operands are promoted to
matrices as the forward did, and batch broadcasting is summed away by the backward walk.
"""
from __future__ import annotations

import math

import numpy

from .. import core
from ..errors import ShapeError
from .apply import Op, as_constant, binary, unary
from .arithmetic import mul
from .shapes import Transpose, reshape, transpose

__all__ = [  # what ops/__init__.py gathers
    "MatMul", "dot", "matmul", "swap_last",
]


def swap_last(x):
    """x with its last two axes exchanged (the matrix transpose of a batch)."""
    ndim = x.data.ndim
    if ndim == 2:
        return unary(Transpose, x, None)
    return unary(Transpose, x, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def _column_major(x) -> bool:
    """Are x's matrices stored column by column (is x a transposed view)?"""
    strides = x.strides
    return strides[-2] < strides[-1] and x.shape[-2] > 1 and x.shape[-1] > 1


class MatMul(Op):
    """a @ b with NumPy's rules for 1-D operands and batch broadcasting."""

    name = "matmul"
    rule = "grad_a = g @ b.T; grad_b = a.T @ g"
    numpy_twin = "matmul"
    torch_twin = "matmul"

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
        need_a, need_b = node.requires_grad
        a_vec, b_vec = a.data.ndim == 1, b.data.ndim == 1
        if a_vec and b_vec:
            return (g * b if need_a else None), (g * a if need_b else None)
        # A matrix times a vector: the vector's gradient is one matrix-vector product
        # (Aᵀg as g @ A), without the promotion to matrices below (a Hessian-vector
        # product's backward runs this at every step, W5)
        if b_vec and a.data.ndim == 2 and not need_a:
            return None, matmul(g, a)
        if a_vec and b.data.ndim == 2 and not need_b:
            return matmul(b, g), None
        a2 = reshape(a, (1, a.shape[0])) if a_vec else a
        b2 = reshape(b, (b.shape[0], 1)) if b_vec else b
        g2 = g
        if a_vec:
            g2 = reshape(g2, g2.shape[:-1] + (1,) + g2.shape[-1:])
        if b_vec:
            g2 = reshape(g2, g2.shape + (1,))
        ga = gb = None
        if need_a:
            if not a_vec and _column_major(a.data):
                # a is a transposed view (conv2d's colsᵀ): the same product, computed as
                # (b @ gᵀ)ᵀ, gives its gradient a's layout, so what reads it next (fold)
                # reads memory in order: 2.5x faster there, at no cost here (measured, W8)
                ga = swap_last(matmul(b2, swap_last(g2)))
            else:
                ga = matmul(g2, swap_last(b2))
            if a_vec:
                ga = reshape(ga, ga.shape[:-2] + ga.shape[-1:])
        if need_b:
            gb = matmul(swap_last(a2), g2)
            if b_vec:
                gb = reshape(gb, gb.shape[:-1])
        return ga, gb

    @staticmethod
    def jvp(inputs, args, out, t):
        (a, b), (ta, tb) = inputs, t
        if tb is None:
            return matmul(ta, b)
        return matmul(a, tb) if ta is None else matmul(ta, b) + matmul(a, tb)

    @classmethod
    def shape_error(cls, a, b, e: ValueError) -> ShapeError:
        return ShapeError(f"matmul: shapes {numpy.shape(a)} and {numpy.shape(b)} do not fit "
                          f"({e}); a @ b needs the last axis of a to match the second-last "
                          "axis of b (or b's only axis): transpose or reshape one")


def matmul(a, b):
    """a @ b (NumPy's matmul rules)."""
    return binary(MatMul, a, b)


def dot(a, b):
    """NumPy's dot: matmul, except that b of 3+ dims is contracted over its second-last axis."""
    if not isinstance(a, core.Tensor):
        a = as_constant(a, b)
    if not isinstance(b, core.Tensor):
        b = as_constant(b, a)
    a_ndim, b_ndim = a.data.ndim, b.data.ndim
    if a_ndim == 0 or b_ndim == 0:
        return mul(a, b)
    if b_ndim <= 2 or a_ndim == 1:
        return matmul(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"dot: shapes {a.shape} and {b.shape} do not fit: the last axis of a "
                         f"({a.shape[-1]}) must match the second-last of b ({b.shape[-2]})")
    # dot(a, b)[..., j, ...] = Σ_k a[..., k] b[..., k, j]: move b's k axis first, flatten both
    # (sizes spelled out, not -1, which a size-0 axis would leave undetermined)
    axes = (b.ndim - 2,) + tuple(i for i in range(b.ndim) if i != b.ndim - 2)
    b2 = reshape(transpose(b, axes), (b.shape[-2], math.prod(b.shape[:-2] + b.shape[-1:])))
    a2 = reshape(a, (math.prod(a.shape[:-1]), a.shape[-1]))
    out_shape = a.shape[:-1] + b.shape[:-2] + b.shape[-1:]
    return reshape(matmul(a2, b2), out_shape)
