"""Second (and higher) derivatives with microgradnd: tanh to 4th order, Newton, a Hessian.

Run:    python examples/second_derivative.py [--plot tanh.png] [--graph d2.svg]

Prints (a) the largest error of tanh', tanh'', tanh''' and tanh'''' from nested mg.grad
against their closed forms; (b) Newton's method on f(x) = x⁴ − 2x² from x = 2, one line per
step, converging to the minimum at x = 1; (c) the Hessian of the chapter's squared loss with
respect to w next to XᵀX/n, and a Hessian-vector product; (d) with --graph, the recorded
graph of tanh'' drawn by mg.draw_graph (skipped, saying why, without Graphviz).
"""
import argparse

import numpy

import microgradnd as mg
from microgradnd import autograd

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--points", type=int, default=201, help="grid points on [-3, 3] for tanh")
parser.add_argument("--plot", metavar="PATH", help="save tanh and its derivatives (matplotlib)")
parser.add_argument("--x0", type=float, default=2.0, help="Newton's starting point")
parser.add_argument("--newton-steps", type=int, default=10, help="at most this many steps")
parser.add_argument("--examples", type=int, default=1000, help="rows of the chapter's dataset")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--graph", metavar="PATH", help="draw the graph of tanh'' (svg, png, pdf)")
args = parser.parse_args()

# ---- (a) tanh and its derivatives, each one mg.grad of the previous ----
# mg.grad wants a scalar function; for an elementwise f, the gradient of f(x).sum() is f'(x)
# at every point at once.
x = mg.tensor(numpy.linspace(-3.0, 3.0, args.points))
t = numpy.tanh(x.numpy())
s = 1 - t ** 2
closed = [s, -2 * t * s, -2 * s * (1 - 3 * t ** 2), 8 * t * s * (2 - 3 * t ** 2)]
derivatives = [lambda y: y.tanh()]
for _ in range(4):
    derivatives.append(mg.grad(lambda y, f=derivatives[-1]: f(y).sum()))
print("(a) tanh derivatives on [-3, 3], float64, against closed forms")
values = [d(x).numpy() for d in derivatives]
for k, (value, exact) in enumerate(zip(values[1:], closed), start=1):
    print(f"    order {k}: max |error| = {numpy.abs(value - exact).max():.1e}")
if args.plot:
    import matplotlib  # noqa: PLC0415 - only needed for --plot

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(6, 4))
    for k, value in enumerate(values):
        ax.plot(x.numpy(), value, label="tanh" + "'" * k)
    ax.set_xlabel("x")
    ax.legend()
    fig.savefig(args.plot, dpi=120, bbox_inches="tight")
    print(f"    plot saved to {args.plot}")

# ---- (b) Newton's method: x <- x - f'(x) / f''(x) ----


def f(x):
    return x ** 4 - 2 * x ** 2


df = mg.grad(f)
d2f = mg.grad(df)
print("\n(b) Newton's method on f(x) = x^4 - 2x^2")
x = numpy.float64(args.x0)          # float64 keeps quadratic convergence visible to 1e-16
for step in range(args.newton_steps + 1):
    g, h = df(x).item(), d2f(x).item()
    print(f"    step {step}: x = {x:.15f}  f(x) = {f(mg.tensor(x)).item(): .12f}  "
          f"f'(x) = {g: .3e}")
    if abs(g) < 1e-12:
        break
    x = x - g / h

# ---- (c) the chapter's squared loss: its Hessian in w is XᵀX/n ----
# The chapter's loss is (ŷ - y)²/2 per example, summed by backward. The mean over the n
# examples, L(w) = Σ (Xw + b - y)² / (2n), has ∇²L = XᵀX / n exactly: the /2 cancels the 2
# of the square. (The summed loss that l.backward() differentiates has Hessian XᵀX.)
rng = numpy.random.default_rng(args.seed)
features = rng.normal(0, 1, (args.examples, 2)).astype(numpy.float32)
labels = features @ numpy.array([2, -3.4], numpy.float32) + numpy.float32(4.2)
labels += rng.normal(0, 0.01, labels.shape).astype(numpy.float32)
X, y = mg.tensor(features), mg.tensor(labels)
b = mg.tensor(numpy.zeros(1, numpy.float32))


def linreg(X, w, b):
    return X.dot(w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def mean_loss(w):
    return squared_loss(linreg(X, w, b), y).mean()


w = mg.tensor(rng.normal(0, 0.01, (2, 1)).astype(numpy.float32))
H = mg.hessian(mean_loss)(w)                        # shape w.shape + w.shape = (2, 1, 2, 1)
expected = features.T @ features / numpy.float32(args.examples)
print(f"\n(c) Hessian of the mean squared loss in w, shape {H.shape}, vs X^T X / n "
      f"(n = {args.examples})")
H2 = H.numpy().reshape(2, 2)
for i in range(2):
    print(f"    Hessian row {i}: {H2[i]}    X^T X / n row {i}: {expected[i]}")
print(f"    max |difference| = {numpy.abs(H2 - expected).max():.1e}")
v = numpy.array([[1.0], [-1.0]], numpy.float32)
hv = mg.hvp(mean_loss, w, v)
print(f"    hvp with v = [1, -1]: {hv.numpy().ravel()}    (X^T X / n) v: {(expected @ v).ravel()}")

# ---- (d) what a second derivative looks like as a graph ----
if args.graph:
    x = mg.tensor(numpy.array(0.5))
    x.attach_grad()
    with autograd.record():
        (dx,) = autograd.grad(x.tanh(), [x], create_graph=True)
        (d2x,) = autograd.grad(dx, [x], create_graph=True)
    base, _, fmt = args.graph.rpartition(".")
    try:
        mg.draw_graph(d2x).render(base or args.graph, format=fmt or "svg", cleanup=True)
    except (ImportError, RuntimeError) as e:    # no graphviz package, or no `dot` program
        print(f"\n(d) skipped: {e}")
    else:
        print(f"\n(d) graph of tanh''(0.5) = {d2x.item():.6f} saved to {args.graph}")
