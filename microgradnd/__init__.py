"""microgradnd: a small reverse-mode automatic differentiation engine for n-d arrays.

    import microgradnd as mg
    from microgradnd import autograd, np
"""
from numpy import bool_, float16, float32, float64, int32, int64  # noqa: F401 - dtype names

from . import autograd, d2l, gluon, np, npx, ops
from .backend import cuda_is_available, get_default_device, set_default_device
from .checkpoint import checkpoint
from .core import Tensor, from_dlpack, tensor
from .errors import DeviceError, GradcheckError, GraphError, ShapeError
from .functional import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    value_and_grad,
    vjp,
)
from .gradcheck import gradcheck, gradgradcheck
from .notebook import show_graph
from .ops import avg_pool2d, conv2d, max_pool2d
from .viz import draw_graph

__version__ = "0.1.0"

__all__ = [
    "DeviceError", "GradcheckError", "GraphError", "ShapeError", "Tensor", "autograd",
    "avg_pool2d", "checkpoint", "conv2d", "cuda_is_available", "d2l", "draw_graph", "from_dlpack",
    "gluon",
    "get_default_device", "grad", "gradcheck", "gradgradcheck", "hessian", "hvp", "jacfwd",
    "jacobian", "jacrev", "jvp", "linearize", "max_pool2d", "np", "npx", "ops",
    "set_default_device", "show_graph", "tensor", "value_and_grad", "vjp",
]
