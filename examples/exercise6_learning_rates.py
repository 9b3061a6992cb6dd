"""Exercise 6: how fast does the loss drop for different learning rates?

Run it from the repository root:

    python examples/exercise6_learning_rates.py
    python examples/exercise6_learning_rates.py --lrs 0.01,0.1,1,3 --plot lr_sweep.png

It trains the chapter's model once per learning rate, from the same start on the same data in
the same batch order, and prints the mean loss after each epoch and a verdict: "slow" (still
above 1e-3 after the last epoch), "good", or "diverged" (the loss passed 1e6, and training
stopped). With minibatches of 10 from N(0, 1) features, steps of lr ≳ 2 overshoot.
"""
import argparse

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--lrs", default="0.001,0.003,0.01,0.03,0.1,0.3,1.0,3.0",
                    help="comma-separated learning rates")
parser.add_argument("--num-examples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--plot", metavar="PATH", help="write a PNG of loss against step")
args = parser.parse_args()
lrs = [float(s) for s in args.lrs.split(",")]

np.random.seed(args.seed)
true_w, true_b = np.array([2, -3.4]), 4.2
features, labels = d2l.synthetic_data(true_w, true_b, args.num_examples)
w0 = np.random.normal(0, 0.01, (2, 1))
state = np.random.randint(2 ** 31)       # one seed for every run's batch order

curves = {}
print(" ".join(["lr".rjust(7)] + [f"epoch {e + 1}".rjust(12) for e in range(args.epochs)])
      + "  verdict")
for lr in lrs:
    np.random.seed(state.item())
    w, b = np.array(w0), np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    steps, epoch_losses, diverged = [], [], False
    for _ in range(args.epochs):
        for X, y in d2l.fast_data_iter(args.batch_size, features, labels):
            with autograd.record():
                loss = d2l.squared_loss(d2l.linreg(X, w, b), y)
            loss.backward()
            d2l.sgd([w, b], lr, len(X))
            steps.append(loss.mean().item())
            if not steps[-1] < 1e6:         # also true for nan
                diverged = True
                break
        if diverged:
            break
        epoch_losses.append(d2l.squared_loss(d2l.linreg(features, w, b), labels).mean().item())
    curves[lr] = steps
    verdict = ("diverged" if diverged else "slow" if epoch_losses[-1] > 1e-3 else "good")
    cells = [f"{v:12.6f}" for v in epoch_losses]
    if diverged:
        cells.append(f"{'> 1e6 @ step ' + str(len(steps)):>12}")
    cells += ["".rjust(12)] * (args.epochs - len(cells))
    print(" ".join([f"{lr:7g}"] + cells) + f"  {verdict}")

if args.plot:
    try:
        import matplotlib
    except ImportError:
        print('--plot needs matplotlib: pip install "microgradnd[plot]"; skipping the plot')
    else:
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        for lr, steps in curves.items():
            ax.semilogy(steps, label=f"lr {lr:g}")
        ax.set(xlabel="step", ylabel="minibatch loss", ylim=(1e-6, 1e6))
        ax.legend(fontsize=7, ncol=2)
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print("wrote", args.plot)
