"""How Tensors meet NumPy: `numpy.asarray(t)`, `numpy.exp(t)`, `array + t`, `numpy.dot(t, w)`.

NumPy calls a Tensor's `__array__`, `__array_ufunc__` (NEP 13) and `__array_function__`
(NEP 18); those one-line methods land here. What microgradnd can differentiate runs its op
and is recorded; the rest runs on the arrays, except where a gradient would be lost silently.
"""
from __future__ import annotations

import numpy

from . import backend, ops
from .core import Tensor, _wrap, broadcast_error
from .graph import state
from .ops import registry

# numpy.<ufunc>(tensor) and numpy.<function>(tensor, ...) -> the function that differentiates
# it: each op's `numpy_twin` (ops/registry.py), and the few that are compositions of ops.
# numpy.sum, mean, max, min, var, std, clip, cumsum, squeeze, argmax... need no entry: NumPy
# calls the Tensor's method.
_TWINS = registry.numpy_dispatch()
DIFFERENTIABLE_UFUNCS = {
    **{f: op for f, op in _TWINS.items() if isinstance(f, numpy.ufunc)},
    numpy.positive: lambda x: x, numpy.square: ops.square,
}
DIFFERENTIABLE_FUNCTIONS = {
    **{f: op for f, op in _TWINS.items() if not isinstance(f, numpy.ufunc)},
    numpy.dot: ops.dot, numpy.stack: ops.stack, numpy.split: ops.split,
    numpy.expand_dims: ops.expand_dims, numpy.linalg.norm: ops.norm,
}
# Ufuncs whose result is boolean or piecewise constant: a constant result is the right answer.
ZERO_GRADIENT_UFUNCS = {u for u in vars(numpy).values() if isinstance(u, numpy.ufunc)
                        and all(t.endswith("?") for t in u.types if "O" not in t)} | {
    numpy.floor, numpy.ceil, numpy.trunc, numpy.rint, numpy.sign}


def array(t: Tensor, dtype=None):
    """`numpy.asarray(t)`: the host array itself (no copy); a GPU tensor refuses."""
    if type(t.data) is not numpy.ndarray:
        raise TypeError(f"a tensor on {t.device} cannot become a NumPy array "
                        "implicitly: call .numpy() to copy it to the host")
    return t.data if dtype is None else t.data.astype(dtype, copy=False)


def array_ufunc(ufunc, method, inputs, kwargs):
    """NumPy's ufuncs on Tensors: numpy.exp(t) is t.exp(), and differentiable.

    Ufuncs microgradnd can differentiate go to its ops; the rest run on the arrays and
    give constant Tensors, except inside record() on a tensor that needs a gradient,
    where a silently lost gradient would be a wrong answer: that raises TypeError.
    """
    if method == "__call__" and not kwargs and ufunc in DIFFERENTIABLE_UFUNCS:
        return DIFFERENTIABLE_UFUNCS[ufunc](*inputs)
    if state.recording and ufunc not in ZERO_GRADIENT_UFUNCS and any_requires_grad(inputs):
        raise not_differentiable(
            f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method}")
    arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
    outs = kwargs.get("out", ())
    if outs:
        kwargs["out"] = tuple(x.data if isinstance(x, Tensor) else x for x in outs)
    try:
        result = getattr(ufunc, method)(*arrays, **kwargs)
    except ValueError as e:     # `ndarray < tensor` of shapes that do not broadcast
        if method != "__call__":
            raise
        raise broadcast_error(f"numpy.{ufunc.__name__}", arrays, e) from None
    # Tensors written in place (out=, and ufunc.at's first input) count a new version,
    # so a backward that saved them refuses instead of using the new values silently.
    for x in outs + (inputs[:1] if method == "at" else ()):
        if isinstance(x, Tensor):
            x._bump_version()
    if len(outs) == 1 and result is kwargs["out"][0]:
        return outs[0]          # as NumPy: the out= argument itself comes back
    if isinstance(result, tuple):
        return tuple(_wrap(r) if backend.is_array(r) else r for r in result)
    return _wrap(result) if backend.is_array(result) or isinstance(result, numpy.generic) \
        else result


def array_function(func, args, kwargs):
    """NumPy's other functions on Tensors: numpy.dot(t, w) is differentiable.

    The rest run as NumPy runs them (numpy.sum(t) calls t.sum()); a float array that
    comes back instead of a Tensor, inside record() from a tensor that needs a gradient,
    would lose that gradient silently, so it raises TypeError as array_ufunc does.
    """
    if func in DIFFERENTIABLE_FUNCTIONS:
        try:
            return DIFFERENTIABLE_FUNCTIONS[func](*args, **kwargs)
        except TypeError:       # another signature (numpy.where(cond) alone, out=): NumPy's
            pass
    result = func._implementation(*args, **kwargs)
    if state.recording and getattr(result, "dtype", None) is not None \
            and not isinstance(result, Tensor) and result.dtype.kind in "fc" \
            and any_requires_grad(x for a in (*args, *kwargs.values())
                                  for x in (a if isinstance(a, (list, tuple)) else (a,))):
        raise not_differentiable(f"{func.__module__}.{func.__name__}")
    return result


def any_requires_grad(values) -> bool:
    """Is any of `values` a Tensor that requires a gradient?"""
    return any(isinstance(x, Tensor) and x.requires_grad for x in values)


def not_differentiable(name: str) -> TypeError:
    """The error for a NumPy function that would silently drop a gradient inside record()."""
    return TypeError(f"{name} cannot be differentiated by microgradnd; use the Tensor methods "
                     "and microgradnd.np functions (or .detach() it first)")
