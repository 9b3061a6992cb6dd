# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §4.5 "Weight Decay", implementation from scratch (MXNet tab).

Only the import line is changed. The chapter's data are synthetic already (d2l.synthetic_data).
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
NUM_EPOCHS = synthetic.knob("NUM_EPOCHS", 100)    # as the book

# ---- the book: import line changed ----
from microgradnd import d2l
from microgradnd import autograd, np, npx
npx.set_np()

# ---- prelude, continued: the same random numbers as MXNet with D2L_SAME_RANDOM=1 ----
synthetic.same_random(np, d2l)

# ---- the book ----
n_train, n_test, num_inputs, batch_size = 20, 100, 200, 5
true_w, true_b = np.ones((num_inputs, 1)) * 0.01, 0.05
train_data = d2l.synthetic_data(true_w, true_b, n_train)
train_iter = d2l.load_array(train_data, batch_size)
test_data = d2l.synthetic_data(true_w, true_b, n_test)
test_iter = d2l.load_array(test_data, batch_size, is_train=False)

def init_params():
    w = np.random.normal(scale=1, size=(num_inputs, 1))
    b = np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    return [w, b]

def l2_penalty(w):
    return (w**2).sum() / 2

def train(lambd):
    w, b = init_params()
    net, loss = lambda X: d2l.linreg(X, w, b), d2l.squared_loss
    num_epochs, lr = NUM_EPOCHS, 0.003  # the book: 100, 0.003
    animator = d2l.Animator(xlabel='epochs', ylabel='loss', yscale='log',
                            xlim=[5, num_epochs], legend=['train', 'test'])
    for epoch in range(num_epochs):
        for X, y in train_iter:
            with autograd.record():
                # The L2 norm penalty term has been added, and broadcasting
                # makes `l2_penalty(w)` a vector whose length is `batch_size`
                l = loss(net(X), y) + lambd * l2_penalty(w)
            l.backward()
            d2l.sgd([w, b], lr, batch_size)
        if (epoch + 1) % 5 == 0:
            animator.add(epoch + 1, (d2l.evaluate_loss(net, train_iter, loss),
                                     d2l.evaluate_loss(net, test_iter, loss)))
    print('L2 norm of w:', np.linalg.norm(w))

train(lambd=0)

train(lambd=3)

# ---- checks (not the book's) ----
synthetic.report()
