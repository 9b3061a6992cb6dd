# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §6.5 "Pooling" (MXNet tab): its np cells, with only the import changed.

The cells that call Gluon's nn.MaxPool2D layer (and the `from mxnet.gluon import nn` line)
are left out: microgradnd has no layers.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import np, npx
from microgradnd import d2l
npx.set_np()

def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = np.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y

X = np.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
pool2d(X, (2, 2))

pool2d(X, (2, 2), 'avg')

max_pooled, avg_pooled = pool2d(X, (2, 2)), pool2d(X, (2, 2), 'avg')  # (not the book's)

X = np.arange(16, dtype=np.float32).reshape((1, 1, 4, 4))
X

X = np.concatenate((X, X + 1), 1)
X

# ---- checks (not the book's) ----
synthetic.report_cells(globals())
