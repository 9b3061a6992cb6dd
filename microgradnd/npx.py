"""MXNet's `npx` namespace as the book's chapters use it: `from microgradnd import npx`.

Activations, softmax, convolution, pooling, batch_dot, sequence_mask, `one_hot`, `pick`, and
the devices `cpu()`/`gpu(i)`. The maths is composed from the engine's differentiable ops; no
backward rule lives here. Devices are the strings backend.py understands ('cpu', 'cuda:N'),
printed as MXNet prints its Contexts.
"""
from __future__ import annotations

import numpy

from . import backend, np, ops
from .core import Tensor, _wrap, as_tensor
from .errors import ShapeError

# ---- activations and normalizations (differentiable) ----


def relu(data) -> Tensor:
    """max(data, 0) elementwise (MXNet's npx.relu)."""
    return ops.relu(as_tensor(data))


def sigmoid(data) -> Tensor:
    """1 / (1 + exp(-data)) elementwise (MXNet's npx.sigmoid)."""
    return ops.sigmoid(as_tensor(data))


def _shifted(x: Tensor, axis: int) -> Tensor:
    """x minus its maximum along `axis`, so that exp() cannot overflow.

    The shift is taken as a constant (from a detached x): softmax(x - c) = softmax(x) for any
    c, so treating c as constant changes no derivative, of any order, and records nothing.
    An empty x has nothing to shift (and no maximum): it is returned as it is, so that
    softmax of a size-0 axis is empty, as MXNet's and PyTorch's.
    """
    if x.size == 0:
        return x
    return x - x.detach().max(axis=axis, keepdims=True)


def softmax(data, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (MXNet's npx.softmax without length/temperature)."""
    e = _shifted(as_tensor(data), axis).exp()
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(data, axis: int = -1) -> Tensor:
    """x - log(sum(exp(x))) along `axis`, computed without overflow (MXNet's npx.log_softmax)."""
    s = _shifted(as_tensor(data), axis)
    return s - s.exp().sum(axis=axis, keepdims=True).log()


# ---- convolution, pooling, batched products, masks (differentiable) ----


def _shape_arg(v, default):
    """MXNet's Shape argument: () or None means the default for every axis."""
    return default if v is None or (not isinstance(v, int) and len(v) == 0) else v


def _two_d(kernel, layout, what: str) -> None:
    if layout not in (None, "NCHW"):
        raise ValueError(f"{what}: only the NCHW layout is supported, not {layout!r}")
    if kernel is not None and (isinstance(kernel, int) or len(kernel) != 2):
        raise ValueError(f"{what}: kernel={kernel!r}; only 2-D kernels (rows, columns) of "
                         "NCHW images are supported")


def convolution(data=None, weight=None, bias=None, kernel=None, stride=None, dilate=None,
                pad=None, num_filter=None, num_group: int = 1, workspace: int = 1024,
                no_bias: bool = False, cudnn_tune=None, cudnn_off: bool = False,
                layout=None) -> Tensor:
    """MXNet's npx.convolution for 2-D NCHW images (ops.conv2d underneath).

    data (N, C, H, W), weight (num_filter, C / num_group, kh, kw), bias (num_filter,);
    stride, dilate and pad default to 1, 1 and 0; workspace and the cuDNN knobs are accepted
    and ignored.
    """
    data, weight = as_tensor(data), as_tensor(weight)
    _two_d(kernel, layout, "convolution")
    if kernel is None or tuple(kernel) != tuple(weight.shape[2:]):
        raise ShapeError(f"convolution: kernel={kernel!r} but the weight has shape "
                         f"{weight.shape}, whose last two axes are the kernel: pass "
                         f"kernel={tuple(weight.shape[2:])}")
    if num_filter is None or num_filter != weight.shape[0]:
        raise ShapeError(f"convolution: num_filter={num_filter!r} but the weight has "
                         f"{weight.shape[0]} filters (its first axis)")
    bias = None if no_bias or bias is None else as_tensor(bias, like=data)
    return ops.conv2d(data, weight, bias, _shape_arg(stride, 1), _shape_arg(pad, 0),
                      _shape_arg(dilate, 1), num_group)


def pooling(data=None, kernel=None, pool_type: str = "max", global_pool: bool = False,
            cudnn_off: bool = False, pooling_convention: str = "valid", stride=None, pad=None,
            p_value=None, count_include_pad=None, layout=None) -> Tensor:
    """MXNet's npx.pooling for 2-D NCHW images: 'max', 'avg' or 'sum' over each window.

    As in MXNet, stride defaults to 1 (not to the kernel) and pad to 0; global_pool takes the
    whole image as the window; average pooling counts the padding unless
    count_include_pad=False. Only the 'valid' convention (windows wholly inside the padded
    image) is supported; 'lp' pooling is not.
    """
    data = as_tensor(data)
    _two_d(None if global_pool else kernel, layout, "pooling")
    if pooling_convention != "valid":
        raise ValueError(f"pooling: pooling_convention={pooling_convention!r} is not "
                         "supported, only 'valid'; pad the input to get 'full' windows")
    if global_pool:
        kernel, stride, pad = data.shape[2:], 1, 0
    elif kernel is None:
        raise ValueError("pooling: kernel is required unless global_pool=True")
    stride, pad = _shape_arg(stride, 1), _shape_arg(pad, 0)
    if pool_type == "max":
        return ops.max_pool2d(data, kernel, stride, pad)
    if pool_type in ("avg", "sum"):
        out = ops.avg_pool2d(data, kernel, stride, pad,
                             count_include_pad in (None, True) or pool_type == "sum")
        return out * (kernel[0] * kernel[1]) if pool_type == "sum" else out
    raise ValueError(f"pooling: pool_type must be 'max', 'avg' or 'sum', not {pool_type!r}")


def batch_dot(lhs, rhs, transpose_a: bool = False, transpose_b: bool = False,
              forward_stype=None) -> Tensor:
    """MXNet's npx.batch_dot: out[b] = op(lhs[b]) @ op(rhs[b]), op transposing when asked.

    Both operands have the same batch axes (no broadcasting, as in MXNet) and at least 3 axes.
    """
    lhs, rhs = as_tensor(lhs), as_tensor(rhs, like=lhs if isinstance(rhs, Tensor) else None)
    if lhs.ndim < 3 or rhs.ndim < 3 or lhs.shape[:-2] != rhs.shape[:-2]:
        raise ShapeError(f"batch_dot: shapes {lhs.shape} and {rhs.shape}: both need at least "
                         "3 axes and the same batch axes (all but the last two)")
    if transpose_a:
        lhs = ops.swap_last(lhs)
    if transpose_b:
        rhs = ops.swap_last(rhs)
    return ops.matmul(lhs, rhs)


def sequence_mask(data, sequence_length=None, use_sequence_length: bool = False,
                  value: float = 0.0, axis: int = 0) -> Tensor:
    """MXNet's npx.sequence_mask: steps at or past each sequence's length become `value`.

    `axis` (0 or 1) is the time axis and the other of the first two the batch axis;
    sequence_length holds one length per batch entry. Differentiable with respect to data
    (masked steps get gradient 0), not to the lengths. Without use_sequence_length, data is
    returned as it is.
    """
    data = as_tensor(data)
    if not use_sequence_length:
        return data
    if data.ndim >= 2:      # an axis out of range is an AxisError, as everywhere
        axis = ops.axis_index(axis, data.ndim, "sequence_mask")
    if axis not in (0, 1) or data.ndim < 2:
        raise ValueError(f"sequence_mask: axis must be 0 or 1 of data with at least 2 axes, "
                         f"got axis={axis} and shape {data.shape}")
    if sequence_length is None:
        raise ValueError("sequence_mask: use_sequence_length=True needs sequence_length")
    lengths = backend.to_device(as_tensor(sequence_length).data, data.device)
    batch = data.shape[1 - axis]
    if lengths.shape != (batch,):
        raise ShapeError(f"sequence_mask: sequence_length of shape {lengths.shape} for data of "
                         f"shape {data.shape} with axis={axis}: it needs one length per "
                         f"batch entry, shape ({batch},)")
    with backend.on_device_of(data.data):     # data's GPU, which need not be current
        steps = data.xp.arange(data.shape[axis])
        keep = steps[:, None] < lengths[None, :] if axis == 0 \
            else steps[None, :] < lengths[:, None]
    keep = keep.reshape(keep.shape + (1,) * (data.ndim - 2))
    return ops.where(keep, data, value)


# ---- indexing ----


def one_hot(indices, depth: int, on_value=1.0, off_value=0.0, dtype="float32") -> Tensor:
    """Rows of the identity: shape indices.shape + (depth,), float32 (MXNet's npx.one_hot).

    Not differentiable (its input is integer labels). An index outside [0, depth) gives a row
    of `off_value`, as in MXNet; float indices (MXNet's labels often are) are truncated.
    """
    if isinstance(depth, bool) or not isinstance(depth, (int, numpy.integer)) or depth < 1:
        raise ValueError(f"one_hot: depth must be a positive number of classes (an int), "
                         f"got {depth!r}")
    idx = as_tensor(indices).data
    xp = backend.xp_of(idx)
    with backend.on_device_of(idx):      # idx's GPU, which need not be current
        hot = idx.astype("int64")[..., None] == xp.arange(depth)
        return _wrap(xp.where(hot, on_value, off_value).astype(dtype))


def pick(data, index, axis: int = -1, mode: str = "clip", keepdims: bool = False) -> Tensor:
    """data's element at `index` along `axis`, for each position of the other axes.

    MXNet's npx.pick: `pick(y_hat, y)` is y_hat[i, y[i]] for each row i. Differentiable with
    respect to `data` (an integer-array getitem). `index` has data's shape without `axis` (or
    with it as 1); mode 'clip' clamps out-of-range indices, 'wrap' takes them modulo the size.
    """
    data = as_tensor(data)
    xp = data.xp
    axis = ops.axis_index(axis, data.ndim, "pick")
    n = data.shape[axis]
    if mode not in ("clip", "wrap"):
        raise ValueError(f"mode must be 'clip' or 'wrap', not {mode!r}")
    with backend.on_device_of(data.data):     # data's GPU, which need not be current
        idx = backend.to_device(as_tensor(index).data, data.device).astype("int64")
        if idx.ndim == data.ndim:           # the axis kept as 1
            idx = idx.reshape(idx.shape[:axis] + idx.shape[axis + 1:])
        idx = xp.clip(idx, 0, n - 1) if mode == "clip" else idx % n
        others = data.shape[:axis] + data.shape[axis + 1:]
        if idx.shape != others:
            raise ValueError(f"pick: index of shape {idx.shape} does not fit data of shape "
                             f"{data.shape} along axis {axis}: it needs shape {others}")
        # An open grid over the other axes: arange(s) shaped to broadcast along its own axis
        grid = [xp.arange(s).reshape((1,) * i + (s,) + (1,) * (len(others) - i - 1))
                for i, s in enumerate(others)]
    out = data[tuple(grid[:axis]) + (idx,) + tuple(grid[axis:])]
    return out.reshape(out.shape[:axis] + (1,) + out.shape[axis:]) if keepdims else out


# ---- devices ----


class Device(str):
    """A device named as MXNet names it, cpu(0) or gpu(i), usable wherever a device goes.

    Its value is the engine's name ('cpu', 'cpu:i', 'cuda:i'), so `device=npx.gpu(0)` and
    `t.device == npx.cpu()` work; it prints as MXNet's Context. Two Devices compare as MXNet's
    Contexts do (type and id). As in MXNet, cpu(i) are distinct contexts over the one host
    memory: an array keeps its label through every op, `copyto`/`as_in_ctx` move it (a copy),
    and arrays of two CPU contexts may meet in one op, whose result is on the first one's.
    On CuPy, gpu(i) is the real GPU i, and two GPUs never meet in one op.
    """

    def __new__(cls, device_type: str, device_id: int = 0):
        if device_type not in ("cpu", "gpu"):
            raise ValueError(f"device_type must be 'cpu' or 'gpu', not {device_type!r}")
        if int(device_id) < 0:
            raise ValueError(f"device_id must be >= 0, not {device_id}")
        value = backend.cpu_name(int(device_id)) if device_type == "cpu" \
            else f"cuda:{int(device_id)}"
        self = super().__new__(cls, value)
        self.device_type, self.device_id = device_type, int(device_id)
        return self

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        if isinstance(other, Device):
            return (self.device_type, self.device_id) == (other.device_type, other.device_id)
        return str.__eq__(self, other)

    def __ne__(self, other) -> bool:
        return not self == other

    __hash__ = str.__hash__


def cpu(device_id: int = 0) -> Device:
    """CPU context `device_id` (MXNet's npx.cpu(i)): the host's memory, labelled cpu(i)."""
    return Device("cpu", device_id)


def device_named(device: str) -> Device:
    """The Device of an engine device name: 'cpu' -> cpu(0), 'cpu:1' -> cpu(1), 'cuda:0' ->
    gpu(0)."""
    if backend.is_host(device):
        return Device("cpu", int(device[4:]) if device != "cpu" else 0)
    return Device("gpu", int(device[5:]))


def gpu(device_id: int = 0) -> Device:
    """GPU `device_id` (MXNet's npx.gpu(i)): 'cuda:i' to the engine, gpu(i) when printed.

    As in MXNet, naming a GPU does not check it exists; using it does (mg.DeviceError).
    """
    return Device("gpu", device_id)


def num_gpus() -> int:
    """How many GPUs the engine can use (0 without CuPy or a GPU)."""
    return backend.cuda_device_count()


def waitall() -> None:
    """Wait until every GPU has finished its queued work (MXNet's npx.waitall)."""
    for i in range(num_gpus()):
        backend.synchronize(f"cuda:{i}")


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """MXNet's switch to NumPy semantics, which microgradnd always has; `dtype` picks the dtypes.

    dtype=False (the default, MXNet 1.9.1): np's arrays made from Python numbers and lists,
    and its zeros, ones and random draws, are float32. dtype=True (MXNet 2.0's switch):
    NumPy's own dtypes (Python ints int64, floats float64). `shape` and `array` are accepted
    and ignored.
    """
    np.numpy_dtypes = bool(dtype)


def reset_np() -> None:
    """MXNet's switch back from NumPy semantics: here it restores float32 dtypes only."""
    np.numpy_dtypes = False


class _Random:
    """The `npx.random` namespace."""

    @staticmethod
    def seed(seed: int) -> None:
        """Seed the generators behind np.random (the same as np.random.seed)."""
        backend.seed(seed)

    def __repr__(self) -> str:
        return "<microgradnd.npx.random: seed>"


random = _Random()
