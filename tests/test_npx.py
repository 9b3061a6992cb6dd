"""`microgradnd.npx` and the MXNet spellings of the `np` facade (API §6): values against NumPy,
gradients of softmax/log_softmax/pick, devices printed as MXNet prints them, `ctx=`."""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, np, npx


def _softmax(x, axis=-1):
    e = numpy.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# (name, our function, the NumPy reference)
VALUES = [
    ("relu", npx.relu, lambda x: numpy.maximum(x, 0)),
    ("sigmoid", npx.sigmoid, lambda x: 1 / (1 + numpy.exp(-x))),
    ("softmax", npx.softmax, _softmax),
    ("softmax_axis0", lambda x: npx.softmax(x, axis=0), lambda x: _softmax(x, 0)),
    ("log_softmax", npx.log_softmax, lambda x: numpy.log(_softmax(x))),
    ("log_softmax_axis0", lambda x: npx.log_softmax(x, axis=0),
     lambda x: numpy.log(_softmax(x, 0))),
]


@pytest.mark.parametrize("name, ours, reference", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_numpy(name, ours, reference, device):
    x = numpy.random.default_rng(0).normal(size=(4, 5)).astype(numpy.float32)
    out = ours(np.array(x, device=device))
    assert out.dtype == numpy.float32 and out.device == mg.tensor(0, device=device).device
    numpy.testing.assert_allclose(out.numpy(), reference(x), rtol=1e-5, atol=1e-6)


def test_softmax_does_not_overflow():
    x = np.array([[1000.0, 1001.0, -1000.0]])
    numpy.testing.assert_allclose(npx.softmax(x).numpy(), _softmax(x.numpy()), rtol=1e-6)
    assert numpy.isfinite(npx.log_softmax(x).numpy()).all()
    numpy.testing.assert_allclose(npx.log_softmax(x).numpy()[0, :2], [-1.3132616, -0.3132617],
                                  rtol=1e-6)


@pytest.mark.parametrize("shape, axis", [((3, 0), -1), ((0, 4), -1), ((0, 4), 0), ((0,), 0)])
def test_softmax_of_an_empty_tensor_is_empty(shape, axis):
    """As MXNet's and PyTorch's (no maximum to shift by), and its gradient too."""
    x = mg.tensor(numpy.zeros(shape))
    x.attach_grad()
    with autograd.record():
        out = npx.softmax(x, axis=axis) + npx.log_softmax(x, axis=axis)
    out.backward()
    assert out.shape == shape and x.grad.shape == shape


def test_activations_take_lists_and_arrays():
    assert npx.relu([-1.0, 2.0]).tolist() == [0.0, 2.0]
    assert npx.sigmoid(numpy.zeros(2)).tolist() == [0.5, 0.5]


# (name, function of one float64 input, input shape); derivatives by finite differences
GRADIENTS = [
    ("softmax", lambda x: npx.softmax(x), (3, 4)),
    ("softmax_axis0", lambda x: npx.softmax(x, axis=0), (3, 4)),
    ("softmax_3d", lambda x: npx.softmax(x, axis=1), (2, 3, 2)),
    ("log_softmax", lambda x: npx.log_softmax(x), (3, 4)),
    ("log_softmax_axis0", lambda x: npx.log_softmax(x, axis=0), (3, 4)),
    ("pick", lambda x: npx.pick(x, mg.tensor(numpy.array([0, 3, 3]))), (3, 4)),
    ("pick_axis0", lambda x: npx.pick(x, mg.tensor(numpy.array([2, 0, 1, 1])), axis=0), (3, 4)),
    ("pick_keepdims", lambda x: npx.pick(x, mg.tensor(numpy.array([1, 2, 0])), keepdims=True),
     (3, 4)),
    ("cross_entropy", lambda x: -npx.pick(npx.log_softmax(x), mg.tensor(numpy.array([1, 0, 3]))),
     (3, 4)),
    ("sigmoid", lambda x: npx.sigmoid(x), (3, 4)),
]


@pytest.mark.parametrize("name, f, shape", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_first_and_second_derivatives(name, f, shape, device):
    x = mg.tensor(numpy.random.default_rng(1).normal(size=shape), device=device)
    assert mg.gradcheck(f, [x])
    assert mg.gradgradcheck(f, [x], atol=1e-4)


def test_relu_gradient_is_the_step():
    x = np.array([-1.0, 0.5, 2.0])
    x.attach_grad()
    with autograd.record():
        y = npx.relu(x)
    y.backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_pick_values_modes_and_gradient(device):
    data = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], device=device)
    assert npx.pick(data, np.array([2, 0], device=device)).tolist() == [3.0, 4.0]
    assert npx.pick(data, np.array([1.0, 2.0], device=device)).tolist() == [2.0, 6.0]   # floats
    assert npx.pick(data, np.array([1, 0, 1]), axis=0).tolist() == [4.0, 2.0, 6.0]
    assert npx.pick(data, np.array([[0], [1]]), keepdims=True).tolist() == [[1.0], [5.0]]
    assert npx.pick(data, np.array([5, -1])).tolist() == [3.0, 4.0]                  # clip
    assert npx.pick(data, np.array([4, -1]), mode="wrap").tolist() == [2.0, 6.0]
    data.attach_grad()
    with autograd.record():
        out = npx.pick(data, np.array([1, 0, 1]), axis=0)
    out.backward()
    assert data.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]]


def test_pick_refuses_a_misshapen_index_and_an_unknown_mode():
    with pytest.raises(ValueError, match=r"needs shape \(2,\)"):
        npx.pick(np.ones((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="mode"):
        npx.pick(np.ones((2, 3)), np.array([0, 1]), mode="raise")


# (indices, depth, expected shape)
ONE_HOT = [
    ([0, 2, 1], 3, (3, 3)),
    ([[0, 1], [2, 3]], 4, (2, 2, 4)),
    (2, 5, (5,)),
    ([], 3, (0, 3)),
]


@pytest.mark.parametrize("indices, depth, shape", ONE_HOT)
def test_one_hot_shape_dtype_and_values(indices, depth, shape, device):
    out = npx.one_hot(np.array(indices, dtype="int64", device=device), depth)
    assert out.shape == shape and out.dtype == numpy.float32
    assert out.device == mg.tensor(0, device=device).device
    expected = numpy.eye(depth, dtype=numpy.float32)[numpy.asarray(indices, dtype=numpy.int64)]
    numpy.testing.assert_array_equal(out.numpy(), expected)
    assert not out.requires_grad


def test_one_hot_options_and_out_of_range():
    out = npx.one_hot(np.array([1.0, 7.0, -1.0]), 3, on_value=5.0, off_value=-1.0,
                      dtype="float64")
    assert out.dtype == numpy.float64
    assert out.tolist() == [[-1.0, 5.0, -1.0], [-1.0] * 3, [-1.0] * 3]
    # The book's RNN input: one_hot(X.T, vocab_size) gives (num_steps, batch, vocab_size)
    assert npx.one_hot(np.zeros((2, 5), dtype="int64").T, 28).shape == (5, 2, 28)


def test_devices_print_as_mxnet_and_compare_as_contexts():
    assert (str(npx.cpu()), repr(npx.cpu()), str(npx.gpu()), str(npx.gpu(3))) == \
        ("cpu(0)", "cpu(0)", "gpu(0)", "gpu(3)")
    assert f"on {npx.gpu(1)}" == "on gpu(1)"
    assert npx.cpu() == npx.cpu(0) and npx.gpu(1) == npx.gpu(1)
    assert npx.gpu(0) != npx.gpu(1) and npx.cpu() != npx.gpu(0) and npx.cpu(1) != npx.cpu(0)
    assert npx.cpu() == "cpu" and npx.gpu(2) == "cuda:2"        # the engine's names
    assert len({npx.cpu(), npx.cpu(0)}) == 1
    assert (npx.gpu(2).device_type, npx.gpu(2).device_id) == ("gpu", 2)
    with pytest.raises(ValueError):
        npx.Device("tpu")


def test_devices_work_as_device_arguments(device):
    ctx = npx.cpu() if device == "cpu" else npx.gpu(0)
    engine_name = "cpu" if device == "cpu" else "cuda:0"
    assert np.zeros(2, device=ctx).device == engine_name
    assert np.ones(2, ctx=ctx).device == engine_name
    assert mg.tensor([1.0], device=ctx).device == engine_name
    assert np.zeros(2).to(ctx).device == engine_name
    assert np.zeros(2, device=ctx).device == ctx


def test_num_gpus_and_gpu_without_one():
    assert npx.num_gpus() == (mg.backend.cuda_device_count())
    if npx.num_gpus() == 0:
        assert str(npx.gpu(0)) == "gpu(0)"         # naming one is fine, as in MXNet
        with pytest.raises(mg.DeviceError):
            np.zeros(2, ctx=npx.gpu(0))
    npx.waitall()


def test_set_np_and_random_seed():
    assert npx.set_np() is None
    npx.set_np(shape=True, array=True)
    npx.random.seed(7)
    a = np.random.normal(size=3)
    np.random.seed(7)
    assert np.random.normal(size=3).tolist() == a.tolist()


# Every creation function of the facade, called with ctx= (MXNet 1.x's name for device=)
CREATION = [
    ("zeros", lambda **kw: np.zeros((2, 3), **kw)),
    ("ones", lambda **kw: np.ones(2, **kw)),
    ("full", lambda **kw: np.full(2, 1.5, **kw)),
    ("array", lambda **kw: np.array([1.0, 2.0], **kw)),
    ("asarray", lambda **kw: np.asarray([1.0, 2.0], **kw)),
    ("arange", lambda **kw: np.arange(4, **kw)),
    ("linspace", lambda **kw: np.linspace(0, 1, 5, **kw)),
    ("eye", lambda **kw: np.eye(3, **kw)),
    ("zeros_like", lambda **kw: np.zeros_like(np.ones(2), **kw)),
    ("ones_like", lambda **kw: np.ones_like(np.ones(2), **kw)),
    ("random.normal", lambda **kw: np.random.normal(0, 1, (2,), **kw)),
    ("random.uniform", lambda **kw: np.random.uniform(0, 1, (2,), **kw)),
    ("random.randint", lambda **kw: np.random.randint(0, 5, (2,), **kw)),
]


@pytest.mark.parametrize("name, make", CREATION, ids=[c[0] for c in CREATION])
def test_ctx_is_device_and_both_raise(name, make, device):
    expected = mg.tensor(0, device=device).device
    assert make(ctx=device).device == expected
    assert make(device=device).device == expected
    with pytest.raises(TypeError, match="ctx= is MXNet 1.x's name for device="):
        make(device=device, ctx=device)


# ---- the non-differentiable helpers of the facade ----


def test_argmax_argmin_match_numpy(device):
    x = numpy.random.default_rng(2).normal(size=(3, 4)).astype(numpy.float32)
    t = np.array(x, device=device)
    for axis in (None, 0, 1, -1):
        assert np.argmax(t, axis=axis).tolist() == numpy.argmax(x, axis=axis).tolist()
        assert np.argmin(t, axis=axis).tolist() == numpy.argmin(x, axis=axis).tolist()
    assert np.argmax(t, axis=1).dtype == numpy.int64
    assert np.argmax(t).shape == ()
    assert np.argmax([1, 5, 2]).item() == 1


def test_argmax_inside_record_is_a_constant():
    w = np.array([[1.0, 3.0], [2.0, 0.0]])
    w.attach_grad()
    with autograd.record():
        i = np.argmax(w, axis=1)
    assert i.tolist() == [1, 0] and not i.requires_grad


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_matches_numpy(indexing, device):
    a, b = numpy.arange(3.0), numpy.arange(4.0)
    ours = np.meshgrid(np.arange(3.0, device=device), np.arange(4.0, device=device),
                       indexing=indexing)
    theirs = numpy.meshgrid(a, b, indexing=indexing)
    assert len(ours) == 2
    for o, t in zip(ours, theirs):
        assert o.shape == t.shape and o.dtype == numpy.float32
        numpy.testing.assert_array_equal(o.numpy(), t)
    c = numpy.arange(2.0)
    for args in [(a,), (a, b, c)]:
        for o, t in zip(np.meshgrid(*args, indexing=indexing),
                        numpy.meshgrid(*args, indexing=indexing)):
            numpy.testing.assert_array_equal(o.numpy(), t)
    x1, x2 = np.meshgrid(a, b)                  # plain arrays too, NumPy's 'xy' default
    assert x1.shape == (4, 3) and x2.dtype == numpy.float64


def test_eye_matches_numpy(device):
    for args in [(3,), (2, 4), (4, 3, 1), (3, 3, -2)]:
        out = np.eye(*args, device=device)
        assert out.dtype == numpy.float32
        numpy.testing.assert_array_equal(out.numpy(), numpy.eye(*args))
    assert np.eye(2, dtype="int64").dtype == numpy.int64


def test_cumsum_matches_numpy_and_is_differentiable(device):
    x = numpy.arange(6.0).reshape(2, 3)
    t = np.array(x, device=device)
    for axis in (None, 0, 1):
        numpy.testing.assert_array_equal(np.cumsum(t, axis=axis).numpy(),
                                         numpy.cumsum(x, axis=axis))
    w = np.ones(3, device=device)
    w.attach_grad()
    assert np.cumsum(w).tolist() == [1.0, 2.0, 3.0]
    with autograd.record():
        c = np.cumsum(w)
        with pytest.raises(TypeError, match="meshgrid"):
            np.meshgrid(w, w)
    c.backward()
    assert w.grad.tolist() == [3.0, 2.0, 1.0]           # the running sum from the other end


def test_genfromtxt_reads_a_table(tmp_path, device):
    path = tmp_path / "table.dat"
    path.write_text("1\t2.5\t3\n4\t5\t6.25\n")
    t = np.genfromtxt(path, delimiter="\t", device=device)
    assert t.dtype == numpy.float32 and t.shape == (2, 3)
    assert t.tolist() == [[1.0, 2.5, 3.0], [4.0, 5.0, 6.25]]
    assert np.genfromtxt(str(path), dtype=numpy.float64, delimiter="\t").dtype == numpy.float64
    assert np.genfromtxt(path, delimiter="\t", usecols=(0,), ctx=device).tolist() == [1.0, 4.0]
