# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §8.1 "Sequence Models" (MXNet tab): its np cells (the data and the features),
with only the import changed.

The model cells use Gluon's layers (nn.Sequential, Trainer), which microgradnd does not
have; the `from mxnet.gluon import nn` and `init` imports go with them. With
D2L_SAME_RANDOM=1 NumPy draws the noise in both engines.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import d2l
from microgradnd import autograd, np, npx, gluon
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

T = 1000  # Generate a total of 1000 points
time = np.arange(1, T + 1, dtype=np.float32)
x = np.sin(0.01 * time) + np.random.normal(0, 0.2, (T,))
d2l.plot(time, [x], 'time', 'x', xlim=[1, 1000], figsize=(6, 3))

tau = 4
features = np.zeros((T - tau, tau))
for i in range(tau):
    features[:, i] = x[i: T - tau + i]
labels = x[tau:].reshape((-1, 1))

batch_size, n_train = 16, 600
# Only the first `n_train` examples are used for training
train_iter = d2l.load_array((features[:n_train], labels[:n_train]),
                            batch_size, is_train=True)

# ---- checks (not the book's) ----
first_X, first_y = next(iter(d2l.load_array((features[:n_train], labels[:n_train]),
                                            batch_size, is_train=False)))
synthetic.report_cells(globals(), random=[] if synthetic.SAME_RANDOM
                       else ["x", "features", "labels", "first_X", "first_y"])
