"""The facade's functions and Tensor methods for the book's later chapters (issue 12, items 1
and 3): any operand NumPy takes, NumPy's values, the index helpers, MXNet's device methods.

Values, gradients and second derivatives of the differentiable ones are in the op tables
(test_ops.py, test_torch_ops.py); this file checks what those tables do not.
"""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, np

M = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]]

# (name, microgradnd call, NumPy call, operands): each is tried with the operands as lists,
# NumPy arrays, and Tensors
FUNCTIONS = [
    ("maximum", lambda a, b: np.maximum(a, b), numpy.maximum, (M, [0.0, 1.0, 2.0])),
    ("minimum", lambda a, b: np.minimum(a, b), numpy.minimum, (M, [0.0, 1.0, 2.0])),
    ("sin", np.sin, numpy.sin, (M,)),
    ("cos", np.cos, numpy.cos, (M,)),
    ("sinh", np.sinh, numpy.sinh, (M,)),
    ("cosh", np.cosh, numpy.cosh, (M,)),
    ("square", np.square, numpy.square, (M,)),
    ("sign", np.sign, numpy.sign, (M,)),
    ("clip", lambda a: np.clip(a, -1.0, 2.0), lambda a: numpy.clip(a, -1.0, 2.0), (M,)),
    ("expand_dims", lambda a: np.expand_dims(a, 1), lambda a: numpy.expand_dims(a, 1), (M,)),
    ("squeeze", lambda a: np.squeeze(a), numpy.squeeze, ([[1.0, 2.0]],)),
    ("concatenate", lambda a, b: np.concatenate([a, b], axis=1),
     lambda a, b: numpy.concatenate([a, b], axis=1), (M, M)),
    ("stack", lambda a, b: np.stack((a, b)), lambda a, b: numpy.stack((a, b)), (M, M)),
    ("split", lambda a: np.split(a, 3, axis=1)[2], lambda a: numpy.split(a, 3, axis=1)[2], (M,)),
    ("norm", lambda a: np.linalg.norm(a), numpy.linalg.norm, (M,)),
    ("norm_axis", lambda a: np.linalg.norm(a, axis=1, keepdims=True),
     lambda a: numpy.linalg.norm(a, axis=1, keepdims=True), (M,)),
    ("std", lambda a: np.std(a, axis=0), lambda a: numpy.std(a, axis=0), (M,)),
    ("var", lambda a: np.var(a, ddof=1), lambda a: numpy.var(a, ddof=1), (M,)),
    ("max", lambda a: np.max(a, axis=1), lambda a: numpy.max(a, axis=1), (M,)),
    ("min", lambda a: np.min(a, axis=0, keepdims=True),
     lambda a: numpy.min(a, axis=0, keepdims=True), (M,)),
]


def _float32_array(values):
    return numpy.asarray(values, dtype=numpy.float32)


@pytest.mark.parametrize("name, ours, ref, operands", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_functions_take_lists_arrays_and_tensors(name, ours, ref, operands, device):
    expected = ref(*[numpy.asarray(a, dtype=numpy.float32) for a in operands])
    kinds = [mg.Tensor, _float32_array] + ([list] if device == "cpu" else [])
    for kind in kinds:
        args = [mg.tensor(a, device=device) if kind is mg.Tensor else kind(a)
                for a in operands]
        if kind is not mg.Tensor and device != "cpu":
            continue        # lists and host arrays land on the default device
        out = ours(*args)
        assert isinstance(out, mg.Tensor), (name, kind)
        assert out.dtype == expected.dtype, (name, kind)
        numpy.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, err_msg=name)


def test_scalars_and_one_tensor_among_lists(device):
    x = mg.tensor([-1.0, 0.5, 3.0], device=device)
    assert np.maximum(x, 0).tolist() == [0.0, 0.5, 3.0]        # the MLP chapter's relu
    assert np.maximum(0, x).dtype == numpy.float32
    assert np.minimum(1.0, 2.0).item() == 1.0
    assert np.square(3).item() == 9 and np.sign(-2.5).item() == -1.0
    assert np.concatenate([[1.0, 2.0], x]).tolist() == [1.0, 2.0, -1.0, 0.5, 3.0]
    assert np.concatenate([[1.0], [2.0, 3.0]]).tolist() == [1.0, 2.0, 3.0]
    assert np.stack([x, [0.0, 0.0, 0.0]]).shape == (2, 3)
    assert np.cos(0).item() == 1.0 and np.sinh(0.0).item() == 0.0


def test_np_linalg_is_an_attribute():
    assert callable(np.linalg.norm)
    assert np.linalg.norm([3.0, 4.0]).item() == 5.0


def test_chapter_2_5_control_flow_runs():
    """The automatic-differentiation chapter's example: np.linalg.norm(b) inside record()."""
    def f(a):
        b = a * 2
        while np.linalg.norm(b) < 1000:
            b = b * 2
        c = b if b.sum() > 0 else 100 * b
        return c

    a = np.random.normal(size=())
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert a.grad.item() == pytest.approx((d / a).item())


# ---- argmax and argmin: int64 constants ----


def test_argmax_argmin_values_dtype_and_never_recorded(device):
    values = numpy.array([[1.0, 5.0, 5.0], [7.0, -2.0, 0.0]], dtype=numpy.float32)
    x = mg.tensor(values, device=device)
    x.attach_grad()
    with autograd.record() as tape:
        results = {
            "argmax": x.argmax(), "argmax1": x.argmax(axis=1), "argmin0": x.argmin(axis=0),
            "argmin-1k": x.argmin(axis=-1, keepdims=True),
        }
    expected = {
        "argmax": values.argmax(), "argmax1": values.argmax(axis=1),
        "argmin0": values.argmin(axis=0), "argmin-1k": values.argmin(axis=-1, keepdims=True),
    }
    for key, out in results.items():
        assert out.dtype == numpy.int64 and out.device == x.device, key
        assert out.shape == expected[key].shape, key
        assert out.tolist() == expected[key].tolist(), key
        assert not out.requires_grad and out.is_leaf, key
    assert len(tape) == 0
    # the softmax chapter's accuracy: argmax, astype, comparison
    y = mg.tensor([1, 0], device=device)
    assert float((x.argmax(axis=1).astype(y.dtype) == y).astype(numpy.float32).sum()) == 2.0


def test_numpy_argmax_and_argmin_on_a_tensor():
    x = mg.tensor(M)
    assert numpy.argmax(x).item() == 4 and numpy.argmin(x, axis=1).tolist() == [1, 2]


def test_argmax_of_an_empty_tensor_is_a_shape_error():
    with pytest.raises(mg.ShapeError, match="argmax"):
        mg.tensor(numpy.zeros((0,))).argmax()


# ---- MXNet's device methods ----


def test_wait_to_read_returns_none(device):
    x = mg.tensor([1.0, 2.0], device=device)
    assert x.wait_to_read() is None
    assert (x * 2).wait_to_read() is None


def test_as_in_context_is_to(device):
    x = mg.tensor([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x.as_in_context(device) * 3.0
        z = y.as_in_ctx("cpu")
    assert y.device == mg.tensor([0.0], device=device).device
    assert z.device == "cpu"
    assert x.as_in_ctx("cpu") is x
    z.backward()
    assert x.grad.tolist() == [3.0, 3.0]


# ---- shapes: views, copies, errors ----


def test_squeeze_and_expand_dims_are_views_and_flatten_is_a_copy():
    x = mg.tensor(numpy.zeros((2, 1, 3), dtype=numpy.float32))
    x.squeeze()[0, 0] = 1.0
    x.expand_dims(0)[0, 1, 0, 1] = 2.0
    x.flatten()[2] = 5.0
    assert x.data[0, 0, 0] == 1.0 and x.data[1, 0, 1] == 2.0 and x.data[0, 0, 2] == 0.0
    assert x.flatten().shape == (6,) and mg.tensor(3.0).flatten().shape == (1,)


def test_split_pieces_are_views_and_carry_their_gradient():
    x = mg.tensor(numpy.arange(6.0))
    x.attach_grad()
    with autograd.record():
        a, b, c = np.split(x, [1, 4])
        y = (a * 1.0).sum() + (b * 2.0).sum() + (c * 3.0).sum()
    y.backward()
    assert [p.shape for p in (a, b, c)] == [(1,), (3,), (2,)]
    assert x.grad.tolist() == [1.0, 2.0, 2.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize("call, error, match", [
    (lambda: np.split(mg.tensor(numpy.ones(5)), 2), mg.ShapeError, "equal sections"),
    (lambda: np.squeeze(mg.tensor(numpy.ones((2, 1))), axis=0), mg.ShapeError, "size 1"),
    (lambda: np.expand_dims(mg.tensor(numpy.ones(2)), 3), mg.ShapeError, "out of bounds"),
    (lambda: np.concatenate([mg.tensor(numpy.ones((2, 2))), mg.tensor(numpy.ones((3, 3)))]),
     mg.ShapeError, "concatenate"),
    (lambda: np.concatenate([mg.tensor(1.0), mg.tensor(2.0)]), mg.ShapeError, "zero-dim"),
    (lambda: np.stack([mg.tensor(numpy.ones(2)), mg.tensor(numpy.ones(3))]), mg.ShapeError,
     "one shape"),
    (lambda: np.clip(mg.tensor(numpy.ones(2)), numpy.zeros(3), None), mg.ShapeError, "clip"),
    (lambda: np.linalg.norm(mg.tensor(numpy.ones((2, 2))), 2), NotImplementedError, "matrix"),
    (lambda: np.linalg.norm(mg.tensor(numpy.ones(2)), "fro"), ValueError, "fro"),
    (lambda: mg.tensor([1.0]).cumsum(axis=1), mg.ShapeError, "axis 1"),
])
def test_errors_name_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- gradient conventions, spelled out (the op tables check them against PyTorch) ----


def test_ties_split_maximum_and_minimum_half_and_half():
    x = mg.tensor([-1.0, 0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = np.maximum(x, 0.0).sum() + np.minimum(x, 2.0).sum()
    y.backward()
    assert x.grad.tolist() == [1.0, 1.5, 1.5]


def test_clip_passes_the_gradient_at_its_bounds():
    x = mg.tensor([-2.0, -1.0, 0.0, 1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x.clip(-1.0, 1.0)
    y.backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_std_of_a_constant_and_norm_of_zero_have_gradient_zero():
    x = mg.tensor([0.75, 0.75, 0.75])
    x.attach_grad()
    with autograd.record():
        y = x.std() + np.linalg.norm(x * 0.0)
    y.backward()
    assert y.item() == 0.0 and x.grad.tolist() == [0.0, 0.0, 0.0]


def test_cumsum_gradient_is_the_reversed_running_sum():
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    x.attach_grad()
    with autograd.record():
        y = (x.cumsum(axis=1) * mg.tensor([1.0, 10.0, 100.0])).sum()
    y.backward()
    assert x.grad.tolist() == [[111.0, 110.0, 100.0]] * 2
    assert np.sum(x).cumsum().tolist() == [21.0]
    assert x.cumsum().tolist() == [1.0, 3.0, 6.0, 10.0, 15.0, 21.0]


# ---- NumPy's own functions reach the same ops ----


def test_numpy_functions_on_tensors_are_recorded():
    x = mg.tensor(numpy.array([[1.0, -2.0], [3.0, 0.5]]))
    x.attach_grad()
    with autograd.record():
        parts = numpy.split(x, 2, axis=1)
        y = (numpy.concatenate([parts[1], parts[0]], axis=1) * mg.tensor([[1.0, 0.0]])).sum() \
            + numpy.linalg.norm(x) + numpy.maximum(x, 0.0).sum() + numpy.square(x).sum() \
            + numpy.stack([x, x], axis=-1).sum() + numpy.expand_dims(x, 0).sum() \
            + numpy.std(x) + numpy.var(x, axis=0).sum() + numpy.min(x) \
            + numpy.clip(x, 0.0, 2.0).sum() + numpy.cumsum(x).sum() + numpy.sinh(x).sum()
    y.backward()

    def f(a):
        return (a[:, 1].sum() + numpy.linalg.norm(a) + numpy.maximum(a, 0.0).sum()
                + numpy.square(a).sum() + 2 * a.sum() + a.sum() + a.std()
                + a.var(axis=0).sum() + a.min() + numpy.clip(a, 0.0, 2.0).sum()
                + numpy.cumsum(a).sum() + numpy.sinh(a).sum())

    a0, eps = x.numpy().copy(), 1e-6
    numeric = numpy.zeros_like(a0)
    for i in numpy.ndindex(a0.shape):
        d = numpy.zeros_like(a0)
        d[i] = eps
        numeric[i] = (f(a0 + d) - f(a0 - d)) / (2 * eps)
    numpy.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-6)
