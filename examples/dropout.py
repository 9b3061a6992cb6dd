"""Dropout from scratch: d2l.ai §4.6 (MXNet edition), an MLP with two dropout layers.

Run it from the repository root:

    python examples/dropout.py                   # downloads Fashion-MNIST once
    python examples/dropout.py --synthetic       # no download: a stand-in of the same shapes
    python examples/dropout.py --synthetic --dropout1 0 --dropout2 0    # without dropout

It first prints `dropout_layer` applied to arange(16) with p = 0, 0.5 and 1 (as the book), then
`epoch N, loss X, train acc Y, test acc Z, T/epoch, T left` after each epoch (on Fashion-MNIST
about 0.38, 0.86 and 0.85 after 10 epochs).
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
parser.add_argument("--hiddens", type=int, default=256, help="units in each hidden layer")
parser.add_argument("--dropout1", type=float, default=0.2)
parser.add_argument("--dropout2", type=float, default=0.5)
parser.add_argument("--lr", type=float, default=0.5, help="learning rate")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
parser.add_argument("--synthetic", action="store_true",
                    help="use the synthetic stand-in for Fashion-MNIST (what CI runs)")
args = parser.parse_args()

npx.random.seed(args.seed)
ctx = (npx.gpu(int(args.device.partition(":")[2] or 0)) if args.device.startswith("cuda")
       else npx.cpu())


def dropout_layer(X, dropout):
    """Zero each element with probability `dropout`, scale the rest by 1 / (1 - dropout)."""
    assert 0 <= dropout <= 1
    if dropout == 1:
        return np.zeros_like(X)
    if dropout == 0:
        return X
    mask = np.random.uniform(0, 1, X.shape, ctx=X.device) > dropout
    return mask.astype(np.float32) * X / (1.0 - dropout)


X = np.arange(16, dtype=np.float32).reshape(2, 8)
for p in (0, 0.5, 1):
    print(dropout_layer(X, p))

try:
    train_iter, test_iter = d2l.load_data_fashion_mnist(args.batch_size,
                                                        synthetic=args.synthetic)
except d2l.DownloadError as e:      # offline: one message, not a traceback
    sys.exit(e.brief("python examples/dropout.py --synthetic"))
num_inputs, num_outputs, h = 784, 10, args.hiddens
W1 = np.random.normal(scale=0.01, size=(num_inputs, h), ctx=ctx)
b1 = np.zeros(h, ctx=ctx)
W2 = np.random.normal(scale=0.01, size=(h, h), ctx=ctx)
b2 = np.zeros(h, ctx=ctx)
W3 = np.random.normal(scale=0.01, size=(h, num_outputs), ctx=ctx)
b3 = np.zeros(num_outputs, ctx=ctx)
params = [W1, b1, W2, b2, W3, b3]
for param in params:
    param.attach_grad()


def net(X):
    H1 = npx.relu(np.dot(X.reshape(-1, num_inputs).as_in_ctx(ctx), W1) + b1)
    if autograd.is_training():          # dropout only while training
        H1 = dropout_layer(H1, args.dropout1)
    H2 = npx.relu(np.dot(H1, W2) + b2)
    if autograd.is_training():
        H2 = dropout_layer(H2, args.dropout2)
    return np.dot(H2, W3) + b3


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
