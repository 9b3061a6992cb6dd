# ruff: noqa - the book's code, kept verbatim
"""d2l-en v0.17.6, §11.9 "Adadelta", from scratch (MXNet tab); only the import changed."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()
AIRFOIL_ROWS = synthetic.knob("AIRFOIL_ROWS", 1503)

# ---- the book: import line changed ----
from microgradnd import d2l
from microgradnd import np, npx
npx.set_np()

# ---- prelude, continued: stand-ins ----
synthetic.patch_airfoil(d2l, AIRFOIL_ROWS)
synthetic.same_random(np, d2l)

# ---- the book ----
def init_adadelta_states(feature_dim):
    s_w, s_b = np.zeros((feature_dim, 1)), np.zeros(1)
    delta_w, delta_b = np.zeros((feature_dim, 1)), np.zeros(1)
    return ((s_w, delta_w), (s_b, delta_b))

def adadelta(params, states, hyperparams):
    rho, eps = hyperparams['rho'], 1e-5
    for p, (s, delta) in zip(params, states):
        # In-place updates via [:]
        s[:] = rho * s + (1 - rho) * np.square(p.grad)
        g = (np.sqrt(delta + eps) / np.sqrt(s + eps)) * p.grad
        p[:] -= g
        delta[:] = rho * delta + (1 - rho) * g * g

data_iter, feature_dim = d2l.get_data_ch11(batch_size=10)
d2l.train_ch11(adadelta, init_adadelta_states(feature_dim),
               {'rho': 0.9}, data_iter, feature_dim);

# ---- checks (not the book's) ----
synthetic.report()
