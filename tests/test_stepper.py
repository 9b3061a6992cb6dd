"""autograd.step_backward: one frame per backward step, each op's rule in words, and the
animated page (its browser check is in test_steps_browser.py)."""
import importlib.util
import re
from pathlib import Path

import numpy

import microgradnd as mg
from microgradnd import autograd, ops
from microgradnd.stepper import derivative_order

ROOT = Path(__file__).resolve().parent.parent


def chapter_loss(device="cpu"):
    """The squared loss of a linear model on three examples (docs/internals.md's numbers)."""
    X = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    y = mg.tensor([1.0, 0.0, 2.0], device=device)
    w = mg.tensor([[0.5], [-1.0]], device=device)
    b = mg.tensor([0.25], device=device)
    w.attach_grad()
    b.attach_grad()
    with autograd.record() as tape:
        loss = (X.dot(w) + b - y.reshape((3, 1))) ** 2 / 2
    return tape, loss, X, w, b


# ---- every op says its rule in words ----


def _op_classes():
    """The package's op classes (not the deliberately broken ones some tests define)."""
    found, stack = [], [ops.Op]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub.__module__.startswith("microgradnd."):
                found.append(sub)
            stack.append(sub)
    return found


def test_every_op_class_states_its_rule():
    classes = _op_classes()
    assert len(classes) >= 40
    for cls in classes:
        assert "rule" in vars(cls), f"{cls.__name__} has no rule of its own"
        assert isinstance(cls.rule, str) and cls.rule.startswith("grad_"), cls.__name__


def _op_table():
    spec = importlib.util.spec_from_file_location("op_table", ROOT / "tests" / "test_ops.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_row_of_the_op_table_records_ops_with_rules():
    """Forward and a create_graph backward of each row: every node they record has a rule."""
    table = _op_table()
    for row in table.OPS:
        xs = [mg.tensor(x) for x in table._inputs(row, row.shapes[0],
                                                    numpy.random.default_rng(0))]
        for x in xs:
            x.attach_grad()
        with autograd.record() as tape:
            out = row.fn(*xs)
            steps = autograd.step_backward(out, xs, create_graph=True)
        assert len(tape) > 0, row.name
        for node in tape:
            assert node.op.rule, f"{row.name}: {node.name} has no rule"
        for frame in steps:
            assert frame.rule == f"{frame.node.name}: {frame.node.op.rule}"


# ---- frames ----

FRAME_3 = """\
step 3 of 5: %1 = add(%0, b)
  gradient in   (3, 1) [-2.25, -2.25, -5.25]
  rule          add: grad_a = g; grad_b = g
  sends         -> %0 (3, 1) [-2.25, -2.25, -5.25]
                -> b (3, 1) [-2.25, -2.25, -5.25] summed to (1,) [-9.75]
  .grad so far  b = [-9.75] (filled)"""


def test_frames_of_the_chapter_loss(device):
    _, loss, X, w, b = chapter_loss(device)
    steps = autograd.step_backward(loss, names={"X": X, "w": w, "b": b})
    assert len(steps) == 5 and steps.order == 1
    assert [f.op for f in steps] == ["div", "pow", "sub", "add", "matmul"]
    assert [f.index for f in steps] == list(range(5)) and steps[-1] is steps[4]
    assert steps[0].expression == "%4 = div(%3, 2)"
    assert steps[4].expression == "%0 = matmul(X, w)"
    assert steps[4].rule == "matmul: grad_a = g @ b.T; grad_b = a.T @ g"
    assert str(steps[3]) == FRAME_3
    numpy.testing.assert_array_equal(steps[0].grad_in.numpy(), numpy.ones((3, 1)))
    # which .grad fields are filled, step by step
    assert [sorted(f.grads) for f in steps] == [[], [], [], ["b"], ["b", "w"]]
    assert steps[3].changed == {"b": "filled"} and steps[4].changed == {"w": "filled"}
    assert [s.to for s in steps[3].sends] == ["%0", "b"]
    numpy.testing.assert_array_equal(steps[3].sends[1].summed, [-9.75])
    # the last frame's gradients are exactly what backward stored
    numpy.testing.assert_array_equal(steps[-1].grads["w"], w.grad.numpy())
    numpy.testing.assert_array_equal(steps[-1].grads["b"], b.grad.numpy())
    numpy.testing.assert_array_equal(w.grad.numpy().ravel(), [-35.25, -45.0])
    assert steps.result["w"] is w.grad
    assert "Backward, step by step: 5 step(s), derivative order 1" in str(steps)


def test_stepping_changes_nothing_backward_does():
    """The same graph stepped and plainly backpropagated gives bitwise the same .grad."""
    rng = numpy.random.default_rng(0)
    xs = [mg.tensor(rng.normal(size=(4, 3)).astype("float32")) for _ in range(2)]
    results = []
    for stepped in (False, True):
        a, c = (mg.tensor(x.numpy()) for x in xs)
        a.attach_grad()
        c.attach_grad()
        with autograd.record():
            h = (a * c).tanh() + a.exp().sum(axis=0)
            out = (h * h).mean()
        if stepped:
            steps = autograd.step_backward(out)
            assert len(steps) == 8
            numpy.testing.assert_array_equal(steps[-1].grads["var(4, 3)"], a.grad.numpy())
        else:
            out.backward()
        results.append((a.grad.numpy(), c.grad.numpy()))
    for plain, stepped in zip(*results):
        numpy.testing.assert_array_equal(plain, stepped)


def test_accumulation_and_grad_req_add():
    x = mg.tensor([1.0, 2.0])
    x.attach_grad(grad_req="add")
    x.grad[:] = 10.0
    with autograd.record():
        out = (x * x + x).sum()     # x receives three gradients: from add, and twice from mul
    steps = autograd.step_backward(out, names={"x": x})
    assert [f.op for f in steps] == ["sum", "add", "mul"]
    assert steps[1].changed == {"x": "accumulated"}       # onto the 10 already there
    assert steps[2].changed == {"x": "accumulated"}
    numpy.testing.assert_array_equal(steps[1].grads["x"], [11.0, 11.0])
    numpy.testing.assert_array_equal(steps[-1].grads["x"], x.grad.numpy())
    numpy.testing.assert_array_equal(x.grad.numpy(), [13.0, 15.0])


def test_grad_mode_with_an_intermediate_variable():
    x = mg.tensor([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        h = x * 3
        z = (h * h).sum()
    steps = autograd.step_backward(z, [h, x], names={"x": x, "h": h})
    assert x.grad.numpy().tolist() == [0.0, 0.0]       # grad() leaves .grad alone
    assert steps[1].expression == "%1 = mul(h, h)" and "h" not in steps[1].grads
    # h's gradient is kept when h's node runs; that node then sends x its gradient
    assert steps[2].changed == {"h": "filled", "x": "filled"}
    dh, dx = steps.result
    numpy.testing.assert_array_equal(steps[-1].grads["h"], dh.numpy())
    numpy.testing.assert_array_equal(steps[-1].grads["x"], dx.numpy())
    assert dx.numpy().tolist() == [18.0, 36.0]


def test_third_derivative_of_tanh_is_stepped_with_orders():
    x = mg.tensor([0.5, -1.0, 2.0], dtype="float64")
    x.attach_grad()
    with autograd.record():
        y = x.tanh()
    names = {"x": x}
    s1 = autograd.step_backward(y, [x], create_graph=True, names=names)
    s2 = autograd.step_backward(s1.result[0], [x], create_graph=True, names=names)
    s3 = autograd.step_backward(s2.result[0], [x], create_graph=True, names=names)
    assert [s.order for s in (s1, s2, s3)] == [1, 2, 3]
    # each pass records nodes of its own order; the graph it walks holds the earlier ones
    assert [node.name for _, node in s1[0].recorded] == ["tanh_grad"]
    for s in (s1, s2, s3):
        recorded = [node for f in s for _, node in f.recorded]
        assert recorded and {derivative_order(n) for n in recorded} == {s.order}
    assert {f.order for f in s2} == {0, 1} and {f.order for f in s3} == {0, 2}
    assert "derivative order 2" in str(s3[0])
    assert re.search(r"recorded +%\d+ = \w+\(.*\) \(derivative order 3\)", str(s3))
    assert s1[0].recorded[0][0] == "%1 = tanh_grad(seed, %0)"
    t = numpy.tanh(x.numpy())
    third = -2 * (1 - t ** 2) * (1 - 3 * t ** 2)
    numpy.testing.assert_allclose(s3.result[0].numpy(), third, rtol=1e-12)
    numpy.testing.assert_allclose(s3[-1].grads["x"], third, rtol=1e-12)
    # the stepped third derivative is the one autograd.grad gives
    (d1,) = autograd.grad(y, [x], create_graph=True)
    (d2,) = autograd.grad(d1, [x], create_graph=True)
    (d3,) = autograd.grad(d2, [x])
    numpy.testing.assert_array_equal(d3.numpy(), s3.result[0].numpy())


def test_recorded_nodes_still_reach_the_tape_and_an_outer_trace():
    x = mg.tensor([1.0, 2.0])
    x.attach_grad()
    with autograd.record() as tape:
        z = (x ** 3).sum()
        with autograd.trace_backward(tape) as trace:
            steps = autograd.step_backward(z, create_graph=True)
    assert len(trace) == len(steps) == 2
    recorded = [node for f in steps for _, node in f.recorded]
    assert recorded and all(any(n is r for n in tape) for r in recorded)
    numpy.testing.assert_array_equal(x.grad.numpy(), [3.0, 12.0])


def test_the_walk_is_left_as_it_was():
    from microgradnd.graph import state
    _, loss, *_ = chapter_loss()
    autograd.step_backward(loss)
    assert state.trace is None and state.tape is None and not state.recording


# ---- the page ----


def test_page_is_self_contained():
    _, loss, X, w, b = chapter_loss()
    page = autograd.step_backward(loss, names={"X": X, "w": w, "b": b}).html()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<script>" in page
    assert "https://" not in page and "<link" not in page and " src=" not in page
    assert page.count("class='item ") == 9        # 5 ops; X, w, b and y's constant
