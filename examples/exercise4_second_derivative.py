"""Exercise 4: second derivatives — what breaks when autograd is extended to them, and the fix.

Run it from the repository root:

    python examples/exercise4_second_derivative.py --x 0.5

The usual obstacle: backward rules that compute on raw arrays give numbers, not a graph, so
there is nothing to differentiate a second time. Here every backward rule is written with
Tensor ops, and `create_graph=True` records them, so the first derivative is itself a recorded
Tensor. This prints f, f', f'' of f(x) = x³·tanh(x) at --x, from autograd.grad applied twice,
beside the closed forms. The full story: examples/second_derivative.py and
docs/second-derivatives.md.
"""
import argparse
import math

from microgradnd import autograd, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--x", type=float, default=0.5, help="where to differentiate")
args = parser.parse_args()

x = np.array([args.x], dtype="float64")
x.attach_grad()
with autograd.record():
    y = x ** 3 * np.tanh(x)
# create_graph=True: record the backward pass, so dy/dx can be differentiated again.
(dy,) = autograd.grad(y, [x], create_graph=True)
(d2y,) = autograd.grad(dy, [x])

t = math.tanh(args.x)
s = 1 - t * t                                  # tanh' = sech² = 1 - tanh²
f1 = 3 * args.x ** 2 * t + args.x ** 3 * s
f2 = 6 * args.x * t + 6 * args.x ** 2 * s - 2 * args.x ** 3 * t * s
print(f"f(x)   = x^3 tanh(x) at x = {args.x:g}: {y.item():.10f}")
print(f"f'(x)  autograd {dy.item():.10f}  closed form {f1:.10f}")
print(f"f''(x) autograd {d2y.item():.10f}  closed form {f2:.10f}")
