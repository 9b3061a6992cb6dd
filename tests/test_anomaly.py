"""detect_anomaly(): each classic pattern, in forward and backward, at first and second order, on
each backend, must name the op that made the first non-finite value, its tape row and the line
that recorded it; with the mode off nothing changes.

Each case builds a loss from x; the line the error must blame ends in `# blamed`.
"""
import inspect
import math

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd
from microgradnd.ops import maximum, where

# ---- the cases: (name, phase, blamed op, its tape row at first order, allow) ----


def sqrt_of_negative(x):
    return (x - 3).sqrt()  # blamed


def log_of_zero(x):
    return (x - 2).log()  # blamed


def exp_overflow(x):
    return (x * 500.0).exp()  # blamed


def division_by_zero(x):
    return 1.0 / (x - 2)  # blamed


def sqrt_at_zero(x):        # the issue's example: b's sqrt has an infinite slope at a = 0
    a = (x - 2).sqrt()
    b = a.sqrt()  # blamed
    return b


def where_branch_not_taken(x):
    s = (x - 2).sqrt()  # blamed
    return where(x > 2, s, 0.0)


def maximum_branch_not_taken(x):
    s = (x - 2).sqrt()  # blamed
    return maximum(s, 1.0)


def power_at_zero(x):
    return (x - 2) ** 0.5  # blamed


def log_at_zero_in_backward(x):     # -inf passes with allow="inf"; the 0 * inf NaN does not
    y = (x - 2).log()  # blamed
    return where(x > 2, y, 0.0)


CASES = [
    (sqrt_of_negative, "forward", "sqrt", 1, (), "sqrt of the negative value"),
    (log_of_zero, "forward", "log", 1, (), "logarithm of a value <= 0"),
    (exp_overflow, "forward", "exp", 1, (), "log-sum-exp"),
    (division_by_zero, "forward", "div", 1, (), "division by zero"),
    (sqrt_at_zero, "backward", "sqrt", 2, (), "infinite at x = 0"),
    (where_branch_not_taken, "backward", "sqrt", 1, (), "double where"),
    (maximum_branch_not_taken, "backward", "sqrt", 1, (), "double where"),
    (power_at_zero, "backward", "pow", 1, (), "infinite at x = 0"),
    (log_at_zero_in_backward, "backward", "log", 1, ("inf",), "0 * inf"),
]


def blamed_line(fn):
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, text in enumerate(lines) if text.rstrip().endswith("# blamed"))


def run(build, order, device, allow=(), mode=True):
    """The loss of `build` at x = [2, 3], differentiated once or (order 2) twice."""
    x = mg.tensor([2.0, 3.0], dtype="float64", device=device)
    x.attach_grad()
    context = autograd.detect_anomaly(allow=allow) if mode else _Nothing()
    with context:
        with autograd.record() as tape:
            loss = build(x).sum()
            if order == 2:
                g, = autograd.grad(loss, [x], create_graph=True)
                loss = g.sum()
        loss.backward()
    return x, tape


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("build, phase, op, row, allow, says", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_the_first_non_finite_value_is_blamed(build, phase, op, row, allow, says, order,
                                              device):
    with pytest.raises(autograd.AnomalyError) as info, numpy.errstate(all="ignore"):
        run(build, order, device, allow)
    e = info.value
    assert (e.op, e.row, e.phase, e.order) == (op, row, phase, 1)
    assert e.lineno == blamed_line(build)
    assert e.filename == __file__
    assert says in str(e)
    assert f"tape row {row}" in str(e) and f"{__file__}:{e.lineno}" in str(e)


def test_the_issue_example_names_the_line_that_recorded_b(device):
    with pytest.raises(autograd.AnomalyError) as info:
        run(sqrt_at_zero, 1, device)
    assert "b = a.sqrt()" in str(info.value)
    assert info.value.culprit == "gradient to input 0"


# ---- second order: an op recorded by a backward rule ----


def power_three_halves(x):
    return (x - 2) ** 1.5  # blamed


def test_a_second_derivative_blames_the_op_the_first_backward_recorded(device):
    run(power_three_halves, 1, device)      # the first derivative, 1.5·√(x - 2), is finite
    with pytest.raises(autograd.AnomalyError) as info:
        run(power_three_halves, 2, device)
    e = info.value
    assert (e.op, e.phase, e.order) == ("pow", "backward", 2)
    assert e.lineno == blamed_line(power_three_halves)
    assert "recorded by the backward of 'pow' (tape row 1), run from" in str(e)
    assert "which differentiates the op recorded at" in str(e)
    assert "g, = autograd.grad(loss, [x], create_graph=True)" in str(e)    # run from there
    assert e.row is not None and e.row > 2      # recorded on the tape by that backward


# ---- allowing non-finite values on purpose ----


def test_allow_nonfinite_lets_a_mask_through_and_later_ops_pass_it_on(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device)
    x.attach_grad()
    keep = mg.tensor([True, False, True], device=device)
    with autograd.detect_anomaly():
        with autograd.record():
            with autograd.allow_nonfinite():
                masked = where(keep, x, -math.inf)
            shifted = masked - masked.max()     # -inf passes on: not blamed
            p = shifted.exp()
            loss = (p / p.sum() * x).sum()
        loss.backward()
    assert numpy.isfinite(x.grad.numpy()).all()


def test_without_allow_the_mask_is_blamed_on_the_constant_it_came_from(device):
    x = mg.tensor([1.0, 2.0], device=device)
    x.attach_grad()
    with autograd.detect_anomaly():
        with autograd.record():
            with pytest.raises(autograd.AnomalyError) as info:
                where(mg.tensor([True, False], device=device), x, -math.inf)
    assert info.value.culprit == "input 1"
    assert "its input 1 (a constant of shape ()) is -inf" in str(info.value)
    assert "before 'where' took it in" in str(info.value)


def test_allow_inf_still_stops_at_nan(device):
    x = mg.tensor([0.0, 2.0], device=device)
    x.attach_grad()
    with autograd.detect_anomaly(allow="inf"):
        with autograd.record():
            x.log().sum()                           # -inf at 0 passes
            with pytest.raises(autograd.AnomalyError) as info:
                (x - 1.0).log().sum()               # nan at -1 does not
    assert info.value.op == "log" and "nan" in str(info.value)


def test_allow_takes_only_inf():
    with pytest.raises(ValueError, match="allow_nonfinite"):
        autograd.detect_anomaly(allow="nan")


# ---- off, nothing changes ----


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("build", [c[0] for c in CASES] + [power_three_halves],
                         ids=[c[0].__name__ for c in CASES] + ["power_three_halves"])
def test_with_the_mode_off_nothing_is_checked_or_kept(build, order, device):
    with numpy.errstate(all="ignore"):
        x, tape = run(build, order, device, mode=False)
    assert all(not hasattr(node, "site") for node in tape)
    assert type(tape.nodes) is list and mg.autograd.state.anomaly is None
    if (build, order) != (power_three_halves, 1):       # its first derivative is finite
        assert not numpy.isfinite(x.grad.numpy()).all()     # the NaN or inf reached x.grad


def test_a_finite_program_gives_the_same_gradients_in_the_mode(device):
    def loss_of(x):
        return ((x * 2.0).tanh() ** 2 + (x + 3.0).sqrt().log()).sum()

    grads = []
    for mode in (False, True):
        x = mg.tensor([0.5, -1.0, 2.0], dtype="float64", device=device)
        x.attach_grad()
        with autograd.detect_anomaly() if mode else _Nothing():
            with autograd.record():
                y = loss_of(x)
                g, = autograd.grad(y, [x], create_graph=True)
                z = g.sum()
            z.backward()
        grads.append(x.grad.numpy())
    numpy.testing.assert_array_equal(grads[0], grads[1])
    assert mg.autograd.state.anomaly is None and mg.autograd.state.trace is None


def test_the_mode_keeps_a_trace_backward_list_working(device):
    x = mg.tensor([1.0, 2.0], device=device)
    x.attach_grad()
    with autograd.record() as tape:
        y = (x * x).sum()
    with autograd.trace_backward(tape) as steps, autograd.detect_anomaly():
        y.backward()
    assert [s.node.name for s in steps] == ["sum", "mul"]


def test_a_second_derivative_taken_outside_record_names_the_op_and_line(device):
    x = mg.tensor([2.0, 3.0], dtype="float64", device=device)
    x.attach_grad()
    with autograd.detect_anomaly():
        with autograd.record():
            y = ((x - 2) ** 1.5).sum()
        g, = autograd.grad(y, [x], create_graph=True)    # recorded, but on no tape
        with pytest.raises(autograd.AnomalyError) as info:
            g.backward()
    e = info.value
    assert (e.op, e.row, e.order) == ("pow", None, 2)
    assert e.lineno == inspect.currentframe().f_lineno - 6
    assert "not on a tape" in str(e) and "backward of 'pow' (tape row 1)" in str(e)


def test_a_value_no_op_takes_in_is_checked_when_backward_starts_from_it(device):
    x = mg.tensor([0.0, 0.0], device=device)
    x.attach_grad()
    with autograd.detect_anomaly():
        with autograd.record() as tape:
            loss = (x * x).sum().log()      # -inf, and no later op takes it in
        with pytest.raises(autograd.AnomalyError) as info:
            loss.backward()
    e = info.value
    assert (e.op, e.row, e.phase, e.culprit) == ("log", 2, "forward", "output")
    assert e.lineno == inspect.currentframe().f_lineno - 5
    assert len(tape) == 3 and isinstance(tape.nodes, list)


def test_entering_the_mode_inside_record_checks_the_rest_of_that_tape(device):
    x = mg.tensor([2.0, 3.0], device=device)
    x.attach_grad()
    with autograd.record() as tape:
        a = (x - 2).log()                   # before the mode: not checked
        with autograd.detect_anomaly():
            with pytest.raises(autograd.AnomalyError) as info:
                (a * 2).sum()
        b = (a * 2).sum()                   # after it: not checked
    assert info.value.culprit == "input 0"
    assert "a result recorded before detect_anomaly()" in str(info.value)
    assert [n.name for n in tape] == ["sub", "log", "mul", "mul", "sum"]
    assert type(tape.nodes) is list and b.shape == ()


def test_the_chapter_loop_trains_the_same_in_the_mode(device):
    """The d2l chapter's step (linear regression, squared loss, SGD) under the mode: nothing
    is raised, and the weights are the same to the last bit."""
    rng = numpy.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype("float32")
    y = (X @ numpy.array([2.0, -3.4], "float32") + 4.2).reshape(-1, 1)
    results = []
    for mode in (False, True):
        w = mg.tensor(numpy.zeros((2, 1), "float32"), device=device)
        b = mg.tensor(numpy.zeros(1, "float32"), device=device)
        w.attach_grad()
        b.attach_grad()
        with autograd.detect_anomaly() if mode else _Nothing():
            for i in range(0, 40, 10):
                Xb = mg.tensor(X[i:i + 10], device=device)
                yb = mg.tensor(y[i:i + 10], device=device)
                with autograd.record():
                    loss = (Xb.dot(w) + b - yb) ** 2 / 2
                loss.backward()
                for param in (w, b):
                    param[:] = param - 0.03 * param.grad / 10
        results.append((w.numpy().copy(), b.numpy().copy()))
    numpy.testing.assert_array_equal(results[0][0], results[1][0])
    numpy.testing.assert_array_equal(results[0][1], results[1][1])


def test_the_checker_finds_the_walk_and_its_locals():
    """The checker reads the walk's `node` and `heads` from the stack, and gets each step
    straight from the walk: renaming any of them must fail here, not silently."""
    from microgradnd import debugging

    code = autograd._walk.__code__
    assert code.co_name == debugging._WALK
    assert {"node", "heads", "trace"} <= set(code.co_varnames)
    source = inspect.getsource(autograd._walk)
    assert "trace.append(Step(node, g, grads))" in source
