# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §4.4 "Model Selection, Underfitting, and Overfitting" (MXNet tab): its np cells
(the polynomial data set and evaluate_loss), with only the import changed.

The training cells use Gluon's layers (nn.Sequential, Trainer), which microgradnd does not
have. With D2L_SAME_RANDOM=1 NumPy draws the features, the shuffle and the noise in both
engines, so the data set can be compared with MXNet's.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
import math
from microgradnd import gluon, np, npx
from microgradnd import d2l
npx.set_np()

synthetic.same_random(np, d2l)      # prelude, continued (not the book's)

max_degree = 20  # Maximum degree of the polynomial
n_train, n_test = 100, 100  # Training and test dataset sizes
true_w = np.zeros(max_degree)  # Allocate lots of empty space
true_w[0:4] = np.array([5, 1.2, -3.4, 5.6])

features = np.random.normal(size=(n_train + n_test, 1))
np.random.shuffle(features)
poly_features = np.power(features, np.arange(max_degree).reshape(1, -1))
for i in range(max_degree):
    poly_features[:, i] /= math.gamma(i + 1)  # `gamma(n)` = (n-1)!
# Shape of `labels`: (`n_train` + `n_test`,)
labels = np.dot(poly_features, true_w)
labels += np.random.normal(scale=0.1, size=labels.shape)

features[:2], poly_features[:2, :], labels[:2]

def evaluate_loss(net, data_iter, loss):  #@save
    """Evaluate the loss of a model on the given dataset."""
    metric = d2l.Accumulator(2)  # Sum of losses, no. of examples
    for X, y in data_iter:
        l = loss(net(X), y)
        metric.add(l.sum(), d2l.size(l))
    return metric[0] / metric[1]

# ---- checks (not the book's) ----
# evaluate_loss with the true weights as the model, over gluon's DataLoader
w = true_w[:4].reshape(-1, 1)
data_iter = gluon.data.DataLoader(gluon.data.ArrayDataset(poly_features[:, :4], labels), 50)
true_loss = evaluate_loss(lambda X: np.dot(X, w), data_iter, gluon.loss.L2Loss())
random_names = [] if synthetic.SAME_RANDOM else ["features", "poly_features", "labels",
                                                 "true_loss"]
synthetic.report_cells(globals(), random=random_names)
