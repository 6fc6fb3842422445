"""``convop bench --dask``: out-of-core convolution on Dask, memory and throughput.

Cases (``quick=True`` runs reduced sizes in a few seconds; the full sizes are those
of issue 20 and take minutes):

1. ``1-D to zarr``: 2³⁰ float32 samples (4 GiB) generated lazily from a seeded
   generator, ``same`` convolution with K = 4097, written to a temporary zarr store;
   peak resident memory of the whole process tree (sampled every 20 ms).
2. ``3-D volume``: 1024×1024×256 float32 (1 GiB) with a 7³ kernel, ``same``,
   ``reflect``, written to zarr; peak resident memory. Chunks 64×128×64 (2 MiB):
   the halo exchange keeps a front of neighbouring chunks alive, so the peak grows
   with the chunk size (the peaks per chunking are in README.md and
   ``benchmarks/results/convop-bench-dask-*.txt``).
3. ``throughput``: a 1-D signal that fits (2²⁴ samples, K = 4097): the in-memory
   :func:`convop.convolve` against the Dask path on the threaded scheduler, with
   convop's defaults and with one core each (medians and spreads over rounds, the
   variants interleaved), and the parallel efficiency from 1 to 2 threads.
4. ``cluster``: the same signal on ``distributed.LocalCluster`` s of 1 and 2 worker
   processes (one thread each): the parallel efficiency from 1 to 2 workers.
5. ``dask_image``: :func:`dask_image.ndfilters.convolve` (mode ``mirror`` = convop's
   ``reflect``) against convop on the same 3-D problem (a reduced volume: its direct
   343-tap filter takes minutes on the full one), values compared.

Parallel efficiency is ``t1 / (2 t2)`` (1 = twice as fast on two).
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from functools import partial
from statistics import median
from typing import Any

import numpy as np

from convop._core.optional import require

__all__ = ["RSSSampler", "run", "table"]


class RSSSampler:
    """Peak resident memory (bytes) of this process and all its children, sampled by a
    background thread while the ``with`` block runs."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak = 0
        self.baseline = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _rss(self) -> int:
        psutil = require("psutil", "dask", "convop bench --dask")
        proc = psutil.Process(os.getpid())
        total = 0
        for p in [proc, *proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:  # a child that just exited
                pass
        return total

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    def __enter__(self) -> RSSSampler:
        self.baseline = self._rss()
        self.peak = self.baseline
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.peak = max(self.peak, self._rss())


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _spread(times: list[float]) -> dict:
    return {"median": median(times), "min": min(times), "max": max(times), "rounds": len(times)}


def _memory_case(
    name: str, shape: tuple, chunks: tuple, kernel: np.ndarray, boundary: str, seed: int
) -> dict:
    da = require("dask.array", "dask", "convop bench --dask")
    dask = require("dask", "dask", "convop bench --dask")
    from convop._operators.functional import convolve as _np_convolve
    from convop.dask import convolve

    x = da.random.default_rng(seed).standard_normal(shape, chunks=chunks, dtype=np.float32)
    y = convolve(x, kernel, "same", boundary=boundary)
    with tempfile.TemporaryDirectory(prefix="convop-bench-dask-") as tmp:
        with RSSSampler() as mem, dask.config.set(scheduler="threads", num_workers=2):
            t = _timed(lambda: y.to_zarr(os.path.join(tmp, "out.zarr")))
        # spot check: the first chunk read back from zarr against the in-memory path
        # (its outputs read only the first chunk + K samples of the signal)
        zarr = require("zarr", "dask", "convop bench --dask")
        out = zarr.open_array(os.path.join(tmp, "out.zarr"), mode="r")
        head = tuple(slice(0, c) for c in chunks)
        sub = x[tuple(slice(0, min(n, c + q)) for n, c, q in zip(shape, chunks, kernel.shape))]
        ref = _np_convolve(sub.compute(), kernel.astype(np.float32), "same", boundary=boundary)
        got = np.asarray(out[head])
        err = float(np.abs(got - ref[head]).max() / np.abs(ref[head]).max())
    return {
        "case": name,
        "shape": "x".join(map(str, shape)),
        "kernel": "x".join(map(str, kernel.shape)),
        "chunks": "x".join(map(str, chunks)),
        "input_GiB": x.nbytes / 2**30,
        "seconds": t,
        "samples_per_s": float(np.prod(shape)) / t,
        "peak_rss_GiB": mem.peak / 2**30,
        "baseline_rss_GiB": mem.baseline / 2**30,
        "max_rel_error": err,
    }


def _throughput(n: int, k: int, rounds: int, seed: int) -> dict:
    """The in-memory path against the threaded scheduler on the same signal.

    Two comparisons, each on equal cores: convop's defaults (the in-memory call may use
    every core inside its FFTs; Dask on 2 threads), and one core each
    (``convop.options(workers=1)``, which Dask's threads inherit; Dask on 1 thread).
    The parallel efficiency compares Dask on 1 and 2 threads, every task on one core.
    """
    da = require("dask.array", "dask", "convop bench --dask")
    dask = require("dask", "dask", "convop bench --dask")
    from convop._core.config import options
    from convop._operators.functional import convolve
    from convop.dask import convolve as dconvolve

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(np.float32)
    kern = np.hanning(k).astype(np.float32)
    xd = da.from_array(x, chunks=max(n // 8, 4 * k))
    yd = dconvolve(xd, kern, "same")
    ref = convolve(x, kern, "same")
    err = float(np.abs(yd.compute() - ref).max() / np.abs(ref).max())

    def in_memory(workers: int | None) -> Callable[[], Any]:
        def call() -> Any:
            with options(workers=workers):
                return convolve(x, kern, "same")

        return call

    def on_threads(threads: int, workers: int | None) -> Callable[[], Any]:
        def call() -> Any:
            with (
                options(workers=workers),
                dask.config.set(scheduler="threads", num_workers=threads),
            ):
                return yd.compute()

        return call

    variants = {
        "in-memory": in_memory(None),
        "dask 2 threads": on_threads(2, None),
        "in-memory 1 core": in_memory(1),
        "dask 1 thread 1 core": on_threads(1, 1),
        "dask 2 threads 1 core each": on_threads(2, 1),
    }
    times: dict[str, list[float]] = {label: [] for label in variants}
    for _ in range(rounds):  # interleaved: load changes hit every variant alike
        for label, fn in variants.items():
            times[label].append(_timed(fn))
    med = {key: median(v) for key, v in times.items()}
    return {
        "case": "throughput",
        "shape": str(n),
        "kernel": str(k),
        "chunks": str(xd.chunks[0][0]),
        "times": {key: _spread(v) for key, v in times.items()},
        "ratio_vs_memory": med["in-memory"] / med["dask 2 threads"],
        "ratio_1core_vs_memory_1core": med["in-memory 1 core"] / med["dask 1 thread 1 core"],
        "parallel_efficiency": med["dask 1 thread 1 core"]
        / (2 * med["dask 2 threads 1 core each"]),
        "max_rel_error": err,
    }


def _wait(client: Any, collection: Any) -> None:
    """Block until a persisted collection's pieces are in memory on ``client``'s cluster.

    ``distributed.wait`` looks up the *default* client, and the bench's clients are
    deliberately not made default (a library must not change the caller's current
    client), so it would fail with "No clients found"; ``as_current`` scopes it.
    """
    import distributed

    with client.as_current():
        distributed.wait(distributed.futures_of(collection))


def _cluster_efficiency(n: int, k: int, rounds: int, seed: int) -> dict:
    """Parallel efficiency from 1 to 2 workers of a ``distributed.LocalCluster`` (worker
    processes of one thread each), ``t1 / (2 t2)``.

    Both clusters run side by side and the rounds alternate between them, so a change
    of load on the shared machine hits both alike. The signal is persisted on the
    workers first and the result persisted there (``persist`` + ``wait``): the time is
    the convolution with its halo exchange, not shipping 4 bytes a sample to and from
    the client.
    """
    try:
        distributed = require("distributed", "dask", "convop bench --dask")
    except ImportError:
        return {"case": "cluster", "skipped": "distributed not installed"}
    da = require("dask.array", "dask", "convop bench --dask")
    from convop._operators.functional import convolve
    from convop.dask import convolve as dconvolve

    kern = np.hanning(k).astype(np.float32)
    chunk = max(n // 8, 4 * k)
    ref = None
    times: dict[str, list[float]] = {"1 worker": [], "2 workers": []}
    errors = []
    with ExitStack() as stack:
        runs = {}
        for w in (1, 2):
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=w,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=":0",  # a free port: no clash, no warning
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(distributed.Client(cluster, set_as_default=False))
            # generated on the workers (the same seeded pieces on both clusters): shipping
            # the signal from the client would put 4 bytes a sample into the graph
            gen = da.random.default_rng(seed).standard_normal(n, chunks=chunk, dtype=np.float32)
            xd = client.persist(gen)
            _wait(client, xd)
            if ref is None:
                ref = convolve(client.compute(xd).result(), kern, "same")
            yd = dconvolve(xd, kern, "same")
            # also warms the workers up (imports, FFT plans) before anything is timed
            got = client.compute(yd).result()
            errors.append(float(np.abs(got - ref).max() / np.abs(ref).max()))
            runs[f"{w} worker" + ("s" if w > 1 else "")] = (client, yd)

        def once(client: Any, yd: Any) -> None:
            _wait(client, client.persist(yd))  # released when the result is dropped

        for _ in range(rounds):
            for label, (client, yd) in runs.items():
                times[label].append(_timed(partial(once, client, yd)))
    med = {key: median(v) for key, v in times.items()}
    return {
        "case": "cluster",
        "shape": str(n),
        "kernel": str(k),
        "chunks": str(chunk),
        "times": {key: _spread(v) for key, v in times.items()},
        "parallel_efficiency": med["1 worker"] / (2 * med["2 workers"]),
        "max_rel_error": max(errors),
    }


def _vs_dask_image(shape: tuple, chunks: tuple, rounds: int, seed: int) -> dict:
    da = require("dask.array", "dask", "convop bench --dask")
    dask = require("dask", "dask", "convop bench --dask")
    from convop.dask import convolve

    try:
        ndfilters = require("dask_image.ndfilters", "dask", "convop bench --dask")
    except ImportError:
        return {"case": "dask_image", "skipped": "dask_image not installed"}
    rng = np.random.default_rng(seed)
    x = da.from_array(rng.standard_normal(shape).astype(np.float32), chunks=chunks)
    kern = rng.standard_normal((7, 7, 7)).astype(np.float32)
    ours = convolve(x, kern, "same", boundary="reflect")
    theirs = ndfilters.convolve(x, kern, mode="mirror")  # scipy.ndimage 'mirror' = reflect
    with dask.config.set(scheduler="threads", num_workers=2):
        a, b = dask.compute(ours, theirs)
        times: dict[str, list[float]] = {"convop": [], "dask_image": []}
        for _ in range(rounds):
            times["convop"].append(_timed(ours.compute))
            times["dask_image"].append(_timed(theirs.compute))
    err = float(np.abs(a - b).max() / np.abs(b).max())
    return {
        "case": "dask_image",
        "shape": "x".join(map(str, shape)),
        "kernel": "7x7x7",
        "chunks": "x".join(map(str, chunks)),
        "times": {key: _spread(v) for key, v in times.items()},
        "speedup_vs_dask_image": median(times["dask_image"]) / median(times["convop"]),
        "max_rel_difference": err,
    }


#: the cases :func:`run` knows, in the order it runs them
CASES = ("1-D", "3-D", "throughput", "cluster", "dask_image")


def run(quick: bool = False, seed: int = 0, cases: Sequence[str] | None = None) -> list[dict]:
    """Run the cases (reduced sizes when ``quick``; ``cases``: a subset of
    :data:`CASES`, default all) and return one dict per case."""
    chosen = CASES if cases is None else tuple(cases)
    unknown = sorted(set(chosen) - set(CASES))
    if unknown:
        raise ValueError(f"unknown cases {unknown}; expected some of {CASES}")
    if quick:
        sizes: dict[str, Callable[[], dict]] = {
            "1-D": lambda: _memory_case(
                "1-D to zarr", (2**22,), (2**19,), np.hanning(4097), "zero", seed
            ),
            "3-D": lambda: _memory_case(
                "3-D to zarr", (128, 128, 64), (64, 64, 64), np.ones((7, 7, 7)), "reflect", seed
            ),
            "throughput": lambda: _throughput(2**20, 4097, 3, seed),
            "cluster": lambda: _cluster_efficiency(2**20, 4097, 3, seed),
            "dask_image": lambda: _vs_dask_image((64, 64, 32), (32, 32, 32), 2, seed),
        }
    else:
        sizes = {
            "1-D": lambda: _memory_case(
                "1-D to zarr", (2**30,), (2**23,), np.hanning(4097), "zero", seed
            ),
            "3-D": lambda: _memory_case(
                "3-D to zarr",
                (1024, 1024, 256),
                (64, 128, 64),
                np.ones((7, 7, 7)) / 343,
                "reflect",
                seed,
            ),
            "throughput": lambda: _throughput(2**24, 4097, 5, seed),
            "cluster": lambda: _cluster_efficiency(2**24, 4097, 5, seed),
            "dask_image": lambda: _vs_dask_image((256, 256, 128), (128, 128, 128), 3, seed),
        }
    rows = [sizes[c]() for c in CASES if c in chosen]
    for r in rows:
        for key in list(r):
            if isinstance(r[key], np.generic):
                r[key] = r[key].item()
    return rows


def _ms(times: dict) -> str:
    return ", ".join(
        f"{k} {v['median'] * 1e3:.4g} ms [{v['min'] * 1e3:.4g}-{v['max'] * 1e3:.4g}]"
        for k, v in times.items()
    )


def table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run`'s rows."""
    lines = []
    for r in rows:
        if "skipped" in r:
            lines.append(f"{r['case']}: skipped ({r['skipped']})")
        elif "peak_rss_GiB" in r:
            lines.append(
                f"{r['case']}: {r['shape']} float32 ({r['input_GiB']:.3g} GiB), kernel "
                f"{r['kernel']}, chunks {r['chunks']}: {r['seconds']:.3g} s, "
                f"{r['samples_per_s']:.3g} samples/s, peak RSS {r['peak_rss_GiB']:.3g} GiB "
                f"(before {r['baseline_rss_GiB']:.3g} GiB), max rel error of the first "
                f"chunk {r['max_rel_error']:.1e}"
            )
        elif r["case"] == "throughput":
            lines.append(
                f"throughput N={r['shape']} K={r['kernel']} chunks {r['chunks']}: "
                f"{_ms(r['times'])}; dask/in-memory throughput {r['ratio_vs_memory']:.2f}x "
                f"(defaults, dask on 2 threads), {r['ratio_1core_vs_memory_1core']:.2f}x "
                f"(one core each); parallel efficiency 1->2 threads "
                f"{r['parallel_efficiency']:.2f}"
            )
        elif r["case"] == "cluster":
            lines.append(
                f"LocalCluster N={r['shape']} K={r['kernel']} chunks {r['chunks']} (worker "
                f"processes, 1 thread each, persist + wait): {_ms(r['times'])}; parallel "
                f"efficiency 1->2 workers {r['parallel_efficiency']:.2f}; max rel error "
                f"{r['max_rel_error']:.1e}"
            )
        else:
            t = r["times"]
            parts = ", ".join(
                f"{k} {v['median']:.3g} s [{v['min']:.3g}-{v['max']:.3g}]" for k, v in t.items()
            )
            lines.append(
                f"vs dask_image {r['shape']} kernel {r['kernel']} chunks {r['chunks']}: "
                f"{parts}; convop {r['speedup_vs_dask_image']:.2f}x faster; max rel "
                f"difference {r['max_rel_difference']:.1e}"
            )
    return "\n".join(lines)
