# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §18.1 "Geometry and Linear Algebraic Operations" (MXNet tab), with only the import
changed.

Fashion-MNIST is the synthetic stand-in, written in the real files' format and read by each
engine's gluon.data.vision.FashionMNIST (D2L_N_TRAIN training images; a test set of 1000
t-shirts and 1000 trousers, the 2000 rows the book's cell reshapes to). The chapter's last
cells run `import numpy as np`, so from there on `np` is NumPy itself, in both engines.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
synthetic.stand_in_ipython()

# ---- the book: import lines changed ----
v = [1, 7, 0, 1]

# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import d2l
from IPython import display
from microgradnd import gluon, np, npx
npx.set_np()

synthetic.patch_gluon_fashion_mnist(np, d2l, synthetic.knob("N_TRAIN", 3000),
                                    1000)       # prelude, continued (not the book's)

def angle(v, w):
    return np.arccos(v.dot(w) / (np.linalg.norm(v) * np.linalg.norm(w)))

angle(np.array([0, 1, 2]), np.array([2, 3, 4]))

theta = angle(np.array([0, 1, 2]), np.array([2, 3, 4]))     # (not the book's)

# Load in the dataset
train = gluon.data.vision.FashionMNIST(train=True)
test = gluon.data.vision.FashionMNIST(train=False)

X_train_0 = np.stack([x[0] for x in train if x[1] == 0]).astype(float)
X_train_1 = np.stack([x[0] for x in train if x[1] == 1]).astype(float)
X_test = np.stack(
    [x[0] for x in test if x[1] == 0 or x[1] == 1]).astype(float)
y_test = np.stack(
    [x[1] for x in test if x[1] == 0 or x[1] == 1]).astype(float)

# Compute averages
ave_0 = np.mean(X_train_0, axis=0)
ave_1 = np.mean(X_train_1, axis=0)

# Plot average t-shirt
d2l.set_figsize()
d2l.plt.imshow(ave_0.reshape(28, 28).tolist(), cmap='Greys')
d2l.plt.show()

# Plot average trousers
d2l.plt.imshow(ave_1.reshape(28, 28).tolist(), cmap='Greys')
d2l.plt.show()

# Print test set accuracy with eyeballed threshold
w = (ave_1 - ave_0).T
predictions = X_test.reshape(2000, -1).dot(w.flatten()) > -1500000

# Accuracy
np.mean(predictions.astype(y_test.dtype) == y_test, dtype=np.float64)

accuracy = np.mean(predictions.astype(y_test.dtype) == y_test, dtype=np.float64)  # (not the book's)

M = np.array([[1, 2], [1, 4]])
M_inv = np.array([[2, -1], [-0.5, 0.5]])
M_inv.dot(M)

identity = M_inv.dot(M)             # (not the book's)

import numpy as np
np.linalg.det(np.array([[1, -1], [2, 3]]))

# Define tensors
B = np.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]])
A = np.array([[1, 2], [3, 4]])
v = np.array([1, 2])

# Print out the shapes
A.shape, B.shape, v.shape

# Reimplement matrix multiplication
np.einsum("ij, j -> i", A, v), A.dot(v)

np.einsum("ijk, il, j -> kl", B, A, v)

np.einsum(B, [0, 1, 2], A, [0, 3], v, [1], [2, 3])

# ---- checks (not the book's) ----
synthetic.report_cells(globals())
