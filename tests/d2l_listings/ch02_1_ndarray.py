# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §2.1 "Data Manipulation" (MXNet tab), with only the import changed.

Notebook cells that display a value are kept as bare expressions; the check at the end
reports every array and number the cells leave behind, which the tests compare with MXNet's.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import line changed ----
from microgradnd import np, npx
npx.set_np()

x = np.arange(12)
x

x.shape

x.size

x = x.reshape(3, 4)
x

np.zeros((2, 3))

np.ones((2, 3, 4))

np.random.normal(0, 1, size=(3, 4))

np.array([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])

x = np.array([1, 2, 4, 8])
y = np.array([2, 2, 2, 2])
x + y, x - y, x * y, x / y, x ** y  # The ** operator is exponentiation

np.exp(x)

x = np.arange(12).reshape(3, 4)
y = np.array([[2, 1, 4, 3], [1, 2, 3, 4], [4, 3, 2, 1]])
np.concatenate([x, y], axis=0), np.concatenate([x, y], axis=1)

x == y

x.sum()

a = np.arange(3).reshape(3, 1)
b = np.arange(2).reshape(1, 2)
a, b

a + b

x[-1], x[1:3]

x[1, 2] = 9
x

x[0:2, :] = 12
x

before = id(y)
y = y + x
id(y) == before

z = np.zeros_like(y)
print('id(z):', id(z))
z[:] = x + y
print('id(z):', id(z))

before = id(x)
x += y
id(x) == before

a = x.asnumpy()
b = np.array(a)
type(a), type(b)

a = np.array([3.5])
a, a.item(), float(a), int(a)

# ---- checks (not the book's) ----
concat0, concat1 = np.concatenate([x, y], axis=0), np.concatenate([x, y], axis=1)
quotient, exp_x, total = x / y, np.exp(x), x.sum()
synthetic.report_cells(globals(), random=["before"], x_is_x=id(x) == before,
                       b_type=type(b).__name__)
