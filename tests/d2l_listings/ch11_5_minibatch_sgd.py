# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §11.5 "Minibatch Stochastic Gradient Descent", from scratch (MXNet tab).

Only the import line is changed; the airfoil file is a synthetic one in the real format
(1503 rows by default; D2L_AIRFOIL_ROWS makes it shorter for quick runs).
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
AIRFOIL_ROWS = synthetic.knob("AIRFOIL_ROWS", 1503)
MATMUL_N = synthetic.knob("MATMUL_N", 256)        # the book times 256x256 products

# ---- the book: import line changed ----
from microgradnd import d2l
from microgradnd import autograd, np, npx
npx.set_np()

# ---- prelude, continued: stand-ins ----
synthetic.patch_airfoil(d2l, AIRFOIL_ROWS)
synthetic.same_random(np, d2l)

# ---- the book ----
timer = d2l.Timer()
A = np.zeros((MATMUL_N, MATMUL_N))  # the book: 256
B = np.random.normal(0, 1, (MATMUL_N, MATMUL_N))
C = np.random.normal(0, 1, (MATMUL_N, MATMUL_N))

# Compute A = BC one element at a time
timer.start()
for i in range(MATMUL_N):
    for j in range(MATMUL_N):
        A[i, j] = np.dot(B[i, :], C[:, j])
A.wait_to_read()
timer.stop()

# Compute A = BC one column at a time
timer.start()
for j in range(MATMUL_N):
    A[:, j] = np.dot(B, C[:, j])
A.wait_to_read()
timer.stop()

# Compute A = BC in one go
timer.start()
A = np.dot(B, C)
A.wait_to_read()
timer.stop()

# Multiply and add count as separate operations (fused in practice)
gigaflops = [2/i for i in timer.times]
print(f'performance in Gigaflops: element {gigaflops[0]:.3f}, '
      f'column {gigaflops[1]:.3f}, full {gigaflops[2]:.3f}')

timer.start()
for j in range(0, MATMUL_N, 64):
    A[:, j:j+64] = np.dot(B, C[:, j:j+64])
timer.stop()
print(f'performance in Gigaflops: block {2 / timer.times[3]:.3f}')

#@save
d2l.DATA_HUB['airfoil'] = (d2l.DATA_URL + 'airfoil_self_noise.dat',
                           '76e5be1548fd8222e5074cf0faae75edff8cf93f')

#@save
def get_data_ch11(batch_size=10, n=1500):
    data = np.genfromtxt(d2l.download('airfoil'),
                         dtype=np.float32, delimiter='\t')
    data = (data - data.mean(axis=0)) / data.std(axis=0)
    data_iter = d2l.load_array(
        (data[:n, :-1], data[:n, -1]), batch_size, is_train=True)
    return data_iter, data.shape[1]-1

def sgd(params, states, hyperparams):
    for p in params:
        p[:] -= hyperparams['lr'] * p.grad

#@save
def train_ch11(trainer_fn, states, hyperparams, data_iter,
               feature_dim, num_epochs=2):
    # Initialization
    w = np.random.normal(scale=0.01, size=(feature_dim, 1))
    b = np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    net, loss = lambda X: d2l.linreg(X, w, b), d2l.squared_loss
    # Train
    animator = d2l.Animator(xlabel='epoch', ylabel='loss',
                            xlim=[0, num_epochs], ylim=[0.22, 0.35])
    n, timer = 0, d2l.Timer()
    for _ in range(num_epochs):
        for X, y in data_iter:
            with autograd.record():
                l = loss(net(X), y).mean()
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                animator.add(n/X.shape[0]/len(data_iter),
                             (d2l.evaluate_loss(net, data_iter, loss),))
                timer.start()
    print(f'loss: {animator.Y[0][-1]:.3f}, {timer.avg():.3f} sec/epoch')
    return timer.cumsum(), animator.Y[0]

def train_sgd(lr, batch_size, num_epochs=2):
    data_iter, feature_dim = get_data_ch11(batch_size)
    return train_ch11(
        sgd, None, {'lr': lr}, data_iter, feature_dim, num_epochs)

gd_res = train_sgd(1, 1500, 10)

sgd_res = train_sgd(0.005, 1)

mini1_res = train_sgd(.4, 100)

mini2_res = train_sgd(.05, 10)

d2l.set_figsize([6, 3])
d2l.plot(*list(map(list, zip(gd_res, sgd_res, mini1_res, mini2_res))),
         'time (sec)', 'loss', xlim=[1e-2, 10],
         legend=['gd', 'sgd', 'batch size=100', 'batch size=10'])
d2l.plt.gca().set_xscale('log')

# ---- checks (not the book's) ----
synthetic.report(final={"gd": gd_res[1][-1], "sgd": sgd_res[1][-1],
                        "mini100": mini1_res[1][-1], "mini10": mini2_res[1][-1]})
