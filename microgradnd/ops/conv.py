"""Convolution and pooling of NCHW images: two primitives, unfold and fold; the rest composed.

`unfold` copies every kernel-sized window of a (padded) image into columns ("im2col": one
strided view, one copy); `fold` is its adjoint, summing columns back onto the image ("col2im":
one strided add per kernel offset, never a loop over pixels or channels). Each is the other's
backward rule, so derivatives of every order exist. conv2d is unfold, then one matmul per group
of channels; avg_pool2d and max_pool2d reduce the columns.
"""
from __future__ import annotations

import operator
from typing import NamedTuple

import numpy

from .. import backend, core
from ..errors import ShapeError
from .apply import Op, unary
from .elementwise import where
from .linalg import matmul, swap_last
from .reductions import sum
from .shapes import reshape, transpose

__all__ = [  # what ops/__init__.py gathers
    "Fold", "Unfold", "Window", "avg_pool2d", "conv2d", "fold", "max_pool2d", "unfold",
]


class Window(NamedTuple):
    """Where the windows of an (N, C, H, W) image lie: all pairs are (rows, columns)."""

    shape: tuple        # the image's (N, C, H, W), before padding
    kernel: tuple
    stride: tuple
    pad: tuple          # added on both sides
    dilate: tuple       # the step between a window's taps (1: adjacent)

    @property
    def out_hw(self) -> tuple:
        """The number of window positions down and across: ⌊(H + 2p - d(k-1) - 1) / s⌋ + 1."""
        return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in zip(
            self.shape[2:], self.kernel, self.stride, self.pad, self.dilate))


def _pair(v, name: str) -> tuple:
    """An int or a pair of ints (MXNet's Shape, PyTorch's int-or-tuple) as a pair."""
    pair = (v, v) if isinstance(v, int) or numpy.ndim(v) == 0 else tuple(v)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints (rows, columns) for 2-D "
                         f"images, not {v!r}")
    return tuple(operator.index(n) for n in pair)


def window(x, kernel, stride, pad, dilate=1, what: str = "conv2d") -> Window:
    """The Window of kernel-sized patches of x, checked: x must be (N, C, H, W) and fit one."""
    if x.ndim != 4:
        raise ShapeError(f"{what} takes a batch of images shaped (N, C, H, W), got shape "
                         f"{x.shape}: add the missing axes with reshape or expand_dims")
    win = Window(x.shape, _pair(kernel, "kernel"), _pair(stride, "stride"),
                 _pair(pad, "pad"), _pair(dilate, "dilate"))
    if min(win.kernel + win.stride + win.dilate) < 1 or min(win.pad) < 0:
        raise ValueError(f"{what}: kernel {win.kernel}, stride {win.stride} and dilation "
                         f"{win.dilate} must be positive and padding {win.pad} not negative")
    if min(win.out_hw) < 1:
        raise ShapeError(f"{what}: a {win.kernel} kernel (dilation {win.dilate}) does not fit "
                         f"in images of {x.shape[2:]} padded by {win.pad}: pad more or use a "
                         "smaller kernel")
    return win


# ---- the two primitives, each the other's adjoint ----


class Unfold(Op):
    """The image's windows as columns, laid out (C, kh, kw, OH, OW, N) (im2col).

    That layout is what conv2d wants: reshaped (for free, it is contiguous) to
    (C·kh·kw, OH·OW·N), it is one operand of a single matmul with the weights. The images'
    axis comes last so that every copy here and every add in fold runs over long contiguous
    stretches (OW·N values) rather than rows of OW (3x faster for fold, measured: W8).
    Padding takes the value `fill` (0, or -inf for max pooling); it is no input's, so the
    gradient ignores it.
    """

    name = "unfold"
    rule = "grad_x = fold(g): each window's gradient summed back onto its pixels"
    reads_inputs = False

    @staticmethod
    def forward(x, win, fill):
        xp = backend.xp_of(x)
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = win.kernel, win.stride, win.pad, win.dilate
        oh, ow = win.out_hw
        images_last = xp.full((c, h + 2 * ph, w + 2 * pw, n), fill, dtype=x.dtype) \
            if ph or pw else xp.empty((c, h, w, n), dtype=x.dtype)
        images_last[:, ph:ph + h, pw:pw + w] = x.transpose(1, 2, 3, 0)
        bc, bh, bw, bn = images_last.strides
        # A view with one axis per (channel, kernel row, kernel column, out row, out column,
        # image): stepping a kernel axis moves `dilate` pixels, an out axis `stride` pixels.
        cols = backend.as_strided(images_last, (c, kh, kw, oh, ow, n),
                                  (bc, bh * dh, bw * dw, bh * sh, bw * sw, bn))
        return xp.ascontiguousarray(cols)

    @staticmethod
    def backward(node, out, g):
        return (fold(g, node.args[0]),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return unary(Unfold, t[0], args[0], 0.0)     # linear; the padding is a constant


def unfold(x, win: Window, fill=0.0):
    """x's windows as columns (C, kh, kw, OH, OW, N); d/dx: fold (sum each back in place)."""
    return unary(Unfold, x, win, fill)


class Fold(Op):
    """Columns (C, kh, kw, OH, OW, N) summed back onto an image of win.shape (col2im).

    Where windows overlap their values add up, which is what makes fold the adjoint (the
    transpose) of unfold. The loop runs over the kernel's kh·kw offsets only: each adds one
    strided slab of every image and channel at once. The result is an (N, C, H, W) view of
    an image-last array.
    """

    name = "fold"
    rule = "grad_cols = unfold(g): each column reads its window of g"
    reads_inputs = False

    @staticmethod
    def forward(cols, win):
        xp = backend.xp_of(cols)
        n, c, h, w = win.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = win.kernel, win.stride, win.pad, win.dilate
        oh, ow = win.out_hw
        out = xp.zeros((c, h + 2 * ph, w + 2 * pw, n), dtype=cols.dtype)
        for i in range(kh):
            for j in range(kw):
                slab = out[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                           j * dw:j * dw + sw * (ow - 1) + 1:sw]
                slab += cols[:, i, j]
        return out[:, ph:ph + h, pw:pw + w].transpose(3, 0, 1, 2)

    @staticmethod
    def backward(node, out, g):
        return (unary(Unfold, g, node.args[0], 0.0),)

    @staticmethod
    def jvp(inputs, args, out, t):
        return fold(t[0], args[0])      # linear: fold of the tangent


def fold(cols, win: Window):
    """Columns summed back onto the image (col2im); d/dcols: unfold."""
    return unary(Fold, cols, win)


# ---- composed: convolution and pooling ----


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1):
    """PyTorch's conv2d: out[n, o] = bias[o] + Σ_c,i,j weight[o, c, i, j] · x[n, c, window].

    x is (N, C, H, W), weight (O, C/groups, kh, kw), bias (O,) or None; the channels split
    into `groups` groups, each seen only by its own O/groups filters. Computed as unfold and
    one matmul (a batch of `groups` matmuls), so the derivatives are those of its parts.
    """
    if weight.ndim != 4:
        raise ShapeError(f"conv2d: the weight must be (out channels, in channels / groups, kh, "
                         f"kw), got shape {weight.shape}")
    o, cg, kh, kw = weight.shape
    win = window(x, (kh, kw), stride, padding, dilation)
    n, c = x.shape[:2]
    if groups < 1 or c != cg * groups or o % groups:
        raise ShapeError(f"conv2d: input of shape {x.shape} ({c} channels) and weight of shape "
                         f"{weight.shape} with groups={groups}: the input needs "
                         "weight.shape[1] · groups channels, and the output channels "
                         "weight.shape[0] must divide into the groups")
    oh, ow = win.out_hw
    k, og = cg * kh * kw, o // groups
    lead = (groups,) if groups > 1 else ()        # no batch of one: a plain 2-D product
    cols = reshape(unfold(x, win), lead + (k, oh * ow * n))
    # One matmul per group, written colsᵀ @ weightᵀ, (OH·OW·N, k) @ (k, O/groups): then both
    # of its backward products are plain row-major products too. Written weight @ cols,
    # the weight's gradient would be g @ colsᵀ, an (O, N·OH·OW) @ (N·OH·OW, k) product
    # that OpenBLAS runs up to ten times slower than the forward (measured: W8's second
    # convolution, docs/performance.md).
    out = matmul(swap_last(cols), swap_last(reshape(weight, lead + (og, k))))
    out = transpose(reshape(out, (groups, oh, ow, n, og)), (3, 0, 4, 1, 2))
    out = reshape(out, (n, o, oh, ow))
    if bias is not None:
        if bias.shape != (o,):
            raise ShapeError(f"conv2d: the bias must have one value per output channel, shape "
                             f"({o},), got {bias.shape}")
        out = out + reshape(bias, (o, 1, 1))
    return out


def _pool_window(x, kernel_size, stride, padding, dilation, what) -> Window:
    """The Window of a pooling (stride defaults to the kernel), checked as PyTorch checks."""
    win = window(x, kernel_size, kernel_size if stride is None else stride, padding, dilation,
                 what)
    if any(2 * p > k for p, k in zip(win.pad, win.kernel)):
        raise ValueError(f"{what}: padding {win.pad} must be at most half the kernel "
                         f"{win.kernel}, so that every window sees the image (as PyTorch)")
    return win


def _pool_columns(x, win, fill):
    """The windows of a pooling as (C, kh·kw, OH, OW, N)."""
    return reshape(unfold(x, win, fill), (x.shape[1], win.kernel[0] * win.kernel[1])
                   + win.out_hw + (x.shape[0],))


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
    """PyTorch's avg_pool2d: the mean of each window (stride defaults to the kernel).

    The padding counts as zeros in the mean unless count_include_pad=False, which divides
    each window by the number of its pixels that lie in the image.
    """
    win = _pool_window(x, kernel_size, stride, padding, 1, "avg_pool2d")
    if win.stride == win.kernel and not any(win.pad):
        # Windows that tile the image (the book's 2×2, stride 2): a reshape shows each
        # window as two axes of its own, so no unfold copy and no fold are needed.
        # The axes are taken in the order x is laid out in memory (a convolution's output is
        # laid out (H, W, N, C)), so that neither this reshape nor its gradient's has to
        # gather values across memory (2 of W8's copies, 120 ms at one thread, measured).
        (oh, ow), (kh, kw) = win.out_hw, win.kernel
        tiles = x if x.shape[2:] == (oh * kh, ow * kw) else x[:, :, :oh * kh, :ow * kw]
        order = sorted(range(4), key=lambda a: -tiles.data.strides[a])
        split = {2: (oh, kh), 3: (ow, kw)}
        tiles = reshape(transpose(tiles, order),
                        tuple(n for a in order for n in split.get(a, (x.shape[a],))))
        window_axes = tuple(i + 1 for i, a in enumerate(order) if a in split)
        window_axes = tuple(w + k for k, w in enumerate(window_axes))
        means = sum(tiles, window_axes) / (kh * kw)        # axes in `order`
        return transpose(means, tuple(numpy.argsort(order).tolist()))
    total = sum(_pool_columns(x, win, 0.0), 1)      # (C, OH, OW, N)
    if count_include_pad or not any(win.pad):
        out = total / (win.kernel[0] * win.kernel[1])
    else:                                           # a constant count per window position
        with backend.on_device_of(x.data):
            ones = x.xp.ones((1, 1) + x.shape[2:], dtype=x.dtype)
            counts = Unfold.forward(ones, win._replace(shape=ones.shape), 0.0).sum(axis=(1, 2))
        out = total / core._wrap(counts)
    return transpose(out, (3, 0, 1, 2))


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """PyTorch's max_pool2d: the largest value of each window (stride defaults to the kernel).

    The whole gradient of a window goes to its first largest value in row-major order, as
    PyTorch's CPU kernel does (ties are not shared); padding never wins (it is -inf).
    """
    fill = -numpy.inf if x.dtype.kind == "f" else numpy.iinfo(x.dtype).min
    win = _pool_window(x, kernel_size, stride, padding, dilation, "max_pool2d")
    cols = _pool_columns(x, win, fill)
    xp = x.xp
    with backend.on_device_of(cols.data):
        first = cols.data.argmax(axis=1)            # the winner's tap, ties to the first
        taps = xp.arange(cols.shape[1]).reshape(1, -1, 1, 1, 1)
        chosen = taps == first[:, None]
    return transpose(sum(where(chosen, cols, 0), 1), (3, 0, 1, 2))
