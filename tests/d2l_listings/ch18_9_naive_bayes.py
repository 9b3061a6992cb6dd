# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §18.9 "Naive Bayes" (MXNet tab), with only the import changed.

MNIST is a synthetic stand-in in MNIST's own file format (D2L_N_TRAIN and D2L_N_TEST
images), read by each engine's gluon.data.vision.MNIST from identical bytes.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import d2l
import math
from microgradnd import gluon, np, npx
npx.set_np()
d2l.use_svg_display()

synthetic.patch_mnist(np, d2l, synthetic.knob("N_TRAIN", 2000),
                      synthetic.knob("N_TEST", 200))      # prelude, continued (not the book's)

def transform(data, label):
    return np.floor(data.astype('float32') / 128).squeeze(axis=-1), label

mnist_train = gluon.data.vision.MNIST(train=True, transform=transform)
mnist_test = gluon.data.vision.MNIST(train=False, transform=transform)

image, label = mnist_train[2]
image.shape, label

image.shape, image.dtype

label, type(label), label.dtype

images, labels = mnist_train[10:38]
images.shape, labels.shape

d2l.show_images(images, 2, 9);

X, Y = mnist_train[:]  # All training examples

n_y = np.zeros((10))
for y in range(10):
    n_y[y] = (Y == y).sum()
P_y = n_y / n_y.sum()
P_y

n_x = np.zeros((10, 28, 28))
for y in range(10):
    n_x[y] = np.array(X.asnumpy()[Y.asnumpy() == y].sum(axis=0))
P_xy = (n_x + 1) / (n_y + 2).reshape(10, 1, 1)

d2l.show_images(P_xy, 2, 5);

def bayes_pred(x):
    x = np.expand_dims(x, axis=0)  # (28, 28) -> (1, 28, 28)
    p_xy = P_xy * x + (1 - P_xy)*(1 - x)
    p_xy = p_xy.reshape(10, -1).prod(axis=1)  # p(x|y)
    return np.array(p_xy) * P_y

image, label = mnist_test[0]
bayes_pred(image)

underflowed = bayes_pred(image)     # (not the book's)

a = 0.1
print('underflow:', a**784)
print('logarithm is normal:', 784*math.log(a))

log_P_xy = np.log(P_xy)
log_P_xy_neg = np.log(1 - P_xy)
log_P_y = np.log(P_y)

def bayes_pred_stable(x):
    x = np.expand_dims(x, axis=0)  # (28, 28) -> (1, 28, 28)
    p_xy = log_P_xy * x + log_P_xy_neg * (1 - x)
    p_xy = p_xy.reshape(10, -1).sum(axis=1)  # p(x|y)
    return p_xy + log_P_y

py = bayes_pred_stable(image)
py

# Convert label which is a scalar tensor of int32 dtype to a Python scalar
# integer for comparison
py.argmax(axis=0) == int(label)

def predict(X):
    return [bayes_pred_stable(x).argmax(axis=0).astype(np.int32) for x in X]

X, y = mnist_test[:18]
preds = predict(X)
d2l.show_images(X, 2, 9, titles=[str(d) for d in preds]);

X, y = mnist_test[:]
preds = np.array(predict(X), dtype=np.int32)
float((preds == y).sum()) / len(y)  # Validation accuracy

# ---- checks (not the book's) ----
accuracy = float((preds == y).sum()) / len(y)
print(f'validation accuracy: {accuracy:.4f}')
synthetic.report_cells(globals())
