# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §6.4 "Multiple Input and Multiple Output Channels" (MXNet tab), with only the
import changed. With D2L_SAME_RANDOM=1 NumPy draws X and K in both engines."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import d2l
from microgradnd import np, npx
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

def corr2d_multi_in(X, K):
    # First, iterate through the 0th dimension (channel dimension) of `X` and
    # `K`. Then, add them together
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))

X = np.array([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
               [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = np.array([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])

corr2d_multi_in(X, K)

def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of `K`, and each time, perform
    # cross-correlation operations with input `X`. All of the results are
    # stacked together
    return np.stack([corr2d_multi_in(X, k) for k in K], 0)

K = np.stack((K, K + 1, K + 2), 0)
K.shape

corr2d_multi_in_out(X, K)

multi_in, multi_in_out = corr2d_multi_in(X, K[0]), corr2d_multi_in_out(X, K)  # (not the book's)

def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = np.dot(K, X)
    return Y.reshape((c_o, h, w))

X = np.random.normal(0, 1, (3, 3, 3))
K = np.random.normal(0, 1, (2, 3, 1, 1))

Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = corr2d_multi_in_out(X, K)
assert float(np.abs(Y1 - Y2).sum()) < 1e-6

# ---- checks (not the book's) ----
synthetic.report_cells(globals(), random=[] if synthetic.SAME_RANDOM else ["X", "K", "Y1", "Y2"])
