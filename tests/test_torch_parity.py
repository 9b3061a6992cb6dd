"""Parity with PyTorch, where it is installed: the same expressions, the same gradients."""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity tests skipped")



def max0(t):
    """max over axis 0 (PyTorch spells it amax; its max returns values and indices)."""
    return t.amax(0) if isinstance(t, torch.Tensor) else t.max(axis=0)


EXPRESSIONS = [
    ("chapter_loss", lambda X, w, b, y: ((X @ w + b - y.reshape(-1, 1)) ** 2 / 2).sum(),
     [(10, 2), (2, 1), (1,), (10,)]),
    ("mlp", lambda x, w1, w2: ((x @ w1).tanh() @ w2).sigmoid().mean(),
     [(4, 3), (3, 5), (5, 2)]),
    ("softmax_xent", lambda z, t: (z.exp().sum(axis=1).log() - (z * t).sum(axis=1)).mean(),
     [(4, 3), (4, 3)]),
    ("norms", lambda a, b: max0((a - b).abs() + (a * a + 1.0).sqrt()).sum(),
     [(5, 3), (3,)]),
    ("relu_pow", lambda a, b: (a.relu() ** 3 + b ** 2).T.reshape(-1)[1:5].sum(),
     [(2, 3), (2, 3)]),
]


@pytest.mark.parametrize("name, fn, shapes", EXPRESSIONS, ids=[e[0] for e in EXPRESSIONS])
def test_first_and_second_order_match_pytorch(name, fn, shapes):
    rng = numpy.random.default_rng(0)
    arrays = [rng.uniform(-1.0, 1.0, s) for s in shapes]
    xs = [mg.tensor(a) for a in arrays]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        out = fn(*xs)
        grads = autograd.grad(out, xs, create_graph=True)
        total = sum((g * g).sum() for g in grads)
    second = autograd.grad(total, xs)

    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    t_out = fn(*ts)
    t_grads = torch.autograd.grad(t_out, ts, create_graph=True)
    t_total = sum((g * g).sum() for g in t_grads)
    t_second = torch.autograd.grad(t_total, ts, allow_unused=True)

    numpy.testing.assert_allclose(out.item(), t_out.item(), rtol=1e-12)
    for g, tg in zip(grads, t_grads):
        numpy.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    for g, tg in zip(second, t_second):
        expected = numpy.zeros(g.shape) if tg is None else tg.numpy()
        numpy.testing.assert_allclose(g.numpy(), expected, rtol=1e-10, atol=1e-12)
