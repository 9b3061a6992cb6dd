"""The seed chapter's listing (d2l.ai §3.2, MXNet edition), run verbatim on microgradnd.

`chapter_listing` is the chapter's code, in order, re-indented into a function. The only
changes: the import line (`from mxnet import autograd, np, npx` -> `from microgradnd import
autograd, np`), `npx.set_np()`, `%matplotlib inline`, `import d2l` and the two d2l plotting
lines dropped, `# noqa` marks for the linter, and the final `return` for the test to inspect.
"""
import random
import re

import pytest

from microgradnd import autograd, np


def chapter_listing():
    # ---- 3.2.1. Generating the Dataset ----
    # Saved in the d2l package for later use
    def synthetic_data(w, b, num_examples):
        """Generate y = X w + b + noise."""
        X = np.random.normal(0, 1, (num_examples, len(w)))
        y = np.dot(X, w) + b
        y += np.random.normal(0, 0.01, y.shape)
        return X, y

    true_w = np.array([2, -3.4])
    true_b = 4.2
    features, labels = synthetic_data(true_w, true_b, 1000)

    print('features:', features[0], '\nlabel:', labels[0])

    # ---- 3.2.2. Reading the Dataset ----
    def data_iter(batch_size, features, labels):
        num_examples = len(features)
        indices = list(range(num_examples))
        # The examples are read at random, in no particular order
        random.shuffle(indices)
        for i in range(0, num_examples, batch_size):
            batch_indices = np.array(
                indices[i: min(i + batch_size, num_examples)])
            yield features[batch_indices], labels[batch_indices]

    batch_size = 10
    for X, y in data_iter(batch_size, features, labels):
        print(X, '\n', y)
        break

    # ---- 3.2.3. Initializing Model Parameters ----
    w = np.random.normal(0, 0.01, (2, 1))
    b = np.zeros(1)

    w.attach_grad()
    b.attach_grad()

    # ---- 3.2.4. Defining the Model ----
    # Saved in the d2l package for later use
    def linreg(X, w, b):
        return np.dot(X, w) + b

    # ---- 3.2.5. Defining the Loss Function ----
    # Saved in the d2l package for later use
    def squared_loss(y_hat, y):
        return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2

    # ---- 3.2.6. Defining the Optimization Algorithm ----
    # Saved in the d2l package for later use
    def sgd(params, lr, batch_size):
        for param in params:
            param[:] = param - lr * param.grad / batch_size

    # ---- 3.2.7. Training ----
    lr = 0.03  # Learning rate
    num_epochs = 3  # Number of iterations
    net = linreg  # Our fancy linear model
    loss = squared_loss  # 0.5 (y-y')^2
    for epoch in range(num_epochs):
        # Assuming the number of examples can be divided by the batch size, all
        # the examples in the training dataset are used once in one epoch
        # iteration. The features and tags of minibatch examples are given by X
        # and y respectively
        for X, y in data_iter(batch_size, features, labels):
            with autograd.record():
                l = loss(net(X, w, b), y)  # Minibatch loss in X and y  # noqa: E741
            l.backward()  # Compute gradient on l with respect to [w, b]
            sgd([w, b], lr, batch_size)  # Update parameters using their gradient
        train_l = loss(net(features, w, b), labels)
        print('epoch %d, loss %f' % (epoch + 1, train_l.mean().asnumpy()))  # noqa: UP031

    print('Error in estimating w', true_w - w.reshape(true_w.shape))
    print('Error in estimating b', true_b - b)

    return true_w, true_b, w, b     # not the chapter's: lets the test inspect the result


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chapter_listing_trains(seed, capsys):
    random.seed(seed)
    np.random.seed(seed)
    true_w, true_b, w, b = chapter_listing()
    out = capsys.readouterr().out

    # What the chapter prints, in its order and format.
    assert re.match(r"features: \[ *-?[\d.e+-]+ +-?[\d.e+-]+\] \nlabel: -?[\d.e+-]+\n", out)
    first_batch = out.split("\n", 2)[2].split("epoch 1")[0]
    assert first_batch.count("[") == 12            # a (10, 2) matrix, then a (10,) vector
    losses = [float(x) for x in re.findall(r"^epoch \d, loss (\d+\.\d{6})$", out, re.M)]
    assert len(losses) == 3
    assert losses[0] < 0.1                          # the chapter printed 0.024943
    assert losses[2] < 1e-4                         # and 0.000051
    assert "Error in estimating w [" in out and "Error in estimating b [" in out

    err_w = (true_w - w.reshape(true_w.shape)).numpy()
    err_b = (true_b - b).numpy()
    assert err_w.shape == (2,) and err_b.shape == (1,)
    assert abs(err_w).max() < 5e-3 and abs(err_b).max() < 5e-3   # the chapter: about 6e-4
    assert w.dtype == b.dtype == np.float32
