# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §2.3 "Linear Algebra" (MXNet tab), with only the import changed.

Notebook cells that display a value are kept as bare expressions; the check at the end
reports every array and number the cells leave behind, which the tests compare with MXNet's.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import line changed ----
from microgradnd import np, npx
npx.set_np()

x = np.array(3.0)
y = np.array(2.0)

x + y, x * y, x / y, x ** y

x = np.arange(4)
x

x[3]

len(x)

x.shape

A = np.arange(20).reshape(5, 4)
A

A.T

B = np.array([[1, 2, 3], [2, 0, 4], [3, 4, 5]])
B

B == B.T

X = np.arange(24).reshape(2, 3, 4)
X

A = np.arange(20).reshape(5, 4)
B = A.copy()  # Assign a copy of A to B by allocating new memory
A, A + B

A * B

a = 2
X = np.arange(24).reshape(2, 3, 4)
a + X, (a * X).shape

x = np.arange(4)
x, x.sum()

A.shape, A.sum()

A_sum_axis0 = A.sum(axis=0)
A_sum_axis0, A_sum_axis0.shape

A_sum_axis1 = A.sum(axis=1)
A_sum_axis1, A_sum_axis1.shape

A.sum(axis=[0, 1])  # Same as A.sum()

A.mean(), A.sum() / A.size

A.mean(axis=0), A.sum(axis=0) / A.shape[0]

sum_A = A.sum(axis=1, keepdims=True)
sum_A

A / sum_A

A.cumsum(axis=0)

y = np.ones(4)
x, y, np.dot(x, y)

np.sum(x * y)

A.shape, x.shape, np.dot(A, x)

B = np.ones(shape=(4, 3))
np.dot(A, B)

u = np.array([3, -4])
np.linalg.norm(u)

np.abs(u).sum()

np.linalg.norm(np.ones((4, 9)))

# ---- checks (not the book's) ----
hadamard, sum_all, mean_all, mean_axis0 = A * A, A.sum(axis=[0, 1]), A.mean(), A.mean(axis=0)
divided, cumsum0, mv, mm = A / sum_A, A.cumsum(axis=0), np.dot(A, x), np.dot(A, B)
norm_u, l1_u, fro = np.linalg.norm(u), np.abs(u).sum(), np.linalg.norm(np.ones((4, 9)))
synthetic.report_cells(globals())
