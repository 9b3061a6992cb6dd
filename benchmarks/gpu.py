"""The chapter's model at scale on a GPU: one full-batch gradient of the squared loss.

    python benchmarks/gpu.py                          # X: 10,000,000 x 100 float32 (4 GB)
    python benchmarks/gpu.py --n 20000 --d 8 --rounds 3   # a quick smoke run

Times one gradient step (forward, loss, backward) three ways on the same data: microgradnd, the
floor (the same gradient written by hand in CuPy: r = Xw + b - y, dw = Xᵀr, db = Σr) and
PyTorch CUDA when it is installed. The implementations take turns within each round and the
medians are reported, with each one's ratio to the floor and its effective memory bandwidth:
the bytes a step cannot avoid moving (X read twice) per second, as a fraction of the GPU's peak.
Exits with status 1 and a message when no GPU is visible.
"""
import argparse
import statistics
import sys
import time

import numpy

import microgradnd as mg
from microgradnd import autograd, backend

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--n", type=int, default=10_000_000, help="examples (rows of X)")
parser.add_argument("--d", type=int, default=100, help="features (columns of X)")
parser.add_argument("--rounds", type=int, default=25, help="timed rounds (medians over these)")
parser.add_argument("--steps", type=int, default=10, help="gradient steps per timed sample")
parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
parser.add_argument("--peak-gbs", type=float, default=None,
                    help="the GPU's peak memory bandwidth in GB/s (default: from the device)")
args = parser.parse_args()

if not mg.cuda_is_available():
    sys.exit("benchmarks/gpu.py needs an NVIDIA GPU and CuPy, and found none: "
             + backend.why_no_cuda())

import cupy  # noqa: E402 - only after we know there is a GPU; the floor is written in CuPy

torch = None
if not args.no_torch:
    try:
        import torch
    except ImportError:
        pass
    if torch is not None and not torch.cuda.is_available():
        torch = None

# ---- the device and its peak bandwidth ----

props = cupy.cuda.runtime.getDeviceProperties(0)
gpu_name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
free_bytes, _ = cupy.cuda.Device(0).mem_info
need = 4 * args.n * (args.d + 12)
if need > 0.9 * free_bytes:
    sys.exit(f"X of {args.n:,} x {args.d} float32 and its buffers need about {need / 1e9:.1f} "
             f"GB; the GPU has {free_bytes / 1e9:.1f} GB free: use a smaller --n")
if args.peak_gbs is not None:
    peak, peak_from = args.peak_gbs * 1e9, "given with --peak-gbs"
else:
    rt = cupy.cuda.runtime
    # cudaDeviceGetAttribute works on every CUDA: CUDA 13 removed memoryClockRate from
    # cudaDeviceProp (CuPy 14 fills getDeviceProperties' key from this attribute instead).
    clock_khz = rt.deviceGetAttribute(rt.cudaDevAttrMemoryClockRate, 0)      # kHz
    bus_bits = rt.deviceGetAttribute(rt.cudaDevAttrGlobalMemoryBusWidth, 0)  # bits
    # Two transfers per clock (DDR/HBM): an H100 SXM gives 2619 MHz x 5120 bits = 3.35 TB/s,
    # an H200 3201 MHz x 6144 bits = 4.9 TB/s (its datasheet says 4.8).
    peak = 2 * clock_khz * 1e3 * bus_bits / 8
    peak_from = f"{clock_khz / 1e3:.0f} MHz x {bus_bits}-bit x 2"
    if peak <= 0:
        sys.exit("the GPU does not report its memory clock and bus width: pass --peak-gbs "
                 "(an H200 has about 4800)")

# ---- the data: y = X w* + 4.2 + noise, made on the GPU ----

cupy.random.seed(0)
X = cupy.random.standard_normal((args.n, args.d), dtype=cupy.float32)
true_w = cupy.random.standard_normal((args.d, 1), dtype=cupy.float32)
y = X @ true_w + 4.2
y += 0.01 * cupy.random.standard_normal((args.n, 1), dtype=cupy.float32)
w0 = 0.01 * cupy.random.standard_normal((args.d, 1), dtype=cupy.float32)
b0 = cupy.zeros(1, dtype=cupy.float32)

# ---- microgradnd: the chapter's code ----


def linreg(X, w, b):
    return X.dot(w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


X_mg, y_mg = mg.tensor(X), mg.tensor(y)          # wrapped, not copied
w, b = mg.tensor(w0.copy()), mg.tensor(b0.copy())
w.attach_grad()
b.attach_grad()


def step_microgradnd():
    with autograd.record():
        loss = squared_loss(linreg(X_mg, w, b), y_mg)
    loss.backward()
    return w.grad.data, b.grad.data


# ---- the floor: the same gradient by hand in CuPy ----


def step_floor():
    r = X @ w0
    r += b0
    r -= y
    return X.T @ r, r.sum(axis=0)


# ---- PyTorch, sharing the same GPU memory through DLPack ----

if torch is not None:
    X_t, y_t = torch.from_dlpack(X), torch.from_dlpack(y)
    w_t = torch.from_dlpack(w0.copy()).requires_grad_()
    b_t = torch.from_dlpack(b0.copy()).requires_grad_()

    def step_torch():
        w_t.grad = b_t.grad = None
        loss = (X_t @ w_t + b_t - y_t.reshape(-1, 1)) ** 2 / 2
        loss.sum().backward()
        return cupy.from_dlpack(w_t.grad), cupy.from_dlpack(b_t.grad)

steps = {"CuPy by hand (floor)": step_floor, "microgradnd": step_microgradnd}
if torch is not None:
    steps[f"PyTorch {torch.__version__}"] = step_torch

# ---- warm up (CuPy compiles its kernels on first use) and check the answers agree ----

first = {}
for name, step in steps.items():
    backend.synchronize("cuda:0")
    t0 = time.perf_counter()
    step()
    backend.synchronize("cuda:0")
    first[name] = time.perf_counter() - t0
    for _ in range(2):
        step()
want_w, want_b = (cupy.asnumpy(a) for a in step_floor())
for name, step in steps.items():
    got_w, got_b = (cupy.asnumpy(a) for a in step())
    err = max(numpy.abs(got_w - want_w).max() / numpy.abs(want_w).max(),
              numpy.abs(got_b - want_b).max() / max(numpy.abs(want_b).max(), 1e-30))
    if err > 1e-3:
        sys.exit(f"{name} disagrees with the floor: relative error {err:.2e}")

# ---- timed rounds, interleaved: each round runs every implementation, in a rotating order ----

times = {name: [] for name in steps}
names = list(steps)
for r in range(args.rounds):
    for name in names[r % len(names):] + names[:r % len(names)]:
        step = steps[name]
        backend.synchronize("cuda:0")
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        backend.synchronize("cuda:0")
        times[name].append((time.perf_counter() - t0) / args.steps)

# ---- report ----

moved = 2 * X.nbytes                 # the floor of traffic: X read once forward, once backward
floor = statistics.median(times["CuPy by hand (floor)"])
print(f"GPU: {gpu_name}; peak memory bandwidth {peak / 1e12:.2f} TB/s ({peak_from})")
print(f"CuPy {cupy.__version__}, NumPy {numpy.__version__}, microgradnd {mg.__version__}"
      + (f", PyTorch {torch.__version__}" if torch is not None else ", PyTorch: not run"))
print(f"X: {args.n:,} x {args.d} float32 ({X.nbytes / 1e9:.2f} GB); median of {args.rounds} "
      f"interleaved rounds of {args.steps} steps; bandwidth counts X read twice per step")
print()
print(f"{'implementation':<24}{'ms/step':>10}{'vs floor':>10}{'GB/s':>9}{'of peak':>9}"
      f"{'1st step, s':>13}")
rows = []
for name in steps:
    t = statistics.median(times[name])
    rows.append((name, t * 1e3, t / floor, moved / t / 1e9, moved / t / peak, first[name]))
    print(f"{name:<24}{t * 1e3:>10.3f}{t / floor:>9.2f}x{moved / t / 1e9:>9.0f}"
          f"{moved / t / peak:>9.0%}{first[name]:>13.2f}")
print()
print("As a Markdown table for docs/gpu.md:")
print()
print("| implementation | ms / step | vs floor | effective GB/s | of peak |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, ms, ratio, gbs, frac, _ in rows:
    print(f"| {name} | {ms:.3f} | {ratio:.2f}x | {gbs:.0f} | {frac:.0%} |")
