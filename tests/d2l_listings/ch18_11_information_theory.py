# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §18.11 "Information Theory" (MXNet tab), with only the import changed.

The section imports MXNet's older API beside `np`: `mxnet.ndarray.nansum` (microgradnd/
ndarray.py) and `mxnet.metric.NegativeLogLikelihood` (microgradnd/metric.py). With
D2L_SAME_RANDOM=1 NumPy draws the KL divergence's samples in both engines."""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
from microgradnd import np
from microgradnd.metric import NegativeLogLikelihood
from microgradnd.ndarray import nansum
import random

synthetic.same_random(np)           # prelude, continued (not the book's)

def self_information(p):
    return -np.log2(p)

self_information(1 / 64)

bits = self_information(1 / 64)     # (not the book's)

def entropy(p):
    entropy = - p * np.log2(p)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(entropy.as_nd_ndarray())
    return out

entropy(np.array([0.1, 0.5, 0.1, 0.3]))

H = entropy(np.array([0.1, 0.5, 0.1, 0.3]))        # (not the book's)
H_zero = entropy(np.array([0.0, 0.5, 0.5]))         # (not the book's): 0 log 0 is nan, left out

def joint_entropy(p_xy):
    joint_ent = -p_xy * np.log2(p_xy)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(joint_ent.as_nd_ndarray())
    return out

joint_entropy(np.array([[0.1, 0.5], [0.1, 0.3]]))

H_joint = joint_entropy(np.array([[0.1, 0.5], [0.1, 0.3]]))     # (not the book's)

def conditional_entropy(p_xy, p_x):
    p_y_given_x = p_xy/p_x
    cond_ent = -p_xy * np.log2(p_y_given_x)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(cond_ent.as_nd_ndarray())
    return out

conditional_entropy(np.array([[0.1, 0.5], [0.2, 0.3]]), np.array([0.2, 0.8]))

H_cond = conditional_entropy(np.array([[0.1, 0.5], [0.2, 0.3]]),
                             np.array([0.2, 0.8]))                 # (not the book's)

def mutual_information(p_xy, p_x, p_y):
    p = p_xy / (p_x * p_y)
    mutual = p_xy * np.log2(p)
    # Operator `nansum` will sum up the non-nan number
    out = nansum(mutual.as_nd_ndarray())
    return out

mutual_information(np.array([[0.1, 0.5], [0.1, 0.3]]),
                   np.array([0.2, 0.8]), np.array([[0.75, 0.25]]))

I_mutual = mutual_information(np.array([[0.1, 0.5], [0.1, 0.3]]), np.array([0.2, 0.8]),
                              np.array([[0.75, 0.25]]))            # (not the book's)

def kl_divergence(p, q):
    kl = p * np.log2(p / q)
    out = nansum(kl.as_nd_ndarray())
    return out.abs().asscalar()

random.seed(1)

nd_len = 10000
p = np.random.normal(loc=0, scale=1, size=(nd_len, ))
q1 = np.random.normal(loc=-1, scale=1, size=(nd_len, ))
q2 = np.random.normal(loc=1, scale=1, size=(nd_len, ))

p = np.array(sorted(p.asnumpy()))
q1 = np.array(sorted(q1.asnumpy()))
q2 = np.array(sorted(q2.asnumpy()))

kl_pq1 = kl_divergence(p, q1)
kl_pq2 = kl_divergence(p, q2)
similar_percentage = abs(kl_pq1 - kl_pq2) / ((kl_pq1 + kl_pq2) / 2) * 100

kl_pq1, kl_pq2, similar_percentage

kl_q2p = kl_divergence(q2, p)
differ_percentage = abs(kl_q2p - kl_pq2) / ((kl_q2p + kl_pq2) / 2) * 100

kl_q2p, differ_percentage

def cross_entropy(y_hat, y):
    ce = -np.log(y_hat[range(len(y_hat)), y])
    return ce.mean()

labels = np.array([0, 2])
preds = np.array([[0.3, 0.6, 0.1], [0.2, 0.3, 0.5]])

cross_entropy(preds, labels)

ce = cross_entropy(preds, labels)   # (not the book's)

nll_loss = NegativeLogLikelihood()
nll_loss.update(labels.as_nd_ndarray(), preds.as_nd_ndarray())
nll_loss.get()

# ---- checks (not the book's) ----
nll_name, nll = nll_loss.get()
nll = float(nll)                    # a NumPy float64 under MXNet, a Python float here
print(f'kl: {kl_pq1:.4f} {kl_pq2:.4f} {kl_q2p:.4f}, nll: {nll:.6f}')
synthetic.report_cells(globals(), nll_name=nll_name, random=[] if synthetic.SAME_RANDOM else [
    "p", "q1", "q2", "kl_pq1", "kl_pq2", "kl_q2p", "similar_percentage", "differ_percentage"])
