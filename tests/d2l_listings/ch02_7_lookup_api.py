# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §2.7 "Documentation" (MXNet tab), with only the import changed."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import line changed ----
from microgradnd import np
print(dir(np.random))

help(np.ones)

np.ones(4)

# ---- checks (not the book's) ----
ones = np.ones(4)
listed = [name for name in dir(np.random) if not name.startswith('_')]
synthetic.report_cells(globals(), listed=listed)
