"""autograd.explain_grad(y, x): one test per diagnosis, each from the smallest program that
shows it, and a true statement when none applies."""
import pytest

import microgradnd as mg
from microgradnd import autograd
from microgradnd.ops import where


def variable(values=(1.0, 2.0), grad_req="write", device="cpu"):
    x = mg.tensor(list(values), device=device)
    x.attach_grad(grad_req)
    return x


def test_x_is_not_a_variable(device):
    x = mg.tensor([1.0, 2.0], device=device)
    with autograd.record():
        y = (x * 2).sum()
    assert "x is not a variable" in autograd.explain_grad(y, x)
    assert "attach_grad()" in autograd.explain_grad(y, x)


def test_x_is_not_a_tensor():
    assert "not a Tensor" in autograd.explain_grad(mg.tensor(1.0), 3.0)


def test_x_was_used_outside_record(device):
    x = variable(device=device)
    z = x * 2
    with autograd.record():
        y = (z * 3).sum()
    assert "y was not recorded: it was computed outside record()" in autograd.explain_grad(y, x)


def test_x_is_not_in_the_graph_of_a_recorded_y(device):
    x, w = variable(device=device), variable(device=device)
    z = x * 2
    with autograd.record():
        y = (z * w).sum()
    assert "x is not in y's graph: no recorded op used it" in autograd.explain_grad(y, x)


def test_a_paused_block(device):
    x, w = variable(device=device), variable(device=device)
    with autograd.record():
        with autograd.pause():
            z = x * 2
        y = (z * w).sum()
    assert "inside a pause() block" in autograd.explain_grad(y, x)


@pytest.mark.parametrize("how, cut, says", [
    ("comparison", lambda x: x > 1.5, "a comparison (>)"),
    ("argmax", lambda x: x.argmax(), "argmax"),
    ("integer cast", lambda x: x.astype("int32"), "a cast to int32"),
    ("detach", lambda x: x.detach(), "detach()"),
])
def test_a_path_through_a_non_differentiable_op(how, cut, says, device):
    x, w = variable(device=device), variable(device=device)
    with autograd.record():
        y = (cut(x) * w).sum()
    text = autograd.explain_grad(y, x)
    assert says in text and "carries no gradient" in text


def test_y_itself_is_a_comparison(device):
    x = variable(device=device)
    with autograd.record():
        y = x > 1.5
    assert "made from x by a comparison (>)" in autograd.explain_grad(y, x)


def test_a_dead_relu(device):
    x = variable(device=device)
    with autograd.record() as tape:
        y = (x - 10).relu().sum()
    assert ("every path from x to y passes a zero slope: a dead relu: every input of 'relu' "
            "(tape row 1) is <= 0") in autograd.explain_grad(y, x, tape)


def test_a_where_that_took_the_other_branch(device):
    x = variable(device=device)
    with autograd.record():
        y = where(x > 10, x, 0.0).sum()
    assert "'where' (output (2,)) took the other branch everywhere" in autograd.explain_grad(y, x)


def test_a_saturated_clip(device):
    x = variable(device=device)
    with autograd.record():
        y = x.clip(5, 6).sum()
    assert "'clip' (output (2,)) is saturated" in autograd.explain_grad(y, x)


def test_gradients_that_cancel(device):
    x = variable(device=device)
    with autograd.record():
        y = (x - x).sum()
    assert "cancel" in autograd.explain_grad(y, x)


def test_a_graph_freed_by_an_earlier_backward(device):
    x = variable(device=device)
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    assert "freed by an earlier backward" in autograd.explain_grad(y, x)


def test_grad_req_add_not_zeroed(device):
    x = variable(grad_req="add", device=device)
    with autograd.record():
        y = (x * 3).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    assert "grad_req='add'" in autograd.explain_grad(y, x)


def test_y_computed_before_x_was_changed_in_place(device):
    x = variable(device=device)
    with autograd.record():
        y = (x * x).sum()
    x[:] = 5.0
    assert "y was computed before x was changed in place" in autograd.explain_grad(y, x)


def test_y_computed_before_x_was_replaced(device):
    x = variable(device=device)
    with autograd.record():
        y = (x * x).sum()
    x = variable(device=device)
    assert "replaced (x = ...): y's graph holds another variable of x's shape (2,)" in \
        autograd.explain_grad(y, x)


def test_attach_grad_after_y_was_computed(device):
    x, w = mg.tensor([1.0, 2.0], device=device), variable(device=device)
    with autograd.record():
        y = (x * w).sum()
    x.attach_grad()
    assert "before y was computed" in autograd.explain_grad(y, x)


def test_an_intermediate_result(device):
    x = variable(device=device)
    with autograd.record():
        h = x * 2
        y = (h * h).sum()
    assert "intermediate result" in autograd.explain_grad(y, h)


def test_none_applies_a_true_statement(device):
    x = variable(device=device)
    with autograd.record():
        y = (x * x).sum()
    assert "backward has not stored it" in autograd.explain_grad(y, x)
    y.backward(retain_graph=True)
    assert autograd.explain_grad(y, x) == (
        "x gets a nonzero gradient from y (2 of 2 elements nonzero), and x.grad holds it; "
        "none of the reasons for a missing or zero gradient applies")
    assert x.grad.numpy().tolist() == [2.0, 4.0]       # explain_grad left .grad alone


def test_grad_req_add_before_any_backward_is_not_blamed(device):
    x = variable(grad_req="add", device=device)
    with autograd.record():
        y = (x * 3).sum()
    assert "backward has not stored it in x.grad yet" in autograd.explain_grad(y, x)


def test_a_grad_written_by_another_backward(device):
    x = variable(device=device)
    with autograd.record():
        y = (x * 3).sum()
        z = (x * 5).sum()
    z.backward()
    assert autograd.explain_grad(y, x).startswith(
        "x.grad is [5, 5] but y gives [3, 3]: x.grad holds what the last backward wrote")
