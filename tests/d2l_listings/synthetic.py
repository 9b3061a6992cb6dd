"""Stand-ins the book's listings need outside a notebook and offline: data, plots, gluon's loss.

Plain NumPy and the standard library only, so the same module serves a listing under microgradnd
and under MXNet 1.9.1 (mxnet/run_reference.py): both engines see identical data. Nothing here is
the book's code; each listing calls it from a prelude marked as such.
"""
from __future__ import annotations

import json
import math
import os
import random
import sys
import tempfile
import types

import numpy

# ---- knobs and the notebook environment ----


def knob(name: str, default):
    """A size or epoch count, overridable by the environment variable D2L_<name>."""
    return type(default)(os.environ.get("D2L_" + name, default))


SAME_RANDOM = knob("SAME_RANDOM", 0) == 1   # draw initial parameters with NumPy, for MXNet parity


def headless() -> None:
    """Plots go to matplotlib's Agg backend; the seeds are set. No IPython is faked here.

    matplotlib probes `sys.modules["IPython"]` when it makes a canvas, so a stand-in is
    installed only by a listing that imports IPython itself (stand_in_ipython).
    """
    os.environ.setdefault("MPLBACKEND", "Agg")
    import matplotlib
    matplotlib.use("Agg")
    seed = knob("SEED", 0)
    random.seed(seed)
    numpy.random.seed(seed)
    accept_old_stem_argument()


def accept_old_stem_argument() -> None:
    """`plt.stem(..., use_line_collection=True)` (the appendix, written for matplotlib 3.5)
    also works on matplotlib >= 3.8, which removed the argument (its behaviour is the default)."""
    import matplotlib.pyplot as plt
    stem = plt.stem
    if getattr(stem, "accepts_use_line_collection", False):
        return

    def old_stem(*args, use_line_collection=True, **kwargs):
        return stem(*args, **kwargs)
    old_stem.accepts_use_line_collection = True
    import inspect
    if "use_line_collection" not in inspect.signature(stem).parameters:
        plt.stem = old_stem


def _set_matplotlib_formats(*formats, **kwargs) -> None:
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    set_matplotlib_formats(*formats, **kwargs)


def stand_in_ipython() -> None:
    """`from IPython import display` works without IPython: a terminal, not a notebook.

    For the listings that import IPython themselves (§3.6's Animator). The stand-in answers
    what matplotlib asks of an IPython module (`version_info`, `get_ipython`) as a plain
    Python shell would: no shell, so no display hooks.
    """
    try:
        import IPython.display
    except ImportError:
        pass
    else:
        # IPython 9 dropped display.set_matplotlib_formats, which the book's cells call;
        # matplotlib_inline (IPython's own replacement) keeps it
        if not hasattr(IPython.display, "set_matplotlib_formats"):
            IPython.display.set_matplotlib_formats = _set_matplotlib_formats
        return
    display = types.ModuleType("IPython.display")
    display.display = lambda *args, **kwargs: None
    display.clear_output = lambda *args, **kwargs: None
    display.set_matplotlib_formats = lambda *args, **kwargs: None
    ipython = types.ModuleType("IPython")
    ipython.display = display
    ipython.version_info = (8, 24, 0, "")   # recent enough that matplotlib needs no GUI map
    ipython.get_ipython = lambda: None     # not a notebook
    sys.modules["IPython"] = ipython
    sys.modules["IPython.display"] = display


def engine(np) -> str:
    """'mxnet' or 'microgradnd', from the `np` module a listing imported."""
    return "mxnet" if np.__name__.startswith("mxnet") else "microgradnd"


def report(**values) -> None:
    """Print one `RESULT {json}` line: `values` plus every curve the listing plotted."""
    import matplotlib.pyplot as plt
    curves = []
    for num in plt.get_fignums():
        for ax in plt.figure(num).axes:
            for line in ax.get_lines():
                ys = numpy.asarray(line.get_ydata(), dtype=float).ravel()
                if 0 < len(ys) <= 1000:
                    curves.append([round(float(y), 6) for y in ys])
    values["curves"] = curves
    print("RESULT " + json.dumps(values, default=float))


def _snapshot(value):
    """An engine array, NumPy array or Python number as {'dtype', 'shape', 'values'}, or None.

    Arrays of more than 2000 elements give their sum and their first 100 values instead.
    """
    if hasattr(value, "asnumpy") and hasattr(value, "dtype"):
        value = value.asnumpy()
    elif isinstance(value, bool) or not isinstance(value, (int, float, numpy.ndarray,
                                                           numpy.generic)):
        return None
    a = numpy.asarray(value)
    if a.dtype.kind not in "biuf":
        return None
    flat = a.astype(float).ravel()
    values = flat.tolist() if flat.size <= 2000 else flat[:100].tolist() + [flat.sum()]
    return {"dtype": str(a.dtype) if isinstance(value, (numpy.ndarray, numpy.generic))
            else type(value).__name__, "shape": list(a.shape),
            "values": [round(v, 6) if numpy.isfinite(v) else str(v) for v in values]}


def report_cells(namespace: dict, random=(), **values) -> None:
    """RESULT with a snapshot of every array and number the book's cells left in `namespace`.

    The comparison with MXNet checks each one's dtype, shape and values; the names in
    `random` (drawn by the engine's own generator) are compared by dtype and shape only.
    """
    cells = {}
    for name, value in namespace.items():
        if name.startswith("_"):
            continue
        snap = _snapshot(value)
        if snap is not None:
            cells[name] = snap
    report(cells=cells, random=sorted(random), **values)


def as_float(x) -> float:
    """A Python float from a scalar array of either engine."""
    return float(x.asnumpy() if hasattr(x, "asnumpy") else x)


# ---- gluon: the pieces of it the from-scratch chapters call ----


def gluon_for(np, npx):
    """MXNet's gluon under MXNet; microgradnd.gluon otherwise (its loss, data and utils).

    §4.2, §4.6 and §8.5 take `gluon.loss.SoftmaxCrossEntropyLoss()`; §3.6 and §8.5 test
    `isinstance(updater, gluon.Trainer)` / `isinstance(net, gluon.Block)`, false for their nets.
    """
    if engine(np) == "mxnet":
        from mxnet import gluon
        return gluon
    from microgradnd import gluon
    return gluon


# ---- minibatches from NumPy arrays, identical for both engines ----


class ArrayLoader:
    """Minibatches of NumPy arrays as engine arrays, shuffled by a seeded NumPy generator."""

    def __init__(self, np, arrays, batch_size: int, shuffle: bool, seed: int = 0):
        self.np, self.arrays, self.batch_size, self.shuffle = np, arrays, batch_size, shuffle
        self.rng = numpy.random.RandomState(seed)

    def __len__(self) -> int:
        return math.ceil(len(self.arrays[0]) / self.batch_size)

    def __iter__(self):
        n = len(self.arrays[0])
        order = self.rng.permutation(n) if self.shuffle else numpy.arange(n)
        for i in range(0, n, self.batch_size):
            idx = order[i:i + self.batch_size]
            yield tuple(self.np.array(a[idx], dtype=a.dtype) for a in self.arrays)


def _host(x) -> numpy.ndarray:
    return x.asnumpy() if hasattr(x, "asnumpy") else numpy.asarray(x)


def same_random(np, d2l=None, seed: int = 0) -> None:
    """With D2L_SAME_RANDOM=1: NumPy draws every random number and orders the minibatches.

    Both engines then start from the same weights and see the same batches, so their printed
    numbers can be compared; without the variable each engine uses its own generator. `d2l`
    is None for a section that does not import it (§18.11).
    """
    if not SAME_RANDOM:
        return
    rng = numpy.random.RandomState(seed)

    def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, **kwargs):
        out = np.array(numpy.asarray(rng.normal(loc, scale, size), dtype=numpy.float32),
                       dtype="float32")
        return out if ctx is None else out.as_in_context(ctx)

    def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, **kwargs):
        out = np.array(numpy.asarray(rng.uniform(low, high, size), dtype=numpy.float32),
                       dtype="float32")
        return out if ctx is None else out.as_in_context(ctx)

    def load_array(data_arrays, batch_size, is_train=True):
        return ArrayLoader(np, [_host(a) for a in data_arrays], batch_size, is_train, seed)

    def multinomial(n, pvals, size=None):
        pvals = numpy.asarray(_host(pvals) if hasattr(pvals, "shape") else pvals, dtype=float)
        return np.array(rng.multinomial(n, pvals, size), dtype="int64")

    def shuffle(x):
        x[:] = np.array(_host(x)[rng.permutation(len(x))], dtype=str(_host(x).dtype))

    np.random.multinomial = multinomial     # §2.6's dice
    np.random.shuffle = shuffle             # §4.4's features
    np.random.normal = normal
    if hasattr(d2l, "normal"):      # MXNet's d2l draws synthetic_data with its own alias
        d2l.normal = normal
    if hasattr(d2l, "rand"):        # §10.2's training inputs: MXNet's d2l.rand is its own
        d2l.rand = lambda *size, **kwargs: uniform(0, 1, size, **kwargs)
    np.random.uniform = uniform     # §4.6's dropout masks
    if d2l is not None:
        d2l.load_array = load_array


# ---- Fashion-MNIST (§3.5): 28x28 grey images in 10 classes ----


def fashion_mnist_arrays(n_train: int, n_test: int, seed: int = 0):
    """(X_train, y_train, X_test, y_test): float32 (n, 1, 28, 28) in [0, 1], int32 labels.

    Each class is a fixed random pattern of bright pixels, at a random brightness per image,
    over a dark background with faint uniform noise (mean pixel 0.2, as Fashion-MNIST's 0.29):
    learnable by a linear model, far from trivial at initialization (accuracy starts near
    0.1). A set bright everywhere (mean 0.375) drove §4.6's lr 0.5 into a phase where the
    gradient norm rose 60-fold, which turned float32 rounding into 10% differences from MXNet.
    """
    rng = numpy.random.RandomState(seed)
    patterns = (rng.uniform(size=(10, 784)) < 0.25).astype(numpy.float32)

    def draw(n):
        y = rng.randint(0, 10, n).astype(numpy.int32)
        X = patterns[y] * rng.uniform(0.5, 1.0, (n, 1)) + rng.uniform(0, 0.2, (n, 784))
        return X.reshape(n, 1, 28, 28).astype(numpy.float32), y

    X_train, y_train = draw(n_train)
    X_test, y_test = draw(n_test)
    return X_train, y_train, X_test, y_test


def patch_fashion_mnist(d2l, np, n_train: int, n_test: int, seed: int = 0) -> None:
    """d2l.load_data_fashion_mnist returns loaders over the synthetic set (shapes as the book's)."""
    X_train, y_train, X_test, y_test = fashion_mnist_arrays(n_train, n_test, seed)

    def load_data_fashion_mnist(batch_size, resize=None):
        return (ArrayLoader(np, [X_train, y_train], batch_size, True, seed),
                ArrayLoader(np, [X_test, y_test], batch_size, False, seed))

    d2l.load_data_fashion_mnist = load_data_fashion_mnist


# ---- MNIST (§18.9): Gluon's files, in their real format, with synthetic digits ----


def _write_idx(path: str, array: numpy.ndarray) -> None:
    """A gzipped IDX file of unsigned bytes, as MNIST's: 0 0 8 ndim, big-endian sizes, bytes."""
    import gzip
    header = bytes([0, 0, 8, array.ndim]) + numpy.asarray(array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(numpy.uint8).tobytes())


def patch_gluon_files(np, d2l, name: str, train, test) -> None:
    """gluon.data.vision.MNIST or FashionMNIST (`name` 'mnist' or 'fashion_mnist') reads the
    given (images uint8 (n, 28, 28), labels) in the real files' format, under either engine:
    identical bytes, so identical data. MXNet's Gluon and microgradnd's both look the files up
    by name; only where they would download is replaced."""
    folder = tempfile.mkdtemp(prefix=f"d2l-{name}-")
    for part, (images, labels) in (("train", train), ("t10k", test)):
        _write_idx(os.path.join(folder, f"{part}-images-idx3-ubyte.gz"), images)
        _write_idx(os.path.join(folder, f"{part}-labels-idx1-ubyte.gz"), labels)
    if engine(np) == "mxnet":
        import mxnet.gluon.data.vision.datasets as datasets
        datasets.download = lambda url, path=None, sha1_hash=None, **kwargs: os.path.join(
            folder, url.split("/")[-1])
        return
    download = d2l.download
    d2l.download = lambda file, *args, **kwargs: (
        os.path.join(folder, d2l.DATA_HUB[file][0].split("/")[-1])
        if file.startswith(name + "_") else download(file, *args, **kwargs))


def _as_bytes(X: numpy.ndarray) -> numpy.ndarray:
    """float images (n, 1, 28, 28) in [0, 1] as uint8 (n, 28, 28)."""
    return numpy.clip(numpy.round(X[:, 0] * 255), 0, 255).astype(numpy.uint8)


def patch_mnist(np, d2l, n_train: int, n_test: int, seed: int = 1) -> None:
    """gluon.data.vision.MNIST reads synthetic digits (Fashion-MNIST's generator, another
    seed) in MNIST's file format."""
    X_train, y_train, X_test, y_test = fashion_mnist_arrays(n_train, n_test, seed)
    patch_gluon_files(np, d2l, "mnist", (_as_bytes(X_train), y_train),
                      (_as_bytes(X_test), y_test))


def patch_gluon_fashion_mnist(np, d2l, n_train: int, n_test_per_class: int,
                              seed: int = 0) -> None:
    """gluon.data.vision.FashionMNIST reads the synthetic set in its file format; the test
    set holds only t-shirts and trousers, n_test_per_class of each (§18.1 reshapes them to
    2000 rows, the real test set's count of those two classes)."""
    X_train, y_train, X_more, y_more = fashion_mnist_arrays(n_train, 12 * n_test_per_class,
                                                            seed)
    keep = numpy.concatenate([numpy.flatnonzero(y_more == c)[:n_test_per_class]
                              for c in (0, 1)])
    keep.sort()
    patch_gluon_files(np, d2l, "fashion_mnist", (_as_bytes(X_train), y_train),
                      (_as_bytes(X_more[keep]), y_more[keep]))


# ---- The Time Machine (§8.2-8.3): lower-case letters and spaces ----

WORDS = ("the time traveller said it was a machine for travelling through time and we "
         "looked at him in the dim light of the lamp as he held the little thing in his "
         "hand you see he said it is very simple and very clear").split()


def time_machine_lines(n_lines: int, seed: int = 0) -> list[str]:
    """Lines of text from a first-order word chain over WORDS: structure a char RNN can learn."""
    rng = numpy.random.RandomState(seed)
    follow = {w: [WORDS[(i + 1) % len(WORDS)], WORDS[(i + 7) % len(WORDS)]]
              for i, w in enumerate(WORDS)}
    word, lines = "the", []
    for _ in range(n_lines):
        line = []
        for _ in range(8):
            line.append(word)
            word = follow[word][rng.randint(0, 2)] if rng.uniform() < 0.9 else "time"
        lines.append(" ".join(line))
    return lines


def patch_read_time_machine(d2l, n_lines: int, seed: int = 0) -> None:
    """d2l.read_time_machine returns the synthetic lines (§8.2-8.3 read the book this way)."""
    lines = time_machine_lines(n_lines, seed)
    d2l.read_time_machine = lambda *args, **kwargs: list(lines)


def patch_time_machine(d2l, n_lines: int, seed: int = 0) -> None:
    """d2l.load_data_time_machine reads the synthetic text with the book's own pipeline.

    Tokenizing, the vocabulary and the two samplers are d2l's (§8.2-8.3), as in its
    SeqDataLoader; only `read_time_machine`'s download is replaced.
    """
    lines = time_machine_lines(n_lines, seed)

    class SeqDataLoader:
        def __init__(self, batch_size, num_steps, use_random_iter, max_tokens):
            tokens = d2l.tokenize(lines, "char")
            self.vocab = d2l.Vocab(tokens)
            self.corpus = [self.vocab[token] for line in tokens for token in line]
            if max_tokens > 0:
                self.corpus = self.corpus[:max_tokens]
            self.data_iter_fn = (d2l.seq_data_iter_random if use_random_iter
                                 else d2l.seq_data_iter_sequential)
            self.batch_size, self.num_steps = batch_size, num_steps

        def __iter__(self):
            return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)

    def load_data_time_machine(batch_size, num_steps, use_random_iter=False, max_tokens=10000):
        data_iter = SeqDataLoader(batch_size, num_steps, use_random_iter, max_tokens)
        return data_iter, data_iter.vocab

    d2l.load_data_time_machine = load_data_time_machine


# ---- airfoil self-noise (§11.5): 1503 rows, 5 features and a target, tab-separated ----


def airfoil_rows(n: int = 1503, seed: int = 0) -> numpy.ndarray:
    """(n, 6) float32: feature scales like NASA's file; the target is linear in them plus noise."""
    rng = numpy.random.RandomState(seed)
    X = numpy.stack([rng.choice([200, 500, 1000, 2000, 4000, 8000], n).astype(float),
                     rng.uniform(0, 22, n), rng.choice([0.0254, 0.1016, 0.2286, 0.3048], n),
                     rng.choice([31.7, 39.6, 55.5, 71.3], n), rng.uniform(0.0004, 0.058, n)], 1)
    Z = (X - X.mean(0)) / X.std(0)
    y = 125 + 7 * (Z @ numpy.array([-0.6, -0.3, -0.4, 0.3, -0.2]) + 0.7 * rng.normal(size=n))
    return numpy.concatenate([X, y[:, None]], 1).astype(numpy.float32)


def patch_airfoil(d2l, n: int, seed: int = 0) -> None:
    """d2l.download('airfoil') returns a synthetic file in the real format (tab-separated)."""
    path = os.path.join(tempfile.mkdtemp(prefix="d2l-airfoil-"), "airfoil_self_noise.dat")
    numpy.savetxt(path, airfoil_rows(n, seed), delimiter="\t", fmt="%.6g")
    if not hasattr(d2l, "DATA_HUB"):
        d2l.DATA_HUB = {}
    if not hasattr(d2l, "DATA_URL"):
        d2l.DATA_URL = "http://d2l-data.s3-accelerate.amazonaws.com/"
    download = getattr(d2l, "download", None)
    d2l.download = lambda name, *args, **kwargs: (
        path if name == "airfoil" else download(name, *args, **kwargs))
