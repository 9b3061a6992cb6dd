# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §12.5 "Training on Multiple GPUs" (MXNet tab), on two CPU contexts.

Apart from the import, one line differs from the book, as for a learner without two GPUs:
the split_and_load cell names `[npx.cpu(0), npx.cpu(1)]` where the book names
`[npx.gpu(0), npx.gpu(1)]`. The prelude makes `d2l.try_gpu(i)` give `npx.cpu(i)` in both
engines (without GPUs the book's d2l would give cpu(0) twice), so `train(num_gpus=2, ...)`
splits each batch over cpu(0) and cpu(1), distinct contexts in MXNet and here. Fashion-MNIST
is the synthetic stand-in; with D2L_SAME_RANDOM=1 NumPy draws the initial weights.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
# %matplotlib inline   (a notebook magic: the prelude has set the Agg backend)
from microgradnd import d2l
from microgradnd import autograd, gluon, np, npx
npx.set_np()

# prelude, continued (not the book's): CPU contexts for GPUs, the synthetic data, the knobs
d2l.try_gpu = lambda i=0: npx.cpu(i)
synthetic.patch_fashion_mnist(d2l, np, synthetic.knob("N_TRAIN", 512),
                              synthetic.knob("N_TEST", 256))
synthetic.same_random(np, d2l)
NUM_EPOCHS = synthetic.knob("NUM_EPOCHS", 2)                # the book: 10

# Initialize model parameters
scale = 0.01
W1 = np.random.normal(scale=scale, size=(20, 1, 3, 3))
b1 = np.zeros(20)
W2 = np.random.normal(scale=scale, size=(50, 20, 5, 5))
b2 = np.zeros(50)
W3 = np.random.normal(scale=scale, size=(800, 128))
b3 = np.zeros(128)
W4 = np.random.normal(scale=scale, size=(128, 10))
b4 = np.zeros(10)
params = [W1, b1, W2, b2, W3, b3, W4, b4]

# Define the model
def lenet(X, params):
    h1_conv = npx.convolution(data=X, weight=params[0], bias=params[1],
                              kernel=(3, 3), num_filter=20)
    h1_activation = npx.relu(h1_conv)
    h1 = npx.pooling(data=h1_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2_conv = npx.convolution(data=h1, weight=params[2], bias=params[3],
                              kernel=(5, 5), num_filter=50)
    h2_activation = npx.relu(h2_conv)
    h2 = npx.pooling(data=h2_activation, pool_type='avg', kernel=(2, 2),
                     stride=(2, 2))
    h2 = h2.reshape(h2.shape[0], -1)
    h3_linear = np.dot(h2, params[4]) + params[5]
    h3 = npx.relu(h3_linear)
    y_hat = np.dot(h3, params[6]) + params[7]
    return y_hat

# Cross-entropy loss function
loss = gluon.loss.SoftmaxCrossEntropyLoss()

def get_params(params, device):
    new_params = [p.copyto(device) for p in params]
    for p in new_params:
        p.attach_grad()
    return new_params

new_params = get_params(params, d2l.try_gpu(0))
print('b1 weight:', new_params[1])
print('b1 grad:', new_params[1].grad)

def allreduce(data):
    for i in range(1, len(data)):
        data[0][:] += data[i].copyto(data[0].ctx)
    for i in range(1, len(data)):
        data[0].copyto(data[i])

data = [np.ones((1, 2), ctx=d2l.try_gpu(i)) * (i + 1) for i in range(2)]
print('before allreduce:\n', data[0], '\n', data[1])
allreduce(data)
print('after allreduce:\n', data[0], '\n', data[1])

reduced = [d.copyto(npx.cpu(0)) for d in data]     # (not the book's)
reduced_ctx = [str(d.ctx) for d in data]           # (not the book's)

data = np.arange(20).reshape(4, 5)
devices = [npx.cpu(0), npx.cpu(1)]                 # the book: [npx.gpu(0), npx.gpu(1)]
split = gluon.utils.split_and_load(data, devices)
print('input :', data)
print('load into', devices)
print('output:', split)

split_0, split_1 = split                           # (not the book's)

#@save
def split_batch(X, y, devices):
    """Split `X` and `y` into multiple devices."""
    assert X.shape[0] == y.shape[0]
    return (gluon.utils.split_and_load(X, devices),
            gluon.utils.split_and_load(y, devices))

def train_batch(X, y, device_params, devices, lr):
    X_shards, y_shards = split_batch(X, y, devices)
    with autograd.record():  # Loss is calculated separately on each GPU
        ls = [loss(lenet(X_shard, device_W), y_shard)
              for X_shard, y_shard, device_W in zip(
                  X_shards, y_shards, device_params)]
    for l in ls:  # Backpropagation is performed separately on each GPU
        l.backward()
    # Sum all gradients from each GPU and broadcast them to all GPUs
    for i in range(len(device_params[0])):
        allreduce([device_params[c][i].grad for c in range(len(devices))])
    # The model parameters are updated separately on each GPU
    for param in device_params:
        d2l.sgd(param, lr, X.shape[0])  # Here, we use a full-size batch

def train(num_gpus, batch_size, lr):
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size)
    devices = [d2l.try_gpu(i) for i in range(num_gpus)]
    # Copy model parameters to `num_gpus` GPUs
    device_params = [get_params(params, d) for d in devices]
    num_epochs = NUM_EPOCHS                        # the book: 10
    animator = d2l.Animator('epoch', 'test acc', xlim=[1, num_epochs])
    timer = d2l.Timer()
    for epoch in range(num_epochs):
        timer.start()
        for X, y in train_iter:
            # Perform multi-GPU training for a single minibatch
            train_batch(X, y, device_params, devices, lr)
            npx.waitall()
        timer.stop()
        # Evaluate the model on GPU 0
        animator.add(epoch + 1, (d2l.evaluate_accuracy_gpu(
            lambda x: lenet(x, device_params[0]), test_iter, devices[0]),))
    print(f'test acc: {animator.Y[0][-1]:.2f}, {timer.avg():.1f} sec/epoch '
          f'on {str(devices)}')
    return device_params                            # (not the book's)

one = train(num_gpus=1, batch_size=256, lr=0.2)

two = train(num_gpus=2, batch_size=256, lr=0.2)

# ---- checks (not the book's) ----
synthetic.report_cells({**globals(), "W1_two_cpu1": two[1][0], "b4_two_cpu0": two[0][7]},
                       random=[] if synthetic.SAME_RANDOM else
                       ["W1", "W2", "W3", "W4", "W1_two_cpu1", "b4_two_cpu0"],
                       reduced_ctx=reduced_ctx,
                       copies_agree=bool((two[0][0] == two[1][0].as_in_ctx(npx.cpu(0)))
                                         .asnumpy().all()),
                       params_ctx=[str(p[0].ctx) for p in two])
