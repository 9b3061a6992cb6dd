# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §4.8 "Numerical Stability and Initialization" (MXNet tab), with only the import
changed. With D2L_SAME_RANDOM=1 NumPy draws the matrices in both engines."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import autograd, np, npx
from microgradnd import d2l
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

x = np.arange(-8.0, 8.0, 0.1)
x.attach_grad()
with autograd.record():
    y = npx.sigmoid(x)
y.backward()

d2l.plot(x, [y, x.grad], legend=['sigmoid', 'gradient'], figsize=(4.5, 2.5))

M = np.random.normal(size=(4, 4))
print('a single matrix', M)
for i in range(100):
    M = np.dot(M, np.random.normal(size=(4, 4)))

print('after multiplying 100 matrices', M)

# ---- checks (not the book's) ----
synthetic.report_cells({**globals(), "grad": x.grad},
                       random=[] if synthetic.SAME_RANDOM else ["M"])
