"""The optimizers of d2l.ai chapter 11 (MXNet edition), from scratch, side by side.

Run it from the repository root:

    python examples/optimizers.py                     # downloads the airfoil data once
    python examples/optimizers.py --synthetic         # no download: a stand-in in the same format
    python examples/optimizers.py --synthetic --plot traces.png    # the 2-D trajectories

Part 1 runs each method on the book's 2-D function f(x1, x2) = 0.1 x1² + 2 x2² from (-5, -2) for
20 steps and prints, as d2l.train_2d does, `gd: epoch 20, x1: ..., x2: ...`; --plot draws the
trajectories over f's contours. Part 2 trains the linear regression of §11.5 on the airfoil data
with each method's minibatch form and prints, as d2l.train_ch11, `sgd: loss: 0.243, ...`
(on the real data all end near 0.24-0.25 after 2 epochs).
"""
import os

# One BLAS thread: the examples' matrices are small, and more threads only spin-wait on a busy
# machine (docs/d2l-track.md has the timings). A thread count set in the environment wins.
# NumPy reads it when imported, so the imports come after it.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import math
import sys

import microgradnd as mg
from microgradnd import d2l, np, npx

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--epochs", type=int, default=2, help="epochs over the airfoil data")
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (part 2)")
parser.add_argument("--synthetic", action="store_true",
                    help="use a synthetic stand-in for the airfoil file (what CI runs)")
parser.add_argument("--plot", metavar="PATH", help="write a PNG of the 2-D trajectories")
args = parser.parse_args()

npx.random.seed(args.seed)


# ---- part 1: the 2-D function of §11.6-§11.10, gradient (0.2 x1, 4 x2) ----
def f_2d(x1, x2):
    return 0.1 * x1 ** 2 + 2 * x2 ** 2


def gd_2d(x1, x2, s1, s2, eta=0.4):
    return x1 - eta * 0.2 * x1, x2 - eta * 4 * x2, 0, 0


def momentum_2d(x1, x2, v1, v2, eta=0.6, beta=0.5):
    v1, v2 = beta * v1 + 0.2 * x1, beta * v2 + 4 * x2
    return x1 - eta * v1, x2 - eta * v2, v1, v2


def adagrad_2d(x1, x2, s1, s2, eta=0.4, eps=1e-6):
    g1, g2 = 0.2 * x1, 4 * x2
    s1, s2 = s1 + g1 ** 2, s2 + g2 ** 2
    return x1 - eta / math.sqrt(s1 + eps) * g1, x2 - eta / math.sqrt(s2 + eps) * g2, s1, s2


def rmsprop_2d(x1, x2, s1, s2, eta=0.4, gamma=0.9, eps=1e-6):
    g1, g2 = 0.2 * x1, 4 * x2
    s1, s2 = gamma * s1 + (1 - gamma) * g1 ** 2, gamma * s2 + (1 - gamma) * g2 ** 2
    return x1 - eta / math.sqrt(s1 + eps) * g1, x2 - eta / math.sqrt(s2 + eps) * g2, s1, s2


traces = {}
for name, step in [("gd", gd_2d), ("momentum", momentum_2d), ("adagrad", adagrad_2d),
                   ("rmsprop", rmsprop_2d)]:
    print(f"{name}: ", end="")
    traces[name] = d2l.train_2d(step)               # prints `epoch 20, x1: ..., x2: ...`

plt = None
if args.plot:
    try:
        import matplotlib
        matplotlib.use("Agg")       # a file is written, no window opened: works headless
        import matplotlib.pyplot as plt
    except ImportError:
        print(f'--plot skipped: matplotlib is not installed (pip install "microgradnd[plot]"); '
              f"{args.plot} not written")
if plt is not None:
    fig, axes = plt.subplots(1, len(traces), figsize=(4 * len(traces), 3))
    x1, x2 = np.meshgrid(np.arange(-5.5, 1.0, 0.1), np.arange(-3.0, 1.0, 0.1))
    for ax, (name, results) in zip(axes, traces.items()):
        ax.contour(x1.asnumpy(), x2.asnumpy(), f_2d(x1, x2).asnumpy(), colors="#1f77b4")
        ax.plot(*zip(*results), "-o", color="#ff7f0e")
        ax.set(title=name, xlabel="x1", ylabel="x2")
    fig.tight_layout()
    fig.savefig(args.plot)
    print(f"wrote {args.plot}")


# ---- part 2: minibatch forms on the airfoil data (§11.5-§11.10) ----
def zeros_like_params(feature_dim, n):
    return [tuple(np.zeros(shape) for _ in range(n)) for shape in ((feature_dim, 1), (1,))]


def sgd(params, states, hyperparams):
    for p in params:
        p[:] -= hyperparams["lr"] * p.grad


def sgd_momentum(params, states, hyperparams):
    for p, (v,) in zip(params, states):
        v[:] = hyperparams["momentum"] * v + p.grad
        p[:] -= hyperparams["lr"] * v


def adagrad(params, states, hyperparams, eps=1e-6):
    for p, (s,) in zip(params, states):
        s[:] += np.square(p.grad)
        p[:] -= hyperparams["lr"] * p.grad / np.sqrt(s + eps)


def rmsprop(params, states, hyperparams, eps=1e-6):
    gamma = hyperparams["gamma"]
    for p, (s,) in zip(params, states):
        s[:] = gamma * s + (1 - gamma) * np.square(p.grad)
        p[:] -= hyperparams["lr"] * p.grad / np.sqrt(s + eps)


def adadelta(params, states, hyperparams, eps=1e-5):
    rho = hyperparams["rho"]
    for p, (s, delta) in zip(params, states):
        s[:] = rho * s + (1 - rho) * np.square(p.grad)
        g = (np.sqrt(delta + eps) / np.sqrt(s + eps)) * p.grad
        p[:] -= g
        delta[:] = rho * delta + (1 - rho) * g * g


def adam(params, states, hyperparams, beta1=0.9, beta2=0.999, eps=1e-6):
    for p, (v, s) in zip(params, states):
        v[:] = beta1 * v + (1 - beta1) * p.grad
        s[:] = beta2 * s + (1 - beta2) * np.square(p.grad)
        v_hat = v / (1 - beta1 ** hyperparams["t"])
        s_hat = s / (1 - beta2 ** hyperparams["t"])
        p[:] -= hyperparams["lr"] * v_hat / (np.sqrt(s_hat) + eps)
    hyperparams["t"] += 1


def yogi(params, states, hyperparams, beta1=0.9, beta2=0.999, eps=1e-3):
    for p, (v, s) in zip(params, states):
        v[:] = beta1 * v + (1 - beta1) * p.grad
        s[:] = s + (1 - beta2) * np.sign(np.square(p.grad) - s) * np.square(p.grad)
        v_hat = v / (1 - beta1 ** hyperparams["t"])
        s_hat = s / (1 - beta2 ** hyperparams["t"])
        p[:] -= hyperparams["lr"] * v_hat / (np.sqrt(s_hat) + eps)
    hyperparams["t"] += 1


mg.set_default_device(args.device)      # the data, the weights and their states go there
try:
    data_iter, feature_dim = d2l.get_data_ch11(batch_size=args.batch_size,
                                               synthetic=args.synthetic)
except d2l.DownloadError as e:      # offline: one message, not a traceback
    sys.exit(e.brief("python examples/optimizers.py --synthetic"))
runs = [("sgd", sgd, 0, {"lr": 0.05}),
        ("momentum", sgd_momentum, 1, {"lr": 0.005, "momentum": 0.9}),
        ("adagrad", adagrad, 1, {"lr": 0.1}),
        ("rmsprop", rmsprop, 1, {"lr": 0.01, "gamma": 0.9}),
        ("adadelta", adadelta, 2, {"rho": 0.9}),
        ("adam", adam, 2, {"lr": 0.01, "t": 1}),
        ("yogi", yogi, 2, {"lr": 0.01, "t": 1})]
for name, trainer_fn, n_states, hyperparams in runs:
    print(f"{name}: ", end="")
    d2l.train_ch11(trainer_fn, zeros_like_params(feature_dim, n_states), hyperparams,
                   data_iter, feature_dim, args.epochs, progress=False)  # `loss: ..., ...`
