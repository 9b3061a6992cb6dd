"""The chapter's model at scale on a GPU: one full-batch gradient of the squared loss.

    python benchmarks/gpu.py                          # X: 10,000,000 x 100 float32 (4 GB)
    python benchmarks/gpu.py --n 20000 --d 8 --rounds 3   # a quick smoke run

Times one gradient step (forward, loss, backward) three ways on the same data: microgradnd,
the same gradient written by hand in CuPy (r = Xw + b - y, dw = Xᵀr, db = Σr, the sum spelled
flat: CuPy's r.sum(axis=0) is 160x slower) and PyTorch CUDA when it is installed. The
implementations take turns within each round and the medians are reported, with each one's
ratio to the CuPy step, its effective bandwidth (X read twice per step, per second) and that
as a fraction of the device-to-device copy rate measured in the same run. The "physical
floor" row is the time the bytes a step must move (X twice, y once, r written and read once)
take at that copy rate. Two more sections: sums over axis 0 ((n, 1) and (n/10, 100)) through
microgradnd, CuPy and PyTorch; and a chain of `y = y * 1.0001` ops, forward and backward
timed apart, per op (the first run apart too: it grows CuPy's memory pool).
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
parser.add_argument("--chain", type=int, default=10_000, help="ops in the per-op chain")
parser.add_argument("--chain-rounds", type=int, default=5, help="timed chains (medians)")
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
copy_bytes = min(2**30, max(2**26, 4 * args.n * args.d))     # the copy-rate buffer: 64 MB-1 GB
need = 4 * args.n * (args.d + 12) + 4 * args.n * 11 + 2 * copy_bytes
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


# ---- the same gradient by hand in CuPy ----


def step_floor():
    r = X @ w0
    r += b0
    r -= y
    # db = Σr as a flat sum: CuPy's r.sum(axis=0) of (n, 1) runs one thread block (3.2 ms at
    # n = 10M on an H200, against 0.02 ms for this), the cost microgradnd's backend avoids
    return X.T @ r, r.ravel().sum(keepdims=True)


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

# ---- the device-to-device copy rate: what memory can do here, read + write ----

src = cupy.ones(copy_bytes // 4, cupy.float32)
dst = cupy.empty_like(src)
copy_times = []
for _ in range(12):
    backend.synchronize("cuda:0")
    t0 = time.perf_counter()
    dst[...] = src
    backend.synchronize("cuda:0")
    copy_times.append(time.perf_counter() - t0)
copy_rate = 2 * src.nbytes / statistics.median(copy_times[2:])     # bytes read + written / s
del src, dst

# ---- report ----

moved = 2 * X.nbytes                 # what every step must read: X once forward, once backward
must_move = moved + 3 * y.nbytes     # and y read once, r written and read once
floor = statistics.median(times["CuPy by hand (floor)"])
physical = must_move / copy_rate
print(f"GPU: {gpu_name}; device-to-device copy rate {copy_rate / 1e12:.2f} TB/s (read + write, "
      f"{copy_bytes / 2**20:.0f} MiB copied); peak memory bandwidth {peak / 1e12:.2f} TB/s "
      f"({peak_from})")
print(f"CuPy {cupy.__version__}, NumPy {numpy.__version__}, microgradnd {mg.__version__}"
      + (f", PyTorch {torch.__version__}" if torch is not None else ", PyTorch: not run"))
print(f"X: {args.n:,} x {args.d} float32 ({X.nbytes / 1e9:.2f} GB); median of {args.rounds} "
      f"interleaved rounds of {args.steps} steps; GB/s counts X read twice per step, "
      f"'of copy' is that over the copy rate; the physical floor moves {must_move / 1e9:.2f} GB "
      "(X twice, y once, r written and read once) at the copy rate")
print()
print(f"{'implementation':<24}{'ms/step':>10}{'vs floor':>10}{'GB/s':>9}{'of copy':>9}"
      f"{'1st step, s':>13}")
rows = [("physical floor", physical * 1e3, physical / floor, moved / physical / 1e9,
         moved / physical / copy_rate, None)]
for name in steps:
    t = statistics.median(times[name])
    rows.append((name, t * 1e3, t / floor, moved / t / 1e9, moved / t / copy_rate, first[name]))
for name, ms, ratio, gbs, frac, first_s in rows:
    print(f"{name:<24}{ms:>10.3f}{ratio:>9.2f}x{gbs:>9.0f}{frac:>9.0%}"
          + (f"{first_s:>13.2f}" if first_s is not None else f"{'':>13}"))

# ---- sums over axis 0: CuPy's own reduction against the spelling microgradnd uses ----


def median_time(fn, reps):
    """Median seconds per call of fn over interleaved samples of `reps` calls."""
    samples = []
    for _ in range(args.rounds):
        backend.synchronize("cuda:0")
        t0 = time.perf_counter()
        for _ in range(reps):
            fn()
        backend.synchronize("cuda:0")
        samples.append((time.perf_counter() - t0) / reps)
    return statistics.median(samples)


print()
print(f"Sums over axis 0, float32 (us per call, median of {args.rounds} samples of "
      f"{args.steps} calls)")
print(f"{'shape':<18}{'microgradnd':>13}{'CuPy sum(0)':>13}{'PyTorch sum(0)':>16}"
      f"{'mg / PyTorch':>14}")


def time_sums(shape):
    """Microseconds per sum over axis 0 of a `shape` array: microgradnd, CuPy, PyTorch."""
    M = cupy.random.standard_normal(shape, dtype=cupy.float32)
    M_mg = mg.tensor(M)
    sums = {"mg": lambda: M_mg.sum(axis=0), "cupy": lambda: M.sum(axis=0)}
    if torch is not None:
        M_t = torch.from_dlpack(M)
        sums["torch"] = lambda: M_t.sum(0)
    for fn in sums.values():            # compile
        fn()
    err = float(abs(sums["mg"]().data - M.sum(axis=0)).max() / abs(M).sum(axis=0).max())
    if err > 1e-4:
        sys.exit(f"microgradnd's sum of {shape} disagrees with CuPy's: relative error {err:.1e}")
    return {k: median_time(fn, args.steps) * 1e6 for k, fn in sums.items()}


for shape in [(args.n, 1), (max(args.n // 10, 1), 100)]:
    us = time_sums(shape)
    ratio = f"{us['mg'] / us['torch']:.2f}x" if "torch" in us else "-"
    print(f"{str(shape):<18}{us['mg']:>13.1f}{us['cupy']:>13.1f}"
          f"{us.get('torch', float('nan')):>16.1f}{ratio:>14}")

# ---- per-op overhead: a chain of y = y * 1.0001, forward and backward timed apart ----


def chain_mg(size):
    x = mg.tensor(cupy.ones(size, cupy.float32) if size else cupy.ones((), cupy.float32))
    x.attach_grad()

    def run():
        backend.synchronize("cuda:0")
        t0 = time.perf_counter()
        with autograd.record():
            y = x
            for _ in range(args.chain):
                y = y * 1.0001
        backend.synchronize("cuda:0")
        t1 = time.perf_counter()
        y.backward()
        backend.synchronize("cuda:0")
        return t1 - t0, time.perf_counter() - t1
    return run


def chain_torch(size):
    x = torch.ones(size if size else (), device="cuda", requires_grad=True)

    def run():
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        y = x
        for _ in range(args.chain):
            y = y * 1.0001
        torch.cuda.synchronize()
        t1 = time.perf_counter()
        y.sum().backward()
        torch.cuda.synchronize()
        x.grad = None
        return t1 - t0, time.perf_counter() - t1
    return run


print()
print(f"A chain of {args.chain:,} ops y = y * 1.0001, then backward (us per op; median of "
      f"{args.chain_rounds} chains; 'first' is the first chain, which grows CuPy's pool)")
print(f"{'implementation':<28}{'forward':>9}{'backward':>10}{'total':>8}{'first total':>13}")
for size in (0, 1000):
    chains = {f"microgradnd, {size or '0-d'}": chain_mg(size)}
    if torch is not None:
        chains[f"PyTorch, {size or '0-d'}"] = chain_torch(size)
    results = {name: [run()] for name, run in chains.items()}     # the first, cold chains
    for _ in range(args.chain_rounds):
        for name, run in chains.items():
            results[name].append(run())
    for name, runs in results.items():
        fwd = statistics.median(r[0] for r in runs[1:]) / args.chain * 1e6
        bwd = statistics.median(r[1] for r in runs[1:]) / args.chain * 1e6
        cold = sum(runs[0]) / args.chain * 1e6
        print(f"{name:<28}{fwd:>9.1f}{bwd:>10.1f}{fwd + bwd:>8.1f}{cold:>13.1f}")

print()
print("As a Markdown table for docs/gpu.md:")
print()
print("| implementation | ms / step | vs CuPy by hand | effective GB/s | of copy rate |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, ms, ratio, gbs, frac, _ in rows:
    print(f"| {name} | {ms:.3f} | {ratio:.2f}x | {gbs:.0f} | {frac:.0%} |")
