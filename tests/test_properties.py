"""Property tests: random broadcastable shape pairs through every binary op."""
import numpy
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import microgradnd as mg

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
}


@st.composite
def broadcastable_pair(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
    a_shape, b_shape = shapes.input_shapes
    values = st.floats(0.5, 2.0)                       # positive, away from zero: valid for all
    a = draw(hnp.arrays(numpy.float64, a_shape, elements=values))
    b = draw(hnp.arrays(numpy.float64, b_shape, elements=values))
    return a, b


@settings(max_examples=60, deadline=None)
@given(pair=broadcastable_pair(), op=st.sampled_from(sorted(BINARY)))
def test_binary_ops_broadcast_and_reduce_gradients(pair, op):
    a, b = pair
    fn = BINARY[op]
    out = fn(mg.tensor(a), mg.tensor(b))
    numpy.testing.assert_allclose(out.numpy(), fn(a, b))
    assert mg.gradcheck(fn, [a, b])
