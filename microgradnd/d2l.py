"""The book's saved helpers (d2l.ai, MXNet edition, d2l-en v0.17.6), written for this engine.

Same names, signatures and printed output as the book's `d2l/mxnet.py`, by chapter: 3 (linear
and softmax regression, Fashion-MNIST), 5 (devices), 8 (text, RNN from scratch), 11
(optimizers). Data sets download once into a cache folder (~/.cache/microgradnd, or
$MICROGRADND_DATA) with checksums; each loader has a `synthetic=True` stand-in of the same
shapes for offline use. Plots need matplotlib (the `plot` extra) and are skipped without it;
outside a notebook the training loops print a line per epoch with the time left instead.
Misuse is a ValueError that names it: a class label out of range (which MXNet's pick would
clip), a size that is not a positive integer, a data file of the wrong shape or cut short.
"""
from __future__ import annotations

import collections
import gzip
import hashlib
import itertools
import math
import numbers
import os
import random
import re
import sys
import time
import urllib.error
import urllib.request
import uuid
import zlib
from collections.abc import Iterator

import numpy

from . import autograd, backend, np, npx
from .core import Tensor, _wrap

# ---- checks shared by the loaders, iterators and training loops ----


def _check_count(name: str, value, where: str, *, minimum: int = 1) -> None:
    """ValueError unless `value` is an integer >= minimum: a bad size gets a sentence naming
    the argument, not a ZeroDivisionError or an empty loop three calls later."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        allowed = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ValueError(f"{where}: {name} must be {allowed}, got {value!r}")


def _check_labels(labels, num_classes: int, where: str) -> None:
    """ValueError unless every label is a whole number in 0..num_classes-1.

    MXNet's pick clips an out-of-range label to the nearest class and the loss stays finite;
    a learner's loss should not hide a wrong label, so it is refused here.
    """
    values = labels.data if isinstance(labels, Tensor) else numpy.asarray(labels)
    if values.size == 0:
        return
    with backend.on_device_of(values):     # the labels' GPU, which need not be current
        whole = values.dtype.kind in "iub" or (
            values.dtype.kind == "f" and not bool((values != values.round()).any()))
        low, high = float(values.min()), float(values.max())
    if not whole:
        raise ValueError(f"{where}: class labels must be whole numbers, got "
                         f"{values.dtype} values such as {values.ravel()[:3].tolist()}")
    if low < 0 or high >= num_classes:
        bad = low if low < 0 else high
        raise ValueError(f"{where}: label {bad:g} is out of range for {num_classes} classes "
                         f"(labels are 0..{num_classes - 1}); check the labels, or the number "
                         "of outputs of the model")


def _duration(seconds: float) -> str:
    """A duration as a person reads it: '0.42 s', '12 s', '3 min 05 s', '2 h 04 min'."""
    if seconds < 10:
        return f"{seconds:.2g} s" if seconds < 1 else f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min {int(seconds % 60):02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class EpochClock:
    """The time per epoch so far and the time left: what a training loop in a terminal prints.

    `left(epochs_done)` after an epoch gives '2.1 s/epoch, 1 min 03 s left'; the estimate is
    the average epoch so far times the epochs still to run.
    """

    def __init__(self, num_epochs: int):
        self.num_epochs, self.start = num_epochs, time.perf_counter()

    def per_epoch(self, epochs_done: int) -> float:
        """Seconds per epoch, averaged over the `epochs_done` epochs so far."""
        return (time.perf_counter() - self.start) / epochs_done

    def first_epoch(self) -> str:
        """After the first epoch, how long the run takes: 'epoch 1 took 3.1 s: 500 epochs
        take about 25 min 50 s'."""
        per = self.per_epoch(1)
        return (f"epoch 1 took {_duration(per)}: {self.num_epochs} epochs take about "
                f"{_duration(per * self.num_epochs)}")

    def remaining(self, epochs_done: int) -> str:
        """'1 min 03 s left' after `epochs_done` epochs."""
        per = self.per_epoch(epochs_done)
        return f"{_duration(per * (self.num_epochs - epochs_done))} left"

    def left(self, epochs_done: int) -> str:
        """'2.1 s/epoch, 1 min 03 s left' after `epochs_done` epochs."""
        return f"{_duration(self.per_epoch(epochs_done))}/epoch, {self.remaining(epochs_done)}"


# ---- 3.2 linear regression from scratch ----


def synthetic_data(w: Tensor, b, num_examples: int, *, noise: float = 0.01):
    """Generate y = X w + b + noise, with X ~ N(0, 1) of shape (num_examples, len(w)).

    The data lands on w's device; `noise` is the standard deviation of the label noise.
    """
    _check_count("num_examples", num_examples, "synthetic_data", minimum=0)    # 0: no data
    device = w.device if isinstance(w, Tensor) else None
    X = np.random.normal(0, 1, (num_examples, len(w)), device=device)
    y = np.dot(X, w) + b
    y += np.random.normal(0, noise, y.shape, device=device)
    return X, y


def data_iter(batch_size: int, features: Tensor, labels: Tensor):
    """Yield shuffled minibatches (X, y), as the chapter does: clear, but slow at scale.

    It builds a Python list of every index and one small index array per batch. The last
    batch is short when `batch_size` does not divide the number of examples.
    """
    _check_count("batch_size", batch_size, "data_iter")
    num_examples = len(features)
    indices = list(range(num_examples))
    # The examples are read at random, in no particular order
    random.shuffle(indices)
    for i in range(0, num_examples, batch_size):
        batch_indices = np.array(
            indices[i: min(i + batch_size, num_examples)], device=features.device)
        yield features[batch_indices], labels[batch_indices]


def fast_data_iter(batch_size: int, features: Tensor, labels: Tensor,
                   shuffle: bool = True) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield minibatches (X, y) from one permutation per epoch, without Python lists.

    The permutation is drawn on the data's device (NumPy's generator on the CPU, CuPy's on a
    GPU); each batch is one gather into a fresh contiguous array. The last batch is short
    when `batch_size` does not divide the number of examples, as in `data_iter`.
    """
    _check_count("batch_size", batch_size, "fast_data_iter")
    X, y = features.data, labels.data
    n = len(X)
    if shuffle:
        order = backend.random_state(features.device).permutation(n)
        for i in range(0, n, batch_size):
            idx = order[i:i + batch_size]
            with backend.on_device_of(X):     # gathered on the data's GPU, whichever is current
                batch = _wrap(X[idx]), _wrap(y[idx])
            yield batch
    else:   # contiguous slices are views already: nothing to gather
        for i in range(0, n, batch_size):
            yield _wrap(X[i:i + batch_size]), _wrap(y[i:i + batch_size])


def linreg(X: Tensor, w: Tensor, b: Tensor) -> Tensor:
    """The linear regression model: X w + b."""
    return np.dot(X, w) + b


def squared_loss(y_hat: Tensor, y: Tensor) -> Tensor:
    """Per-example squared loss (ŷ - y)² / 2; y is reshaped to ŷ's shape (exercise 5)."""
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params: list[Tensor], lr: float, batch_size: int) -> None:
    """Minibatch SGD: param -= lr · grad / batch_size, in place.

    The loss is summed over the batch, so dividing by the batch size makes the step an average.
    Pass the actual length of a short last batch, `len(X)`, to average it correctly (exercise 7).
    """
    _check_count("batch_size", batch_size, "sgd")
    for param in params:
        if param.grad is None:
            raise TypeError(f"a parameter of shape {param.shape} has no gradient: call "
                            ".attach_grad() on it before autograd.record(), then backward")
        param[:] = param - lr * param.grad / batch_size


class Timer:
    """Record multiple running times (the book's d2l.Timer)."""

    def __init__(self):
        self.times = []
        self.start()

    def start(self) -> None:
        """Start the timer."""
        self.tik = time.time()

    def stop(self) -> float:
        """Stop the timer and record the time in a list."""
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def avg(self) -> float:
        """Return the average time."""
        return sum(self.times) / len(self.times)

    def sum(self) -> float:  # noqa: A003 - the book's name
        """Return the sum of time."""
        return sum(self.times)

    def cumsum(self) -> list[float]:
        """Return the accumulated time."""
        return list(itertools.accumulate(self.times))


class Accumulator:
    """For accumulating sums over `n` variables (Tensors are read with float())."""

    def __init__(self, n: int):
        self.data = [0.0] * n

    def add(self, *args) -> None:
        """Add each argument to its running sum."""
        self.data = [a + float(b) for a, b in zip(self.data, args)]

    def reset(self) -> None:
        """Set every sum back to zero."""
        self.data = [0.0] * len(self.data)

    def __getitem__(self, idx):
        return self.data[idx]


class _Batches:
    """Minibatches of equally long arrays, yielded as tuples of Tensors.

    Reshuffled at each pass when `shuffle` (on the arrays' device); the last batch is short
    when `batch_size` does not divide the length, as Gluon's DataLoader keeps it. `transform`
    is applied to the first array of each batch (Gluon's transform_first).
    """

    def __init__(self, arrays, batch_size: int, shuffle: bool, transform=None, *,
                 where: str = "load_array"):
        _check_count("batch_size", batch_size, where)
        self.arrays = [a.data if isinstance(a, Tensor) else a for a in arrays]
        self.batch_size, self.shuffle, self.transform = batch_size, shuffle, transform
        self.num_examples = len(self.arrays[0])
        if any(len(a) != self.num_examples for a in self.arrays):
            raise ValueError(f"arrays of lengths {[len(a) for a in self.arrays]} do not pair up")
        if self.num_examples == 0:
            raise ValueError(f"{where}: the arrays hold no examples")

    def __len__(self) -> int:
        return math.ceil(self.num_examples / self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n, bs = self.num_examples, self.batch_size
        if self.shuffle:
            order = backend.random_state(backend.device_of(self.arrays[0])).permutation(n)
        for i in range(0, n, bs):
            idx = order[i:i + bs] if self.shuffle else slice(i, i + bs)
            with backend.on_device_of(self.arrays[0]):    # on the data's GPU
                batch = [a[idx] for a in self.arrays]
            if self.transform is not None:
                batch[0] = self.transform(batch[0])
            yield tuple(_wrap(b) for b in batch)


def load_array(data_arrays, batch_size: int, is_train: bool = True) -> _Batches:
    """Minibatches of (features, labels, ...), shuffled when `is_train` (Gluon's DataLoader)."""
    return _Batches(data_arrays, batch_size, shuffle=is_train)


# ---- plotting (matplotlib, the `plot` extra; skipped without it) ----


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _pyplot(plot: bool | None = None):
    """matplotlib.pyplot, or None (said in one line) when plot=False or it is not installed.

    plot=None follows $MICROGRADND_PLOT ('0' turns plotting off, for headless runs).
    """
    if plot is None:
        plot = os.environ.get("MICROGRADND_PLOT", "1") != "0"
    if not plot:
        _say("plotting off (plot=False or MICROGRADND_PLOT=0): the metrics are printed instead")
        return None
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        _say('plotting skipped: matplotlib is not installed (pip install "microgradnd[plot]")')
        return None
    return plt


def __getattr__(name: str):
    """`d2l.plt` is matplotlib.pyplot, imported on first use (the book's d2l.plt)."""
    if name == "plt":
        import matplotlib.pyplot as plt
        return plt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _ipython_display():
    """IPython's display module inside a notebook, else None (a script shows plots itself).

    A notebook's shell has a kernel; a terminal IPython, or the bare shell that
    matplotlib-inline makes on import, has none and shows no figures.
    """
    try:
        from IPython import display, get_ipython
    except ImportError:
        return None
    return display if getattr(get_ipython(), "kernel", None) is not None else None


def use_svg_display() -> None:
    """Use the svg format to display a plot in Jupyter (nothing outside a notebook)."""
    if _ipython_display() is not None:
        try:
            from matplotlib_inline.backend_inline import set_matplotlib_formats
            set_matplotlib_formats("svg")
        except ImportError:
            pass


def set_figsize(figsize=(3.5, 2.5)) -> None:
    """Set the figure size for matplotlib."""
    use_svg_display()
    __getattr__("plt").rcParams["figure.figsize"] = figsize


def set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
    """Set the axes for matplotlib."""
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    axes.set_xlim(xlim)
    axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid()


def plot(X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
         xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), figsize=(3.5, 2.5),
         axes=None) -> None:
    """Plot data points (the book's d2l.plot)."""
    plt = __getattr__("plt")
    legend = [] if legend is None else legend
    set_figsize(figsize)
    axes = axes if axes else plt.gca()

    def has_one_axis(X):
        return (hasattr(X, "ndim") and X.ndim == 1 or isinstance(X, list)
                and not hasattr(X[0], "__len__"))

    if has_one_axis(X):
        X = [X]
    if Y is None:
        X, Y = [[]] * len(X), X
    elif has_one_axis(Y):
        Y = [Y]
    if len(X) != len(Y):
        X = X * len(Y)
    axes.cla()
    for x, y, fmt in zip(X, Y, fmts):
        if len(x):
            axes.plot(x, y, fmt)
        else:
            axes.plot(y, fmt)
    set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


class Animator:
    """For plotting data in animation (the book's); every point is kept in X and Y.

    With plot=False, or without matplotlib, it only records: `drawing` says which.
    `displayed` says whether anyone sees the plot as it grows (a notebook shows it); where
    no one does (a script in a terminal), the training loops print a line instead.
    """

    def __init__(self, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None,
                 xscale="linear", yscale="linear", fmts=("-", "m--", "g-.", "r:"), nrows=1,
                 ncols=1, figsize=(3.5, 2.5), *, plot: bool | None = None):
        self.X, self.Y, self.fmts = None, None, fmts
        plt = _pyplot(plot)
        self.drawing = plt is not None
        self.displayed = self.drawing and _ipython_display() is not None
        if not self.drawing:
            return
        legend = [] if legend is None else legend
        use_svg_display()
        self.fig, self.axes = plt.subplots(nrows, ncols, figsize=figsize)
        if nrows * ncols == 1:
            self.axes = [self.axes]
        self.config_axes = lambda: set_axes(self.axes[0], xlabel, ylabel, xlim, ylim, xscale,
                                            yscale, legend)

    def add(self, x, y) -> None:
        """Add data points (one x for all lines, or one per line); None leaves a gap."""
        if not hasattr(y, "__len__"):
            y = [y]
        n = len(y)
        if not hasattr(x, "__len__"):
            x = [x] * n
        if not self.X:
            self.X = [[] for _ in range(n)]
        if not self.Y:
            self.Y = [[] for _ in range(n)]
        for i, (a, b) in enumerate(zip(x, y)):
            if a is not None and b is not None:
                self.X[i].append(a)
                self.Y[i].append(b)
        if not self.drawing:
            return
        self.axes[0].cla()
        for x, y, fmt in zip(self.X, self.Y, self.fmts):
            self.axes[0].plot(x, y, fmt)
        self.config_axes()
        display = _ipython_display()
        if display is not None:
            display.display(self.fig)
            display.clear_output(wait=True)


def show_images(imgs, num_rows: int, num_cols: int, titles=None, scale: float = 1.5):
    """Plot a list of images."""
    figsize = (num_cols * scale, num_rows * scale)
    _, axes = __getattr__("plt").subplots(num_rows, num_cols, figsize=figsize)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(img.numpy() if isinstance(img, Tensor) else img)
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles:
            ax.set_title(titles[i])
    return axes


# ---- downloads: DATA_HUB, a cache folder, SHA-1 checksums ----

DATA_HUB = {}
DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
# Gluon's FashionMNIST reads its files from MXNet's data repository
GLUON_DATA_URL = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/"

DATA_HUB["time_machine"] = (DATA_URL + "timemachine.txt",
                            "090b5e7e70c295757f55df93cb0a180b9691891a")
DATA_HUB["airfoil"] = (DATA_URL + "airfoil_self_noise.dat",
                       "76e5be1548fd8222e5074cf0faae75edff8cf93f")
DATA_HUB["fashion_mnist_train_images"] = (
    GLUON_DATA_URL + "fashion-mnist/train-images-idx3-ubyte.gz",
    "0cf37b0d40ed5169c6b3aba31069a9770ac9043d")
DATA_HUB["fashion_mnist_train_labels"] = (
    GLUON_DATA_URL + "fashion-mnist/train-labels-idx1-ubyte.gz",
    "236021d52f1e40852b06a4c3008d8de8aef1e40b")
DATA_HUB["fashion_mnist_test_images"] = (
    GLUON_DATA_URL + "fashion-mnist/t10k-images-idx3-ubyte.gz",
    "626ed6a7c06dd17c0eec72fa3be1740f146a2863")
DATA_HUB["fashion_mnist_test_labels"] = (
    GLUON_DATA_URL + "fashion-mnist/t10k-labels-idx1-ubyte.gz",
    "17f9ab60e7257a1620f4ad76bbbaf857c3920701")
# MNIST (the appendix's naive Bayes, through gluon.data.vision.MNIST), from the same repository
DATA_HUB["mnist_train_images"] = (GLUON_DATA_URL + "mnist/train-images-idx3-ubyte.gz",
                                  "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
DATA_HUB["mnist_train_labels"] = (GLUON_DATA_URL + "mnist/train-labels-idx1-ubyte.gz",
                                  "2a80914081dc54586dbdf242f9805a6b8d2a15fc")
DATA_HUB["mnist_test_images"] = (GLUON_DATA_URL + "mnist/t10k-images-idx3-ubyte.gz",
                                 "c3a25af1f52dad7f726cce8cacb138654b760d48")
DATA_HUB["mnist_test_labels"] = (GLUON_DATA_URL + "mnist/t10k-labels-idx1-ubyte.gz",
                                 "763e7fa3757d93b0cdec073cef058b2004252c17")

# What to call instead when a file cannot be had (named in the error)
_SYNTHETIC = {
    "time_machine": "load_data_time_machine(..., synthetic=True)",
    "airfoil": "get_data_ch11(..., synthetic=True)",
}


class DownloadError(OSError):
    """A data file that could not be downloaded, or whose SHA-1 checksum is not the expected.

    Besides its full message it keeps `path` (where the file belongs), `url` and `reason`
    (why it could not be had, in a few words), for `brief`.
    """

    def __init__(self, message: str, path: str = "", url: str = "", reason: str = ""):
        super().__init__(message)
        self.path, self.url, self.reason = path, url, reason

    def brief(self, instead: str) -> str:
        """Two lines for a script to exit with: the file to place, and `instead` to run."""
        return (f"error: {self.path} is needed and could not be downloaded ({self.reason}).\n"
                f"Place it there by hand (from {self.url}), or run without a download: "
                f"{instead}")


def data_dir() -> str:
    """The cache folder: $MICROGRADND_DATA, else ~/.cache/microgradnd."""
    return os.environ.get("MICROGRADND_DATA") or os.path.join(
        os.path.expanduser("~"), ".cache", "microgradnd")


_READ_SIZE = 1 << 20     # bytes per read when hashing a file


def _sha1(path: str) -> str:
    sha1 = hashlib.sha1()
    with open(path, "rb") as f:
        while data := f.read(_READ_SIZE):
            sha1.update(data)
    return sha1.hexdigest()


def _make_folders(folder: str) -> list[str]:
    """os.makedirs(folder), returning the folders it created, outermost first."""
    created, path = [], os.path.abspath(folder)
    while not os.path.isdir(path):
        created.append(path)
        path = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    return created[::-1]


def _remove_empty(folders: list[str]) -> None:
    """Remove the `folders` a failed download created, innermost first, if still empty."""
    for folder in reversed(folders):
        try:
            os.rmdir(folder)
        except OSError:         # not empty (another download put a file there), or gone
            return


def _progress(done: int, total: int, width: int = 30) -> None:
    """One line on stderr, redrawn in place: [#####     ]  50.0%  13.2/26.4 MB."""
    if total:
        frac = min(done / total, 1.0)
        sys.stderr.write(f"\r[{'#' * int(width * frac):<{width}}] {100 * frac:5.1f}%  "
                         f"{done / 1e6:.1f}/{total / 1e6:.1f} MB")
    else:
        sys.stderr.write(f"\r{done / 1e6:.1f} MB")
    sys.stderr.flush()


def download(name: str, cache_dir: str | None = None) -> str:
    """Download a file of DATA_HUB into `cache_dir` once, check its SHA-1, return its path.

    A file already there with the right checksum is used as is. Offline (or with
    MICROGRADND_OFFLINE=1), DownloadError names the file to place by hand, its URL, and the
    synthetic stand-in.
    """
    if name not in DATA_HUB:
        raise ValueError(f"download: no data set named {name!r}; DATA_HUB has {sorted(DATA_HUB)}")
    url, sha1_hash = DATA_HUB[name]
    cache_dir = data_dir() if cache_dir is None else cache_dir
    fname = os.path.join(cache_dir, url.split("/")[-1])
    if os.path.exists(fname):
        got = _sha1(fname)
        if got == sha1_hash:
            return fname            # Hit cache
        problem = f"{fname} has SHA-1 {got}, not the expected {sha1_hash}"
    else:
        problem = f"{fname} does not exist"
    by_hand = (f"Place the file by hand at {fname} (from {url}, SHA-1 {sha1_hash}), or point "
               f"MICROGRADND_DATA at a folder that holds it; or, with no download at all, use "
               f"the synthetic stand-in: {_SYNTHETIC.get(name, 'synthetic=True')}.")
    if os.environ.get("MICROGRADND_OFFLINE") == "1":
        raise DownloadError(f"{problem}, and MICROGRADND_OFFLINE=1 forbids downloading it. "
                            f"{by_hand}", fname, url, "MICROGRADND_OFFLINE=1")
    created = _make_folders(cache_dir)
    print(f"Downloading {fname} from {url}...")
    # A name of its own per download: two threads or processes fetching the same file never
    # write to one file, and the complete, checked file appears at once by os.replace.
    part = f"{fname}.{uuid.uuid4().hex[:12]}.part"
    try:
        with urllib.request.urlopen(url, timeout=60) as src, open(part, "xb") as dst:
            total, done = int(src.headers.get("Content-Length") or 0), 0
            while chunk := src.read(1 << 16):
                dst.write(chunk)
                done += len(chunk)
                _progress(done, total)
        sys.stderr.write("\n")
    except (urllib.error.URLError, OSError) as e:
        if os.path.exists(part):
            os.remove(part)
        _remove_empty(created)
        raise DownloadError(f"{problem}, and downloading it failed ({e}). {by_hand}",
                            fname, url, f"{getattr(e, 'reason', e)}") from e
    got = _sha1(part)
    if got != sha1_hash:
        os.remove(part)
        _remove_empty(created)
        raise DownloadError(f"the file downloaded from {url} has SHA-1 {got}, not the expected "
                            f"{sha1_hash}; it was not kept. {by_hand}",
                            fname, url, f"the download's SHA-1 is {got}, not {sha1_hash}")
    os.replace(part, fname)
    return fname


# ---- 3.5 Fashion-MNIST ----


def _read_idx(path: str, shape_wanted: tuple, what: str) -> numpy.ndarray:
    """A gzipped IDX file of unsigned bytes: magic 0 0 8 ndim, big-endian sizes, the bytes.

    `shape_wanted` is the shape the loader expects, None where any size goes (the number of
    examples): a file of another shape, or a broken one, is a ValueError naming the file.
    """
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:     # not gzip, or cut short
        raise ValueError(f"{path} is not a complete gzip file ({e}); delete it and download "
                         "it again") from e
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (magic {raw[:4]!r})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path} has a truncated IDX header: {ndim} sizes need "
                         f"{4 + 4 * ndim} bytes, the file holds {len(raw)}")
    shape = tuple(int(d) for d in numpy.frombuffer(raw, ">u4", count=ndim, offset=4))
    data = numpy.frombuffer(raw, numpy.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise ValueError(f"{path} holds {data.size} bytes of data; its header says {shape}")
    if len(shape) != len(shape_wanted) or any(
            want is not None and got != want for got, want in zip(shape, shape_wanted)):
        wanted = "(" + ", ".join("n" if d is None else str(d) for d in shape_wanted) + \
            ("," if len(shape_wanted) == 1 else "") + ")"
        raise ValueError(f"{path} holds an array of shape {shape}; {what} are {wanted}")
    return data.reshape(shape)


def read_fashion_mnist(train: bool = True, *,
                       name: str = "fashion_mnist") -> tuple[numpy.ndarray, numpy.ndarray]:
    """Images (n, 28, 28) uint8 and labels (n,) int32 of the train or test set, downloaded once.

    name='mnist' reads MNIST's files instead (the same format).
    """
    part = "train" if train else "test"
    folder = os.path.join(data_dir(), name.replace("_", "-"))
    images_path = download(f"{name}_{part}_images", folder)
    labels_path = download(f"{name}_{part}_labels", folder)
    what = "MNIST" if name == "mnist" else "Fashion-MNIST"
    images = _read_idx(images_path, (None, 28, 28), f"{what}'s images")
    labels = _read_idx(labels_path, (None,), f"{what}'s labels").astype(numpy.int32)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images in {images_path} but {len(labels)} labels in "
                         f"{labels_path}: the {part} set's files do not pair up")
    return images, labels


def synthetic_fashion_mnist(num_train: int = 6000, num_test: int = 1000, seed: int = 0):
    """Fashion-MNIST's shapes and types without a download: ((images, labels), (images, labels)).

    Images are (n, 28, 28) uint8, labels (n,) int32 in 0..9: each class a fixed blocky shape on
    a dark background, each image that shape at a random brightness plus noise. Like the real
    set, about half the pixels are dark and the mean pixel is about 0.28: a set bright
    everywhere makes the book's learning rates (0.5 in §4.6) diverge on it.
    """
    _check_count("num_train", num_train, "synthetic_fashion_mnist")
    _check_count("num_test", num_test, "synthetic_fashion_mnist")
    rng = numpy.random.default_rng(seed)
    shapes = rng.uniform(0, 1, (10, 7, 7)) < 0.5
    templates = numpy.kron(shapes * rng.uniform(0.5, 1, (10, 7, 7)), numpy.ones((4, 4)))

    def draw(n):
        labels = rng.integers(0, 10, n).astype(numpy.int32)
        brightness = rng.uniform(0.5, 1.0, (n, 1, 1))
        images = templates[labels] * brightness * 255 + rng.normal(0, 20, (n, 28, 28))
        return numpy.clip(images, 0, 255).astype(numpy.uint8), labels

    return draw(num_train), draw(num_test)


def _resize(images: numpy.ndarray, size) -> numpy.ndarray:
    """Bilinear resize of (n, h, w) images to (n, height, width), pixel centres aligned."""
    width, height = (size, size) if isinstance(size, int) else size    # Gluon's (w, h)
    h, w = images.shape[1:]

    def taps(n_out, n_in):
        x = numpy.clip((numpy.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = numpy.floor(x).astype(numpy.int64)
        return lo, numpy.minimum(lo + 1, n_in - 1), (x - lo).astype(numpy.float32)

    ylo, yhi, ty = taps(height, h)
    xlo, xhi, tx = taps(width, w)
    rows = images[:, ylo] * (1 - ty)[:, None] + images[:, yhi] * ty[:, None]
    return rows[:, :, xlo] * (1 - tx) + rows[:, :, xhi] * tx


def _to_tensor(resize=None):
    """Gluon's ToTensor (after Resize): uint8 (n, h, w) -> float32 (n, 1, h, w) in [0, 1]."""
    def transform(images):
        images = images.astype(numpy.float32) / 255
        if resize:
            images = _resize(images, resize)
        return images[:, None]
    return transform


def get_fashion_mnist_labels(labels) -> list[str]:
    """Return text labels for the Fashion-MNIST dataset."""
    text_labels = ["t-shirt", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    _check_labels(labels, len(text_labels), "get_fashion_mnist_labels")
    return [text_labels[int(i)] for i in labels]


def load_data_fashion_mnist(batch_size: int, resize=None, *, synthetic: bool = False):
    """Fashion-MNIST as (train_iter, test_iter), downloaded once into the cache folder.

    Each iterator yields (X, y): X float32 (batch, 1, 28, 28) in [0, 1] (or resize x resize),
    y int32 labels, as Gluon's FashionMNIST with ToTensor gives them; train is reshuffled at
    each pass. synthetic=True uses synthetic_fashion_mnist() and downloads nothing.
    """
    where = "load_data_fashion_mnist"
    _check_count("batch_size", batch_size, where)
    if resize is not None:
        for size in resize if isinstance(resize, (tuple, list)) else (resize,):
            _check_count("resize", size, where)
    if synthetic:
        train, test = synthetic_fashion_mnist()
    else:
        try:
            train, test = read_fashion_mnist(True), read_fashion_mnist(False)
        except DownloadError as e:
            raise DownloadError(f"{e} (Fashion-MNIST: load_data_fashion_mnist(..., "
                                "synthetic=True) needs no download)", e.path, e.url,
                                e.reason) from e
    transform = _to_tensor(resize)
    return (_Batches(train, batch_size, shuffle=True, transform=transform, where=where),
            _Batches(test, batch_size, shuffle=False, transform=transform, where=where))


# ---- 3.6 softmax regression from scratch: training and evaluating ----


def accuracy(y_hat: Tensor, y: Tensor) -> float:
    """Compute the number of correct predictions."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.astype(y.dtype) == y
    return float(cmp.astype(y.dtype).sum())


def evaluate_accuracy(net, data_iter) -> float:
    """Compute the accuracy for a model on a dataset."""
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    for X, y in data_iter:
        metric.add(accuracy(net(X), y), y.size)
    return metric[0] / metric[1]


def train_epoch_ch3(net, train_iter, loss, updater):
    """Train a model within one epoch (defined in Chapter 3); return (loss, accuracy)."""
    # Sum of training loss, sum of training accuracy, no. of examples
    metric = Accumulator(3)
    if hasattr(updater, "step"):        # an optimizer object, as Gluon's Trainer
        updater = updater.step
    for X, y in train_iter:
        # Compute gradients and update parameters
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 - the book's name
        l.backward()
        updater(X.shape[0])
        metric.add(float(l.sum()), accuracy(y_hat, y), y.size)
    # Return training loss and training accuracy
    return metric[0] / metric[2], metric[1] / metric[2]


def train_ch3(net, train_iter, test_iter, loss, num_epochs: int, updater, *,
              plot: bool | None = None):
    """Train a model (defined in Chapter 3); return (train loss, train acc, test acc).

    The book plots the three curves. Where no notebook shows the plot (a script, or
    plot=False), each epoch prints them in one line with the time left. The book's closing
    asserts (loss < 0.5, accuracies > 0.7) are left out: they hold for its settings only.
    """
    _check_count("num_epochs", num_epochs, "train_ch3")
    animator = Animator(xlabel="epoch", xlim=[1, num_epochs], ylim=[0.3, 0.9],
                        legend=["train loss", "train acc", "test acc"], plot=plot)
    clock = EpochClock(num_epochs)
    for epoch in range(num_epochs):
        train_metrics = train_epoch_ch3(net, train_iter, loss, updater)
        test_acc = evaluate_accuracy(net, test_iter)
        animator.add(epoch + 1, train_metrics + (test_acc,))
        if not animator.displayed:
            print(f"epoch {epoch + 1}, loss {train_metrics[0]:.3f}, "
                  f"train acc {train_metrics[1]:.3f}, test acc {test_acc:.3f}, "
                  f"{clock.left(epoch + 1)}", flush=True)
    train_loss, train_acc = train_metrics
    return train_loss, train_acc, test_acc


def predict_ch3(net, test_iter, n: int = 6, *, plot: bool | None = None) -> list[str]:
    """Predict labels (defined in Chapter 3); show the first n images, return their titles."""
    _check_count("n", n, "predict_ch3")
    X, y = next(iter(test_iter))
    if n > len(X):
        raise ValueError(f"predict_ch3: n={n} images asked for, but a batch of test_iter "
                         f"holds {len(X)}: use n <= {len(X)}")
    trues = get_fashion_mnist_labels(y)
    preds = get_fashion_mnist_labels(net(X).argmax(axis=1))
    titles = [true + "\n" + pred for true, pred in zip(trues, preds)]
    if _pyplot(plot) is not None:
        show_images(X[0:n].reshape((n, 28, 28)), 1, n, titles=titles[0:n])
    else:
        for true, pred in zip(trues[:n], preds[:n]):
            print(f"{true} -> {pred}")
    return titles[0:n]


def evaluate_loss(net, data_iter, loss) -> float:
    """Evaluate the loss of a model on the given dataset."""
    metric = Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        metric.add(loss(net(X), y).sum(), y.size)
    return metric[0] / metric[1]


# ---- 5.6 GPUs ----


def try_gpu(i: int = 0) -> npx.Device:
    """Return gpu(i) if exists, otherwise return cpu()."""
    return npx.gpu(i) if npx.num_gpus() >= i + 1 else npx.cpu()


def try_all_gpus() -> list[npx.Device]:
    """Return all available GPUs, or [cpu(),] if no GPU exists."""
    devices = [npx.gpu(i) for i in range(npx.num_gpus())]
    return devices if devices else [npx.cpu()]


def evaluate_accuracy_gpu(net, data_iter, device=None) -> float:
    """Compute the accuracy for a model on a dataset using a GPU (§6.6).

    Each batch moves to `device` first; None is the default device (the book asks its Gluon
    net where its first parameter lives: a from-scratch net has no such record).
    """
    device = backend.get_default_device() if device is None else device
    metric = Accumulator(2)  # No. of correct predictions, no. of predictions
    for X, y in data_iter:
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        metric.add(accuracy(net(X), y), y.size)
    return metric[0] / metric[1]


# ---- 8.2 text preprocessing ----


def synthetic_time_machine(num_lines: int = 3000, seed: int = 0) -> list[str]:
    """Lines of text in place of The Time Machine, with no download.

    Random sentences over a small fixed word list that uses every letter, so the character
    vocabulary is the book's 28 tokens ('<unk>', ' ', a-z) and a model can learn spellings.
    """
    words = ("the time traveller said and of a to in was it that i had my you we as machine "
             "fourth dimension quick brown fox jumps over lazy dog very judge zero box queer "
             "psychologist medical man provincial mayor filby weena morlocks eloi").split()
    _check_count("num_lines", num_lines, "synthetic_time_machine")
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(words))]       # Zipf-like frequencies
    return [" ".join(rng.choices(words, weights, k=rng.randint(4, 12))) + "\n"
            for _ in range(num_lines)]


def read_time_machine(*, synthetic: bool = False) -> list[str]:
    """Load the time machine dataset into a list of text lines (letters and spaces only)."""
    if synthetic:
        lines = synthetic_time_machine()
    else:
        path = download("time_machine")
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except UnicodeDecodeError as e:
            raise ValueError(f"{path} is not UTF-8 text ({e}); delete it and download it "
                             "again") from e
    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in lines]


def tokenize(lines, token: str = "word"):
    """Split text lines into word or character tokens."""
    if token == "word":
        return [line.split() for line in lines]
    elif token == "char":
        return [list(line) for line in lines]
    else:
        print("ERROR: unknown token type: " + token)


class Vocab:
    """Vocabulary for text: tokens by decreasing frequency, '<unk>' at index 0."""

    def __init__(self, tokens=None, min_freq: int = 0, reserved_tokens=None):
        if tokens is None:
            tokens = []
        if reserved_tokens is None:
            reserved_tokens = []
        # Sort according to frequencies
        counter = count_corpus(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        # The index for the unknown token is 0
        self.idx_to_token = ["<unk>"] + reserved_tokens
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    def to_tokens(self, indices):
        """The token(s) at index (or list of indices) `indices`."""
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[index] for index in indices]

    @property
    def unk(self) -> int:  # Index for the unknown token
        return 0

    @property
    def token_freqs(self):
        return self._token_freqs


def count_corpus(tokens) -> collections.Counter:
    """Count token frequencies (of a 1-D or 2-D list of tokens)."""
    if len(tokens) == 0 or isinstance(tokens[0], list):
        # Flatten a list of token lists into a list of tokens
        tokens = [token for line in tokens for token in line]
    return collections.Counter(tokens)


def load_corpus_time_machine(max_tokens: int = -1, *, synthetic: bool = False):
    """Return token indices and the vocabulary of the time machine dataset (characters)."""
    lines = read_time_machine(synthetic=synthetic)
    tokens = tokenize(lines, "char")
    vocab = Vocab(tokens)
    # Since each text line in the time machine dataset is not necessarily a
    # sentence or a paragraph, flatten all the text lines into a single list
    corpus = [vocab[token] for line in tokens for token in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab


# ---- 8.3 language models: reading long sequences ----


def seq_data_iter_random(corpus, batch_size: int, num_steps: int):
    """Generate a minibatch of subsequences using random sampling."""
    _check_count("batch_size", batch_size, "seq_data_iter_random")
    _check_count("num_steps", num_steps, "seq_data_iter_random")
    whole = corpus
    # Start with a random offset (inclusive of `num_steps - 1`) to partition a sequence
    corpus = corpus[random.randint(0, num_steps - 1):]
    # Subtract 1 since we need to account for labels
    num_subseqs = (len(corpus) - 1) // num_steps
    # The starting indices for subsequences of length `num_steps`
    initial_indices = list(range(0, num_subseqs * num_steps, num_steps))
    # In random sampling, the subsequences from two adjacent random
    # minibatches during iteration are not necessarily adjacent on the original sequence
    random.shuffle(initial_indices)

    def data(pos):
        # Return a sequence of length `num_steps` starting from `pos`
        return corpus[pos: pos + num_steps]

    num_batches = num_subseqs // batch_size
    if num_batches == 0:
        _too_short(whole, batch_size, num_steps, "seq_data_iter_random")
    for i in range(0, batch_size * num_batches, batch_size):
        # Here, `initial_indices` contains randomized starting indices for subsequences
        initial_indices_per_batch = initial_indices[i: i + batch_size]
        X = [data(j) for j in initial_indices_per_batch]
        Y = [data(j + 1) for j in initial_indices_per_batch]
        yield np.array(X), np.array(Y)


def seq_data_iter_sequential(corpus, batch_size: int, num_steps: int):
    """Generate a minibatch of subsequences using sequential partitioning."""
    _check_count("batch_size", batch_size, "seq_data_iter_sequential")
    _check_count("num_steps", num_steps, "seq_data_iter_sequential")
    # Start with a random offset to partition a sequence
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    if num_tokens < batch_size * num_steps:
        _too_short(corpus, batch_size, num_steps, "seq_data_iter_sequential")
    Xs = np.array(corpus[offset: offset + num_tokens])
    Ys = np.array(corpus[offset + 1: offset + 1 + num_tokens])
    Xs, Ys = Xs.reshape(batch_size, -1), Ys.reshape(batch_size, -1)
    num_batches = Xs.shape[1] // num_steps
    for i in range(0, num_steps * num_batches, num_steps):
        X = Xs[:, i: i + num_steps]
        Y = Ys[:, i: i + num_steps]
        yield X, Y


def _too_short(corpus, batch_size: int, num_steps: int, where: str):
    raise ValueError(f"{where}: a corpus of {len(corpus)} tokens is too short for one "
                     f"minibatch of batch_size={batch_size} x num_steps={num_steps} (it needs "
                     f"at least {(batch_size + 1) * num_steps + 1} tokens): use a smaller "
                     "batch_size or num_steps, or more text (max_tokens)")


class SeqDataLoader:
    """An iterator to load sequence data."""

    def __init__(self, batch_size: int, num_steps: int, use_random_iter: bool, max_tokens: int,
                 *, synthetic: bool = False):
        _check_count("batch_size", batch_size, "load_data_time_machine")
        _check_count("num_steps", num_steps, "load_data_time_machine")
        if use_random_iter:
            self.data_iter_fn = seq_data_iter_random
        else:
            self.data_iter_fn = seq_data_iter_sequential
        self.corpus, self.vocab = load_corpus_time_machine(max_tokens, synthetic=synthetic)
        self.batch_size, self.num_steps = batch_size, num_steps
        # enough for a batch at any of the samplers' random offsets (up to num_steps)
        if len(self.corpus) < (batch_size + 1) * num_steps + 1:
            _too_short(self.corpus, batch_size, num_steps, "load_data_time_machine")

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)


def load_data_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                           max_tokens: int = 10000, *, synthetic: bool = False):
    """Return the iterator and the vocabulary of the time machine dataset.

    X and Y are int64 (batch_size, num_steps) Tensors of token indices (MXNet's are float32).
    synthetic=True reads synthetic_time_machine() and downloads nothing.
    """
    data_iter = SeqDataLoader(batch_size, num_steps, use_random_iter, max_tokens,
                              synthetic=synthetic)
    return data_iter, data_iter.vocab


# ---- 8.5 recurrent neural networks from scratch ----


def softmax_cross_entropy(y_hat: Tensor, y: Tensor) -> Tensor:
    """Per-example -log softmax(y_hat)[y]: Gluon's SoftmaxCrossEntropyLoss (sparse labels).

    A label outside 0..C-1 (C = y_hat.shape[-1]) is a ValueError; MXNet's pick clips it to
    the nearest class and returns a finite loss for a wrong label.
    """
    _check_labels(y, y_hat.shape[-1], "softmax_cross_entropy")
    return -npx.pick(npx.log_softmax(y_hat), y)


class RNNModelScratch:
    """An RNN Model implemented from scratch."""

    def __init__(self, vocab_size: int, num_hiddens: int, device, get_params, init_state,
                 forward_fn):
        self.vocab_size, self.num_hiddens = vocab_size, num_hiddens
        self.params = get_params(vocab_size, num_hiddens, device)
        self.init_state, self.forward_fn = init_state, forward_fn

    def __call__(self, X, state):
        X = npx.one_hot(X.T, self.vocab_size)
        return self.forward_fn(X, state, self.params)

    def begin_state(self, batch_size: int, ctx):
        """The initial hidden state for a batch of `batch_size` sequences, on `ctx`."""
        return self.init_state(batch_size, self.num_hiddens, ctx)


def predict_ch8(prefix: str, num_preds: int, net, vocab: Vocab, device) -> str:
    """Generate new characters following the `prefix`."""
    if not prefix:
        raise ValueError("predict_ch8: prefix must hold at least one character, got ''")
    _check_count("num_preds", num_preds, "predict_ch8", minimum=0)
    state = net.begin_state(batch_size=1, ctx=device)
    outputs = [vocab[prefix[0]]]

    def get_input():
        return np.array([outputs[-1]], ctx=device).reshape((1, 1))

    for y in prefix[1:]:  # Warm-up period
        _, state = net(get_input(), state)
        outputs.append(vocab[y])
    for _ in range(num_preds):  # Predict `num_preds` steps
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(axis=1).reshape(1)))
    return "".join([vocab.idx_to_token[i] for i in outputs])


def grad_clipping(net, theta: float) -> None:
    """Clip the gradient: scale all of them by theta / ‖g‖ when their joint norm ‖g‖ > theta.

    `net` is a scratch model (its `.params`) or a list of parameters.
    """
    if not theta > 0:
        raise ValueError(f"grad_clipping: theta must be a positive number, got {theta!r}")
    params = net.params if hasattr(net, "params") else net
    norm = math.sqrt(sum(float((p.grad ** 2).sum()) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter: bool):
    """Train a net within one epoch (defined in Chapter 8); return (perplexity, tokens/sec)."""
    state, timer = None, Timer()
    metric = Accumulator(2)  # Sum of training loss, no. of tokens
    for X, Y in train_iter:
        if state is None or use_random_iter:
            # Initialize `state` when either it is the first iteration or using random sampling
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            # The book's `for s in state: s.detach()` changes nothing in MXNet, where the state
            # from the last (freed) graph enters the next one as a constant: say so directly.
            state = tuple(s.detach() for s in state)
        y = Y.T.reshape(-1)
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()  # noqa: E741 - the book's name
        l.backward()
        grad_clipping(net, 1)
        updater(batch_size=1)  # Since the `mean` function has been invoked
        metric.add(l * y.size, y.size)
    return math.exp(metric[0] / metric[1]), metric[1] / timer.stop()


def train_ch8(net, train_iter, vocab: Vocab, lr: float, num_epochs: int, device,
              use_random_iter: bool = False, *, plot: bool | None = None):
    """Train a model (defined in Chapter 8); return the last (perplexity, tokens/sec).

    The loss is Gluon's SoftmaxCrossEntropyLoss (softmax_cross_entropy here) and the updater
    is sgd on the scratch model's params. Where no notebook shows the plot (a script, or
    plot=False), the first epoch prints how long the run will take, and every 10th epoch its
    perplexity and the time left.
    """
    _check_count("num_epochs", num_epochs, "train_ch8")
    loss = softmax_cross_entropy
    animator = Animator(xlabel="epoch", ylabel="perplexity", legend=["train"],
                        xlim=[10, num_epochs], plot=plot)

    def updater(batch_size):
        sgd(net.params, lr, batch_size)

    def predict(prefix):
        return predict_ch8(prefix, 50, net, vocab, device)

    # Train and predict
    clock = EpochClock(num_epochs)
    for epoch in range(num_epochs):
        ppl, speed = train_epoch_ch8(net, train_iter, loss, updater, device, use_random_iter)
        if epoch == 0 and not animator.displayed:
            print(clock.first_epoch(), flush=True)
        if (epoch + 1) % 10 == 0:
            animator.add(epoch + 1, [ppl])
            if not animator.displayed:
                print(f"epoch {epoch + 1}, perplexity {ppl:.1f}, {clock.left(epoch + 1)}",
                      flush=True)
    print(f"perplexity {ppl:.1f}, {speed:.1f} tokens/sec on {str(device)}")
    print(predict("time traveller"))
    print(predict("traveller"))
    return ppl, speed


# ---- 11.3-11.10 optimization ----


def train_2d(trainer, steps: int = 20, f_grad=None):
    """Optimize a 2D objective function with a customized trainer."""
    _check_count("steps", steps, "train_2d", minimum=0)
    # `s1` and `s2` are internal state variables that will be used later
    x1, x2, s1, s2 = -5, -2, 0, 0
    results = [(x1, x2)]
    for _ in range(steps):
        if f_grad:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2, f_grad)
        else:
            x1, x2, s1, s2 = trainer(x1, x2, s1, s2)
        results.append((x1, x2))
    print(f"epoch {steps}, x1: {float(x1):f}, x2: {float(x2):f}")
    return results


def show_trace_2d(f, results, *, plot: bool | None = None) -> None:
    """Show the trace of 2D variables during optimization, over f's contours."""
    plt = _pyplot(plot)
    if plt is None:
        return
    set_figsize()
    plt.plot(*zip(*[(float(a), float(b)) for a, b in results]), "-o", color="#ff7f0e")
    x1, x2 = np.meshgrid(np.arange(-5.5, 1.0, 0.1), np.arange(-3.0, 1.0, 0.1))
    plt.contour(x1.numpy(), x2.numpy(), np.asarray(f(x1, x2)).numpy(), colors="#1f77b4")
    plt.xlabel("x1")
    plt.ylabel("x2")


def synthetic_airfoil(num_examples: int = 1503, seed: int = 0) -> Tensor:
    """A float32 (num_examples, 6) table shaped as the airfoil data: 5 features, then a target
    linear in them plus noise (no download)."""
    _check_count("num_examples", num_examples, "synthetic_airfoil", minimum=2)
    rng = numpy.random.default_rng(seed)
    features = rng.normal(0, 1, (num_examples, 5)) * [3000, 5, 0.1, 50, 0.01] + \
        [3000, 7, 0.14, 50, 0.01]
    scaled = (features - features.mean(axis=0)) / features.std(axis=0)
    target = 125 + scaled @ [-4.0, -2.5, -3.0, 1.5, -2.0] + rng.normal(0, 3.0, num_examples)
    return np.array(numpy.column_stack([features, target]), dtype="float32")


def get_data_ch11(batch_size: int = 10, n: int = 1500, *, synthetic: bool = False):
    """The airfoil self-noise data, standardized: (minibatch iterator, number of features).

    `n` caps the number of examples, as the book's `data[:n]` does: a shorter file gives all
    of its rows.
    """
    _check_count("batch_size", batch_size, "get_data_ch11")
    _check_count("n", n, "get_data_ch11")
    if synthetic:
        data = synthetic_airfoil()
    else:
        path = download("airfoil")
        data = np.genfromtxt(path, dtype=np.float32, delimiter="\t")
        unreadable = bool(numpy.isnan(data.numpy()).any())    # genfromtxt's NaN for text
        if data.ndim != 2 or data.shape[1] != 6 or unreadable:
            raise ValueError(f"{path} is not the airfoil table: it reads as shape {data.shape}"
                             f"{' with unreadable (NaN) entries' if unreadable else ''}; the "
                             "file has 1503 rows of 6 tab-separated numbers")
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    data_iter = load_array((data[:n, :-1], data[:n, -1]), batch_size, is_train=True)
    return data_iter, data.shape[1] - 1


def _too_few_for_ch11(seen: int):
    raise ValueError(f"train_ch11 records the loss every 200 examples, but data_iter gives "
                     f"{seen} examples in all (num_epochs passes): use more examples or more "
                     "epochs")


def _never_recorded_ch11(seen: int, batch_size: int):
    raise ValueError(f"train_ch11 records the loss each time the count of examples seen is a "
                     f"multiple of 200; {seen} examples in batches of {batch_size} never made "
                     "one: use more examples or epochs, or a batch size that divides 200")


def train_ch11(trainer_fn, states, hyperparams, data_iter, feature_dim: int,
               num_epochs: int = 2, *, plot: bool | None = None, progress: bool = True):
    """Train linear regression with `trainer_fn`; return (cumulative times, losses).

    The loss on the whole data set is recorded every 200 examples, as the book plots it, so
    the run needs at least 200 examples in all (num_epochs passes over data_iter). Where no
    notebook shows the plot, each epoch prints its last recorded loss and the time left
    (progress=False leaves only the book's closing line).
    """
    _check_count("num_epochs", num_epochs, "train_ch11")
    total = getattr(data_iter, "num_examples", None)
    if total is not None and total * num_epochs < 200:
        _too_few_for_ch11(total * num_epochs)
    # Initialization
    w = np.random.normal(scale=0.01, size=(feature_dim, 1))
    b = np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    net, loss = lambda X: linreg(X, w, b), squared_loss
    # Train
    animator = Animator(xlabel="epoch", ylabel="loss", xlim=[0, num_epochs], ylim=[0.22, 0.35],
                        plot=plot)
    n, timer, clock = 0, Timer(), EpochClock(num_epochs)
    for epoch in range(num_epochs):
        for X, y in data_iter:
            with autograd.record():
                l = loss(net(X), y).mean()  # noqa: E741 - the book's name
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                animator.add(n / X.shape[0] / len(data_iter),
                             (evaluate_loss(net, data_iter, loss),))
                timer.start()
        if progress and not animator.displayed and animator.Y:
            print(f"epoch {epoch + 1}, loss {animator.Y[0][-1]:.3f}, {clock.left(epoch + 1)}",
                  flush=True)
    if not animator.Y:      # the count of examples never hit a multiple of 200
        _never_recorded_ch11(n, X.shape[0])
    print(f"loss: {animator.Y[0][-1]:.3f}, {timer.avg():.3f} sec/epoch")
    return timer.cumsum(), animator.Y[0]


# ---- 6.2 convolutions for images, 12.1 timing a block of code ----


def corr2d(X, K):
    """Compute 2D cross-correlation (the book's loop over output positions)."""
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y


class Benchmark:
    """For measuring running time: `with d2l.Benchmark('what'):` prints the seconds taken."""

    def __init__(self, description: str = "Done"):
        self.description = description

    def __enter__(self):
        self.timer = Timer()
        return self

    def __exit__(self, *args):
        print(f"{self.description}: {self.timer.stop():.4f} sec")


# ---- 10.1 attention cues ----


def show_heatmaps(matrices, xlabel, ylabel, titles=None, figsize=(2.5, 2.5),
                  cmap="Reds") -> None:
    """Show heatmaps of matrices: `matrices` is (rows, columns, queries, keys)."""
    use_svg_display()
    num_rows, num_cols = matrices.shape[0], matrices.shape[1]
    fig, axes = __getattr__("plt").subplots(num_rows, num_cols, figsize=figsize,
                                            sharex=True, sharey=True, squeeze=False)
    for i, (row_axes, row_matrices) in enumerate(zip(axes, matrices)):
        for j, (ax, matrix) in enumerate(zip(row_axes, row_matrices)):
            pcm = ax.imshow(matrix.asnumpy(), cmap=cmap)
            if i == num_rows - 1:
                ax.set_xlabel(xlabel)
            if j == 0:
                ax.set_ylabel(ylabel)
            if titles:
                ax.set_title(titles[j])
    fig.colorbar(pcm, ax=axes, shrink=0.6)


# ---- the one-line aliases at the end of the book's d2l/mxnet.py ----
# The later chapters write d2l.size(l), d2l.reshape(x, shape), d2l.tensor([...]) so that one
# text serves every framework; MXNet's d2l defines them as these one-liners.

ones = np.ones
zeros = np.zeros
arange = np.arange
meshgrid = np.meshgrid
sin = np.sin
sinh = np.sinh
cos = np.cos
cosh = np.cosh
tanh = np.tanh
linspace = np.linspace
exp = np.exp
log = np.log
tensor = np.array
normal = np.random.normal
eye = np.eye
matmul = np.dot
concat = np.concatenate
stack = np.stack


def rand(*size, **kwargs):
    """Uniform [0, 1) values of shape `size` (the book's d2l.rand(n))."""
    return np.random.uniform(0, 1, size=size, **kwargs)


def size(a) -> int:
    """The number of elements of `a`."""
    return a.size


def reshape(x, *args, **kwargs):
    return x.reshape(*args, **kwargs)


def to(x, *args, **kwargs):
    return x.as_in_context(*args, **kwargs)


def reduce_sum(x, *args, **kwargs):
    return x.sum(*args, **kwargs)


def argmax(x, *args, **kwargs):
    return x.argmax(*args, **kwargs)


def astype(x, *args, **kwargs):
    return x.astype(*args, **kwargs)


def transpose(x, *args, **kwargs):
    return x.T


def reduce_mean(x, *args, **kwargs):
    return x.mean(*args, **kwargs)
