"""Tensor: an n-dimensional array that remembers, while recording, how it was computed.

A Tensor holds its array (`.data`, NumPy or CuPy), its gradient (`.grad`), the Node of the op
that computed it (`_node`, set only while recording) and whether it is a variable (`_req`).
Every differentiable method hands the work to an op in ops/, where each forward rule sits
beside its backward rule. NumPy's and DLPack's protocols are in interop.py, printing in
display.py; Tensor keeps one-line methods that call them.
"""
from __future__ import annotations

import copy
import importlib
import operator
import sys

import numpy

from . import backend, ops
from .errors import DeviceError, GraphError, ShapeError
from .graph import UNCHANGED, state

_new = object.__new__
_ndarray = numpy.ndarray
_generic = numpy.generic
# UNCHANGED (graph.py), the version counter every tensor starts with, is read-only and shared,
# so making a tensor allocates none. The first in-place change, or the first alias (detach(),
# a view), gives the tensor a list [n] of its own, which its aliases then share (_shared_vc).


class Tensor:
    """An n-dimensional array with an optional gradient (API §1)."""

    # _tan, forward mode's tangents ({level: Tensor}) or None. A result made while no forward
    # level is open leaves it unset, so reverse mode pays nothing for it (readers use
    # getattr); __init__ and tangents.push set it, as an unset slot costs each read an
    # AttributeError raised and caught.
    __slots__ = ("data", "_grad", "_node", "_req", "_vc", "_tan", "__weakref__")
    # Makes `cupy_array + Tensor` call Tensor.__radd__ (CuPy reads the priority); NumPy arrays
    # and scalars reach the same ops through __array_ufunc__.
    __array_priority__ = 1000.0

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if device is not None:
            device = backend.normalize_device(device)
        self.data = _to_array(data, dtype, device)
        self._grad = None
        self._node = None       # the Node that computed this tensor while recording
        self._req = None        # grad_req of a variable: 'write' or 'add'; None: no gradient
        self._tan = None
        # The version counter, bumped by every in-place change. Tensors that alias one array
        # (detach(), views, tensor(t)) share it, as in PyTorch, so a change made through any
        # of them is seen by the backward of an op that saved another.
        self._vc = data._shared_vc() if isinstance(data, Tensor) and self.data is data.data \
            else UNCHANGED
        if requires_grad:
            self.attach_grad("add")
            self.grad = None        # PyTorch semantics: no gradient until the first backward

    # ---- what a tensor is ----

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def xp(self):
        """The array module (numpy or cupy) holding this tensor's data."""
        return backend.xp_of(self.data)

    @property
    def is_leaf(self) -> bool:
        """True unless this tensor was computed by a recorded operation."""
        return self._node is None

    @property
    def requires_grad(self) -> bool:
        """True for a variable and for anything recorded from one."""
        return self._req is not None or self._node is not None

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not isinstance(flag, (bool, numpy.bool_)):
            raise TypeError(f"requires_grad must be True or False, got {flag!r}")
        if flag:
            if not self.requires_grad:
                self.attach_grad("add")
                self.grad = None
        elif not self.is_leaf:
            raise RuntimeError("requires_grad=False on a recorded result: use .detach()")
        else:
            self._req = None

    # ---- gradients ----

    def _set_grad(self, value) -> None:
        # Refused here, not one backward later deep inside the walk (as PyTorch).
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f".grad must be a Tensor or None, got {type(value).__name__}: "
                                "wrap it first, e.g. t.grad = mg.tensor(value, dtype=t.dtype)")
            if value.data.shape != self.data.shape:
                raise ShapeError(f"cannot assign a .grad of shape {value.shape} to a tensor of "
                                 f"shape {self.shape}: a gradient has its tensor's shape")
            if value.data.dtype != self.data.dtype:
                raise TypeError(f"cannot assign a .grad of dtype {value.dtype} to a tensor of "
                                f"dtype {self.dtype}: convert it with .astype('{self.dtype}')")
            check_same_device(self.data, value.data, "assigning .grad")
        self._grad = value

    # Read with a C getter (attrgetter), not a Python one: `param.grad` runs every step.
    grad = property(operator.attrgetter("_grad"), _set_grad, doc="The gradient backward "
                    "stored for this tensor (None until one is stored); assigning it is checked.")

    def attach_grad(self, grad_req: str = "write") -> None:
        """Make this tensor a variable: backward will fill `.grad` (MXNet semantics).

        'write': each backward overwrites `.grad`; 'add': each backward adds into it;
        'null': no gradient. On a recorded result it keeps its place in the graph and
        backward also keeps its gradient (MXNet 2, PyTorch's retain_grad): gradients still
        flow through it to the variables it came from. Use detach() to cut the graph.
        """
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if grad_req == "null":
            self._req, self.grad = None, None
            return
        if self.data.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can have gradients; this one is "
                            f"{self.data.dtype}: convert it first, e.g. t.astype('float32')")
        self._req = grad_req
        self.grad = _wrap(backend.zeros_like(self.data))

    def zero_grad(self) -> None:
        """Set `.grad` to zeros in place (for grad_req='add', before the next backward)."""
        if self.grad is not None:
            with backend.on_device_of(self.grad.data):
                self.grad.data[...] = 0
            self.grad._bump_version()

    def backward(self, head_grad=None, retain_graph=False, create_graph=False) -> None:
        """Fill the `.grad` of every variable this tensor was recorded from.

        A non-scalar tensor without `head_grad` is differentiated as its sum.
        """
        _above("autograd").backward([self], None if head_grad is None else [head_grad],
                             retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> Tensor:
        """The same data (shared memory) cut off from the graph; it shares the version too."""
        t = _wrap(self.data)
        t._vc = self._shared_vc()   # `d = y.detach(); d += 1` is then seen by y's backward
        return _cut(t, "detach()", self)

    # ---- versions: how in-place changes are noticed ----

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's memory has seen (through any alias)."""
        return self._vc[0]

    def _shared_vc(self) -> list:
        """This tensor's own version counter [n], made on first use, for an alias to share."""
        if self._vc is UNCHANGED:
            self._vc = [0]
        return self._vc

    def _bump_version(self) -> None:
        """Count one in-place change of this tensor's memory, for it and all its aliases."""
        self._shared_vc()[0] += 1

    # ---- arithmetic (each a primitive in ops/arithmetic.py and ops/linalg.py) ----
    # Operators call ops.binary(op, ...) directly, not ops.add & co.: one Python frame fewer
    # per op, and backward rules pay it again (`g * b` is Tensor.__mul__).

    def __add__(self, other):
        return ops.binary(ops.Add, self, other)

    def __radd__(self, other):
        return ops.binary(ops.Add, other, self)

    def __sub__(self, other):
        return ops.binary(ops.Sub, self, other)

    def __rsub__(self, other):
        return ops.binary(ops.Sub, other, self)

    def __mul__(self, other):
        return ops.binary(ops.Mul, self, other)

    def __rmul__(self, other):
        return ops.binary(ops.Mul, other, self)

    def __truediv__(self, other):
        return ops.binary(ops.Div, self, other)

    def __rtruediv__(self, other):
        return ops.binary(ops.Div, other, self)

    def __pow__(self, other):    # x ** 3 and x ** 4 by products: ops.PowerByProducts
        op = ops.PowerByProducts if type(other) is int and 2 < other < 5 else ops.Power
        return ops.binary(op, self, other)

    def __rpow__(self, other):
        return ops.binary(ops.Power, other, self)

    def __matmul__(self, other):
        return ops.binary(ops.MatMul, self, other)

    def __rmatmul__(self, other):
        return ops.binary(ops.MatMul, other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    # ---- comparisons: boolean tensors, never differentiated ----

    def __lt__(self, other):
        return _compare(operator.lt, "<", self, other)

    def __le__(self, other):
        return _compare(operator.le, "<=", self, other)

    def __gt__(self, other):
        return _compare(operator.gt, ">", self, other)

    def __ge__(self, other):
        return _compare(operator.ge, ">=", self, other)

    def __eq__(self, other):
        return _compare(operator.eq, "==", self, other)

    def __ne__(self, other):
        return _compare(operator.ne, "!=", self, other)

    __hash__ = object.__hash__      # tensors stay usable as dict keys despite __eq__

    # ---- in-place updates: outside the graph, unless recording needs them in it ----

    def _inplace(self, other, out_of_place, update):
        if state.recording:
            if self._req is not None and self._node is None:    # a variable stays a leaf:
                _refuse_recorded_update(self, other, "an in-place update")  # updated in place
            elif self.requires_grad or getattr(other, "requires_grad", False):
                return out_of_place(self, other)   # `c += x` recorded as `c = c + x`
        if ops.apply.open_levels and (_has_tangent(self) or _has_tangent(other)):
            return out_of_place(self, other)   # forward mode: the tangent changes with the value
        value = ops.operand_data(other, self)
        try:
            if type(self.data) is _ndarray:
                update(self.data, value)
            else:       # on the array's own GPU, which may not be CuPy's current one
                backend.on_its_device(update, self.data, self.data, value)
        except ValueError as e:
            raise _update_error(self, None, value, e) from None
        self._bump_version()
        return self

    def __iadd__(self, other):
        return self._inplace(other, ops.add, operator.iadd)

    def __isub__(self, other):
        return self._inplace(other, ops.sub, operator.isub)

    def __imul__(self, other):
        return self._inplace(other, ops.mul, operator.imul)

    def __itruediv__(self, other):
        return self._inplace(other, ops.div, operator.itruediv)

    def __setitem__(self, index, value) -> None:
        """t[index] = value: an update of the data (bumps the version).

        Inside record(), on a recorded result or with a value that needs a gradient, the
        update is recorded as PyTorch does: t takes the history of a copy with index replaced.
        A leaf variable is still updated in place, outside the graph, by a value that needs
        no gradient (one that does is refused: its gradient would be lost).
        """
        try:
            if state.recording and (not self.is_leaf or getattr(value, "requires_grad", False)):
                if self._node is None and self._req is not None:    # a variable stays a leaf
                    _refuse_recorded_update(self, value, f"t[{index!r}] = value")
                else:
                    _replace_item(self, index, value)
                    return
            if ops.apply.open_levels and (_has_tangent(self) or _has_tangent(value)):
                _replace_item(self, index, value)   # forward mode: the tangent follows the value
                return
            if type(self.data) is _ndarray:
                self.data[ops.index_data(index, self)] = ops.operand_data(value, self)
            else:       # on the array's own GPU, which may not be CuPy's current one
                backend.on_its_device(_set_items, self.data, self.data, index, value, self)
        except (IndexError, ValueError) as e:
            raise _update_error(self, index, value, e) from None
        self._bump_version()

    # ---- elementwise math (ops/elementwise.py) ----
    # The methods between the next two rulers are written out by ops/registry.py from each
    # op's declaration (`method = "exp"` beside its rules); edit the op, then run the command.

    # ---- generated by `python -m microgradnd.ops` from each op's `method` ----
    def copy(self) -> Tensor:
        """A copy in new memory, sharing none with x; d/dx = 1."""
        return ops.copy(self)

    def exp(self) -> Tensor:
        """e**x; d/dx = e**x."""
        return ops.exp(self)

    def log(self) -> Tensor:
        """Natural logarithm; d/dx = 1/x."""
        return ops.log(self)

    def log1p(self) -> Tensor:
        """log(1 + x); d/dx = 1/(1 + x)."""
        return ops.log1p(self)

    def sqrt(self) -> Tensor:
        """√x; d/dx = 1/(2√x)."""
        return ops.sqrt(self)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of x; d/dx = 0."""
        return ops.sign(self)

    def abs(self) -> Tensor:
        """|x|; d/dx = sign(x)."""
        return ops.abs(self)

    def tanh(self) -> Tensor:
        """tanh x; d/dx = 1 - tanh² x."""
        return ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """1 / (1 + e**-x); d/dx = σ(x)(1 - σ(x))."""
        return ops.sigmoid(self)

    def relu(self) -> Tensor:
        """max(x, 0); d/dx = 1 where x > 0, else 0."""
        return ops.relu(self)

    def sin(self) -> Tensor:
        """sin x; d/dx = cos x."""
        return ops.sin(self)

    def cos(self) -> Tensor:
        """cos x; d/dx = -sin x."""
        return ops.cos(self)

    def sinh(self) -> Tensor:
        """sinh x; d/dx = cosh x."""
        return ops.sinh(self)

    def cosh(self) -> Tensor:
        """cosh x; d/dx = sinh x."""
        return ops.cosh(self)
    # ---- end of the generated methods ----

    __abs__ = abs

    def square(self) -> Tensor:
        """x²."""
        return ops.square(self)

    def clip(self, a_min=None, a_max=None, out=None) -> Tensor:
        """The values limited to [a_min, a_max] (either may be None); gradient 1 inside,
        bounds included, 0 outside."""
        if out is not None:
            raise TypeError("out= is not supported: clip of a Tensor returns a new Tensor")
        return ops.clip(self, a_min, a_max)

    # ---- shapes (ops/shapes.py) and indexing (ops/indexing.py) ----

    def reshape(self, *shape, order: str = "C") -> Tensor:
        if order != "C":        # numpy.reshape(t, shape) passes order='C'
            raise ValueError(f"reshape supports only order='C' (row-major), got {order!r}")
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return ops.reshape(self, tuple(shape))

    def expand_dims(self, axis) -> Tensor:
        """A view with a new size-1 axis at `axis` (MXNet's method, NumPy's function)."""
        return ops.expand_dims(self, axis)

    def squeeze(self, axis=None) -> Tensor:
        """A view without the size-1 axes (those of `axis` only, when given)."""
        return ops.squeeze(self, axis)

    def flatten(self) -> Tensor:
        """The values as a 1-D tensor (a copy, as NumPy's and MXNet's flatten)."""
        return ops.flatten(self)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]      # t.transpose((1, 0)), and numpy.transpose(t)'s None
        return ops.transpose(self, tuple(axes) if axes else None)

    def repeat(self, repeats: int, axis=None) -> Tensor:
        """Each element `repeats` times along `axis` (flattened when None), as numpy.repeat."""
        return ops.repeat(self, repeats, axis)

    @property
    def T(self) -> Tensor:
        return ops.transpose(self)

    def __getitem__(self, index) -> Tensor:
        return ops.getitem(self, index)

    # ---- reductions (ops/reductions.py) ----
    # dtype= and out= are what numpy.sum(t), numpy.std(t) & co. pass on to these methods.

    def sum(self, axis=None, keepdims: bool = False, dtype=None, out=None) -> Tensor:
        return ops.sum(_reduction_input(self, dtype, out), axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False, dtype=None, out=None) -> Tensor:
        return ops.mean(_reduction_input(self, dtype, out), axis, keepdims)

    def max(self, axis=None, keepdims: bool = False, out=None) -> Tensor:
        return ops.max(_reduction_input(self, None, out), axis, keepdims)

    def min(self, axis=None, keepdims: bool = False, out=None) -> Tensor:
        """The smallest element over `axis`; ties share the gradient."""
        return ops.min(_reduction_input(self, None, out), axis, keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof: int = 0,
            keepdims: bool = False) -> Tensor:
        """The variance over `axis`: mean squared deviation (divided by count - ddof)."""
        return ops.var(_reduction_input(self, dtype, out), axis, ddof, keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof: int = 0,
            keepdims: bool = False) -> Tensor:
        """The standard deviation over `axis`, √var; its gradient is 0 where it is 0."""
        return ops.std(_reduction_input(self, dtype, out), axis, ddof, keepdims)

    def prod(self, axis=None, keepdims: bool = False, dtype=None, out=None) -> Tensor:
        """The product over `axis`; differentiable, exactly also where elements are zero."""
        return ops.prod(_reduction_input(self, dtype, out), axis, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None) -> Tensor:
        """Running sums along `axis` (of the flattened values when None); differentiable."""
        return ops.cumsum(_reduction_input(self, dtype, out), axis)

    def argmax(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        """The index of the largest element (int64, never recorded)."""
        return ops.argmax(_reduction_input(self, None, out), axis, keepdims)

    def argmin(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        """The index of the smallest element (int64, never recorded)."""
        return ops.argmin(_reduction_input(self, None, out), axis, keepdims)

    # ---- linear algebra (ops/linalg.py) ----

    def dot(self, other) -> Tensor:
        return ops.dot(self, other)

    def matmul(self, other) -> Tensor:
        return ops.binary(ops.MatMul, self, other)

    # ---- convolution and pooling of NCHW images (ops/conv.py), PyTorch's arguments ----

    def conv2d(self, weight, bias=None, stride=1, padding=0, dilation=1,
               groups: int = 1) -> Tensor:
        return ops.conv2d(self, as_tensor(weight, like=self),
                          None if bias is None else as_tensor(bias, like=self),
                          stride, padding, dilation, groups)

    def max_pool2d(self, kernel_size, stride=None, padding=0, dilation=1) -> Tensor:
        return ops.max_pool2d(self, kernel_size, stride, padding, dilation)

    def avg_pool2d(self, kernel_size, stride=None, padding=0,
                   count_include_pad: bool = True) -> Tensor:
        return ops.avg_pool2d(self, kernel_size, stride, padding, count_include_pad)

    # ---- conversion ----

    def to(self, device) -> Tensor:
        """This tensor on `device`; differentiable when recording."""
        return ops.to_device(self, backend.normalize_device(device))

    @property
    def ctx(self):
        """The device as MXNet's Context prints it: cpu(0), cpu(1), gpu(0)... (an npx.Device)."""
        return _above("npx").device_named(self.device)

    def copyto(self, other) -> Tensor:
        """MXNet's copyto: a copy on the device `other`, or, when `other` is a Tensor of the
        same shape, the values written into it (in place, on its device) and it returned."""
        if isinstance(other, Tensor):
            if other.shape != self.shape:
                raise ShapeError(f"copyto: a tensor of shape {self.shape} cannot be copied into "
                                 f"one of shape {other.shape}; the shapes must be equal")
            other[...] = self.to(other.device)
            return other
        device = backend.normalize_device(other)
        return self.copy() if device == self.device else self.to(device)

    def as_in_context(self, ctx) -> Tensor:
        """MXNet's name for `to(ctx)`."""
        return self.to(ctx)

    def as_in_ctx(self, ctx) -> Tensor:
        """MXNet's name for `to(ctx)`."""
        return self.to(ctx)

    def wait_to_read(self) -> None:
        """Wait until this tensor's values are computed (MXNet): a no-op on the CPU, a
        device synchronize on a GPU, where kernels run after the call returns."""
        backend.synchronize(self.device)

    def astype(self, dtype) -> Tensor:
        """A copy with another dtype; differentiable between floating dtypes."""
        return ops.cast(self, numpy.dtype(dtype))

    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (shares memory on the CPU, copies from a GPU)."""
        return backend.to_host(self.data)

    asnumpy = numpy

    def item(self):
        return self.data.item()

    def as_nd_ndarray(self) -> Tensor:
        """MXNet's hand-over to its legacy NDArray API (ndarray.py): here the tensor itself,
        as MXNet's shares the memory and the graph."""
        return self

    def asscalar(self):
        """The value of a one-element tensor as a NumPy scalar of its dtype (MXNet's legacy
        NDArray.asscalar, which the book calls on `nansum(...)`, of shape (1,))."""
        if self.size != 1:
            raise ValueError(f"asscalar needs a one-element tensor, got shape {self.shape}: "
                             "reduce it first (t.sum()), or pick an element (t[0])")
        return backend.to_host(self.data).reshape(())[()]

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.data.item())

    def __int__(self) -> int:
        return int(self.data.item())

    def __index__(self) -> int:
        if self.ndim != 0:      # as NumPy: a 0-d integer tensor is an index, a [3] is not
            raise TypeError(f"only integer scalar tensors can be converted to a scalar index, "
                            f"got shape {self.shape}")
        return operator.index(self.data.item())     # CuPy arrays have no __index__

    def __bool__(self) -> bool:
        return bool(self.data)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __iter__(self):
        # not a generator: iter() of a 0-d tensor fails at once, as NumPy's, so that
        # numpy.iterable(t) (which matplotlib asks) says False
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self)))

    # ---- NumPy's and DLPack's protocols (interop.py) and printing (display.py) ----

    def __array__(self, dtype=None, copy=None):
        return _above("interop").array(self, dtype)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _above("interop").array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        return _above("interop").array_function(func, args, kwargs)

    def __dlpack__(self, *args, **kwargs):
        """Export the data without a copy (`torch.from_dlpack(t)`, `numpy.from_dlpack(t)`)."""
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> tuple:
        """(device type, device id) in DLPack's numbering: (1, 0) CPU, (2, N) CUDA GPU N."""
        return self.data.__dlpack_device__()

    def __repr__(self) -> str:
        return _above("display").tensor_repr(self)

    def __str__(self) -> str:
        return str(backend.to_host(self.data))

    def _repr_html_(self) -> str:
        """How a notebook shows the tensor (notebook.py): values summarized, .grad below."""
        return _above("notebook").tensor_html(self)

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        if self.data.size != 1:
            raise TypeError(f"format spec {spec!r} needs a one-element tensor, but this one has "
                            f"shape {self.shape}: format its elements (e.g. t[0]), or t.item() "
                            "of a one-element result")
        return format(self.data.item(), spec)

    # ---- pickling and copying: the data (and whether it is a variable), never the graph ----

    def __reduce__(self):
        # As PyTorch: a recorded result pickles as a leaf that requires a gradient, without
        # its graph (which could be huge, or deeper than pickle's recursion limit), and
        # without .grad. A fresh version counter is made on loading (_rebuilt).
        req = self._req or ("add" if self._node is not None else None)
        return _rebuilt, (backend.to_host(self.data), self.device, req)

    def __copy__(self) -> Tensor:
        """copy.copy(t): the same memory (and so the same version), graph and gradient."""
        t = _wrap(self.data, self._node)
        t._vc, t._req, t._grad = self._shared_vc(), self._req, self._grad
        return t

    def __deepcopy__(self, memo) -> Tensor:
        """copy.deepcopy(t) of a leaf: new memory, a copy of .grad, the same grad_req.

        A recorded result is refused, as in PyTorch: copying its graph is not supported;
        deepcopy t.detach() for its values.
        """
        if self._node is not None:
            raise GraphError(f"copy.deepcopy of a recorded result (shape {self.shape}, made by "
                             f"'{self._node.name}') is not supported: deepcopy t.detach() for "
                             "its values, or copy the leaves it was computed from")
        t = _wrap(backend.copy(self.data))
        t._req = self._req
        if self._grad is not None:
            t._grad = copy.deepcopy(self._grad, memo)
        memo[id(self)] = t
        return t


def _compare(op, symbol: str, t: Tensor, other) -> Tensor:
    """t <op> other as a boolean tensor; shapes that do not broadcast raise ShapeError."""
    value = ops.operand_data(other, t)
    try:
        return _cut(_wrap(backend.on_its_device(op, t.data, t.data, value)),
                    f"a comparison ({symbol})", t, other)
    except ValueError as e:
        raise broadcast_error(symbol, (t.data, value), e) from None


def broadcast_error(what: str, arrays, e: ValueError) -> ValueError:
    """A ShapeError naming the shapes when `arrays` do not broadcast, else e unchanged."""
    shapes = [numpy.shape(a) for a in arrays]
    try:
        numpy.broadcast_shapes(*shapes)
    except ValueError:
        return ShapeError(f"{what}: shapes {' and '.join(map(str, shapes))} do not broadcast: "
                          "compared from the last axis, each pair of sizes must be equal or "
                          "one of them 1; reshape one of them to fit")
    return e


def _cut(out: Tensor, how: str, *sources) -> Tensor:
    """`out`, made from `sources` by `how`, which carries no gradient (a comparison, argmax,
    an integer cast, detach). Inside record(), from a tensor that needs a gradient, this is
    remembered (debugging.note_cut) so that explain_grad can name the cut."""
    if state.recording:
        for x in sources:
            if isinstance(x, Tensor) and x.requires_grad:
                _above("debugging").note_cut(out, x, how)
                break
    return out


def _above(name: str):
    """A module of this package that stands above this one (it imports Tensor from here).

    Tensor's methods find it in sys.modules rather than importing it: an import statement
    costs about 2 µs per call, a dictionary look-up almost nothing.
    """
    module = sys.modules.get(f"{__package__}.{name}")
    return module if module is not None else importlib.import_module(f".{name}", __package__)


def _has_tangent(x) -> bool:
    return ops.tangents.has_tangent(x)


def _set_items(data, index, value, t) -> None:
    """data[index] = value, for `t[index] = value` (t holds data)."""
    data[ops.index_data(index, t)] = ops.operand_data(value, t)


def _replace_item(t, index, value) -> None:
    """`t[index] = value` as PyTorch records it: t takes the history (and the tangents) of a
    copy with index replaced."""
    old = _wrap(t.data, t._node)
    old._vc = t._vc      # the old memory, unchanged, keeps its aliases' counter
    ops.tangents.carry(t, old)
    new = ops.setitem(old, index, value)
    # t now holds new memory: a counter of its own, past every version recorded
    t.data, t._node, t._vc = new.data, new._node, [t._vc[0] + 1]
    t._tan = getattr(new, "_tan", None)


def _wrap(data, node=None) -> Tensor:
    """A Tensor around an existing array, skipping __init__'s checks (hot path)."""
    if type(data) is not _ndarray and isinstance(data, _generic):
        data = numpy.asarray(data)      # NumPy turns 0-d results into scalars; keep arrays
    t = _new(Tensor)
    t.data = data
    t._grad = None
    t._node = node
    t._req = None
    t._vc = UNCHANGED
    return t


def _rebuilt(data, device, req) -> Tensor:
    """A tensor from its pickled state (Tensor.__reduce__)."""
    t = Tensor(data, device=device)
    if req == "write":
        t.attach_grad("write")      # as attach_grad: zeros in .grad
    elif req == "add":
        t.requires_grad = True
    return t


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Make a Tensor (API §1): floats become float32, ints int64, arrays keep their dtype."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """Tensors pass through; arrays, lists and Python scalars become Tensors, on like's
    device and in like's dtype when `like` is given (else by API §1's dtype rules)."""
    if isinstance(x, Tensor):
        return x
    if like is not None:
        return tensor(x, dtype=like.dtype, device=like.device)
    return tensor(x)


def from_dlpack(obj) -> Tensor:
    """A Tensor sharing memory with any DLPack producer: PyTorch, JAX, CuPy, NumPy (API §4)."""
    return _wrap(backend.from_dlpack(obj))


def check_same_device(a, b, what: str) -> None:
    """Raise DeviceError naming both devices when two arrays live apart."""
    da, db = backend.device_of(a), backend.device_of(b)
    if not backend.same_memory(da, db):     # cpu(0) and cpu(1) meet, as in MXNet
        raise DeviceError(f"{what}: one input is on {da} and the other on {db}; move one "
                          f"with .to('{da}') or .to('{db}') first")


def _to_array(data, dtype, device):
    """Turn user input into an array following API §1's dtype rules; no copy if none asked."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        _check_numeric(numpy.dtype(dtype), "the dtype= argument")
    if backend.is_array(data):
        _check_numeric(data.dtype, f"a {type(data).__module__.split('.')[0]} array")
        if device is None:      # a CuPy array stays on its GPU; host data goes to the default
            device = backend.device_of(data) if not isinstance(data, numpy.ndarray) \
                else backend.get_default_device()
        data = backend.to_device(data, device)
        if dtype is None:
            return data
        with backend.on_device_of(data):        # a cast runs where the array lies
            return data.astype(dtype, copy=False)
    device = backend.normalize_device(device)
    if dtype is None and not isinstance(data, numpy.generic):
        arr = numpy.asarray(data)
        if arr.dtype == numpy.float64:        # Python floats become float32, as in MXNet
            arr = arr.astype(numpy.float32)
        elif arr.dtype.kind == "i":           # Python ints become int64 on every platform
            arr = arr.astype(numpy.int64, copy=False)
        else:
            _check_numeric(arr.dtype, f"a {type(data).__name__}")
        data = arr
    elif isinstance(data, numpy.generic):
        _check_numeric(data.dtype, f"a {type(data).__name__}")
    return backend.as_array(data, dtype=dtype, device=device)


def _check_numeric(dtype, what: str) -> None:
    """Refuse a dtype that is not a number or a bool (strings, objects, dates, records)."""
    if dtype.kind not in "biufc":
        raise TypeError(f"cannot make a tensor of dtype {dtype} (from {what}): a tensor holds "
                        "numbers or bools; convert the values first (e.g. with float())")


def _reduction_input(x: Tensor, dtype, out) -> Tensor:
    """x, cast to `dtype` if given; `out=` (from numpy.sum(t, out=...)) is refused."""
    if out is not None:
        raise TypeError("out= is not supported: a reduction of a Tensor returns a new Tensor")
    return x if dtype is None else x.astype(dtype)


def _refuse_recorded_update(variable, value, what: str) -> None:
    """Refuse to write a value that needs a gradient into a variable (as PyTorch does):
    the variable stays a leaf, so the value's gradient would be lost without a word."""
    if ops.requires_grad(value):
        raise GraphError(
            f"{what} of a variable (shape {variable.shape}) with a value that needs a gradient, "
            "inside autograd.record(): the value's gradient would be lost. Update variables "
            "outside record() (after backward), or compute a new tensor (y = x * 1.0; "
            "y[...] = value) and use y")


def _update_error(t, index, value, e):
    """The error for `t[index] = value` (or `t += value` when index is None), naming shapes."""
    if isinstance(e, IndexError):
        return IndexError(f"index {index!r} does not fit a tensor of shape {t.shape}: {e}")
    target = t.data.shape if index is None else t.data[ops.index_data(index)].shape
    shape = numpy.shape(value.data if isinstance(value, Tensor) else value)
    try:
        fits = numpy.broadcast_shapes(target, shape) == target
    except ValueError:
        fits = False
    if fits:
        return e            # not about shapes (a read-only array): NumPy's own words
    into = "" if index is None else f" at index {index!r} (shape {target})"
    return ShapeError(f"cannot update a tensor of shape {t.shape}{into} in place with a value "
                      f"of shape {shape}: it must broadcast to {target}")
