"""One process: time convop.convolve on 512^2 f32 with 9x9 (and 128^2 3x3: torch conv
route), torch imported or not, with single-threaded peers; counts engine calls."""

import json
import sys
import time

import numpy as np
import scipy.signal as ss

if sys.argv[1] == "torch":
    import torch  # noqa: F401
import convop  # noqa: E402
from convop._engines import fft as F
from convop._planning import routes

calls = {"torch_fft": 0, "scipy_fft_w1": 0, "scipy_fft_wN": 0}
_tp, _sp = F._torch_product, F._scipy_product


def tp(*a):
    calls["torch_fft"] += 1
    return _tp(*a)


def sp(a, b, axes, sizes, w):
    calls["scipy_fft_w1" if w == 1 else "scipy_fft_wN"] += 1
    return _sp(a, b, axes, sizes, w)


F._torch_product, F._scipy_product = tp, sp
rng = np.random.default_rng(0)
a = rng.standard_normal((512, 512)).astype(np.float32)
b = rng.standard_normal((9, 9)).astype(np.float32)
s = rng.standard_normal((128, 128)).astype(np.float32)
k = rng.standard_normal((3, 3)).astype(np.float32)
cases = {}
for bd in ("zero", "replicate"):
    for m in ("auto", "fft"):
        cases[f"512 9x9 {bd}/{m}"] = lambda bd=bd, m=m: convop.convolve(
            a, b, mode="same", boundary=bd, method=m
        )
    cases[f"128 3x3 {bd}/auto"] = lambda bd=bd: convop.convolve(s, k, mode="same", boundary=bd)
wl = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
xl = rng.standard_normal((16, 32, 32)).astype(np.float32)
layer = convop.ConvLayer(wl, (16, 32, 32), padding=1)
cases["layer 16ch 32x32 3x3 auto"] = lambda: layer(xl)
cases["peer 512 9x9 scipy.signal.fftconvolve"] = lambda: ss.fftconvolve(a, b, mode="same")
cases["peer 128 3x3 scipy.signal.convolve2d"] = lambda: ss.convolve2d(s, k, mode="same")


def one(f):
    for _ in range(4):
        f()
    ts = []
    t_end = time.perf_counter() + 0.3
    while len(ts) < 25 and (time.perf_counter() < t_end or len(ts) < 5):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)) * 1e3


res = {name: one(f) for name, f in cases.items()}
res["route 128 3x3 zero"] = routes.kind(s, k, "same", "zero")
res["route 512 9x9 replicate"] = routes.kind(a, b, "same", "replicate")
for kk, v in calls.items():
    res["calls " + kk] = str(v)
print(json.dumps(res))
