"""BLAS thread control for batched small-matrix work.

OpenBLAS parallelises each small factorisation or product separately; for stacks of
64×64 matrices the threads mostly wait on each other, and with any other load on the
machine a batched Cholesky runs several times slower than on one thread (measured on
2 cores: 25 ms vs 230 ms). When ``threadpoolctl`` is installed (it is in the ``all``
and ``test`` extras) such sections run with one BLAS thread; otherwise nothing changes.
"""
from __future__ import annotations

import contextlib
import functools
import os
import threading
from typing import Any, Callable, Iterator, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread inside the block when ``threadpoolctl`` is available."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def one_blas_thread(fn: F) -> F:
    """Decorator: run ``fn`` inside :func:`single_blas_thread`."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with single_blas_thread():
            return fn(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# -- batches over worker threads ------------------------------------------------------------
_POOL: Any = None
_PREFIX = "convop-worker"
_MIN_SPLIT = 64          # matrices per chunk below which one thread is faster


def workers() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                      # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool() -> Any:
    global _POOL
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor
        _POOL = ThreadPoolExecutor(max_workers=workers(), thread_name_prefix=_PREFIX)
    return _POOL


def _in_worker() -> bool:
    return threading.current_thread().name.startswith(_PREFIX)


def run_parallel(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent NumPy calls (which release the GIL) on the worker threads.

    Called from a worker thread itself, the calls run there one after the other: a
    task waiting on tasks queued behind it in the same pool would deadlock.
    """
    if len(calls) < 2 or workers() < 2 or _in_worker():
        return [c() for c in calls]
    futures = [_pool().submit(c) for c in calls]
    return [f.result() for f in futures]


def map_slices(fn: Callable[[slice], Any], n: int) -> list[Any]:
    """``[fn(s) for s in slices]`` over contiguous slices of ``range(n)``, one per thread.

    For stacks of small matrices (each call on one BLAS thread, see
    :func:`single_blas_thread`) this uses every core without OpenBLAS's per-call
    thread overhead. Stacks under ``2 × 64`` matrices stay on one thread.
    """
    parts = min(workers(), n // _MIN_SPLIT)
    if parts < 2:
        return [fn(slice(0, n))]
    edges = [n * i // parts for i in range(parts + 1)]
    return run_parallel(*[functools.partial(fn, slice(a, b))
                          for a, b in zip(edges[:-1], edges[1:])])


def map_batch(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn(x)`` for a stacked gufunc-style ``fn``, the leading axis split over threads
    (:func:`map_slices`), results concatenated."""
    import numpy as np

    outs = map_slices(lambda s: fn(x[s]), x.shape[0])
    return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)
