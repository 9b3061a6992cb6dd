# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §4.2 "Implementation of Multilayer Perceptrons from Scratch" (MXNet tab).

Only the import line is changed; the chapter's `gluon.loss.SoftmaxCrossEntropyLoss()` comes from
the prelude (-pick(log_softmax(ŷ), y) per example, as gluon's). Synthetic Fashion-MNIST.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
NUM_EPOCHS = synthetic.knob("NUM_EPOCHS", 3)      # the book trains 10
N_TRAIN = synthetic.knob("N_TRAIN", 10000)
N_TEST = synthetic.knob("N_TEST", 1000)

# ---- the book: import line changed ----
from microgradnd import d2l
from microgradnd import np, npx
npx.set_np()

# ---- prelude, continued: stand-ins ----
gluon = synthetic.gluon_for(np, npx)
synthetic.patch_fashion_mnist(d2l, np, N_TRAIN, N_TEST)
synthetic.same_random(np, d2l)

# ---- the book ----
batch_size = 256
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)

num_inputs, num_outputs, num_hiddens = 784, 10, 256

W1 = np.random.normal(scale=0.01, size=(num_inputs, num_hiddens))
b1 = np.zeros(num_hiddens)
W2 = np.random.normal(scale=0.01, size=(num_hiddens, num_outputs))
b2 = np.zeros(num_outputs)
params = [W1, b1, W2, b2]

for param in params:
    param.attach_grad()

def relu(X):
    return np.maximum(X, 0)

def net(X):
    X = X.reshape((-1, num_inputs))
    H = relu(np.dot(X, W1) + b1)
    return np.dot(H, W2) + b2

loss = gluon.loss.SoftmaxCrossEntropyLoss()

num_epochs, lr = NUM_EPOCHS, 0.1  # the book: 10, 0.1
d2l.train_ch3(net, train_iter, test_iter, loss, num_epochs,
              lambda batch_size: d2l.sgd(params, lr, batch_size))

d2l.predict_ch3(net, test_iter)

# ---- checks (not the book's) ----
synthetic.report(acc_after=d2l.evaluate_accuracy(net, test_iter))
