"""The functional family of forward and reverse mode: jvp, vjp, linearize, jacfwd, jacrev,
jacobian, hvp and hessian, each checked against finite differences, against each other, and
(where it is installed) against PyTorch."""
import threading

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, ops
from microgradnd.ops import apply, tangents

EPS = 1e-6


def _fd_jacobian(f, x):
    """The Jacobian of f at x by central differences, shaped out.shape + x.shape."""
    x0 = x.numpy()
    cols = []
    for j in range(x0.size):
        e = numpy.zeros(x0.size)
        e[j] = EPS
        e = e.reshape(x0.shape)
        cols.append((f(mg.tensor(x0 + e)).numpy() - f(mg.tensor(x0 - e)).numpy()) / (2 * EPS))
    out_shape = f(x).shape
    return numpy.stack(cols, -1).reshape(out_shape + x0.shape)


A = numpy.random.default_rng(0).normal(size=(7, 3))

# name, f, x's shape: tall (more outputs than inputs), wide, square, 0-d and matrix inputs
FUNCTIONS = [
    ("tall", lambda x: (mg.tensor(A) @ x).tanh(), (3,)),
    ("tall_outer", lambda x: (x[:, None] * x[None, :]).sin(), (4,)),
    ("wide", lambda x: (x ** 2).sum(axis=-1) + x.exp().mean(), (2, 5)),
    ("wide_scalar", lambda x: (x.sigmoid() * x).sum(), (6,)),
    ("square", lambda x: mg.np.maximum(x, 0.1) * x.cumsum(), (5,)),
    ("square_matrix", lambda x: x @ x.T, (3, 3)),
    ("scalar_input", lambda x: mg.np.stack([x.sin(), x * x, x.exp()]), ()),
]


@pytest.mark.parametrize("name, f, shape", FUNCTIONS, ids=[r[0] for r in FUNCTIONS])
def test_jacfwd_equals_jacrev_equals_finite_differences(name, f, shape):
    x = mg.tensor(numpy.random.default_rng(1).uniform(0.2, 1.2, shape))
    fwd, rev, auto = mg.jacfwd(f)(x), mg.jacrev(f)(x), mg.jacobian(f)(x)
    expected = _fd_jacobian(f, x)
    assert fwd.shape == rev.shape == auto.shape == expected.shape
    numpy.testing.assert_allclose(fwd.numpy(), expected, rtol=1e-6, atol=1e-7)
    numpy.testing.assert_allclose(rev.numpy(), fwd.numpy(), rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(auto.numpy(), fwd.numpy(), rtol=1e-12, atol=1e-12)


def test_jacobian_argnums_and_extra_arguments():
    x, y = mg.tensor(numpy.array([1.0, 2.0])), mg.tensor(numpy.array([3.0, 4.0, 5.0]))

    def f(x, y):
        return x[:, None] * y[None, :]

    for jac in (mg.jacfwd, mg.jacrev, mg.jacobian):
        j = jac(f, argnums=1)(x, y)
        assert j.shape == (2, 3, 3)
        numpy.testing.assert_allclose(j.numpy(), numpy.einsum("i,jk->ijk", x.numpy(),
                                                             numpy.eye(3)))


def test_the_perturbation_confusion_program_gives_one():
    _, t = mg.jvp(lambda x: x * mg.jvp(lambda y: x + y, (1.0,), (1.0,))[1], (1.0,), (1.0,))
    assert float(t) == 1.0


def test_jvp_of_jvp_is_the_second_derivative():
    def d(f):
        return lambda x: mg.jvp(f, (x,), (mg.np.ones_like(x),))[1]

    x = mg.tensor(numpy.array([0.3, 1.1]))
    numpy.testing.assert_allclose(d(d(lambda x: x.sin()))(x).numpy(), -numpy.sin(x.numpy()))
    numpy.testing.assert_allclose(d(d(d(lambda x: x.sin())))(x).numpy(), -numpy.cos(x.numpy()))


def test_hvp_forward_over_reverse_equals_reverse_over_reverse():
    rng = numpy.random.default_rng(2)
    M = rng.normal(size=(6, 6))
    x, v = (mg.tensor(rng.normal(size=6)) for _ in range(2))

    def f(x):
        return 0.5 * (x @ (mg.tensor(M) @ x)) + (x ** 4).sum() / 4 + x.tanh().sum()

    fwd, rev = mg.hvp(f, x, v), mg.hvp(f, x, v, mode="reverse")
    numpy.testing.assert_allclose(fwd.numpy(), rev.numpy(), rtol=1e-12, atol=1e-12)
    h = mg.hessian(f)(x)
    numpy.testing.assert_allclose(h.numpy(), mg.hessian(f, mode="reverse")(x).numpy(),
                                  rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(h.numpy() @ v.numpy(), fwd.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="mode"):
        mg.hvp(f, x, v, mode="sideways")


def test_hessian_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = numpy.random.default_rng(3)
    x0 = rng.normal(size=(2, 3))

    def f(x, lib):
        return (lib.sin(x) * x).sum() + (x ** 2).sum(axis=0).prod() if lib is torch else None

    def f_mg(x):
        s = (x ** 2).sum(axis=0)
        return (x.sin() * x).sum() + s[0] * s[1] * s[2] + (x.exp() * x[:, :1]).mean()

    def f_torch(x):
        s = (x ** 2).sum(dim=0)
        return (x.sin() * x).sum() + s[0] * s[1] * s[2] + (x.exp() * x[:, :1]).mean()

    expected = torch.autograd.functional.hessian(f_torch, torch.tensor(x0)).numpy()
    for mode in ("forward", "reverse"):
        got = mg.hessian(f_mg, mode=mode)(mg.tensor(x0))
        assert got.shape == (2, 3, 2, 3)
        numpy.testing.assert_allclose(got.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_vjp_returns_a_tuple_and_its_vjp_is_a_jvp():
    """Forward mode from two reverse passes: vjp_fn(u) is linear in u, so its own vjp along
    v is J·v."""
    rng = numpy.random.default_rng(4)
    x, v = mg.tensor(rng.normal(size=3)), mg.tensor(rng.normal(size=3))

    def f(x):
        return (mg.tensor(A) @ x).tanh() * x.sum()

    out, vjp_fn = mg.vjp(f, x)
    (ct,) = vjp_fn(mg.np.ones(7, dtype="float64"))
    assert ct.shape == (3,)
    _, vjp_of_vjp = mg.vjp(lambda u: vjp_fn(u)[0], mg.np.zeros(7, dtype="float64"))
    (jv,) = vjp_of_vjp(v)
    numpy.testing.assert_allclose(jv.numpy(), mg.jvp(f, (x,), (v,))[1].numpy(), rtol=1e-12)


def test_vjp_of_several_primals_and_outputs():
    x, y = mg.tensor(numpy.array([1.0, 2.0])), mg.tensor(numpy.array(3.0))
    (a, b), vjp_fn = mg.vjp(lambda x, y: (x * y, (x * x).sum()), x, y)
    gx, gy = vjp_fn((mg.tensor(numpy.array([1.0, 1.0])), mg.tensor(numpy.array(2.0))))
    numpy.testing.assert_allclose(gx.numpy(), [3.0 + 4.0, 3.0 + 8.0])
    assert float(gy) == 3.0
    with pytest.raises(ValueError, match="one per output"):
        vjp_fn(mg.tensor(numpy.array([1.0, 1.0])))


def test_linearize_replays_the_tangent_program():
    x = mg.tensor(numpy.array([0.5, -1.0, 2.0]))
    v = mg.tensor(numpy.array([1.0, 2.0, -1.0]))

    def f(x):
        return ((x * x).exp() / (1.0 + x ** 2)).sum()

    out, jvp_fn = mg.linearize(f, x)
    assert float(out) == pytest.approx(float(f(x)))
    assert float(jvp_fn(v)) == pytest.approx(float(mg.jvp(f, (x,), (v,))[1]), rel=1e-12)
    assert float(jvp_fn(2 * v)) == pytest.approx(2 * float(jvp_fn(v)), rel=1e-12)
    t = mg.tensor(v.data)
    t.attach_grad()
    with autograd.record() as program:      # the tangent program, on a tape of its own
        jvp_fn(t)
    assert len(program) > 0 and "mul" in str(program)


def test_grad_of_a_function_calling_jvp():
    """Reverse over forward: d/dx <1, J(x)·v> for f = sin is -sin(x)·v."""
    x, v = mg.tensor(numpy.array([0.2, 0.9])), mg.tensor(numpy.array([1.0, 3.0]))
    g = mg.grad(lambda x: mg.jvp(lambda y: y.sin(), (x,), (v,))[1].sum())(x)
    numpy.testing.assert_allclose(g.numpy(), -numpy.sin(x.numpy()) * v.numpy())


def test_jvp_inside_record_leaves_reverse_mode_as_it_was():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    x.attach_grad()
    with autograd.record():
        y, t = mg.jvp(lambda z: z * z, (x,), (mg.np.ones(2, dtype="float64"),))
        loss = (y * t).sum()        # = Σ 2x³
    loss.backward()
    numpy.testing.assert_allclose(x.grad.numpy(), 6 * x.numpy() ** 2)
    assert not tangents.has_tangent(y)


def test_in_place_updates_carry_their_tangent():
    def f(x):
        y = x * 1.0
        y += x          # a tangent in flight: done out of place, so the tangent follows
        y[0] = x[1] * 3.0
        return y

    x = mg.tensor(numpy.array([1.0, 2.0]))
    _, t = mg.jvp(f, (x,), (mg.tensor(numpy.array([1.0, 10.0])),))
    numpy.testing.assert_allclose(t.numpy(), [30.0, 20.0])


def test_outputs_tuples_and_constants():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    (a, b), (ta, tb) = mg.jvp(lambda x: (x * 2.0, mg.tensor(numpy.ones(3))), (x,),
                              (mg.tensor(numpy.array([1.0, 1.0])),))
    numpy.testing.assert_allclose(ta.numpy(), [2.0, 2.0])
    numpy.testing.assert_allclose(tb.numpy(), numpy.zeros(3))


def test_an_output_returned_twice_has_its_tangent_twice():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    (a, b), (ta, tb) = mg.jvp(lambda x: (lambda y: (y, y))(x * 3.0), (x,), (x,))
    numpy.testing.assert_allclose(ta.numpy(), [3.0, 6.0])
    numpy.testing.assert_allclose(tb.numpy(), [3.0, 6.0])
    (a, b), (ta, tb) = mg.jvp(lambda x: (x, x), (x,), (x,))
    numpy.testing.assert_allclose(tb.numpy(), [1.0, 2.0])


def test_errors_teach():
    x = mg.tensor(numpy.array([1.0, 2.0]))
    with pytest.raises(mg.ShapeError, match="tangent 0 has shape"):
        mg.jvp(lambda x: x, (x,), (mg.tensor(numpy.ones(3)),))
    with pytest.raises(TypeError, match="astype"):
        mg.jvp(lambda x: x, (x,), (mg.tensor([1.0, 1.0]),))      # float32 tangent
    with pytest.raises(TypeError, match="must be a tuple"):
        mg.jvp(lambda x: x, x, x)
    with pytest.raises(ValueError, match="one tangent per primal"):
        mg.jvp(lambda x: x, (x,), (x, x))
    with pytest.raises(TypeError, match="floating-point"):
        mg.jvp(lambda x: x, (mg.tensor([1, 2]),), (mg.tensor([1, 2]),))


def test_a_level_open_in_another_thread_does_not_leak_here():
    opened, release = threading.Event(), threading.Event()

    def other():
        with ops.dual_level():
            opened.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    opened.wait(5)
    try:
        assert apply.open_levels >= 1
        x = mg.tensor([1.0, 2.0])
        y = (x * x).sum()
        assert float(y) == 5.0 and getattr(y, "_tan", None) is None
    finally:
        release.set()
        thread.join()


# ---- deferred tangents: forward over reverse computes only what backward reads ----


def _f64(values):
    return mg.tensor(numpy.array(values, dtype=numpy.float64))


def _counting_jvp(monkeypatch, op):
    """Count the calls of op's forward rule."""
    calls = []
    rule = op.jvp

    def counted(inputs, args, out, t):
        calls.append(op.name)
        return rule(inputs, args, out, t)

    monkeypatch.setattr(op, "jvp", staticmethod(counted))
    return calls


def test_hvp_computes_only_the_tangents_backward_reads(monkeypatch):
    """sum's backward reads no value: forward over reverse never needs the tangent of f's
    total, and never computes it; a plain jvp of f does."""
    x, v = _f64([0.3, -1.2, 2.0]), _f64([1.0, 0.5, -2.0])
    f = lambda x: (x.sin() * 3.0).sum()   # noqa: E731
    calls = _counting_jvp(monkeypatch, ops.Sum)
    hv = mg.hvp(f, x, v)
    assert calls == []
    numpy.testing.assert_allclose(hv.numpy(), -3 * numpy.sin(x.numpy()) * v.numpy())
    mg.jvp(f, (x,), (v,))
    assert calls == ["sum"]


def test_a_long_chain_of_deferred_tangents_is_resolved_without_recursion():
    """sin's backward reads its input, whose tangent waits at the end of 5,000 deferred adds:
    computing it is a loop, not 5,000 nested calls (Python's limit is 1,000)."""
    x, v = _f64([0.3, -1.2]), _f64([1.0, 2.0])

    def f(x):
        for _ in range(5000):
            x = x + 0.0
        return x.sin().sum()

    numpy.testing.assert_allclose(mg.hvp(f, x, v).numpy(), -numpy.sin(x.numpy()) * v.numpy())


def test_a_value_changed_in_place_before_its_tangent_is_read_is_refused():
    """The deferred rule would read the new value: refused, as backward refuses it."""
    def f(x):
        c = _f64([2.0, 3.0])
        y = (x * c) ** 2
        c[0] = 5.0
        return y.sum()

    x, v = _f64([1.0, 1.0]), _f64([1.0, 0.0])
    with pytest.raises(mg.GraphError, match="modified in place"):
        mg.hvp(f, x, v)


def test_hvp_composes_in_both_orders_with_the_deferred_route():
    """Third derivatives of Σx⁴/4 + Σsin(x)·x through hvp: d/dx⟨u, H(x)v⟩ by a jvp around it
    and by recording around it, each against reverse over reverse."""
    f = lambda x: (x ** 4).sum() / 4 + (x.sin() * x).sum()    # noqa: E731
    x, v, u = (_f64(a) for a in ([0.3, -1.2, 0.7], [1.0, 0.5, -2.0], [0.2, 1.0, 0.4]))
    for mode in ("forward", "reverse"):
        _, jv = mg.jvp(lambda y, mode=mode: mg.hvp(f, y, v, mode=mode), (x,), (u,))
        if mode == "forward":
            want = jv.numpy()
        else:
            numpy.testing.assert_allclose(jv.numpy(), want, rtol=1e-12)
        g = mg.grad(lambda y, mode=mode: (mg.hvp(f, y, v, mode=mode) * u).sum())(x)
        numpy.testing.assert_allclose(g.numpy(), want, rtol=1e-12)
    xs = x.numpy()      # f's third derivative is diagonal: 6x - 3 sin(x) - x cos(x)
    third = 6 * xs - 3 * numpy.sin(xs) - xs * numpy.cos(xs)
    numpy.testing.assert_allclose(want, third * v.numpy() * u.numpy(), rtol=1e-12)
