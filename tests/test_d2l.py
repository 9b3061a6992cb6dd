"""The book's saved helpers in microgradnd.d2l: metrics, text pipeline, sequence iterators,
gradient clipping, the RNN from scratch, the training loops on tiny synthetic data, and the
loaders against small local files in the real formats (no network)."""
import hashlib
import math
import random
import shutil
from pathlib import Path

import numpy
import pytest

import microgradnd as mg
from microgradnd import autograd, d2l, np, npx

DATA = Path(__file__).with_name("data")

# Pieces of the engine that land separately; tests that need them wait for them.
needs_argmax = pytest.mark.skipif(not hasattr(mg.Tensor, "argmax"),
                                  reason="pending: Tensor.argmax")
needs_rnn_ops = pytest.mark.skipif(
    not (hasattr(mg.Tensor, "argmax") and hasattr(mg.Tensor, "as_in_ctx")
         and hasattr(np, "concatenate")),
    reason="pending: Tensor.argmax, Tensor.as_in_ctx, np.concatenate")
needs_std = pytest.mark.skipif(not hasattr(mg.Tensor, "std"), reason="pending: Tensor.std")


def _sha1(path) -> str:
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()


# ---- metrics and timers ----


def test_accumulator_adds_floats_of_tensors_and_resets():
    metric = d2l.Accumulator(3)
    metric.add(1, np.array(2.5), 3.0)
    metric.add(np.array([4.0]).sum(), 0.5, 1)
    assert metric.data == [5.0, 3.0, 4.0] and metric[1] == 3.0 and metric[0:2] == [5.0, 3.0]
    metric.reset()
    assert metric.data == [0.0, 0.0, 0.0]


def test_timer_sums_and_accumulates():
    timer = d2l.Timer()
    timer.times = [0.5, 1.0, 1.5]
    assert timer.sum() == 3.0 and timer.avg() == 1.0 and timer.cumsum() == [0.5, 1.5, 3.0]
    assert timer.stop() >= 0 and len(timer.times) == 4


@needs_argmax
def test_accuracy_counts_correct_predictions():
    y_hat = np.array([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5], [0.9, 0.05, 0.05]])
    y = np.array([2, 0, 0], dtype="int32")
    assert d2l.accuracy(y_hat, y) == 2.0
    assert d2l.accuracy(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == 1.0   # labels given
    batches = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0, 0]))] * 3
    assert d2l.evaluate_accuracy(lambda X: X, batches) == 0.5


def test_evaluate_accuracy_gpu_moves_each_batch_to_the_device(device):
    W = np.array([[0.0, 1.0], [1.0, 0.0]], device=device)     # swaps the two scores
    batches = [(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([1, 1], dtype="int32"))] * 3

    def net(X):
        assert X.device == W.device
        return np.dot(X, W)

    assert d2l.evaluate_accuracy_gpu(net, batches, npx.cpu() if device == "cpu"
                                     else npx.gpu(0)) == 0.5
    mg.set_default_device(device)
    try:
        assert d2l.evaluate_accuracy_gpu(net, batches) == 0.5     # None: the default device
    finally:
        mg.set_default_device("cpu")


def test_load_array_batches_shuffles_and_keeps_the_last(device):
    X = np.arange(20.0, device=device).reshape(10, 2)
    y = np.arange(10, device=device)
    it = d2l.load_array((X, y), 4)
    assert len(it) == 3
    seen = []
    for Xb, yb in it:
        assert Xb.device == X.device and (Xb[:, 0] == 2 * yb.astype("float32")).numpy().all()
        seen += yb.tolist()
    assert sorted(seen) == list(range(10))
    assert [len(b) for b, _ in it] == [4, 4, 2]
    ordered = [yb.tolist() for _, yb in d2l.load_array((X, y), 4, is_train=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_try_gpu_names_a_device_mxnet_style():
    dev = d2l.try_gpu()
    if npx.num_gpus() == 0:
        assert str(dev) == "cpu(0)" and d2l.try_all_gpus() == [npx.cpu()]
        assert str(d2l.try_gpu(3)) == "cpu(0)"
    else:
        assert str(dev) == "gpu(0)" and len(d2l.try_all_gpus()) == npx.num_gpus()
    assert np.zeros(1, ctx=dev).device == dev


# ---- 8.2 text ----

TEXT = ["the time machine by h g wells", "", "the time traveller for so it will be"]


def test_tokenize_words_and_chars():
    assert d2l.tokenize(TEXT)[0] == ["the", "time", "machine", "by", "h", "g", "wells"]
    assert d2l.tokenize(TEXT)[1] == []
    assert d2l.tokenize(["ab c"], "char") == [["a", "b", " ", "c"]]


def test_vocab_orders_by_frequency_with_unk_first():
    vocab = d2l.Vocab(d2l.tokenize(TEXT))
    assert vocab.idx_to_token[:3] == ["<unk>", "the", "time"]
    assert len(vocab) == 1 + len({w for line in TEXT for w in line.split()})
    assert vocab["the"] == 1 and vocab["nowhere"] == vocab.unk == 0
    assert vocab[["time", "the", "zzz"]] == [2, 1, 0]
    assert vocab.to_tokens([1, 2]) == ["the", "time"] and vocab.to_tokens(0) == "<unk>"
    assert vocab.token_freqs[:2] == [("the", 2), ("time", 2)]
    rare = d2l.Vocab(d2l.tokenize(TEXT), min_freq=2, reserved_tokens=["<pad>"])
    assert rare.idx_to_token == ["<unk>", "<pad>", "the", "time"]
    assert d2l.count_corpus(["a", "b", "a"]) == {"a": 2, "b": 1}
    assert d2l.count_corpus([["a"], ["b", "a"]]) == {"a": 2, "b": 1}
    assert len(d2l.Vocab()) == 1


# ---- 8.3 sequence iterators: the book's shapes and offsets ----


def test_seq_data_iter_random_shapes_and_offsets():
    corpus = list(range(35))
    random.seed(0)
    batches = list(d2l.seq_data_iter_random(corpus, batch_size=2, num_steps=5))
    assert len(batches) in (3, 2)           # (35 - offset - 1) // 5 subsequences, // 2
    starts = set()
    for X, Y in batches:
        assert X.shape == Y.shape == (2, 5) and X.dtype == numpy.float32   # as MXNet's d2l
        assert (Y == X + 1).numpy().all()
        for row in X.tolist():
            assert row == list(range(int(row[0]), int(row[0]) + 5))
            starts.add(row[0])
    assert len({s % 5 for s in starts}) == 1    # one random offset, then steps of num_steps
    assert len(starts) == 2 * len(batches)      # no subsequence twice


def test_seq_data_iter_sequential_continues_across_batches():
    corpus = list(range(35))
    random.seed(1)
    batches = list(d2l.seq_data_iter_sequential(corpus, batch_size=2, num_steps=5))
    assert len(batches) >= 3
    for (X, Y), (X2, _) in zip(batches, batches[1:]):
        assert X.shape == Y.shape == (2, 5)
        assert (Y == X + 1).numpy().all()
        # adjacent minibatches are adjacent on the sequence, row by row
        assert (X2[:, 0] == X[:, -1] + 1).numpy().all()
    X, _ = batches[0]
    assert X[1, 0].item() - X[0, 0].item() == (35 - X[0, 0].item() - 1) // 2


# ---- 8.5 gradient clipping and the RNN from scratch ----


def _params_with_grads(grads):
    params = []
    for g in grads:
        p = np.zeros(numpy.shape(g))
        p.attach_grad()
        p.grad[:] = np.array(g)
        params.append(p)
    return params


def test_grad_clipping_scales_the_joint_norm_to_theta():
    params = _params_with_grads([[3.0, 0.0], [[4.0]]])          # joint norm 5
    d2l.grad_clipping(params, 1)
    assert numpy.allclose(params[0].grad.numpy(), [0.6, 0.0])
    assert numpy.allclose(params[1].grad.numpy(), [[0.8]])

    class Model:
        params = _params_with_grads([[0.3, 0.4]])                  # norm 0.5: untouched
    d2l.grad_clipping(Model, 1)
    assert Model.params[0].grad.tolist() == pytest.approx([0.3, 0.4])


def get_params(vocab_size, num_hiddens, device):
    num_inputs = num_outputs = vocab_size

    def normal(shape):
        return np.random.normal(scale=0.01, size=shape, ctx=device)

    params = [normal((num_inputs, num_hiddens)), normal((num_hiddens, num_hiddens)),
              np.zeros(num_hiddens, ctx=device), normal((num_hiddens, num_outputs)),
              np.zeros(num_outputs, ctx=device)]
    for param in params:
        param.attach_grad()
    return params


def init_rnn_state(batch_size, num_hiddens, device):
    return (np.zeros((batch_size, num_hiddens), ctx=device),)


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = np.tanh(np.dot(X, W_xh) + np.dot(H, W_hh) + b_h)
        outputs.append(np.dot(H, W_hq) + b_q)
    return np.concatenate(outputs, axis=0), (H,)


@needs_rnn_ops
def test_rnn_scratch_shapes_and_one_step_lowers_the_loss(device):
    np.random.seed(0)
    dev = npx.cpu() if device == "cpu" else npx.gpu(0)
    net = d2l.RNNModelScratch(28, 32, dev, get_params, init_rnn_state, rnn)
    X = np.arange(10).reshape(2, 5)
    state = net.begin_state(X.shape[0], dev)
    Y, new_state = net(X.as_in_ctx(dev), state)
    assert Y.shape == (10, 28) and len(new_state) == 1 and new_state[0].shape == (2, 32)
    y = (X + 1).T.reshape(-1).as_in_ctx(dev)

    def loss_now():
        y_hat, _ = net(X.as_in_ctx(dev), net.begin_state(2, dev))
        return d2l.softmax_cross_entropy(y_hat, y).mean().item()

    before = loss_now()
    assert before == pytest.approx(math.log(28), rel=1e-3)     # near-uniform at init
    with autograd.record():
        y_hat, _ = net(X.as_in_ctx(dev), net.begin_state(2, dev))
        l = d2l.softmax_cross_entropy(y_hat, y).mean()  # noqa: E741
    l.backward()
    d2l.grad_clipping(net, 1)
    d2l.sgd(net.params, 1.0, 1)
    assert loss_now() < before
    text = d2l.predict_ch8("ab", 5, net, d2l.Vocab(list("abcdefghijklmnopqrstuvwxyz ")), dev)
    assert len(text) == 7 and text.startswith("ab")


# ---- training loops on tiny synthetic data, without plotting ----


@needs_argmax
def test_train_ch3_loss_falls_and_accuracy_rises(capsys):
    np.random.seed(0)
    train_iter, test_iter = d2l.load_data_fashion_mnist(64, synthetic=True)
    W = np.random.normal(0, 0.01, (784, 10))
    b = np.zeros(10)
    W.attach_grad()
    b.attach_grad()

    def net(X):
        return npx.softmax(np.dot(X.reshape((-1, 784)), W) + b)

    def cross_entropy(y_hat, y):
        return -np.log(y_hat[np.arange(len(y_hat)), y])

    acc0 = d2l.evaluate_accuracy(net, test_iter)
    loss, train_acc, test_acc = d2l.train_ch3(
        net, train_iter, test_iter, cross_entropy, 2, lambda n: d2l.sgd([W, b], 0.1, n),
        plot=False)
    out = capsys.readouterr()
    assert "plotting off" in out.err
    lines = out.out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2"]
    first_loss = float(lines[0].split("loss ")[1].split(",")[0])
    assert loss < first_loss and test_acc > acc0 + 0.3 and train_acc > 0.5
    titles = d2l.predict_ch3(net, test_iter, n=3, plot=False)
    assert len(titles) == 3 and all("\n" in t for t in titles)


@needs_rnn_ops
def test_train_ch8_perplexity_falls(capsys):
    random.seed(0)
    np.random.seed(0)
    train_iter, vocab = d2l.load_data_time_machine(32, 35, max_tokens=4000, synthetic=True)
    assert len(vocab) == 28
    net = d2l.RNNModelScratch(len(vocab), 64, npx.cpu(), get_params, init_rnn_state, rnn)
    ppl, speed = d2l.train_ch8(net, train_iter, vocab, 1, 20, npx.cpu(), plot=False)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch 1 took ")           # how long the run takes, up front
    out = out[1:]
    assert out[0].startswith("epoch 10, perplexity") and out[1].startswith("epoch 20")
    first = float(out[0].split("perplexity ")[1].split(",")[0])
    assert out[2].startswith(f"perplexity {ppl:.1f}, ") and out[2].endswith("on cpu(0)")
    assert out[3].startswith("time traveller") and out[4].startswith("traveller")
    assert ppl < first < 28 and speed > 0


def _sgd_trainer(params, states, hyperparams):
    for p in params:
        p[:] -= hyperparams["lr"] * p.grad


def test_train_ch11_loss_falls(capsys):
    np.random.seed(0)
    data = d2l.synthetic_airfoil().numpy()
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    data_iter = d2l.load_array((np.array(data[:1500, :-1]), np.array(data[:1500, -1])), 10)
    times, losses = d2l.train_ch11(_sgd_trainer, None, {"lr": 0.05}, data_iter, 5, 2,
                                   plot=False)
    assert len(losses) == 15 == len(times)          # every 200 of 3000 examples
    # at w = 0 the loss is var(y) / 2 = 0.5; it falls from there, and keeps falling
    assert losses[-1] < losses[0] < 0.45
    out = capsys.readouterr().out.splitlines()      # a line per epoch, then the book's
    assert out[0].startswith("epoch 1, loss ") and out[-1].startswith(f"loss: {losses[-1]:.3f}, ")


@needs_std
def test_get_data_ch11_synthetic_is_standardized():
    data_iter, dim = d2l.get_data_ch11(batch_size=10, synthetic=True)
    assert dim == 5 and len(data_iter) == 150
    X, y = next(iter(data_iter))
    assert X.shape == (10, 5) and y.shape == (10,) and X.dtype == numpy.float32


def test_train_2d_prints_the_book_line_and_show_trace(capsys):
    def gd_2d(x1, x2, s1, s2):
        return x1 - 0.1 * 2 * x1, x2 - 0.1 * 4 * x2, 0, 0

    results = d2l.train_2d(gd_2d)
    assert len(results) == 21 and results[0] == (-5, -2)
    assert capsys.readouterr().out == "epoch 20, x1: -0.057646, x2: -0.000073\n"
    d2l.show_trace_2d(lambda x1, x2: x1 ** 2 + 2 * x2 ** 2, results, plot=False)
    assert "plotting off" in capsys.readouterr().err


def test_show_trace_2d_draws_with_matplotlib():
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    d2l.show_trace_2d(lambda x1, x2: x1 ** 2 + 2 * x2 ** 2, [(-5, -2), (-4, -1.2)], plot=True)
    assert len(d2l.plt.gca().lines) >= 1
    d2l.plt.close("all")


def test_animator_records_without_drawing():
    animator = d2l.Animator(legend=["a", "b"], plot=False)
    animator.add(1, (0.5, None))
    animator.add(2, (0.25, 0.75))
    assert not animator.drawing
    assert animator.X == [[1, 2], [2]] and animator.Y == [[0.5, 0.25], [0.75]]


# ---- loaders against small files in the real formats, no network ----


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder; downloads forbidden."""
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path))
    monkeypatch.setenv("MICROGRADND_OFFLINE", "1")
    return tmp_path


def _place_fashion(cache, monkeypatch):
    """The tiny IDX pair, placed as both train and test set, with DATA_HUB's checksums."""
    folder = cache / "fashion-mnist"
    folder.mkdir()
    for part, prefix in (("train", "train"), ("test", "t10k")):
        for kind, fixture in (("images", "tiny-images-idx3-ubyte.gz"),
                              ("labels", "tiny-labels-idx1-ubyte.gz")):
            name = f"fashion_mnist_{part}_{kind}"
            url, _ = d2l.DATA_HUB[name]
            target = folder / url.split("/")[-1]
            assert target.name.startswith(prefix)
            shutil.copy(DATA / fixture, target)
            monkeypatch.setitem(d2l.DATA_HUB, name, (url, _sha1(target)))


def test_fashion_mnist_from_idx_files(cache, monkeypatch):
    _place_fashion(cache, monkeypatch)
    images, labels = d2l.read_fashion_mnist(train=True)
    assert images.shape == (12, 28, 28) and images.dtype == numpy.uint8
    assert labels.dtype == numpy.int32 and labels.tolist() == [3, 3, 7, 5, 5, 1, 1, 1, 8, 7, 4, 0]
    train_iter, test_iter = d2l.load_data_fashion_mnist(5)
    batches = list(train_iter)
    assert [X.shape for X, _ in batches] == [(5, 1, 28, 28), (5, 1, 28, 28), (2, 1, 28, 28)]
    X, y = batches[0]
    assert X.dtype == numpy.float32 and y.dtype == numpy.int32
    assert 0.0 <= X.numpy().min() and X.numpy().max() <= 1.0
    assert sorted(v for _, y in batches for v in y.tolist()) == sorted(labels.tolist())
    X, y = next(iter(test_iter))                    # the test set keeps its order
    assert y.tolist() == labels[:5].tolist()
    numpy.testing.assert_allclose(X.numpy()[:, 0], images[:5] / 255, rtol=1e-6)
    X, _ = next(iter(d2l.load_data_fashion_mnist(4, resize=14)[1]))
    assert X.shape == (4, 1, 14, 14)
    # a constant image stays constant, and 2x2 blocks average, under a half-size resize
    numpy.testing.assert_allclose(X.numpy()[0, 0, 0, 0], images[0, :2, :2].mean() / 255,
                                  rtol=1e-5)


def test_fashion_mnist_missing_file_offline_names_it(cache):
    with pytest.raises(d2l.DownloadError) as e:
        d2l.load_data_fashion_mnist(5)
    message = str(e.value)
    expected = cache / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    assert f"{expected} does not exist" in message
    assert d2l.DATA_HUB["fashion_mnist_train_images"][0] in message
    assert "synthetic=True" in message and "MICROGRADND_DATA" in message


def test_checksum_mismatch_is_a_clear_error(cache, monkeypatch):
    _place_fashion(cache, monkeypatch)
    monkeypatch.setitem(d2l.DATA_HUB, "fashion_mnist_train_labels",
                        (d2l.DATA_HUB["fashion_mnist_train_labels"][0], "0" * 40))
    with pytest.raises(d2l.DownloadError, match=r"has SHA-1 [0-9a-f]{40}, not the expected 0{40}"):
        d2l.load_data_fashion_mnist(5)


def test_time_machine_from_a_local_text(cache, monkeypatch):
    shutil.copy(DATA / "tiny_timemachine.txt", cache / "timemachine.txt")
    url = d2l.DATA_HUB["time_machine"][0]
    monkeypatch.setitem(d2l.DATA_HUB, "time_machine", (url, _sha1(cache / "timemachine.txt")))
    lines = d2l.read_time_machine()
    assert lines[0] == "the tiny time machine a fixture for the tests of microgradnd d l"
    assert lines[1] == "" and all(set(line) <= set("abcdefghijklmnopqrstuvwxyz ") for line in lines)
    corpus, vocab = d2l.load_corpus_time_machine()
    assert len(corpus) == sum(len(line) for line in lines)
    assert vocab.idx_to_token[:2] == ["<unk>", " "]
    random.seed(0)
    data_iter, vocab2 = d2l.load_data_time_machine(2, 5)
    X, Y = next(iter(data_iter))
    assert X.shape == Y.shape == (2, 5) and len(vocab2) == len(vocab)
    random.seed(0)
    assert next(iter(d2l.load_data_time_machine(2, 5, use_random_iter=True)[0]))[0].shape == (2, 5)


def test_time_machine_missing_offline_names_the_file_and_the_stand_in(cache):
    with pytest.raises(d2l.DownloadError) as e:
        d2l.load_data_time_machine(2, 5)
    message = str(e.value)
    assert str(cache / "timemachine.txt") in message
    assert "http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt" in message
    assert "load_data_time_machine(..., synthetic=True)" in message


def test_download_fetches_once_checks_and_caches(tmp_path, monkeypatch, capsys):
    """A file:// URL stands in for the server: the download path runs with no network."""
    monkeypatch.setenv("MICROGRADND_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("MICROGRADND_OFFLINE", raising=False)
    source = DATA / "tiny_timemachine.txt"
    monkeypatch.setitem(d2l.DATA_HUB, "tiny", (source.resolve().as_uri(), _sha1(source)))
    path = d2l.download("tiny")
    assert Path(path) == tmp_path / "cache" / "tiny_timemachine.txt"
    assert Path(path).read_bytes() == source.read_bytes()
    out = capsys.readouterr()
    assert out.out.startswith("Downloading ") and "100.0%" in out.err
    assert d2l.download("tiny") == path                       # cached: nothing printed
    assert capsys.readouterr().out == ""
    # corrupted in the cache and on the server: refused, nothing kept
    Path(path).write_text("something else")
    monkeypatch.setitem(d2l.DATA_HUB, "tiny", (source.resolve().as_uri(), "1" * 40))
    with pytest.raises(d2l.DownloadError, match="not the expected 1{40}; it was not kept"):
        d2l.download("tiny")
    assert not Path(path + ".part").exists()
    # unreachable: the error says where to put the file
    monkeypatch.setitem(d2l.DATA_HUB, "gone", ((tmp_path / "nope.txt").as_uri(), "2" * 40))
    with pytest.raises(d2l.DownloadError, match="downloading it failed .* Place the file by hand"):
        d2l.download("gone")


def test_synthetic_stand_ins_have_the_real_shapes_and_types():
    (train_x, train_y), (test_x, test_y) = d2l.synthetic_fashion_mnist(50, 20)
    assert train_x.shape == (50, 28, 28) and train_x.dtype == numpy.uint8
    assert test_y.shape == (20,) and test_y.dtype == numpy.int32 and set(test_y) <= set(range(10))
    X, y = next(iter(d2l.load_data_fashion_mnist(8, synthetic=True)[0]))
    assert X.shape == (8, 1, 28, 28) and X.dtype == numpy.float32 and y.dtype == numpy.int32
    data_iter, vocab = d2l.load_data_time_machine(4, 7, synthetic=True)
    assert len(vocab) == 28 and len(data_iter.corpus) == 10000
    X, Y = next(iter(data_iter))
    assert X.shape == (4, 7) and X.dtype == numpy.float32      # token ids, as MXNet's d2l
    table = d2l.synthetic_airfoil()
    assert table.shape == (1503, 6) and table.dtype == numpy.float32
