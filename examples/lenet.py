"""LeNet from scratch with npx.convolution and npx.pooling: d2l.ai §12.5 (MXNet edition).

Run it from the repository root:

    python examples/lenet.py --synthetic                  # one device, no download
    python examples/lenet.py --synthetic --devices 2      # §12.5's data-parallel loop
    python examples/lenet.py --devices 2 --device cuda    # the same loop on gpu(0), gpu(1)
    python examples/lenet.py --device cuda --epochs 10    # real Fashion-MNIST on a GPU

It prints `epoch N, loss X, train acc Y, test acc Z, T sec/epoch on [devices], T left` after
each epoch. `--devices N` runs the chapter's loop over N devices: the batch is split, each device
computes the gradient of its share on its own copy of the parameters, the gradients are
summed (`allreduce`) and every copy takes the same step. On a machine with N GPUs the devices
are gpu(0)..gpu(N-1), each computing its share on itself (gpu(0) stays CuPy's current GPU, as
in the book); without them they are the CPU contexts cpu(0)..cpu(N-1), one host.
"""
import os

# One BLAS thread: the examples' matrices are small, and more threads only spin-wait on a busy
# machine (docs/d2l-track.md has the timings). A thread count set in the environment wins.
# NumPy reads it when imported, so the imports come after it.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import sys

from microgradnd import autograd, d2l, np, npx

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--lr", type=float, default=0.3, help="learning rate (the book: 0.2)")
parser.add_argument("--scale", type=float, default=0.1,
                    help="standard deviation of the initial weights (the book: 0.01, which "
                    "leaves the loss flat at log 10 for the first few hundred steps)")
parser.add_argument("--max-batches", type=int, default=None,
                    help="stop each epoch after this many batches (a quick run)")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (one device)")
parser.add_argument("--devices", type=int, default=1,
                    help="how many devices share each batch (the chapter's data parallelism): "
                    "GPUs gpu(0).. when there are that many, else CPU contexts cpu(0)..")
parser.add_argument("--synthetic", action="store_true",
                    help="use the synthetic stand-in for Fashion-MNIST (what CI runs)")
args = parser.parse_args()

npx.random.seed(args.seed)
if args.devices > 1:        # GPUs when there are enough, else that many CPU contexts
    devices = ([npx.gpu(i) for i in range(args.devices)] if npx.num_gpus() >= args.devices
               else [npx.cpu(i) for i in range(args.devices)])
elif args.device.startswith("cuda"):
    devices = [npx.gpu(int(args.device.partition(":")[2] or 0))]
else:
    devices = [npx.cpu()]
try:
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size,
                                                        synthetic=args.synthetic)
except d2l.DownloadError as e:      # offline: one message, not a traceback
    sys.exit(e.brief("python examples/lenet.py --synthetic"))

# ---- the model: the chapter's parameters and `lenet`, as the book writes them ----
scale = args.scale
W1 = np.random.normal(scale=scale, size=(20, 1, 3, 3))
b1 = np.zeros(20)
W2 = np.random.normal(scale=scale, size=(50, 20, 5, 5))
b2 = np.zeros(50)
W3 = np.random.normal(scale=scale, size=(800, 128))
b3 = np.zeros(128)
W4 = np.random.normal(scale=scale, size=(128, 10))
b4 = np.zeros(10)
params = [W1, b1, W2, b2, W3, b3, W4, b4]


def lenet(X, params):
    h1_conv = npx.convolution(data=X, weight=params[0], bias=params[1],
                              kernel=(3, 3), num_filter=20)
    h1_activation = npx.relu(h1_conv)
    h1 = npx.pooling(data=h1_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2_conv = npx.convolution(data=h1, weight=params[2], bias=params[3],
                              kernel=(5, 5), num_filter=50)
    h2_activation = npx.relu(h2_conv)
    h2 = npx.pooling(data=h2_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2 = h2.reshape(h2.shape[0], -1)
    h3_linear = np.dot(h2, params[4]) + params[5]
    h3 = npx.relu(h3_linear)
    y_hat = np.dot(h3, params[6]) + params[7]
    return y_hat


def loss(y_hat, y):
    """gluon.loss.SoftmaxCrossEntropyLoss: -log softmax(ŷ)[y], per example."""
    return -npx.pick(npx.log_softmax(y_hat), y)


# ---- §12.5's helpers: parameters per device, allreduce, splitting a batch ----


def get_params(params, device):
    """A copy of every parameter on `device`, each with a gradient buffer."""
    new_params = [np.array(p, ctx=device) for p in params]
    for p in new_params:
        p.attach_grad()
    return new_params


def allreduce(data):
    """Sum the arrays into data[0], then copy the sum back into every other one."""
    for i in range(1, len(data)):
        data[0][:] += data[i].as_in_ctx(data[0].device)
    for i in range(1, len(data)):
        data[i][:] = data[0].as_in_ctx(data[i].device)


def split_batch(X, y, devices):
    """Split X and y along the first axis into len(devices) parts, one per device."""
    assert X.shape[0] == y.shape[0]
    k = -(-X.shape[0] // len(devices))
    return ([X[i * k:(i + 1) * k].as_in_ctx(d) for i, d in enumerate(devices)],
            [y[i * k:(i + 1) * k].as_in_ctx(d) for i, d in enumerate(devices)])


def train_batch(X, y, device_params, devices, lr):
    X_shards, y_shards = split_batch(X, y, devices)
    with autograd.record():     # the loss is computed separately on each device
        ls = [loss(lenet(X_shard, device_W), y_shard)
              for X_shard, y_shard, device_W in zip(X_shards, y_shards, device_params)]
    for l in ls:  # noqa: E741 - the book's name; backpropagation runs on each device
        l.backward()
    # Sum the gradients of all devices and give the sum to every device
    for i in range(len(device_params[0])):
        allreduce([device_params[c][i].grad for c in range(len(devices))])
    for param in device_params:  # each device updates its own copy of the parameters
        d2l.sgd(param, lr, X.shape[0])     # here, the full batch size
    return sum(float(l.sum()) for l in ls)  # noqa: E741


device_params = [get_params(params, d) for d in devices]
timer, clock = d2l.Timer(), d2l.EpochClock(args.epochs)
for epoch in range(args.epochs):
    total_loss, n = 0.0, 0
    timer.start()
    for batch, (X, y) in enumerate(train_iter):
        if args.max_batches is not None and batch >= args.max_batches:
            break
        total_loss += train_batch(X, y, device_params, devices, args.lr)
        n += y.size
    npx.waitall()
    timer.stop()
    # the model is evaluated on the first device

    def net(x):
        return lenet(x, device_params[0])

    train_acc = d2l.evaluate_accuracy_gpu(net, [b for b, _ in zip(train_iter, range(4))],
                                          devices[0])
    test_acc = d2l.evaluate_accuracy_gpu(net, test_iter, devices[0])
    print(f"epoch {epoch + 1}, loss {total_loss / n:.3f}, train acc {train_acc:.3f}, "
          f"test acc {test_acc:.3f}, {timer.times[-1]:.1f} sec/epoch on {devices}, "
          f"{clock.remaining(epoch + 1)}", flush=True)
