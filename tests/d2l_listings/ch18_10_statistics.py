# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §18.10 "Statistics" (MXNet tab), with only the import changed.
With D2L_SAME_RANDOM=1 NumPy draws the samples in both engines."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import d2l
from microgradnd import np, npx
import random
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

# Sample datapoints and create y coordinate
epsilon = 0.1
random.seed(8675309)
xs = np.random.normal(loc=0, scale=1, size=(300,))

ys = [np.sum(np.exp(-(xs[0:i] - xs[i])**2 / (2 * epsilon**2))
             / np.sqrt(2*np.pi*epsilon**2)) / len(xs) for i in range(len(xs))]

# Compute true density
xd = np.arange(np.min(xs), np.max(xs), 0.01)
yd = np.exp(-xd**2/2) / np.sqrt(2 * np.pi)

# Plot the results
d2l.plot(xd, yd, 'x', 'density')
d2l.plt.scatter(xs, ys)
d2l.plt.axvline(x=0)
d2l.plt.axvline(x=np.mean(xs), linestyle='--', color='purple')
d2l.plt.title(f'sample mean: {float(np.mean(xs)):.2f}')
d2l.plt.show()

ys_stacked = np.stack(ys)           # (not the book's)

# Statistical bias
def stat_bias(true_theta, est_theta):
    return(np.mean(est_theta) - true_theta)

# Mean squared error
def mse(data, true_theta):
    return(np.mean(np.square(data - true_theta)))

theta_true = 1
sigma = 4
sample_len = 10000
samples = np.random.normal(theta_true, sigma, sample_len)
theta_est = np.mean(samples)
theta_est

mse(samples, theta_true)

bias = stat_bias(theta_true, theta_est)
np.square(samples.std()) + np.square(bias)

mse_value = mse(samples, theta_true)                               # (not the book's)
decomposed = np.square(samples.std()) + np.square(bias)            # (not the book's)

# Number of samples
N = 1000

# Sample dataset
samples = np.random.normal(loc=0, scale=1, size=(N,))

# Lookup Students's t-distribution c.d.f.
t_star = 1.96

# Construct interval
mu_hat = np.mean(samples)
sigma_hat = samples.std(ddof=1)
(mu_hat - t_star*sigma_hat/np.sqrt(N), mu_hat + t_star*sigma_hat/np.sqrt(N))

# ---- checks (not the book's) ----
interval = np.stack([mu_hat - t_star*sigma_hat/np.sqrt(N), mu_hat + t_star*sigma_hat/np.sqrt(N)])
synthetic.report_cells(globals(), random=[] if synthetic.SAME_RANDOM else [
    "xs", "ys_stacked", "xd", "yd", "samples", "theta_est", "bias", "mse_value", "decomposed",
    "mu_hat", "sigma_hat", "interval"])
