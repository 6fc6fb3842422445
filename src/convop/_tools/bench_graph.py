"""``convop bench --graph``: Chebyshev heat filtering against PyGSP, and the torus routes.

Every case times its methods interleaved (round robin) and reports medians:

* ``chebyshev`` — ``G.filter(x, heat(t), "chebyshev", order=30)`` against
  ``pygsp.filters.Heat(G, scale=t * lmax).filter(x, method="chebyshev", order=30)`` on the
  same graph with the same λmax (PyGSP's heat kernel is ``exp(-scale λ / lmax)``), on an
  n × n torus and on a random geometric graph in the unit square (mean degree ≈ 10);
  graph construction and λmax estimation are outside the timings;
* ``torus`` — heat filtering of an n × n torus by FFT (``method="exact"``), by the
  dense eigendecomposition (``scipy.linalg.eigh`` then two products) and by Chebyshev,
  as N grows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from convop.graph import Graph, heat, torus

__all__ = ["main", "plot", "random_geometric", "run", "table"]

ORDER = 30
T = 1.0


def random_geometric(n: int, degree: float = 10.0, seed: int = 0) -> Graph:
    """``n`` uniform points in the unit square, an edge between points closer than
    ``r = sqrt(degree / (π n))`` (so the mean degree is about ``degree``)."""
    from scipy.spatial import cKDTree

    pts = np.random.default_rng(seed).random((n, 2))
    pairs = cKDTree(pts).query_pairs(np.sqrt(degree / (np.pi * n)), output_type="ndarray")
    A = sp.coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return Graph(sp.csr_array(A + A.T), coords=pts)


def _time(fns: dict[str, Callable[[], Any]], rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, f in fns.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return {k: median(v) for k, v in times.items()}


def _pygsp() -> Any:
    try:
        import pygsp
    except ImportError:
        return None
    return pygsp


def run(
    quick: bool = False,
    progress: Any = None,
    *,
    torus_n: int | None = None,
    rgg_n: int | None = None,
    sweep: tuple[int, ...] | None = None,
) -> list[dict]:
    """Time every case; one dict per case.

    Parameters
    ----------
    quick : bool
        A 300 × 300 torus, a 10⁵-node geometric graph and a smaller sweep, instead of
        1000 × 1000, 10⁶ and n up to 48.
    progress : callable, optional
    torus_n, rgg_n, sweep : optional
        Size overrides (tests).

    Returns
    -------
    list of dict
        ``case``, ``graph``, ``N``, ``edges``, ``seconds`` (median per method),
        ``ratio`` (convop / PyGSP, < 1: convop faster) and ``max_abs_diff``.

    Examples
    --------
    >>> rows = run(torus_n=8, rgg_n=200, sweep=(4, 6))
    >>> [r["case"] for r in rows]
    ['chebyshev', 'chebyshev', 'torus', 'torus']
    """
    tn = torus_n or (300 if quick else 1000)
    rn = rgg_n or (100_000 if quick else 1_000_000)
    sweep = sweep or ((8, 16, 24, 32) if quick else (8, 16, 24, 32, 48))
    rounds = 3
    pygsp = _pygsp()
    rng = np.random.default_rng(0)
    rows: list[dict] = []
    for name, build in (
        (f"torus {tn}x{tn}", lambda: torus(tn, tn)),
        (
            f"random geometric {rn}",
            lambda: random_geometric(rn),
        ),
    ):
        if progress is not None:
            progress(name)
        G = build()
        lmax = G.lmax("lanczos")
        x = rng.standard_normal(G.n_nodes)
        fns: dict[str, Callable[[], Any]] = {
            "convop": lambda: G.filter(x, heat(T), "chebyshev", ORDER, lmax=lmax)
        }
        diff = None
        if pygsp is not None:
            PG = pygsp.graphs.Graph(sp.csr_matrix(G.adjacency, copy=True))
            PG._lmax = lmax
            flt = pygsp.filters.Heat(PG, scale=T * lmax)
            fns["pygsp"] = lambda: flt.filter(x, method="chebyshev", order=ORDER)
            diff = float(np.max(np.abs(fns["convop"]() - np.ravel(fns["pygsp"]()))))
        sec = _time(fns, rounds)
        rows.append(
            {
                "case": "chebyshev",
                "graph": name,
                "N": G.n_nodes,
                "edges": G.n_edges,
                "seconds": sec,
                "ratio": sec["convop"] / sec["pygsp"] if "pygsp" in sec else None,
                "max_abs_diff": diff,
            }
        )
    for n in sweep:
        if progress is not None:
            progress(f"torus sweep {n}x{n}")
        G = torus(n, n)
        x = rng.standard_normal(G.n_nodes)
        L = G.laplacian()
        g = heat(T)

        def by_eigh() -> np.ndarray:
            e, U = scipy.linalg.eigh(L.toarray())
            return U @ (g(e) * (U.T @ x))

        fns = {
            "fft": lambda: G.filter(x, g, "exact"),
            "eigh": by_eigh,
            "chebyshev": lambda: G.filter(x, g, "chebyshev", ORDER, lmax=8.0),
        }
        sec = _time(fns, 1 if n >= 32 else rounds)
        rows.append(
            {
                "case": "torus",
                "graph": f"torus {n}x{n}",
                "N": G.n_nodes,
                "edges": G.n_edges,
                "seconds": sec,
                "ratio": sec["eigh"] / sec["fft"],
                "max_abs_diff": float(np.max(np.abs(fns["fft"]() - by_eigh()))),
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run`'s rows (median seconds)."""
    out = [("case", "graph", "N", "methods (median s)", "ratio", "max|Δ|")]
    for r in rows:
        meth = ", ".join(f"{k} {v:.3g}" for k, v in r["seconds"].items())
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3g}"
        diff = "-" if r["max_abs_diff"] is None else f"{r['max_abs_diff']:.1e}"
        out.append((r["case"], r["graph"], str(r["N"]), meth, ratio, diff))
    widths = [max(len(row[i]) for row in out) for i in range(len(out[0]))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in out]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(
        "chebyshev: heat filter t=1, order 30; ratio = convop / pygsp (< 1: convop faster). "
        "torus: ratio = eigh / fft"
    )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> Path:
    """Torus sweep: seconds against N for FFT, dense ``eigh`` and Chebyshev, log-log.

    The dense eigendecomposition grows as N³ while the FFT route stays O(N log N); the
    plot marks the largest N at which ``eigh`` still took under a second.
    """
    from matplotlib.figure import Figure

    sweep = [r for r in rows if r["case"] == "torus"]
    fig = Figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.subplots()
    ns = [r["N"] for r in sweep]
    for method, style in (("fft", "o-"), ("eigh", "s-"), ("chebyshev", "^-")):
        ax.loglog(ns, [r["seconds"][method] for r in sweep], style, label=method)
    usable = [r["N"] for r in sweep if r["seconds"]["eigh"] < 1.0]
    if usable:
        ax.axvline(max(usable), color="0.6", ls=":", label="eigh < 1 s up to here")
    ax.set(xlabel="N (nodes of an n × n torus)", ylabel="seconds (median)")
    ax.set_title("Heat filter on a torus: FFT vs eigendecomposition vs Chebyshev")
    ax.legend()
    path = Path(path)
    fig.savefig(path, dpi=100)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m convop._tools.bench_graph [--quick] [--json PATH] [--plot PATH]``."""
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="convop bench --graph", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller graphs")
    ap.add_argument("--json", metavar="PATH", help="also write the rows as JSON")
    ap.add_argument("--plot", metavar="PATH", help="also draw the torus sweep (PNG)")
    args = ap.parse_args(argv)
    rows = run(quick=args.quick, progress=lambda s: print(f"  timing {s} ...", flush=True))
    print(table(rows))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    if args.plot:
        plot(rows, args.plot)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
