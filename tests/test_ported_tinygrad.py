# Skipped (op not in API §1): test_full*, test_zeros*, test_ones*, test_empty_0, test_eye, test_negative_dims*, test_split, test_chunk, test_unfold, test_meshgrid, test_arange*, test_linspace, test_sum_pad_collapse, test_sum_cat_collapse, test_where*, test_trunc, test_floor, test_ceil, test_round, test_isinf, test_isnan, test_isfinite, test_lerp, test_tril, test_triu, test_maximum, test_minimum, test_relu_maximum_exact, test_logical_not, test_div_rounding_mode, test_div_int, test_mod, test_pow_int, test_exp2_log2_zero_times_negative, test_rsqrt, test_xor, test_and, test_or, test_bitwise_not, test_lshift, test_rshift, test_idiv_shift_rewrite_negative, test_tan, test_asin, test_acos, test_atan, test_leaky_relu, test_celu, test_selu, test_silu, test_swish, test_log2, test_exp2, test_sign*, test_copysign*, test_logaddexp, test_softsign*, test_logsigmoid, test_hardsigmoid, test_softplus, test_erf, test_gelu*, test_quick_gelu*, test_elu, test_relu6, test_hardswish, test_mish, test_*cumsum*, test_*cumprod*, test_*cummax*, test_argmax, test_argmin, test_sort, test_argsort, test_topk, test_einsum*, test_small_gemm_padded, test_gemm_fp16, test_sum_dtype_arg, test_prod*, test_min, test_const_reduce, test_any*, test_all*, test_isclose*, test_var*, test_std*, test_softmax*, test_log_softmax*, test_logsumexp, test_logcumsumexp*, test_sinh, test_cosh, test_hardtanh, test_asinh, test_acosh, test_atanh, test_flip_eye_crash, test_pad*, test_stack*, test_flip, test_squeeze, test_unsqueeze, test_flatten, test_unflatten, test_diag, test_diagonal, test_roll, test_expand, test_*conv*, test_*pool*, test_max_unpool2d*, test_interpolate*, test_cat, test_multicat, test_repeat*, test_simple_repeat, test_clip, test_max_nan, test_inf_where, test_scatter*, test_scaled_dot_product_attention*, test_*crossentropy*, test_cross_entropy*, test_nll_loss*, test_one_hot, test_masked_fill, test_masked_select, test_cast, test_bitcast, test_svd, TestOpsUint8  # noqa: E501
"""tinygrad's own op suite (test/test_ops.py) ported to microgradnd: their shapes, their values.

tinygrad's `helper_test_op(shapes, torch_fxn, tinygrad_fxn, low, high, vals=...)` draws inputs
with `np.random.seed(0); np.random.uniform(low, high, shape)` (or takes `vals`), and compares the
forward value and the gradient of `out.sum()` with PyTorch's. `helper` below does the same, in
float64 (tight tolerances, plus the second order through create_graph) and in float32 (tinygrad's
own tolerances). Each table row names the tinygrad test it comes from. Where our answer differs
from PyTorch's on purpose (NumPy semantics, see tests/test_torch_ops.py), the row says why.
"""
import math
from dataclasses import dataclass, field

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

torch = pytest.importorskip("torch", reason="PyTorch is not installed: tinygrad port skipped")

F64_TOL = {"rtol": 1e-9, "atol": 1e-10}


@dataclass
class Op:
    test: str                 # the tinygrad test the row comes from
    fn: object                # microgradnd: Tensors -> Tensor
    ref: object = None        # PyTorch: tensors -> tensor (None: the same lambda)
    shapes: list = None       # one shape per input, drawn uniform(low, high) as tinygrad does
    vals: list = None         # or the inputs themselves
    low: float = -2.0
    high: float = 2.0
    forward_only: bool = False
    second: bool = True       # also compare second order (float64)
    atol: float = 1e-6        # float32 tolerances, tinygrad's defaults
    rtol: float = 1e-3
    grad_atol: float = 1e-4
    grad_rtol: float = 1e-3
    extra: dict = field(default_factory=dict)


def inputs(op, dtype):
    """tinygrad's prepare_test_op: seeded uniform draws, or the given vals."""
    if op.vals is not None:
        out = []
        for v in op.vals:
            a = numpy.array(v)
            out.append(a.astype(dtype) if a.dtype.kind == "f" else a)
        return out
    numpy.random.seed(0)
    return [numpy.random.uniform(op.low, op.high, size=s).astype(dtype) for s in op.shapes]


def compare(what, ours, theirs, rtol, atol):
    theirs = theirs.detach().numpy()
    ours = ours.numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs PyTorch {theirs.shape}"
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs PyTorch {theirs.dtype}"
    if ours.dtype.kind == "f":
        numpy.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)
    else:
        numpy.testing.assert_array_equal(ours, theirs, err_msg=what)


def helper(op, dtype, device):
    """Forward value, gradient of out.sum(), and (float64) second order, against PyTorch."""
    arrays = inputs(op, dtype)
    diff = [a.dtype.kind == "f" for a in arrays]
    backward = not op.forward_only and any(diff)
    second = backward and op.second and dtype == "float64"
    rng = numpy.random.default_rng(1)
    u = [rng.standard_normal(a.shape).astype(a.dtype) for a in arrays]

    xs = [mg.tensor(a, device=device) for a in arrays]
    wrt = [x for x, d in zip(xs, diff) if d]
    uw = [mg.tensor(v, device=device) for v, d in zip(u, diff) if d]
    if backward:
        for x in wrt:
            x.attach_grad()
    with numpy.errstate(all="ignore"):
        with autograd.record():
            out = op.fn(*xs)
            if backward:
                grads = autograd.grad(out.sum(), wrt, create_graph=second, retain_graph=True)
            if second:
                # + (x * 0).sum(): keeps every input on the graph when the gradient is constant
                inner = sum((g * v).sum() + (x * 0).sum() for g, v, x in zip(grads, uw, wrt))
        if second:
            seconds = autograd.grad(inner, wrt)

    ts = [torch.tensor(a, requires_grad=backward and d) for a, d in zip(arrays, diff)]
    leaves = [t for t, d in zip(ts, diff) if d]
    ul = [torch.from_numpy(v) for v, d in zip(u, diff) if d]
    t_out = (op.ref or op.fn)(*ts)

    tol = F64_TOL if dtype == "float64" else {"rtol": op.rtol, "atol": op.atol}
    gtol = F64_TOL if dtype == "float64" else {"rtol": op.grad_rtol, "atol": op.grad_atol}
    compare("forward", out, t_out, **tol)
    if not backward:
        return
    t_grads = torch.autograd.grad(t_out.sum(), leaves, create_graph=second, allow_unused=True,
                                  materialize_grads=True)
    for i, (g, tg) in enumerate(zip(grads, t_grads)):
        compare(f"gradient of input {i}", g, tg, **gtol)
    if second:
        t_inner = sum((g * v).sum() + (t * 0).sum() for g, v, t in zip(t_grads, ul, leaves))
        t_seconds = torch.autograd.grad(t_inner, leaves, allow_unused=True,
                                        materialize_grads=True)
        for i, (g, tg) in enumerate(zip(seconds, t_seconds)):
            compare(f"second order of input {i}", g, tg, **gtol)


INF, NAN = math.inf, math.nan
ADD, SUB, MUL, DIV = (lambda x, y: x + y), (lambda x, y: x - y), (lambda x, y: x * y), \
    (lambda x, y: x / y)
POW, MATMUL = (lambda x, y: x ** y), (lambda x, y: x @ y)
DOT = lambda x, y: x.dot(y)                          # noqa: E731 - NumPy's dot, our twin
T_MATMUL = lambda x, y: x.matmul(y)                  # noqa: E731


def cmp_rows(name, f, reverse=True):
    """tinygrad's _test_cmp: forward only, floats, broadcasting, constants, special floats."""
    rows = [Op(name, f, vals=[[0., 1, 2], [2., 1, 0]]),
            Op(name, f, vals=[[0, 1, 2], [2, 1, 0]]),
            Op(name, f, vals=[[True, True, False], [False, True, False]])]
    rows += [Op(name, f, shapes=s) for s in [[(3, 4, 5), (3, 4, 5)], [(3, 4, 5), (5,)],
                                            [(5,), (3, 4, 5)]]]
    rows.append(Op(name, lambda x, y: f(x, 2), vals=[[0., 1, 2], [2., 1, 0]]))
    if reverse:
        rows.append(Op(name, lambda x, y: f(2, y), vals=[[0., 1, 2], [2., 1, 0]]))
    specials = [0.0, 1.0, -1.0, INF, -INF]
    rows += [Op(name, f, vals=[[s0], [s1]]) for s0 in specials for s1 in specials]
    for r in rows:
        r.forward_only = True
    return rows


BROADCAST_FULL = [((5, 3, 14, 16), (5, 1, 14, 1)), ((1, 3, 1, 7, 1), (2, 1, 5, 1, 8))]
BROADCAST_PARTIAL = [((1, 32, 32, 32), (1, 32, 1, 1)), ((5, 13, 24, 16, 2), (1, 13, 24, 1, 1)),
                     ((4, 1), (4, 5)), ((1, 4), (5, 4))]
BROADCAST_OPS = [("add", ADD), ("sub", SUB), ("mul", MUL), ("div", DIV), ("pow", POW)]

ROWS = [
    # ---- elementwise binary ----
    Op("test_add", ADD, shapes=[(45, 68), (45, 68)]),
    Op("test_add", ADD, shapes=[(), ()]),
    Op("test_add3", lambda x, y, z: x + y + z, shapes=[(45, 65)] * 3),
    Op("test_broadcasted_add", ADD, shapes=[(45, 65), (45, 1)]),
    Op("test_broadcasted_add", ADD, shapes=[(45, 65), ()]),
    Op("test_broadcasted_add_2", ADD, shapes=[(45, 65), (65,)]),
    Op("test_sub", SUB, shapes=[(45, 65), (45, 65)]),
    Op("test_sub", SUB, shapes=[(), ()]),
    Op("test_scalar_sub", lambda x: x - 2, shapes=[(45, 65)]),
    Op("test_scalar_sub", lambda x: x - 2, shapes=[()]),
    Op("test_scalar_rsub", lambda x: 2 - x, shapes=[(45, 65)]),
    Op("test_scalar_rsub", lambda x: 2 - x, shapes=[()]),
    Op("test_neg", lambda x: -x, shapes=[(45, 65)]),
    Op("test_neg", lambda x: -x, shapes=[()]),
    Op("test_mul", MUL, shapes=[(64, 64), (64, 64)]),
    Op("test_mul", MUL, shapes=[(), ()]),
    Op("test_scalar_mul", lambda x: x * 2, shapes=[(45, 65)]),
    Op("test_scalar_mul", lambda x: x * -1, shapes=[(45, 65)]),
    Op("test_scalar_mul", lambda x: 255 * x, shapes=[(45, 65)]),
    Op("test_scalar_mul", lambda x: 2 * x, shapes=[(45, 65)]),
    Op("test_scalar_mul", lambda x: x * 2, shapes=[()]),
    Op("test_scalar_mul", lambda x: 2 * x, shapes=[()]),
    Op("test_div", DIV, shapes=[(45, 65), (45, 65)]),
    Op("test_div", DIV, shapes=[(), ()]),
    Op("test_scalar_div", lambda x: x / 255, shapes=[(45, 65)]),
    Op("test_scalar_div", lambda x: x / 1, shapes=[(45, 65)]),
    Op("test_scalar_div", lambda x: 1 / x, shapes=[(45, 65)]),
    Op("test_scalar_div", lambda x: x / 2, shapes=[(45, 65)]),
    Op("test_scalar_div", lambda x: 2 / x, shapes=[(45, 65)]),
    Op("test_scalar_div", lambda x: x / 2, shapes=[()]),
    Op("test_scalar_div", lambda x: 2 / x, shapes=[()]),
    Op("test_mul_naninf", lambda x: x * INF, shapes=[(45, 65)]),
    Op("test_mul_naninf", lambda x: x * -INF, shapes=[(45, 65)]),
    Op("test_mul_naninf", lambda x: x * NAN, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: x / INF, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: x / -INF, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: x / NAN, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: INF / x, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: (-INF) / x, shapes=[(45, 65)]),
    Op("test_div_naninf", lambda x: NAN / x, shapes=[(45, 65)]),
    Op("test_topo_sort", lambda x: (x + x) * x, shapes=[(45, 65)]),
    Op("test_topo_sort", lambda x: (x + x) * x, shapes=[()]),
    Op("test_broadcast_simple", DIV, shapes=[(45, 65), (45, 1)]),
    Op("test_broadcast_simple", DIV, shapes=[(45, 65), ()]),
    *[Op(f"test_broadcast_full[{n}]", f, shapes=list(s), **({"low": 0, "high": 3} if n == "pow"
         else {})) for n, f in BROADCAST_OPS for s in BROADCAST_FULL],
    *[Op(f"test_broadcast_partial[{n}]", f, shapes=list(s), **({"low": 0, "high": 3}
         if n == "pow" else {})) for n, f in BROADCAST_OPS for s in BROADCAST_PARTIAL],
    # ---- pow ----
    Op("test_pow_full", POW, shapes=[(45, 65), (45, 65)]),
    *[Op("test_pow", lambda x, c=c: x ** c, shapes=[(45, 65)]) for c in [0, 1, 2, 3, -2]],
    Op("test_pow", lambda x: x ** 2, shapes=[()]),
    Op("test_pow", lambda x: x ** -2, shapes=[()]),
    # tinygrad issues 1151 and 1251: negative bases, integer and fractional exponents
    *[Op("test_pow", lambda x, c=c: x ** c, shapes=[s], low=-30, high=-27)
      for c in [3, 0.2, 1.2] for s in [(45, 65), ()]],
    Op("test_pow", lambda x: x ** 1.1, vals=[[0.0]]),
    *[Op("test_pow_const", lambda x, c=c: x ** c, shapes=[(45, 65)])
      for c in [0.0, 1.0, -1.0, 8.0, 5.5, -5.5, 2.0]],
    *[Op("test_pow_const", lambda x, c=c: c ** x, shapes=[(45, 65)])
      for c in [1.0, 5.5, -5.5, 8.0, 2.0]],
    Op("test_pow_const", lambda x: x ** 2.0, shapes=[()]),
    Op("test_pow_const", lambda x: 2.0 ** x, shapes=[()]),
    *[Op("test_pow_const", lambda x, c=c: c ** x, vals=[[-2., -1, 0, 1, 2, 3]])
      for c in [0, 0.7, -2]],
    # float to the power of an int tensor: NumPy gives float64 where PyTorch keeps float32,
    # so the base is the tensor's float64 here (dtype rules: tests/test_torch_ops.py)
    Op("test_pow_const", lambda x: 0.7 ** x, vals=[[-2, -1, 0, 1, 2, 3]], forward_only=True,
       ref=lambda x: torch.tensor(0.7, dtype=torch.float64) ** x),
    Op("test_pow_zero_tensor", POW, vals=[[0.0], [0.0]]),
    Op("test_pow_zero_tensor", POW, vals=[[0.0], [0.3]]),
    Op("test_pow_zero_tensor", POW, vals=[[0.0], [-0.3]]),
    *[Op("test_pow_zero_const", lambda x, c=c: x ** c, vals=[[0.0]]) for c in [0.3, 0.0, -0.3]],
    Op("test_pow_zero_const", lambda x: x ** -1.0, vals=[[-1.0, 0.0, 1.0]]),
    *[Op("test_int_pow_const_int", lambda x, c=c: x ** c, vals=[v], forward_only=True)
      for c, v in [(0, [-2, 0, 2]), (1, [-2, 0, 2]), (2, [-2, 0, 2]), (7, [11, 12, 13]),
                   (29, [-2, 0, 2])]],
    # ---- unary ----
    Op("test_sqrt", lambda x: x.sqrt(), shapes=[(45, 65)]),
    Op("test_sqrt", lambda x: x.sqrt(), vals=[[0.0]]),
    Op("test_sqrt", lambda x: x.sqrt(), shapes=[()]),
    Op("test_sin", lambda x: x.sin(), shapes=[(45, 65)]),
    Op("test_sin", lambda x: x.sin(), shapes=[()]),
    Op("test_sin", lambda x: x.sin(), vals=[[NAN, INF, -INF, 0.0]]),
    Op("test_sin", lambda x: x.sin(), vals=[[1e1, 1e2, 1e3, 1e4, 1e5, 1e6, -1e1, -1e2, -1e3,
                                             -1e4, -1e5, -1e6]],
       atol=3e-3, rtol=3e-3, grad_atol=3e-3, grad_rtol=3e-3),
    Op("test_cos", lambda x: x.cos(), shapes=[(45, 65)]),
    Op("test_cos", lambda x: x.cos(), shapes=[()]),
    Op("test_cos", lambda x: x.cos(), vals=[[NAN, INF, -INF, 0.0]]),
    Op("test_cos", lambda x: x.cos(), vals=[[1e1, 1e2, 1e3, 1e4, 1e5, 1e6, -1e1, -1e2, -1e3,
                                             -1e4, -1e5, -1e6]],
       atol=3e-3, rtol=3e-3, grad_atol=3e-3, grad_rtol=3e-3),
    Op("test_relu", lambda x: x.relu(), shapes=[(64, 64)]),
    Op("test_relu", lambda x: x.relu(), shapes=[()]),
    Op("test_relu_exact", lambda x: x.relu(), vals=[[-1., 0, 1]]),
    Op("test_abs", lambda x: x.abs(), torch.abs, shapes=[(45, 65)]),
    Op("test_abs", lambda x: x.abs(), torch.abs, shapes=[()]),
    Op("test_abs_exact", lambda x: x.abs(), torch.abs, vals=[[-1., 0, 1]]),
    Op("test_log", lambda x: x.log(), torch.log, shapes=[(45, 65)]),
    Op("test_log", lambda x: x.log(), torch.log, vals=[[INF, -INF, NAN]]),
    Op("test_log", lambda x: x.log(), torch.log, shapes=[()]),
    Op("test_exp", lambda x: x.exp(), torch.exp, shapes=[(45, 65)]),
    Op("test_exp", lambda x: x.exp(), torch.exp, vals=[[INF, -INF, NAN]]),
    Op("test_exp", lambda x: x.exp(), torch.exp, shapes=[()]),
    Op("test_sigmoid", lambda x: x.sigmoid(), torch.sigmoid, shapes=[(45, 65)]),
    Op("test_sigmoid", lambda x: x.sigmoid(), torch.sigmoid, shapes=[()]),
    *[Op(name, lambda x: x.sigmoid(), torch.sigmoid, shapes=[(45, 65)], low=lo, high=hi)
      for name in ["test_sigmoid_extreme", "test_hardsigmoid_extreme"]
      for lo, hi in [(300, 400), (-400, -300)]],
    Op("test_tanh", lambda x: x.tanh(), shapes=[(45, 65)], grad_atol=1e-6),
    Op("test_tanh_extreme", lambda x: x.tanh(), shapes=[(45, 65)], low=-300, high=-297,
       grad_atol=1e-6),
    Op("test_tanh_extreme", lambda x: x.tanh(), shapes=[(45, 65)], low=300, high=303,
       grad_atol=1e-6),
    # comparisons are constants to autograd: the mask stops no gradient through x
    Op("test_cmp_ne_backwards", lambda x: x * (x != 0), vals=[[0.5, 0.0, -1.5, 0.0]]),
    Op("test_cmp_lt_backwards", lambda x: x * (x < 0), vals=[[0.5, 0.0, -1.5, 2.0]]),
    *cmp_rows("test_cmp_eq", lambda x, y: x == y, reverse=False),
    *cmp_rows("test_cmp_gt", lambda x, y: x > y),
    *cmp_rows("test_cmp_ge", lambda x, y: x >= y),
    *cmp_rows("test_cmp_lt", lambda x, y: x < y),
    *cmp_rows("test_cmp_le", lambda x, y: x <= y),
    # ---- reductions (NumPy spells keepdim as keepdims) ----
    Op("test_sum_fake", lambda x: x.sum(axis=1), shapes=[(256, 1)]),
    *[Op("test_sum_twice", lambda x, a=a: x.sum(a).sum(), shapes=[(4, 4, 4)])
      for a in [(0, 1), (0, 2), (1, 2)]],
    Op("test_sum_simple", lambda x: x.sum(), vals=[[1., 1.]]),
    Op("test_sum_full", lambda x: x.sum(), shapes=[(16384,)], atol=1e-4),
    Op("test_sum_relu", lambda x: x.relu().sum().relu(), shapes=[(3, 4, 5)]),
    Op("test_sum_tiny", lambda x: x.sum(axis=(0, 2)), shapes=[(4, 2, 2)]),
    Op("test_sum", lambda x: x.sum(), shapes=[(45, 3)]),
    *[Op("test_sum", lambda x, a=a: x.sum(axis=a), shapes=[(3, 4, 5, 6)])
      for a in [3, (1, 3), (0, 2), (1, 2), 1]],
    Op("test_sum", lambda x: x.sum(axis=1, keepdims=True), lambda x: x.sum(axis=1, keepdim=True),
       shapes=[(3, 4, 5, 6)]),
    Op("test_sum", lambda x: x.sum(), shapes=[()]),
    Op("test_sum", lambda x: x.sum(0), shapes=[()]),
    Op("test_sum", lambda x: x.sum(-1), shapes=[()]),
    Op("test_sum", lambda x: x.sum(()), shapes=[()]),
    *[Op("test_sum_with_zeros_shape", lambda x, a=a: x.sum(axis=a), shapes=[(4, 0)])
      for a in [(0,), (1,), (0, 1)]],
    Op("test_max", lambda x: x.max(), shapes=[(45, 3)]),
    Op("test_max", lambda x: x.max() * 0.5, shapes=[(45, 3)]),
    # ties: PyTorch's full max() shares the gradient evenly between them, as we do
    Op("test_max", lambda x: x.max() * 0.5, vals=[[[1.0, 1.0, 0.0, 1.0]]]),
    Op("test_max", lambda x: x.max(axis=1), lambda x: x.max(axis=1)[0], shapes=[(3, 4, 5, 6)]),
    Op("test_max", lambda x: x.max(), shapes=[()]),
    *[Op("test_max", lambda x: x.max(), vals=[v], forward_only=True)
      for v in [[0, -2**31], [-2**31, 0], [False, True], [True, False]]],
    Op("test_mean", lambda x: x.mean(), shapes=[(3, 4, 5, 6)]),
    Op("test_mean", lambda x: x.mean(), shapes=[()]),
    Op("test_mean_axis", lambda x: x.mean(axis=(1, 2)), shapes=[(3, 4, 5, 6)]),
    Op("test_mean_zero_axis", lambda x: x.mean(axis=(1, 3)), shapes=[(1, 0, 3, 0, 5)]),
    # ---- matmul and dot (tinygrad's Tensor.dot is matmul; NumPy's dot agrees up to 2-d and
    #      for a 1-d operand; batched rows use matmul, where NumPy's dot would be an outer) ----
    *[Op("test_dot_1d", DOT, T_MATMUL, shapes=list(s))
      for s in [((65,), (65,)), ((65,), (65, 45)), ((45, 65), (65,)), ((8, 45, 65), (65,)),
                ((65,), (8, 65, 45))]],
    Op("test_dot", DOT, T_MATMUL, shapes=[(45, 65), (65, 100)], atol=1e-5),
    Op("test_dot", T_MATMUL, shapes=[(8, 45, 65), (8, 65, 100)], atol=1e-5),
    Op("test_matmul_simple", DOT, T_MATMUL, shapes=[(4,), (4, 4)]),
    Op("test_matmul", DOT, T_MATMUL, shapes=[(64,), (64, 99)]),
    Op("test_matmul_batched", T_MATMUL, shapes=[(3,), (1, 3, 3, 5)]),
    Op("test_matmul_batched_vector", T_MATMUL, shapes=[(4, 3), (1, 3, 3, 5)]),
    Op("test_small_gemm", MATMUL, shapes=[(8, 8), (8, 8)]),
    Op("test_9_gemm", MATMUL, shapes=[(9, 9), (9, 9)]),
    Op("test_small_gemm_range", MATMUL, vals=[numpy.arange(0, 64).reshape(8, 8).astype(float),
                                              numpy.arange(64, 128).reshape(8, 8).astype(float)]),
    Op("test_small_gemm_eye", MATMUL, vals=[numpy.eye(8), numpy.eye(8)]),
    Op("test_gemm", MATMUL, shapes=[(64, 64), (64, 64)]),
    Op("test_big_gemm", MATMUL, shapes=[(256, 256), (256, 256)], atol=1e-4, second=False),
    *[Op("test_gemm_with_zeros_shape", DOT, T_MATMUL, shapes=list(s), atol=1e-7)
      for s in [((8, 8), (8, 0)), ((0, 8), (8, 8)), ((0, 8), (8, 0)), ((8, 0), (0, 8)),
                ((0, 0), (0, 0)), ((0,), (0, 8)), ((0,), (0,))]],
    Op("test_broadcastdot", MATMUL, shapes=[(10, 45, 65), (65, 45)], atol=1e-4),
    Op("test_multidot", MATMUL, shapes=[(10, 45, 65), (10, 65, 45)], atol=1e-4),
    Op("test_multidot", MATMUL, shapes=[(3, 3, 45, 65), (3, 3, 65, 45)], atol=1e-4),
    Op("test_matvecmat", lambda x, y, z: (x @ y).relu() @ z,
       shapes=[(1, 128), (128, 128), (128, 128)]),
    Op("test_matvec", lambda x, y: (x @ y).relu(), shapes=[(1, 128), (128, 128)]),
    # ---- shapes (PyTorch's transpose(a, b) swaps two axes: ours is NumPy's permutation) ----
    Op("test_transpose", lambda x: x.T, shapes=[(3, 3)]),
    Op("test_transpose", lambda x: x.transpose(0, 2, 1), lambda x: x.transpose(1, 2),
       shapes=[(3, 3, 3)]),
    Op("test_transpose", lambda x: x.transpose(2, 1, 0), lambda x: x.transpose(0, 2),
       shapes=[(3, 3, 3)]),
    *[Op("test_permute", lambda x, p=p: x.transpose(p), lambda x, p=p: x.permute(p),
         shapes=[s]) for s, p in [((1, 2, 3, 4), (3, 0, 2, 1)), ((3, 4, 5, 6), (3, 2, 1, 0)),
                                  ((3, 4, 5, 6), (-2, -1, 1, 0)), ((), ())]],
    *[Op("test_reshape", lambda x, s=s: x.reshape(s), shapes=[f])
      for f, s in [((4, 3, 6, 6), (12, 6, 6)), ((4, 3, 6, 6), (-1, 3, 6, 6)),
                   ((4, 3, 6, 6), (-1, 1, 6, 6)), ((4, 3, 6, 6), (4, 3, 6, 6)), ((), ()),
                   ((1,), ()), ((), (1,)), ((), (1, 1, 1))]],
    # test_view: PyTorch's view is our reshape
    *[Op("test_view", lambda x, s=s: x.reshape(s), lambda x, s=s: x.view(s), shapes=[f])
      for f, s in [((4, 3, 6, 6), (12, 6, 6)), ((4, 3, 6, 6), (-1, 3, 6, 6)), ((6,), (2, 3)),
                   ((6, 1), (2, 3)), ((1, 6), (3, 2)), ((3, 2), (2, 3)), ((3, 2), (6,))]],
    Op("test_view", lambda x: x.reshape(2, 3), lambda x: x.view(2, 3), shapes=[(6,)]),
    Op("test_detach", lambda x: x.detach(), shapes=[(4, 3, 6, 6)], forward_only=True),
    Op("test_detach", lambda x: x.detach(), shapes=[()], forward_only=True),
    # ---- slicing ----
    *[Op("test_slice_in_bounds_1dim", lambda x, i=i: x[i], shapes=[(3,)])
      for i in [slice(1, 3), slice(0, 2), slice(-2, 2)]],
    Op("test_slice_on_0dim_tensor", lambda x: x[None], shapes=[()]),
    *[Op("test_slice_int_indexing", lambda x, i=i: x[i], shapes=[s])
      for s, i in [((3,), 0), ((3,), 2), ((3,), -1), ((3,), -3), ((10, 10), 1),
                   ((3, 3, 3), (1, 1, 1))]],
    *[Op("test_slice_in_bounds_multidim", lambda x, i=i: x[i], shapes=[(3, 3, 3)])
      for i in [slice(1, 2), (slice(1, 2), 2), (slice(1, 2), slice(1, 2)),
                (slice(1, 2), slice(1, 2), slice(0, -1))]],
    *[Op("test_slice_with_none", lambda x, i=i: x[i], shapes=[(3, 3, 3)])
      for i in [None, (slice(1, 2), None), (slice(1, 2), None, slice(1, 2)),
                (slice(1, 2), slice(1, 2), None, -1), (None, None, 1, None, 2, slice(0, 2))]],
    Op("test_slice_with_const_tensor",
       lambda x: x[:, mg.tensor(numpy.zeros(1, numpy.int64)), :], lambda x: x[:, [0], :],
       shapes=[(3, 3, 3)]),
    *[Op("test_slice_one_endpoint_out_of_bounds", lambda x, i=i: x[i], shapes=[(3, 3, 3)])
      for i in [slice(0, 4), slice(-6, 4), slice(1, 50), (slice(1, 50), slice(1, 2), -1)]],
    *[Op("test_slice_stride_gt_one", lambda x, i=i: x[i], shapes=[(7, 5, 10)])
      for i in [(slice(None, None, 2), slice(None, None, 3), slice(None, None, 4)),
                (slice(1, 5, 2), slice(None, None, 3), slice(None, None, 4)),
                (slice(1, 5, 2), 3, slice(None, None, 4)),
                (slice(1, 5, 2), None, None, 3, None, slice(None, None, 4))]],
    *[Op("test_slice_both_endpoints_out_of_bounds", lambda x, i=i: x[i], shapes=[(3, 3, 3)])
      for i in [slice(5, 10), slice(-15, -7)]],
    *[Op("test_slice_start_gt_end", lambda x, i=i: x[i], shapes=[(3, 3, 3)])
      for i in [slice(-2, 2), slice(-2, -5)]],
    Op("test_slice_empty", lambda x: x[1:1], shapes=[(10, 10)]),
    Op("test_slice_zero_in_shape", lambda x: x[1:1], shapes=[(10, 10)]),
    Op("test_slice_zero_in_shape", lambda x: x[-2:-5], shapes=[(3, 3, 3)]),
    *[Op("test_slice_ellipsis", lambda x, i=i: x[i], shapes=[(3, 3, 3, 3)])
      for i in [(..., 0), (0, ...), (0, ..., 0), (slice(0, 3), ..., slice(2, 3)),
                (None, slice(0, 3), ..., 0, None)]],
    Op("test_double_slice", lambda x: x[:, 1:2][1:2], shapes=[(4, 4)]),
    Op("test_double_slice", lambda x: x[1:3][1:2], shapes=[(4, 4)]),
    Op("test_double_slice", lambda x: x[:, 1:2][0:1], shapes=[(4, 4)]),
    Op("test_double_slice", lambda x: x[:, 1:2][:, 0:1], shapes=[(4, 4)]),
    Op("test_slice_fancy_indexing_errors", lambda x: x[[True, False, 2]], shapes=[(5, 6)]),
    Op("test_fancy_indexing_inf", lambda x: x[mg.tensor([0, 1, 2])],
       lambda x: x[torch.tensor([0, 1, 2])], vals=[[INF, -INF, NAN]], forward_only=True),
]


def _index_randoms():
    """tinygrad's _get_index_randoms: broadcasting int index arrays for a (2,5,6,5,3,4) x."""
    rs = numpy.random.RandomState(0)
    a = rs.randint(-1, 1, size=(2, 1, 1, 1, 1, 1))
    b = rs.randint(0, 1, size=(1, 3, 1, 1, 1, 1))
    c = rs.randint(-5, 5, size=(1, 1, 4, 1, 1, 1))
    d = rs.randint(0, 4, size=(2, 1, 1, 5, 1, 1))
    e = rs.randint(0, 1, size=(1, 1, 1, 1, 6, 1))
    return a, b, c, d, e


A, B, C, D, E = _index_randoms()
_ = slice(None)


def fancy(name, index, after=None):
    """One fancy-indexing row: NumPy int arrays for us, int64 tensors for PyTorch."""
    t_index = tuple(torch.from_numpy(i) if isinstance(i, numpy.ndarray) else i for i in index)
    after = after or (lambda t: t)
    return Op(name, lambda x: x[index], lambda x: after(x[t_index]), shapes=[(2, 5, 6, 5, 3, 4)])


FANCY = [
    *[fancy("test_slice_fancy_indexing_no_dim_collapse", i)
      for i in [(A, B, C, D, E), (_, B, C, D, _), (A, B, ...), (A, ..., E), (..., C, _, E)]],
    *[fancy("test_slice_fancy_indexing_dim_collapse_int", i)
      for i in [(1, B, C, D, E), (A, B, 3, D, E), (1, B, 2, D, 2), (A, 2, 2, 2, E)]],
    # NumPy counts the int as an advanced index too: with a slice between it and D, the
    # broadcast axes go first (PyTorch keeps them where D was), so PyTorch's twin moves them
    fancy("test_slice_fancy_indexing_dim_collapse_int", (1, _, slice(3, 11, 2), D, slice(0, 2)),
          lambda t: torch.movedim(t, (2, 3, 4, 5, 6, 7), (0, 1, 2, 3, 4, 5))),
    *[fancy("test_slice_fancy_indexing_dim_inject_none", i)
      for i in [(None, B, C, D, E), (A, B, C, D, None), (A, B, None, D, E),
                (None, B, C, D, None), (A, _, None, D, E), (None,) * 5,
                (None, None, B, C, D, E), (None, None, B, C, None, None),
                (A, None, None, C, D, E), (A, None, None, C, None, None),
                (None, None, B, None, D, E)]],
    *[fancy("test_slice_fancy_indexing_dim_inject_and_collapse", i)
      for i in [(1, B, None, D, 1), (None, B, 2, D, None), (..., 1, D, None)]],
    *[fancy("test_slice_fancy_indexing_list_indices", i)
      for i in [((0,),), ((0,), B, C, D, _), ([[[0]]], B, C, D, [[1]]), ((1, 0, -1), B, C, D, _),
                (A, B, C, (1, 2, 3), ...), (A, B, C, [[1], [2], [3]], ...),
                (A, (2, 1, 0), C, (-2, 1, 0), E)]],
    *[fancy("test_slice_fancy_indexing_tuple_indices", i)
      for i in [(((0,),),), ((0,), B, C, D, _), ((1, 0), B, C, D, _), (A, B, C, (1, 2, 3), ...),
                (A, ((2,), (1,), (0,)), C, (2, 1, 0)), (1, (2, 1, 0), None, C, (2, 1, 0), E)]],
    *[fancy("test_slice_fancy_indexing_list_with_tensors", i)
      for i in [(A,), (A, 1), (A, (1, 1)), (A, B, C, D, E)]],
]

# test_slice_fancy_indexing_with_tensors: index Tensors of different shapes on a (2, 3) input
IDX2 = [([[0, 0, 0], [0, 0, 0]], 1), ([1], [[0, 0, 0], [0, 0, 0]]),
        ([[0, 0, 0], [0, 0, 0]], [2, 1, 1]), ([[0, 1, -1], [-1, -2, 0]], [2, 1, -1])]
FANCY += [Op("test_slice_fancy_indexing_with_tensors",
             lambda x, i=i, j=j: x[mg.tensor(i), mg.tensor(j)],
             lambda x, i=i, j=j: x[torch.tensor(i), torch.tensor(j)], shapes=[(2, 3)])
          for i, j in IDX2]

# test_gather: x.gather(dim, index) is x[index] along dim with the other axes' own positions
GATHER_INDEX = numpy.random.RandomState(1).randint(0, 3, size=(3, 4, 5))


def gather_index(index, dim):
    grid = list(numpy.indices(index.shape, sparse=True))
    grid[dim] = index
    return tuple(grid)


FANCY += [Op("test_gather", lambda x, d=d: x[gather_index(GATHER_INDEX, d)],
             lambda x, d=d: x.gather(dim=d, index=torch.from_numpy(GATHER_INDEX)), shapes=[s])
          for s, d in [((4, 5, 6), 0), ((4, 5, 6), 1), ((4, 5, 6), 2), ((3, 4, 5), 0),
                       ((4, 5, 6), -1), ((4, 5, 6), -2), ((4, 5, 6), -3)]]
FANCY += [Op("test_gather", lambda x: x[numpy.array([2, 1, 0, 1, 2])],
             lambda x: x.gather(dim=0, index=torch.tensor([2, 1, 0, 1, 2])), vals=[v])
          for v in [[1., 2., 3.], [-INF, 2., 3.]]]

ALL = ROWS + FANCY


def _dtypes(op):
    if op.vals is not None and all(numpy.array(v).dtype.kind != "f" for v in op.vals):
        return ["native"]           # int or bool inputs keep their dtype
    return ["float64", "float32"]


CASES = []
_seen = {}
for _op in ALL:
    _n = _seen[_op.test] = _seen.get(_op.test, -1) + 1
    for _dt in _dtypes(_op):
        CASES.append(pytest.param(_op, _dt, id=f"{_op.test}-{_n}-{_dt}"))


@pytest.mark.parametrize("op, dtype", CASES)
def test_op_matches_pytorch(op, dtype, device):
    helper(op, "float64" if dtype == "native" else dtype, device)


# ---- tinygrad tests written without helper_test_op ----

NEG = numpy.random.RandomState(0).randn(10, 10, 10)
NEGATIVE_STRIDES = [(slice(None, None, -1),), (slice(None, None, -2),),
                    (_, slice(2, 0, -1)), (_, slice(2, 0, -1), slice(3, 1, -2)),
                    (slice(4, 0, -3), slice(2, 0, -1), slice(-1, -5, -2)),
                    (slice(2, 5, -1), _, _), (_, slice(2, 5, -1), _), (_, _, slice(2, 5, -1))]


@pytest.mark.parametrize("index", NEGATIVE_STRIDES, ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_slice_negative_strides(index, dtype, device):
    """tinygrad test_slice_negative_strides: PyTorch refuses negative steps, NumPy is the twin."""
    a = NEG.astype(dtype)
    x = mg.tensor(a, device=device)
    x.attach_grad()
    with autograd.record():
        out = x[index]
    out.backward()
    numpy.testing.assert_array_equal(out.numpy(), a[index])
    expected = numpy.zeros_like(a)
    expected[index] += 1            # basic slices select each element at most once
    numpy.testing.assert_array_equal(x.grad.numpy(), expected)


@pytest.mark.parametrize("x0", [300.0, -300.0])
def test_sigmoid_extreme_gradient(x0, device):
    """tinygrad test_sigmoid_extreme: the slope of sigmoid far out in float32 is 0, not nan."""
    x = mg.tensor([x0], device=device)
    x.attach_grad()
    with autograd.record():
        y = x.sigmoid()[0]
    assert autograd.grad(y, [x])[0].item() == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x0", [300.0, -300.0])
def test_sigmoid_alt_extreme(x0, dtype, device):
    """tinygrad test_sigmoid_alt_extreme: exp(x) / (1 + exp(x)) differentiated by hand.

    In float64 its slope at ±300 is 0, as tinygrad asserts. In float32 exp(300) overflows to
    inf and inf / inf is nan, in PyTorch as here (tinygrad rewrites the graph): we follow PyTorch.
    """
    x = mg.tensor(numpy.array([x0], dtype), device=device)
    x.attach_grad()
    with numpy.errstate(all="ignore"), autograd.record():
        y = (x.exp() / (1 + x.exp()))[0]
        g = autograd.grad(y, [x])[0].item()
    t = torch.tensor([x0], dtype=getattr(torch, dtype), requires_grad=True)
    tg = torch.autograd.grad((t.exp() / (1 + t.exp()))[0], t)[0].item()
    if dtype == "float64":
        assert g == pytest.approx(0.0, abs=1e-7) and tg == pytest.approx(0.0, abs=1e-7)
    else:
        numpy.testing.assert_equal(g, tg)


@pytest.mark.parametrize("c", [-1, 0, 0.3, 1, 2])
@pytest.mark.parametrize("x0", [-INF, 0.0, 1.0, INF])
def test_pow_const_direct(x0, c, device):
    """tinygrad test_pow_const_direct: d(x ** c)/dx at infinities, zero and one, as PyTorch."""
    x = mg.tensor([x0], device=device)
    x.attach_grad()
    with numpy.errstate(all="ignore"), autograd.record():
        g = autograd.grad((x ** c)[0], [x])[0].item()
    t = torch.tensor([x0], dtype=torch.float32, requires_grad=True)
    tg = torch.autograd.grad((t ** c)[0], t)[0].item()
    numpy.testing.assert_allclose(g, tg, rtol=1e-6, err_msg=f"{x0} ** {c}")


CONSTANT_CASES = [
    # (tinygrad test, ours, PyTorch's)
    ("test_sum_collapse", lambda: mg.np.ones((256, 256)).sum(axis=1),
     lambda: torch.ones(256, 256).sum(axis=1)),
    ("test_sum_collapse_neg", lambda: (-mg.np.ones((3, 3))).sum(axis=1),
     lambda: (-torch.ones(3, 3)).sum(axis=1)),
    ("test_max_dont_collapse", lambda: mg.np.ones((256, 256)).max(1),
     lambda: torch.ones(256, 256).max(1)[0]),
    ("test_mulacc_with_zero_strides", lambda: mg.np.ones((1, 2)).dot(mg.np.ones((2, 3))),
     lambda: torch.ones((1, 2)).matmul(torch.ones((2, 3)))),
]


@pytest.mark.parametrize("name, ours, theirs", CONSTANT_CASES, ids=[c[0] for c in CONSTANT_CASES])
def test_constant_inputs(name, ours, theirs):
    """tinygrad's forward-only tests on constant tensors (float32 from the np facade)."""
    out, ref = ours(), theirs()
    assert out.dtype == numpy.float32
    numpy.testing.assert_array_equal(out.numpy(), ref.numpy())


X4 = numpy.ones((4, 3))
X4D = numpy.ones((3, 4, 5, 6))
ERROR_CASES = [
    # (tinygrad test, ours, the exception). PyTorch raises RuntimeError for most of these;
    # we raise NumPy's kind: mg.ShapeError (a ValueError) for shapes, IndexError for indices.
    ("test_slice_on_0dim_tensor", lambda: mg.tensor(3.14)[0], IndexError),
    ("test_slice_errors-too_many", lambda: mg.tensor(X4)[1, 77, 77, 77], IndexError),
    ("test_slice_errors-out_of_bounds", lambda: mg.tensor(X4)[1, 3], IndexError),
    ("test_slice_errors-out_of_bounds_neg", lambda: mg.tensor(X4)[1, -4], IndexError),
    ("test_slice_errors-two_ellipses", lambda: mg.tensor(X4)[..., ...], IndexError),
    ("test_slice_errors-zero_step", lambda: mg.tensor(X4)[::0, 1], ValueError),
    ("test_slice_errors-tensor_in_slice", lambda: mg.tensor(X4)[:mg.tensor([3]), 1], TypeError),
    ("test_slice_errors-0d", lambda: mg.tensor(2.0)[:], IndexError),
    ("test_slice_fancy_indexing_errors-float_tensor",
     lambda: mg.tensor(numpy.ones((10, 11, 12)))[mg.tensor(1.1)], IndexError),
    ("test_slice_fancy_indexing_errors-float_list",
     lambda: mg.tensor(numpy.ones((10, 11, 12)))[[1.1]], IndexError),
    # a boolean mask must match the axis it masks (NumPy); tinygrad refuses masks altogether
    ("test_slice_fancy_indexing_errors-short_mask",
     lambda: mg.tensor(numpy.ones((10, 11, 12)))[mg.tensor([True, False])], IndexError),
    ("test_slice_fancy_indexing_errors-no_broadcast",
     lambda: mg.tensor(numpy.ones((10, 11, 12)))[numpy.zeros((3, 1, 1, 1), int),
                                                 numpy.zeros((1, 4, 1, 1), int),
                                                 numpy.zeros((2, 4, 4, 1), int)], IndexError),
    ("test_slice_fancy_indexing_errors-no_broadcast_2",
     lambda: mg.tensor(numpy.ones((10, 11, 12)))[numpy.zeros((3, 1, 1, 1), int),
                                                 numpy.zeros((1, 4, 1, 1, 1), int)], IndexError),
    ("test_dot_1d-4@1x2", lambda: mg.tensor(numpy.ones(4)) @ mg.tensor(numpy.ones((1, 2))),
     mg.ShapeError),
    ("test_dot_1d-2x1@4", lambda: mg.tensor(numpy.ones((2, 1))) @ mg.tensor(numpy.ones(4)),
     mg.ShapeError),
    ("test_dot_1d-1@4", lambda: mg.tensor(numpy.ones(1)) @ mg.tensor(numpy.ones(4)),
     mg.ShapeError),
    ("test_dot-2x4@1x3", lambda: mg.tensor(numpy.ones((2, 4))) @ mg.tensor(numpy.ones((1, 3))),
     mg.ShapeError),
    ("test_dot-2x1@4x3", lambda: mg.tensor(numpy.ones((2, 1))) @ mg.tensor(numpy.ones((4, 3))),
     mg.ShapeError),
    ("test_dot-0d", lambda: mg.tensor(3.14).matmul(mg.tensor(3.14)), mg.ShapeError),
    ("test_broadcastdot-0d", lambda: mg.tensor(3.14) @ mg.tensor(numpy.ones((3, 3))),
     mg.ShapeError),
    ("test_permute-too_few", lambda: mg.tensor(X4D).transpose(0, 2), mg.ShapeError),
    ("test_permute-too_many", lambda: mg.tensor(X4D).transpose(0, 1, 2, 3, 3, 3),
     mg.ShapeError),
    ("test_permute-repeated", lambda: mg.tensor(X4D).transpose(0, 0, 1, 2, 3), mg.ShapeError),
    ("test_reshape-two_unknowns", lambda: mg.tensor(X4).reshape(-1, -1, 2), mg.ShapeError),
    ("test_reshape-three_unknowns", lambda: mg.tensor(X4).reshape(-1, -1, -1, 2), mg.ShapeError),
    ("test_reshape-to_0d", lambda: mg.tensor(numpy.ones((4, 3, 6, 6))).reshape([]),
     mg.ShapeError),
    # tinygrad and PyTorch: IndexError; NumPy's AxisError is both, ours a ShapeError
    ("test_sum-axis_5", lambda: mg.tensor(X4D).sum(5), mg.ShapeError),
    ("test_sum-0d_axis_1", lambda: mg.tensor(2.0).sum(1), mg.ShapeError),
    ("test_sum-0d_axes_1", lambda: mg.tensor(2.0).sum((1,)), mg.ShapeError),
    # NumPy: "Integers to negative integer powers are not allowed"
    ("test_int_pow_const_int", lambda: mg.tensor([-2, 0, 2]) ** -2, ValueError),
]


@pytest.mark.parametrize("name, fn, expected", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors(name, fn, expected):
    """tinygrad's helper_test_exception cases and assertRaises blocks."""
    with pytest.raises(expected):
        fn()
