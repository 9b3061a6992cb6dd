# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §10.3 "Attention Scoring Functions" (MXNet tab): `masked_softmax` with
`npx.sequence_mask`, and the scoring functions' tensor code, with only the import changed.

Deviation, in the marked prelude: the book's `from mxnet.gluon import nn` is replaced, under
both engines, by a stand-in `nn` of plain array code (microgradnd has no layers): `nn.Block`
calls `forward`; `nn.Dense(units, use_bias=False, flatten=False)` multiplies the last axis by a
weight NumPy draws from Gluon's default uniform(-0.07, 0.07); `nn.Dropout` is the identity, as
Gluon's outside `autograd.record()`. The classes and their `forward` bodies are the book's.
With D2L_SAME_RANDOM=1 NumPy draws the random inputs in both engines.
"""
# ---- prelude (not the book's) ----
import types

import numpy
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
import math
from microgradnd import d2l
from microgradnd import np, npx
npx.set_np()

# ---- prelude, continued (not the book's): the stand-in for `from mxnet.gluon import nn` ----
synthetic.same_random(np, d2l)
_weights = numpy.random.RandomState(0)

class _Block:
    def __init__(self, **kwargs):
        pass

    def initialize(self):
        pass

    def __call__(self, *args):
        return self.forward(*args)

class _Dense:
    def __init__(self, units, use_bias=False, flatten=False):
        self.units, self.weight = units, None

    def __call__(self, x):
        if self.weight is None:
            self.weight = np.array(_weights.uniform(-0.07, 0.07, (x.shape[-1], self.units)),
                                   dtype='float32')
        return np.dot(x, self.weight)

class _Dropout:
    def __init__(self, rate):
        pass

    def __call__(self, x):
        return x

nn = types.SimpleNamespace(Block=_Block, Dense=_Dense, Dropout=_Dropout)

# ---- the book, continued ----
#@save
def masked_softmax(X, valid_lens):
    """Perform softmax operation by masking elements on the last axis."""
    # `X`: 3D tensor, `valid_lens`: 1D or 2D tensor
    if valid_lens is None:
        return npx.softmax(X)
    else:
        shape = X.shape
        if valid_lens.ndim == 1:
            valid_lens = valid_lens.repeat(shape[1])
        else:
            valid_lens = valid_lens.reshape(-1)
        # On the last axis, replace masked elements with a very large negative
        # value, whose exponentiation outputs 0
        X = npx.sequence_mask(X.reshape(-1, shape[-1]), valid_lens, True,
                              value=-1e6, axis=1)
        return npx.softmax(X).reshape(shape)

masked_softmax(np.random.uniform(size=(2, 2, 4)), d2l.tensor([2, 3]))

masked_1d = masked_softmax(np.random.uniform(size=(2, 2, 4)), d2l.tensor([2, 3]))  # (not the book's)

masked_softmax(np.random.uniform(size=(2, 2, 4)),
               d2l.tensor([[1, 3], [2, 4]]))

masked_2d = masked_softmax(np.random.uniform(size=(2, 2, 4)),  # (not the book's)
                           d2l.tensor([[1, 3], [2, 4]]))

#@save
class AdditiveAttention(nn.Block):
    """Additive attention."""
    def __init__(self, num_hiddens, dropout, **kwargs):
        super(AdditiveAttention, self).__init__(**kwargs)
        # Use `flatten=False` to only transform the last axis so that the
        # shapes for the other axes are kept the same
        self.W_k = nn.Dense(num_hiddens, use_bias=False, flatten=False)
        self.W_q = nn.Dense(num_hiddens, use_bias=False, flatten=False)
        self.w_v = nn.Dense(1, use_bias=False, flatten=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        # After dimension expansion, shape of `queries`: (`batch_size`, no. of
        # queries, 1, `num_hiddens`) and shape of `keys`: (`batch_size`, 1,
        # no. of key-value pairs, `num_hiddens`). Sum them up with
        # broadcasting
        features = np.expand_dims(queries, axis=2) + np.expand_dims(
            keys, axis=1)
        features = np.tanh(features)
        # There is only one output of `self.w_v`, so we remove the last
        # one-dimensional entry from the shape. Shape of `scores`:
        # (`batch_size`, no. of queries, no. of key-value pairs)
        scores = np.squeeze(self.w_v(features), axis=-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        # Shape of `values`: (`batch_size`, no. of key-value pairs, value
        # dimension)
        return npx.batch_dot(self.dropout(self.attention_weights), values)

queries, keys = d2l.normal(0, 1, (2, 1, 20)), d2l.ones((2, 10, 2))
# The two value matrices in the `values` minibatch are identical
values = np.arange(40).reshape(1, 10, 4).repeat(2, axis=0)
valid_lens = d2l.tensor([2, 6])

attention = AdditiveAttention(num_hiddens=8, dropout=0.1)
attention.initialize()
attention(queries, keys, values, valid_lens)

additive = attention(queries, keys, values, valid_lens)  # (not the book's)
additive_weights = attention.attention_weights           # (not the book's)

d2l.show_heatmaps(d2l.reshape(attention.attention_weights, (1, 1, 2, 10)),
                  xlabel='Keys', ylabel='Queries')

#@save
class DotProductAttention(nn.Block):
    """Scaled dot product attention."""
    def __init__(self, dropout, **kwargs):
        super(DotProductAttention, self).__init__(**kwargs)
        self.dropout = nn.Dropout(dropout)

    # Shape of `queries`: (`batch_size`, no. of queries, `d`)
    # Shape of `keys`: (`batch_size`, no. of key-value pairs, `d`)
    # Shape of `values`: (`batch_size`, no. of key-value pairs, value
    # dimension)
    # Shape of `valid_lens`: (`batch_size`,) or (`batch_size`, no. of queries)
    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        # Set `transpose_b=True` to swap the last two dimensions of `keys`
        scores = npx.batch_dot(queries, keys, transpose_b=True) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return npx.batch_dot(self.dropout(self.attention_weights), values)

queries = d2l.normal(0, 1, (2, 1, 2))
attention = DotProductAttention(dropout=0.5)
attention.initialize()
attention(queries, keys, values, valid_lens)

dot_product = attention(queries, keys, values, valid_lens)  # (not the book's)
dot_product_weights = attention.attention_weights           # (not the book's)

d2l.show_heatmaps(d2l.reshape(attention.attention_weights, (1, 1, 2, 10)),
                  xlabel='Keys', ylabel='Queries')

# ---- checks (not the book's) ----
random = [] if synthetic.SAME_RANDOM else ["masked_1d", "masked_2d", "queries"]
synthetic.report_cells(globals(), random=random)
