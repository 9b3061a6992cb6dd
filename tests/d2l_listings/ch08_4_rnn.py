# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §8.4 "Recurrent Neural Networks" (MXNet tab), with only the import changed.
With D2L_SAME_RANDOM=1 NumPy draws the matrices in both engines."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import d2l
from microgradnd import np, npx
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

X, W_xh = np.random.normal(0, 1, (3, 1)), np.random.normal(0, 1, (1, 4))
H, W_hh = np.random.normal(0, 1, (3, 4)), np.random.normal(0, 1, (4, 4))
np.dot(X, W_xh) + np.dot(H, W_hh)

np.dot(np.concatenate((X, H), 1), np.concatenate((W_xh, W_hh), 0))

# ---- checks (not the book's) ----
separate = np.dot(X, W_xh) + np.dot(H, W_hh)
together = np.dot(np.concatenate((X, H), 1), np.concatenate((W_xh, W_hh), 0))
synthetic.report_cells(globals(), random=[] if synthetic.SAME_RANDOM else
                       ["X", "W_xh", "H", "W_hh", "separate", "together"])
