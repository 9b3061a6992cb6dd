"""mg.checkpoint: the same gradients (first and second order), less memory, a visible re-run."""
import numpy
import pytest

import microgradnd as mg
from benchmarks.checkpoint_memory import forward, make_mlp, peak_bytes
from microgradnd import autograd, np


def block(h, w1, w2, scale=1.0):
    """Two tanh layers; `scale` is a plain argument the checkpoint must keep."""
    return (h.dot(w1) * scale).tanh().dot(w2).sin()


def parameters(device, seed=0):
    rng = numpy.random.RandomState(seed)
    return [mg.tensor(rng.randn(*shape) * 0.7, requires_grad=True, device=device)
            for shape in [(3, 4), (4, 4), (4, 5), (5, 2)]]


def loss_of(params, checked):
    x, w1, w2, w3 = params
    h = mg.checkpoint(block, x, w1, w2, scale=0.5) if checked else block(x, w1, w2, scale=0.5)
    return (h.dot(w3) ** 2).sum()


def first_order(params, checked):
    with autograd.record():
        loss = loss_of(params, checked)
    return [g.numpy() for g in autograd.grad(loss, params)]


def second_order(params, checked):
    """d/dp of |dL/dx|² + |dL/dw1|²: differentiates the checkpoint's backward rule itself."""
    x, w1 = params[:2]
    with autograd.record():
        loss = loss_of(params, checked)
        gx, gw1 = autograd.grad(loss, [x, w1], create_graph=True)
        again = (gx ** 2).sum() + (gw1 ** 2).sum()
    return [g.numpy() for g in autograd.grad(again, params)]


def test_first_order_gradients_are_identical(device):
    params = parameters(device)
    for plain, checked in zip(first_order(params, False), first_order(params, True)):
        numpy.testing.assert_array_equal(checked, plain)


def test_second_order_gradients_are_identical(device):
    params = parameters(device)
    for plain, checked in zip(second_order(params, False), second_order(params, True)):
        # the same operations; only the order in which gradients are summed may differ
        numpy.testing.assert_allclose(checked, plain, rtol=1e-12, atol=1e-12)
        assert numpy.abs(plain).max() > 0


def test_backward_fills_grad_like_the_plain_block(device):
    grads = []
    for checked in (False, True):
        params = parameters(device)
        with autograd.record():
            loss = loss_of(params, checked)
        loss.backward()
        grads.append([p.grad.numpy() for p in params])
    for plain, checked in zip(*grads):
        numpy.testing.assert_array_equal(checked, plain)


def test_functional_transforms_through_a_checkpoint():
    """mg.hvp (reverse over reverse) and grad(grad(f)) see the same function either way."""
    w = mg.tensor(numpy.linspace(-1.0, 1.0, 6).reshape(2, 3))

    def f(checked):
        def loss(x):
            h = mg.checkpoint(block, x, w, w.T) if checked else block(x, w, w.T)
            return (h ** 2).sum()
        return loss

    x = numpy.array([[0.3, -0.2], [0.1, 0.9]])
    v = numpy.array([[1.0, 0.5], [-0.5, 2.0]])
    numpy.testing.assert_allclose(mg.hvp(f(True), x, v).numpy(),
                                  mg.hvp(f(False), x, v).numpy(), rtol=1e-12)
    def along(checked):         # f on the line t -> (t, 2t): a scalar function of t
        return lambda t: f(checked)(t.reshape(1, 1) * mg.tensor([[1.0, 2.0]]))

    t = numpy.array(0.4)
    second = mg.grad(mg.grad(along(True)))(t).numpy()
    numpy.testing.assert_allclose(second, mg.grad(mg.grad(along(False)))(t).numpy(), rtol=1e-12)
    assert second != 0


def dropout_block(h, w):
    """Dropout drawn from np.random: the re-run must draw the same mask."""
    mask = np.random.uniform(0, 1, h.shape, dtype=h.dtype) > 0.5
    return (h * mask / 0.5).dot(w).tanh()


def test_random_state_is_replayed_in_the_recomputation():
    params = parameters("cpu")
    x, w1 = params[:2]
    grads = []
    for checked in (False, True):
        np.random.seed(7)
        with autograd.record():
            h = mg.checkpoint(dropout_block, x, w1) if checked else dropout_block(x, w1)
            loss = (h ** 2).sum()
        after_forward = numpy.random.get_state()[1].copy()
        grads.append([g.numpy() for g in autograd.grad(loss, [x, w1])])
        # the re-run drew the forward's mask again, then gave the generator back untouched
        numpy.testing.assert_array_equal(numpy.random.get_state()[1], after_forward)
    for plain, checked in zip(*grads):
        numpy.testing.assert_array_equal(checked, plain)
    assert (grads[0][0] == 0).any()         # the mask did drop something


def test_train_mode_is_replayed():
    seen = []

    def fn(h):
        seen.append(autograd.is_training())
        return h * 2.0

    x = mg.tensor([1.0], requires_grad=True)
    with autograd.record(train_mode=False):
        y = mg.checkpoint(fn, x)
    with autograd.train_mode():
        y.backward()
    assert seen == [False, False]
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0])


def test_the_recomputation_is_in_the_backward_trace():
    params = parameters("cpu")
    with autograd.record() as tape:
        loss = loss_of(params, True)
    assert [n.name for n in tape] == ["checkpoint", "matmul", "pow", "sum"]
    with autograd.trace_backward(tape) as steps:
        loss.backward()
    lines = str(steps).splitlines()
    assert lines[0] == "Backward: 4 step(s), newest op first"
    assert lines[5].split()[:3] == ["3", "%0", "checkpoint"]
    # step 3 re-ran the block (matmul, mul, tanh, matmul, sin) and walked back through it
    inner = [line.split()[:3] for line in lines[6:]]
    assert inner == [["3.0", "fn%4", "sin"], ["3.1", "fn%3", "matmul"], ["3.2", "fn%2", "tanh"],
                     ["3.3", "fn%1", "mul"], ["3.4", "fn%0", "matmul"]]
    recomputed = tape.nodes[0].op.inner_trace(tape.nodes[0])
    assert [n.name for n in recomputed.tape] == ["matmul", "mul", "tanh", "matmul", "sin"]


def test_step_backward_frame_shows_the_recomputation():
    params = parameters("cpu")
    with autograd.record():
        loss = loss_of(params, True)
    steps = autograd.step_backward(loss)
    frame = steps[3]
    assert frame.op == "checkpoint" and frame.recomputed is not None
    text = str(frame)
    assert ("recomputed    fn re-ran: 5 op(s) (matmul, mul, tanh, matmul, sin); its backward "
            "took 5 step(s)") in text
    assert all(f.recomputed is None for f in steps.frames[:3])


def test_create_graph_records_the_recomputation_on_the_tape():
    params = parameters("cpu")
    x = params[0]
    with autograd.record() as tape:
        loss = loss_of(params, True)
        autograd.grad(loss, [x], create_graph=True)
    names = [n.name for n in tape]
    assert names[:4] == ["checkpoint", "matmul", "pow", "sum"]
    assert "sin" in names[4:] and "alias" in names[4:]     # the re-run, from the block's inputs


def test_peak_memory_of_a_deep_mlp_drops():
    """A 100-layer tanh MLP: every layer's activations kept, or one block's at a time."""
    weights = make_mlp(100, 16)
    x = mg.tensor(numpy.random.RandomState(1).randn(256, 16))
    plain, g_plain = peak_bytes(weights, x)
    checked, g_checked = peak_bytes(weights, x, every=10)
    for p, q in zip(g_plain, g_checked):
        numpy.testing.assert_array_equal(q, p)
    # 200 activations of 32 KiB kept, against 10 block inputs + one block's 20 (0.16 measured)
    assert checked < 0.35 * plain, (checked, plain)


def test_checkpoint_frees_the_inside_after_forward():
    weights = make_mlp(4, 3)
    x = mg.tensor(numpy.ones((2, 3)))
    with autograd.record() as tape:
        forward(weights, x, every=2).sum()
    assert [n.name for n in tape] == ["checkpoint", "checkpoint", "sum"]


def test_without_recording_it_is_just_fn():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.checkpoint(block, x.reshape(1, 2), mg.tensor(numpy.eye(2)), mg.tensor(numpy.eye(2)))
    assert y._node is None
    with autograd.record() as tape:
        mg.checkpoint(lambda a: a * 2.0, mg.tensor([1.0]))   # nothing wants a gradient
    assert len(tape) == 0


def test_second_backward_through_a_freed_checkpoint_refuses():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with autograd.record():
        y = mg.checkpoint(lambda a: (a * a).sum(), x)
    y.backward()
    with pytest.raises(mg.GraphError, match="checkpoint"):
        y.backward()


def test_fn_must_return_one_tensor():
    x = mg.tensor([1.0], requires_grad=True)
    with autograd.record(), pytest.raises(TypeError, match="one Tensor.*tuple"):
        mg.checkpoint(lambda a: (a, a), x)


def test_notebook_views_show_the_recomputation():
    params = parameters("cpu")
    with autograd.record() as tape:
        loss = loss_of(params, True)
    with autograd.trace_backward(tape) as steps:
        loss.backward()
    html = steps._repr_html_()
    assert "<b>Backward</b>: 4 step(s)" in html
    assert "re-ran fn: 5 op(s) (matmul, mul, tanh, matmul, sin)" in html
    assert "<b>Backward</b>: 5 step(s)" in html            # the re-run's own table, nested
    params = parameters("cpu")
    with autograd.record():
        loss = loss_of(params, True)
    frame = autograd.step_backward(loss)[3]
    assert "<th>recomputed</th>" in frame._repr_html_()


def test_a_tensor_keyword_argument_that_needs_a_gradient_is_refused():
    x = mg.tensor([1.0], requires_grad=True)
    with autograd.record(), pytest.raises(TypeError, match="w= .*positionally"):
        mg.checkpoint(lambda a, w: a * w, x, w=x)


def test_forward_mode_through_a_checkpoint():
    """Inside jvp the block runs plainly: the tangent is fn's, recorded or not."""
    def f(x):
        return (x * x).tanh()

    x = mg.tensor([0.5, 1.0], requires_grad=True)
    v = mg.tensor([1.0, 0.0])
    _, plain = mg.jvp(f, (x,), (v,))
    for recording in (False, True):
        with autograd.record() if recording else autograd.pause():
            _, checked = mg.jvp(lambda t: mg.checkpoint(f, t), (x,), (v,))
        numpy.testing.assert_array_equal(checked.numpy(), plain.numpy())
