"""The engine's behaviour beyond single ops: graph shapes, grad_req, freeing, errors, dtypes."""
import gc
import sys
import threading
import tracemalloc
import weakref

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd


def var(values, dtype=numpy.float64, device="cpu", grad_req="write"):
    t = mg.tensor(numpy.asarray(values, dtype=dtype), device=device)
    t.attach_grad(grad_req)
    return t


# ---- graph shapes ----


def test_fan_out_sums_every_path(device):
    x = var([1.0, 2.0], device=device)
    with autograd.record():
        y = x * x + x.exp() + 3 * x          # x used by four consumers
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + numpy.exp(x.numpy()) + 3)


def test_diamond_reuse_of_an_intermediate(device):
    x = var([0.5, -1.0, 2.0], device=device)
    with autograd.record():
        h = x.tanh()
        y = (h * h + h.exp() * h).sum()     # h reached along three paths
    y.backward()
    t = numpy.tanh(x.numpy())
    dt = 1 - t * t
    numpy.testing.assert_allclose(x.grad.numpy(), (2 * t + numpy.exp(t) * (t + 1)) * dt)


def test_million_op_chain_backpropagates_without_recursion():
    x = var(numpy.float64(1.0))
    n = 1_000_000
    limit = sys.getrecursionlimit()
    with autograd.record():
        y = x
        for _ in range(n):
            y = y * 1.0000001
    y.backward()
    assert sys.getrecursionlimit() == limit
    assert x.grad.item() == pytest.approx(1.0000001 ** n, rel=1e-9)


def test_dropping_a_deep_unbackwarded_graph_does_not_crash():
    x = var(numpy.float64(1.0))
    with autograd.record():
        y = x
        for _ in range(200_000):
            y = y + 1.0
    ref = weakref.ref(y)
    del y                                     # freed iteratively by CPython's trashcan
    assert ref() is None


def test_max_ties_share_the_gradient():
    x = var([1.0, 3.0, 3.0])
    with autograd.record():
        y = x.max()
    y.backward()
    assert x.grad.numpy().tolist() == [0.0, 0.5, 0.5]


def test_backward_visits_only_what_leads_to_the_output():
    x, z = var([1.0]), var([2.0])
    with autograd.record():
        unrelated = z * 5
        y = x * 3
        with autograd.trace_backward() as steps:
            y.backward()
    assert [node.name for node, _, _ in steps] == ["mul"]
    assert z.grad.item() == 0.0 and unrelated.shape == (1,)


def test_no_gradient_work_for_inputs_that_need_none():
    X = mg.tensor(numpy.ones((4, 3)))
    w = var(numpy.ones((3, 1)))
    with autograd.record():
        y = X.dot(w).sum()
    with autograd.trace_backward() as steps:
        y.backward()
    matmul_grads = [grads for node, _, grads in steps if node.name == "matmul"][0]
    assert matmul_grads[0] is None and matmul_grads[1].shape == (3, 1)


# ---- recording ----


def test_nothing_recorded_outside_record_or_inside_pause():
    x = var([1.0, 2.0])
    y = x * 2
    assert y.is_leaf and not y.requires_grad
    with autograd.record() as tape:
        z = x * 2
        with autograd.pause():
            assert not autograd.is_recording()
            p = x * 3
        assert autograd.is_recording()
    assert not autograd.is_recording()
    assert len(tape) == 1 and not z.is_leaf and p.is_leaf


def test_constants_alone_are_not_recorded():
    a = mg.tensor([1.0, 2.0])
    with autograd.record() as tape:
        b = a * 2 + 1
    assert len(tape) == 0 and b.is_leaf


def test_recording_is_thread_local():
    seen = []
    with autograd.record():
        t = threading.Thread(target=lambda: seen.append(autograd.is_recording()))
        t.start()
        t.join()
        assert autograd.is_recording()
    assert seen == [False]


def test_backward_after_the_block_closed():
    x = var([3.0])
    with autograd.record():
        y = x ** 2
    y.backward()                               # the seed calls backward outside the block
    assert x.grad.item() == 6.0


def test_non_scalar_head_is_summed():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x * x
    y.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_head_grad_weights_the_output():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 3
    y.backward(mg.tensor(numpy.array([1.0, 10.0])))
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0, 30.0])


def test_inplace_add_inside_record_is_recorded_as_new_value():
    x = var([1.0, 2.0])
    with autograd.record():
        c = x * 2
        before = c
        c += x                                 # recorded as c = c + x
    assert c is not before
    c.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    numpy.testing.assert_allclose(before.numpy(), [2.0, 4.0])


def test_inplace_updates_outside_recording_change_data_and_version():
    t = mg.tensor([1.0, 2.0])
    data = t.data
    t += 1
    t *= 2
    t -= 1
    t /= 3
    t[0] = 10
    assert t.data is data and t._version == 5
    numpy.testing.assert_allclose(t.numpy(), [10.0, 5.0 / 3], rtol=1e-6)


# ---- grad_req ----


def test_grad_req_write_overwrites_and_add_accumulates():
    w, a = var([1.0]), var([1.0], grad_req="add")
    for _ in range(3):
        with autograd.record():
            y = w * 2 + a * 5
        y.backward()
    assert w.grad.item() == 2.0 and a.grad.item() == 15.0
    a.zero_grad()
    assert a.grad.item() == 0.0


def test_requires_grad_true_means_add():
    x = mg.tensor([2.0], requires_grad=True)
    assert x.requires_grad and x.grad is None
    for _ in range(2):
        with autograd.record():
            y = x * x
        y.backward()
    assert x.grad.item() == 8.0
    x.grad = None
    with autograd.record():
        y = x * x
    y.backward()
    assert x.grad.item() == 4.0


def test_grad_req_null_gives_no_gradient():
    x, n = var([1.0]), var([1.0], grad_req="null")
    with autograd.record():
        y = x * n
    y.backward()
    assert n.grad is None and x.grad.item() == 1.0


def test_write_keeps_the_grad_buffer_object():
    w = var([1.0, 2.0])
    buf = w.grad
    with autograd.record():
        y = (w * 3).sum()
    y.backward()
    assert w.grad is buf and buf.numpy().tolist() == [3.0, 3.0]


def test_two_leaves_never_share_one_gradient_array():
    a, b = var([1.0]), var([2.0])
    with autograd.record():
        y = a + b
    y.backward()
    a.grad[0] = 100.0
    assert b.grad.item() == 1.0


def test_within_one_pass_contributions_are_summed_for_write():
    x = var([1.0])
    with autograd.record():
        y1, y2 = x * 2, x * 3
    autograd.backward([y1, y2])
    assert x.grad.item() == 5.0


def test_integer_tensors_cannot_attach_grad():
    for t in (mg.tensor([1, 2]), mg.tensor([True])):
        with pytest.raises(TypeError, match="floating-point"):
            t.attach_grad()
    with pytest.raises(TypeError):
        mg.tensor([1, 2], requires_grad=True)


def test_attach_grad_on_a_recorded_result_keeps_its_gradient_and_the_graph():
    # MXNet 2 / PyTorch retain_grad: u keeps its gradient, and x still gets its own.
    x = var([1.0, 2.0], "float64")
    with autograd.record():
        u = x * x
        u.attach_grad("add")
        y = (u * 3.0).sum()
    assert not u.is_leaf and u.requires_grad
    for k in (1, 2):
        y.backward(retain_graph=True)
        numpy.testing.assert_allclose(u.grad.numpy(), [3.0 * k, 3.0 * k])
    numpy.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])     # 'write': last pass only
    dx, = autograd.grad(y, [x])                                    # grad() leaves .grad alone
    numpy.testing.assert_allclose(dx.numpy(), [6.0, 12.0])
    numpy.testing.assert_allclose(u.grad.numpy(), [6.0, 6.0])


def test_detach_cuts_the_graph_and_shares_memory():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
        d = y.detach()
        z = d * x
    z.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert d.data is y.data and d.is_leaf


# ---- autograd.grad ----


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    x, y = var([1.0, 2.0]), var([3.0, 4.0])
    x.grad[:] = 7.0
    with autograd.record():
        h = x * y
        z = h.sum()
    gx, gy, gh = autograd.grad(z, [x, y, h])
    numpy.testing.assert_allclose(gx.numpy(), [3.0, 4.0])
    numpy.testing.assert_allclose(gy.numpy(), [1.0, 2.0])
    numpy.testing.assert_allclose(gh.numpy(), [1.0, 1.0])
    assert x.grad.numpy().tolist() == [7.0, 7.0] and y.grad.numpy().tolist() == [0.0, 0.0]


def test_grad_of_an_unused_variable_is_zero():
    x, u = var([1.0]), var([[1.0, 2.0]])
    with autograd.record():
        y = x * 2
    gx, gu = autograd.grad(y, [x, u])
    assert gx.item() == 2.0 and gu.numpy().tolist() == [[0.0, 0.0]]


def test_create_graph_gives_differentiable_gradients():
    x = var([1.5])
    with autograd.record():
        y = x ** 3
        (g,) = autograd.grad(y, [x], create_graph=True)
        (gg,) = autograd.grad(g, [x], create_graph=True)
    (ggg,) = autograd.grad(gg, [x])
    assert (g.item(), gg.item(), ggg.item()) == pytest.approx((3 * 1.5 ** 2, 6 * 1.5, 6.0))


def test_backward_with_create_graph_keeps_grad_differentiable():
    x = var([2.0])
    with autograd.record():
        y = x ** 4
        y.backward(create_graph=True)
        gx = x.grad                          # 4x³ with its graph
    assert gx.item() == 32.0 and gx.requires_grad
    (second,) = autograd.grad(gx, [x])
    assert second.item() == 48.0


# ---- freeing ----


def test_backward_frees_saved_tensors():
    x = var([1.0, 2.0])
    with autograd.record():
        h = x.exp()
        y = (h * 2).sum()
    ref = weakref.ref(h)
    del h
    assert ref() is not None                 # the mul node still needs h
    y.backward()
    assert ref() is None


def test_backward_needs_no_more_memory_than_the_forward_held():
    """Each saved vector is freed as soon as its node has run, so peak memory does not grow."""
    n = 100_000
    X, y = mg.tensor(numpy.ones((n, 3))), mg.tensor(numpy.ones(n))
    w, b = var(numpy.ones((3, 1))), var(numpy.zeros(1))
    tracemalloc.start()
    try:
        with autograd.record():
            loss = ((X.dot(w) + b - y.reshape(-1, 1)) ** 2).sum()
        held, _ = tracemalloc.get_traced_memory()          # Xw, +b, -y, **2: four n-vectors
        tracemalloc.reset_peak()
        loss.backward()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    vector = n * 8
    assert held < 4.1 * vector
    assert peak < held + 0.1 * vector        # no n-sized temporary beyond what forward held


def test_dropping_the_output_frees_the_graph_without_gc():
    gc.disable()
    try:
        x = var(numpy.ones(1000))
        with autograd.record():
            h = x.tanh()
            y = (h * h).sum()
        ref = weakref.ref(h)
        del h, y
        assert ref() is None                 # no cycle: reference counting alone frees it
    finally:
        gc.enable()


def test_second_backward_without_retain_graph_raises():
    x = var([1.0])
    with autograd.record():
        y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(mg.GraphError, match="retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = var([1.0], grad_req="add")
    with autograd.record():
        y = (x * 5).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == 10.0


# ---- versions: in-place changes to saved values ----


def test_inplace_change_of_a_saved_input_raises_naming_the_op():
    x = var([1.0, 2.0])
    with autograd.record():
        h = x * 2
        y = (h * h).sum()
    h[0] = 5.0
    with pytest.raises(mg.GraphError, match="'mul'.*modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_output_raises():
    x = var([1.0, 2.0])
    with autograd.record():
        e = x.exp()
    e += 1.0
    with pytest.raises(mg.GraphError, match="'exp'"):
        e.backward()


def test_sgd_update_of_a_parameter_does_not_break_the_next_step():
    w = var([1.0])
    for _ in range(2):
        with autograd.record():
            loss = (w * w).sum()
        loss.backward()
        w[:] = w - 0.1 * w.grad
    assert w.item() == pytest.approx(0.64)


# ---- errors that teach ----


@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: a.dot(b), ((2, 3), (4, 5))),
    (lambda a, b: a @ b, ((2, 3), (4,))),
    (lambda a, b: a + b, ((2, 3), (4,))),
    (lambda a, b: a * b, ((2, 3), (3, 2))),
])
def test_shape_errors_name_both_shapes(fn, shapes):
    a, b = (mg.tensor(numpy.ones(s)) for s in shapes)
    with pytest.raises(mg.ShapeError) as info:
        fn(a, b)
    assert str(shapes[0]) in str(info.value) and str(shapes[1]) in str(info.value)


def test_reshape_error_names_shapes():
    with pytest.raises(mg.ShapeError, match=r"\(2, 3\).*\(4,\)"):
        mg.tensor(numpy.ones((2, 3))).reshape(4)


def test_shape_errors_are_raised_at_the_op_even_when_recording():
    x = var(numpy.ones((2, 3)))
    with autograd.record(), pytest.raises(mg.ShapeError):
        x @ x


def test_backward_of_something_never_recorded_says_how_to_record():
    y = mg.tensor([1.0]) * 2
    with pytest.raises(mg.GraphError, match="autograd.record()"):
        y.backward()


def test_wrong_head_grad_shape():
    x = var([1.0, 2.0])
    with autograd.record():
        y = x * 2
    with pytest.raises(mg.ShapeError, match=r"\(3,\).*\(2,\)"):
        y.backward(mg.tensor([1.0, 1.0, 1.0]))


def test_grad_of_a_tensor_that_needs_none():
    x, c = var([1.0]), mg.tensor([2.0])
    with autograd.record():
        y = x * c
    with pytest.raises(mg.GraphError, match="attach_grad"):
        autograd.grad(y, [c])


def test_error_types_subclass_the_usual_python_errors():
    assert issubclass(mg.ShapeError, ValueError)
    assert issubclass(mg.DeviceError, RuntimeError)
    assert issubclass(mg.GraphError, RuntimeError)
    assert issubclass(mg.GradcheckError, AssertionError)


def test_gradcheck_failure_names_input_element_and_values():
    def wrong(a):
        return a * a.detach()              # the detach hides half the derivative
    with pytest.raises(mg.GradcheckError, match=r"input 0 .*element \(0,\).*reverse mode gives"):
        mg.gradcheck(wrong, [numpy.array([1.0, 2.0])])


# ---- edge cases with defined answers ----


def test_power_zero_has_zero_slope_even_at_zero():
    x = var([0.0, 2.0])
    with autograd.record():
        y = x ** 0
    y.backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0]
    e = var([0.0, 2.0])
    with autograd.record():
        y = mg.tensor([0.0, 0.0], dtype="float64") ** e
    y.backward()
    assert e.grad.numpy()[1] == 0.0


def test_zero_to_a_positive_tensor_power_has_zero_slope_in_the_exponent():
    e = var([0.5, 2.0])
    with autograd.record():
        y = 0.0 ** e
    y.backward()
    assert e.grad.numpy().tolist() == [0.0, 0.0]


def test_log_of_zero_is_minus_inf_with_infinite_gradient(recwarn):
    x = var([0.0, 1.0])
    with autograd.record():
        y = x.log()
    y.backward()
    assert y.numpy()[0] == -numpy.inf and x.grad.numpy()[0] == numpy.inf
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_empty_and_zero_d_tensors_flow_through_backward():
    for shape in [(0,), (0, 3), ()]:
        x = var(numpy.ones(shape))
        with autograd.record():
            y = (x.exp() * 2 + x.tanh()).sum()
        y.backward()
        assert x.grad.shape == shape


# ---- dtypes, construction, conversion ----


def test_python_values_become_float32_and_int64():
    assert mg.tensor(1.5).dtype == numpy.float32
    assert mg.tensor([1.0, 2]).dtype == numpy.float32
    assert mg.tensor(3).dtype == numpy.int64
    assert mg.tensor([True]).dtype == numpy.bool_


def test_arrays_keep_dtype_and_share_memory():
    a = numpy.arange(4.0)
    t = mg.tensor(a)
    assert t.dtype == numpy.float64 and t.data is a
    a[0] = 9
    assert t.numpy()[0] == 9
    assert mg.tensor(a, dtype="float32").data is not a


def test_python_scalars_take_the_tensors_dtype():
    t = mg.tensor([1.0, 2.0])
    for out in (t * 2.5, 2.5 * t, t + 1, t / 3, 1 - t, t ** 2, 2.0 ** t):
        assert out.dtype == numpy.float32


def test_gradient_has_its_tensors_dtype_and_shape():
    w = var(numpy.ones((2, 1)), dtype=numpy.float32)
    with autograd.record():
        y = (mg.tensor(numpy.ones((5, 2))).dot(w) + 1).sum()   # float64 data, float32 w
    y.backward()
    assert w.grad.dtype == numpy.float32 and w.grad.shape == (2, 1)


def test_numpy_array_on_the_left_gives_a_tensor():
    t = var([1.0, 2.0])
    a = numpy.array([10.0, 20.0])
    for out in (a + t, a - t, a * t, a / t, a < t):
        assert isinstance(out, mg.Tensor)
    with autograd.record():
        y = (a * t).sum()
    y.backward()
    assert t.grad.numpy().tolist() == [10.0, 20.0]


def test_conversions():
    t = mg.tensor([[1.0, 2.0]])
    assert numpy.asarray(t).tolist() == [[1.0, 2.0]]
    assert t.numpy().tolist() == t.asnumpy().tolist() == t.tolist() == [[1.0, 2.0]]
    assert mg.tensor(2.5).item() == 2.5 and float(mg.tensor([2.5])) == 2.5
    assert len(t) == 1 and t.ndim == 2 and t.size == 2 and t.device == "cpu"
    assert [r.shape for r in mg.tensor(numpy.ones((3, 2)))] == [(2,)] * 3


def test_repr_shows_values_dtype_device_and_grad():
    x = var([1.0, 2.0], dtype=numpy.float32)
    assert repr(x) == ("tensor([1., 2.], dtype=float32, device='cpu', grad_req='write')")
    with autograd.record():
        y = x * 2
    assert "op=mul" in repr(y)
    assert str(y) == "[2. 4.]"


def test_comparisons_are_boolean_and_not_recorded():
    x = var([1.0, 2.0])
    with autograd.record():
        m = x > 1.5
    assert m.dtype == numpy.bool_ and m.is_leaf and m.tolist() == [False, True]
    assert (x == x).tolist() == [True, True]
    assert len({x, m}) == 2                       # tensors stay hashable


def test_getitem_with_repeated_indices_accumulates():
    x = var([1.0, 2.0, 3.0])
    with autograd.record():
        y = x[numpy.array([0, 0, 2, 0])].sum()
    y.backward()
    assert x.grad.numpy().tolist() == [3.0, 0.0, 1.0]


def test_mxnet_mode_switches_set_and_restore_recording_and_training():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
        with autograd.predict_mode():
            assert not autograd.is_training()
        assert autograd.is_training()
    assert not autograd.is_training()
    x = mg.tensor([2.0])
    x.attach_grad()
    assert autograd.set_recording(True) is False
    try:
        assert autograd.set_training(True) is False
        y = x * x                       # recorded without a record() block, as in MXNet
    finally:
        assert autograd.set_recording(False) is True
        assert autograd.set_training(False) is True
    y.backward()
    assert x.grad.item() == 4.0
    assert not autograd.is_recording() and not autograd.is_training()


# ---- a result of a freed graph is a constant in later recordings (API §2, MXNet's rule) ----


def test_result_of_a_freed_graph_enters_a_new_recording_as_a_constant(device):
    """MXNet 1.9.1: y = 2x; y.sum().backward(); then (3y + x).sum().backward() gives x.grad = 1."""
    x = mg.tensor([1.0, 1.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = 2 * x
        s = y.sum()
    s.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with autograd.record() as tape:
        z = (3 * y + x).sum()
    assert [n.name for n in tape] == ["add", "sum"]     # 3 * y: two constants, not recorded
    assert "add  const(2,), var(2,)" in str(tape)
    z.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


def test_freed_result_alone_gives_an_unrecorded_result(device):
    """Every input a constant: nothing is recorded, so backward says it was not recorded."""
    x = mg.tensor([1.0, 2.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = x * x
        s = y.sum()
    s.backward()
    with autograd.record():
        t = (y * 2).sum()
    assert not t.requires_grad
    with pytest.raises(mg.GraphError, match="not recorded"):
        t.backward()


def test_the_rnn_pattern_carries_state_across_minibatches(device):
    """The book's RNN: the hidden state keeps the previous minibatch's (freed) graph."""
    W = mg.tensor(numpy.full((3, 3), 0.1), device=device)
    W.attach_grad()
    h = mg.tensor(numpy.ones((1, 3)), device=device)
    grads = []
    for _ in range(3):
        with autograd.record():
            h = (h @ W).tanh()          # h of the last minibatch is a constant here
            loss = h.sum()
        loss.backward()
        grads.append(W.grad.numpy().copy())
    h_in = numpy.tanh(numpy.tanh(numpy.ones((1, 3)) @ numpy.full((3, 3), 0.1))
                      @ numpy.full((3, 3), 0.1))
    expected = h_in.T @ (1 - numpy.tanh(h_in @ numpy.full((3, 3), 0.1)) ** 2)
    numpy.testing.assert_allclose(grads[-1], expected, rtol=1e-12)


@pytest.mark.parametrize("second", ["other_head", "same_head"])
def test_a_node_freed_after_the_consumer_was_recorded_still_raises(second, device):
    """Two heads of one graph, or backward twice: the GraphError of a freed graph."""
    x = mg.tensor([1.0, 2.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = 2 * x
        a = y.sum()
        b = (y * y).sum()
    a.backward()
    with pytest.raises(mg.GraphError, match="a second time"):
        (b if second == "other_head" else a).backward()


def test_retain_graph_keeps_results_differentiable_in_later_recordings(device):
    """With retain_graph the old graph is alive, so gradients still flow through it."""
    x = mg.tensor([1.0, 1.0], device=device)
    x.attach_grad()
    with autograd.record():
        y = 2 * x
        s = y.sum()
    s.backward(retain_graph=True)
    with autograd.record():
        z = (3 * y + x).sum()
    z.backward()
    numpy.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])
