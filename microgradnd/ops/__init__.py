"""The operations, one file per family; this file only gathers their names.

Read apply.py first (what an op is, how it is applied and recorded), then any family.
"""
from .apply import Op, as_constant, binary, index_data, operand_data, record, requires_grad, unary
from .arithmetic import Add, Div, Mul, Neg, Power, Sub, add, div, mul, neg, power, sub
from .conversion import Cast, ToDevice, cast, to_device
from .elementwise import (
    Abs,
    Cos,
    Exp,
    Heaviside,
    Log,
    Relu,
    Sigmoid,
    Sign,
    Sin,
    Sqrt,
    Tanh,
    TanhGrad,
    Where,
    abs,
    cos,
    exp,
    log,
    relu,
    sigmoid,
    sign,
    sin,
    sqrt,
    step,
    tanh,
    where,
)
from .indexing import GetItem, IndexAddToZeros, SetItem, getitem, index_add_to_zeros, setitem
from .linalg import MatMul, dot, matmul
from .reductions import Max, Sum, max, mean, sum
from .shapes import BroadcastTo, Reshape, SumTo, Transpose, broadcast_to, reshape, sum_to, transpose
