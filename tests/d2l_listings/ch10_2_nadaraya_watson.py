# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §10.2 "Attention Pooling: Nadaraya-Watson Kernel Regression" (MXNet tab): the
nonparametric part, `npx.batch_dot` and the tensor code that builds the training keys and
values, with only the import changed.

Left out: the parametric model `NWKernelRegression(nn.Block)`, its training with
`gluon.loss.L2Loss` and `gluon.Trainer`, and the two cells that plot it (microgradnd has no
layers or Trainer); `from mxnet.gluon import nn` goes with them. With D2L_SAME_RANDOM=1 NumPy
draws `d2l.rand` and `d2l.normal` in both engines.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import d2l
from microgradnd import autograd, gluon, np, npx

npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

n_train = 50  # No. of training examples
x_train = np.sort(d2l.rand(n_train) * 5)   # Training inputs

def f(x):
    return 2 * d2l.sin(x) + x**0.8

y_train = f(x_train) + d2l.normal(0.0, 0.5, (n_train,))  # Training outputs
x_test = d2l.arange(0, 5, 0.1)  # Testing examples
y_truth = f(x_test)  # Ground-truth outputs for the testing examples
n_test = len(x_test)  # No. of testing examples
n_test

def plot_kernel_reg(y_hat):
    d2l.plot(x_test, [y_truth, y_hat], 'x', 'y', legend=['Truth', 'Pred'],
             xlim=[0, 5], ylim=[-1, 5])
    d2l.plt.plot(x_train, y_train, 'o', alpha=0.5);

y_hat = y_train.mean().repeat(n_test)
plot_kernel_reg(y_hat)

y_hat_average = y_hat  # (not the book's)

# Shape of `X_repeat`: (`n_test`, `n_train`), where each row contains the
# same testing inputs (i.e., same queries)
X_repeat = d2l.reshape(x_test.repeat(n_train), (-1, n_train))
# Note that `x_train` contains the keys. Shape of `attention_weights`:
# (`n_test`, `n_train`), where each row contains attention weights to be
# assigned among the values (`y_train`) given each query
attention_weights = npx.softmax(-(X_repeat - x_train)**2 / 2)
# Each element of `y_hat` is weighted average of values, where weights are
# attention weights
y_hat = d2l.matmul(attention_weights, y_train)
plot_kernel_reg(y_hat)

d2l.show_heatmaps(np.expand_dims(np.expand_dims(attention_weights, 0), 0),
                  xlabel='Sorted training inputs',
                  ylabel='Sorted testing inputs')

X = d2l.ones((2, 1, 4))
Y = d2l.ones((2, 4, 6))
npx.batch_dot(X, Y).shape

batch_dot_shape = npx.batch_dot(X, Y).shape  # (not the book's)

weights = d2l.ones((2, 10)) * 0.1
values = d2l.reshape(d2l.arange(20), (2, 10))
npx.batch_dot(np.expand_dims(weights, 1), np.expand_dims(values, -1))

weighted = npx.batch_dot(np.expand_dims(weights, 1), np.expand_dims(values, -1))  # (not the book's)

# Shape of `X_tile`: (`n_train`, `n_train`), where each column contains the
# same training inputs
X_tile = np.tile(x_train, (n_train, 1))
# Shape of `Y_tile`: (`n_train`, `n_train`), where each column contains the
# same training outputs
Y_tile = np.tile(y_train, (n_train, 1))
# Shape of `keys`: ('n_train', 'n_train' - 1)
keys = d2l.reshape(X_tile[(1 - d2l.eye(n_train)).astype('bool')],
                   (n_train, -1))
# Shape of `values`: ('n_train', 'n_train' - 1)
values = d2l.reshape(Y_tile[(1 - d2l.eye(n_train)).astype('bool')],
                     (n_train, -1))

# ---- checks (not the book's) ----
import matplotlib.pyplot as plt
shown = plt.gcf().axes[0].images[0].get_array()
random = [] if synthetic.SAME_RANDOM else [
    "x_train", "y_train", "y_hat", "y_hat_average", "attention_weights", "X_tile", "Y_tile",
    "keys", "values"]
synthetic.report_cells({**globals(), "shown_sum": float(shown.sum())}, random=random,
                       batch_dot_shape=list(batch_dot_shape))
