"""Exercise 2: be Georg Simon Ohm — learn a resistance from noisy (current, voltage) pairs.

Run it from the repository root:

    python examples/exercise2_ohm.py
    python examples/exercise2_ohm.py --resistance 100 --noise 0.5

Ohm's model is V = R·I: a linear model with one weight and no bias. We also fit an offset
V0 (a voltmeter's zero error) to check that the data says it is ~0. It prints the learned
R and V0 beside the truth and the closed-form least-squares answer, e.g.
`learned R = 4.6928 ohm (true 4.7 ohm, least squares 4.6890 ohm)`.
"""
import argparse

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--resistance", type=float, default=4.7, help="true R in ohms")
parser.add_argument("--max-current", type=float, default=2.0, help="I ~ U(0, this) amperes")
parser.add_argument("--noise", type=float, default=0.05, help="voltmeter noise, volts")
parser.add_argument("--measurements", type=int, default=200)
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

np.random.seed(args.seed)
current = np.random.uniform(0, args.max_current, (args.measurements, 1))     # amperes
voltage = args.resistance * current[:, 0] \
    + np.random.normal(0, args.noise, (args.measurements,))                  # volts

# Standardize the current (mean 0, spread 1) so that one step size suits both parameters
# whatever the units: V = w·(I - mean)/std + b, hence R = w/std and V0 = b - R·mean.
mean, std = current.mean().item(), ((current - current.mean()) ** 2).mean().sqrt().item()
X = (current - mean) / std
w = np.zeros((1, 1))
v0 = np.zeros(1)
w.attach_grad()
v0.attach_grad()
for epoch in range(args.epochs):
    for Xb, Vb in d2l.fast_data_iter(args.batch_size, X, voltage):
        with autograd.record():
            loss = d2l.squared_loss(d2l.linreg(Xb, w, v0), Vb)
        loss.backward()
        d2l.sgd([w, v0], args.lr, len(Xb))
    if epoch + 1 in (1, args.epochs // 2, args.epochs):
        mse = d2l.squared_loss(d2l.linreg(X, w, v0), voltage).mean().item()
        print(f"epoch {epoch + 1}, loss {mse:.6f}")

R = w.item() / std
V0 = v0.item() - R * mean
# Least squares on [I, 1] for comparison: solve the 2x2 normal equations by hand.
i, v = current[:, 0].numpy().astype("float64"), voltage.numpy().astype("float64")
n, si, sv, sii, siv = len(i), i.sum(), v.sum(), (i * i).sum(), (i * v).sum()
R_ls = (n * siv - si * sv) / (n * sii - si * si)
V0_ls = (sv - R_ls * si) / n
print(f"learned R = {R:.4f} ohm (true {args.resistance:g} ohm, least squares {R_ls:.4f} ohm)")
print(f"learned V0 = {V0:+.4f} V (true 0 V, least squares {V0_ls:+.4f} V)")
