"""``convop bench --resample``: convop's resample / upfirdn against scipy and soxr.

Every case times all peers interleaved (round robin), so a burst of load on a
shared machine hits every method alike; each entry is the median over rounds with
the spread (min, max). Peers:

* ``scipy.signal.resample_poly(x, p, q, window=("kaiser", 5.0))`` — the same
  numbers as ``convop.resample(x, p, q)`` (checked in every case);
* ``scipy.signal.upfirdn`` with the same filter — the engine-level peer;
* ``soxr.resample`` (quality ``"HQ"``) when installed — a different, higher-quality
  algorithm (libsoxr), shown for context only: its numbers are not MATLAB's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import Any

import numpy as np
import scipy.signal as ss

from convop.resampling import matlab_filter, resample, upfirdn

__all__ = ["PAIRS", "main", "run", "table"]

#: (p, q) of the issue: 44.1 ↔ 48 kHz, 3/2, 2/1 and 1/4
PAIRS = ((3, 2), (147, 160), (160, 147), (2, 1), (1, 4))
DTYPES = ("float64", "float32")


def _soxr() -> Any:
    try:
        import soxr
    except ImportError:
        return None
    return soxr


def _time(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for f in fns.values():  # warm-up (imports, first-touch of memory)
        f()
    for _ in range(rounds):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return times


def run(quick: bool = False, progress: Any = None) -> list[dict]:
    """Time every (dtype, p, q) case; one dict per case.

    Parameters
    ----------
    quick : bool
        2·10⁵ samples and 3 rounds instead of 10⁶ samples and 7 rounds.
    progress : callable, optional
        Called with a short label before each case (e.g. ``tqdm.write`` or ``print``).

    Returns
    -------
    list of dict
        Keys: ``dtype, p, q, n``, ``median`` / ``min`` / ``max`` (seconds, per peer),
        ``resample_vs_resample_poly`` and ``upfirdn_vs_scipy`` (time ratios, < 1 means
        convop is faster), ``soxr_vs_resample`` (soxr time / convop time, when
        installed) and ``max_abs_diff`` (convop vs resample_poly).

    Examples
    --------
    >>> rows = run(quick=True)  # doctest: +SKIP
    >>> print(table(rows))  # doctest: +SKIP
    """
    n = 200_000 if quick else 1_000_000
    rounds = 3 if quick else 7
    soxr = _soxr()
    rng = np.random.default_rng(0)
    base = rng.standard_normal(n)
    rows = []
    for dtype in DTYPES:
        x = base.astype(dtype)
        for p, q in PAIRS:
            if progress is not None:
                progress(f"{dtype} {p}/{q}")
            h = matlab_filter(p, q).astype(dtype)
            fns: dict[str, Callable[[], Any]] = {
                "convop.resample": lambda: resample(x, p, q),
                "scipy.resample_poly": lambda: ss.resample_poly(x, p, q, window=("kaiser", 5.0)),
                "convop.upfirdn": lambda: upfirdn(h, x, p, q),
                "scipy.upfirdn": lambda: ss.upfirdn(h, x, p, q),
            }
            if soxr is not None:
                fns["soxr HQ"] = lambda: soxr.resample(x, q, p, quality="HQ")
            t = _time(fns, rounds)
            med = {k: median(v) for k, v in t.items()}
            diff = np.abs(
                resample(x, p, q).astype(np.float64)
                - ss.resample_poly(x, p, q, window=("kaiser", 5.0)).astype(np.float64)
            ).max()
            row = {
                "dtype": dtype,
                "p": p,
                "q": q,
                "n": n,
                "rounds": rounds,
                "median": med,
                "min": {k: min(v) for k, v in t.items()},
                "max": {k: max(v) for k, v in t.items()},
                "resample_vs_resample_poly": med["convop.resample"] / med["scipy.resample_poly"],
                "upfirdn_vs_scipy": med["convop.upfirdn"] / med["scipy.upfirdn"],
                "soxr_vs_resample": (
                    med["soxr HQ"] / med["convop.resample"] if "soxr HQ" in med else None
                ),
                "max_abs_diff": float(diff),
            }
            rows.append(row)
    return rows


def _ms(t: float) -> str:
    return f"{t * 1e3:.2f}"


def table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run`'s rows (times in ms: median [min–max])."""
    head = (
        "dtype",
        "p/q",
        "convop.resample",
        "resample_poly",
        "ratio",
        "convop.upfirdn",
        "scipy.upfirdn",
        "ratio",
        "soxr HQ",
        "soxr/convop",
        "max|Δ|",
    )
    out = [head]
    for r in rows:
        med, lo, hi = r["median"], r["min"], r["max"]

        def cell(k: str) -> str:
            if k not in med:
                return "-"
            return f"{_ms(med[k])} [{_ms(lo[k])}-{_ms(hi[k])}]"

        out.append(
            (
                r["dtype"],
                f"{r['p']}/{r['q']}",
                cell("convop.resample"),
                cell("scipy.resample_poly"),
                f"{r['resample_vs_resample_poly']:.2f}",
                cell("convop.upfirdn"),
                cell("scipy.upfirdn"),
                f"{r['upfirdn_vs_scipy']:.2f}",
                cell("soxr HQ"),
                "-" if r["soxr_vs_resample"] is None else f"{r['soxr_vs_resample']:.2f}",
                f"{r['max_abs_diff']:.1e}",
            )
        )
    widths = [max(len(row[i]) for row in out) for i in range(len(head))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in out]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n = rows[0]["n"] if rows else 0
    lines.append(
        f"times in ms for {n} samples: median [min-max] over {rows[0]['rounds'] if rows else 0} "
        "interleaved rounds; ratio = convop / scipy (< 1: convop faster); "
        "soxr/convop = soxr time / convop.resample time (soxr computes different numbers)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """``python -m convop._tools.bench_resampling [--quick] [--json PATH]``."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="convop bench --resample", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="2e5 samples, 3 rounds")
    ap.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    args = ap.parse_args(argv)
    rows = run(quick=args.quick, progress=lambda s: print(f"  timing {s} ...", flush=True))
    print(table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
