"""What the book's preliminaries and appendix need beyond the model chapters.

MXNet 1.9.1's default dtypes (float32 for Python data), float32 ranges, CPU contexts cpu(i)
as distinct labels over the host's memory, the Tensor methods copy/copyto/ctx/repeat/prod,
np.random's rand/multinomial/shuffle, and microgradnd.gluon's few pieces. Each expected value
was checked on MXNet 1.9.1 (`from mxnet import np, npx; npx.set_np()`).
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, gluon, np, npx

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def mxnet_dtypes():
    """Every test starts (and ends) with MXNet 1.9.1's dtypes."""
    npx.set_np()
    yield
    npx.set_np()


# ---- default dtypes (API §6) ----


@pytest.mark.parametrize("make", [
    lambda: np.array(-1), lambda: np.array([1, 2, 4, 8]), lambda: np.arange(12),
    lambda: np.array([True, False]), lambda: np.array(2.5), lambda: np.full((2,), 3),
    lambda: np.arange(0, 1, 0.25), lambda: np.zeros(3), lambda: np.random.rand(2),
], ids=["int", "int_list", "arange", "bools", "float", "full", "arange_float", "zeros",
        "rand"])
def test_python_data_makes_float32_as_mxnet(make):
    assert make().dtype == numpy.float32


def test_explicit_dtypes_and_numpy_arrays_are_kept():
    assert np.array([1, 2], dtype="int64").dtype == numpy.int64
    assert np.arange(3, dtype=np.int32).dtype == numpy.int32
    assert np.array(numpy.arange(3)).dtype == numpy.int64
    assert np.array(numpy.ones(2)).dtype == numpy.float64
    assert np.array(numpy.array([True])).dtype == numpy.bool_
    assert mg.tensor([1, 2]).dtype == numpy.int64          # mg.tensor keeps API §1's rule


def test_the_appendix_can_attach_a_gradient_to_an_int_literal():
    x = np.array(-1)
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.item() == -2.0


def test_set_np_dtype_true_gives_numpys_dtypes_and_set_np_restores_mxnets():
    npx.set_np(dtype=True)
    assert np.array([1, 2]).dtype == numpy.int64
    assert np.array(1.5).dtype == numpy.float64
    assert np.arange(3).dtype == numpy.int64 and np.arange(0.5, 2).dtype == numpy.float64
    assert np.zeros(2).dtype == numpy.float64
    assert np.random.normal(size=2).dtype == numpy.float64
    npx.set_np()
    assert np.array([1, 2]).dtype == numpy.float32 and np.zeros(2).dtype == numpy.float32


def test_float32_ranges_do_not_drift():
    x = np.arange(-5, 5, 0.01)
    assert x.shape == (1000,) and x[300].item() == -2.0    # -1.9999313 when stepped in float32
    numpy.testing.assert_array_equal(x.numpy(), numpy.arange(-5, 5, 0.01).astype(numpy.float32))


def test_float_index_tensors_are_truncated_as_mxnet():
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    y = np.array([0, 2])                                  # float32, as in MXNet
    assert y_hat[[0, 1], y].tolist() == pytest.approx([0.1, 0.5])


# ---- Tensor methods ----


def test_copy_is_new_memory_and_differentiable():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        c = x.copy()
        y = (c * c).sum()
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]
    c.data[0] = 9
    assert x.tolist() == [1.0, 2.0]


def test_repeat_and_prod_as_mxnet():
    t = np.array([[1, 2], [3, 4]])
    assert t.repeat(2, axis=0).tolist() == [[1, 2], [1, 2], [3, 4], [3, 4]]
    assert t.repeat(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert t.prod(axis=0).tolist() == [3, 8] and t.prod().item() == 24


def test_prod_gradient_at_zeros_is_the_product_of_the_others():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0]])
    x.attach_grad()
    with autograd.record():
        p = x.prod(axis=1)
    p.backward()
    assert x.grad.tolist() == [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]]


def test_a_0d_tensor_is_not_iterable_as_numpy_says():
    # matplotlib asks numpy.iterable before converting (plt.hlines(0.5, np.sqrt(0.4), ...))
    assert not numpy.iterable(np.array(1.0)) and numpy.iterable(np.array([1.0]))
    with pytest.raises(TypeError, match="0-d"):
        iter(np.array(1.0))


def test_d2l_aliases_of_the_later_chapters():
    from microgradnd import d2l
    x = d2l.tensor([[1, 2], [3, 4]])
    assert x.dtype == numpy.float32 and d2l.size(x) == 4
    assert d2l.reshape(x, (4,)).shape == (4,) and d2l.reduce_sum(x).item() == 10.0
    assert d2l.corr2d(np.arange(9.0).reshape(3, 3), np.ones((2, 2))).tolist() == \
        [[8.0, 12.0], [20.0, 24.0]]


def test_np_functions_of_the_preliminaries():
    assert np.sort(np.array([3, 1, 2])).tolist() == [1, 2, 3]
    assert np.tile(np.array([1, 2]), 2).tolist() == [1, 2, 1, 2]
    assert np.power(2, np.array([1, 2])).tolist() == [2, 4]
    assert np.floor(np.array([1.5, -0.5])).tolist() == [1, -1]
    assert np.arccos(np.array([0.5])).item() == pytest.approx(1.0471976)
    assert np.log2(np.array([8.0])).item() == 3.0


# ---- np.random ----


def test_random_namespace_lists_its_functions():
    names = dir(np.random)
    for name in ("multinomial", "normal", "rand", "randint", "randn", "seed", "shuffle",
                 "uniform"):
        assert name in names
    assert not any(n.startswith("_") for n in names)


def test_multinomial_counts():
    np.random.seed(0)
    counts = np.random.multinomial(10, [0.2, 0.8])
    assert counts.dtype == numpy.int64 and counts.shape == (2,) and counts.sum().item() == 10
    many = np.random.multinomial(1, np.array([1 / 6] * 6), size=100)
    assert many.shape == (100, 6) and (many.sum(axis=1) == 1).numpy().all()


def test_shuffle_is_in_place_along_the_first_axis():
    np.random.seed(1)
    s = np.arange(10).reshape(5, 2)
    assert np.random.shuffle(s) is None
    rows = sorted(map(tuple, s.tolist()))
    assert rows == [(2 * i, 2 * i + 1) for i in range(5)]
    assert s.tolist() != np.arange(10).reshape(5, 2).tolist()


def test_shuffle_refuses_a_non_tensor():
    with pytest.raises(TypeError, match="in place"):
        np.random.shuffle([1, 2, 3])


# ---- CPU contexts ----


def test_cpu_contexts_are_distinct_labels():
    x = np.ones((2, 3), ctx=npx.cpu(1))
    assert str(x.ctx) == "cpu(1)" and (x + 1).ctx == npx.cpu(1)
    assert x.ctx != npx.cpu(0) and np.ones(2).ctx == npx.cpu(0)
    assert x.T.ctx == npx.cpu(1) and x[0].ctx == npx.cpu(1) and x.sum().ctx == npx.cpu(1)
    assert x.device == "cpu:1" and str(x) == str(np.ones((2, 3)))


def test_two_cpu_contexts_meet_and_land_on_the_first():
    a, b = np.ones((2, 3)), np.ones((2, 3), ctx=npx.cpu(1))
    assert (a + b).ctx == npx.cpu(0) and (b + a).ctx == npx.cpu(1)
    assert (b * a).sum().ctx == npx.cpu(1)
    assert np.dot(b, a.T).ctx == npx.cpu(1)


def test_copyto_and_as_in_ctx_copy_between_cpu_contexts():
    x = np.ones((2, 2), ctx=npx.cpu(1))
    z = x.as_in_ctx(npx.cpu(0))
    z[:] = 5
    assert z.ctx == npx.cpu(0) and x[0, 0].item() == 1.0        # a copy, as MXNet's
    y = x.copyto(npx.cpu(2))
    assert y.ctx == npx.cpu(2)
    target = np.zeros((2, 2))
    assert x.copyto(target) is target and target.ctx == npx.cpu(0)
    assert target.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    with pytest.raises(mg.ShapeError, match=r"\(2, 2\).*\(3,\)"):
        x.copyto(np.zeros(3))


def test_gradients_stay_on_their_cpu_context():
    w = np.random.normal(size=(3, 2), ctx=npx.cpu(1))
    w.attach_grad()
    x = np.ones((4, 3), ctx=npx.cpu(1))
    with autograd.record():
        loss = (np.dot(x, w) ** 2).sum()
    loss.backward()
    assert loss.ctx == npx.cpu(1) and w.grad.ctx == npx.cpu(1)
    numpy.testing.assert_allclose(w.grad.numpy(), 2 * x.numpy().T @ (x.numpy() @ w.numpy()),
                                  rtol=1e-5)


def test_data_parallel_allreduce_on_two_cpus():
    """The book's §12.5 allreduce, on cpu(0) and cpu(1)."""
    def allreduce(data):
        for i in range(1, len(data)):
            data[0][:] += data[i].copyto(data[0].ctx)
        for i in range(1, len(data)):
            data[0].copyto(data[i])

    devices = [npx.cpu(0), npx.cpu(1)]
    data = [np.ones((1, 2), ctx=devices[i]) * (i + 1) for i in range(2)]
    allreduce(data)
    assert [d.tolist() for d in data] == [[[3.0, 3.0]]] * 2
    assert [d.ctx for d in data] == devices


def test_a_cpu_context_with_a_gpu_still_refuses():
    from microgradnd import backend
    assert backend.same_memory("cpu", "cpu:1") and not backend.same_memory("cpu:1", "cuda:0")
    assert not backend.same_memory("cuda:0", "cuda:1")


@pytest.mark.skipif(os.environ.get("MICROGRADND_FAKE_CUPY") == "1", reason="spawns its own")
def test_gpu_i_is_real_device_i_under_fake_cupy():
    code = ("import microgradnd as mg\nfrom microgradnd import np, npx\n"
            "x = np.ones(2, ctx=npx.gpu(1)); y = np.ones(2, ctx=npx.gpu(0))\n"
            "print(x.device, x.ctx, x.data.device.id, y.ctx)\n"
            "try:\n    x + y\nexcept mg.DeviceError as e:\n    print('refused')\n"
            "print(x.as_in_ctx(npx.cpu(1)).ctx)\n")
    env = {**os.environ, "MICROGRADND_FAKE_CUPY_DEVICES": "2",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    boot = ("import sys, fake_cupy; fake_cupy.install()\n" + code)
    out = subprocess.run([sys.executable, "-c", boot], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["cuda:1 gpu(1) 1 gpu(0)", "refused", "cpu(1)"]


# ---- gluon ----


def test_gluon_says_it_is_not_the_layer_api():
    assert "not Gluon's layer and Trainer API" in gluon.__doc__
    assert not hasattr(gluon, "nn")


def test_softmax_cross_entropy_per_example_and_differentiable():
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    p = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    p.attach_grad()
    with autograd.record():
        ls = loss(p, np.array([2, 0]))
    ls.backward()
    e = numpy.exp([1.0, 2.0, 3.0])
    assert ls.shape == (2,)
    assert ls.tolist() == pytest.approx([-numpy.log(e[2] / e.sum()), numpy.log(3.0)])
    assert p.grad.tolist()[1] == pytest.approx([-2 / 3, 1 / 3, 1 / 3])
    dense = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)
    assert dense(p, npx.one_hot(np.array([2, 0]), 3)).tolist() == pytest.approx(ls.tolist())


def test_l2_l1_and_sigmoid_losses():
    pred, label = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 0.0], [1.0, 1.0]])
    assert gluon.loss.L2Loss()(pred, label).tolist() == [1.25, 3.25]
    assert gluon.loss.L1Loss()(pred, label).tolist() == [1.5, 2.5]
    bce = gluon.loss.SigmoidBinaryCrossEntropyLoss()(np.array([[0.0], [100.0]]),
                                                     np.array([[1.0], [1.0]]))
    assert bce.tolist() == pytest.approx([numpy.log(2.0), 0.0], abs=1e-6)
    assert gluon.loss.L2Loss()(np.array([1.0, 2.0]), np.array([[0.0], [0.0]])).tolist() \
        == [0.5, 2.0]                                     # the label takes pred's shape


def test_array_dataset_and_data_loader():
    X, y = np.arange(10).reshape(5, 2), np.arange(5)
    data = gluon.data.ArrayDataset(X, y)
    assert len(data) == 5 and data[1][0].tolist() == [2.0, 3.0]
    batches = list(gluon.data.DataLoader(data, 2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    assert len(gluon.data.DataLoader(data, 2, last_batch="discard")) == 2
    np.random.seed(0)
    shuffled = numpy.concatenate([b[1].numpy() for b in gluon.data.DataLoader(data, 2, True)])
    assert sorted(shuffled.tolist()) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="lengths"):
        gluon.data.ArrayDataset(X, np.arange(4))


def test_fashion_mnist_with_transform_first_offline():
    train = gluon.data.vision.FashionMNIST(train=True, synthetic=True)
    image, label = train[0]
    assert image.shape == (28, 28, 1) and image.dtype == numpy.uint8
    assert label.dtype == numpy.int32
    trans = gluon.data.vision.transforms.ToTensor()
    data = train.transform_first(trans)
    X, y = next(iter(gluon.data.DataLoader(data, 8)))
    assert X.shape == (8, 1, 28, 28) and X.dtype == numpy.float32 and y.shape == (8,)
    assert 0.0 <= X.min().item() and X.max().item() <= 1.0
    numpy.testing.assert_array_equal(X[3].numpy(), data[3][0].numpy())   # batched = one by one
    slow = train.transform_first(lambda img: img.astype("float32") / 255)
    X2, _ = next(iter(gluon.data.DataLoader(slow, 8)))
    numpy.testing.assert_allclose(X2.numpy().transpose(0, 3, 1, 2), X.numpy(), rtol=1e-6)
    resized = gluon.data.vision.transforms.Compose(
        [gluon.data.vision.transforms.Resize(14), trans])
    X3, _ = next(iter(gluon.data.DataLoader(train.transform_first(resized), 4)))
    assert X3.shape == (4, 1, 14, 14)


def test_mnist_slices_stack_examples_and_transform_them_as_gluon():
    def transform(data, label):
        return np.floor(data.astype("float32") / 128).squeeze(axis=-1), label

    mnist = gluon.data.vision.MNIST(train=False, transform=transform, synthetic=True)
    image, label = mnist[2]
    assert image.shape == (28, 28) and label.dtype == numpy.int32
    images, labels = mnist[10:38]
    assert images.shape == (28, 28, 28) and labels.shape == (28,)
    assert set(numpy.unique(images.numpy())) <= {0.0, 1.0}


def test_split_and_load_over_two_cpu_contexts():
    X = np.arange(12).reshape(6, 2)
    parts = gluon.utils.split_and_load(X, [npx.cpu(0), npx.cpu(1)])
    assert [p.shape for p in parts] == [(3, 2), (3, 2)]
    assert [p.ctx for p in parts] == [npx.cpu(0), npx.cpu(1)]
    assert parts[1].tolist() == X[3:].tolist()
    with pytest.raises(mg.ShapeError, match="evenly"):
        gluon.utils.split_and_load(np.arange(5), [npx.cpu(0), npx.cpu(1)])


def test_split_and_load_is_differentiable():
    X = np.arange(4.0).reshape(4, 1)
    X.attach_grad()
    with autograd.record():
        a, b = gluon.utils.split_and_load(X, [npx.cpu(0), npx.cpu(1)])
        loss = (a * 2).sum() + (b * 3).sum()
    loss.backward()
    assert X.grad.reshape(-1).tolist() == [2.0, 2.0, 3.0, 3.0]
