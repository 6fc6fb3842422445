"""``convop bench --compress``: latency of every factorisation of a 256→256 3×3 conv,
measured side by side in one run, against its certified output error."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["CASES", "main", "plot", "run", "table"]

#: (method, rank) pairs measured; the first entry is the original layer
CASES: tuple[tuple[str, Any], ...] = (
    ("original", None),
    ("tucker2", (64, 64)),
    ("tucker2", (32, 32)),
    ("tucker2", (128, 128)),
    ("cp", 64),
    ("cp", 128),
    ("svd", 64),
    ("svd", 128),
    # ("svd-slice", 1) is left out: building it for 256×256 channels took > 13 GB and
    # minutes on the development machine (an open defect, see the issue note)
)
SPEED_TARGET = 2.0


def run(quick: bool = False, *, seed: int = 0) -> list[dict]:
    """Time the original layer and every (method, rank) of :data:`CASES`.

    Layer: ``Conv2d(256, 256, 3, padding=1)``, float32, inputs ``(32, 256, 32, 32)``
    (``quick``: batch 8, fewer repeats). Every row: method, ranks, parameters, MACs per
    image, median and interquartile range of the forward time (all modules timed
    round-robin in the same loop), speed-up against the original, certified bracket on
    ``‖f − g‖₂`` (on one 256×32×32 input) and its ratio to ``‖f‖₂``.
    """
    import torch

    from convop.compress import count_macs, decompose, error_bound, measure_latency

    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(256, 256, 3, padding=1)
    batch = 8 if quick else 32
    x = torch.randn(batch, 256, 32, 32)
    shape = (256, 32, 32)
    mods, rows = [], []
    cases = [c for c in CASES if not (quick and c[0] == "svd-slice")]
    for method, rank in cases:
        t0 = time.perf_counter()
        mod = conv if method == "original" else decompose(conv, method, rank)
        build = time.perf_counter() - t0
        lo, up = (0.0, 0.0) if method == "original" else error_bound(conv, mod, shape)
        mods.append(mod)
        rows.append(
            {
                "method": method,
                "ranks": None if rank is None else list(mod.ranks),
                "params": sum(p.numel() for p in mod.parameters()),
                "macs": count_macs(mod, shape),
                "bound_lower": lo,
                "bound_upper": up,
                "decompose_s": build,
            }
        )
    times = measure_latency(mods, x, repeats=3 if quick else 7, min_time=0.0)
    for row, (med, iqr) in zip(rows, times):
        row["median_s"], row["iqr_s"] = med, iqr
        row["speedup"] = times[0][0] / med
        row["batch"] = batch
    from convop._operators.layer import ConvLayer
    from convop.spectral import opnorm

    w = conv.weight.detach().double().numpy()
    fnorm = opnorm(ConvLayer(w, shape, padding=1))[1]
    for row in rows:
        row["relative_bound"] = row["bound_upper"] / fnorm
    return rows


def table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run`'s rows."""
    head = ("method", "ranks", "params", "MACs/img", "median ms", "IQR ms", "speed-up",
            "certified ‖f−g‖ ≤", "/‖f‖")  # fmt: skip
    lines = [head]
    for r in rows:
        lines.append(
            (
                r["method"],
                "-" if r["ranks"] is None else "×".join(map(str, r["ranks"])),
                f"{r['params']:,}",
                f"{r['macs'] / 1e6:.1f}M",
                f"{r['median_s'] * 1e3:.1f}",
                f"{r['iqr_s'] * 1e3:.1f}",
                f"{r['speedup']:.2f}",
                f"{r['bound_upper']:.3g}",
                f"{r['relative_bound']:.3f}",
            )
        )
    widths = [max(len(row[i]) for row in lines) for i in range(len(head))]
    text = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def plot(rows: list[dict], path: Path) -> Path:
    """Latency against certified relative error, one point per (method, rank)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.subplots()
    for r in rows:
        label = r["method"] + ("" if r["ranks"] is None else " " + "×".join(map(str, r["ranks"])))
        ax.errorbar(r["relative_bound"], r["median_s"] * 1e3, yerr=r["iqr_s"] * 1e3 / 2, fmt="o")
        ax.annotate(label, (r["relative_bound"], r["median_s"] * 1e3), fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("certified ‖f − g‖₂ / ‖f‖₂ (32×32 input, zero padding)")
    ax.set_ylabel(f"forward time, batch {rows[0]['batch']} [ms]")
    ax.set_title("Conv2d 256→256 3×3: latency vs certified error")
    fig.savefig(path, dpi=110)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m convop._tools.bench_compress [--quick] [--out DIR]``."""
    p = argparse.ArgumentParser(prog="convop bench --compress", description=__doc__)
    p.add_argument("--quick", action="store_true", help="batch 8, fewer repeats")
    p.add_argument("--out", type=Path, default=None, help="write results.json and a plot")
    args = p.parse_args(argv)
    rows = run(quick=args.quick)
    print(table(rows))
    by = {(r["method"], tuple(r["ranks"] or ())): r for r in rows}
    ok = True
    for key in (("tucker2", (64, 64)), ("cp", (64,))):
        s = by[key]["speedup"]
        verdict = "meets" if s >= SPEED_TARGET else "MISSES"
        ok &= s >= SPEED_TARGET
        print(f"{key[0]} {key[1]}: {s:.2f}× faster — {verdict} the {SPEED_TARGET:g}× target")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "compress.json").write_text(json.dumps(rows, indent=1))
        plot(rows, args.out / "compress.png")
        print(f"wrote {args.out / 'compress.json'} and {args.out / 'compress.png'}")
    return 0 if ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
