"""Linear regression from scratch: d2l.ai §3.2 (MXNet edition), section by section.

Run it from the repository root:

    python examples/linreg.py
    python examples/linreg.py --plot linreg.png      # scatter of the data and the loss curve
    python examples/linreg.py --num-examples 1000000 --batch-size 1000 --fast --device cuda
    python examples/linreg.py --tape --graph loss.svg   # the first step's tape, trace, graph
    python examples/linreg.py --steps steps.html        # its backward pass, step by step

It prints what the chapter prints: the first example, the first minibatch, `epoch N, loss X`
after each epoch (about 0.03, 1e-4, 5e-5) and the errors in the learned w and b (about 5e-4),
then one line of timing. The chapter's functions live in microgradnd/d2l.py; this file is the
training script.
"""
import argparse
import random
import time

import microgradnd as mg
from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--num-examples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--lr", type=float, default=0.03, help="learning rate")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--seed", type=int, default=0, help="seeds np.random and Python's random")
parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
parser.add_argument("--fast", action="store_true",
                    help="read minibatches with d2l.fast_data_iter instead of the chapter's")
parser.add_argument("--plot", metavar="PATH", help="write a PNG of the data and the loss curve")
parser.add_argument("--tape", action="store_true",
                    help="print the tape and the backward trace of the first training step")
parser.add_argument("--graph", metavar="PATH",
                    help="draw the first step's loss graph (svg, png, pdf; needs Graphviz)")
parser.add_argument("--steps", metavar="PATH",
                    help="write an HTML page that animates the first step's backward pass")
args = parser.parse_args()

random.seed(args.seed)          # the chapter's data_iter shuffles with Python's random
np.random.seed(args.seed)

# ---- 3.2.1. Generating the dataset: y = Xw + b + noise, noise ~ N(0, 0.01²) ----
true_w = np.array([2, -3.4], device=args.device)
true_b = 4.2
features, labels = d2l.synthetic_data(true_w, true_b, args.num_examples)
print('features:', features[0], '\nlabel:', labels[0])

# ---- 3.2.2. Reading the dataset in shuffled minibatches ----
data_iter = d2l.fast_data_iter if args.fast else d2l.data_iter
batch_size = args.batch_size
for X, y in data_iter(batch_size, features, labels):
    print(X, '\n', y)
    break

# ---- 3.2.3. Initializing the parameters: w ~ N(0, 0.01²), b = 0 ----
w = np.random.normal(0, 0.01, (2, 1), device=args.device)
b = np.zeros(1, device=args.device)
w.attach_grad()
b.attach_grad()

# ---- 3.2.4 - 3.2.6. Model, loss and optimizer: d2l.linreg, d2l.squared_loss, d2l.sgd ----
net = d2l.linreg
loss = d2l.squared_loss

# ---- Looking inside one step (--tape, --graph): the first minibatch above, no update ----
if args.tape or args.graph:
    with autograd.record() as tape:
        l = loss(net(X, w, b), y)  # noqa: E741
    with autograd.trace_backward(tape) as trace:
        # retain_graph keeps what the nodes saved, so the graph can still be drawn afterwards;
        # w.grad and b.grad are filled here and overwritten by the first training step
        l.backward(retain_graph=True)
    if args.tape:
        print(tape)         # what forward recorded
        print(trace)        # what backward did, newest op first
    if args.graph:          # drawn after backward, so the boxes of w and b show their gradients
        base, _, fmt = args.graph.rpartition(".")
        try:
            graph = mg.draw_graph(l, show_values=True, names={"X": X, "w": w, "b": b, "l": l})
            graph.render(base or args.graph, format=fmt or "svg", cleanup=True)
            print('wrote', args.graph)
        except (ImportError, RuntimeError) as e:    # no graphviz package, or no `dot` program
            print('--graph skipped:', e)

# ---- Watching backward (--steps): the same first minibatch, one frame per backward step ----
if args.steps:
    with autograd.record():
        l = loss(net(X, w, b), y)  # noqa: E741
    # backward as l.backward() runs it (w.grad and b.grad are overwritten by the first
    # training step), keeping what each step did; the page needs no network to be viewed
    steps = autograd.step_backward(l, names={"X": X, "w": w, "b": b, "l": l})
    steps.save_html(args.steps)
    print('wrote', args.steps, f'({len(steps)} backward steps; open it in a browser)')

# ---- 3.2.7. Training ----
step_losses = []        # filled only for --plot: reading a loss back costs a device sync
start = time.perf_counter()
for epoch in range(args.epochs):
    for X, y in data_iter(batch_size, features, labels):
        with autograd.record():
            l = loss(net(X, w, b), y)  # noqa: E741 - the chapter's name for the loss
        l.backward()
        d2l.sgd([w, b], args.lr, batch_size)
        if args.plot:
            step_losses.append(l.mean().item())
    train_l = loss(net(features, w, b), labels)
    print('epoch %d, loss %f' % (epoch + 1, train_l.mean().item()))  # noqa: UP031
seconds = time.perf_counter() - start

print('Error in estimating w', true_w - w.reshape(true_w.shape))
print('Error in estimating b', true_b - b)
steps = args.epochs * -(-args.num_examples // batch_size)
print(f'trained {steps} steps in {seconds:.3f} s ({1e6 * seconds / steps:.0f} us/step) '
      f'on {features.device}')

if args.plot:
    try:
        import matplotlib
    except ImportError:
        print('--plot needs matplotlib: pip install "microgradnd[plot]" (or pip install '
              'matplotlib); skipping the plot')
    else:
        matplotlib.use("Agg")       # write a file; no window needed
        import matplotlib.pyplot as plt

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
        ax1.scatter(features[:, 1].asnumpy(), labels.asnumpy(), 1)
        ax1.set(xlabel='features[:, 1]', ylabel='labels', title='the synthetic data')
        ax2.semilogy(step_losses)
        ax2.set(xlabel='step', ylabel='minibatch loss', title=f'training, lr={args.lr}')
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print('wrote', args.plot)
