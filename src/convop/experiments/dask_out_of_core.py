"""Out of core: the same convolution on a Dask array, chunk by chunk, lazily.

``convop.convolve`` given a ``dask.array.Array`` builds a graph and computes nothing;
computing it gives the NumPy values whatever the chunking. Kernels narrower than a
chunk exchange halos (``map_overlap`` depth), longer ones are overlap-added across
chunks, so the chunks stay as they are. Streaming the result into zarr holds a few
chunks at a time instead of the whole signal.

Examples
--------
>>> counts = []
>>> x = counted(np.arange(8.0), 3, counts)
>>> y = convop.convolve(x, np.ones(3), "same")
>>> len(counts), y.compute().tolist()[:3], len(counts) > 0
(0, [1.0, 3.0, 6.0], True)
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import convop
from convop._core.optional import require
from convop.experiments._result import Claim, Result

__all__ = ["SUMMARY", "TITLE", "counted", "run"]

TITLE = "Out of core: chunked convolution on Dask arrays"
SUMMARY = (
    "A signal larger than memory is kept as a Dask array (often read from zarr) and "
    "convolved chunk by chunk. The section checks that convop.convolve on a Dask array "
    "equals the NumPy call for chunkings with chunks smaller than the kernel and uneven "
    "last chunks, every mode and boundary; that building the result computes no block "
    "of the input; that a kernel longer than a chunk is overlap-added without "
    "rechunking; and that streaming the result into zarr needs a fraction of the memory "
    "of the in-memory call (NumPy allocations traced with tracemalloc)."
)

_LOCK = threading.Lock()


def counted(a: np.ndarray, chunks: Any, counts: list) -> Any:
    """``a`` as a Dask array whose blocks append to ``counts`` when computed (the
    size-0 call that infers the output type is not counted)."""
    da = require("dask.array", "dask", "the dask_out_of_core tour section")

    def _count(block: np.ndarray) -> np.ndarray:
        if block.size:
            with _LOCK:
                counts.append(block.shape)
        return block

    return da.from_array(a, chunks=chunks).map_blocks(_count, dtype=a.dtype)


def _traced_peak(fn: Any) -> tuple[float, Any]:
    """(peak traced bytes while ``fn`` runs, its value)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return float(peak), out


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Check equality, laziness, overlap-add and memory of the Dask path.

    Parameters
    ----------
    quick : bool
        A 2²² sample signal for the memory comparison (2²⁴ otherwise).
    seed : int
        Seed of the random signals and kernels.
    out_dir : Path, optional
        Unused (the zarr store is a temporary directory).

    Returns
    -------
    Result

    Examples
    --------
    >>> run(quick=True).passed  # doctest: +SKIP
    True
    """
    da = require("dask.array", "dask", "the dask_out_of_core tour section")
    dask = require("dask", "dask", "the dask_out_of_core tour section")
    require("zarr", "dask", "the dask_out_of_core tour section")
    res = Result("dask_out_of_core", TITLE, summary=SUMMARY)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()

    # --- equality across chunkings, modes and boundaries -----------------------------
    x = rng.standard_normal((37, 29))
    k = rng.standard_normal((5, 4))
    chunkings = [((37,), (29,)), ((3, 10, 24), (2, 27)), ((16, 16, 5), (7, 7, 7, 8))]
    rows, worst = [], 0.0
    for chunks in chunkings:
        xd = da.from_array(x, chunks=chunks)
        errs = []
        for mode in ("full", "same", "valid"):
            for b in ("zero", "periodic", "reflect", "symmetric", "replicate"):
                ref = convop.convolve(x, k, mode, boundary=b)
                got = convop.convolve(xd, k, mode, boundary=b).compute(scheduler="threads")
                errs.append(float(np.abs(got - ref).max() / np.abs(ref).max()))
        worst = max(worst, max(errs))
        rows.append([str(chunks), len(errs), f"{max(errs):.1e}"])
    res.table("Dask against NumPy (3 modes × 5 boundaries)", ["chunks", "calls", "max rel"], rows)
    res.claims.append(
        Claim.at_most(
            "convop.convolve on a Dask array equals the NumPy call for every chunking "
            "(chunks smaller than the 5×4 kernel, uneven last chunks), mode and boundary: "
            "max relative difference",
            1e-12,
            worst,
        )
    )

    # --- laziness --------------------------------------------------------------------
    counts: list = []
    xc = counted(x, (10, 8), counts)
    A = convop.Convolution(k, x.shape, "same", boundary="reflect")
    lazy = [convop.convolve(xc, k, "same", boundary="reflect"), A(xc), A.adjoint(xc)]
    built = len(counts)
    values = dask.compute(*lazy, scheduler="threads")
    res.claims += [
        Claim.equal(
            "Building convolve, Convolution.apply and .adjoint on a Dask array computes no "
            "block of the input",
            0,
            built,
        ),
        Claim.true("…and computing them does", len(counts) > 0, detail=f"{len(counts)} blocks"),
        Claim.at_most(
            "The lazy operator results equal the NumPy ones: max |Δ|",
            1e-12,
            max(
                float(np.abs(values[1] - A(x)).max()),
                float(np.abs(values[2] - A.adjoint(x)).max()),
            ),
        ),
    ]

    # --- overlap-add: a kernel longer than a chunk -------------------------------------
    s = rng.standard_normal(4000)
    long_k = rng.standard_normal(1500)
    sd = da.from_array(s, chunks=500)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = convop.convolve(sd, long_k, "same", boundary="symmetric")
    ref = convop.convolve(s, long_k, "same", boundary="symmetric")
    res.claims += [
        Claim.equal(
            "A 1500-tap kernel on 500-sample chunks keeps the chunks (overlap-add, no "
            "rechunk, no warning)",
            str(sd.chunks) + ", 0 warnings",
            f"{y.chunks}, {len(caught)} warnings",
        ),
        Claim.at_most(
            "…with the NumPy values: max relative difference",
            1e-12,
            float(np.abs(y.compute() - ref).max() / np.abs(ref).max()),
        ),
    ]

    # --- memory: streamed into zarr against the in-memory call -------------------------
    n = 2**22 if quick else 2**24
    K = 1025
    kern = np.hanning(K).astype(np.float32)
    big = da.random.default_rng(seed).standard_normal(n, chunks=n // 16, dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="convop-tour-dask-") as tmp:
        path = os.path.join(tmp, "y.zarr")
        yd = convop.convolve(big, kern, "same", boundary="reflect")
        with dask.config.set(scheduler="threads", num_workers=2):
            t1 = time.perf_counter()
            peak_dask, _ = _traced_peak(lambda: yd.to_zarr(path))
            t_dask = time.perf_counter() - t1
        t1 = time.perf_counter()
        peak_mem, ym = _traced_peak(
            lambda: convop.convolve(
                big.compute(scheduler="threads"), kern, "same", boundary="reflect"
            )
        )
        t_mem = time.perf_counter() - t1
        zarr = require("zarr", "dask", "the dask_out_of_core tour section")
        back = np.asarray(zarr.open_array(path, mode="r")[:])
    err = float(np.abs(back - ym).max() / np.abs(ym).max())
    mib = 2**20
    res.table(
        f"Memory: {n} float32 samples ({n * 4 / mib:.0f} MiB), K = {K}, 16 chunks, reflect",
        ["path", "peak NumPy allocations (MiB)", "seconds"],
        [
            [
                "in memory (convop.convolve on the NumPy array)",
                f"{peak_mem / mib:.1f}",
                f"{t_mem:.2f}",
            ],
            ["Dask, streamed into zarr (2 threads)", f"{peak_dask / mib:.1f}", f"{t_dask:.2f}"],
        ],
    )
    res.claims += [
        Claim.at_most(
            "The zarr store holds the in-memory result: max relative difference", 1e-5, err
        ),
        Claim.at_most(
            "Streaming into zarr allocates at most half of what the in-memory call does "
            "(peak traced NumPy memory, ratio)",
            0.5,
            peak_dask / peak_mem,
            detail=f"{peak_dask / mib:.1f} MiB against {peak_mem / mib:.1f} MiB",
        ),
    ]
    res.seconds = time.perf_counter() - t0
    return res
