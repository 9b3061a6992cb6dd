"""Record MXNet 1.9.1's npx.convolution, pooling, batch_dot and sequence_mask, values and
gradients, into mxnet_conv.npz beside this file (read by tests/test_conv.py).

    /work/mxvenv/bin/python tests/data/mxnet_conv_reference.py

Not part of the test suite: CI has no MXNet. The cases (CASES, shared with the test) are
written once, in plain Python that both engines' `npx` run; the inputs are drawn here from
NumPy's seeded generator and stored with the results.
"""
from pathlib import Path

import numpy as onp

HERE = Path(__file__).resolve().parent

# name: (the call, as source over `npx` and the inputs a, b, c, L; the inputs' shapes)
CASES = {
    "conv": ("npx.convolution(a, b, c, kernel=(3, 3), num_filter=4, stride=(2, 1), "
             "pad=(1, 1))", [(2, 3, 7, 6), (4, 3, 3, 3), (4,)]),
    "conv_groups_dilate": ("npx.convolution(a, b, None, kernel=(2, 2), num_filter=6, "
                           "num_group=3, dilate=(2, 1), no_bias=True)",
                           [(2, 3, 7, 6), (6, 1, 2, 2)]),
    "max_ties": ("npx.pooling(a, kernel=(2, 2), pool_type='max')", [(2, 3, 7, 6)]),
    "max_pad": ("npx.pooling(a, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='max')",
                [(2, 3, 7, 6)]),
    "avg_pad": ("npx.pooling(a, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type='avg')",
                [(2, 3, 7, 6)]),
    "avg_pad_exclude": ("npx.pooling(a, kernel=(3, 3), stride=(2, 2), pad=(1, 1), "
                        "pool_type='avg', count_include_pad=False)", [(2, 3, 7, 6)]),
    "avg_book": ("npx.pooling(a, pool_type='avg', kernel=(2, 2), stride=(2, 2))",
                 [(2, 3, 7, 6)]),
    "sum": ("npx.pooling(a, kernel=(2, 2), stride=(2, 2), pool_type='sum')", [(2, 3, 7, 6)]),
    "global_avg": ("npx.pooling(a, kernel=(1, 1), global_pool=True, pool_type='avg')",
                   [(2, 3, 7, 6)]),
    "batch_dot_tb": ("npx.batch_dot(a, b, transpose_b=True)", [(2, 3, 4), (2, 5, 4)]),
    "batch_dot_ta": ("npx.batch_dot(a, b, transpose_a=True)", [(2, 4, 3), (2, 4, 3)]),
    "mask_axis1": ("npx.sequence_mask(a, L, True, value=-5.0, axis=1)", [(3, 4, 2)]),
    "mask_axis0": ("npx.sequence_mask(a, L, True, axis=0)", [(4, 3, 2)]),
}
LENGTHS = [1.0, 3.0, 0.0]


def inputs(name, seed=0):
    """The float32 inputs of one case; max pooling's get ties (a block of equal values)."""
    rng = onp.random.default_rng(seed)
    arrays = [rng.standard_normal(s).astype(onp.float32) for s in CASES[name][1]]
    if name == "max_ties":
        arrays[0][0, 0, :2, :2] = 1.0
    return arrays


def head(shape):
    """The head gradient of every case: distinct values, so each gradient entry is checked."""
    return onp.linspace(-1, 1, int(onp.prod(shape))).reshape(shape).astype(onp.float32)


def main():
    from mxnet import autograd, np, npx
    npx.set_np()
    out = {}
    for name, (source, _) in CASES.items():
        arrays = inputs(name)
        xs = [np.array(a) for a in arrays]
        for x in xs:
            x.attach_grad()
        env = dict(zip("abc", xs), npx=npx, L=np.array(LENGTHS))
        with autograd.record():
            y = eval(source, env)
        y.backward(np.array(head(y.shape)))
        for i, a in enumerate(arrays):
            out[f"{name}/input{i}"] = a
            out[f"{name}/grad{i}"] = xs[i].grad.asnumpy()
        out[f"{name}/value"] = y.asnumpy()
    onp.savez_compressed(HERE / "mxnet_conv.npz", **out)
    print(f"wrote {len(CASES)} cases to {HERE / 'mxnet_conv.npz'}")


if __name__ == "__main__":
    main()
