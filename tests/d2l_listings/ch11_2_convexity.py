# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §11.2 "Convexity" (MXNet tab), with only the import changed."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import d2l
from mpl_toolkits import mplot3d
from microgradnd import np, npx
npx.set_np()

f = lambda x: 0.5 * x**2  # Convex
g = lambda x: np.cos(np.pi * x)  # Nonconvex
h = lambda x: np.exp(0.5 * x)  # Convex

x, segment = np.arange(-2, 2, 0.01), np.array([-1.5, 1])
d2l.use_svg_display()
_, axes = d2l.plt.subplots(1, 3, figsize=(9, 3))
for ax, func in zip(axes, [f, g, h]):
    d2l.plot([x, segment], [func(x), func(segment)], axes=ax)

f = lambda x: (x - 1) ** 2
d2l.set_figsize()
d2l.plot([x, [-1, 1]], [f(x), f(np.array([-1, 1]))], 'x', 'f(x)')

# ---- checks (not the book's) ----
values = np.stack([f(x), g(x), h(x)])
synthetic.report_cells(globals())
