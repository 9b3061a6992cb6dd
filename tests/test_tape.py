"""print(tape) and the backward trace, asserted line by line on the chapter's loss."""
import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd


def chapter_loss(device):
    """Squared loss of a linear model on three examples, with values exact in float32."""
    X = mg.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], device=device)
    y = mg.tensor([1.0, 0.0, 2.0], device=device)
    w = mg.tensor([[0.5], [-1.0]], device=device)
    b = mg.tensor([0.25], device=device)
    w.attach_grad()
    b.attach_grad()
    with autograd.record() as tape:
        y_hat = X.dot(w) + b
        loss = (y_hat - y.reshape(y_hat.shape)) ** 2 / 2
    return tape, loss, w, b


# saved: what each node keeps for backward, in float32 (4 B a number): matmul keeps X (6
# numbers) and w (2); add %0 (3) and b (1); sub %1 (3) and y reshaped, a view of y's 3 numbers;
# pow %2 (3); div %3 and its own output (its rule reads out), 3 each. 27 numbers, 108 B.
TAPE = """\
Tape: 5 recorded op(s)
#  op      inputs                  output  shape   dtype    saved
0  matmul  const(3, 2), var(2, 1)  %0      (3, 1)  float32  32 B
1  add     %0, var(1,)             %1      (3, 1)  float32  16 B
2  sub     %1, const(3, 1)         %2      (3, 1)  float32  24 B
3  pow     %2, 2                   %3      (3, 1)  float32  12 B
4  div     %3, 2                   %4      (3, 1)  float32  24 B
Saved for backward: 108 B in 9 buffer(s), each counted once (1 view(s) counted as their base)"""

TRACE = """\
Backward: 5 step(s), newest op first
step  node  op      grad in  grads out
0     %4    div     (3, 1)   -> %3 (3, 1)
1     %3    pow     (3, 1)   -> %2 (3, 1)
2     %2    sub     (3, 1)   -> %1 (3, 1)
3     %1    add     (3, 1)   -> %0 (3, 1); -> var(1,) (3, 1) summed to (1,)
4     %0    matmul  (3, 1)   -> var(2, 1) (2, 1)"""

def test_tape_table(device):
    tape, loss, _, _ = chapter_loss(device)
    assert str(tape).splitlines() == TAPE.splitlines()
    assert len(tape) == 5 and [n.name for n in tape] == ["matmul", "add", "sub", "pow", "div"]


def test_tape_after_backward_says_inputs_were_freed():
    tape, loss, _, _ = chapter_loss("cpu")
    loss.backward()
    lines = str(tape).splitlines()
    assert lines[2] == "0  matmul  (freed by backward)  %0      (3, 1)  float32  -"
    assert lines[-1] == "Saved for backward: nothing (backward freed it)"
    assert len(lines) == 8


def test_empty_tape():
    x = mg.tensor([1.0, 2.0])           # no gradient wanted: nothing is recorded
    with autograd.record() as tape:
        (x * 2.0).sum()
    assert str(tape) == "Tape: nothing recorded (no op had an input that needs a gradient)"


def test_trace_table(device):
    tape, loss, w, b = chapter_loss(device)
    with autograd.trace_backward(tape) as steps:
        loss.backward()                 # frees the graph; the trace kept what it needs
    assert str(steps).splitlines() == TRACE.splitlines()
    numpy.testing.assert_array_equal(w.grad.numpy(), [[-35.25], [-45.0]])
    numpy.testing.assert_array_equal(b.grad.numpy(), [-9.75])


def test_trace_steps_hold_the_gradients():
    tape, loss, w, b = chapter_loss("cpu")
    with autograd.trace_backward(tape) as steps:
        loss.backward()
    assert [s.node for s in steps] == list(reversed(tape.nodes))
    node, grad_in, grads_out = steps[3]         # the add: both inputs get the same gradient
    assert node.name == "add"
    numpy.testing.assert_array_equal(grad_in.numpy().ravel(), [-2.25, -2.25, -5.25])
    assert [g.shape for g in grads_out] == [(3, 1), (3, 1)]
    assert steps[2].grads_out[1] is None        # sub: the labels need no gradient


def test_trace_with_values():
    tape, loss, _, _ = chapter_loss("cpu")
    with autograd.trace_backward(tape) as steps:
        loss.backward()
    lines = steps.format(values=True).splitlines()
    header, rows = lines[1], lines[2:]
    assert header.split() == ["step", "node", "op", "grad", "in", "grads", "out"]
    assert rows[0].split() == "0 %4 div (3, 1) [1, 1, 1] -> %3 (3, 1) [0.5, 0.5, 0.5]".split()
    assert rows[1].split() == \
        "1 %3 pow (3, 1) [0.5, 0.5, 0.5] -> %2 (3, 1) [-2.25, -2.25, -5.25]".split()
    assert rows[3].endswith("-> var(1,) (3, 1) [-2.25, -2.25, -5.25] summed to (1,) [-9.75]")
    assert rows[4].endswith("-> var(2, 1) (2, 1) [-35.25, -45]")


def test_trace_without_tape_and_outside_the_block():
    x = mg.tensor(numpy.arange(10.0), requires_grad=True)
    with autograd.record():
        y = (x * x).sum()
    with autograd.trace_backward() as steps:
        y.backward(retain_graph=True)
    y.backward()                        # outside the block: not traced
    assert len(steps) == 2
    lines = steps.format(values=True).splitlines()
    assert lines[2].split()[:4] == ["0", "-", "sum", "()"]
    assert lines[3].endswith("-> var(10,) (10,) [0, 1, …, 8, 9]; "
                             "-> var(10,) (10,) [0, 1, …, 8, 9]")
    numpy.testing.assert_array_equal(x.grad.numpy(), 4 * numpy.arange(10.0))
    with autograd.trace_backward() as nothing:
        pass
    assert str(nothing) == "Backward: no steps traced (no backward ran inside trace_backward())"


def test_trace_of_a_second_order_pass():
    """With create_graph, the first backward's ops are recorded; the second is traced too."""
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with autograd.record() as tape:
        z = (x ** 3).sum()
        (g,) = autograd.grad(z, [x], create_graph=True)
        h = g.sum()
    assert [n.name for n in tape][:2] == ["pow", "sum"]
    with autograd.trace_backward(tape) as steps:
        h.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])     # d²/dx² x³ = 6x
    assert all(s.node in tape.nodes for s in steps[1:])


@pytest.mark.parametrize("nested", [False, True])
def test_trace_blocks_nest(nested):
    x = mg.tensor([1.0], requires_grad=True)
    with autograd.record():
        y = x * 2.0
    with autograd.trace_backward() as outer:
        if nested:
            with autograd.trace_backward() as inner:
                y.backward(retain_graph=True)
            assert len(inner) == 1
        y.backward()
    assert len(outer) == 1
