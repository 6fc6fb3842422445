"""``convop bench --recsys``: LightGCN epoch and recommendation time at scale.

Synthetic 10⁵ users × 10⁴ items with 10⁶ interactions (quick: 10⁴ × 10³, 10⁵).
Peers measured in the same run: convop's LightGCN (torch sparse CSR propagation)
and MF (numpy), plus the cost of one sparse propagation R̂E against a scipy
CSR product. Memory is the resident set size sampled every 20 ms by a thread
(torch allocates outside tracemalloc): the peak of every phase above the RSS
before it, next to what one dense N × N float32 matrix would take.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from statistics import median

import numpy as np

from convop.recsys import MF, Interactions, LightGCN


def _data(n_users: int, n_items: int, nnz: int, seed: int = 0) -> Interactions:
    rng = np.random.default_rng(seed)
    # Zipf-like item popularity, like real interaction logs
    p = 1.0 / np.arange(1, n_items + 1) ** 0.8
    keys = np.unique(
        rng.integers(0, n_users, nnz) * n_items + rng.choice(n_items, nnz, p=p / p.sum())
    )
    return Interactions(keys // n_items, keys % n_items, n_users=n_users, n_items=n_items)


def _rss_mb() -> float:
    """Current resident set size (MB), from /proc; the max RSS where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _RssSampler:
    """Peak RSS of a ``with`` block above the RSS at its start, sampled every ``dt`` s."""

    def __init__(self, dt: float = 0.02) -> None:
        self.dt, self.peak, self.start = dt, 0.0, 0.0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            self._stop.wait(self.dt)

    def __enter__(self) -> _RssSampler:
        self.start = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())

    @property
    def increase(self) -> float:
        return self.peak - self.start


def run(
    quick: bool = False, *, size: tuple[int, int, int] | None = None, repeats: int = 5
) -> list[dict]:
    """Measure and return one row per measurement (seconds are medians over repeats).

    ``size`` = ``(n_users, n_items, n_interactions)`` overrides the sizes and
    ``repeats`` the timing repeats (at most 3 for recommend, 2 for MF), for tests.
    """
    import torch

    from convop._core.config import options
    from convop.recsys._graphs import (
        SPMM_THREADS,
        _spmm_threads,
        lightgcn_embeddings,
        torch_adjacency,
    )

    n_users, n_items, nnz = (10_000, 1_000, 100_000) if quick else (100_000, 10_000, 1_000_000)
    if size is not None:
        n_users, n_items, nnz = size
    data = _data(n_users, n_items, nnz)
    rows = []
    rss0 = _rss_mb()
    adj = data.normalized_adjacency()
    e = np.random.default_rng(0).standard_normal((adj.shape[0], 64)).astype(np.float32)
    ta = torch_adjacency(adj, "float32")
    te = torch.from_numpy(e)
    nthr = torch.get_num_threads()

    def as_lightgcn():
        # LightGCN under convop.options(blas_threads="single"), which lets convop
        # lower torch's process-wide thread count around its sparse products
        with options(blas_threads="single"), _spmm_threads():
            return ta @ te

    for name, fn in (
        ("propagate scipy csr R̂E (d=64)", lambda: adj @ e),
        (f"propagate torch csr R̂E (d=64, {nthr} torch threads)", lambda: ta @ te),
        (f"propagate torch csr R̂E blas_threads='single' (<= {SPMM_THREADS} thr)", as_lightgcn),
        ("LightGCN forward K=3 (torch)", lambda: lightgcn_embeddings(ta, te, 3)),
    ):
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        rows.append(dict(what=name, median_s=median(ts), spread_s=max(ts) - min(ts), n=repeats))
    epochs = 2 if size is not None else 3
    model = LightGCN(layers=3, dim=64, epochs=epochs, batch_size=16384, lr=1e-3)
    with _RssSampler() as mem_fit:
        model.fit(data)
    ep = model.epoch_seconds_
    rows.append(
        dict(
            what=f"LightGCN epoch (batch 16384, {len(data)} pairs)",
            median_s=median(ep),
            spread_s=max(ep) - min(ep),
            n=len(ep),
        )
    )
    users = np.arange(min(n_users, 10_000))
    ts = []
    with _RssSampler() as mem_rec:
        for _ in range(min(3, repeats)):
            t0 = time.perf_counter()
            model.recommend(users, k=20)
            ts.append(time.perf_counter() - t0)
    rows.append(
        dict(
            what=f"LightGCN recommend top-20 for {users.size} users",
            median_s=median(ts),
            spread_s=max(ts) - min(ts),
            n=len(ts),
        )
    )
    mf = MF(rank=64, epochs=1, batch_size=16384)
    ts = []
    with _RssSampler() as mem_mf:
        for _ in range(min(2, repeats)):
            t0 = time.perf_counter()
            mf.fit(data)
            ts.append(time.perf_counter() - t0)
    rows.append(
        dict(
            what="MF epoch (numpy, rank 64, 1 negative)",
            median_s=median(ts),
            spread_s=max(ts) - min(ts),
            n=len(ts),
        )
    )
    for what, mem in (
        ("LightGCN fit", mem_fit),
        ("LightGCN recommend", mem_rec),
        ("MF fit", mem_mf),
    ):
        rows.append(
            dict(
                what=f"peak RSS over its start, {what} (MB)",
                median_s=mem.increase,
                spread_s=0.0,
                n=1,
            )
        )
    rows.append(
        dict(
            what="peak sampled RSS over the start of the run (MB)",
            median_s=max(m.peak for m in (mem_fit, mem_rec, mem_mf)) - rss0,
            spread_s=0.0,
            n=1,
        )
    )
    rows.append(
        dict(
            what="sparse R̂ (CSR, float64) + E⁰ (float32, d=64) (MB)",
            median_s=(adj.data.nbytes + adj.indices.nbytes + adj.indptr.nbytes + e.nbytes) / 2**20,
            spread_s=0.0,
            n=0,
        )
    )
    rows.append(
        dict(
            what="dense N×N float32 would need (MB)",
            median_s=(n_users + n_items) ** 2 * 4 / 2**20,
            spread_s=0.0,
            n=0,
        )
    )
    return rows


def table(rows: list[dict]) -> str:
    """Printable table of :func:`run`'s rows."""
    lines = [f"{'measurement':60s} {'median':>12s} {'spread':>10s} {'n':>3s}"]
    for r in rows:
        lines.append(f"{r['what']:60s} {r['median_s']:12.4g} {r['spread_s']:10.3g} {r['n']:3d}")
    return "\n".join(lines)
