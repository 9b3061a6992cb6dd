# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §4.1 "Multilayer Perceptrons" (MXNet tab), with only the import changed.

The check at the end reports each activation and its gradient, which the tests compare
with MXNet's.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
_seen = {}

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import autograd, np, npx
from microgradnd import d2l
npx.set_np()

x = np.arange(-8.0, 8.0, 0.1)
x.attach_grad()
with autograd.record():
    y = npx.relu(x)
d2l.plot(x, y, 'x', 'relu(x)', figsize=(5, 2.5))
_seen["relu"] = y                   # (not the book's)

y.backward()
d2l.plot(x, x.grad, 'x', 'grad of relu', figsize=(5, 2.5))
_seen["relu_grad"] = x.grad.copy()  # (not the book's)

with autograd.record():
    y = npx.sigmoid(x)
d2l.plot(x, y, 'x', 'sigmoid(x)', figsize=(5, 2.5))
_seen["sigmoid"] = y                # (not the book's)

y.backward()
d2l.plot(x, x.grad, 'x', 'grad of sigmoid', figsize=(5, 2.5))
_seen["sigmoid_grad"] = x.grad.copy()   # (not the book's)

with autograd.record():
    y = np.tanh(x)
d2l.plot(x, y, 'x', 'tanh(x)', figsize=(5, 2.5))

y.backward()
d2l.plot(x, x.grad, 'x', 'grad of tanh', figsize=(5, 2.5))

# ---- checks (not the book's) ----
synthetic.report_cells({**globals(), **_seen, "tanh_grad": x.grad})
