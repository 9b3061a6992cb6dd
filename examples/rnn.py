"""A character-level language model from scratch: d2l.ai §8.5, §9.1, §9.2 on The Time Machine.

Run it from the repository root:

    python examples/rnn.py                        # the RNN of §8.5; downloads the book once
    python examples/rnn.py --cell gru             # §9.1; --cell lstm for §9.2
    python examples/rnn.py --synthetic --epochs 20 --hiddens 64    # no download (what CI runs)
    python examples/rnn.py --random-iter --device cuda

After the first epoch it says how long the whole run takes; every `--report` epochs it prints
`epoch N, perplexity X, T/epoch, T left` (the curve the book plots), then, as the book's
train_ch8, `perplexity X, Y tokens/sec on cpu(0)` and 50 predicted characters after
"time traveller" and after "traveller". On The Time Machine the GRU reaches a perplexity of
about 1.1 after 500 epochs (docs/d2l-track.md says how long each example takes).
"""
import os

# One BLAS thread: the examples' matrices are small, and more threads only spin-wait on a busy
# machine (docs/d2l-track.md has the timings). A thread count set in the environment wins.
# NumPy reads it when imported, so the imports come after it.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse
import math
import sys

from microgradnd import autograd, d2l, np, npx

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--cell", choices=["rnn", "gru", "lstm"], default="rnn")
parser.add_argument("--epochs", type=int, default=500)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--num-steps", type=int, default=35, help="time steps per minibatch")
parser.add_argument("--hiddens", type=int, default=256, help="hidden units")
parser.add_argument("--lr", type=float, default=1.0, help="learning rate")
parser.add_argument("--report", type=int, default=10, help="print perplexity every N epochs")
parser.add_argument("--random-iter", action="store_true",
                    help="random sampling instead of sequential partitioning")
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
parser.add_argument("--synthetic", action="store_true",
                    help="use synthetic text instead of The Time Machine (what CI runs)")
args = parser.parse_args()

npx.random.seed(args.seed)
device = (npx.gpu(int(args.device.partition(":")[2] or 0)) if args.device.startswith("cuda")
          else npx.cpu())
try:
    train_iter, vocab = d2l.load_data_time_machine(args.batch_size, args.num_steps,
                                                   use_random_iter=args.random_iter,
                                                   synthetic=args.synthetic)
except d2l.DownloadError as e:      # offline: one message, not a traceback
    sys.exit(e.brief("python examples/rnn.py --synthetic"))


# ---- the three cells: parameters, initial state, one pass over the time steps ----
def normal(shape):
    return np.random.normal(scale=0.01, size=shape, ctx=device)


def gates(n, num_inputs, num_hiddens):
    """n triples (W_x, W_h, b): the parameters of one gate (or candidate) each."""
    return [p for _ in range(n) for p in (normal((num_inputs, num_hiddens)),
                                          normal((num_hiddens, num_hiddens)),
                                          np.zeros(num_hiddens, ctx=device))]


def get_params(vocab_size, num_hiddens, device):
    n = {"rnn": 1, "gru": 3, "lstm": 4}[args.cell]
    params = gates(n, vocab_size, num_hiddens) + [normal((num_hiddens, vocab_size)),
                                                  np.zeros(vocab_size, ctx=device)]
    for param in params:
        param.attach_grad()
    return params


def init_state(batch_size, num_hiddens, device):
    n = 2 if args.cell == "lstm" else 1     # the LSTM also carries its memory cell
    return tuple(np.zeros((batch_size, num_hiddens), ctx=device) for _ in range(n))


def rnn(inputs, state, params):
    W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        H = np.tanh(np.dot(X, W_xh) + np.dot(H, W_hh) + b_h)
        outputs.append(np.dot(H, W_hq) + b_q)
    return np.concatenate(outputs, axis=0), (H,)


def gru(inputs, state, params):
    W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = params
    H, = state
    outputs = []
    for X in inputs:
        Z = npx.sigmoid(np.dot(X, W_xz) + np.dot(H, W_hz) + b_z)
        R = npx.sigmoid(np.dot(X, W_xr) + np.dot(H, W_hr) + b_r)
        H_tilda = np.tanh(np.dot(X, W_xh) + np.dot(R * H, W_hh) + b_h)
        H = Z * H + (1 - Z) * H_tilda
        outputs.append(np.dot(H, W_hq) + b_q)
    return np.concatenate(outputs, axis=0), (H,)


def lstm(inputs, state, params):
    (W_xi, W_hi, b_i, W_xf, W_hf, b_f, W_xo, W_ho, b_o, W_xc, W_hc, b_c, W_hq, b_q) = params
    H, C = state
    outputs = []
    for X in inputs:
        I = npx.sigmoid(np.dot(X, W_xi) + np.dot(H, W_hi) + b_i)  # noqa: E741 - the book's
        F = npx.sigmoid(np.dot(X, W_xf) + np.dot(H, W_hf) + b_f)
        O = npx.sigmoid(np.dot(X, W_xo) + np.dot(H, W_ho) + b_o)  # noqa: E741
        C_tilda = np.tanh(np.dot(X, W_xc) + np.dot(H, W_hc) + b_c)
        C = F * C + I * C_tilda
        H = O * np.tanh(C)
        outputs.append(np.dot(H, W_hq) + b_q)
    return np.concatenate(outputs, axis=0), (H, C)


forward = {"rnn": rnn, "gru": gru, "lstm": lstm}[args.cell]
net = d2l.RNNModelScratch(len(vocab), args.hiddens, device, get_params, init_state, forward)


# gluon.loss.SoftmaxCrossEntropyLoss: -log softmax(ŷ)[y], per token (a label out of range is
# an error, where MXNet's pick would clip it)
loss = d2l.softmax_cross_entropy


# ---- training: the book's train_epoch_ch8, printing the perplexity it plots ----
clock = d2l.EpochClock(args.epochs)
for epoch in range(args.epochs):
    state, timer = None, d2l.Timer()
    metric = d2l.Accumulator(2)     # sum of losses, tokens
    for X, Y in train_iter:
        if state is None or args.random_iter:
            state = net.begin_state(batch_size=X.shape[0], ctx=device)
        else:
            # new arrays; the old state is a constant once its graph is freed (API §2)
            state = tuple(s.detach() for s in state)
        y = Y.T.reshape(-1)
        X, y = X.as_in_ctx(device), y.as_in_ctx(device)
        with autograd.record():
            y_hat, state = net(X, state)
            l = loss(y_hat, y).mean()  # noqa: E741 - the book's name for the loss
        l.backward()
        d2l.grad_clipping(net, 1)
        d2l.sgd(net.params, args.lr, 1)     # the loss is a mean already
        metric.add(float(l) * y.size, y.size)
    ppl, speed = math.exp(metric[0] / metric[1]), metric[1] / timer.stop()
    if epoch == 0:              # the whole run's length, up front
        print(f"{clock.first_epoch()} (--epochs N for fewer)", flush=True)
    if (epoch + 1) % args.report == 0:
        print(f"epoch {epoch + 1}, perplexity {ppl:.2f}, {clock.left(epoch + 1)}", flush=True)
print(f"perplexity {ppl:.1f}, {speed:.1f} tokens/sec on {device}")
print(d2l.predict_ch8("time traveller", 50, net, vocab, device))
print(d2l.predict_ch8("traveller", 50, net, vocab, device))
