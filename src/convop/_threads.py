"""Thread control: BLAS thread counts, busy-core detection, batches over worker threads.

OpenBLAS parallelises each small factorisation or product separately; for stacks of
64×64 matrices the threads mostly wait on each other, and with any other load on the
machine a batched Cholesky runs several times slower than on one thread (measured on
2 cores: 25 ms vs 230 ms). When ``threadpoolctl`` is installed (it is in the ``all``
and ``test`` extras) such sections run with one BLAS thread; otherwise nothing changes.

A multi-threaded call waits for its slowest thread. When another process (or the
hypervisor) holds one of the cores, that thread gets a share of a time slice: with a
busy loop on one of the two cores here, a 3126×62·62×32 float64 product went from
0.40 ms on two threads to 3.9 ms (1.2 ms on one thread), while single-threaded
code just runs on the free core. :func:`note_time` spots such slowdowns from the
times of repeated calls and :func:`contended` then tells callers to stay on one
thread for a while (:class:`numpy_blas_single`).
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import glob
import os
import threading
import time
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


# -- numpy's BLAS on one thread, cheaply -----------------------------------------------------
#: (get, set) thread-count entry points of the OpenBLAS builds numpy wheels ship
_OPENBLAS_API = (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                 ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
                 ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                 ("openblas_get_num_threads", "openblas_set_num_threads"))


@functools.lru_cache(maxsize=None)
def numpy_blas_api() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """``(get_num_threads, set_num_threads)`` of the OpenBLAS numpy links, or None.

    Looks for the library numpy's wheels bundle (``numpy.libs``, ``numpy/.dylibs``);
    a call through ctypes costs under a microsecond, where ``threadpoolctl`` needs
    several. Other BLAS builds (MKL, a system OpenBLAS) give None.
    """
    import numpy as np

    root = os.path.dirname(np.__file__)
    paths = sorted(glob.glob(os.path.join(root + ".libs", "*openblas*"))
                   + glob.glob(os.path.join(root, ".dylibs", "*openblas*")))
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:                         # pragma: no cover - unreadable file
            continue
        for get_name, set_name in _OPENBLAS_API:
            if hasattr(lib, get_name) and hasattr(lib, set_name):
                get, put = getattr(lib, get_name), getattr(lib, set_name)
                get.restype, get.argtypes = ctypes.c_int, []
                put.restype, put.argtypes = None, [ctypes.c_int]
                return get, put
    return None


_blas_lock = threading.Lock()
_blas_depth = 0
_blas_saved = 1


class numpy_blas_single:
    """``with numpy_blas_single():`` numpy's BLAS runs on one thread inside the block.

    The count is process-wide (OpenBLAS has no per-thread setting in its pthreads
    build); nested and concurrent blocks share it and the first count is restored
    when the last one ends. Where numpy's BLAS could not be found
    (:func:`numpy_blas_api` is None) the block changes nothing.
    """

    def __enter__(self) -> "numpy_blas_single":
        global _blas_depth, _blas_saved
        api = numpy_blas_api()
        if api is not None:
            with _blas_lock:
                if not _blas_depth:
                    _blas_saved = api[0]()
                    api[1](1)
                _blas_depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _blas_depth
        api = numpy_blas_api()
        if api is not None:
            with _blas_lock:
                _blas_depth -= 1
                if not _blas_depth:
                    api[1](_blas_saved)


# -- busy cores ----------------------------------------------------------------------------
#: a multi-threaded call this many times slower than the best time seen for its shape
#: means a core is busy elsewhere (this VM's quiet spread is about 2x over minutes)
SLOW = 3.0
#: seconds to stay on one thread after a slow call; doubles while calls stay slow
HOLD_MIN, HOLD_MAX = 0.25, 8.0
_best: dict[Any, float] = {}
_hold_until = 0.0
_hold = HOLD_MIN


def contended() -> bool:
    """True for a while after :func:`note_time` saw a multi-threaded call run slow."""
    return _hold_until > time.perf_counter()


def note_time(key: Any, seconds: float, work: float) -> None:
    """Record a multi-threaded call of ``work`` units that took ``seconds``.

    ``key`` names the call's shape class; the fastest time per unit seen for it is
    the reference. A call ``SLOW`` times slower starts (or extends, doubling) a hold
    during which :func:`contended` is True; a call at normal speed ends the doubling.
    """
    global _hold_until, _hold
    per = seconds / max(work, 1.0)
    best = _best.get(key)
    if best is None or per < best:
        if len(_best) >= 512:
            _best.clear()
        _best[key] = per
    if best is not None and per > SLOW * best:
        _hold_until = time.perf_counter() + _hold
        _hold = min(2.0 * _hold, HOLD_MAX)
    else:
        _hold = HOLD_MIN


def reset_contention() -> None:
    """Forget the reference times and any hold (tests, calibration)."""
    global _hold_until, _hold
    _best.clear()
    _hold_until, _hold = 0.0, HOLD_MIN


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
