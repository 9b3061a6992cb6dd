"""A multilayer perceptron from scratch: d2l.ai §4.2 (MXNet edition) on Fashion-MNIST.

Run it from the repository root:

    python examples/mlp.py                       # downloads Fashion-MNIST once
    python examples/mlp.py --synthetic           # no download: a stand-in of the same shapes
    python examples/mlp.py --synthetic --hiddens 64 --epochs 2 --device cuda

It prints `epoch N, loss X, train acc Y, test acc Z, T/epoch, T left` after each epoch (on
Fashion-MNIST about 0.39, 0.86 and 0.85 after 10 epochs, as the book's plot shows).
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
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--batch-size", type=int, default=256)
parser.add_argument("--hiddens", type=int, default=256, help="hidden units")
parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
parser.add_argument("--synthetic", action="store_true",
                    help="use the synthetic stand-in for Fashion-MNIST (what CI runs)")
args = parser.parse_args()

npx.random.seed(args.seed)
ctx = (npx.gpu(int(args.device.partition(":")[2] or 0)) if args.device.startswith("cuda")
       else npx.cpu())
try:
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size,
                                                        synthetic=args.synthetic)
except d2l.DownloadError as e:      # offline: one message, not a traceback
    sys.exit(e.brief("python examples/mlp.py --synthetic"))

num_inputs, num_outputs = 784, 10
W1 = np.random.normal(scale=0.01, size=(num_inputs, args.hiddens), ctx=ctx)
b1 = np.zeros(args.hiddens, ctx=ctx)
W2 = np.random.normal(scale=0.01, size=(args.hiddens, num_outputs), ctx=ctx)
b2 = np.zeros(num_outputs, ctx=ctx)
params = [W1, b1, W2, b2]
for param in params:
    param.attach_grad()


def relu(X):
    return np.maximum(X, 0)


def net(X):
    H = relu(np.dot(X.reshape((-1, num_inputs)).as_in_ctx(ctx), W1) + b1)
    return np.dot(H, W2) + b2


def loss(y_hat, y):
    """gluon.loss.SoftmaxCrossEntropyLoss: -log softmax(ŷ)[y], per example (a label out of
    range is an error, where MXNet's pick would clip it)."""
    return d2l.softmax_cross_entropy(y_hat, y.as_in_ctx(ctx))


clock = d2l.EpochClock(args.epochs)
for epoch in range(args.epochs):
    metric = d2l.Accumulator(3)     # sum of losses, correct predictions, examples
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = loss(y_hat, y)  # noqa: E741 - the book's name for the loss
        l.backward()
        d2l.sgd(params, args.lr, X.shape[0])
        metric.add(float(l.sum()), d2l.accuracy(y_hat, y.as_in_ctx(ctx)), y.size)
    test_acc = d2l.evaluate_accuracy_gpu(net, test_iter, ctx)
    print(f"epoch {epoch + 1}, loss {metric[0] / metric[2]:.3f}, "
          f"train acc {metric[1] / metric[2]:.3f}, test acc {test_acc:.3f}, "
          f"{clock.left(epoch + 1)}", flush=True)
