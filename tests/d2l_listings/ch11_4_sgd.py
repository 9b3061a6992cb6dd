# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §11.4 "Stochastic Gradient Descent" (MXNet tab), with only the import changed."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import line changed ----
from microgradnd import d2l
import math
from microgradnd import np, npx
npx.set_np()

# ---- prelude, continued: the same random numbers as MXNet with D2L_SAME_RANDOM=1 ----
synthetic.same_random(np, d2l)

# ---- the book ----
def f(x1, x2):  # Objective function
    return x1 ** 2 + 2 * x2 ** 2

def f_grad(x1, x2):  # Gradient of the objective function
    return 2 * x1, 4 * x2

def sgd(x1, x2, s1, s2, f_grad):
    g1, g2 = f_grad(x1, x2)
    # Simulate noisy gradient
    g1 += np.random.normal(0.0, 1, (1,))
    g2 += np.random.normal(0.0, 1, (1,))
    eta_t = eta * lr()
    return (x1 - eta_t * g1, x2 - eta_t * g2, 0, 0)

def constant_lr():
    return 1

eta = 0.1
lr = constant_lr  # Constant learning rate
d2l.show_trace_2d(f, d2l.train_2d(sgd, steps=50, f_grad=f_grad))

def exponential_lr():
    # Global variable that is defined outside this function and updated inside
    global t
    t += 1
    return math.exp(-0.1 * t)

t = 1
lr = exponential_lr
d2l.show_trace_2d(f, d2l.train_2d(sgd, steps=1000, f_grad=f_grad))

def polynomial_lr():
    # Global variable that is defined outside this function and updated inside
    global t
    t += 1
    return (1 + 0.1 * t) ** (-0.5)

t = 1
lr = polynomial_lr
d2l.show_trace_2d(f, d2l.train_2d(sgd, steps=50, f_grad=f_grad))

# ---- checks (not the book's) ----
synthetic.report()
