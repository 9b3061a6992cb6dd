"""Softmax regression from scratch: d2l.ai §3.6 (MXNet edition) on Fashion-MNIST.

Run it from the repository root:

    python examples/softmax_regression.py                # downloads Fashion-MNIST once
    python examples/softmax_regression.py --synthetic    # no download: same-shaped stand-in
    python examples/softmax_regression.py --synthetic --epochs 2 --device cuda

It prints the accuracy of the untrained model (about 0.1), then after each epoch
`epoch N, loss X, train acc Y, test acc Z, T/epoch, T left` (the three curves the book plots;
on Fashion-MNIST about 0.45, 0.84 and 0.83 after 10 epochs), then the true and predicted labels
of six test images.
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
    sys.exit(e.brief("python examples/softmax_regression.py --synthetic"))

# ---- the model: one affine map and a softmax ----
num_inputs, num_outputs = 784, 10
W = np.random.normal(0, 0.01, (num_inputs, num_outputs), ctx=ctx)
b = np.zeros(num_outputs, ctx=ctx)
W.attach_grad()
b.attach_grad()


def softmax(X):
    X_exp = np.exp(X)
    return X_exp / X_exp.sum(1, keepdims=True)


def net(X):
    return softmax(np.dot(X.reshape((-1, W.shape[0])).as_in_ctx(ctx), W) + b)


def cross_entropy(y_hat, y):
    return -np.log(y_hat[range(len(y_hat)), y.as_in_ctx(ctx)])


# ---- training: the book's train_epoch_ch3, printing what train_ch3 plots ----
print(f"accuracy before training {d2l.evaluate_accuracy_gpu(net, test_iter, ctx):.3f}")
clock = d2l.EpochClock(args.epochs)
for epoch in range(args.epochs):
    metric = d2l.Accumulator(3)     # sum of losses, correct predictions, examples
    for X, y in train_iter:
        with autograd.record():
            y_hat = net(X)
            l = cross_entropy(y_hat, y)  # noqa: E741 - the book's name for the loss
        l.backward()
        d2l.sgd([W, b], args.lr, X.shape[0])
        metric.add(float(l.sum()), d2l.accuracy(y_hat, y.as_in_ctx(ctx)), y.size)
    test_acc = d2l.evaluate_accuracy_gpu(net, test_iter, ctx)
    print(f"epoch {epoch + 1}, loss {metric[0] / metric[2]:.3f}, "
          f"train acc {metric[1] / metric[2]:.3f}, test acc {test_acc:.3f}, "
          f"{clock.left(epoch + 1)}", flush=True)

# ---- prediction: the book's predict_ch3, as text ----
X, y = next(iter(test_iter))
trues = d2l.get_fashion_mnist_labels(y[:6])
preds = d2l.get_fashion_mnist_labels(net(X[:6]).argmax(axis=1))
print("true:", " ".join(trues))
print("pred:", " ".join(preds))
