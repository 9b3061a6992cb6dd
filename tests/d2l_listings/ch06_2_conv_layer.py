# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §6.2 "Convolutions for Images" (MXNet tab), with only the import changed.

Deviation, in the marked parts: the book defines a `Conv2D(nn.Block)` and learns its kernel with
Gluon's `nn.Conv2D(1, kernel_size=(1, 2))` layer; microgradnd has no layers, so the `from
mxnet.gluon import nn` line and the layer are left out, and the kernel is learned through a
weight and the convolution (`npx.convolution`, what `nn.Conv2D` calls), with the book's loop,
loss and step size. The initial weight is drawn by NumPy (as Gluon's default uniform(-0.07,
0.07) initializer would), identical under both engines.
"""
# ---- prelude (not the book's) ----
import numpy
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import autograd, np, npx
npx.set_np()

def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i: i + h, j: j + w] * K).sum()
    return Y

X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
K = np.array([[0, 1], [2, 3]])
corr2d(X, K)

correlated = corr2d(X, K)  # (not the book's)

X = np.ones((6, 8))
X[:, 2:6] = 0
X

K = np.array([[1, -1]])

Y = corr2d(X, K)
Y

vanishes = corr2d(X.T, K)  # (not the book's: the cell `corr2d(X.T, K)`, kept)

# ---- prelude, continued (not the book's): a weight and the convolution for nn.Conv2D ----
weight = np.array(numpy.random.RandomState(0).uniform(-0.07, 0.07, (1, 1, 1, 2)),
                  dtype='float32')
weight.attach_grad()

def conv2d(X):
    return npx.convolution(X, weight, kernel=(1, 2), num_filter=1, no_bias=True)

# ---- the book, continued: `conv2d.weight.data()` / `.grad()` read `weight` / `weight.grad` ----
X = X.reshape(1, 1, 6, 8)
Y = Y.reshape(1, 1, 6, 7)

for i in range(10):
    with autograd.record():
        Y_hat = conv2d(X)
        l = (Y_hat - Y) ** 2
    l.backward()
    # For the sake of simplicity, we ignore the bias here
    weight[:] -= 3e-2 * weight.grad
    if (i + 1) % 2 == 0:
        print(f'batch {i+1}, loss {l.sum():.3f}')

learned = weight.reshape(1, 2)
learned

# ---- checks (not the book's) ----
synthetic.report_cells(globals())
