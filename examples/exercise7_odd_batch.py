"""Exercise 7: the number of examples is not divisible by the batch size. What happens?

Run it from the repository root:

    python examples/exercise7_odd_batch.py
    python examples/exercise7_odd_batch.py --num-examples 1001 --batch-size 10

`data_iter` (like `d2l.fast_data_iter`) simply yields a short last batch: every example is
still used once per epoch. But `sgd` divides the summed gradient by `batch_size`, so the short
batch takes a step only len(X)/batch_size as long as an average would. The fix is to divide
by the actual batch length, `sgd(params, lr, len(X))`. This prints the batch sizes, the
step-size factor of the last batch, and the errors of training both ways.
"""
import argparse
import random

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--num-examples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--lr", type=float, default=0.03)
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

random.seed(args.seed)
np.random.seed(args.seed)
true_w, true_b = np.array([2, -3.4]), 4.2
features, labels = d2l.synthetic_data(true_w, true_b, args.num_examples)

sizes = [len(X) for X, _ in d2l.data_iter(args.batch_size, features, labels)]
fast_sizes = [len(X) for X, _ in d2l.fast_data_iter(args.batch_size, features, labels)]
assert sizes == fast_sizes
full, last = divmod(args.num_examples, args.batch_size)
print(f"{args.num_examples} examples in batches of {args.batch_size}: data_iter yields "
      f"{sizes.count(args.batch_size)} batches of {args.batch_size}"
      + (f" and 1 of {sizes[-1]}" if last else "") + f", {sum(sizes)} examples in all")
if last:
    print(f"sgd(params, lr, batch_size) scales the last batch's average step by "
          f"{last}/{args.batch_size} = {last / args.batch_size:.4f}")

w0 = np.random.normal(0, 0.01, (2, 1))
for name in ("/ batch_size", "/ len(X)"):
    random.seed(args.seed)
    w, b = np.array(w0), np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    for _ in range(args.epochs):
        for X, y in d2l.data_iter(args.batch_size, features, labels):
            with autograd.record():
                loss = d2l.squared_loss(d2l.linreg(X, w, b), y)
            loss.backward()
            d2l.sgd([w, b], args.lr, args.batch_size if name == "/ batch_size" else len(X))
    final = d2l.squared_loss(d2l.linreg(features, w, b), labels).mean().item()
    err = (true_w - w.reshape(true_w.shape)).abs().max().item()
    print(f"sgd {name:<13} loss {final:.6f}, max |error in w| {err:.2e}, "
          f"error in b {abs(true_b - b.item()):.2e}")
