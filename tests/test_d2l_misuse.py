"""Misuse of the d2l helpers gets a clear error, never a silently wrong answer.

Families: class labels out of range, data files of the wrong shape or cut short, sizes that
are not positive, downloads racing each other, iterators that must shuffle, and training loops
that must talk in a terminal. Every case runs without the network (files in tmp, file:// URLs).
"""
import gzip
import hashlib
import random
import struct
import threading
import urllib.request
from pathlib import Path

import numpy
import pytest
from test_d2l import init_rnn_state, rnn  # the book's RNN from scratch (8.5)

from microgradnd import autograd, d2l, np, npx

# ---- class labels: a wrong label is an error, not a clipped one ----


@pytest.mark.parametrize("label", [10, 250, -1])
def test_softmax_cross_entropy_refuses_a_label_out_of_range(label):
    y_hat = np.zeros((3, 10))
    y = np.array([0, label, 2])
    with pytest.raises(ValueError, match=rf"label {label} is out of range for 10 classes "
                                         r"\(labels are 0\.\.9\)"):
        d2l.softmax_cross_entropy(y_hat, y)


def test_softmax_cross_entropy_checks_labels_on_every_device(device):
    y_hat = np.zeros((2, 4), device=device)
    assert d2l.softmax_cross_entropy(y_hat, np.array([0, 3], device=device)).shape == (2,)
    with pytest.raises(ValueError, match="label 4 is out of range for 4 classes"):
        d2l.softmax_cross_entropy(y_hat, np.array([0, 4], device=device))
    with pytest.raises(ValueError, match="whole numbers"):
        d2l.softmax_cross_entropy(y_hat, np.array([0.0, float("nan")], device=device))


def test_softmax_cross_entropy_takes_every_valid_label_and_float_labels():
    y_hat = np.array(numpy.log(numpy.full((4, 3), 1 / 3)))
    for y in (np.array([0, 1, 2, 2]), np.array([0.0, 1.0, 2.0, 2.0], dtype="float32")):
        numpy.testing.assert_allclose(d2l.softmax_cross_entropy(y_hat, y).numpy(),
                                      numpy.full(4, numpy.log(3)), rtol=1e-6)
    with pytest.raises(ValueError, match="whole numbers"):
        d2l.softmax_cross_entropy(y_hat, np.array([0.5, 1.0, 2.0, 0.0]))


def test_train_ch8_refuses_labels_beyond_the_vocabulary():
    """train_ch8's loss is softmax_cross_entropy: a model with too few outputs is caught."""
    y_hat = np.zeros((6, 5))          # 5 outputs
    with pytest.raises(ValueError, match="label 7 is out of range for 5 classes"):
        d2l.softmax_cross_entropy(y_hat, np.array([0, 1, 2, 3, 4, 7]))


@pytest.mark.parametrize("labels", [[250], [-1], [10], [3, 1.5]])
def test_get_fashion_mnist_labels_refuses_labels_outside_0_to_9(labels):
    with pytest.raises(ValueError, match=r"get_fashion_mnist_labels: (label \S+ is out of range "
                                         r"for 10 classes|class labels must be whole)"):
        d2l.get_fashion_mnist_labels(labels)


def test_get_fashion_mnist_labels_names_every_class():
    assert d2l.get_fashion_mnist_labels(np.array([0, 9])) == ["t-shirt", "ankle boot"]
    assert d2l.get_fashion_mnist_labels([]) == []


# ---- IDX files: a wrong shape or a broken file names the file ----


def _idx(path: Path, shape, data: bytes | None = None, *, header: bytes | None = None,
         compress: bool = True) -> Path:
    """An IDX file of unsigned bytes: magic 0 0 8 ndim, big-endian sizes, then the data."""
    if header is None:
        header = bytes([0, 0, 8, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)
    if data is None:        # 0, 1, 2, ... wrapping at 256
        data = (numpy.arange(int(numpy.prod(shape))) % 256).astype(numpy.uint8).tobytes()
    raw = header + data
    if compress:
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    return path


def _place(tmp_path, monkeypatch, images: Path, labels: Path) -> None:
    """`images` and `labels` as both sets of Fashion-MNIST, with DATA_HUB's checksums."""
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("MICROGRADND_OFFLINE", "1")
    folder = tmp_path / "cache" / "fashion-mnist"
    folder.mkdir(parents=True)
    for part in ("train", "test"):
        for kind, source in (("images", images), ("labels", labels)):
            name = f"fashion_mnist_{part}_{kind}"
            url, _ = d2l.DATA_HUB[name]
            target = folder / url.split("/")[-1]
            target.write_bytes(source.read_bytes())
            monkeypatch.setitem(d2l.DATA_HUB, name,
                                (url, hashlib.sha1(target.read_bytes()).hexdigest()))


def test_real_format_idx_files_load(tmp_path, monkeypatch):
    images = _idx(tmp_path / "i.gz", (3, 28, 28))
    labels = _idx(tmp_path / "l.gz", (3,), bytes([0, 9, 4]))
    _place(tmp_path, monkeypatch, images, labels)
    X, y = d2l.read_fashion_mnist(train=True)
    assert X.shape == (3, 28, 28) and y.tolist() == [0, 9, 4]


@pytest.mark.parametrize("image_shape, label_shape, which, said", [
    ((3, 28, 28), (), "labels", r"shape \(\); Fashion-MNIST's labels are \(n,\)"),
    ((3, 28, 28), (3, 1), "labels", r"shape \(3, 1\); Fashion-MNIST's labels are \(n,\)"),
    ((3, 784), (3,), "images", r"shape \(3, 784\); Fashion-MNIST's images are \(n, 28, 28\)"),
    ((3, 28, 14), (3,), "images", r"shape \(3, 28, 14\); Fashion-MNIST's images are"),
    ((3,), (3,), "images", r"shape \(3,\); Fashion-MNIST's images are \(n, 28, 28\)"),
])
def test_idx_file_of_the_wrong_shape_is_named(tmp_path, monkeypatch, image_shape, label_shape,
                                              which, said):
    images = _idx(tmp_path / "i.gz", image_shape)
    labels = _idx(tmp_path / "l.gz", label_shape)
    _place(tmp_path, monkeypatch, images, labels)
    prefix = "train-images" if which == "images" else "train-labels"
    with pytest.raises(ValueError, match=rf"{prefix}-idx\d-ubyte\.gz holds an array of {said}"):
        d2l.read_fashion_mnist(train=True)


def test_idx_images_and_labels_that_do_not_pair_up_name_both_files(tmp_path, monkeypatch):
    _place(tmp_path, monkeypatch, _idx(tmp_path / "i.gz", (3, 28, 28)),
           _idx(tmp_path / "l.gz", (2,)))
    with pytest.raises(ValueError, match=r"3 images in \S+train-images-idx3-ubyte\.gz but 2 "
                                         r"labels in \S+train-labels-idx1-ubyte\.gz"):
        d2l.read_fashion_mnist(train=True)


@pytest.mark.parametrize("make, said", [
    (lambda p: _idx(p, (3, 28, 28), header=bytes([0, 0, 8, 3]) + struct.pack(">I", 3),
                    data=b""), r"truncated IDX header: 3 sizes need 16 bytes, the file holds 8"),
    (lambda p: _idx(p, (3, 28, 28), header=bytes([0, 0, 8, 3]), data=b""),
     r"truncated IDX header: 3 sizes need 16 bytes, the file holds 4"),
    (lambda p: _idx(p, (3, 28, 28), data=bytes(100)), r"holds 100 bytes of data; its header "
                                                      r"says \(3, 28, 28\)"),
    (lambda p: _idx(p, (3, 28, 28), header=b"\x00\x00\x0d\x03"), r"not an IDX file of "
                                                                 r"unsigned bytes"),
    (lambda p: _idx(p, (3, 28, 28), compress=False), r"is not a complete gzip file"),
    (lambda p: p.write_bytes(gzip.compress(numpy.arange(4000).tobytes())[:-100]) and p,
     r"is not a complete gzip file"),
])
def test_broken_idx_file_is_named(tmp_path, monkeypatch, make, said):
    images = make(tmp_path / "i.gz")
    _place(tmp_path, monkeypatch, images, _idx(tmp_path / "l.gz", (3,)))
    with pytest.raises(ValueError, match=rf"train-images-idx3-ubyte\.gz .*{said}"):
        d2l.read_fashion_mnist(train=True)


def _place_airfoil(tmp_path, monkeypatch, text: str) -> None:
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path))
    path = tmp_path / "airfoil_self_noise.dat"
    path.write_text(text)
    url = d2l.DATA_HUB["airfoil"][0]
    monkeypatch.setitem(d2l.DATA_HUB, "airfoil",
                        (url, hashlib.sha1(path.read_bytes()).hexdigest()))


@pytest.mark.parametrize("text, said", [
    ("1\t2\t3\n4\t5\t6\n", r"it reads as shape \(2, 3\);"),
    ("1\t2\t3\t4\t5\t6\n" * 30 + "1\tx\t3\t4\t5\t6\n",
     r"it reads as shape \(31, 6\) with unreadable \(NaN\) entries"),
])
def test_airfoil_file_of_the_wrong_shape_is_named(tmp_path, monkeypatch, text, said):
    _place_airfoil(tmp_path, monkeypatch, text)
    with pytest.raises(ValueError, match=rf"airfoil_self_noise\.dat is not the airfoil table: "
                                         rf"{said}"):
        d2l.get_data_ch11(synthetic=False)


def test_airfoil_file_in_the_real_format_loads(tmp_path, monkeypatch):
    rows = numpy.random.default_rng(0).uniform(1, 2, (30, 6))
    _place_airfoil(tmp_path, monkeypatch,
                   "".join("\t".join(f"{v:.4f}" for v in row) + "\n" for row in rows))
    data_iter, dim = d2l.get_data_ch11(batch_size=10, n=30)
    assert dim == 5 and len(data_iter) == 3


def test_time_machine_that_is_not_text_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path))
    path = tmp_path / "timemachine.txt"
    path.write_bytes(b"\xff\xfe\x00binary")
    url = d2l.DATA_HUB["time_machine"][0]
    monkeypatch.setitem(d2l.DATA_HUB, "time_machine",
                        (url, hashlib.sha1(path.read_bytes()).hexdigest()))
    with pytest.raises(ValueError, match=r"timemachine\.txt is not UTF-8 text"):
        d2l.read_time_machine()


# ---- downloads: one temporary name each, checksums over many reads ----


def _serve(tmp_path, monkeypatch, size: int, name: str = "big.bin") -> Path:
    """A file:// 'server' holding `size` bytes, registered in DATA_HUB as `name`."""
    source = tmp_path / "server" / name
    source.parent.mkdir()
    source.write_bytes(numpy.random.default_rng(0).integers(0, 256, size, numpy.uint8)
                       .tobytes())
    monkeypatch.setitem(d2l.DATA_HUB, name, (source.resolve().as_uri(),
                                            hashlib.sha1(source.read_bytes()).hexdigest()))
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("MICROGRADND_OFFLINE", raising=False)
    return source


def test_checksum_covers_a_file_larger_than_one_read(tmp_path, monkeypatch):
    size = 2 * d2l._READ_SIZE + 12345          # three reads, the last one short
    source = _serve(tmp_path, monkeypatch, size)
    data = source.read_bytes()
    assert d2l._sha1(str(source)) == hashlib.sha1(data).hexdigest()
    # a change in the last read, or in the first, changes the checksum
    for position in (size - 1, 0, d2l._READ_SIZE):
        changed = bytearray(data)
        changed[position] ^= 1
        other = tmp_path / f"changed{position}"
        other.write_bytes(bytes(changed))
        assert d2l._sha1(str(other)) != hashlib.sha1(data).hexdigest()
    path = d2l.download("big.bin")                 # many chunks of the copy loop too
    assert Path(path).read_bytes() == data


def test_two_threads_downloading_the_same_file_both_succeed(tmp_path, monkeypatch):
    source = _serve(tmp_path, monkeypatch, 3 * (1 << 16) + 7)
    # Each thread has opened its temporary file before either reads a byte (its first read
    # waits for the other's): with one `.part` name shared, the first to finish moves that
    # name away and the second fails, whatever the order after this point.
    both_open = threading.Barrier(2, timeout=10)
    real_urlopen = urllib.request.urlopen

    class Response:
        def __init__(self, response):
            self.response, self.headers, self.first = response, response.headers, True

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.response.close()

        def read(self, size):
            if self.first:
                self.first = False
                both_open.wait()
            return self.response.read(size)

    def urlopen(url, *args, **kwargs):
        return Response(real_urlopen(url, *args, **kwargs))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    results, errors = [], []

    def fetch():
        try:
            results.append(d2l.download("big.bin"))
        except Exception as e:          # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=fetch) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == [] and len(results) == 2 and results[0] == results[1]
    assert Path(results[0]).read_bytes() == source.read_bytes()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == ["big.bin"]


def test_a_failed_download_leaves_no_part_file_and_no_empty_folder(tmp_path, monkeypatch):
    _serve(tmp_path, monkeypatch, 1000)
    monkeypatch.setitem(d2l.DATA_HUB, "big.bin", (d2l.DATA_HUB["big.bin"][0], "0" * 40))
    with pytest.raises(d2l.DownloadError, match="not the expected 0{40}"):
        d2l.download("big.bin", str(tmp_path / "cache" / "deeper"))
    assert not (tmp_path / "cache").exists()       # both folders it made are gone again
    monkeypatch.setitem(d2l.DATA_HUB, "gone", ((tmp_path / "nope").as_uri(), "1" * 40))
    with pytest.raises(d2l.DownloadError) as e:
        d2l.download("gone")
    assert not (tmp_path / "cache").exists()
    assert e.value.path == str(tmp_path / "cache" / "nope")
    brief = e.value.brief("python examples/x.py --synthetic")
    assert brief.count("\n") == 1 and "--synthetic" in brief and str(tmp_path / "nope") in brief


def test_download_of_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"no data set named 'nope'; DATA_HUB has \["):
        d2l.download("nope")


# ---- sizes: a ValueError naming the argument and what is allowed ----


def _airfoil_iter(n: int, batch_size: int = 10):
    data = d2l.synthetic_airfoil().numpy()[:n]
    data = (data - data.mean(axis=0)) / data.std(axis=0)       # standardized, as get_data_ch11
    return d2l.load_array((np.array(data[:, :-1]), np.array(data[:, -1])), batch_size)


def _sgd(params, states, hyperparams):
    for p in params:
        p[:] -= hyperparams["lr"] * p.grad


def _features():
    return np.ones((10, 2)), np.ones(10)


BAD_SIZES = [
    (lambda v: d2l.load_data_time_machine(v, 35, synthetic=True),
     "load_data_time_machine: batch_size"),
    (lambda v: d2l.load_data_time_machine(32, v, synthetic=True),
     "load_data_time_machine: num_steps"),
    (lambda v: d2l.load_data_fashion_mnist(v, synthetic=True),
     "load_data_fashion_mnist: batch_size"),
    (lambda v: d2l.load_data_fashion_mnist(8, resize=v, synthetic=True),
     "load_data_fashion_mnist: resize"),
    (lambda v: d2l.get_data_ch11(batch_size=v, synthetic=True), "get_data_ch11: batch_size"),
    (lambda v: d2l.get_data_ch11(n=v, synthetic=True), "get_data_ch11: n"),
    (lambda v: d2l.load_array(_features(), v), "load_array: batch_size"),
    (lambda v: next(d2l.data_iter(v, *_features())), "data_iter: batch_size"),
    (lambda v: next(d2l.fast_data_iter(v, *_features())), "fast_data_iter: batch_size"),
    (lambda v: next(d2l.seq_data_iter_random(list(range(100)), v, 5)),
     "seq_data_iter_random: batch_size"),
    (lambda v: next(d2l.seq_data_iter_random(list(range(100)), 2, v)),
     "seq_data_iter_random: num_steps"),
    (lambda v: next(d2l.seq_data_iter_sequential(list(range(100)), v, 5)),
     "seq_data_iter_sequential: batch_size"),
    (lambda v: next(d2l.seq_data_iter_sequential(list(range(100)), 2, v)),
     "seq_data_iter_sequential: num_steps"),
    (lambda v: d2l.synthetic_fashion_mnist(v, 10), "synthetic_fashion_mnist: num_train"),
    (lambda v: d2l.synthetic_fashion_mnist(10, v), "synthetic_fashion_mnist: num_test"),
    (lambda v: d2l.synthetic_time_machine(v), "synthetic_time_machine: num_lines"),
    (lambda v: d2l.train_ch11(_sgd, None, {"lr": 0.1}, _airfoil_iter(300), 5, v, plot=False),
     "train_ch11: num_epochs"),
    (lambda v: d2l.train_ch3(None, [], [], None, v, None, plot=False), "train_ch3: num_epochs"),
    (lambda v: d2l.train_ch8(None, [], None, 1.0, v, npx.cpu(), plot=False),
     "train_ch8: num_epochs"),
    (lambda v: d2l.sgd([], 0.1, v), "sgd: batch_size"),
]


@pytest.mark.parametrize("call, said", BAD_SIZES, ids=[s for _, s in BAD_SIZES])
@pytest.mark.parametrize("value", [0, -3, 2.5, True])
def test_every_size_argument_refuses_what_is_not_a_positive_integer(call, said, value):
    with pytest.raises(ValueError, match=rf"^{said} must be a positive integer, got "
                                         rf"{value!r}$"):
        call(value)


def test_load_data_time_machine_refuses_a_corpus_too_short_for_one_batch():
    with pytest.raises(ValueError, match=r"a corpus of 500 tokens is too short for one "
                                         r"minibatch of batch_size=32 x num_steps=35"):
        d2l.load_data_time_machine(32, 35, max_tokens=500, synthetic=True)
    for sampler in (d2l.seq_data_iter_random, d2l.seq_data_iter_sequential):
        with pytest.raises(ValueError, match=rf"{sampler.__name__}: a corpus of 20 tokens"):
            next(sampler(list(range(20)), 4, 5))


def test_train_ch11_with_too_few_examples_says_why():
    with pytest.raises(ValueError, match=r"train_ch11 records the loss every 200 examples, but "
                                         r"data_iter gives 20 examples in all"):
        d2l.train_ch11(_sgd, None, {"lr": 0.1}, _airfoil_iter(10), 5, 2, plot=False)
    # 210 examples in batches of 7: 420 seen, never a multiple of 200
    with pytest.raises(ValueError, match=r"420 examples in batches of 7 never made one"):
        d2l.train_ch11(_sgd, None, {"lr": 0.1}, _airfoil_iter(210, 7), 5, 2, plot=False)


def test_other_bad_sizes_name_the_argument():
    data_iter, _ = d2l.get_data_ch11(n=2000, synthetic=True)    # n caps, as data[:n] does
    assert data_iter.num_examples == 1503
    train_iter, test_iter = d2l.load_data_fashion_mnist(4, synthetic=True)
    with pytest.raises(ValueError, match=r"predict_ch3: n=6 images asked for, but a batch of "
                                         r"test_iter holds 4"):
        d2l.predict_ch3(lambda X: X, test_iter, n=6, plot=False)
    with pytest.raises(ValueError, match="grad_clipping: theta must be a positive number"):
        d2l.grad_clipping([], 0)
    with pytest.raises(ValueError, match="load_array: the arrays hold no examples"):
        d2l.load_array((np.ones((0, 2)), np.ones(0)), 4)
    with pytest.raises(ValueError, match="predict_ch8: prefix must hold at least one"):
        d2l.predict_ch8("", 5, None, None, npx.cpu())
    with pytest.raises(ValueError, match="synthetic_airfoil: num_examples must be an integer "
                                         ">= 2, got 1"):    # one row has no spread to scale by
        d2l.synthetic_airfoil(1)
    for value in (-1, 2.5):             # no examples at all is an empty data set, allowed
        with pytest.raises(ValueError, match=rf"synthetic_data: num_examples must be an "
                                             rf"integer >= 0, got {value}"):
            d2l.synthetic_data(np.ones(2), 0.0, value)
    with pytest.raises(ValueError, match="train_2d: steps must be an integer >= 0, got -1"):
        d2l.train_2d(lambda *a: a, steps=-1)


# ---- shuffling: the train iterators read the examples in a new random order each pass ----


def _indices(batches) -> list[int]:
    return [int(v) for _, y in batches for v in y.numpy().ravel()]


SHUFFLED = {
    "data_iter": lambda X, y: d2l.data_iter(7, X, y),
    "fast_data_iter": lambda X, y: d2l.fast_data_iter(7, X, y),
    "load_array": lambda X, y: d2l.load_array((X, y), 7),
}


@pytest.mark.parametrize("name", sorted(SHUFFLED))
def test_train_iterators_shuffle_into_a_new_permutation_each_pass(name):
    random.seed(0)
    np.random.seed(0)
    n = 50
    X, y = np.arange(n).reshape(n, 1), np.arange(n)
    make = SHUFFLED[name]
    if name == "load_array":            # one iterable object, read twice
        batches = make(X, y)
        first, second = _indices(batches), _indices(batches)
    else:                               # a generator, made anew for each epoch
        first, second = _indices(make(X, y)), _indices(make(X, y))
    assert sorted(first) == list(range(n))          # every example once
    assert first != list(range(n))                  # not in range order
    assert second != first                          # a new order each pass
    for X_batch, y_batch in make(X, y):            # features and labels stay paired
        assert X_batch.numpy().ravel().tolist() == y_batch.numpy().tolist()


def test_data_iter_with_a_fixed_seed_is_a_fixed_permutation():
    X, y = np.arange(20).reshape(20, 1), np.arange(20)
    random.seed(3)
    first = _indices(d2l.data_iter(6, X, y))
    random.seed(3)
    assert _indices(d2l.data_iter(6, X, y)) == first != list(range(20))


def test_fashion_mnist_train_set_shuffles_and_test_set_keeps_its_order():
    train_iter, test_iter = d2l.load_data_fashion_mnist(100, synthetic=True)
    labels = d2l.synthetic_fashion_mnist()
    train_first = numpy.concatenate([y.numpy() for _, y in train_iter])
    assert sorted(train_first) == sorted(labels[0][1])
    assert not numpy.array_equal(train_first, labels[0][1])
    assert numpy.array_equal(numpy.concatenate([y.numpy() for _, y in test_iter]), labels[1][1])


def test_seq_data_iter_random_reads_subsequences_out_of_order():
    random.seed(0)
    starts = [int(x) for X, _ in d2l.seq_data_iter_random(list(range(200)), 4, 5)
              for x in X[:, 0].numpy()]
    assert starts != sorted(starts) and len(set(starts)) == len(starts)


# ---- training loops in a terminal: a line per epoch with the time left ----


def _softmax_net():
    W = np.random.normal(0, 0.01, (784, 10))
    b = np.zeros(10)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return np.dot(X.reshape((-1, 784)), W) + b

    return net, lambda n: d2l.sgd([W, b], 0.1, n)


@pytest.mark.parametrize("plot", [False, True])
def test_train_ch3_prints_a_line_per_epoch_with_the_time_left_outside_a_notebook(plot, capsys):
    if plot:
        matplotlib = pytest.importorskip("matplotlib")
        matplotlib.use("Agg")
    np.random.seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(500, synthetic=True)
    net, updater = _softmax_net()
    d2l.train_ch3(net, train_iter, test_iter, d2l.softmax_cross_entropy, 3, updater, plot=plot)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {epoch}, loss ")
        assert line.endswith(" left") and "/epoch, " in line
    if plot:
        d2l.plt.close("all")


def test_train_ch3_is_quiet_where_a_notebook_shows_the_plot(monkeypatch, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    shown = []

    class Display:      # what IPython's display module does in a notebook
        @staticmethod
        def display(fig):
            shown.append(fig)

        @staticmethod
        def clear_output(wait=False):
            pass

    monkeypatch.setattr(d2l, "_ipython_display", lambda: Display)
    monkeypatch.setattr(d2l, "use_svg_display", lambda: None)    # no IPython shell made
    np.random.seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(500, synthetic=True)
    net, updater = _softmax_net()
    d2l.train_ch3(net, train_iter, test_iter, d2l.softmax_cross_entropy, 2, updater, plot=True)
    assert capsys.readouterr().out == "" and len(shown) == 2
    d2l.plt.close("all")


def _tiny_rnn(vocab_size, num_hiddens, device):
    params = [np.random.normal(scale=0.01, size=s) for s in
              ((vocab_size, num_hiddens), (num_hiddens, num_hiddens), (num_hiddens,),
               (num_hiddens, vocab_size), (vocab_size,))]
    for p in params:
        p.attach_grad()
    return params


def test_train_ch8_says_how_long_the_run_takes_then_the_time_left(capsys):
    random.seed(0)
    np.random.seed(0)
    train_iter, vocab = d2l.load_data_time_machine(8, 10, max_tokens=500, synthetic=True)
    net = d2l.RNNModelScratch(len(vocab), 16, npx.cpu(), _tiny_rnn, init_rnn_state, rnn)
    d2l.train_ch8(net, train_iter, vocab, 1, 20, npx.cpu(), plot=False)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("epoch 1 took ") and lines[0].endswith(" s") \
        and ": 20 epochs take about " in lines[0]
    assert lines[1].startswith("epoch 10, perplexity ") and lines[1].endswith(" left")
    assert lines[2].startswith("epoch 20, perplexity ") and lines[2].endswith(", 0 s left")


def test_train_ch11_prints_each_epoch_and_keeps_the_books_closing_line(capsys):
    np.random.seed(0)
    d2l.train_ch11(_sgd, None, {"lr": 0.05}, _airfoil_iter(400), 5, 3, plot=False)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[:3]] == ["epoch 1", "epoch 2", "epoch 3"]
    assert all(line.endswith(" left") for line in lines[:3])
    assert lines[3].startswith("loss: ") and len(lines) == 4
    d2l.train_ch11(_sgd, None, {"lr": 0.05}, _airfoil_iter(400), 5, 1, plot=False,
                   progress=False)
    assert capsys.readouterr().out.startswith("loss: ")


def test_epoch_clock_reads_as_a_person_would():
    assert d2l._duration(0.42) == "0.42 s" and d2l._duration(3.14159) == "3.1 s"
    assert d2l._duration(42.4) == "42 s" and d2l._duration(185) == "3 min 05 s"
    assert d2l._duration(7440) == "2 h 04 min"
    clock = d2l.EpochClock(10)
    clock.start -= 20.0                 # two epochs took 20 s
    assert clock.left(2) == "10 s/epoch, 1 min 20 s left"
    clock = d2l.EpochClock(500)
    clock.start -= 3.0
    assert clock.first_epoch() == "epoch 1 took 3.0 s: 500 epochs take about 25 min 00 s"


def test_animator_knows_whether_anyone_sees_its_plot(monkeypatch):
    assert not d2l.Animator(plot=False).displayed
    pytest.importorskip("matplotlib").use("Agg")
    assert not d2l.Animator(plot=True).displayed              # a script: drawn, not shown
    monkeypatch.setattr(d2l, "_ipython_display", lambda: None)
    monkeypatch.setattr(d2l, "use_svg_display", lambda: None)
    monkeypatch.setattr(d2l, "_ipython_display", lambda: object())
    assert d2l.Animator(plot=True).displayed
    d2l.plt.close("all")


def test_a_shell_without_a_kernel_is_not_a_notebook(monkeypatch):
    """A terminal IPython, or the bare shell matplotlib-inline makes, shows no figures."""
    ipython = pytest.importorskip("IPython")

    class Shell:
        kernel = None

    monkeypatch.setattr(ipython, "get_ipython", lambda: Shell())
    assert d2l._ipython_display() is None
    Shell.kernel = object()
    assert d2l._ipython_display() is not None


def test_a_loss_computed_under_record_still_trains_after_the_checks():
    """The label check reads the labels only: the loss's gradient is untouched."""
    y_hat = np.array([[2.0, 0.0, -1.0]])
    y_hat.attach_grad()
    with autograd.record():
        loss = d2l.softmax_cross_entropy(y_hat, np.array([1]))
    loss.backward()
    p = numpy.exp([2.0, 0.0, -1.0]) / numpy.exp([2.0, 0.0, -1.0]).sum()
    numpy.testing.assert_allclose(y_hat.grad.numpy()[0], p - [0, 1, 0], rtol=1e-6)
