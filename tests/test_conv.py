"""Convolution, pooling, batch_dot and sequence_mask beyond the op tables.

The op tables (test_ops.py, test_torch_ops.py) check values and two orders of derivatives; here:
agreement with MXNet 1.9.1's npx (recorded by tests/data/mxnet_conv_reference.py), fold being
unfold's adjoint, that the work is not a Python loop over pixels, and the errors.
"""
import importlib.util
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, npx, ops

DATA = Path(__file__).resolve().parent / "data"
_spec = importlib.util.spec_from_file_location("mxnet_conv_reference",
                                               DATA / "mxnet_conv_reference.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)
RECORDED = numpy.load(DATA / "mxnet_conv.npz")


@pytest.mark.parametrize("name", list(reference.CASES))
def test_values_and_gradients_match_mxnet(name, device):
    source, shapes = reference.CASES[name]
    arrays = [RECORDED[f"{name}/input{i}"] for i in range(len(shapes))]
    numpy.testing.assert_array_equal(arrays[0], reference.inputs(name)[0])  # same draws
    xs = [mg.tensor(a, device=device) for a in arrays]
    for x in xs:
        x.attach_grad()
    env = dict(zip("abc", xs), npx=npx, L=mg.tensor(reference.LENGTHS, device=device))
    with autograd.record():
        y = eval(source, env)
    y.backward(mg.tensor(reference.head(y.shape), device=device))
    assert y.dtype == numpy.float32
    numpy.testing.assert_allclose(y.numpy(), RECORDED[f"{name}/value"], rtol=1e-5, atol=1e-6)
    for i, x in enumerate(xs):
        numpy.testing.assert_allclose(x.grad.numpy(), RECORDED[f"{name}/grad{i}"], rtol=1e-5,
                                      atol=2e-6, err_msg=f"gradient of input {i}")


@pytest.mark.parametrize("kernel, stride, pad, dilate", [
    ((3, 3), (1, 1), (0, 0), (1, 1)), ((2, 3), (2, 1), (1, 2), (1, 1)),
    ((2, 2), (3, 2), (1, 0), (2, 3))])
def test_fold_is_the_adjoint_of_unfold(kernel, stride, pad, dilate, device):
    """<unfold(x), c> = <x, fold(c)> for every x and c: fold is unfold's transpose."""
    rng = numpy.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((2, 3, 7, 8)), device=device)
    win = ops.Window(x.shape, kernel, stride, pad, dilate)
    cols = ops.unfold(x, win)
    c = mg.tensor(rng.standard_normal(cols.shape), device=device)
    lhs = float((cols * c).sum())
    rhs = float((x * ops.fold(c, win)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_one_convolution_records_the_same_ops_at_every_image_size():
    """No Python loop over pixels or channels: the tape does not grow with the image."""
    lengths = []
    for side, channels in [(6, 2), (40, 16)]:
        x = mg.tensor(numpy.ones((2, channels, side, side)))
        w = mg.tensor(numpy.ones((4, channels, 3, 3)))
        w.attach_grad()
        with autograd.record() as tape:
            y = mg.max_pool2d(mg.conv2d(x, w, stride=2, padding=1), 2) + mg.avg_pool2d(
                mg.conv2d(x, w, stride=2, padding=1), 3, 2, 1).sum()
            (g,) = autograd.grad(y.sum(), [w], create_graph=True)
        lengths.append(len(tape.nodes))
    assert lengths[0] == lengths[1]


def test_tiling_average_pooling_takes_the_reshape_path_and_agrees_with_unfolding():
    x = mg.tensor(numpy.random.default_rng(1).standard_normal((2, 3, 9, 8)))
    with autograd.record() as tape:
        x.attach_grad()
        fast = mg.avg_pool2d(x, 2)                        # windows tile the image (cropped)
    assert "unfold" not in {n.op.name for n in tape.nodes}
    slow = ops.avg_pool2d(x, (2, 2), (2, 2), (0, 0))      # the same windows...
    windows = ops.unfold(x, ops.Window(x.shape, (2, 2), (2, 2), (0, 0), (1, 1)))
    numpy.testing.assert_allclose(fast.numpy(), slow.numpy())
    numpy.testing.assert_allclose(fast.numpy(), windows.numpy().mean(axis=(1, 2)).transpose(
        3, 0, 1, 2))                                      # ...as the unfolded columns see them


ERRORS = [
    ("image not 4-D", lambda: mg.conv2d(mg.tensor(numpy.ones((3, 5, 5))),
                                        mg.tensor(numpy.ones((2, 3, 3, 3)))),
     mg.ShapeError, r"shaped \(N, C, H, W\), got shape \(3, 5, 5\)"),
    ("channels", lambda: mg.conv2d(mg.tensor(numpy.ones((1, 4, 5, 5))),
                                   mg.tensor(numpy.ones((2, 3, 3, 3)))),
     mg.ShapeError, r"4 channels.*groups=1"),
    ("groups", lambda: mg.conv2d(mg.tensor(numpy.ones((1, 4, 5, 5))),
                                 mg.tensor(numpy.ones((3, 2, 3, 3))), groups=2),
     mg.ShapeError, "must divide into the groups"),
    ("kernel too big", lambda: mg.max_pool2d(mg.tensor(numpy.ones((1, 1, 2, 2))), 3),
     mg.ShapeError, r"does not fit in images of \(2, 2\)"),
    ("bias", lambda: mg.conv2d(mg.tensor(numpy.ones((1, 3, 5, 5))),
                               mg.tensor(numpy.ones((2, 3, 3, 3))), mg.tensor(numpy.ones(3))),
     mg.ShapeError, r"shape \(2,\), got \(3,\)"),
    ("padding over half", lambda: mg.avg_pool2d(mg.tensor(numpy.ones((1, 1, 5, 5))), 2, 1, 2),
     ValueError, "at most half the kernel"),
    ("stride 0", lambda: mg.max_pool2d(mg.tensor(numpy.ones((1, 1, 5, 5))), 2, 0),
     ValueError, "must be positive"),
    ("mxnet kernel", lambda: npx.convolution(mg.tensor(numpy.ones((1, 3, 5, 5))),
                                             mg.tensor(numpy.ones((2, 3, 3, 3))), None,
                                             kernel=(2, 2), num_filter=2),
     mg.ShapeError, r"pass kernel=\(3, 3\)"),
    ("mxnet num_filter", lambda: npx.convolution(mg.tensor(numpy.ones((1, 3, 5, 5))),
                                                 mg.tensor(numpy.ones((2, 3, 3, 3))), None,
                                                 kernel=(3, 3), num_filter=4),
     mg.ShapeError, "has 2 filters"),
    ("mxnet 1-D", lambda: npx.pooling(mg.tensor(numpy.ones((1, 3, 5))), kernel=(2,)),
     ValueError, "only 2-D kernels"),
    ("mxnet layout", lambda: npx.pooling(mg.tensor(numpy.ones((1, 5, 5, 3))), kernel=(2, 2),
                                         layout="NHWC"), ValueError, "only the NCHW layout"),
    ("mxnet convention", lambda: npx.pooling(mg.tensor(numpy.ones((1, 1, 5, 5))), kernel=(2, 2),
                                             pooling_convention="full"),
     ValueError, "only 'valid'"),
    ("mxnet lp", lambda: npx.pooling(mg.tensor(numpy.ones((1, 1, 5, 5))), kernel=(2, 2),
                                     pool_type="lp"), ValueError, "'max', 'avg' or 'sum'"),
    ("batch_dot batches", lambda: npx.batch_dot(mg.tensor(numpy.ones((2, 3, 4))),
                                                mg.tensor(numpy.ones((3, 4, 5)))),
     mg.ShapeError, "the same batch axes"),
    ("batch_dot 2-D", lambda: npx.batch_dot(mg.tensor(numpy.ones((3, 4))),
                                            mg.tensor(numpy.ones((4, 5)))),
     mg.ShapeError, "at least 3 axes"),
    ("batch_dot inner", lambda: npx.batch_dot(mg.tensor(numpy.ones((2, 3, 4))),
                                              mg.tensor(numpy.ones((2, 3, 4)))),
     mg.ShapeError, "matmul"),
    ("sequence_mask lengths", lambda: npx.sequence_mask(
        mg.tensor(numpy.ones((3, 4))), mg.tensor([1, 2, 3]), True, axis=0),
     mg.ShapeError, r"one length per batch entry, shape \(4,\)"),
    ("sequence_mask axis", lambda: npx.sequence_mask(
        mg.tensor(numpy.ones((3, 4, 2))), mg.tensor([1, 2, 3]), True, axis=2),
     ValueError, "axis must be 0 or 1"),
]


@pytest.mark.parametrize("name, call, error, message", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors_name_the_shapes_and_the_fix(name, call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_sequence_mask_without_lengths_returns_data():
    x = mg.tensor(numpy.ones((2, 3)))
    assert npx.sequence_mask(x) is x
    with pytest.raises(ValueError, match="needs sequence_length"):
        npx.sequence_mask(x, use_sequence_length=True)
