"""MXNet's older API that the book's §18.11 imports: `ndarray.nansum`, `t.as_nd_ndarray()`,
`t.asscalar()` and `metric.NegativeLogLikelihood`.

The expected values are MXNet 1.9.1's, printed by the same calls there (legacy NDArrays from
`np.array(...).as_nd_ndarray()`, under `npx.set_np()`).
"""
import math

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, np
from microgradnd.metric import NegativeLogLikelihood
from microgradnd.ndarray import nansum

NAN = math.nan


def _halves(device):
    """[[1, nan, 3], [nan, nan, nan]] on `device`: a row with a NaN, and a row of NaNs."""
    return mg.tensor([[1.0, NAN, 3.0], [NAN, NAN, NAN]], device=device)


# ---- nansum: shapes, axes, NaN ----

# (arguments, MXNet 1.9.1's shape and values) for _halves
NANSUM = [
    ({}, (1,), [4.0]),                                  # a full reduction has shape (1,)
    ({"axis": 0}, (3,), [1.0, 0.0, 3.0]),               # a column of NaNs sums to 0
    ({"axis": 1}, (2,), [4.0, 0.0]),
    ({"axis": -1}, (2,), [4.0, 0.0]),
    ({"axis": (0, 1)}, (1,), [4.0]),
    ({"axis": ()}, (1,), [4.0]),                        # () is every axis, as None
    ({"axis": 1, "keepdims": True}, (2, 1), [[4.0], [0.0]]),
    ({"keepdims": True}, (1, 1), [[4.0]]),
    ({"axis": 0, "exclude": True}, (2,), [4.0, 0.0]),   # every axis but 0
    ({"axis": (0, 1), "exclude": True}, (2, 3), [[1.0, 0.0, 3.0], [0.0, 0.0, 0.0]]),
]


@pytest.mark.parametrize("kwargs, shape, values", NANSUM, ids=[str(k) for k, _, _ in NANSUM])
def test_nansum_follows_mxnet(device, kwargs, shape, values):
    x = _halves(device)
    out = nansum(x.as_nd_ndarray(), **kwargs)
    assert isinstance(out, mg.Tensor) and out.device == x.device
    assert out.shape == shape and out.dtype == numpy.float32
    assert out.tolist() == values


def test_nansum_keeps_the_dtype_and_makes_no_0d_result():
    assert nansum(mg.tensor(numpy.array([1, 2, 3], dtype=numpy.int32))).dtype == numpy.int32
    assert nansum(mg.tensor(numpy.array([1, 2, 3], dtype=numpy.int32))).tolist() == [6]
    assert nansum(mg.tensor([1.0, NAN], dtype="float64")).dtype == numpy.float64
    assert nansum(mg.tensor(5.0)).shape == (1,)                    # MXNet: (1,) from a 0-d
    empty = nansum(mg.tensor(numpy.zeros((0, 3), dtype=numpy.float32)))
    assert empty.shape == (1,) and empty.tolist() == [0.0]
    assert nansum(mg.tensor([NAN, NAN])).tolist() == [0.0]


@pytest.mark.filterwarnings("ignore:invalid value encountered")     # inf - inf
def test_nansum_leaves_infinities_alone():
    # MXNet's compensated sum gives nan for [inf, nan, 1.]; NumPy's nansum, and this, inf
    assert nansum(mg.tensor([math.inf, NAN, 1.0])).tolist() == [math.inf]
    assert math.isnan(nansum(mg.tensor([-math.inf, math.inf])).item())


def test_nansum_gradient_is_one_except_at_nan(device):
    x = mg.tensor([1.0, NAN, 3.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = nansum(x)
    y.backward()
    assert x.grad.tolist() == [1.0, 0.0, 1.0]          # MXNet's backward of nansum


def test_nansum_gradients_first_and_second_order():
    x = mg.tensor(numpy.random.default_rng(0).normal(size=(3, 4)))
    assert mg.gradcheck(lambda t: nansum(t * t, axis=1), [x])
    assert mg.gradgradcheck(lambda t: nansum(t * t * t, axis=0, keepdims=True), [x])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"axis": 2}, mg.ShapeError, "axis 2 is out of bounds"),
    ({"axis": -3}, IndexError, "axis -3 is out of bounds"),
    ({"axis": (0, 0)}, mg.ShapeError, "repeats an axis"),
    ({"axis": 1.5}, TypeError, "axis must be an int"),
])
def test_nansum_refuses_a_bad_axis(kwargs, error, words):
    with pytest.raises(error, match=words):
        nansum(_halves("cpu"), **kwargs)


@pytest.mark.parametrize("data, words", [
    ([1.0, 2.0], "nansum takes a tensor, got list"),
    (numpy.ones(2), "nansum takes a tensor, got ndarray"),
    (mg.tensor([True, False]), "dtype bool"),
])
def test_nansum_refuses_what_is_not_a_numeric_tensor(data, words):
    with pytest.raises(TypeError, match=words):
        nansum(data)


def test_the_legacy_namespace_imports_as_mxnets():
    from microgradnd import ndarray as nd  # `from mxnet import ndarray as nd`
    assert nd.nansum is nansum and nd.__all__ == ["nansum"]


# ---- as_nd_ndarray and asscalar ----


def test_as_nd_ndarray_is_the_tensor_itself():
    x = np.array([1.0, 2.0])
    assert x.as_nd_ndarray() is x                      # MXNet shares memory and graph too


@pytest.mark.parametrize("data, dtype", [([4.0], numpy.float32), (4.0, numpy.float32),
                                          (numpy.array([4], dtype=numpy.int32), numpy.int32)])
def test_asscalar_gives_a_numpy_scalar_of_the_dtype(data, dtype):
    value = mg.tensor(data).asscalar()
    assert type(value) is dtype and value == 4


def test_asscalar_refuses_more_than_one_element():
    with pytest.raises(ValueError, match=r"one-element tensor, got shape \(2,\)"):
        mg.tensor([1.0, 2.0]).asscalar()


def test_the_books_kl_divergence_reads_a_scalar():
    p, q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    kl = nansum((p * np.log2(p / q)).as_nd_ndarray()).abs().asscalar()
    assert type(kl) is numpy.float32
    assert kl == pytest.approx(0.2 * math.log2(0.4) + 0.8 * math.log2(1.6), rel=1e-6)


# ---- NegativeLogLikelihood ----

PREDS = [[0.3, 0.6, 0.1], [0.2, 0.3, 0.5]]


def test_nll_of_the_book(device):
    nll = NegativeLogLikelihood()
    nll.update(mg.tensor([0.0, 2.0], device=device), mg.tensor(PREDS, device=device))
    assert nll.get() == ("nll-loss", 0.9485599994659424)       # MXNet 1.9.1's, to the bit
    assert nll.num_inst == 2


def test_nll_accumulates_batches_and_resets():
    nll = NegativeLogLikelihood(eps=0.5)
    assert nll.get()[0] == "nll-loss" and math.isnan(nll.get()[1])
    nll.update([mg.tensor([0.0, 2.0]), mg.tensor([1.0])],       # two batches in one call
               [mg.tensor(PREDS), mg.tensor([[0.0, 0.0]])])
    assert nll.num_inst == 3
    assert nll.get()[1] == pytest.approx(0.30543023844559986, rel=1e-12)   # MXNet 1.9.1
    nll.update(mg.tensor([1.0]), mg.tensor([[0.1, 0.9]]))       # one more, later
    assert nll.num_inst == 4
    assert nll.get()[1] == pytest.approx(0.1449546180665493, rel=1e-12)    # MXNet 1.9.1
    nll.reset()
    assert nll.num_inst == 0 and nll.sum_metric == 0.0 and math.isnan(nll.get()[1])


def test_nll_sums_in_the_predictions_dtype_with_eps():
    nll = NegativeLogLikelihood()
    nll.update(mg.tensor(numpy.array([0, 2], dtype=numpy.int32)), mg.tensor(PREDS, "float64"))
    assert nll.get()[1] == pytest.approx(0.9485599924402741, rel=1e-12)    # MXNet 1.9.1
    nll = NegativeLogLikelihood()
    nll.update(mg.tensor([0.0, 1.0]), mg.tensor([[0.3, 0.0], [0.2, 0.0]]))
    assert nll.get()[1] == pytest.approx(14.417497634887695, rel=1e-7)     # -log(1e-12) / 2


def test_nll_is_not_recorded():
    preds = mg.tensor(PREDS)
    preds.attach_grad()
    nll = NegativeLogLikelihood(name="nll")
    with autograd.record():
        nll.update(mg.tensor([0.0, 2.0]), preds)
        y = (preds * 2).sum()
    y.backward()
    assert nll.get() == ("nll", 0.9485599994659424)
    assert preds.grad.tolist() == [[2.0] * 3] * 2


@pytest.mark.parametrize("labels, preds, error, words", [
    ([mg.tensor([1.0])], [mg.tensor(PREDS), mg.tensor(PREDS)], ValueError,
     "1 label tensors for 2 prediction tensors"),
    (mg.tensor([0.0, 1.0, 2.0]), mg.tensor(PREDS), mg.ShapeError,
     r"labels of shape \(3,\) and predictions of shape \(2, 3\)"),
    (mg.tensor([0.0, 1.0]), mg.tensor([0.3, 0.7]), mg.ShapeError, "must be \\(examples, classes"),
    (mg.tensor([0.0, 2.9]), mg.tensor(PREDS), ValueError, "whole numbers"),
    (mg.tensor([0.0, 3.0]), mg.tensor(PREDS), ValueError, "label 3 is out of range for 3"),
    (mg.tensor([0.0, -1.0]), mg.tensor(PREDS), ValueError, "label -1 is out of range"),
    ([0, 2], mg.tensor(PREDS), TypeError, "labels as a tensor or a list of tensors, got list"),
    (mg.tensor([0.0, 2.0]), numpy.array(PREDS), TypeError, "preds as a tensor"),
])
def test_nll_refuses_bad_input_and_keeps_its_count(labels, preds, error, words):
    nll = NegativeLogLikelihood()
    with pytest.raises(error, match=words):
        nll.update(labels, preds)
    assert nll.num_inst == 0 and nll.sum_metric == 0.0
