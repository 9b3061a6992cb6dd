"""Exercise 5: why does `squared_loss` reshape y to y_hat's shape?

Run it from the repository root:

    python examples/exercise5_reshape.py

`net(X, w, b)` returns shape (10, 1) but the labels have shape (10,). Without the reshape,
(10, 1) - (10,) broadcasts to (10, 10): every prediction is compared with every label. This
prints the shapes, the loss and the gradient with and without the reshape, then trains with
both. The broken loss cannot find w: each prediction is pulled towards all n labels of its
batch and only 1 of them is its own, so it settles near w_true / n (n = batch size).
"""
import argparse
import random

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--lr", type=float, default=0.03)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()


def broken_loss(y_hat, y):
    """The chapter's squared loss without the reshape."""
    return (y_hat - y) ** 2 / 2


random.seed(args.seed)
np.random.seed(args.seed)
true_w, true_b = np.array([2, -3.4]), 4.2
features, labels = d2l.synthetic_data(true_w, true_b, 1000)
X, y = features[:args.batch_size], labels[:args.batch_size]

for name, loss_fn in (("with reshape", d2l.squared_loss), ("without reshape", broken_loss)):
    w = np.array([[2.0], [-3.4]])           # the true parameters: the loss should be ~noise
    b = np.array([4.2])
    w.attach_grad()
    b.attach_grad()
    with autograd.record():
        y_hat = d2l.linreg(X, w, b)
        loss = loss_fn(y_hat, y)
    loss.backward()
    print(f"{name}: y_hat {y_hat.shape} vs y {y.shape} -> loss {loss.shape}, "
          f"mean {loss.mean().item():.6f}, dL/dw {w.grad.reshape(-1)}, dL/db {b.grad}")

for name, loss_fn in (("with reshape", d2l.squared_loss), ("without reshape", broken_loss)):
    w = np.random.normal(0, 0.01, (2, 1))
    b = np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    for _ in range(args.epochs):
        for Xb, yb in d2l.fast_data_iter(args.batch_size, features, labels):
            with autograd.record():
                loss = loss_fn(d2l.linreg(Xb, w, b), yb)
            loss.backward()
            # The broken loss sums len(Xb)² terms: average over all of them.
            d2l.sgd([w, b], args.lr, loss.size)
    print(f"trained {name}: w {w.reshape(-1)}, b {b}")
print(f"true w {true_w}, b {true_b}; true w / batch size = {true_w / args.batch_size}")
