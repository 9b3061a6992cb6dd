"""Two GPUs: an op on tensors of GPU 1 runs on GPU 1, whatever GPU is CuPy's current one.

CuPy computes on its *current* GPU: a kernel that reads an array of another GPU is refused
(ValueError), or, between GPUs with peer access, runs on the current GPU with a
PerformanceWarning and leaves its result there. PyTorch and MXNet compute where the inputs
live, and the book's data-parallel chapter (12.5) relies on it: it trains on gpu(0) and gpu(1)
in turn without ever switching the current device. Every test here makes GPU 0 current and
puts its tensors on GPU 1 (or on both), then checks values against the CPU and the device of
every result and gradient.

Without two GPUs they run on the CuPy stand-in (tests/fake_cupy.py, MICROGRADND_FAKE_CUPY=1),
given two GPUs here, playing both cases of real hardware: no peer access (CuPy refuses) and
peer access (CuPy warns; the warning is an error here). With two real GPUs they run on them;
otherwise they skip, except the LeNet example, which always runs (under the stand-in when
needed) in a subprocess.
"""
import copy
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy
import pytest
from test_ops import OPS, _inputs

import microgradnd as mg
from microgradnd import autograd, backend, d2l, gluon, metric, np, npx

ROOT = Path(__file__).resolve().parent.parent
FAKE = os.environ.get("MICROGRADND_FAKE_CUPY") == "1"
REAL_GPUS = 0 if FAKE else backend.cuda_device_count()

needs_two_gpus = pytest.mark.skipif(
    not FAKE and REAL_GPUS < 2,
    reason="needs two GPUs, or the CuPy stand-in (MICROGRADND_FAKE_CUPY=1)")


@pytest.fixture(params=["no-peer", "peer"] if FAKE else ["gpus"])
def gpus(request, monkeypatch):
    """GPU 0 current, and a kernel run on an array of another GPU an error, as it is without
    peer access; with peer access CuPy's PerformanceWarning is made one."""
    import cupy
    if FAKE:
        fake = sys.modules["fake_cupy"]
        monkeypatch.setattr(fake, "_N_DEVICES", max(2, fake._N_DEVICES))
        monkeypatch.setattr(fake, "peer_access", request.param == "peer")
    saved = cupy.cuda.runtime.getDevice()
    cupy.cuda.Device(0).use()
    with warnings.catch_warnings():
        warnings.simplefilter("error", cupy._util.PerformanceWarning)
        yield request.param
        assert cupy.cuda.runtime.getDevice() == 0       # nothing left another GPU current
    cupy.cuda.Device(saved).use()


def _on(device, arrays, grad=True):
    """Tensors of `arrays` on `device`, each a variable when `grad`."""
    out = [mg.tensor(a, device=device) for a in arrays]
    if grad:
        for t in out:
            t.attach_grad()
    return out


def _close(t, expected, device="cuda:1", rtol=1e-10):
    assert t.device == device, t.device
    numpy.testing.assert_allclose(t.numpy(), expected, rtol=rtol, atol=1e-12)


# ---- every op of the op table ----

# getitem_bool's row computes its mask with raw CuPy (`a[a.data > 0]`): array code written by
# the user runs where CuPy runs it, on the current GPU. Its Tensor spelling is tested below.
FIRST_CASES = [pytest.param(row, id=row.name) for row in OPS if row.name != "getitem_bool"]


def _grads(row, xs, second, to=None):
    """Forward, backward (and a second backward through create_graph) of row.fn on xs."""
    with autograd.record():
        out = row.fn(*xs)
        loss = (out if to is None else out.to(to)).sum()
    if not second:
        loss.backward()
        return out, [x.grad for x in xs]
    gs = autograd.grad(loss, xs, create_graph=True)
    with autograd.record():
        total = sum(((g + x) ** 2).sum() for g, x in zip(gs, xs))
    total.backward()
    return out, gs + [x.grad for x in xs]


@needs_two_gpus
@pytest.mark.parametrize("row", FIRST_CASES)
def test_every_op_runs_and_differentiates_on_the_gpu_of_its_inputs(row, gpus):
    arrays = _inputs(row, row.shapes[0], numpy.random.default_rng(5))
    second = row.second_order
    want_out, want = _grads(row, _on("cpu", arrays), second)
    out, got = _grads(row, _on("cuda:1", arrays), second)
    _close(out, want_out.numpy())
    for g, w in zip(got, want):
        _close(g, w.numpy())
    # the graph leaves GPU 1: the backward rules of GPU 1's ops run while GPU 0 is current
    _, got = _grads(row, _on("cuda:1", arrays), second, to="cuda:0")
    for g, w in zip(got, want):
        _close(g, w.numpy())
    # forward mode: the tangent rules run on GPU 1 too
    directions = [numpy.cos(a + 1.0) for a in arrays]
    _, want_t = mg.functional.jvp(row.fn, tuple(_on("cpu", arrays, False)),
                                  tuple(_on("cpu", directions, False)))
    _, got_t = mg.functional.jvp(row.fn, tuple(_on("cuda:1", arrays, False)),
                                 tuple(_on("cuda:1", directions, False)))
    _close(got_t, want_t.numpy())


# ---- a model, trained as the book trains one ----


def _train_mlp(device, steps=3):
    rng = numpy.random.default_rng(0)
    X = rng.standard_normal((16, 5)).astype(numpy.float32)
    y = rng.integers(0, 3, 16).astype(numpy.float32)        # MXNet's labels are floats
    params = [rng.standard_normal(s).astype(numpy.float32) * 0.5 for s in ((5, 8), (8,),
                                                                            (8, 3), (3,))]
    W1, b1, W2, b2 = params = [np.array(p, ctx=device) for p in params]
    for p in params:
        p.attach_grad()
    X, y = np.array(X, ctx=device), np.array(y, ctx=device)
    losses = []
    for _ in range(steps):
        with autograd.record():
            h = npx.relu(np.dot(X, W1) + b1)
            loss = -npx.pick(npx.log_softmax(np.dot(h, W2) + b2), y)
        loss.backward()
        d2l.sgd(params, 0.5, X.shape[0])
        losses.append(float(loss.mean()))
    return losses, params


@needs_two_gpus
def test_a_model_trains_on_gpu_1_while_gpu_0_is_current(gpus):
    want_losses, want = _train_mlp(npx.cpu())
    losses, params = _train_mlp(npx.gpu(1))
    numpy.testing.assert_allclose(losses, want_losses, rtol=1e-5)
    assert losses[-1] < losses[0]
    for p, w in zip(params, want):
        assert p.ctx == npx.gpu(1) and p.grad.device == "cuda:1"
        numpy.testing.assert_allclose(p.numpy(), w.numpy(), rtol=1e-5, atol=1e-6)
        numpy.testing.assert_allclose(p.grad.numpy(), w.grad.numpy(), rtol=1e-5, atol=1e-6)


@needs_two_gpus
def test_checkpoint_ledger_stepper_and_hvp_on_gpu_1(gpus):
    """The tools around backward: a checkpointed block recomputed on GPU 1, the tape's
    ledger, a step-by-step backward, and an HVP whose deferred tangents run on GPU 1."""
    rng = numpy.random.default_rng(5)
    xs, ws = rng.normal(size=(4, 3)), rng.normal(size=(3, 3))

    def block(x, w):
        return (x @ w).tanh()

    grads = {}
    for device, checked in (("cpu", False), ("cuda:1", False), ("cuda:1", True)):
        x, w = _on(device, [xs, ws])
        with autograd.record() as tape:
            h = mg.checkpoint(block, x, w) if checked else block(x, w)
            loss = (h ** 2).sum()
        if device != "cpu" and not checked:
            ledger = autograd.saved_tensors(tape)
            assert len(ledger) and ledger.total_bytes > 0 and "matmul" in str(ledger)
            steps = autograd.step_backward(loss)
            assert [f.op for f in steps] == ["sum", "pow", "tanh", "matmul"]
        else:
            loss.backward()
        grads[device, checked] = (x.grad, w.grad)
    for key in (("cuda:1", False), ("cuda:1", True)):
        for got, want in zip(grads[key], grads["cpu", False]):
            _close(got, want.numpy())
    A = mg.tensor(ws + ws.T, device="cuda:1")
    x, v = _on("cuda:1", [xs[0], xs[1]], grad=False)
    f = lambda y: 0.5 * (y @ (A @ y)) + (y ** 4).sum() / 4     # noqa: E731
    want = (ws + ws.T) @ xs[1] + 3 * xs[0] ** 2 * xs[1]
    _close(mg.hvp(f, x, v), want)
    _close(mg.hvp(f, x, v, mode="reverse"), want)


# ---- gradients: seeds, storing, accumulating, zeros for unused variables ----


@needs_two_gpus
def test_gradients_land_on_the_gpu_of_their_variable(gpus):
    x = mg.tensor([1.0, 2.0, 3.0], device="cuda:1")
    x.attach_grad("add")
    assert x.grad.device == "cuda:1" and x.grad.tolist() == [0.0, 0.0, 0.0]
    for _ in range(2):              # grad_req='add' accumulates, on GPU 1
        with autograd.record():
            y = x * x               # a non-scalar head: seeded with ones on GPU 1
        y.backward()
    _close(x.grad, [4.0, 8.0, 12.0])
    x.zero_grad()
    _close(x.grad, [0.0, 0.0, 0.0])
    x.attach_grad()                 # 'write': overwritten in place
    with autograd.record():
        y = (x ** 3).sum()
    y.backward()
    _close(x.grad, [3.0, 12.0, 27.0])
    held = x.grad
    with autograd.record():
        y = x * 2
    y.backward(mg.tensor([1.0, 0.0, -1.0], device="cuda:1"))
    assert x.grad is held
    _close(x.grad, [2.0, 0.0, -2.0])
    unused = mg.tensor([5.0], device="cuda:1")
    unused.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    gx, gu = autograd.grad(y, [x, unused])
    _close(gx, [2.0, 4.0, 6.0])
    _close(gu, [0.0])
    with autograd.record():         # second order, through create_graph
        y = (x ** 3).sum()
        (g,) = autograd.grad(y, [x], create_graph=True)
        z = g.sum()
    z.backward()
    _close(x.grad, [6.0, 12.0, 18.0])
    _close(mg.functional.hessian(lambda t: (t ** 3).sum())(x), numpy.diag([6.0, 12.0, 18.0]))
    _close(mg.functional.jacrev(lambda t: t * t)(x), numpy.diag([2.0, 4.0, 6.0]))
    _close(mg.functional.grad(lambda t: (t.sin() * t).sum())(x),
           numpy.sin([1.0, 2.0, 3.0]) + numpy.array([1.0, 2.0, 3.0]) * numpy.cos([1, 2, 3]),
           rtol=1e-6)
    assert mg.gradcheck(lambda t: (t * t.exp()).sum(), [x.astype("float64")])


# ---- what is not an op: in-place updates, comparisons, indices, creation, copies ----


@needs_two_gpus
def test_updates_comparisons_and_creation_stay_on_gpu_1(gpus):
    t = mg.tensor([[1.0, -2.0, 3.0], [4.0, 5.0, -6.0]], device="cuda:1")
    t += 1
    t *= 2
    t -= mg.tensor([1.0, 1.0, 1.0], device="cuda:1")
    _close(t, [[3.0, -3.0, 7.0], [9.0, 11.0, -11.0]])
    t[0, 0] = 0.0
    t[mg.tensor([1.0], device="cuda:1")] = mg.tensor([1.0, 2.0, 3.0], device="cuda:1")
    t[:, 1] = numpy.float32(4.0)
    _close(t, [[0.0, 4.0, 7.0], [1.0, 4.0, 3.0]])
    _close(t > 2, [[False, True, True], [False, True, True]])
    _close(t.argmax(axis=1), [2, 1])
    _close(t.astype("int32"), [[0, 4, 7], [1, 4, 3]])
    _close(t[mg.tensor([1, 0], device="cuda:1")], [[1.0, 4.0, 3.0], [0.0, 4.0, 7.0]])
    _close(t[t > 3.5], [4.0, 7.0, 4.0])
    _close(np.sort(t, axis=1), [[0.0, 4.0, 7.0], [1.0, 3.0, 4.0]])
    _close(np.clip(t, 1, 5), [[1.0, 4.0, 5.0], [1.0, 4.0, 3.0]])
    _close(numpy.where(t > 2, t, -t), [[-0.0, 4.0, 7.0], [-1.0, 4.0, 3.0]])
    _close(np.concatenate([t, t[:1]]), [[0.0, 4.0, 7.0], [1.0, 4.0, 3.0], [0.0, 4.0, 7.0]])
    _close(np.stack([t[0], t[1]]), [[0.0, 4.0, 7.0], [1.0, 4.0, 3.0]])
    _close(npx.one_hot(mg.tensor([2, 0], device="cuda:1"), 3), [[0, 0, 1], [1, 0, 0]])
    _close(npx.sequence_mask(t, mg.tensor([1, 2], device="cuda:1"), True, axis=1),
           [[0.0, 0.0, 0.0], [1.0, 4.0, 0.0]])
    _close(npx.pick(t, mg.tensor([2, 0], device="cuda:1")), [7.0, 1.0])
    image = t.reshape(1, 1, 2, 3)
    _close(image.max_pool2d((2, 1)).reshape(3), [1.0, 4.0, 7.0])
    _close(mg.avg_pool2d(image, 2, 2, 1, count_include_pad=False).reshape(4),
           [0.0, 5.5, 1.0, 3.5])
    for made in (np.zeros_like(t), np.ones((2,), ctx=npx.gpu(1)), np.full(2, 3.0,
                 ctx=npx.gpu(1)), np.arange(3, ctx=npx.gpu(1)), np.linspace(0, 1, 3,
                 ctx=npx.gpu(1)), np.eye(2, ctx=npx.gpu(1)), np.array(t), copy.deepcopy(t),
                 t.flatten(), t.copy(), mg.tensor(t.data, dtype="float64"),
                 np.random.normal(0, 1, (2,), ctx=npx.gpu(1))):
        assert made.device == "cuda:1"
    assert [g.device for g in np.meshgrid(t[0], t[1])] == ["cuda:1", "cuda:1"]
    assert float(t.sum()) == 19.0 and t[1, 2].item() == 3.0 and "7." in str(t)
    with mg.autograd.detect_anomaly():      # the anomaly checks read GPU 1's arrays
        x = mg.tensor([1.0, 4.0], device="cuda:1")
        x.attach_grad()
        with autograd.record():
            y = x.sqrt().sum()
        y.backward()
    _close(x.grad, [0.5, 0.25])


# ---- the helpers of the book's data-parallel chapter ----


@needs_two_gpus
def test_the_data_parallel_helpers_run_across_two_gpus(gpus):
    devices = [npx.gpu(0), npx.gpu(1)]
    X = np.arange(24).reshape(6, 4)
    parts = gluon.utils.split_and_load(X, devices)
    assert [p.ctx for p in parts] == devices
    _close(parts[1], numpy.arange(12, 24).reshape(3, 4))
    # the book's allreduce: sum into data[0], then copy the sum back to every device
    data = [np.ones((2,), ctx=d) * (i + 1) for i, d in enumerate(devices)]
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].ctx)
    for i in range(1, len(data)):
        data[0].copyto(data[i])
    _close(data[0], [3.0, 3.0], "cuda:0")
    _close(data[1], [3.0, 3.0])
    net_w = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], ctx=npx.gpu(1))
    batches = [(X[:3], np.array([1, 1, 1])), (X[3:], np.array([0, 1, 0]))]
    assert d2l.evaluate_accuracy_gpu(lambda x: np.dot(x, net_w), batches, npx.gpu(1)) == 4 / 6
    assert d2l.accuracy(np.dot(parts[1], net_w), np.array([1, 1, 1], ctx=npx.gpu(1))) == 3
    features, labels = np.arange(12, ctx=npx.gpu(1)).reshape(6, 2), np.arange(6, ctx=npx.gpu(1))
    dataset = gluon.data.ArrayDataset(features, labels)
    assert [t.device for t in dataset[1]] == ["cuda:1", "cuda:1"]
    for loader in (d2l.fast_data_iter(3, features, labels), d2l.load_array((features, labels),
                   3), gluon.data.DataLoader(dataset, batch_size=3, shuffle=True)):
        seen = [(Xb, yb) for Xb, yb in loader]
        assert [b.device for pair in seen for b in pair] == ["cuda:1"] * 4
        assert sum(float(yb.sum()) for _, yb in seen) == 15.0     # every example once
    probs = np.array([[0.25, 0.75], [0.5, 0.5]], ctx=npx.gpu(1))
    labels2 = np.array([1, 0], ctx=npx.gpu(1))
    _close(gluon.loss.SoftmaxCrossEntropyLoss()(probs.log(), labels2), -numpy.log([0.75, 0.5]),
           rtol=1e-6)      # the rows sum to 1: softmax(log p) is p
    _close(d2l.softmax_cross_entropy(probs.log(), labels2), -numpy.log([0.75, 0.5]), rtol=1e-6)
    nll = metric.NegativeLogLikelihood()
    nll.update(labels2, probs)
    assert abs(nll.get()[1] - float(-numpy.log([0.75, 0.5]).mean())) < 1e-6
    np.random.shuffle(features)
    assert features.device == "cuda:1" and sorted(features[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]


# ---- two GPUs in one op: refused, as in MXNet and PyTorch ----


@needs_two_gpus
def test_two_gpus_in_one_op_are_refused_naming_both(gpus):
    import cupy
    a = mg.tensor([1.0, 2.0], device="cuda:0")
    b = mg.tensor([3.0, 4.0], device="cuda:1")
    for current in (0, 1):
        with cupy.cuda.Device(current):
            for mix in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: numpy.where(
                    a > 0, a, b), lambda: np.concatenate([b, a]), lambda: a.__setitem__(
                    0, b[0]), lambda: b.__iadd__(a), lambda: a < b):
                with pytest.raises(mg.DeviceError, match="cuda:[01].*cuda:[01]"):
                    mix()
    with pytest.raises(mg.DeviceError, match="cuda:1"):    # an index on the other GPU
        b[mg.tensor([0], device="cuda:0")]
    c = a.to("cuda:1")
    _close(c + b, [4.0, 6.0])       # moved first: fine


# ---- the example: 12.5's data-parallel LeNet on gpu(0) and gpu(1) ----


def test_the_lenet_example_trains_on_two_gpus():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), str(ROOT)]))
    boot = ("import runpy, sys\n"
            "sys.argv = ['lenet.py', '--synthetic', '--epochs', '1', '--max-batches', '3', "
            "'--batch-size', '64', '--devices', '2', '--device', 'cuda']\n"
            "runpy.run_path('examples/lenet.py', run_name='__main__')\n")
    if REAL_GPUS < 2:           # the stand-in, with two GPUs and no peer access
        env.update(MICROGRADND_FAKE_CUPY_DEVICES="2", MICROGRADND_FAKE_CUPY_PEER="0")
        boot = "import fake_cupy\nfake_cupy.install()\n" + boot
    proc = subprocess.run([sys.executable, "-c", boot], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "epoch 1, loss" in proc.stdout and "on [gpu(0), gpu(1)]" in proc.stdout, proc.stdout
