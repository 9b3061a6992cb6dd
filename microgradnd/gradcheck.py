"""Finite-difference checks of reverse-mode derivatives (API §3).

`gradcheck` compares a vector-Jacobian product with central differences in float64;
`gradgradcheck` applies the same test to the gradient itself, so second derivatives are
checked with no extra code per op.
"""
from __future__ import annotations

import numpy

from . import autograd, backend
from .core import Tensor, tensor
from .errors import GradcheckError


def _float64_variables(inputs):
    """Fresh float64 copies of the inputs, each a variable, on the inputs' devices."""
    if isinstance(inputs, (Tensor, numpy.ndarray)) or not isinstance(inputs, (list, tuple)):
        inputs = [inputs]
    xs = []
    for i, x in enumerate(inputs):
        device = x.device if isinstance(x, Tensor) else None
        data = x.numpy() if isinstance(x, Tensor) else numpy.asarray(x)
        if data.dtype.kind != "f":      # as mg.grad: an integer input has no derivative
            raise TypeError(f"input {i} has dtype {data.dtype}: gradcheck differentiates "
                            "real floating-point inputs only (pass 2.0 rather than 2, or "
                            ".astype('float64'))")
        # C order: x.data.reshape(-1) below must be a view, or perturbing it perturbs nothing
        v = tensor(numpy.array(data, dtype=numpy.float64, order="C"), device=device)
        v.attach_grad()
        xs.append(v)
    return xs


def _output(out) -> Tensor:
    """f's result, which must be one Tensor (a constant or a tuple cannot be checked)."""
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck needs f to return one Tensor, but it returned "
                        f"{type(out).__name__}: compute the result with tensor operations")
    return out


def _seed_like(out: Tensor, rng) -> Tensor:
    return tensor(rng.standard_normal(out.shape), dtype=numpy.float64, device=out.device)


def _projected(f, xs, v) -> float:
    """⟨f(xs), v⟩ evaluated without recording: the scalar that finite differences probe."""
    with autograd.pause():
        out = f(*xs)
    with backend.on_device_of(out.data):    # out's GPU, which need not be current
        return float((out.data * v.data).sum().item())


def _check_step(eps) -> None:
    """Central differences divide by 2·eps: it must be a positive number."""
    if not eps > 0 or eps == float("inf"):
        raise ValueError(f"eps must be a small positive step (e.g. 1e-6), got {eps!r}")


def _check(f, xs, v, eps, atol, rtol, order):
    with autograd.record():
        out = f(*xs)
    if out.requires_grad:
        analytic = autograd.grad(out, xs, head_grads=v)
    else:       # nothing recorded: f does not depend on its inputs
        analytic = [backend.zeros_like(x.data) for x in xs]
    for i, (x, a) in enumerate(zip(xs, analytic)):
        a = backend.to_host(a.data if isinstance(a, Tensor) else a)
        flat = x.data.reshape(-1)       # a view: perturbing it perturbs x
        for j in range(flat.size):
            orig = flat[j].item()
            with backend.on_device_of(flat):    # x's GPU, which need not be current
                flat[j] = orig + eps
            plus = _projected(f, xs, v)
            with backend.on_device_of(flat):
                flat[j] = orig - eps
            minus = _projected(f, xs, v)
            with backend.on_device_of(flat):
                flat[j] = orig
            fd = (plus - minus) / (2 * eps)
            rev = a.reshape(-1)[j].item()
            if not (abs(rev - fd) <= atol + rtol * abs(fd)
                    or (numpy.isnan(rev) and numpy.isnan(fd))):
                where = numpy.unravel_index(j, x.shape) if x.ndim else ()
                raise GradcheckError(
                    f"{order} derivative mismatch for input {i} (shape {x.shape}) at element "
                    f"{tuple(int(k) for k in where)}: reverse mode gives {rev:.8g}, central "
                    f"differences give {fd:.8g} (|difference| {abs(rev - fd):.3g} exceeds "
                    f"atol={atol} + rtol={rtol}·|finite difference|)")
    return True


def gradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check f's reverse-mode gradient against central differences; True or GradcheckError.

    f maps tensors to a tensor; inputs are copied to float64. A non-scalar output is
    projected on a fixed random direction, so every Jacobian entry takes part.
    """
    _check_step(eps)
    xs = _float64_variables(inputs)
    with autograd.pause():
        out = _output(f(*xs))
    v = _seed_like(out, numpy.random.default_rng(0))
    return _check(f, xs, v, eps, atol, rtol, "first")


def gradgradcheck(f, inputs, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3) -> bool:
    """Check second derivatives: gradcheck of x -> ⟨∂⟨f(x), v⟩/∂x, u⟩ for fixed random v, u."""
    _check_step(eps)
    xs = _float64_variables(inputs)
    rng = numpy.random.default_rng(1)
    with autograd.pause():
        out = _output(f(*xs))
    v = _seed_like(out, rng)
    us = [_seed_like(x, rng) for x in xs]

    def first_derivative(*args):
        with autograd.record():
            y = f(*args)
        if not y.requires_grad:
            return (args[0] * 0.0).sum()
        grads = autograd.grad(y, list(args), head_grads=v, create_graph=True)
        return sum((g * u).sum() for g, u in zip(grads, us))

    w = tensor(numpy.array(1.0), device=xs[0].device)
    return _check(first_derivative, xs, w, eps, atol, rtol, "second")
