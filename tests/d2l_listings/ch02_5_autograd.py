# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §2.5 "Automatic Differentiation" (MXNet tab), with only the import changed.

Notebook cells that display a value are kept as bare expressions; the checks at the end print
what the tests compare.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import line changed ----
from microgradnd import autograd, np, npx
npx.set_np()

x = np.arange(4.0)
x

x.attach_grad()
x.grad

with autograd.record():
    y = 2 * np.dot(x, x)
y

y.backward()
x.grad

x.grad == 4 * x

with autograd.record():
    y = x.sum()
y.backward()
x.grad

# When we invoke `backward` on a vector-valued variable `y` (function of `x`),
# a new scalar variable is created by summing the elements in `y`. Then the
# gradient of that scalar variable with respect to `x` is computed
with autograd.record():
    y = x * x  # `y` is a vector
y.backward()
x.grad  # Equals to y = sum(x * x)

with autograd.record():
    y = x * x
    u = y.detach()
    z = u * x
z.backward()
x.grad == u

y.backward()
x.grad == 2 * x

def f(a):
    b = a * 2
    while np.linalg.norm(b) < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c

a = np.random.normal()
a.attach_grad()
with autograd.record():
    d = f(a)
d.backward()

a.grad == d / a

# ---- checks (not the book's) ----
synthetic.report(x_grad=x.grad.asnumpy().tolist(),
                 control_flow=bool((a.grad == d / a).asnumpy()))
