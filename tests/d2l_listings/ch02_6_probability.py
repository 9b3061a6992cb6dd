# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §2.6 "Probability" (MXNet tab), with only the import changed.

With D2L_SAME_RANDOM=1 NumPy draws the dice (np.random.multinomial) in both engines, so the
counts and the plotted estimates can be compared with MXNet's.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
import random
from microgradnd import np, npx
from microgradnd import d2l
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

fair_probs = [1.0 / 6] * 6
np.random.multinomial(1, fair_probs)

np.random.multinomial(10, fair_probs)

counts = np.random.multinomial(1000, fair_probs).astype(np.float32)
counts / 1000

counts = np.random.multinomial(10, fair_probs, size=500)
cum_counts = counts.astype(np.float32).cumsum(axis=0)
estimates = cum_counts / cum_counts.sum(axis=1, keepdims=True)

d2l.set_figsize((6, 4.5))
for i in range(6):
    d2l.plt.plot(estimates[:, i].asnumpy(),
                 label=("P(die=" + str(i + 1) + ")"))
d2l.plt.axhline(y=0.167, color='black', linestyle='dashed')
d2l.plt.gca().set_xlabel('Groups of experiments')
d2l.plt.gca().set_ylabel('Estimated probability')
d2l.plt.legend();

# ---- checks (not the book's) ----
random_names = [] if synthetic.SAME_RANDOM else ["counts", "cum_counts", "estimates"]
synthetic.report_cells(globals(), random=random_names)
