"""Exercise 1: what if we initialize the weights w = 0? Does the algorithm still work?

Run it from the repository root:

    python examples/exercise1_zero_init.py

It trains the chapter's linear model from w = 0 and prints its errors (as small as from a
random start), then trains a network with one hidden layer from all-zero weights and prints
how many of its hidden units are still different from each other (1 of 8: symmetry is never
broken), beside the same network from a random start (8 of 8).
"""
import argparse
import random

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--num-examples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--lr", type=float, default=0.03)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--hidden", type=int, default=8, help="hidden units of the 2-layer net")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

random.seed(args.seed)
np.random.seed(args.seed)
true_w = np.array([2, -3.4])
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, args.num_examples)


def train(params, net):
    """The chapter's training loop; returns the final mean loss on the whole dataset."""
    for _ in range(args.epochs):
        for X, y in d2l.fast_data_iter(args.batch_size, features, labels):
            with autograd.record():
                loss = d2l.squared_loss(net(X, *params), y)
            loss.backward()
            d2l.sgd(params, args.lr, len(X))
    return d2l.squared_loss(net(features, *params), labels).mean().item()


# ---- the linear model: the loss is convex in (w, b), so any start reaches the minimum ----
w = np.zeros((2, 1))
b = np.zeros(1)
w.attach_grad()
b.attach_grad()
final = train([w, b], d2l.linreg)
print(f"linear model from w = 0: loss {final:.6f}")
print('Error in estimating w', true_w - w.reshape(true_w.shape))
print('Error in estimating b', true_b - b)


# ---- one hidden layer: zero weights make every hidden unit compute, and learn, the same ----
def mlp(X, W1, b1, W2, b2):
    """2 -> hidden (sigmoid) -> 1."""
    return np.dot((np.dot(X, W1) + b1).sigmoid(), W2) + b2


def distinct_units(W1, W2):
    """How many hidden units differ: columns of W1 (with rows of W2) up to rounding."""
    cols = np.array(W1).numpy().T.round(4).tolist()
    rows = np.array(W2).numpy().round(4).tolist()
    return len({tuple(c + r) for c, r in zip(cols, rows)})


for start in ("zero", "random"):
    scale = 0.0 if start == "zero" else 0.5
    W1 = np.random.normal(0, scale, (2, args.hidden))
    W2 = np.random.normal(0, scale, (args.hidden, 1))
    b1, b2 = np.zeros(args.hidden), np.zeros(1)
    for p in (W1, b1, W2, b2):
        p.attach_grad()
    final = train([W1, b1, W2, b2], mlp)
    print(f"hidden layer, {start} init: loss {final:.6f}, distinct hidden units "
          f"{distinct_units(W1, W2)} of {args.hidden}")
