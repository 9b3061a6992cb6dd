"""The op table: one row per op checks forward values, first and second derivatives.

Adding an op to microgradnd means its class in its family file and a row here, named as the
op (`name = "sin"` -> `Row("sin", ...)`; variants add a suffix: `sin_scalar`). Each row names
the op, the microgradnd function, the NumPy reference, the input shapes to try (broadcasting,
0-d, keepdims and negative axes among them) and where inputs must be drawn from. Run one op's
rows, on the CPU and on the CuPy stand-in, in seconds:

    MICROGRADND_FAKE_CUPY=1 python -m pytest tests/test_ops.py --op sin

(`--op` selects by exact name, see conftest.py; `-k sin` would also select sinh and sign.)
"""
import itertools
from dataclasses import dataclass, field

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd
from microgradnd.ndarray import nansum
from microgradnd.ops import registry


@dataclass
class Row:
    name: str
    fn: object                       # microgradnd: Tensors -> Tensor
    ref: object                      # NumPy: arrays -> array
    shapes: list                     # each entry: a tuple with one shape per input
    domain: str = "any"              # 'any', 'positive', 'away_from_zero', 'distinct',
    #                                  'unit' (inside (-1, 1)), 'off_integers' (0.1 from them)
    second_order: bool = True
    note: str = ""
    kwargs: dict = field(default_factory=dict)


def _idx(*parts):
    return parts if len(parts) > 1 else parts[0]


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Convolution by its definition, one output pixel at a time (slow, but independent)."""
    s, d = stride, dilation
    x = numpy.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    oh, ow = (h - d * (kh - 1) - 1) // s + 1, (wd - d * (kw - 1) - 1) // s + 1
    og = o // groups
    out = numpy.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * s:i * s + d * (kh - 1) + 1:d, j * s:j * s + d * (kw - 1) + 1:d]
            for g in range(groups):
                out[:, g * og:(g + 1) * og, i, j] = numpy.einsum(
                    "nckl,ockl->no", patch[:, g * cg:(g + 1) * cg], w[g * og:(g + 1) * og])
    return out if b is None else out + b[:, None, None]


def ref_pool2d(x, k, stride=None, padding=0, kind="max", count_include_pad=True):
    """Max or average pooling by its definition, one output pixel at a time."""
    s = k if stride is None else stride
    pad = ((0, 0), (0, 0), (padding, padding), (padding, padding))
    xp = numpy.pad(x, pad, constant_values=-numpy.inf if kind == "max" else 0.0)
    inside = numpy.pad(numpy.ones_like(x), pad)
    n, c, h, w = xp.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    out = numpy.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp[:, :, i * s:i * s + k, j * s:j * s + k]
            if kind == "max":
                out[:, :, i, j] = win.max(axis=(2, 3))
            else:
                count = k * k if count_include_pad else inside[
                    :, :, i * s:i * s + k, j * s:j * s + k].sum(axis=(2, 3))
                out[:, :, i, j] = win.sum(axis=(2, 3)) / count
    return out


M34 = numpy.arange(12.0).reshape(3, 4) / 7 - 0.5    # a constant matrix for the matvec rows


def _like(constant, x):
    """A constant array as a Tensor of x's dtype on x's device."""
    return mg.tensor(constant, dtype=x.dtype, device=x.device)


LENGTHS = numpy.array([2.0, 0.0, 3.0])      # sequence_mask's lengths: one per batch entry


def ref_sequence_mask(x, axis, value):
    steps = numpy.arange(x.shape[axis])
    keep = steps[:, None] < LENGTHS if axis == 0 else steps < LENGTHS[:, None]
    return numpy.where(keep.reshape(keep.shape + (1,) * (x.ndim - 2)), x, value)


BINARY_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((3,), ())]

OPS = [
    # ---- elementwise arithmetic, broadcasting both ways ----
    Row("add", lambda a, b: a + b, lambda a, b: a + b, BINARY_SHAPES),
    Row("sub", lambda a, b: a - b, lambda a, b: a - b, BINARY_SHAPES),
    Row("mul", lambda a, b: a * b, lambda a, b: a * b, BINARY_SHAPES),
    Row("div", lambda a, b: a / b, lambda a, b: a / b, BINARY_SHAPES, "away_from_zero"),
    Row("pow", lambda a, b: a ** b, lambda a, b: a ** b, BINARY_SHAPES, "positive"),
    Row("neg", lambda a: -a, lambda a: -a, [((3, 4),), ((),), ((2, 0),)]),
    # ---- Python scalars on either side ----
    Row("add_scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, [((3,),), ((),)]),
    Row("rsub_scalar", lambda a: 1.0 - a, lambda a: 1.0 - a, [((3,),), ((),)]),
    Row("mul_scalar", lambda a: a * 3, lambda a: a * 3, [((2, 3),), ((),)]),
    Row("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, [((2, 3),), ((),)],
        "away_from_zero"),
    Row("div_scalar", lambda a: a / 4, lambda a: a / 4, [((2, 3),)]),
    Row("square", lambda a: a ** 2, lambda a: a ** 2, [((2, 3),), ((),)]),
    Row("cube", lambda a: a ** 3, lambda a: a ** 3, [((2, 3),), ((),)]),
    Row("pow_four", lambda a: a ** 4, lambda a: a ** 4, [((2, 3),), ((),)]),   # by products
    Row("pow_half", lambda a: a ** 0.5, lambda a: a ** 0.5, [((4,),)], "positive"),
    Row("pow_neg", lambda a: a ** -1.5, lambda a: a ** -1.5, [((4,),)], "positive"),
    Row("pow_zero", lambda a: a ** 0, lambda a: a ** 0, [((4,),)]),
    Row("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, [((3,),), ((),)]),
    # ---- unary functions ----
    Row("exp", lambda a: a.exp(), numpy.exp, [((3, 4),), ((),), ((0, 3),)]),
    Row("log", lambda a: a.log(), numpy.log, [((3, 4),), ((),)], "positive"),
    Row("log1p", lambda a: a.log1p(), numpy.log1p, [((3, 4),), ((),)], "positive"),
    Row("sqrt", lambda a: a.sqrt(), numpy.sqrt, [((3, 4),), ((),)], "positive"),
    Row("abs", lambda a: a.abs(), numpy.abs, [((3, 4),), ((),)], "away_from_zero",
        note="second derivative is 0 away from the kink"),
    Row("tanh", lambda a: a.tanh(), numpy.tanh, [((3, 4),), ((),)]),
    Row("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + numpy.exp(-a)), [((3, 4),), ((),)]),
    Row("sin", lambda a: a.sin(), numpy.sin, [((3, 4),), ((),)]),
    Row("cos", lambda a: a.cos(), numpy.cos, [((3, 4),), ((),)]),
    Row("relu", lambda a: a.relu(), lambda a: numpy.maximum(a, 0), [((3, 4),), ((),)],
        "away_from_zero", note="second derivative is 0 away from the kink"),
    # ---- reductions: all axes, one axis, negative axes, several axes, keepdims ----
    Row("sum", lambda a: a.sum(), numpy.sum, [((3, 4),), ((),), ((0, 2),)]),
    Row("sum_axis0", lambda a: a.sum(axis=0), lambda a: a.sum(axis=0), [((3, 4),), ((2, 3, 4),)]),
    Row("sum_neg_keep", lambda a: a.sum(axis=-1, keepdims=True),
        lambda a: a.sum(axis=-1, keepdims=True), [((3, 4),), ((2, 3, 4),)]),
    Row("sum_axes", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), [((2, 3, 4),)]),
    Row("mean", lambda a: a.mean(), numpy.mean, [((3, 4),), ((),)]),
    Row("mean_axis_keep", lambda a: a.mean(axis=1, keepdims=True),
        lambda a: a.mean(axis=1, keepdims=True), [((3, 4),), ((2, 3, 4),)]),
    Row("max", lambda a: a.max(), numpy.max, [((3, 4),), ((),)], "distinct"),
    Row("max_axis", lambda a: a.max(axis=-1), lambda a: a.max(axis=-1),
        [((3, 4),), ((2, 3, 4),)], "distinct"),
    Row("max_keep", lambda a: a.max(axis=0, keepdims=True),
        lambda a: a.max(axis=0, keepdims=True), [((3, 4),)], "distinct"),
    # ---- linear algebra ----
    Row("matmul", lambda a, b: a @ b, lambda a, b: a @ b,
        [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)),
         ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2))]),
    # a constant matrix times a variable vector, either side: the vector-only backward
    Row("matvec_constant", lambda x: _like(M34, x) @ x, lambda x: M34 @ x, [((4,),)]),
    Row("vecmat_constant", lambda x: x @ _like(M34, x), lambda x: x @ M34, [((3,),)]),
    Row("dot", lambda a, b: a.dot(b), numpy.dot,
        [((3, 4), (4, 5)), ((4,), (4,)), ((2, 3, 4), (4,)), ((2, 3), (4, 3, 5)), ((), (3,)),
         ((3, 4), (4, 1))]),
    # ---- shapes ----
    Row("reshape", lambda a: a.reshape(-1, 2), lambda a: a.reshape(-1, 2), [((3, 4),), ((2, 2),)]),
    Row("reshape_tuple", lambda a: a.reshape((2, 3, 2)), lambda a: a.reshape((2, 3, 2)),
        [((3, 4),), ((12,),)]),
    Row("transpose", lambda a: a.transpose(), lambda a: a.transpose(), [((3, 4),), ((2, 3, 4),)]),
    Row("transpose_axes", lambda a: a.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0),
        [((2, 3, 4),)]),
    Row("transpose_negative", lambda a: a.transpose(-1, 0, 1), lambda a: a.transpose(-1, 0, 1),
        [((2, 3, 4),)]),
    Row("T", lambda a: a.T, lambda a: a.T, [((3, 4),), ((3,),)]),
    Row("getitem_slice", lambda a: a[1:, ::-2], lambda a: a[1:, ::-2], [((3, 4),)]),
    Row("getitem_int", lambda a: a[1], lambda a: a[1], [((3, 4),), ((3,),)]),
    Row("getitem_none_ellipsis", lambda a: a[None, ..., 0], lambda a: a[None, ..., 0],
        [((3, 4),)]),
    Row("getitem_int_array", lambda a: a[numpy.array([0, 2, 0, 0])],
        lambda a: a[numpy.array([0, 2, 0, 0])], [((3, 4),), ((3,),)],
        note="repeated indices accumulate"),
    Row("getitem_tensor_index", lambda a: a[mg.tensor([2, 1, 2])], lambda a: a[[2, 1, 2]],
        [((3, 2),)]),
    Row("getitem_2d_arrays", lambda a: a[numpy.array([0, 1, 1]), numpy.array([2, 0, 2])],
        lambda a: a[numpy.array([0, 1, 1]), numpy.array([2, 0, 2])], [((2, 3),)]),
    Row("getitem_bool", lambda a: a[a.data > 0], lambda a: a[a > 0], [((3, 4),)],
        "away_from_zero"),
    # ---- the book's later chapters: elementwise ----
    Row("maximum", lambda a, b: mg.np.maximum(a, b), numpy.maximum, BINARY_SHAPES,
        note="second derivative 0 away from ties"),
    Row("maximum_scalar", lambda a: mg.np.maximum(a, 0.25) + mg.np.maximum(-0.5, a),
        lambda a: numpy.maximum(a, 0.25) + numpy.maximum(-0.5, a), [((3, 4),), ((),)]),
    Row("minimum", lambda a, b: mg.np.minimum(a, b), numpy.minimum, BINARY_SHAPES),
    Row("logaddexp", lambda a, b: mg.np.logaddexp(a, b), numpy.logaddexp, BINARY_SHAPES),
    Row("logaddexp_scalar", lambda a: numpy.logaddexp(a, 0.5) + mg.np.logaddexp(-1, a),
        lambda a: numpy.logaddexp(a, 0.5) + numpy.logaddexp(-1, a), [((3, 4),), ((),)]),
    Row("where", lambda a, b: numpy.where(a > 0, a, b), lambda a, b: numpy.where(a > 0, a, b),
        BINARY_SHAPES, "away_from_zero"),
    Row("minimum_scalar", lambda a: mg.np.minimum(0.25, a), lambda a: numpy.minimum(0.25, a),
        [((3, 4),), ((),)]),
    Row("sinh", lambda a: a.sinh(), numpy.sinh, [((3, 4),), ((),)]),
    Row("cosh", lambda a: a.cosh(), numpy.cosh, [((3, 4),), ((),)]),
    Row("square_method", lambda a: a.square() + mg.np.square(a), lambda a: 2 * numpy.square(a),
        [((3, 4),), ((),)]),
    Row("sign", lambda a: a.sign() * a, lambda a: numpy.sign(a) * a, [((3, 4),), ((),)],
        "away_from_zero", note="sign's own derivative is 0"),
    Row("clip", lambda a: a.clip(-0.5, 0.7), lambda a: numpy.clip(a, -0.5, 0.7),
        [((3, 4),), ((),)]),
    Row("clip_one_bound", lambda a: mg.np.clip(a, None, 0.5) + a.clip(a_min=-0.2),
        lambda a: numpy.clip(a, None, 0.5) + numpy.clip(a, -0.2, None), [((3, 4),)]),
    Row("clip_tensor_bounds", lambda a, lo, hi: mg.np.clip(a, lo, hi), numpy.clip,
        [((3, 4), (4,), (3, 1)), ((3,), (), ())]),
    # ---- shapes, joining and splitting ----
    Row("expand_dims", lambda a: a.expand_dims(1), lambda a: numpy.expand_dims(a, 1),
        [((3, 4),), ((3,),)]),
    Row("expand_dims_negative_tuple", lambda a: mg.np.expand_dims(a, (0, -1)),
        lambda a: numpy.expand_dims(a, (0, -1)), [((3, 4),), ((),)]),
    Row("squeeze", lambda a: a.squeeze(), numpy.squeeze, [((3, 1, 4),), ((1, 1),), ((),)]),
    Row("squeeze_axis", lambda a: mg.np.squeeze(a, axis=-2), lambda a: numpy.squeeze(a, -2),
        [((3, 1, 1),)]),
    Row("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [((3, 4),), ((),)]),
    Row("concatenate", lambda a, b: mg.np.concatenate([a, b]), lambda a, b: numpy.concatenate(
        [a, b]), [((2, 3), (4, 3)), ((3,), (1,))]),
    Row("concatenate_axes", lambda a, b, c: mg.np.concatenate((a, b, c), axis=-1),
        lambda a, b, c: numpy.concatenate((a, b, c), axis=-1), [((2, 3), (2, 1), (2, 2))]),
    Row("concatenate_none", lambda a, b: mg.np.concatenate([a, b], axis=None),
        lambda a, b: numpy.concatenate([a, b], axis=None), [((2, 3), (4,))]),
    Row("stack", lambda a, b: mg.np.stack([a, b], axis=1), lambda a, b: numpy.stack([a, b], 1),
        [((3, 4), (3, 4)), ((4,), (4,))]),
    Row("stack_0d", lambda a, b: mg.np.stack([a, b]), lambda a, b: numpy.stack([a, b]),
        [((), ())]),
    Row("stack_negative", lambda a, b: mg.np.stack((a, b, a), axis=-1),
        lambda a, b: numpy.stack((a, b, a), -1), [((3, 4), (3, 4))]),
    Row("split", lambda a: mg.np.split(a, 3)[1], lambda a: numpy.split(a, 3)[1],
        [((6, 2),), ((3,),)]),
    Row("split_indices", lambda a: sum(p.sum(axis=-1) * (k + 1) for k, p in enumerate(
        mg.np.split(a, [1, 3], axis=-1))), lambda a: sum(p.sum(axis=-1) * (k + 1) for k, p in
        enumerate(numpy.split(a, [1, 3], axis=-1))), [((3, 5),), ((2, 3, 4),)]),
    # ---- reductions of the later chapters ----
    Row("min", lambda a: a.min(), numpy.min, [((3, 4),), ((),)], "distinct"),
    Row("min_axis_keep", lambda a: mg.np.min(a, axis=-1, keepdims=True),
        lambda a: a.min(axis=-1, keepdims=True), [((3, 4),), ((2, 3, 4),)], "distinct"),
    Row("cumsum", lambda a: a.cumsum(), numpy.cumsum, [((3, 4),), ((),)]),
    Row("cumsum_axis", lambda a: a.cumsum(axis=-1) * a.cumsum(0),
        lambda a: a.cumsum(axis=-1) * a.cumsum(0), [((3, 4),), ((2, 3, 4),)]),
    Row("var", lambda a: a.var(), numpy.var, [((3, 4),), ((),)]),
    Row("var_axis_ddof", lambda a: mg.np.var(a, axis=0, ddof=1),
        lambda a: numpy.var(a, axis=0, ddof=1), [((3, 4),), ((2, 3, 4),)]),
    Row("var_axes_keep", lambda a: a.var(axis=(0, -1), keepdims=True),
        lambda a: a.var(axis=(0, -1), keepdims=True), [((2, 3, 4),)]),
    Row("std", lambda a: a.std(), numpy.std, [((3, 4),)]),
    Row("std_axis_keep", lambda a: mg.np.std(a, axis=-1, keepdims=True, ddof=1),
        lambda a: numpy.std(a, axis=-1, keepdims=True, ddof=1), [((3, 4),), ((2, 3, 4),)]),
    Row("norm", lambda a: mg.np.linalg.norm(a), numpy.linalg.norm,
        [((3, 4),), ((4,),), ((2, 3, 4),), ((),)]),
    Row("norm_axis_keep", lambda a: mg.np.linalg.norm(a, axis=-1, keepdims=True),
        lambda a: numpy.linalg.norm(a, axis=-1, keepdims=True), [((3, 4),), ((2, 3, 4),)]),
    Row("norm_fro_axes", lambda a: mg.np.linalg.norm(a, "fro", axis=(0, 2)),
        lambda a: numpy.linalg.norm(a, "fro", axis=(0, 2)), [((2, 3, 4),)]),
    Row("norm_ord1", lambda a: mg.np.linalg.norm(a, 1, axis=0),
        lambda a: numpy.linalg.norm(a, 1, axis=0), [((3, 4),), ((4,),)], "away_from_zero"),
    Row("norm_ord_inf", lambda a: mg.np.linalg.norm(a, numpy.inf) + mg.np.linalg.norm(
        a, -numpy.inf), lambda a: numpy.linalg.norm(a, numpy.inf) + numpy.linalg.norm(
        a, -numpy.inf), [((5,),)], "distinct"),
    Row("norm_ord3", lambda a: mg.np.linalg.norm(a, 3, axis=1),
        lambda a: numpy.linalg.norm(a, 3, axis=1), [((3, 4),)], "away_from_zero"),
    Row("norm_matrix_1_inf", lambda a: mg.np.linalg.norm(a, 1) + mg.np.linalg.norm(
        a, numpy.inf, keepdims=True), lambda a: numpy.linalg.norm(a, 1) + numpy.linalg.norm(
        a, numpy.inf, keepdims=True), [((3, 4),)], "distinct"),
    # ---- the preliminaries and the mathematics appendix ----
    Row("floor", lambda a: mg.np.floor(a) * a, lambda a: numpy.floor(a) * a,
        [((3, 4),), ((),)], "off_integers", note="floor's own derivative is 0"),
    Row("arccos", lambda a: mg.np.arccos(a), numpy.arccos, [((3, 4),), ((),)], "unit"),
    Row("log2", lambda a: mg.np.log2(a), numpy.log2, [((3, 4),), ((),)], "positive"),
    Row("power", lambda a, b: mg.np.power(a, b), numpy.power, BINARY_SHAPES, "positive"),
    Row("power_scalar_base", lambda a: mg.np.power(2.0, a), lambda a: numpy.power(2.0, a),
        [((3,),), ((),)]),
    Row("sort", lambda a: mg.np.sort(a) * mg.tensor([1.0, 2.0, 3.0, 4.0], a.dtype, a.device),
        lambda a: numpy.sort(a) * numpy.arange(1.0, 5.0), [((3, 4),), ((2, 3, 4),)],
        "distinct"),
    Row("sort_axis0_none", lambda a: mg.np.sort(a, axis=0) * a + mg.np.sort(a, axis=None)[:4],
        lambda a: numpy.sort(a, axis=0) * a + numpy.sort(a, axis=None)[:4], [((3, 4),)],
        "distinct"),
    Row("tile", lambda a: mg.np.tile(a, (2, 1, 3)), lambda a: numpy.tile(a, (2, 1, 3)),
        [((3, 4),), ((2,),), ((),)]),
    Row("tile_int", lambda a: mg.np.tile(a, 2) * a.sum(), lambda a: numpy.tile(a, 2) * a.sum(),
        [((3, 4),)]),
    Row("repeat", lambda a: a.repeat(3, axis=1), lambda a: a.repeat(3, axis=1),
        [((3, 4),), ((2, 3, 4),)]),
    Row("repeat_flat_negative", lambda a: a.repeat(2) + mg.np.repeat(a, 2, axis=-1).reshape(-1),
        lambda a: a.repeat(2) + numpy.repeat(a, 2, axis=-1).reshape(-1), [((3, 4),), ((3,),)]),
    Row("prod", lambda a: a.prod(), numpy.prod, [((3, 4),), ((),), ((5,),)]),
    Row("prod_axis_keep", lambda a: mg.np.prod(a, axis=-1, keepdims=True),
        lambda a: numpy.prod(a, axis=-1, keepdims=True), [((3, 4),), ((2, 3, 5),), ((2, 0),)]),
    Row("prod_axes", lambda a: a.prod(axis=(0, 2)), lambda a: a.prod(axis=(0, 2)),
        [((3, 2, 3),)]),
    Row("prod_with_zeros", lambda a: (a * mg.tensor([1.0, 0.0, 1.0, 1.0], a.dtype, a.device)
                                       ).prod(-1),
        lambda a: (a * numpy.array([1.0, 0.0, 1.0, 1.0])).prod(-1), [((3, 4),), ((4,),)],
        note="the products of the other elements, exact where some are zero"),
    Row("copy", lambda a: a.copy() * a, lambda a: a.copy() * a, [((3, 4),), ((),)]),
    # ---- MXNet's legacy nansum (§18.11): a full sum has shape (1,); NaN rows: test_legacy_mxnet
    Row("nansum", lambda a: nansum(a), lambda a: numpy.nansum(a).reshape(1),
        [((3, 4),), ((),), ((0, 2),)]),
    Row("nansum_axis_keep", lambda a: nansum(a * a, axis=-1, keepdims=True),
        lambda a: numpy.nansum(a * a, axis=-1, keepdims=True), [((3, 4),), ((2, 3, 4),)]),
    Row("nansum_exclude", lambda a: nansum(a * a, axis=(0,), exclude=True),
        lambda a: numpy.nansum(a * a, axis=tuple(range(1, a.ndim))), [((2, 3, 4),), ((3,),)]),
    # ---- convolution and pooling (NCHW), PyTorch's and MXNet's spellings ----
    Row("conv2d", lambda x, w, b: mg.conv2d(x, w, b), ref_conv2d,
        [((2, 3, 5, 4), (4, 3, 3, 2), (4,)), ((1, 1, 3, 3), (2, 1, 3, 3), (2,))]),
    Row("conv2d_stride_padding", lambda x, w: x.conv2d(w, stride=2, padding=1),
        lambda x, w: ref_conv2d(x, w, stride=2, padding=1), [((2, 2, 5, 6), (3, 2, 3, 3))]),
    Row("conv2d_groups_dilation", lambda x, w, b: mg.conv2d(x, w, b, dilation=2, groups=2),
        lambda x, w, b: ref_conv2d(x, w, b, dilation=2, groups=2),
        [((2, 4, 5, 6), (6, 2, 2, 2), (6,))]),
    Row("npx_convolution", lambda x, w, b: mg.npx.convolution(
        x, w, b, kernel=(2, 2), stride=(1, 1), pad=(1, 1), num_filter=3, num_group=3),
        lambda x, w, b: ref_conv2d(x, w, b, padding=1, groups=3),
        [((2, 3, 3, 4), (3, 1, 2, 2), (3,))]),
    Row("max_pool2d", lambda x: mg.max_pool2d(x, 2), lambda x: ref_pool2d(x, 2),
        [((2, 3, 4, 6),), ((1, 2, 5, 5),)], "distinct"),
    Row("max_pool2d_overlap_padding", lambda x: x.max_pool2d(3, stride=2, padding=1),
        lambda x: ref_pool2d(x, 3, 2, 1), [((2, 2, 5, 6),)], "distinct"),
    Row("avg_pool2d", lambda x: mg.avg_pool2d(x, 2), lambda x: ref_pool2d(x, 2, kind="avg"),
        [((2, 3, 4, 6),), ((1, 2, 5, 5),)]),
    Row("avg_pool2d_padding", lambda x: x.avg_pool2d(3, 2, 1) + mg.avg_pool2d(
        x, 3, 2, 1, count_include_pad=False), lambda x: ref_pool2d(x, 3, 2, 1, "avg") +
        ref_pool2d(x, 3, 2, 1, "avg", False), [((2, 2, 5, 6),)]),
    Row("npx_pooling", lambda x: mg.npx.pooling(x, kernel=(2, 2), pool_type="avg") +
        mg.npx.pooling(x, kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
        lambda x: ref_pool2d(x, 2, 1, kind="avg") + ref_pool2d(x, 3, 2, 1)[:, :, :, :],
        [((1, 2, 3, 3),)], "distinct"),
    # ---- attention's batched products and masks (npx) ----
    Row("batch_dot", lambda a, b: mg.npx.batch_dot(a, b), lambda a, b: a @ b,
        [((2, 3, 4), (2, 4, 5)), ((2, 3, 2, 4), (2, 3, 4, 1))]),
    Row("batch_dot_transpose_a", lambda a, b: mg.npx.batch_dot(a, b, transpose_a=True),
        lambda a, b: a.transpose(0, 2, 1) @ b, [((2, 4, 3), (2, 4, 5))]),
    Row("batch_dot_transpose_b", lambda a, b: mg.npx.batch_dot(a, b, transpose_b=True),
        lambda a, b: a @ b.transpose(0, 2, 1), [((2, 3, 4), (2, 5, 4))]),
    Row("batch_dot_transpose_both", lambda a: mg.npx.batch_dot(a, a, True, True),
        lambda a: a.transpose(0, 2, 1) @ a.transpose(0, 2, 1), [((3, 2, 2),)]),
    Row("sequence_mask", lambda x: mg.npx.sequence_mask(x, LENGTHS, True, -2.0, axis=1),
        lambda x: ref_sequence_mask(x, 1, -2.0), [((3, 4),), ((3, 4, 2),)]),
    Row("sequence_mask_axis0", lambda x: mg.npx.sequence_mask(x, mg.tensor(LENGTHS), True),
        lambda x: ref_sequence_mask(x, 0, 0.0), [((4, 3, 2),)]),
    # ---- compositions that exercise the chapter's loss and broadcasting undo ----
    Row("squared_loss", lambda yh, y: (yh - y.reshape(yh.shape)) ** 2 / 2,
        lambda yh, y: (yh - y.reshape(yh.shape)) ** 2 / 2, [((10, 1), (10,))]),
    Row("linreg", lambda x, w, b: x.dot(w) + b, lambda x, w, b: x.dot(w) + b,
        [((5, 2), (2, 1), (1,)), ((5, 2), (2,), ())]),
    Row("softplus_composed", lambda a: (1.0 + a.exp()).log(), lambda a: numpy.log1p(numpy.exp(a)),
        [((3,),)]),
]


def _inputs(row, shapes, rng):
    xs = []
    for shape in shapes:
        if row.domain == "positive":
            x = rng.uniform(0.5, 2.0, shape)
        elif row.domain == "away_from_zero":
            x = rng.uniform(0.3, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        elif row.domain == "unit":
            x = rng.uniform(-0.9, 0.9, shape)
        elif row.domain == "off_integers":
            x = rng.uniform(0.1, 0.9, shape) + rng.integers(-2, 2, shape)
        elif row.domain == "distinct":
            x = rng.permutation(numpy.arange(int(numpy.prod(shape)), dtype=float)).reshape(shape)
            x = x * 0.37 - 1.0
        else:
            x = rng.uniform(-1.5, 1.5, shape)
        xs.append(numpy.asarray(x, dtype=numpy.float64))
    return xs


CASES = [pytest.param(row, shapes, id=f"{row.name}-{'x'.join(map(str, shapes))}")
         for row in OPS for shapes in row.shapes]


@pytest.mark.parametrize("row, shapes", CASES)
def test_forward_matches_numpy(row, shapes, device):
    xs = _inputs(row, shapes, numpy.random.default_rng(0))
    out = row.fn(*[mg.tensor(x, device=device) for x in xs])
    expected = row.ref(*xs)
    assert out.shape == numpy.shape(expected)
    assert out.dtype == numpy.float64
    numpy.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("row, shapes", CASES)
def test_float32_stays_float32(row, shapes, device):
    xs = [mg.tensor(x.astype(numpy.float32), device=device)
          for x in _inputs(row, shapes, numpy.random.default_rng(1))]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = row.fn(*xs)
    assert out.dtype == numpy.float32
    out.backward()
    for x in xs:
        assert x.grad.dtype == numpy.float32 and x.grad.shape == x.shape


@pytest.mark.parametrize("row, shapes", CASES)
def test_gradient(row, shapes, device):
    xs = [mg.tensor(x, device=device) for x in _inputs(row, shapes, numpy.random.default_rng(2))]
    assert mg.gradcheck(row.fn, xs)


@pytest.mark.parametrize("row, shapes", [c for c in CASES if c.values[0].second_order])
def test_second_derivative(row, shapes, device):
    xs = [mg.tensor(x, device=device) for x in _inputs(row, shapes, numpy.random.default_rng(3))]
    assert mg.gradgradcheck(row.fn, xs, atol=1e-4)


# ---- every rule's convention, and the trace of every op ----


def _check_steps(steps):
    """Each traced step sends one gradient per input, None exactly where none is wanted."""
    for node, _, grads in steps:
        assert len(grads) == len(node.inputs), node.name
        sent = [g is not None for g in grads]
        assert sent == list(node.requires_grad), (
            f"{node.name} sent gradients {sent} to inputs that want {node.requires_grad}")
    assert steps.format() and steps.format(values=True)


@pytest.mark.parametrize("row, shapes", [pytest.param(row, row.shapes[0], id=row.name)
                                         for row in OPS])
def test_rules_return_none_exactly_where_no_gradient_is_wanted_and_traces_format(row, shapes):
    """For each set of inputs that are variables (the others constants): the first-order
    backward and the backward of its recorded rules (second order), traced and formatted."""
    arrays = _inputs(row, shapes, numpy.random.default_rng(4))
    for wanted in itertools.product([True, False], repeat=len(arrays)):
        if not any(wanted):
            continue
        xs = [mg.tensor(a) for a in arrays]
        wrt = [x for x, w in zip(xs, wanted) if w]
        for x in wrt:
            x.attach_grad()
        with autograd.record() as tape:
            out = row.fn(*xs)
            with autograd.trace_backward(tape) as first:
                grads = autograd.grad(out, wrt, create_graph=True)
            inner = sum((g * g).sum() for g in grads)
        _check_steps(first)
        if inner.requires_grad:         # a linear op's gradient is constant: no second order
            with autograd.trace_backward(tape) as second:
                autograd.grad(inner, wrt, retain_graph=True)
            _check_steps(second)


def test_the_trace_of_a_python_scalar_operand_formats():
    x = mg.tensor([1.0, 2.0])
    x.attach_grad()
    with autograd.record() as tape:
        y = (x + 1).sum()
    with autograd.trace_backward(tape) as steps:
        y.backward()
    assert steps.format().splitlines()[-1].split() == ["1", "%0", "add", "(2,)", "->",
                                                       "var(2,)", "(2,)"]


def missing_rows(table=None) -> list:
    """The ops that declare a method or a twin (ops/registry.py) but have no row of their name."""
    names = {row.name for row in (OPS if table is None else table)}
    return [d.op.name for d in registry.declared() if d.op.name not in names]


def test_every_declared_op_has_a_row():
    assert missing_rows() == [], "add a row named as each of these ops to OPS"


def test_table_covers_the_written_methods():
    """The methods written by hand in core.py (not from an op's `method`) have rows too."""
    names = {row.name.split("_")[0] for row in OPS}
    for method in ["dot", "reshape", "transpose", "T", "sum", "mean", "max", "getitem", "square",
                   "clip", "expand", "squeeze", "flatten", "concatenate", "stack", "split", "min",
                   "cumsum", "var", "std", "norm", "conv2d", "max", "avg"]:
        assert method in names, method
