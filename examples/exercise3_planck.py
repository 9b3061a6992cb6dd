"""Exercise 3: use Planck's law to find an object's temperature from its spectral energy density.

Run it from the repository root:

    python examples/exercise3_planck.py
    python examples/exercise3_planck.py --temperature 3000 --init 20000

Planck: u(λ, T) = 8πhc/λ⁵ · 1/(exp(hc/(λkT)) - 1), in J/m⁴ (energy per volume per metre of
wavelength). We measure u at random wavelengths with 2% noise and recover T by SGD. In SI
units this fails: u is ~1e5 J/m⁴ and its slope in T is steep, so the script's lr sends T to
nan and a 1000x smaller one barely moves it (1000 K to 1007 K).
In sensible units it converges from any start: λ in µm, u divided by 8πhc·1e30 and compared
on a log scale (relative errors), and the parameter is β = 1 kK / T, in which log u is nearly
linear (Wien's limit: log u ≈ -5 log λ - c₂β/λ). It prints e.g.
`recovered T = 5780 K (true 5778 K, start 1000 K)`.
"""
import argparse
import math
import warnings

from microgradnd import autograd, d2l, np

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--temperature", type=float, default=5778.0, help="true T in kelvin (Sun)")
parser.add_argument("--init", type=float, default=1000.0, help="initial guess of T, kelvin")
parser.add_argument("--samples", type=int, default=100)
parser.add_argument("--noise", type=float, default=0.02, help="relative measurement noise")
parser.add_argument("--batch-size", type=int, default=10)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

h, c, k = 6.62607015e-34, 2.99792458e8, 1.380649e-23     # SI, exact since 2019
C2 = h * c / k * 1e6 / 1e3              # hc/k = 14.39 µm·kK: the exponent's constant
PREFACTOR = 8 * math.pi * h * c * 1e30  # 8πhc/λ⁵ in J/m⁴ when λ is in µm


def log_planck(lam, beta):
    """log(u / PREFACTOR) for λ in µm and β = 1 kK / T; log(e^x - 1) = x + log(1 - e^-x)."""
    x = C2 * beta / lam
    return -5 * np.log(lam) - (x + np.log(1 - np.exp(-x)))


# ---- the measurements, in SI units as an instrument would report them ----
np.random.seed(args.seed)
lam = np.random.uniform(0.25, 2.5, (args.samples,))                       # µm
beta_true = 1e3 / args.temperature
u = PREFACTOR * np.exp(log_planck(lam, beta_true)) \
    * (1 + np.random.normal(0, args.noise, (args.samples,)))               # J/m⁴
print(f"{args.samples} measurements, e.g. u({lam[0].item():.3f} um) = {u[0].item():.4g} J/m^4")

# ---- naive: T in kelvin fitted to raw u. No learning rate works for every step ----
def planck_si(lam_m, T):
    """u(λ, T) in J/m⁴ for λ in metres and T in kelvin."""
    return 8 * math.pi * h * c / lam_m ** 5 / (np.exp(h * c / (lam_m * k * T)) - 1)


lam_m = lam * 1e-6
for lr in (args.lr, 1e-6):
    T = np.array([args.init])
    T.attach_grad()
    with warnings.catch_warnings():     # exp and / overflow to inf on the way to nan
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(args.epochs):
            for lam_b, u_b in d2l.fast_data_iter(args.batch_size, lam_m, u):
                with autograd.record():
                    loss = d2l.squared_loss(planck_si(lam_b, T), u_b)
                loss.backward()
                d2l.sgd([T], lr, len(lam_b))
    print(f"SI units, lr {lr:g}: T = {T.item():.6g} K after {args.epochs} epochs")

# ---- sensible units: log of the scaled density, parameter β = 1 kK / T ----
target = np.log(u / PREFACTOR)
beta = np.array([1e3 / args.init])
beta.attach_grad()
for epoch in range(args.epochs):
    for lam_b, y_b in d2l.fast_data_iter(args.batch_size, lam, target):
        with autograd.record():
            loss = d2l.squared_loss(log_planck(lam_b, beta), y_b)
        loss.backward()
        d2l.sgd([beta], args.lr, len(lam_b))
    if epoch + 1 in (1, 2, 5, args.epochs):
        mse = d2l.squared_loss(log_planck(lam, beta), target).mean().item()
        print(f"epoch {epoch + 1}, loss {mse:.6f}, T = {1e3 / beta.item():.0f} K")
print(f"recovered T = {1e3 / beta.item():.0f} K (true {args.temperature:.0f} K, "
      f"start {args.init:.0f} K)")
