"""``convop bench [--quick] [--out DIR]``: sweeps, table, ``results.json`` and a plot."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from convop._tools import bench as _bench


def _fmt(t: float) -> str:
    if t != t:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t * 1e6:.2g} us"


def table(cases: list[_bench.Case]) -> str:
    """Plain-text table: case, best peer, its time, convop time, ratio."""
    rows = [("case", "best peer", "peer time", "convop", "ratio", "convop method")]
    for c in cases:
        size = f"{c.n}" if c.family == "1d" else f"{c.n}x{c.n}"
        ksz = f"{c.k}" if c.family == "1d" else f"{c.k}x{c.k}"
        name = f"{c.family} N={size} K={ksz} {c.dtype} {c.mode}"
        best = c.best_peer
        rows.append(
            (
                name,
                best or "-",
                _fmt(c.times.get(best, float("nan"))),
                _fmt(c.convop),
                f"{c.ratio:.2f}",
                c.convop_method,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


PEER_COLORS = {
    "numpy convolve": "C0",
    "scipy auto": "C1",
    "scipy direct": "C2",
    "scipy fft": "C3",
    "scipy oaconvolve": "C4",
    "torch conv": "C5",
    "torch fft": "C6",
}


def _log_axes(ax: Any, ks: list[int]) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(ks)
    ax.set_xticklabels([str(k) for k in ks])
    ax.minorticks_off()


def plot(cases: list[_bench.Case], path: Path) -> Path:
    """Time vs kernel size per method (float64, mode full), one panel per input size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sel = [c for c in cases if c.family != "layer" and c.mode == "full"]
    dts = sorted({c.dtype for c in sel})
    sel = [c for c in sel if c.dtype == ("float64" if "float64" in dts else dts[0])] if dts else []
    panels = sorted({(c.family, c.n) for c in sel})
    layers = [c for c in cases if c.family == "layer"]
    npan = len(panels) + (1 if layers else 0)
    cols = min(4, max(npan, 1))
    rows = -(-max(npan, 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, (fam, n) in zip(axes.flat, panels):
        cs = sorted((c for c in sel if (c.family, c.n) == (fam, n)), key=lambda c: c.k)
        ks = [c.k for c in cs]
        for name in PEER_COLORS:
            if any(name in c.times for c in cs):
                ax.plot(
                    ks,
                    [c.times.get(name, float("nan")) for c in cs],
                    marker=".",
                    lw=1,
                    label=name,
                    alpha=0.7,
                    color=PEER_COLORS[name],
                )
        ax.plot(ks, [c.convop for c in cs], "k-o", lw=2, label="convop auto")
        # crossover: first K where convop's choice is an FFT method
        for c0, c1 in zip(cs, cs[1:]):
            if c0.convop_method == "direct" and c1.convop_method != "direct":
                ax.axvline((c0.k * c1.k) ** 0.5, color="r", ls="--", lw=1)
                ax.text(
                    (c0.k * c1.k) ** 0.5,
                    ax.get_ylim()[0],
                    " direct|fft",
                    color="r",
                    fontsize=7,
                    va="bottom",
                )
        _log_axes(ax, ks)
        size = f"N={n}" if fam == "1d" else f"N={n}x{n}"
        ax.set_title(f"{fam} {size}, full, {cs[0].dtype if cs else ''}", fontsize=9)
        ax.set_xlabel("kernel size K (samples per axis)")
        ax.set_ylabel("time per call (s)")
    if layers:
        ax = axes.flat[len(panels)]
        for dt, style in zip(sorted({c.dtype for c in layers}), ("-", "--")):
            cs = [c for c in layers if c.dtype == dt]
            ax.plot(
                [c.k for c in cs],
                [c.convop for c in cs],
                "k" + style,
                marker="o",
                label=f"convop auto {dt}",
            )
            for name in sorted({p for c in cs for p in c.times}):
                ax.plot(
                    [c.k for c in cs],
                    [c.times.get(name, float("nan")) for c in cs],
                    style,
                    marker=".",
                    label=f"{name} {dt}",
                    color=PEER_COLORS.get(name, "C9"),
                )
        _log_axes(ax, sorted({c.k for c in layers}))
        ax.legend(fontsize=7)
        ax.set_title("ConvLayer 16x32->32, 64x64", fontsize=9)
        ax.set_xlabel("kernel size K (per axis)")
        ax.set_ylabel("time per call (s)")
    for ax in list(axes.flat)[npan:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run(
    quick: bool = False, tiny: bool = False, out: Path | None = None, progress: Any = None
) -> dict:
    """Run every sweep and return the results as a JSON-able dict (also written to
    ``out/results.json`` with the plot ``out/bench.png`` when ``out`` is given)."""
    t0 = time.perf_counter()
    dtypes = ("float64",) if tiny else ("float64", "float32")
    rounds = 3 if (quick or tiny) else 7  # medians of 7: this VM has bursts of 2x
    modes = ("same",) if (quick or tiny) else ("full", "same")
    cases = _bench.run_sweep(
        _bench.sweep_cases(quick, tiny),
        dtypes=dtypes,
        rounds=rounds,
        modes=modes,
        progress=progress,
    )
    layer_dts = ("float32",) if (quick or tiny) else ("float32", "float64")
    lsize = 16 if tiny else 64
    layers = _bench.run_layers(
        _bench.layer_cases(quick, tiny),
        size=lsize,
        batch=2 if tiny else 16,
        channels=4 if tiny else 32,
        dtypes=layer_dts,
        rounds=1 if tiny else 3,
        progress=progress,
    )
    mem = (
        []
        if tiny
        else [
            {"case": "1d N=1e5 K=3001", **_bench.fft_memory((10**5,), (3001,))},
            {"case": "2d 1024x1024 K=31", **_bench.fft_memory((1024, 1024), (31, 31))},
        ]
    )
    res = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "processor": platform.processor(),
        },
        "seconds": time.perf_counter() - t0,
        "cases": [c.as_dict() for c in cases],
        "layers": [c.as_dict() for c in layers],
        "summary": _bench.summary(cases),
        "fft_memory": mem,
        "choice_overhead": _bench.choice_overhead(200 if tiny else 2000),
    }
    res["_cases"] = cases + layers
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        plot(cases + layers, out / "bench.png")
        data = {k: v for k, v in res.items() if not k.startswith("_")}
        (out / "results.json").write_text(json.dumps(data, indent=1, default=str))
    return res


#: ``convop bench --FLAG``: a subsystem's own benchmark (module ``_tools/bench_<module>``)
SUBSYSTEMS = {
    "resample": "convop.resample against scipy.signal.resample_poly and soxr",
    "deconvolve": "convop.deconvolve: DCT/FFT solves against iterative ones and skimage",
    "dask": "the Dask path: throughput, peak memory, dask_image",
    "recsys": "LightGCN epoch and recommendation time, peak memory",
    "compress": "compressed conv layers: latency against certified error",
    "graph": "convop.graph Chebyshev heat filter against PyGSP; torus FFT vs eigh",
    "general": "auto on shapes outside the tuned sweep (N-D, axes=, valid, boundaries)",
}
SUBSYSTEM_MODULE = {
    "resample": "resampling",
    "deconvolve": "deconvolution",
    "dask": "dask",
    "recsys": "recsys",
    "compress": "compress",
    "graph": "graph",
    "general": "general",
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``convop bench``."""
    parser = argparse.ArgumentParser(
        prog="convop bench",
        description="Benchmark convop.convolve(method='auto') and ConvLayer against "
        "numpy/scipy/torch on this machine.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sweep (< 2 minutes)")
    parser.add_argument(
        "--out",
        default="bench-results",
        type=Path,
        help="output directory (default: bench-results/)",
    )
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)
    for flag, what in SUBSYSTEMS.items():
        parser.add_argument(
            f"--{flag}", action="store_true", help=f"benchmark {what} instead of the sweep"
        )
    args = parser.parse_args(list(argv or []))

    def progress(msg: str) -> None:
        print(f"\r\033[K{msg}", end="", file=sys.stderr, flush=True)

    chosen = [f for f in SUBSYSTEMS if getattr(args, f)]
    if chosen:
        import importlib
        import inspect

        for flag in chosen:
            mod = importlib.import_module(f"convop._tools.bench_{SUBSYSTEM_MODULE[flag]}")
            if "progress" in inspect.signature(mod.run).parameters:  # a long sweep
                rows = mod.run(quick=args.quick, progress=progress)
                print("\r\033[K", end="", file=sys.stderr)
            else:
                rows = mod.run(quick=args.quick)
            print(f"# convop bench --{flag}")
            print(mod.table(rows))
            if hasattr(mod, "summary"):  # the subsystem's verdicts on its targets
                print(mod.summary(rows))
            args.out.mkdir(parents=True, exist_ok=True)
            path = args.out / f"{flag}.json"
            path.write_text(json.dumps(rows, indent=1, default=str))
            print(f"wrote {path}")
            if hasattr(mod, "plot"):  # the subsystem draws its own figure
                print(f"wrote {mod.plot(rows, args.out / f'{flag}.png')}")
        return 0

    res = run(args.quick, args.tiny, args.out, progress)
    print("\r\033[K", end="", file=sys.stderr)
    cases = res["_cases"]
    print(table(cases))
    s = res["summary"]
    print(
        f"\ngeomean convop / best peer:           {s['geomean_vs_best']:.2f}  "
        f"(worst {s['worst_vs_best']:.2f})"
    )
    print(f"geomean speed-up vs scipy auto:        {s['geomean_speedup_vs_scipy_auto']:.2f}x")
    print(
        f"non-zero boundary / zero (geomean):    {s['boundary_geomean']:.2f}  "
        f"(worst {s['boundary_worst']:.2f})"
    )
    for r in s["boundary_above"]:
        print(
            f"  above {_bench.BOUNDARY_TARGET}: {r['case']} {r['boundary']} {r['ratio']:.2f} "
            f"(zero boundary {_fmt(r['zero_seconds'])})"
        )
    for m in res["fft_memory"]:
        print(
            f"FFT peak extra memory {m['case']}: {m['peak_bytes'] / 2**20:.1f} MiB = "
            f"{m['ratio']:.2f} x (input + output + kernel spectra)"
        )
    co = res["choice_overhead"]
    print(
        f"choose_method: {co['warm_seconds'] * 1e6:.1f} us (cached), "
        f"{co['cold_seconds'] * 1e6:.1f} us (cold)"
    )
    skipped = [(c, p, why) for c in cases for p, why in c.skipped.items()]
    for c, p, why in skipped:
        print(f"skipped {p} on {c.family} N={c.n} K={c.k} {c.dtype} {c.mode}: {why}")
    print(
        f"\nwrote {args.out / 'results.json'} and {args.out / 'bench.png'} "
        f"in {res['seconds']:.0f} s"
    )
    return 0
