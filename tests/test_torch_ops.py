"""Differential test against PyTorch (CPU, float64): every op of API §1, three orders deep.

Each row gives the microgradnd expression, the PyTorch expression meaning the same thing, the
input shapes to try and where inputs are drawn from. For every row and shape we compare the
value, first-order gradients under a random head gradient, and second-order gradients (the
gradient of <grad L, u> for a random direction u, where L = <h, out> + <out, out>/2 so that
even linear ops have a gradient that depends on the inputs).

Intentional differences from PyTorch, each settled by API.md or NumPy and not tested here:
- dtype rules are NumPy's (API §1): Python floats become float32 in `mg.tensor`, and a Python
  scalar takes the tensor's dtype; all rows here use float64 arrays, so both engines agree.
- `max` is NumPy's (an array, no indices); its PyTorch twin is `amax`, which shares the
  gradient between ties equally, as microgradnd does.
- slicing with a negative step is NumPy's `x[::-1]`; PyTorch refuses it, so its twin is flip.
- `.T` reverses every axis as NumPy does (PyTorch deprecates `.T` beyond 2-D: its twin is
  permute); `transpose(*axes)` is NumPy's permutation, PyTorch's `permute`.
- `dot` is NumPy's (contracts the last axis of a with the second-last of b); its twin is
  tensordot. Reducing a 0-d tensor over axis 0 is an error as in NumPy (PyTorch allows it).
- `sum(axis=())` reduces nothing, as in NumPy (PyTorch's `sum(dim=())` reduces everything).
- Result dtypes are NumPy 2's where PyTorch's differ (test_dtypes_follow_numpy): a NumPy scalar
  is not weak (`numpy.float64(2.0) * float32` is float64), int64 with float32 gives float64, an
  int tensor with a Python float gives float64. `np.dot(float32, 2.0)` stays float32 (API §1's
  Python-scalar rule; NumPy's own dot says float64). A list operand becomes a float32 tensor.
- At NaN inputs abs and relu follow NumPy: the slope of abs is sign(nan) = nan, relu's is 0
  (PyTorch: 0, and the incoming gradient). In float32, sigmoid's far left tail keeps
  subnormal values where PyTorch's rounds to 0 (so log σ(-100) is finite here).
"""
import zlib
from dataclasses import dataclass, replace

import numpy
import pytest
import test_ops

import microgradnd as mg
from microgradnd import autograd
from microgradnd.ndarray import nansum
from microgradnd.ops import registry

torch = pytest.importorskip("torch", reason="PyTorch is not installed: differential tests skipped")

TOLERANCE = {"float64": (1e-10, 1e-12), "float32": (2e-5, 1e-6)}     # (rtol, atol)

# Constant operands: NumPy arrays on one side of an operator (PyTorch twin: from_numpy).
C34 = numpy.random.default_rng(1).uniform(0.5, 2.0, (3, 4))
C4 = numpy.random.default_rng(2).uniform(0.5, 2.0, (4,))
C45 = numpy.random.default_rng(3).uniform(-1.0, 1.0, (4, 5))
ROW4 = [[1.0, 2.0, -1.0, 0.5]]     # a list operand: exact in float32, which a list becomes
MASK = numpy.array([True, False, True])
MASK2 = numpy.array([[True, False, True, False], [False, False, True, True],
                     [True, True, False, False]])


def tc(a):
    """The PyTorch twin of a NumPy constant."""
    return torch.from_numpy(a)


@dataclass
class Row:
    name: str
    fn: object                # microgradnd: Tensors -> Tensor
    ref: object               # PyTorch: tensors -> tensor
    shapes: list              # each entry: a tuple with one shape per input
    domain: object = "any"    # 'any', 'positive', 'away_from_zero', 'ties', 'integers',
    #                           'wide', 'constant', 'zeros', 'unit', or a tuple of these, one
    #                           per input
    host: bool = False        # uses NumPy constants: CPU tensors only (a GPU tensor refuses them)
    edge: bool = False        # inf/nan on purpose (0 ** -1): NumPy's warnings are expected
    dtype: str = "float64"    # the inputs' dtype (and so the head gradient's and u's)


def dims(axis, ndim):
    """PyTorch's spelling of NumPy's axis=None: every dim."""
    return tuple(range(ndim)) if axis is None else axis


def reverse_axes(t):
    """PyTorch's spelling of NumPy's `.T` / `transpose()` for any number of dims."""
    return t.permute(tuple(reversed(range(t.ndim))))


def t_dot(a, b):
    """NumPy's dot semantics written with PyTorch."""
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return torch.tensordot(a, b, dims=([a.ndim - 1], [builtin_max(b.ndim - 2, 0)]))


builtin_max = max

BIN = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)), ((), ()),
       ((0, 3), (3,)), ((2, 0, 1), (1, 5))]
UN = [((3, 4),), ((),), ((0, 2),), ((2, 1, 3),)]


def reductions():
    rows = []
    for axis in [None, 0, -1, (0, 2), (-1, -2)]:
        for keep in [False, True]:
            tag = f"{axis}_{keep}".replace(" ", "")
            rows += [
                Row(f"sum_{tag}", lambda a, ax=axis, k=keep: a.sum(axis=ax, keepdims=k),
                    lambda a, ax=axis, k=keep: a.sum(dim=dims(ax, a.ndim), keepdim=k),
                    [((3, 4, 5),), ((2, 0, 3),)]),
                Row(f"mean_{tag}", lambda a, ax=axis, k=keep: a.mean(axis=ax, keepdims=k),
                    lambda a, ax=axis, k=keep: a.mean(dim=dims(ax, a.ndim), keepdim=k),
                    [((3, 4, 5),)]),
                Row(f"max_{tag}", lambda a, ax=axis, k=keep: a.max(axis=ax, keepdims=k),
                    lambda a, ax=axis, k=keep: a.amax(dim=dims(ax, a.ndim), keepdim=k),
                    [((3, 4, 5),)]),
            ]
    # 0-d and 1-d inputs, and reductions of empty tensors that still have an answer
    rows += [
        Row("sum_0d", lambda a: a.sum(), lambda a: a.sum(), [((),), ((4,),), ((0,),)]),
        Row("mean_0d", lambda a: a.mean(), lambda a: a.mean(), [((),), ((4,),)]),
        Row("max_0d", lambda a: a.max(), lambda a: a.amax(), [((),), ((4,),)]),
        Row("sum_empty_axis", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), [((0, 3),)]),
        Row("mean_of_empty_rows", lambda a: a.mean(axis=1), lambda a: a.mean(dim=1),
            [((0, 3),)]),
        Row("max_of_empty_rows", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [((0, 3),)]),
        Row("sum_axis_list", lambda a: a.sum(axis=[0, 1]), lambda a: a.sum(dim=(0, 1)),
            [((2, 3, 4),)]),
    ]
    return rows


OPS = [
    # ---- binary operators, both operands Tensors, broadcasting both ways ----
    Row("add", lambda a, b: a + b, lambda a, b: a + b, BIN),
    Row("sub", lambda a, b: a - b, lambda a, b: a - b, BIN),
    Row("mul", lambda a, b: a * b, lambda a, b: a * b, BIN),
    Row("div", lambda a, b: a / b, lambda a, b: a / b, BIN, "away_from_zero"),
    Row("pow", lambda a, b: a ** b, lambda a, b: a ** b, BIN, "positive"),
    Row("neg", lambda a: -a, lambda a: -a, UN),
    Row("pos", lambda a: +a, lambda a: +a, UN),
    # ---- Python scalars, both sides ----
    Row("add_scalar", lambda a: a + 2.5, lambda a: a + 2.5, UN),
    Row("radd_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, UN),
    Row("sub_scalar", lambda a: a - 1.5, lambda a: a - 1.5, UN),
    Row("rsub_scalar", lambda a: 1.5 - a, lambda a: 1.5 - a, UN),
    Row("mul_int", lambda a: a * 3, lambda a: a * 3, UN),
    Row("rmul_scalar", lambda a: 0.5 * a, lambda a: 0.5 * a, UN),
    Row("div_scalar", lambda a: a / 4, lambda a: a / 4, UN),
    Row("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, UN, "away_from_zero"),
    Row("square_int", lambda a: a ** 2, lambda a: a ** 2, UN),
    Row("square_float", lambda a: a ** 2.0, lambda a: a ** 2.0, UN),
    Row("cube", lambda a: a ** 3, lambda a: a ** 3, UN),      # negative bases included
    Row("pow_one", lambda a: a ** 1, lambda a: a ** 1, UN),
    Row("pow_half", lambda a: a ** 0.5, lambda a: a ** 0.5, UN, "positive"),
    Row("pow_neg", lambda a: a ** -1.5, lambda a: a ** -1.5, UN, "positive"),
    Row("pow_neg_int", lambda a: a ** -2, lambda a: a ** -2, UN, "away_from_zero"),
    Row("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, UN),
    Row("rpow_int", lambda a: 3 ** a, lambda a: 3 ** a, UN),
    # ---- powers at their edges: zero and negative bases, integer-valued exponents ----
    # (PyTorch's masks: d/da is exactly 0 where b == 0, d/db is 0 where a == 0 <= b, and
    # 0 ** b with b < 0 has d/db = -inf; nan from log(a < 0) stays where PyTorch has it)
    Row("pow_edges", lambda a, b: a ** b, lambda a, b: a ** b,
        [((4, 5), (4, 5)), ((2, 3, 4), (4,)), ((6,), ())], ("ties", "integers"), edge=True),
    Row("pow_negative_base_int_exponent", lambda a, b: a ** b, lambda a, b: a ** b,
        [((3, 4), (3, 4))], ("away_from_zero", "integers"), edge=True),
    Row("rpow_zero_base", lambda a: 0.0 ** a, lambda a: 0.0 ** a, [((4, 5),)], "integers",
        edge=True),
    Row("rpow_negative_base", lambda a: (-2.0) ** a, lambda a: (-2.0) ** a, [((4, 5),)],
        "integers", edge=True),
    # x ** 0 has slope exactly 0, also under an infinite gradient (sqrt at 0)
    Row("pow_zero_under_infinite_gradient", lambda a: (a ** 0 - 1.0).sqrt() + (a ** 0.0 - 1.0
        ).sqrt(), lambda a: (a ** 0 - 1.0).sqrt() + (a ** 0.0 - 1.0).sqrt(), UN, "ties",
        edge=True),
    Row("pow_int_scalars", lambda a: a ** 0 + a ** 1 + a ** 3 + a ** -1 + a ** 0.0,
        lambda a: a ** 0 + a ** 1 + a ** 3 + a ** -1 + a ** 0.0, [((4, 5),)], "ties",
        edge=True),
    # ---- NumPy arrays, both sides (NumPy must defer to Tensor's reflected methods) ----
    Row("add_ndarray", lambda a: a + C34, lambda a: a + tc(C34), [((3, 4),), ((2, 1, 4),)],
        host=True),
    Row("radd_ndarray", lambda a: C34 + a, lambda a: tc(C34) + a, [((3, 4),), ((4,),)],
        host=True),
    Row("rsub_ndarray", lambda a: C4 - a, lambda a: tc(C4) - a, [((3, 4),)], host=True),
    Row("rmul_ndarray", lambda a: C34 * a, lambda a: tc(C34) * a, [((3, 1),)], host=True),
    Row("rdiv_ndarray", lambda a: C34 / a, lambda a: tc(C34) / a, [((3, 4),)],
        "away_from_zero", host=True),
    Row("rpow_ndarray", lambda a: C34 ** a, lambda a: tc(C34) ** a, [((3, 4),), ((),)],
        host=True),
    Row("pow_ndarray", lambda a: a ** C4, lambda a: a ** tc(C4), [((3, 4),)], "positive",
        host=True),
    # a float32 base under a float64 exponent: d/db = out·log(a) in float64, as PyTorch
    Row("rpow_ndarray_float32", lambda a: C34.astype(numpy.float32) ** a,
        lambda a: tc(C34.astype(numpy.float32)) ** a, [((3, 4),)], host=True),
    Row("rpow_numpy_int_zero", lambda a: numpy.int64(0) ** a, lambda a: 0 ** a, [((4, 5),)],
        "integers", host=True, edge=True),
    Row("matmul_ndarray", lambda a: a @ C45, lambda a: a @ tc(C45), [((3, 4),), ((4,),)],
        host=True),
    Row("rmatmul_ndarray", lambda a: C34 @ a, lambda a: tc(C34) @ a, [((4, 2),), ((4,),)],
        host=True),
    # ---- linear algebra ----
    Row("matmul", lambda a, b: a @ b, lambda a, b: a @ b,
        [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
         ((2, 3), (5, 3, 4)), ((2, 1, 3, 4), (5, 4, 2)), ((3,), (2, 3, 4)), ((0, 3), (3, 4)),
         ((2, 0), (0, 3))]),
    Row("matmul_method", lambda a, b: a.matmul(b), lambda a, b: a.matmul(b),
        [((2, 3), (3, 4)), ((4, 2, 3), (4, 3, 1))]),
    Row("dot", lambda a, b: a.dot(b), t_dot,
        [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (4, 3, 5)),
         ((2, 2, 3), (4, 3, 5)), ((), (3,)), ((2, 3), ()),
         ((2, 0), (3, 0, 4)), ((2, 3), (4, 3, 0)), ((2, 0, 0), (1, 0, 3))]),     # size-0 axes
    Row("np_dot", lambda a, b: mg.np.dot(a, b), t_dot, [((2, 3), (3, 4)), ((3,), (3,))]),
    Row("np_matmul", lambda a, b: mg.np.matmul(a, b), torch.matmul, [((5, 2, 3), (3, 4))]),
    Row("same_operand_matmul", lambda a: a @ a.T, lambda a: a @ a.T, [((3, 4),)]),
    # ---- shapes ----
    Row("reshape_flat", lambda a: a.reshape(-1), lambda a: a.reshape(-1), UN),
    Row("reshape_args", lambda a: a.reshape(2, -1), lambda a: a.reshape(2, -1),
        [((3, 4),), ((2, 1, 3),)]),
    Row("reshape_tuple", lambda a: a.reshape((4, 1, 3)), lambda a: a.reshape((4, 1, 3)),
        [((3, 4),), ((12,),)]),
    Row("reshape_to_0d", lambda a: a.reshape(()), lambda a: a.reshape(()), [((1, 1),), ((),)]),
    Row("reshape_empty", lambda a: a.reshape(3, 0), lambda a: a.reshape(3, 0), [((0, 3),)]),
    Row("reshape_of_transpose", lambda a: a.T.reshape(-1)[1:7], lambda a: a.T.reshape(-1)[1:7],
        [((3, 4),)]),
    Row("transpose_none", lambda a: a.transpose(),
        reverse_axes, [((3, 4),), ((2, 3, 4),), ((3,),), ((),)]),
    Row("transpose_args", lambda a: a.transpose(1, 0, 2), lambda a: a.permute(1, 0, 2),
        [((2, 3, 4),)]),
    Row("transpose_tuple", lambda a: a.transpose((2, 0, 1)), lambda a: a.permute(2, 0, 1),
        [((2, 3, 4),), ((2, 0, 4),)]),
    Row("transpose_negative", lambda a: a.transpose(-1, 0, 1), lambda a: a.permute(-1, 0, 1),
        [((2, 3, 4),)]),
    Row("T", lambda a: a.T, reverse_axes,
        [((3, 4),), ((2, 3, 4),), ((3,),), ((),)]),
    # ---- unary functions ----
    Row("exp", lambda a: a.exp(), torch.exp, UN),
    Row("log", lambda a: a.log(), torch.log, UN, "positive"),
    Row("sqrt", lambda a: a.sqrt(), torch.sqrt, UN, "positive"),
    Row("abs", lambda a: a.abs(), torch.abs, UN, "away_from_zero"),
    Row("builtin_abs", lambda a: abs(a), torch.abs, UN, "away_from_zero"),
    Row("tanh", lambda a: a.tanh(), torch.tanh, UN),
    Row("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, UN),
    Row("log_sigmoid_tails", lambda a: a.sigmoid().log(), lambda a: a.sigmoid().log(),
        [((4, 6),)], "wide"),     # σ(-40) = 4e-18, not 0: its log is -40, not -inf
    Row("relu", lambda a: a.relu(), torch.relu, UN, "away_from_zero"),
    Row("sin", lambda a: a.sin(), torch.sin, UN),
    Row("cos", lambda a: a.cos(), torch.cos, UN),
    Row("np_functions", lambda a: mg.np.tanh(mg.np.exp(mg.np.sqrt(mg.np.abs(a)))).sum(),
        lambda a: a.abs().sqrt().exp().tanh().sum(), [((3, 4),)], "away_from_zero"),
    # ---- indexing (PyTorch twins spelled out where PyTorch's syntax differs) ----
    Row("getitem_int", lambda a: a[1], lambda a: a[1], [((3, 4),), ((4,),)]),
    Row("getitem_negative_int", lambda a: a[-1, -2], lambda a: a[-1, -2], [((3, 4),)]),
    Row("getitem_slice", lambda a: a[1:3], lambda a: a[1:3], [((4, 2),), ((5,),)]),
    Row("getitem_slice_step", lambda a: a[::2, 1:], lambda a: a[::2, 1:], [((5, 3),)]),
    Row("getitem_negative_step", lambda a: a[::-1], lambda a: a.flip(0), [((4, 2),), ((5,),)]),
    Row("getitem_negative_step2", lambda a: a[:, ::-2], lambda a: a.flip(1)[:, ::2],
        [((3, 5),)]),
    Row("getitem_none", lambda a: a[None, :, None], lambda a: a[None, :, None], [((3, 2),)]),
    Row("getitem_ellipsis", lambda a: a[..., 0], lambda a: a[..., 0], [((2, 3, 4),)]),
    Row("getitem_mixed_basic", lambda a: a[1, ..., None, 1:], lambda a: a[1, ..., None, 1:],
        [((3, 2, 4),)]),
    Row("getitem_0d", lambda a: a[()], lambda a: a[()], [((),)]),
    Row("getitem_int_array_repeats", lambda a: a[[0, 2, 2, 1, 0]],
        lambda a: a[[0, 2, 2, 1, 0]], [((3, 4),), ((3,),)]),
    Row("getitem_negative_array", lambda a: a[numpy.array([-1, -1, 0])],
        lambda a: a[torch.tensor([-1, -1, 0])], [((3, 2),)]),
    Row("getitem_2d_pairs_repeats", lambda a: a[[0, 0, 2], [1, 1, -1]],
        lambda a: a[[0, 0, 2], [1, 1, -1]], [((3, 4),)]),
    Row("getitem_2d_index_array", lambda a: a[numpy.array([[0, 1], [1, 1]])],
        lambda a: a[torch.tensor([[0, 1], [1, 1]])], [((3, 4),)]),
    Row("getitem_slice_and_array", lambda a: a[1:, [0, 0, 3]], lambda a: a[1:, [0, 0, 3]],
        [((3, 4),)]),
    Row("getitem_bool_mask_rows", lambda a: a[MASK], lambda a: a[tc(MASK)], [((3, 4),)]),
    Row("getitem_bool_mask_full", lambda a: a[MASK2], lambda a: a[tc(MASK2)], [((3, 4),)]),
    Row("getitem_tensor_index", lambda a: a[mg.tensor([2, 0, 2])],
        lambda a: a[torch.tensor([2, 0, 2])], [((3, 4),)]),
    Row("getitem_tensor_mask", lambda a: a[mg.tensor(MASK)], lambda a: a[tc(MASK)],
        [((3, 2),)]),
    Row("getitem_empty_array", lambda a: a[numpy.array([], dtype=numpy.int64)],
        lambda a: a[torch.tensor([], dtype=torch.int64)], [((3, 4),)]),
    # ---- NumPy scalars on either side (NumPy's dtype rules; PyTorch's twin: the Python value) ----
    Row("rmul_np_float64", lambda a: numpy.float64(2.0) * a, lambda a: 2.0 * a, UN, host=True),
    Row("radd_np_float32", lambda a: numpy.float32(0.5) + a, lambda a: 0.5 + a, UN, host=True),
    Row("rsub_np_int64", lambda a: numpy.int64(3) - a, lambda a: 3 - a, UN, host=True),
    Row("div_np_float64", lambda a: a / numpy.float64(4.0), lambda a: a / 4.0, UN, host=True),
    Row("rdiv_np_int64", lambda a: numpy.int64(2) / a, lambda a: 2 / a, UN, "away_from_zero",
        host=True),
    Row("pow_np_int64", lambda a: a ** numpy.int64(2), lambda a: a ** 2, UN, "ties", host=True),
    Row("pow_np_int64_odd", lambda a: a ** numpy.int64(3), lambda a: a ** 3, UN, "ties",
        host=True),
    Row("rpow_np_float64", lambda a: numpy.float64(2.0) ** a, lambda a: 2.0 ** a, UN,
        host=True),
    Row("rdiv_ndarray_float32", lambda a: C34.astype(numpy.float32) / a,
        lambda a: tc(C34.astype(numpy.float32)) / a, [((3, 4),), ((2, 1, 4),)],
        "away_from_zero", host=True),
    Row("rpow_ndarray_broadcast", lambda a: C4 ** a, lambda a: tc(C4) ** a,
        [((2, 3, 1),), ((3, 4),)], host=True),
    Row("rmatmul_ndarray_batched", lambda a: C34 @ a, lambda a: tc(C34) @ a, [((2, 4, 3),)],
        host=True),
    # ---- kinks and ties: abs and relu at exactly 0 (slope 0), squares at 0, max ties ----
    Row("abs_at_zero", lambda a: a.abs(), torch.abs, [((4, 5),), ((),)], "ties"),
    Row("relu_at_zero", lambda a: a.relu(), torch.relu, [((4, 5),), ((),)], "ties"),
    Row("square_at_zero", lambda a: a ** 2 + a ** 2.0, lambda a: a ** 2 + a ** 2.0, [((4, 5),)],
        "ties"),
    # an infinite gradient (sqrt at 0) meets a slope of 0: the mask gives 0, not 0 · inf = nan
    Row("relu_sqrt_at_zero", lambda a: a.relu().sqrt(), lambda a: a.relu().sqrt(),
        [((4, 5),), ((),)], "ties", edge=True),
    Row("maximum_sqrt_at_zero", lambda a, b: mg.np.maximum(a, b).sqrt()
        + (-mg.np.minimum(a, 0.0)).sqrt(), lambda a, b: torch.maximum(a, b).sqrt()
        + (-torch.minimum(a, torch.tensor(0.0, dtype=a.dtype))).sqrt(),
        [((4, 5), (4, 5)), ((3, 4), (4,))], "ties", edge=True),
    Row("clip_sqrt_at_zero", lambda a, lo: mg.np.clip(a, 0.0, 0.5).sqrt()
        + (mg.np.clip(a, lo, None) - lo).sqrt(), lambda a, lo: a.clamp(0.0, 0.5).sqrt()
        + (torch.clamp(a, lo) - lo).sqrt(), [((4, 5), (5,))], "ties", edge=True),
    Row("x_pow_x", lambda a: a ** a, lambda a: a ** a, [((3, 4),)], "positive"),
    Row("div_by_self", lambda a: a / a, lambda a: a / a, [((3, 4),)], "away_from_zero"),
    Row("max_ties", lambda a: a.max(), lambda a: a.amax(), [((4, 5),), ((2, 3, 4),)], "ties"),
    Row("max_ties_axes", lambda a: a.max(axis=(0, -1), keepdims=True),
        lambda a: a.amax(dim=(0, -1), keepdim=True), [((4, 3, 5),)], "ties"),
    Row("max_ties_axis1", lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [((4, 5),)],
        "ties"),
    # ---- more indexing: split advanced indices, masks with slices, arrays with steps ----
    Row("getitem_split_arrays", lambda a: a[[0, 1, 1], :, [2, 0, 2]],
        lambda a: a[[0, 1, 1], :, [2, 0, 2]], [((2, 3, 4),)]),
    Row("getitem_ellipsis_array", lambda a: a[..., [1, 1, 0]], lambda a: a[..., [1, 1, 0]],
        [((2, 3, 4),)]),
    Row("getitem_mask_then_slice", lambda a: a[MASK, 1::2], lambda a: a[tc(MASK), 1::2],
        [((3, 4),)]),
    Row("getitem_step_and_array", lambda a: a[::2, [0, 3, 3]], lambda a: a[::2, [0, 3, 3]],
        [((5, 4),)]),
    Row("getitem_none_and_array", lambda a: a[None, [2, 2, 0]], lambda a: a[None, [2, 2, 0]],
        [((3, 4),)]),
    Row("getitem_tensor_0d", lambda a: a[mg.tensor(1)], lambda a: a[torch.tensor(1)],
        [((3, 4),)]),
    Row("getitem_np_int", lambda a: a[numpy.int64(-1), 1:], lambda a: a[-1, 1:], [((3, 4),)]),
    Row("getitem_bool_list", lambda a: a[[True, False, True]], lambda a: a[tc(MASK)],
        [((3, 4),)]),
    Row("getitem_2d_array_negative_step", lambda a: a[numpy.array([[2, 0], [0, 0]]), ::-1],
        lambda a: a.flip(1)[torch.tensor([[2, 0], [0, 0]])], [((3, 4),)]),
    # ---- the book's later chapters: elementwise (ties split half and half, as PyTorch) ----
    Row("maximum", lambda a, b: mg.np.maximum(a, b), torch.maximum, BIN),
    Row("maximum_ties", lambda a, b: mg.np.maximum(a, b), torch.maximum,
        [((4, 5), (4, 5)), ((3, 4), (4,))], "ties"),
    Row("maximum_scalar_ties", lambda a: mg.np.maximum(a, 0.5) + mg.np.maximum(0.0, a),
        lambda a: a.clamp_min(0.5) * 0 + torch.maximum(a, torch.tensor(0.5, dtype=a.dtype))
        + torch.maximum(torch.tensor(0.0, dtype=a.dtype), a), [((4, 5),), ((),)], "ties"),
    Row("minimum", lambda a, b: mg.np.minimum(a, b), torch.minimum, BIN),
    Row("minimum_ties", lambda a, b: mg.np.minimum(a, b), torch.minimum,
        [((4, 5), (4, 5)), ((3, 1), (1, 4))], "ties"),
    Row("sinh", lambda a: a.sinh(), torch.sinh, UN),
    Row("cosh", lambda a: mg.np.cosh(a), torch.cosh, UN),
    Row("square", lambda a: a.square() + mg.np.square(a), lambda a: 2 * torch.square(a), UN),
    Row("sign", lambda a: a.sign() * a + mg.np.sign(a), lambda a: a.sign() * a + a.sign(), UN,
        "ties"),
    Row("clip", lambda a: a.clip(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), UN, "ties"),
    Row("clip_one_bound", lambda a: mg.np.clip(a, None, 0.5) + mg.np.clip(a, 0.0, None),
        lambda a: a.clamp(max=0.5) + a.clamp(min=0.0), UN, "ties"),
    Row("clip_crossed_bounds", lambda a: a.clip(0.5, -0.5), lambda a: a.clamp(0.5, -0.5),
        [((4, 5),)], "ties"),
    Row("clip_tensor_bounds", lambda a, lo, hi: mg.np.clip(a, lo, hi), torch.clamp,
        [((3, 4), (4,), (3, 1)), ((4, 5), (4, 5), (4, 5)), ((3,), (), ())], "ties"),
    # ---- shapes, joining and splitting ----
    Row("expand_dims", lambda a: a.expand_dims(1), lambda a: a.unsqueeze(1),
        [((3, 4),), ((3,),)]),
    Row("expand_dims_negative", lambda a: mg.np.expand_dims(a, -1), lambda a: a.unsqueeze(-1),
        [((3, 4),), ((),)]),
    Row("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze(), [((3, 1, 4),), ((1, 1),)]),
    Row("squeeze_axis", lambda a: mg.np.squeeze(a, axis=-2), lambda a: a.squeeze(-2),
        [((3, 1, 1),)]),
    Row("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [((3, 4),), ((),), ((2, 0),)]),
    Row("concatenate", lambda a, b: mg.np.concatenate([a, b]), lambda a, b: torch.cat([a, b]),
        [((2, 3), (4, 3)), ((3,), (1,)), ((0, 2), (3, 2))]),
    Row("concatenate_axis", lambda a, b, c: mg.np.concatenate((a, b, c), axis=-1),
        lambda a, b, c: torch.cat((a, b, c), dim=-1), [((2, 3), (2, 1), (2, 2))]),
    Row("concatenate_same", lambda a: mg.np.concatenate([a, a * 2.0], axis=1),
        lambda a: torch.cat([a, a * 2.0], dim=1), [((2, 3),)]),
    Row("stack", lambda a, b: mg.np.stack([a, b], axis=1), lambda a, b: torch.stack([a, b], 1),
        [((3, 4), (3, 4)), ((4,), (4,))]),
    Row("stack_0d", lambda a, b: mg.np.stack([a, b, a]), lambda a, b: torch.stack([a, b, a]),
        [((), ())]),
    Row("split", lambda a: mg.np.split(a, 3)[1] * mg.np.split(a, 3)[2],
        lambda a: torch.tensor_split(a, 3)[1] * torch.tensor_split(a, 3)[2], [((6, 2),)]),
    Row("split_indices", lambda a: mg.np.concatenate(mg.np.split(a, [1, 3], axis=-1)[::-1],
                                                     axis=-1),
        lambda a: torch.cat(torch.tensor_split(a, [1, 3], dim=-1)[::-1], dim=-1),
        [((3, 5),), ((2, 3, 4),)]),
    # ---- reductions of the later chapters ----
    Row("min", lambda a: a.min(), lambda a: a.amin(), [((3, 4),), ((),)]),
    Row("min_ties_axis", lambda a: mg.np.min(a, axis=-1, keepdims=True),
        lambda a: a.amin(dim=-1, keepdim=True), [((4, 5),), ((2, 3, 4),)], "ties"),
    Row("cumsum", lambda a: a.cumsum(), lambda a: a.flatten().cumsum(0), UN),
    Row("cumsum_axis", lambda a: a.cumsum(axis=-1) * a.cumsum(0),
        lambda a: a.cumsum(-1) * a.cumsum(0), [((3, 4),), ((2, 3, 4),)]),
    Row("var", lambda a: a.var(), lambda a: a.var(correction=0), [((3, 4),), ((),)]),
    Row("var_axis_ddof", lambda a: mg.np.var(a, axis=0, ddof=1),
        lambda a: a.var(dim=0, correction=1), [((3, 4),), ((2, 3, 4),)]),
    Row("var_axes_keep", lambda a: a.var(axis=(0, -1), keepdims=True),
        lambda a: a.var(dim=(0, -1), correction=0, keepdim=True), [((2, 3, 4),)]),
    Row("std", lambda a: a.std(), lambda a: a.std(correction=0), [((3, 4),), ((5,),)]),
    Row("std_axis_keep", lambda a: mg.np.std(a, axis=-1, keepdims=True, ddof=1),
        lambda a: a.std(dim=-1, correction=1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    # a constant input: std 0, and PyTorch takes its gradient as 0 (not inf or nan)
    Row("std_constant", lambda a: a.std(axis=0), lambda a: a.std(dim=0, correction=0),
        [((4, 3),), ((),)], "constant"),
    Row("norm", lambda a: mg.np.linalg.norm(a), torch.linalg.norm, [((3, 4),), ((4,),)]),
    Row("norm_all_axes", lambda a: mg.np.linalg.norm(a), lambda a: torch.linalg.vector_norm(a),
        [((2, 3, 4),), ((),)]),
    Row("norm_axis_keep", lambda a: mg.np.linalg.norm(a, axis=-1, keepdims=True),
        lambda a: torch.linalg.vector_norm(a, dim=-1, keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    Row("norm_ord1", lambda a: mg.np.linalg.norm(a, 1, axis=0),
        lambda a: torch.linalg.vector_norm(a, 1, dim=0), [((3, 4),), ((4,),)], "ties"),
    Row("norm_ord_inf", lambda a: mg.np.linalg.norm(a, numpy.inf) + mg.np.linalg.norm(
        a, -numpy.inf), lambda a: torch.linalg.vector_norm(a, float("inf"))
        + torch.linalg.vector_norm(a, float("-inf")), [((5,),), ((6,),)], "ties"),
    Row("norm_ord3", lambda a: mg.np.linalg.norm(a, 3, axis=1),
        lambda a: torch.linalg.vector_norm(a, 3, dim=1), [((3, 4),)], "away_from_zero"),
    Row("norm_matrix", lambda a: mg.np.linalg.norm(a, 1) + mg.np.linalg.norm(a, numpy.inf)
        + mg.np.linalg.norm(a, "fro"), lambda a: torch.linalg.matrix_norm(a, 1)
        + torch.linalg.matrix_norm(a, float("inf")) + torch.linalg.matrix_norm(a),
        [((3, 4),)]),
    # ---- the preliminaries and the mathematics appendix ----
    Row("floor", lambda a: mg.np.floor(a) * a, lambda a: torch.floor(a) * a, UN),
    Row("floor_at_integers", lambda a: mg.np.floor(a) * a, lambda a: torch.floor(a) * a,
        [((3, 4),)], "integers"),
    Row("arccos", lambda a: mg.np.arccos(a), torch.arccos, UN, "unit"),
    Row("log2", lambda a: mg.np.log2(a), torch.log2, UN, "positive"),
    Row("power", lambda a, b: mg.np.power(a, b), torch.pow, BIN, "positive"),
    Row("sort", lambda a: mg.np.sort(a) * a, lambda a: torch.sort(a, dim=-1)[0] * a,
        [((3, 4),), ((5,),), ((2, 3, 4),)]),
    Row("sort_axis0", lambda a: mg.np.sort(a, axis=0) * a,
        lambda a: torch.sort(a, dim=0, stable=True)[0] * a, [((4, 3),)], "ties"),
    Row("tile", lambda a: mg.np.tile(a, (2, 1, 3)), lambda a: torch.tile(a, (2, 1, 3)),
        [((3, 4),), ((2,),), ((),)]),
    Row("repeat", lambda a: a.repeat(3, axis=1) * a.repeat(3, axis=1),
        lambda a: torch.repeat_interleave(a, 3, dim=1) ** 2, [((3, 4),), ((2, 3, 4),)]),
    Row("repeat_flat", lambda a: mg.np.repeat(a, 2), lambda a: torch.repeat_interleave(a, 2),
        [((3, 4),), ((),)]),
    Row("prod", lambda a: a.prod(), lambda a: a.prod(), [((3, 4),), ((),), ((7,),)]),
    Row("prod_axis_keep", lambda a: mg.np.prod(a, axis=-1, keepdims=True),
        lambda a: a.prod(dim=-1, keepdim=True), [((3, 4),), ((2, 3, 5),), ((2, 0),)]),
    Row("prod_with_zeros", lambda a: a.prod(axis=0), lambda a: a.prod(dim=0),
        [((5, 3),), ((6,),)], "integers"),
    # MXNet's legacy nansum (§18.11): a full sum has shape (1,), where PyTorch's is 0-d
    Row("nansum", lambda a: nansum(a), lambda a: torch.nansum(a).reshape(1), UN),
    Row("nansum_axis_keep", lambda a: nansum(a * a, axis=(0, -1), keepdims=True),
        lambda a: torch.nansum(a * a, dim=(0, -1), keepdim=True), [((3, 4),), ((2, 3, 4),)]),
    # log of the negative elements is nan: left out of the sum, and of every gradient
    Row("nansum_nan", lambda a: nansum(mg.np.log(a), axis=0),
        lambda a: torch.nansum(a.log(), dim=0), [((3, 4),), ((5, 2),)], "wide", edge=True),
    Row("copy", lambda a: a.copy() * a, lambda a: a.clone() * a, UN),
    # ---- the np facade, on Tensors and with plain arrays beside them ----
    Row("np_sum_axis_keepdims", lambda a: mg.np.sum(a, axis=(0, 2), keepdims=True),
        lambda a: a.sum(dim=(0, 2), keepdim=True), [((2, 3, 4),)]),
    Row("np_sum_positional_axis", lambda a: mg.np.sum(a, -1), lambda a: a.sum(dim=-1),
        [((2, 3),)]),
    Row("np_mean_axis", lambda a: mg.np.mean(a, axis=1), lambda a: a.mean(dim=1),
        [((2, 3, 4),)]),
    Row("np_mean_keepdims", lambda a: mg.np.mean(a, keepdims=True),
        lambda a: a.mean(dim=(0, 1), keepdim=True), [((2, 3),)]),
    Row("np_dot_ndarray_left", lambda a: mg.np.dot(C34, a), lambda a: tc(C34) @ a,
        [((4, 2),), ((4,),)], host=True),
    Row("np_dot_ndarray_right", lambda a: mg.np.dot(a, C45), lambda a: a @ tc(C45),
        [((3, 4),), ((4,),)], host=True),
    Row("np_matmul_ndarray_left", lambda a: mg.np.matmul(C34, a), lambda a: tc(C34) @ a,
        [((2, 4, 3),)], host=True),
    # a scalar or list beside a Tensor joins it on its device (no host array: runs on CUDA too)
    Row("np_dot_scalar", lambda a: mg.np.dot(a, 2.0) + mg.np.dot(3.0, a),
        lambda a: a * 2.0 + 3.0 * a, UN),
    Row("np_dot_matmul_list_left", lambda a: mg.np.dot(ROW4, a) + mg.np.matmul(ROW4, a),
        lambda a: 2 * (torch.tensor(ROW4, dtype=a.dtype) @ a), [((4, 3),), ((4,),)]),
    Row("np_unary", lambda a: mg.np.log(mg.np.abs(a)) + mg.np.sqrt(mg.np.absolute(a))
        + mg.np.exp(mg.np.tanh(a)), lambda a: a.abs().log() + a.abs().sqrt() + a.tanh().exp(),
        UN, "away_from_zero"),
    Row("np_reshape_transpose", lambda a: mg.np.transpose(mg.np.reshape(a, (4, -1)), (1, 0)),
        lambda a: a.reshape(4, -1).T, [((2, 3, 2),)]),
    # ---- convolution and pooling (NCHW): stride, padding, dilation, groups, ties ----
    Row("conv2d", lambda x, w, b: mg.conv2d(x, w, b), torch.nn.functional.conv2d,
        [((2, 3, 5, 4), (4, 3, 3, 2), (4,)), ((1, 1, 6, 6), (2, 1, 3, 3), (2,))]),
    Row("conv2d_stride_padding_dilation_groups",
        lambda x, w, b: mg.conv2d(x, w, b, (2, 1), (1, 2), (1, 2), 2),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, (2, 1), (1, 2), (1, 2), 2),
        [((2, 4, 6, 5), (6, 2, 3, 2), (6,))]),
    Row("conv2d_depthwise_no_bias", lambda x, w: x.conv2d(w, padding=1, groups=3),
        lambda x, w: torch.nn.functional.conv2d(x, w, padding=1, groups=3),
        [((2, 3, 4, 4), (3, 1, 3, 3))]),
    Row("npx_convolution", lambda x, w, b: mg.npx.convolution(
        x, w, b, kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=4),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, 2, 1),
        [((2, 3, 6, 5), (4, 3, 3, 3), (4,))]),
    Row("max_pool2d_ties", lambda x: mg.max_pool2d(x, 2),
        lambda x: torch.nn.functional.max_pool2d(x, 2), [((2, 3, 4, 6),), ((1, 2, 5, 5),)],
        "ties"),    # PyTorch gives a window's whole gradient to its first largest value
    Row("max_pool2d_overlap_padding_ties", lambda x: x.max_pool2d((3, 2), (2, 1), (1, 1)),
        lambda x: torch.nn.functional.max_pool2d(x, (3, 2), (2, 1), (1, 1)),
        [((2, 2, 5, 6),)], "ties"),
    Row("max_pool2d_dilation", lambda x: mg.max_pool2d(x, 2, 1, 0, 2),
        lambda x: torch.nn.functional.max_pool2d(x, 2, 1, 0, 2), [((1, 2, 5, 5),)]),
    Row("avg_pool2d", lambda x: mg.avg_pool2d(x, 2), lambda x: torch.nn.functional.avg_pool2d(
        x, 2), [((2, 3, 4, 6),), ((1, 2, 5, 5),)]),
    Row("avg_pool2d_padding", lambda x: x.avg_pool2d(3, 2, 1) + mg.avg_pool2d(
        x, (3, 2), (2, 3), (1, 1), count_include_pad=False),
        lambda x: torch.nn.functional.avg_pool2d(x, 3, 2, 1) + torch.nn.functional.avg_pool2d(
        x, (3, 2), (2, 3), (1, 1), count_include_pad=False), [((2, 2, 5, 6),)]),
    Row("npx_pooling", lambda x: mg.npx.pooling(x, kernel=(2, 2), stride=(2, 2),
                                                 pool_type="avg"),
        lambda x: torch.nn.functional.avg_pool2d(x, 2), [((2, 3, 4, 4),)]),
    # ---- attention's batched products: npx.batch_dot is bmm ----
    Row("batch_dot", lambda a, b: mg.npx.batch_dot(a, b), torch.bmm,
        [((2, 3, 4), (2, 4, 5)), ((1, 1, 3), (1, 3, 2))]),
    Row("batch_dot_transpose_a", lambda a, b: mg.npx.batch_dot(a, b, transpose_a=True),
        lambda a, b: torch.bmm(a.transpose(1, 2), b), [((2, 4, 3), (2, 4, 5))]),
    Row("batch_dot_transpose_b", lambda a, b: mg.npx.batch_dot(a, b, transpose_b=True),
        lambda a, b: torch.bmm(a, b.transpose(1, 2)), [((2, 3, 4), (2, 5, 4))]),
    *reductions(),
]


def twin_rows(table, hand_rows):
    """A row for each op that declares a PyTorch twin (ops/registry.py) and has none above:
    its function against torch.<twin>, on the shapes and domain of its op-table row."""
    hand = {row.name for row in hand_rows}
    by_name = {row.name: row for row in table}
    return [Row(d.op.name, d.function, getattr(torch, d.op.torch_twin),
                by_name[d.op.name].shapes, by_name[d.op.name].domain)
            for d in registry.declared()
            if d.op.torch_twin and d.op.name not in hand and d.op.name in by_name]


OPS += twin_rows(test_ops.OPS, OPS)

# The same rows in float32 (a Python scalar keeps float32, as in PyTorch): value, both orders.
FLOAT32 = {"add", "sub", "mul", "div", "pow", "neg", "add_scalar", "rsub_scalar", "rdiv_scalar",
           "square_int", "pow_half", "rpow", "matmul", "dot", "reshape_args", "transpose_args",
           "exp", "log", "sqrt", "abs_at_zero", "tanh", "sigmoid", "relu_at_zero", "sin",
           "getitem_int_array_repeats", "getitem_bool_mask_full", "sum_(0,2)_True",
           "mean_-1_False", "max_ties_axes", "np_unary", "maximum_ties", "clip_tensor_bounds",
           "concatenate_axis", "cumsum_axis", "std_axis_keep", "norm_axis_keep",
           "conv2d_stride_padding_dilation_groups", "max_pool2d_ties", "avg_pool2d_padding",
           "batch_dot_transpose_b", "arccos", "log2", "prod_axis_keep", "sort", "tile"}
OPS += [replace(row, name=row.name + "_f32", dtype="float32")
        for row in OPS if row.name in FLOAT32]

CASES = [pytest.param(row, shapes, id=f"{row.name}-{'x'.join(map(str, shapes))}")
         for row in OPS for shapes in row.shapes]


def draw(row, shapes):
    """Inputs for one case, reproducible from the row's name and shapes."""
    rng = numpy.random.default_rng(zlib.crc32(f"{row.name}{shapes}".encode()))
    out = []
    domains = row.domain if isinstance(row.domain, tuple) else (row.domain,) * len(shapes)
    for s, domain in zip(shapes, domains):
        if domain == "positive":
            out.append(rng.uniform(0.5, 2.0, s))
        elif domain == "away_from_zero":
            out.append(rng.uniform(0.5, 2.0, s) * rng.choice([-1.0, 1.0], s))
        elif domain == "ties":          # repeated values and exact zeros: kinks, ties, 0 ** b
            out.append(rng.choice([-1.0, -0.5, 0.0, 0.5, 1.0], s))
        elif domain == "wide":          # saturating tails of sigmoid and tanh
            out.append(rng.uniform(-60.0, 60.0, s))
        elif domain == "constant":      # every element equal: std is 0
            out.append(numpy.full(s, 0.75))
        elif domain == "zeros":
            out.append(numpy.zeros(s))
        elif domain == "unit":          # inside (-1, 1): arccos
            out.append(rng.uniform(-0.9, 0.9, s))
        elif domain == "integers":      # integer-valued floats, 0 included: x ** 0, x<0 ** 3
            out.append(rng.integers(-2, 4, s).astype(numpy.float64))
        else:
            out.append(rng.uniform(-1.5, 1.5, s))
    return [a.astype(row.dtype) for a in out], rng


def mg_side(row, arrays, device, head, u):
    xs = [mg.tensor(a, device=device) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = row.fn(*xs)
        first = autograd.grad(out, xs, head_grads=mg.tensor(head, device=device),
                              retain_graph=True)
        loss = (out * mg.tensor(head, device=device)).sum() + (out * out).sum() * 0.5
        grads = autograd.grad(loss, xs, create_graph=True)
        inner = sum((g * mg.tensor(ui, device=device)).sum() for g, ui in zip(grads, u))
    second = autograd.grad(inner, xs)
    return out, first, grads, second


def torch_side(row, arrays, head, u):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = row.ref(*ts)
    first = torch.autograd.grad(out, ts, torch.from_numpy(head), retain_graph=True,
                                allow_unused=True, materialize_grads=True)
    loss = (out * torch.from_numpy(head)).sum() + (out * out).sum() * 0.5
    grads = torch.autograd.grad(loss, ts, create_graph=True, allow_unused=True,
                                materialize_grads=True)
    inner = sum((g * torch.from_numpy(ui)).sum() for g, ui in zip(grads, u))
    second = (torch.autograd.grad(inner, ts, allow_unused=True, materialize_grads=True)
              if inner.requires_grad else [torch.zeros_like(t) for t in ts])
    return out, first, grads, second


def close(ours, theirs, what, dtype="float64"):
    theirs = theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs PyTorch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs PyTorch {theirs.dtype}"
    rtol, atol = TOLERANCE[dtype]
    numpy.testing.assert_allclose(ours.numpy(), theirs, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("row, shapes", CASES)
def test_value_and_two_orders_match_pytorch(row, shapes, device):
    if row.host and device != "cpu":
        pytest.skip("NumPy constants meet only CPU tensors (a GPU tensor raises DeviceError)")
    arrays, rng = draw(row, shapes)
    t_out = row.ref(*[torch.tensor(a) for a in arrays])
    head = rng.standard_normal(tuple(t_out.shape)).astype(row.dtype)
    u = [rng.standard_normal(a.shape).astype(row.dtype) for a in arrays]
    with numpy.errstate(**({"all": "ignore"} if row.edge else {})):
        ours = mg_side(row, arrays, device, head, u)
    theirs = torch_side(row, arrays, head, u)
    close(ours[0], theirs[0], "value", row.dtype)
    for order, name in [(1, "gradient"), (2, "gradient of L"), (3, "second order")]:
        for i, (g, tg) in enumerate(zip(ours[order], theirs[order])):
            close(g, tg, f"{name} of input {i}", row.dtype)


@pytest.mark.parametrize("row, shapes", CASES[::7])
def test_backward_fills_grad_like_pytorch(row, shapes):
    """The same gradients through `.backward(head)` into `.grad` (every 7th case)."""
    arrays, rng = draw(row, shapes)
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out = row.ref(*ts)
    head = rng.standard_normal(tuple(t_out.shape)).astype(row.dtype)
    t_out.backward(torch.from_numpy(head))
    xs = [mg.tensor(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with numpy.errstate(**({"all": "ignore"} if row.edge else {})):
        with autograd.record():
            out = row.fn(*xs)
        out.backward(head)
    for i, (x, t) in enumerate(zip(xs, ts)):
        expected = t.grad if t.grad is not None else torch.zeros_like(t)
        close(x.grad, expected, f".grad of input {i}", row.dtype)


# ---- dtypes: NumPy 2's promotion for the result, the input's dtype for every gradient ----

F32, F64, I64 = numpy.float32, numpy.float64, numpy.int64
DTYPE_CASES = [
    # name, function, its PyTorch twin (None: the same), input dtypes (floats are differentiated)
    ("f32_times_python_float", lambda a: a * 2.5, None, [F32]),
    ("python_float_minus_f32", lambda a: 2.5 - a, None, [F32]),
    ("f32_pow_python_int", lambda a: a ** 3, None, [F32]),
    ("python_int_pow_f32", lambda a: 2 ** a, None, [F32]),
    ("f32_plus_f64", lambda a, b: a + b, None, [F32, F64]),
    ("f64_div_f32", lambda a, b: a / b, None, [F64, F32]),
    ("f32_matmul_f64", lambda a, b: a @ b.T, None, [F32, F64]),
    ("f32_times_i64", lambda a, b: a * b, None, [F32, I64]),
    ("i64_plus_python_float", lambda a, b: (b + 0.5) * a, None, [F64, I64]),
    ("np_float64_times_f32", lambda a: numpy.float64(2.0) * a, None, [F32]),
    ("np_float32_times_f32", lambda a: numpy.float32(2.0) * a, None, [F32]),
    ("f32_pow_np_int64", lambda a: a ** numpy.int64(2), None, [F32]),
    ("np_int64_pow_f32", lambda a: numpy.int64(2) ** a, None, [F32]),
    ("f32_plus_f64_ndarray", lambda a: a + C4, lambda a: a + tc(C4), [F32]),
    ("f64_ndarray_div_f32", lambda a: C4 / (a * a + 1.0), lambda a: tc(C4) / (a * a + 1.0),
     [F32]),
    ("mean_of_i64_times_f32", lambda a, b: b.mean(axis=0) * a,
     lambda a, b: b.double().mean(0) * a, [F32, I64]),
]


@pytest.mark.parametrize("name, fn, ref, dtypes", DTYPE_CASES, ids=[c[0] for c in DTYPE_CASES])
def test_dtypes_follow_numpy(name, fn, ref, dtypes):
    """The result's dtype is NumPy's; values and both orders match PyTorch computing in it."""
    rng = numpy.random.default_rng(zlib.crc32(name.encode()))
    arrays = [(rng.uniform(0.5, 2.0, (3, 4)) * (3 if d is I64 else 1)).astype(d) for d in dtypes]
    expected = numpy.asarray(fn(*arrays)).dtype         # NumPy's own answer on the same data
    xs = [mg.tensor(a) for a in arrays]
    wrt = [x for x in xs if x.dtype.kind == "f"]
    for x in wrt:
        x.attach_grad()
    with autograd.record():
        out = fn(*xs)
        grads = autograd.grad((out * out).sum(), wrt, create_graph=True)
        inner = sum((g * g).sum() for g in grads)
    second = autograd.grad(inner, wrt)
    assert out.dtype == expected
    assert [g.dtype for g in grads] == [x.dtype for x in wrt]
    assert [g.dtype for g in second] == [x.dtype for x in wrt]

    res = torch.from_numpy(numpy.empty(0, expected)).dtype     # PyTorch in NumPy's dtype
    ts = [torch.tensor(a).to(res) if a.dtype.kind == "f" else torch.tensor(a) for a in arrays]
    leaves = [t for t in ts if t.is_floating_point()]
    for t in leaves:
        t.requires_grad_(True)
    t_out = (ref or fn)(*ts)
    t_grads = torch.autograd.grad((t_out * t_out).sum(), leaves, create_graph=True)
    t_second = torch.autograd.grad(sum((g * g).sum() for g in t_grads), leaves)
    rtol = 1e-5 if numpy.float32 in (expected, *dtypes) else 1e-10
    numpy.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), rtol=rtol)
    for ours, theirs in [*zip(grads, t_grads), *zip(second, t_second)]:
        numpy.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=rtol, atol=1e-6)


def test_norm_at_zero_has_gradient_zero_and_second_derivative_zero():
    """The 2-norm's gradient x/‖x‖ at x = 0 is 0, as PyTorch's; its second derivative there is
    0 too, where PyTorch's is nan (a documented difference: docs/api.md)."""
    x = mg.tensor(numpy.zeros((3, 4)))
    x.attach_grad()
    with autograd.record():
        (g,) = autograd.grad(mg.np.linalg.norm(x, axis=-1).sum(), [x], create_graph=True)
        inner = (g * mg.tensor(numpy.ones((3, 4)))).sum()
    (second,) = autograd.grad(inner, [x])
    t = torch.zeros((3, 4), dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.vector_norm(t, dim=-1).sum(), [t], create_graph=True)
    (tsecond,) = torch.autograd.grad(tg.sum(), [t])
    close(g, tg, "gradient")
    assert numpy.isnan(tsecond.numpy()).all()
    assert (second.numpy() == 0).all()
