"""Misuse gets a clear error or the right answer, never a silently wrong one.

Each section tests a family of mistakes as a table, so that a sibling of a case found wrong
once is checked too: every function taking an axis, every function that can return shared
memory, every Tensor attribute, every op's gradient at NaN and ±Inf, every comparison.
Tests named `cuda` also run under the fake CuPy (tests/test_fake_cupy.py selects by name).
"""
import copy
import inspect
import math
import operator
import pickle
import re
import warnings

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, backend, np, npx

needs_cuda = pytest.mark.skipif(not mg.cuda_is_available(),
                                reason="needs CuPy and a GPU, or MICROGRADND_FAKE_CUPY=1")


UPDATES = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv}
COMPARISONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
               "==": operator.eq, "!=": operator.ne}


def _variable(values, dtype="float64"):
    x = mg.tensor(numpy.array(values, dtype=dtype))
    x.attach_grad()
    return x


# ---- an axis out of range raises, in every function that takes one ----

def _x(ndim=2):
    return mg.tensor(numpy.arange(6.0).reshape((2, 3) if ndim == 2 else (6,)))


def _index(x, axis):
    """An index for npx.pick along axis: one per element of the other axis."""
    return mg.tensor([0] * (x.shape[1] if axis in (0, -2) else x.shape[0]))


AXIS_FUNCTIONS = [      # name (the function, then what varies), f(x, axis) for a 2-d x
    ("Tensor.sum", lambda x, a: x.sum(axis=a)),
    ("Tensor.sum tuple", lambda x, a: x.sum(axis=(0, a))),
    ("np.sum", lambda x, a: np.sum(x, axis=a)),
    ("numpy.sum", lambda x, a: numpy.sum(x, axis=a)),
    ("Tensor.mean", lambda x, a: x.mean(axis=a)),
    ("np.mean", lambda x, a: np.mean(x, axis=a)),
    ("Tensor.max", lambda x, a: x.max(axis=a)),
    ("np.max", lambda x, a: np.max(x, axis=a)),
    ("Tensor.min", lambda x, a: x.min(axis=a)),
    ("np.min", lambda x, a: np.min(x, axis=a)),
    ("Tensor.var", lambda x, a: x.var(axis=a)),
    ("np.var", lambda x, a: np.var(x, axis=a)),
    ("Tensor.std", lambda x, a: x.std(axis=a)),
    ("np.std", lambda x, a: np.std(x, axis=a)),
    ("Tensor.argmax", lambda x, a: x.argmax(axis=a)),
    ("Tensor.argmax keepdims", lambda x, a: x.argmax(axis=a, keepdims=True)),
    ("np.argmax", lambda x, a: np.argmax(x, axis=a)),
    ("Tensor.argmin", lambda x, a: x.argmin(axis=a)),
    ("np.argmin", lambda x, a: np.argmin(x, axis=a)),
    ("Tensor.cumsum", lambda x, a: x.cumsum(axis=a)),
    ("np.cumsum", lambda x, a: np.cumsum(x, axis=a)),
    ("npx.softmax", lambda x, a: npx.softmax(x, axis=a)),
    ("npx.log_softmax", lambda x, a: npx.log_softmax(x, axis=a)),
    ("npx.pick", lambda x, a: npx.pick(x, _index(x, a), axis=a)),
    ("npx.pick keepdims", lambda x, a: npx.pick(x, _index(x, a), axis=a, keepdims=True)),
    ("npx.sequence_mask", lambda x, a: npx.sequence_mask(x, _index(x, a) + 1,
                                                         use_sequence_length=True, axis=a)),
    ("np.concatenate", lambda x, a: np.concatenate([x, x], axis=a)),
    ("np.stack", lambda x, a: np.stack([x, x], axis=a + 1 if a >= 0 else a - 1)),
    ("np.split", lambda x, a: np.split(x, 1, axis=a)),
    ("np.split at", lambda x, a: np.split(x, [1], axis=a)),
    ("np.expand_dims", lambda x, a: np.expand_dims(x, a + 1 if a >= 0 else a - 1)),
    ("Tensor.expand_dims", lambda x, a: x.expand_dims(a + 1 if a >= 0 else a - 1)),
    ("np.squeeze", lambda x, a: np.squeeze(x, a)),
    ("Tensor.squeeze", lambda x, a: x.squeeze(a)),
    ("Tensor.transpose", lambda x, a: x.transpose(0, a)),
    ("np.transpose", lambda x, a: np.transpose(x, (a, 0))),
    ("np.linalg.norm", lambda x, a: np.linalg.norm(x, axis=a)),
    ("np.linalg.norm p=3", lambda x, a: np.linalg.norm(x, 3, axis=a)),
    ("np.linalg.norm matrix", lambda x, a: np.linalg.norm(x, 1, axis=(0, a))),
    ("np.linalg.norm matrix inf", lambda x, a: np.linalg.norm(x, numpy.inf, axis=(a, 0))),
    ("Tensor.prod", lambda x, a: x.prod(axis=a)),
    ("np.prod", lambda x, a: np.prod(x, axis=a)),
    ("Tensor.repeat", lambda x, a: x.repeat(2, axis=a)),
    ("np.repeat", lambda x, a: np.repeat(x, 2, axis=a)),
    ("np.sort", lambda x, a: np.sort(x, axis=a)),
]


def _takes_an_axis():
    """Every public function and Tensor method with an `axis` (or `axes`) parameter."""
    found = []
    for prefix, space in (("np", np), ("npx", npx), ("np.linalg", np.linalg),
                          ("Tensor", mg.Tensor)):
        for name in dir(space):
            f = getattr(space, name)
            if name.startswith("_") or not callable(f) or isinstance(f, type):
                continue
            try:
                parameters = inspect.signature(f).parameters
            except (TypeError, ValueError):
                continue
            if any(p in ("axis", "axes") for p in parameters):
                found.append(f"{prefix}.{name}")
    return found


def test_the_axis_table_has_every_function_that_takes_an_axis():
    covered = {name.split(" ")[0] for name, _ in AXIS_FUNCTIONS}
    missing = [name for name in _takes_an_axis() if name not in covered]
    assert not missing, f"add rows to AXIS_FUNCTIONS for {missing}"


@pytest.mark.parametrize("bad", [2, 5, -3])
@pytest.mark.parametrize("name, f", AXIS_FUNCTIONS, ids=[r[0] for r in AXIS_FUNCTIONS])
def test_an_axis_out_of_range_raises(name, f, bad):
    names_axis_and_ndim = r"axis -?\d+ .*out of bounds for .*(\d+ dim|dimension \d+)"
    with pytest.raises(mg.ShapeError, match=names_axis_and_ndim):
        f(_x(), bad)


REPEATS = {"Tensor.sum tuple", "Tensor.transpose", "np.transpose", "np.linalg.norm matrix",
           "np.linalg.norm matrix inf"}


@pytest.mark.parametrize("name, f", AXIS_FUNCTIONS, ids=[r[0] for r in AXIS_FUNCTIONS])
def test_every_axis_in_range_works(name, f):
    for a in (0, 1, -1, -2):
        if name.endswith("squeeze"):
            f(mg.tensor(numpy.ones((1, 1))), a)
        elif name in REPEATS and a in (0, -2):
            continue        # a repeated axis
        else:
            f(_x(), a)


@pytest.mark.parametrize("name, f", AXIS_FUNCTIONS, ids=[r[0] for r in AXIS_FUNCTIONS])
def test_an_axis_error_is_also_an_index_error_as_numpys(name, f):
    with pytest.raises(IndexError):
        f(_x(), 5)


# ---- the version counter follows every alias ----

SHARING = [     # name, f(x) for a 2-d float64 variable x: results that may share x's memory
    ("detach", lambda x: x.detach()),
    ("mg.tensor", lambda x: mg.tensor(x)),
    ("mg.tensor own dtype", lambda x: mg.tensor(x, dtype="float64")),
    ("mg.tensor own device", lambda x: mg.tensor(x, device="cpu")),
    ("np.array copy=False", lambda x: np.array(x, copy=False)),
    ("np.array own dtype copy=False", lambda x: np.array(x, dtype="float64", copy=False)),
    ("np.asarray", lambda x: np.asarray(x)),
    ("np.asarray own dtype", lambda x: np.asarray(x, dtype="float64")),
    ("np.asarray own device", lambda x: np.asarray(x, device="cpu")),
    ("as_tensor", lambda x: mg.core.as_tensor(x)),
    ("astype own dtype", lambda x: x.astype("float64")),
    ("to own device", lambda x: x.to("cpu")),
    ("as_in_context", lambda x: x.as_in_context(npx.cpu())),
    ("reshape", lambda x: x.reshape(3, 2)),
    ("reshape same shape", lambda x: x.reshape(2, 3)),
    ("np.reshape", lambda x: np.reshape(x, (6,))),
    ("T", lambda x: x.T),
    ("transpose", lambda x: x.transpose(1, 0)),
    ("np.transpose", lambda x: np.transpose(x)),
    ("slice", lambda x: x[0:1]),
    ("row", lambda x: x[1]),
    ("ellipsis", lambda x: x[...]),
    ("slice of slice", lambda x: x[:, 1:][0]),
    ("T of slice", lambda x: x[0:1].T),
    ("None index", lambda x: x[None]),
    ("expand_dims", lambda x: x.expand_dims(0)),
    ("np.expand_dims", lambda x: np.expand_dims(x, 2)),
    ("squeeze", lambda x: x[None].squeeze(0)),
    ("np.split", lambda x: np.split(x, 2, axis=0)[1]),
    ("numpy.reshape", lambda x: numpy.reshape(x, (3, 2))),
    ("numpy.transpose", lambda x: numpy.transpose(x)),
    ("numpy.expand_dims", lambda x: numpy.expand_dims(x, 0)),
    ("numpy.squeeze", lambda x: numpy.squeeze(x[None])),
    ("numpy.split", lambda x: numpy.split(x, 3, axis=1)[2]),
    ("numpy.positive", lambda x: numpy.positive(x)),
    ("+x", lambda x: +x),
    ("copy.copy", lambda x: copy.copy(x)),
    ("flatten (a copy)", lambda x: x.flatten()),
    ("np.array (a copy)", lambda x: np.array(x)),
    ("astype other dtype (a copy)", lambda x: x.astype("float32")),
]


@pytest.mark.parametrize("name, f", SHARING, ids=[r[0] for r in SHARING])
def test_tensors_sharing_memory_share_the_version(name, f):
    x = _variable(numpy.arange(6.0).reshape(2, 3))
    y = f(x)
    if not numpy.shares_memory(x.data, y.data):
        y += 1      # a copy: a change to it is no change of x
        assert x._version == 0 and x.numpy().tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
        return
    before = x._version
    y += 1
    assert x._version > before, f"{name}: a write through it is not seen by x's version"
    before = y._version
    x += 1
    assert y._version > before, f"{name}: a write to x is not seen by its version"


ALIASES = [r for r in SHARING if not r[0].endswith("(a copy)")]


@pytest.mark.parametrize("name, f", ALIASES, ids=[r[0] for r in ALIASES])
def test_a_write_through_an_alias_makes_backward_refuse(name, f):
    x = _variable(numpy.arange(6.0).reshape(2, 3))
    with autograd.record():
        loss = (x * x).sum()
    y = f(x)
    y[...] = 0.0
    with pytest.raises(mg.GraphError, match="modified in place"):
        loss.backward()


# ---- in-place updates of a variable inside record() ----

def test_setting_part_of_a_variable_to_a_value_that_needs_a_gradient_is_refused():
    x = _variable([1.0, 2.0])
    w = _variable([3.0])
    with autograd.record():
        with pytest.raises(mg.GraphError, match="outside record"):
            x[0:1] = w * 2
    assert x.numpy().tolist() == [1.0, 2.0]     # left unchanged


def test_setting_part_of_a_recorded_copy_differentiates_through_the_value():
    x = _variable([1.0, 2.0])
    w = _variable([3.0])
    with autograd.record():
        y = x * 1.0
        y[0:1] = w * 2
        loss = (y * y).sum()
    loss.backward()
    assert w.grad.numpy().tolist() == [24.0]
    assert x.grad.numpy().tolist() == [0.0, 4.0]


@pytest.mark.parametrize("update", ["+=", "-=", "*=", "/="])
def test_an_in_place_update_of_a_variable_inside_record_changes_it_in_place(update):
    x = _variable([1.0, 2.0])
    before = x
    with autograd.record():
        x = UPDATES[update](x, 2.0)
    assert x is before and x.is_leaf and x.requires_grad
    want = {"+=": [3.0, 4.0], "-=": [-1.0, 0.0], "*=": [2.0, 4.0], "/=": [0.5, 1.0]}[update]
    assert x.numpy().tolist() == want


def test_a_training_step_written_inside_record_trains():
    w = _variable([1.0])
    for _ in range(3):
        with autograd.record():
            loss = (w * w).sum()
            loss.backward()
            w -= 0.25 * w.grad
    assert w.numpy().tolist() == [0.125]


@pytest.mark.parametrize("update", ["+=", "-=", "*=", "/="])
def test_an_in_place_update_of_a_variable_by_a_recorded_value_is_refused(update):
    x = _variable([1.0, 2.0])
    w = _variable([3.0, 4.0])
    with autograd.record():
        with pytest.raises(mg.GraphError, match="outside record"):
            UPDATES[update](x, w * 2)
    assert x.numpy().tolist() == [1.0, 2.0]


def test_an_update_of_a_variable_after_recording_it_is_caught_by_backward():
    x = _variable([1.0, 2.0])
    with autograd.record():
        loss = (x * x).sum()
        x += 1
    with pytest.raises(mg.GraphError, match="modified in place"):
        loss.backward()


# ---- the chain of recorded replacements: followed a bounded number of steps ----

def test_many_recorded_updates_of_one_tensor_differentiate():
    x = _variable(numpy.ones(4))
    with autograd.record():
        t = x * 1.0
        seen = [t * 1.0]
        for i in range(4):
            t[i] = t[i] * (i + 2.0)
            seen.append(t * 1.0)
        loss = sum(s.sum() for s in seen)
    loss.backward(retain_graph=True)
    # each seen copy holds x scaled by the updates made before it
    want = [1 + 2 + 2 + 2 + 2, 1 + 1 + 3 + 3 + 3, 1 + 1 + 1 + 4 + 4, 1 + 1 + 1 + 1 + 5]
    assert x.grad.numpy().tolist() == want


def test_a_redirection_that_does_not_go_back_in_time_is_refused(monkeypatch):
    """A broken replacement chain (here forced) raises instead of walking forever."""
    from microgradnd.ops.indexing import SetItem
    x = _variable([1.0, 2.0])
    with autograd.record():
        t = x * 1.0
        y = t * 2.0
        t[0] = 5.0
        loss = y.sum() + t.sum()
    monkeypatch.setattr(SetItem, "replaced", staticmethod(lambda node: t))
    with pytest.raises(mg.GraphError, match="cycle"):
        loss.backward(retain_graph=True)


# ---- clip at NaN, and every op's gradient at NaN and ±Inf against PyTorch ----

def test_clip_of_nan_has_gradient_zero():
    x = _variable([numpy.nan, 0.5, 2.0])
    with autograd.record():
        y = x.clip(0.0, 1.0)
    y.backward()
    assert x.grad.numpy().tolist() == [0.0, 1.0, 0.0]


SPECIAL = numpy.array([numpy.nan, numpy.inf, -numpy.inf, 1.0, 0.0, -2.0])
OTHER = numpy.array([2.0, numpy.nan, 3.0, numpy.inf, 0.0, -numpy.inf])

NAN_UNARY = [   # name, microgradnd f(x), PyTorch f(x)
    ("neg", lambda x: -x, lambda x: -x),
    ("exp", lambda x: x.exp(), lambda x: x.exp()),
    ("log", lambda x: x.log(), lambda x: x.log()),
    ("log1p", lambda x: x.log1p(), lambda x: x.log1p()),
    ("sqrt", lambda x: x.sqrt(), lambda x: x.sqrt()),
    ("square", lambda x: x.square(), lambda x: x.square()),
    ("tanh", lambda x: x.tanh(), lambda x: x.tanh()),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    ("sin", lambda x: x.sin(), lambda x: x.sin()),
    ("cos", lambda x: x.cos(), lambda x: x.cos()),
    ("sinh", lambda x: x.sinh(), lambda x: x.sinh()),
    ("cosh", lambda x: x.cosh(), lambda x: x.cosh()),
    ("clip", lambda x: x.clip(-1.0, 1.0), lambda x: x.clamp(-1.0, 1.0)),
    ("clip a_min", lambda x: x.clip(0.0, None), lambda x: x.clamp(min=0.0)),
    ("clip a_max", lambda x: x.clip(None, 0.0), lambda x: x.clamp(max=0.0)),
    ("x ** 3", lambda x: x ** 3.0, lambda x: x ** 3.0),
    ("x ** 2", lambda x: x ** 2, lambda x: x ** 2),
    ("2 ** x", lambda x: 2.0 ** x, lambda x: 2.0 ** x),
    ("x / 0.0", lambda x: x / 0.0, lambda x: x / 0.0),
    ("1 / x", lambda x: 1.0 / x, lambda x: 1.0 / x),
    ("x * 0.0", lambda x: x * 0.0, lambda x: x * 0.0),
    ("sum", lambda x: x.sum(), lambda x: x.sum()),
    ("mean", lambda x: x.mean(), lambda x: x.mean()),
    ("max", lambda x: x.max(), lambda x: x.amax()),
    ("min", lambda x: x.min(), lambda x: x.amin()),
    ("var", lambda x: x.var(), lambda x: x.var(correction=0)),
    ("std", lambda x: x.std(), lambda x: x.std(correction=0)),
    ("cumsum", lambda x: x.cumsum(), lambda x: x.cumsum(0)),
    ("norm", lambda x: np.linalg.norm(x), lambda x: x.norm()),
    ("softmax", lambda x: npx.softmax(x), lambda x: x.softmax(-1)),
    ("log_softmax", lambda x: npx.log_softmax(x), lambda x: x.log_softmax(-1)),
    ("getitem", lambda x: x[[0, 0, 2]], lambda x: x[[0, 0, 2]]),
    ("reshape", lambda x: x.reshape(2, 3).T, lambda x: x.reshape(2, 3).T),
    ("concatenate", lambda x: np.concatenate([x, x]), lambda x: x.repeat(2)),
    ("dot", lambda x: np.dot(x, x), lambda x: x @ x),
    ("copy", lambda x: x.copy(), lambda x: x.clone()),
    ("floor", lambda x: np.floor(x), lambda x: x.floor()),
    ("log2", lambda x: np.log2(x), lambda x: x.log2()),
    ("arccos", lambda x: np.arccos(x), lambda x: x.arccos()),
    ("prod", lambda x: x.prod(), lambda x: x.prod()),
    ("sort", lambda x: np.sort(x), lambda x: x.sort().values),
    ("repeat", lambda x: x.repeat(2), lambda x: x.repeat_interleave(2)),
]
# Where microgradnd's gradient differs from PyTorch's on purpose (tests/test_torch_ops.py's
# docstring): name -> the gradient microgradnd gives, which this table pins.
NAN_DIFFERS = {
    # abs and relu follow NumPy: abs' slope is sign(nan) = nan, relu's slope at nan is 0
    # (PyTorch: 0 and 1); norm(x, 1) and norm(x, inf) are sums and maxima of abs(x).
    "abs": [numpy.nan, 1.0, -1.0, 1.0, 0.0, -1.0],
    "relu": [0.0, 1.0, 0.0, 1.0, 0.0, 0.0],
    "norm 1": [numpy.nan, 1.0, -1.0, 1.0, 0.0, -1.0],
    "norm inf": [numpy.nan] * 6,
    # sign(nan) is nan as NumPy's (PyTorch: 0); its gradient is 0 in both
    "sign": [0.0] * 6,
    # x ** 0.5 at -inf: 0.5 · (-inf) ** -0.5 = 0 (NumPy's power); PyTorch gives nan
    "x ** 0.5": [numpy.nan, 0.0, 0.0, 0.5, numpy.inf, numpy.nan],
}
NAN_UNARY += [
    ("sign", lambda x: x.sign(), lambda x: x.sign()),
    ("abs", lambda x: x.abs(), lambda x: x.abs()),
    ("relu", lambda x: x.relu(), lambda x: x.relu()),
    ("norm 1", lambda x: np.linalg.norm(x, 1), lambda x: x.norm(1)),
    ("norm inf", lambda x: np.linalg.norm(x, numpy.inf), lambda x: x.norm(numpy.inf)),
    ("x ** 0.5", lambda x: x ** 0.5, lambda x: x ** 0.5),
]
NAN_BINARY = [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
    ("maximum", lambda a, b: (np.maximum if isinstance(a, mg.Tensor) else _torch().maximum)(a, b)),
    ("minimum", lambda a, b: (np.minimum if isinstance(a, mg.Tensor) else _torch().minimum)(a, b)),
    ("matmul", lambda a, b: a @ b),
    ("logaddexp", lambda a, b: (np.logaddexp if isinstance(a, mg.Tensor) else
                                _torch().logaddexp)(a, b)),
]


def _torch():
    return pytest.importorskip("torch", reason="PyTorch is not installed: NaN/Inf rows skipped")


def _ours_and_torch(f, g, *values):
    torch = _torch()
    xs = [_variable(v) for v in values]
    with numpy.errstate(all="ignore"), autograd.record():
        y = f(*xs)
    seed = numpy.linspace(0.5, 1.5, y.size).reshape(y.shape)
    with numpy.errstate(all="ignore"):     # sin(inf) warns, as NumPy does
        y.backward(mg.tensor(seed))
    ts = [torch.tensor(v, requires_grad=True) for v in values]
    ty = g(*ts)
    ty.backward(torch.tensor(seed))
    ours = [x.grad.numpy() if x.grad is not None else numpy.zeros(x.shape) for x in xs]
    return y.numpy(), ty.detach().numpy(), ours, [t.grad.numpy() for t in ts], seed


@pytest.mark.parametrize("name, f, g", NAN_UNARY, ids=[r[0] for r in NAN_UNARY])
def test_gradients_at_nan_and_inf_are_pytorchs(name, f, g):
    y, ty, (ours,), (theirs,), seed = _ours_and_torch(f, g, SPECIAL)
    if name == "sign":
        numpy.testing.assert_array_equal(y, numpy.sign(SPECIAL))    # NumPy's, not PyTorch's
    else:
        numpy.testing.assert_allclose(y, ty, equal_nan=True, err_msg=f"{name}: values")
    if name in NAN_DIFFERS:
        want = numpy.array(NAN_DIFFERS[name]) * seed
        numpy.testing.assert_allclose(ours, want, equal_nan=True, err_msg=name)
        assert name == "sign" or not numpy.allclose(ours, theirs, equal_nan=True), \
            f"{name} now agrees with PyTorch: move it out of NAN_DIFFERS"
    else:
        numpy.testing.assert_allclose(ours, theirs, equal_nan=True, err_msg=f"{name}: grad")


@pytest.mark.parametrize("name, f", NAN_BINARY, ids=[r[0] for r in NAN_BINARY])
@pytest.mark.parametrize("order", ["special, other", "other, special"])
def test_binary_gradients_at_nan_and_inf_are_pytorchs(name, f, order):
    values = (SPECIAL, OTHER) if order == "special, other" else (OTHER, SPECIAL)
    y, ty, ours, theirs, _ = _ours_and_torch(f, f, *values)
    numpy.testing.assert_allclose(y, ty, equal_nan=True, err_msg=f"{name}: values")
    for i, (a, b) in enumerate(zip(ours, theirs)):
        numpy.testing.assert_allclose(a, b, equal_nan=True, err_msg=f"{name}: input {i}")


def test_every_op_with_a_pytorch_twin_has_a_nan_row():
    from microgradnd.ops import registry
    rows = {r[0] for r in NAN_UNARY} | {r[0] for r in NAN_BINARY}
    missing = [d.op.name for d in registry.declared()
               if d.op.torch_twin and d.op.name not in rows]
    assert not missing, f"add a row to NAN_UNARY or NAN_BINARY for {missing}"


def test_division_by_a_python_zero_warns_of_nothing_in_backward():
    x = _variable([1.0, 0.0, -1.0])
    with numpy.errstate(all="ignore"), autograd.record():
        y = x / 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y.backward()
    assert x.grad.numpy().tolist() == [math.inf] * 3


@pytest.mark.parametrize("ddof", [2, 3, 5])
@pytest.mark.parametrize("values", [[1.0, 2.0], [1.0, 1.0]])
def test_var_and_std_with_ddof_past_the_count_are_never_negative(ddof, values):
    torch = _torch()
    for name, correction in (("var", "var"), ("std", "std")):
        x = _variable(values)
        with numpy.errstate(all="ignore"), autograd.record():
            y = getattr(x, name)(ddof=ddof)
        with numpy.errstate(all="ignore"):
            y.backward()
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ty = getattr(t, correction)(correction=ddof)
        ty.backward()
        assert not (y.item() < 0)
        numpy.testing.assert_allclose(y.item(), ty.item(), equal_nan=True)
        # no finite gradient either (PyTorch: inf; here the inf of 1/0 meets -inf: nan)
        assert not numpy.isfinite(x.grad.numpy()).any() and not t.grad.isfinite().any()


# ---- a head gradient on another device ----

@needs_cuda
@pytest.mark.parametrize("preallocated", [False, True])
@pytest.mark.parametrize("call", ["backward", "autograd.backward", "autograd.grad"])
def test_cuda_head_grad_on_another_device_raises(call, preallocated):
    for x_device, g_device in (("cpu", "cuda:0"), ("cuda:0", "cpu")):
        x = mg.tensor([1.0, 2.0], device=x_device)
        x.attach_grad()     # .grad allocated on x's device
        if not preallocated:
            x.grad = None
        with autograd.record():
            y = x * 2.0
        hg = mg.tensor([1.0, 1.0], device=g_device)
        for head_grad in (hg, hg.data):
            with pytest.raises(mg.DeviceError, match="head_grad"):
                if call == "backward":
                    y.backward(head_grad)
                elif call == "autograd.backward":
                    autograd.backward([y], [head_grad])
                else:
                    autograd.grad([y], [x], head_grads=[head_grad])
            assert x.grad is None or x.grad.device == x_device


# ---- assigning Tensor attributes ----

def test_grad_takes_a_tensor_of_the_variables_shape_dtype_and_device():
    x = _variable([1.0, 2.0])
    g = mg.tensor(numpy.array([3.0, 4.0]))
    x.grad = g
    assert x.grad is g
    x.grad = None
    assert x.grad is None


@pytest.mark.parametrize("value, error", [
    (5.0, TypeError), (numpy.ones(2), TypeError), ([1.0, 2.0], TypeError), ("g", TypeError),
    (mg.tensor(numpy.ones(3)), mg.ShapeError), (mg.tensor(numpy.ones((2, 1))), mg.ShapeError),
    (mg.tensor(numpy.ones(2, numpy.float32)), TypeError),
    (mg.tensor(numpy.ones(2, numpy.int64)), TypeError),
], ids=["float", "ndarray", "list", "str", "longer", "2-d", "float32", "int64"])
def test_grad_refuses_a_wrong_value_at_assignment(value, error):
    x = _variable([1.0, 2.0])
    with pytest.raises(error, match="grad"):
        x.grad = value
    assert x.grad is not None and x.grad.shape == (2,)      # unchanged


@needs_cuda
def test_cuda_grad_refuses_a_tensor_on_another_device():
    for x_device, g_device in (("cpu", "cuda:0"), ("cuda:0", "cpu")):
        x = mg.tensor([1.0, 2.0], device=x_device)
        x.attach_grad()
        with pytest.raises(mg.DeviceError, match="grad"):
            x.grad = mg.tensor([1.0, 2.0], device=g_device)
        assert x.grad.device == x_device


PROPERTIES = {name: value for name, value in vars(mg.Tensor).items()
              if isinstance(value, property)}
CHECKED_SETTERS = {"grad", "requires_grad"}     # each has its own tests above and below


def test_every_assignable_property_has_its_checks_tested():
    assert {name for name, p in PROPERTIES.items() if p.fset} == CHECKED_SETTERS


@pytest.mark.parametrize("attribute", sorted(n for n, p in PROPERTIES.items() if not p.fset))
def test_derived_attributes_cannot_be_assigned(attribute):
    x = _variable([1.0, 2.0])
    with pytest.raises(AttributeError):
        setattr(x, attribute, getattr(x, attribute))


def test_unknown_attributes_cannot_be_assigned():
    x = _variable([1.0, 2.0])
    with pytest.raises(AttributeError):
        x.gard = mg.tensor([0.0, 0.0])      # a typo does not create an attribute


@pytest.mark.parametrize("value", ["yes", 1.5, None, numpy.ones(2)])
def test_requires_grad_takes_a_bool(value):
    x = _variable([1.0, 2.0])
    with pytest.raises(TypeError, match="requires_grad"):
        x.requires_grad = value


def test_requires_grad_takes_bools():
    x = mg.tensor([1.0, 2.0])
    x.requires_grad = True
    assert x.requires_grad and x.grad is None
    x.requires_grad = numpy.bool_(False)
    assert not x.requires_grad


# ---- what a tensor can be made of ----

@pytest.mark.parametrize("array", [
    numpy.array(["a", "b"]), numpy.array([b"a"]), numpy.array([1, "a"], dtype=object),
    numpy.array([None]), numpy.array(["2020-01-01"], dtype="datetime64[D]"),
    numpy.array([1], dtype="timedelta64[s]"), numpy.zeros(2, dtype=[("a", "f4")]),
], ids=["str", "bytes", "object", "None", "datetime", "timedelta", "structured"])
@pytest.mark.parametrize("make", ["mg.tensor", "np.array", "dtype="])
def test_a_tensor_of_non_numbers_is_refused(array, make):
    with pytest.raises(TypeError, match=re.escape(str(array.dtype)) if make != "dtype=" else
                       "dtype"):
        if make == "mg.tensor":
            mg.tensor(array)
        elif make == "np.array":
            np.array(array)
        else:
            mg.tensor([1.0], dtype=array.dtype)


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint8", "int32", "int64", "float16",
                                   "float32", "float64", "complex64"])
def test_a_tensor_of_numbers_or_bools_is_made(dtype):
    assert mg.tensor(numpy.zeros(2, dtype)).dtype == dtype


# ---- one_hot ----

@pytest.mark.parametrize("depth", [-1, -5, 0, 2.5, "3"])
def test_one_hot_refuses_a_depth_that_is_no_count(depth):
    with pytest.raises((ValueError, TypeError), match="depth"):
        npx.one_hot(mg.tensor([0, 1]), depth)


def test_one_hot_of_float_labels_truncates_them_as_mxnet():
    out = npx.one_hot(mg.tensor([1.7, 0.2, 2.0, 3.0]), 3)
    assert out.dtype == numpy.float32
    assert out.numpy().tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 1], [0, 0, 0]]


# ---- pickling and copying ----

def test_an_unpickled_tensor_can_be_updated_in_place():
    t = pickle.loads(pickle.dumps(mg.tensor([1.0, 2.0])))
    t += 1
    t[0] = 5.0
    assert t.numpy().tolist() == [5.0, 3.0] and t._version == 2


@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_an_unpickled_variable_trains(grad_req):
    w = mg.tensor([1.0, 2.0])
    w.attach_grad(grad_req)
    w2 = pickle.loads(pickle.dumps(w))
    assert w2.requires_grad and w2.is_leaf and w2.numpy().tolist() == [1.0, 2.0]
    with autograd.record():
        loss = (w2 * w2).sum()
    loss.backward()
    w2 -= 0.5 * w2.grad
    assert w2.numpy().tolist() == [0.0, 0.0]


def test_pickling_a_recorded_result_pickles_its_data_only():
    w = mg.tensor(numpy.ones((1000, 100)), requires_grad=True)
    with autograd.record():
        y = w * 1.0
        for _ in range(300):    # a chain longer than pickle's recursion allows through a graph
            y = y * 1.0
        loss = (y * 2.0).sum()
    data = pickle.dumps(loss)
    assert len(data) < 1000
    back = pickle.loads(data)
    assert back.is_leaf and back.item() == 200_000.0
    assert back.requires_grad       # as PyTorch: a leaf that requires a gradient


def test_deepcopy_of_a_leaf_copies_data_grad_and_grad_req():
    w = _variable([1.0, 2.0])
    w.grad = mg.tensor(numpy.array([3.0, 4.0]))
    c = copy.deepcopy(w)
    assert not numpy.shares_memory(c.data, w.data)
    assert c.grad.numpy().tolist() == [3.0, 4.0] and c.grad is not w.grad
    assert c._req == "write" and c._version == 0
    c += 1
    assert w.numpy().tolist() == [1.0, 2.0] and w._version == 0


def test_deepcopy_of_a_recorded_result_is_refused():
    w = _variable([1.0, 2.0])
    with autograd.record():
        y = w * 2.0
    with pytest.raises(mg.GraphError, match="detach"):
        copy.deepcopy(y)
    assert copy.deepcopy(y.detach()).numpy().tolist() == [2.0, 4.0]


# ---- gradcheck ----

@pytest.mark.parametrize("eps", [0.0, -1e-6, math.nan])
@pytest.mark.parametrize("check", ["gradcheck", "gradgradcheck"])
def test_gradcheck_refuses_a_step_that_is_not_positive(check, eps):
    with pytest.raises(ValueError, match="eps"):
        getattr(mg, check)(lambda x: x * x, [mg.tensor([1.0])], eps=eps)


def test_gradcheck_restores_each_perturbed_element():
    seen = []

    def f(x):
        seen.append(x.numpy().copy())
        return (x * x).sum()

    x = numpy.array([1.0, 2.0, 3.0])
    assert mg.gradcheck(f, [x])
    for values in seen:     # at most one element away from x at any time
        assert (values != x).sum() <= 1
    assert (seen[-1] == x).sum() >= 2


# ---- comparisons refuse shapes that do not broadcast, as every binary op ----

@pytest.mark.parametrize("op", ["<", "<=", ">", ">=", "==", "!="])
@pytest.mark.parametrize("right", ["tensor", "ndarray", "list"])
def test_comparisons_of_shapes_that_do_not_broadcast_raise_shape_error(op, right):
    a = np.ones(2)
    b = {"tensor": np.ones(3), "ndarray": numpy.ones(3), "list": [1.0, 1.0, 1.0]}[right]
    with pytest.raises(mg.ShapeError, match=r"\(2,\).*\(3,\)"):
        COMPARISONS[op](a, b)
    with pytest.raises(mg.ShapeError, match=r"\(3,\).*\(2,\)|\(2,\).*\(3,\)"):
        COMPARISONS[op](b, a)


# ---- format specs ----

def test_a_format_spec_needs_a_one_element_tensor():
    with pytest.raises(TypeError, match="one-element"):
        f"{mg.tensor([1.0, 2.0]):.2f}"
    assert f"{mg.tensor([1.5]):.2f}" == "1.50"
    assert f"{mg.tensor(2.25):.1f}" == "2.2"
    assert f"{mg.tensor([1.0, 2.0])}" == str(mg.tensor([1.0, 2.0]))


# ---- behaviours once broken by planted one-line bugs ----

def test_grad_with_create_graph_keeps_the_graph_for_a_second_differentiation():
    x = _variable([2.0])
    with autograd.record():
        y = x * x * x
        (g,) = autograd.grad(y, [x], create_graph=True)
    g.backward()
    assert x.grad.numpy().tolist() == [12.0]


@pytest.mark.parametrize("needs", [(True, False, True), (False, True, False),
                                   (False, False, True), (True, True, False)])
def test_concatenate_gives_each_input_its_own_slice(needs):
    xs = [mg.tensor(numpy.full((n, 2), float(n))) for n in (1, 2, 3)]
    for x, need in zip(xs, needs):
        if need:
            x.attach_grad()
    head = numpy.arange(12.0).reshape(6, 2)
    with autograd.record():
        y = np.concatenate(xs, axis=0)
    y.backward(mg.tensor(head))
    starts = [0, 1, 3, 6]
    for x, need, a, b in zip(xs, needs, starts, starts[1:]):
        if need:
            assert x.grad.numpy().tolist() == head[a:b].tolist()


def test_softmax_records_no_node_for_its_shift():
    x = _variable([[1.0, 2.0, 3.0]])
    for f in (npx.softmax, npx.log_softmax):
        with autograd.record() as tape:
            f(x)
        names = [node.name for node in tape]
        assert "max" not in names, names


def test_the_nested_grad_wall_opens_after_the_inner_call():
    x = _variable([3.0])
    with autograd.record():
        y = mg.grad(lambda t: t * t * t)(x)     # 3x², on the graph
    y.backward()
    assert x.grad.numpy().tolist() == [18.0]    # 6x: the wall let backward through


# ---- the fake CuPy's boundaries ----

@needs_cuda
def test_cuda_fast_sum_starts_exactly_at_its_threshold(monkeypatch):
    n = backend.FAST_SUM_MIN_SIZE
    calls = []
    fast = backend._fast_sum
    monkeypatch.setattr(backend, "_fast_sum", lambda *a: calls.append(a[0].size) or fast(*a))
    for size in (n - 1, n):
        host = numpy.ones((size, 1))
        got = backend.reduce_sum(backend.as_array(host, device="cuda:0"), 0, False)
        assert backend.to_host(got).tolist() == [float(size)]
    assert calls == [n]


@needs_cuda
def test_cuda_a_device_index_equal_to_the_count_is_refused():
    count = backend.cuda_device_count()
    for bad in (count, count + 1):
        with pytest.raises(mg.DeviceError, match=f"has {count} GPU"):
            mg.tensor([1.0], device=f"cuda:{bad}")
    mg.tensor([1.0], device=f"cuda:{count - 1}")
