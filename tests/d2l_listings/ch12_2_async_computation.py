# ruff: noqa - the book's code, kept verbatim
"""d2l-en, §12.2 "Asynchronous Computation" (MXNet tab): its np cells, with only the import
changed. On a machine without a GPU, d2l.try_gpu() is the CPU, as in MXNet. The cells that
build a Gluon network (nn.Sequential) are left out: microgradnd has no layers.
"""
# ---- prelude (not the book's) ----
import synthetic

synthetic.headless()

# ---- the book: import lines changed ----
import os
import subprocess
import numpy
from microgradnd import autograd, gluon, np, npx
from microgradnd import d2l
npx.set_np()

# Warmup for GPU computation
device = d2l.try_gpu()
a = np.random.normal(size=(1000, 1000), ctx=device)
b = np.dot(a, a)

with d2l.Benchmark('numpy'):
    for _ in range(10):
        a = numpy.random.normal(size=(1000, 1000))
        b = numpy.dot(a, a)

with d2l.Benchmark('mxnet.np'):
    for _ in range(10):
        a = np.random.normal(size=(1000, 1000), ctx=device)
        b = np.dot(a, a)

with d2l.Benchmark():
    for _ in range(10):
        a = np.random.normal(size=(1000, 1000), ctx=device)
        b = np.dot(a, a)
    npx.waitall()

x = np.ones((1, 2), ctx=device)
y = np.ones((1, 2), ctx=device)
z = x * y + 2
z

# ---- checks (not the book's) ----
synthetic.report_cells(globals(), random=["a", "b"])
