"""Benchmark sweeps: ``convop.convolve(method='auto')`` against every installed peer.

Peers: :func:`numpy.convolve` (1-D), :func:`scipy.signal.convolve` with
``method='auto' | 'direct' | 'fft'``, :func:`scipy.signal.oaconvolve`, and when
torch is installed its native ``conv1d``/``conv2d`` and a plain ``torch.fft`` real
FFT convolution. All callables of one case are timed interleaved (round robin),
so load changes on a shared machine hit every method alike; each time is the
median over rounds.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from math import prod
from statistics import median

import numpy as np
import scipy.signal as ss

from convop._core import caches
from convop._core.config import options
from convop._operators.functional import convolve
from convop._planning.choose import choose_method
from convop._planning.cost import fast

#: skip a peer once its predicted single call exceeds this many seconds
SKIP_SECONDS = 5.0
#: skip torch's native 1-D conv when its im2col would exceed this many bytes
TORCH_MEMORY = 2 << 30
#: skip convop's gemm layer method when its patch matrix exceeds this many bytes
GEMM_MEMORY = 1 << 30
#: pause after timing a torch callable: its idle OpenMP threads spin for a while and
#: would slow down whatever is timed next
TORCH_REST = 0.05
FFT_PEERS = ("scipy fft", "scipy oaconvolve", "torch fft")


@dataclass
class Case:
    """One benchmark case and its measured median times (seconds)."""

    family: str  # "1d", "2d" or "layer"
    dtype: str
    mode: str
    n: int
    k: int
    times: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    convop: float = float("nan")
    convop_method: str = ""
    boundary: dict[str, float] = field(default_factory=dict)

    @property
    def best_peer(self) -> str:
        return min(self.times, key=self.times.__getitem__) if self.times else ""

    @property
    def ratio(self) -> float:
        """convop time / best peer time (< 1: convop faster)."""
        return self.convop / self.times[self.best_peer] if self.times else float("nan")

    def as_dict(self) -> dict:
        out = asdict(self)
        out.update(best_peer=self.best_peer, ratio=self.ratio)
        return out


def time_interleaved(
    fns: dict[str, Callable[[], object]], rounds: int = 5, budget: float = 0.02
) -> dict[str, float]:
    """Median seconds per call of every callable, measured round robin."""
    return {k: median(v) for k, v in time_samples(fns, rounds, budget).items()}


def time_samples(
    fns: dict[str, Callable[[], object]], rounds: int = 5, budget: float = 0.02
) -> dict[str, list[float]]:
    """Seconds per call of every callable in each round, measured round robin (one
    sample, the warm-up call, for callables too slow to repeat)."""
    loops, single = {}, {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        fn()  # warm-up (lazy imports, caches)
        single[name] = time.perf_counter() - t0
        if single[name] < 0.5:
            t0 = time.perf_counter()
            fn()
            single[name] = time.perf_counter() - t0
        loops[name] = max(1, int(budget / max(single[name], 1e-7)))
    # slow callables (> 0.5 s, > 2 s per call) get fewer rounds, the others all
    own = {k: rounds if t < 0.5 else min(rounds, 3) if t < 2 else 1 for k, t in single.items()}
    samples: dict[str, list[float]] = {k: [] for k in fns}
    names = list(fns)
    rested = False
    for r in range(max(own.values(), default=0) if max(own.values(), default=0) > 1 else 0):
        # rotate the order every round: whatever slows down the callable timed after
        # another (threads still spinning, cache state) hits every method alike
        for name in names[r % len(names) :] + names[: r % len(names)]:
            if own[name] <= r:
                continue
            fn = fns[name]
            if rested:
                _warm_up(fn)
                rested = False
            elif loops[name] == 1 and single[name] < 0.5:
                # a sample of one call pays for the previous callable's freed buffers
                # and idle threads (ConvLayer K = 3 float32: 19.8 ms cold, 5.7 warm)
                fn()
            t0 = time.perf_counter()
            for _ in range(loops[name]):
                fn()
            samples[name].append((time.perf_counter() - t0) / loops[name])
            if name.startswith("torch"):
                time.sleep(TORCH_REST)  # let torch's OpenMP threads stop spinning
                rested = True
    return {k: v if v else [single[k]] for k, v in samples.items()}


#: untimed calls after a rest, so the callable timed next does not pay for it
WARM_UP = 0.005


def _warm_up(fn: Callable[[], object], seconds: float = WARM_UP) -> None:
    """Call ``fn`` untimed for ``seconds`` (at least once). Rotation keeps the cyclic
    order of the callables, so one method always came right after the torch peers'
    rest and ran 25-35% slower (1-D N = 1e6, K = 3: numpy.convolve 620 -> 836 µs
    there, whichever method sat in that place)."""
    end = time.perf_counter() + seconds
    fn()
    while time.perf_counter() < end:
        fn()


def _torch() -> object | None:
    try:
        import torch
    except ImportError:
        return None
    return torch


def _flip(b: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(b[(slice(None, None, -1),) * b.ndim])


def peers(a: np.ndarray, b: np.ndarray, mode: str) -> dict[str, Callable[[], object]]:
    """The peer callables for ``convolve(a, b, mode)`` (same dtype, same result)."""
    out: dict[str, Callable[[], object]] = {}
    if a.ndim == 1:
        out["numpy convolve"] = lambda: np.convolve(a, b, mode)
    out["scipy auto"] = lambda: ss.convolve(a, b, mode)
    out["scipy direct"] = lambda: ss.convolve(a, b, mode, method="direct")
    out["scipy fft"] = lambda: ss.fftconvolve(a, b, mode)
    out["scipy oaconvolve"] = lambda: ss.oaconvolve(a, b, mode)
    torch = _torch()
    if torch is not None and a.ndim in (1, 2):
        import torch.nn.functional as F

        ta = torch.from_numpy(a)[None, None]
        tb = torch.from_numpy(_flip(b))[None, None]
        conv = F.conv1d if a.ndim == 1 else F.conv2d
        ks = b.shape
        if mode == "full":
            padding: object = tuple(k - 1 for k in ks)
        else:
            padding = "same"  # torch: extra sample on the right = scipy's centre for odd K

        def tconv() -> object:
            with torch.no_grad():
                return conv(ta, tb, padding=padding)[0, 0].numpy()

        out["torch conv"] = tconv
        full = tuple(p + q - 1 for p, q in zip(a.shape, b.shape))
        fs = tuple(fast(n) for n in full)
        tbb = torch.from_numpy(b)
        st = tuple((q - 1) // 2 for q in b.shape) if mode == "same" else (0,) * a.ndim
        sz = a.shape if mode == "same" else full
        sl = tuple(slice(s, s + n) for s, n in zip(st, sz))

        def tfft() -> object:
            fa = torch.fft.rfftn(ta[0, 0], fs)
            fa *= torch.fft.rfftn(tbb, fs)
            return torch.fft.irfftn(fa, fs)[sl].numpy()

        out["torch fft"] = tfft
    return out


def sweep_cases(quick: bool = False, tiny: bool = False) -> list[tuple[str, int, int]]:
    """(family, N, K) of the sweeps (K < N)."""
    if tiny:
        return [("1d", 1000, 3), ("1d", 1000, 31), ("2d", 32, 3)]
    if quick:
        n1, k1, n2, k2 = (10**3, 10**4, 10**5), (3, 31, 301), (64, 256), (3, 7, 15)
    else:
        n1, k1 = (10**3, 10**4, 10**5, 10**6), (3, 31, 301, 3001)
        n2, k2 = (64, 256, 1024), (3, 7, 15, 31)
    out = [("1d", n, k) for n in n1 for k in k1 if k < n]
    return out + [("2d", n, k) for n in n2 for k in k2]


def _predicted_skip(
    name: str, fam: str, n: int, k: int, dtype: str, mode: str, history: dict
) -> str | None:
    if name == "torch conv" and fam == "1d" and n * k * 8 > TORCH_MEMORY:
        return f"im2col of {n * k * 8 / 2**30:.0f} GiB"
    prev = history.get((name, fam, n, dtype, mode))
    if prev is None:
        return None
    k0, t0 = prev
    taps = (k / k0) ** (1 if fam == "1d" else 2)
    pred = t0 * (1.0 if name in FFT_PEERS else taps)
    if pred > SKIP_SECONDS:
        return f"predicted {pred:.0f} s per call (> {SKIP_SECONDS:.0f} s)"
    return None


def run_sweep(
    cases: Iterable[tuple[str, int, int]],
    dtypes: Iterable[str] = ("float64", "float32"),
    modes: Iterable[str] = ("full", "same"),
    rounds: int = 5,
    boundaries: Iterable[str] = ("periodic", "reflect"),
    progress: Callable[[str], None] | None = None,
) -> list[Case]:
    """Time every case; returns the measured :class:`Case` list."""
    rng = np.random.default_rng(0)
    results, history = [], {}
    todo = [(f, n, k, dt, m) for (f, n, k) in cases for dt in dtypes for m in modes]
    for i, (fam, n, k, dt, mode) in enumerate(todo):
        shape_a, shape_b = ((n,), (k,)) if fam == "1d" else ((n, n), (k, k))
        a = rng.standard_normal(shape_a).astype(dt)
        b = rng.standard_normal(shape_b).astype(dt)
        case = Case(fam, dt, mode, n, k)
        if progress:
            progress(f"[{i + 1}/{len(todo)}] {fam} N={n} K={k} {dt} {mode}")
        fns = {}
        for name, fn in peers(a, b, mode).items():
            why = _predicted_skip(name, fam, n, k, dt, mode, history)
            if why:
                case.skipped[name] = why
            else:
                fns[name] = fn
        fns["convop"] = lambda: convolve(a, b, mode)
        if mode == "same":
            for bnd in boundaries:
                fns[f"convop {bnd}"] = (lambda bd: lambda: convolve(a, b, mode, boundary=bd))(bnd)
        times = time_interleaved(fns, rounds=rounds)
        case.convop = times.pop("convop")
        for bnd in boundaries:
            if f"convop {bnd}" in times:
                case.boundary[bnd] = times.pop(f"convop {bnd}")
        case.times = times
        for name, t in times.items():
            history[(name, fam, n, dt, mode)] = (k, t)
        case.convop_method = choose_method(a, b, mode)
        results.append(case)
    return results


def layer_cases(quick: bool = False, tiny: bool = False) -> list[int]:
    return [3] if tiny else [3, 7] if quick else [3, 7, 15, 31]


def run_layers(
    ks: Iterable[int],
    batch: int = 16,
    channels: int = 32,
    size: int = 64,
    dtypes: Iterable[str] = ("float32",),
    rounds: int = 3,
    progress: Callable[[str], None] | None = None,
) -> list[Case]:
    """ConvLayer (padding K//2) against torch's native conv2d, per kernel size."""
    from convop._operators.layer import ConvLayer

    torch = _torch()
    rng = np.random.default_rng(0)
    out = []
    for dt in dtypes:
        for k in ks:
            if progress:
                progress(f"layer {batch}x{channels}->{channels} {size}x{size} K={k} {dt}")
            w = rng.standard_normal((channels, channels, k, k)).astype(dt)
            x = rng.standard_normal((batch, channels, size, size)).astype(dt)
            layer = ConvLayer(w, (channels, size, size), padding=k // 2)
            case = Case("layer", dt, "same", size, k, convop_method=layer.method_for(batch))
            fns: dict[str, Callable[[], object]] = {"convop": lambda: layer(x)}
            if torch is not None:
                tx, tw = torch.from_numpy(x), torch.from_numpy(w)

                def tconv() -> object:
                    with torch.no_grad():
                        return torch.nn.functional.conv2d(tx, tw, padding=k // 2).numpy()

                fns["torch conv"] = tconv
            for meth in ("gemm", "fft"):
                cols = batch * channels * k * k * size * size * np.dtype(dt).itemsize
                if meth == "gemm" and cols > GEMM_MEMORY:
                    case.skipped["convop gemm"] = f"im2col of {cols / 2**30:.1f} GiB"
                    continue
                if meth != case.convop_method:
                    other = ConvLayer(w, (channels, size, size), padding=k // 2, method=meth)
                    fns[f"convop {meth}"] = (lambda L: lambda: L(x))(other)
            times = time_interleaved(fns, rounds=rounds, budget=0.0)
            case.convop = times.pop("convop")
            case.boundary = {k2: v for k2, v in times.items() if k2.startswith("convop")}
            case.times = {k2: v for k2, v in times.items() if not k2.startswith("convop")}
            out.append(case)
    return out


def fft_memory(
    shape_a: tuple[int, ...], shape_b: tuple[int, ...], dtype: str = "float64", mode: str = "full"
) -> dict[str, float]:
    """Peak extra memory (tracemalloc) of the FFT path over the spectra sizes."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(dtype)
    b = rng.standard_normal(shape_b).astype(dtype)
    with options(torch=False):  # tracemalloc cannot see torch's memory
        return _fft_memory(a, b, mode)


def _fft_memory(a: np.ndarray, b: np.ndarray, mode: str) -> dict[str, float]:
    shape_a, shape_b = a.shape, b.shape
    convolve(a, b, mode, method="fft")
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = convolve(a, b, mode, method="fft")
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    fs = [fast(p + q - 1) for p, q in zip(shape_a, shape_b)]
    spec = prod(fs[:-1]) * (fs[-1] // 2 + 1) * 2 * a.itemsize
    return {
        "peak_bytes": float(peak),
        "spectrum_bytes": float(spec),
        "reference_bytes": float(3 * spec),
        "ratio": peak / (3 * spec),
        "output_bytes": float(out.nbytes),
    }


def choice_overhead(repeat: int = 2000) -> dict[str, float]:
    """Seconds per :func:`convop.choose_method` call, warm cache and cold cache."""
    a, b = np.ones(10**5), np.ones(31)
    t0 = time.perf_counter()
    for _ in range(repeat):
        choose_method(a, b, "same")
    warm = (time.perf_counter() - t0) / repeat
    shapes = [((10**5 + i,), (31 + i % 7,)) for i in range(200)]
    t0 = time.perf_counter()
    for sa, sb in shapes:
        caches.clear()
        choose_method(sa, sb, "same")
    cold = (time.perf_counter() - t0) / len(shapes)
    return {"warm_seconds": warm, "cold_seconds": cold}


def geomean(values: Iterable[float]) -> float:
    vals = [v for v in values if v == v and v > 0]
    return float(np.exp(np.mean(np.log(vals)))) if vals else float("nan")


def summary(cases: list[Case]) -> dict[str, float]:
    """Geometric means of convop/best-peer and convop/scipy-auto, worst case, boundary cost."""
    sweep = [c for c in cases if c.family != "layer"]
    out = {
        "geomean_vs_best": geomean(c.ratio for c in sweep),
        "worst_vs_best": max((c.ratio for c in sweep), default=float("nan")),
        "geomean_speedup_vs_scipy_auto": geomean(
            c.times["scipy auto"] / c.convop for c in sweep if "scipy auto" in c.times
        ),
    }
    bnd = [v / c.convop for c in sweep for v in c.boundary.values()]
    out["boundary_geomean"] = geomean(bnd)
    out["boundary_worst"] = max(bnd, default=float("nan"))
    out["boundary_above"] = boundary_above(cases)
    return out


#: the boundary-cost target: a non-zero boundary at most this many times the zero one
BOUNDARY_TARGET = 1.3


def boundary_above(cases: list[Case], limit: float = BOUNDARY_TARGET) -> list[dict]:
    """The sweep cases whose non-zero boundary costs more than ``limit`` times the
    zero boundary of the same call, worst first."""
    rows = [
        {
            "case": f"{c.family} N={c.n} K={c.k} {c.dtype} {c.mode}",
            "boundary": name,
            "ratio": t / c.convop,
            "zero_seconds": c.convop,
        }
        for c in cases
        if c.family != "layer"
        for name, t in c.boundary.items()
        if t > limit * c.convop
    ]
    return sorted(rows, key=lambda r: -r["ratio"])
