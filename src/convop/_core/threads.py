"""Thread control: BLAS thread counts, busy-core detection, batches over worker threads.

OpenBLAS parallelises each small factorisation or product separately; for stacks of
64×64 matrices the threads mostly wait on each other, and with any other load on the
machine a batched Cholesky runs several times slower than on one thread
(benchmarks/results/NOTES.md). The BLAS thread count is process-wide, though: OpenBLAS's
pthreads build has no per-thread count (its ``set_num_threads_local`` changes the global
one), so changing it would override a limit the caller set in another thread, and no
reference count can tell a caller's limit from ours. By default
(``convop.options(blas_threads="leave")``) convop therefore never changes it; with
``blas_threads="single"`` such sections run with one BLAS thread: numpy's bundled
OpenBLAS is set directly, other builds through ``threadpoolctl`` when it is installed
(it is in the ``all`` and ``test`` extras); otherwise nothing changes.

A multi-threaded call waits for its slowest thread. When another process (or the
hypervisor) holds one of the cores, that thread gets a share of a time slice and the
whole call waits for it, slower than on one thread, while single-threaded code just
runs on the free core. :func:`note_time` spots such slowdowns by comparing
the times of multi-threaded calls with one-thread calls of the same shape, and
:func:`contended` then tells callers to stay on one thread for a while
(:class:`numpy_blas_single`). :func:`on_threads` applies that rule to a call with a
one-thread alternative: scipy.fft with several workers, torch's FFT and torch's conv
(whose intra-op threads are process-wide; convop routes around them instead of
changing ``torch.set_num_threads``).
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import functools
import glob
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from convop._core.config import current

F = TypeVar("F", bound=Callable[..., Any])


def blas_single_allowed() -> bool:
    """True when the caller let convop set the process-wide BLAS thread count
    (``convop.options(blas_threads="single")``)."""
    return current().blas_threads == "single"


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit numpy's BLAS to one thread inside the block (:class:`numpy_blas_single`);
    where numpy's bundled OpenBLAS is not found, every BLAS through ``threadpoolctl``
    when that is installed; otherwise nothing changes. Only under
    ``convop.options(blas_threads="single")``: by default the block changes nothing."""
    if not blas_single_allowed():
        yield
        return
    if numpy_blas_api() is not None:
        with numpy_blas_single():
            yield
        return
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
_OPENBLAS_API = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)


@functools.cache
def numpy_blas_api() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """``(get_num_threads, set_num_threads)`` of the OpenBLAS numpy links, or None.

    Looks for the library numpy's wheels bundle (``numpy.libs``, ``numpy/.dylibs``);
    a call through ctypes is far cheaper than ``threadpoolctl``, which matters on
    microsecond paths. Other BLAS builds (MKL, a system OpenBLAS) give None.
    """
    import numpy as np

    root = os.path.dirname(np.__file__)
    paths = sorted(
        glob.glob(os.path.join(root + ".libs", "*openblas*"))
        + glob.glob(os.path.join(root, ".dylibs", "*openblas*"))
    )
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:  # pragma: no cover - unreadable file
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
_blas_entered = threading.local()


class numpy_blas_single:
    """``with numpy_blas_single():`` numpy's BLAS runs on one thread inside the block.

    Only under ``convop.options(blas_threads="single")``; by default the block
    changes nothing (see the module docstring). The count is process-wide (OpenBLAS
    has no per-thread setting in its pthreads build); nested and concurrent blocks
    share it and the first count is restored when the last one ends. Where numpy's
    BLAS could not be found (:func:`numpy_blas_api` is None) the block changes
    nothing. One instance may be entered by several threads at once.
    """

    def __enter__(self) -> numpy_blas_single:
        global _blas_depth, _blas_saved
        api = numpy_blas_api() if blas_single_allowed() else None
        # what each enter did, per thread: the option may change between blocks
        stack = getattr(_blas_entered, "stack", None)
        if stack is None:
            stack = _blas_entered.stack = []
        stack.append(api is not None)
        if api is not None:
            with _blas_lock:
                if not _blas_depth:
                    _blas_saved = api[0]()
                    api[1](1)
                _blas_depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _blas_depth
        if not _blas_entered.stack.pop():
            return
        api = numpy_blas_api()
        if api is not None:
            with _blas_lock:
                _blas_depth -= 1
                if not _blas_depth:
                    api[1](_blas_saved)


# -- busy cores ----------------------------------------------------------------------------
#: seconds to stay on one thread after a slow call; doubles while calls stay slow
HOLD_MIN, HOLD_MAX = 0.25, 8.0
#: a multi-threaded call starts a hold only when it is this much slower per unit than
#: the latest one-thread call: a stalled thread costs 3-10x, run-to-run noise 10-30 %,
#: and holds started by noise sent the torch FFT route to one-thread scipy in the
#: middle of `convop bench` (256², 7×7: 1.13 -> 1.94 of torch's FFT)
SLOWER = 1.5
#: one-thread calls a key starts with (the first one is often cold: page faults)
SAMPLES = 2


class _Times:
    """What :func:`note_time` knows of one key."""

    __slots__ = ("single", "samples", "until", "hold", "helped", "warm")

    def __init__(self) -> None:
        self.single = float("inf")  # latest one-thread time per unit
        self.samples = 0  # one-thread calls seen
        self.until = 0.0  # end of the current hold
        self.hold = HOLD_MIN  # length of the next hold
        self.helped = False  # threads were faster once
        self.warm = False  # a multi-threaded call was seen (the first one pays set-up)


_state: dict[Any, _Times] = {}
_any_until = 0.0  # the latest hold end of a key whose threads were once faster


def contended(key: Any = None) -> bool:
    """True while a hold started by :func:`note_time` lasts: for ``key``, or, when
    ``key`` is None (callers without times of their own, e.g. FFT workers), for any key
    whose multi-threaded calls were once faster (a busy core, not a shape that is
    simply faster on one thread)."""
    now = time.perf_counter()
    if key is None:
        return _any_until > now
    got = _state.get(key)
    return got is not None and got.until > now


def unsampled(key: Any) -> bool:
    """True for the first ``SAMPLES`` calls of ``key``: callers run them on one thread,
    which gives :func:`note_time` its reference."""
    got = _state.get(key)
    return got is None or got.samples < SAMPLES


def note_time(key: Any, seconds: float, work: float, single: bool = False) -> None:
    """Record a call of ``work`` units that took ``seconds`` (``single``: on one thread).

    ``key`` names the call's shape class. A multi-threaded call slower per unit than
    the latest one-thread call of its key starts a hold of that key (and doubles it
    while such calls stay slow), during which :func:`contended` is True and callers
    stay on one thread; a multi-threaded call faster than one thread resets the
    doubling. Comparing with a recent one-thread time, not a best one, keeps a
    machine that is slow on every core (a VM's whole-machine swings) on its threads.
    """
    global _any_until
    per = seconds / max(work, 1e-30)
    got = _state.get(key)
    if got is None:
        if len(_state) >= 512:
            _state.clear()
        got = _state[key] = _Times()
    if single:
        got.single = per
        got.samples += 1
    elif per > SLOWER * got.single:
        if not got.warm:  # the first threaded call builds plans and wakes threads
            got.warm = True
            return
        got.until = time.perf_counter() + got.hold
        got.hold = min(2.0 * got.hold, HOLD_MAX)
        if got.helped:
            _any_until = max(_any_until, got.until)
    else:
        got.hold, got.helped, got.warm = HOLD_MIN, True, True


def on_threads(
    key: Any, work: float, threaded: Callable[[], Any], single: Callable[[], Any]
) -> Any:
    """``threaded()`` (a multi-threaded computation: FFT workers, torch's FFT or conv),
    or ``single()`` (the same result on one thread) while it should not run: for the
    first ``SAMPLES`` calls of ``key`` (the reference), while ``key`` is held, and while
    any key is held (:func:`contended` with no key: a core is busy elsewhere). Both are
    timed and fed to :func:`note_time`, so every multi-threaded route follows one
    contention signal. Never changes a thread count: the choice is per call."""
    if unsampled(key) or contended(key) or contended():
        t0 = time.perf_counter()
        out = single()
        note_time(key, time.perf_counter() - t0, work, single=True)
        return out
    t0 = time.perf_counter()
    out = threaded()
    note_time(key, time.perf_counter() - t0, work)
    return out


def reset_contention() -> None:
    """Forget every time and hold (tests)."""
    global _any_until
    _state.clear()
    _any_until = 0.0


# -- batches over worker threads ------------------------------------------------------------
_POOL: Any = None
_PREFIX = "convop-worker"
_MIN_SPLIT = 64  # matrices per chunk below which one thread is faster


def workers() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
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
    # each task runs in a copy of the caller's context, so convop.options() set by the
    # caller hold inside the worker threads too
    futures = [_pool().submit(contextvars.copy_context().run, c) for c in calls]
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
    return run_parallel(
        *[functools.partial(fn, slice(a, b)) for a, b in zip(edges[:-1], edges[1:])]
    )


def map_batch(fn: Callable[[Any], Any], x: Any) -> Any:
    """``fn(x)`` for a stacked gufunc-style ``fn``, the leading axis split over threads
    (:func:`map_slices`), results concatenated."""
    import numpy as np

    outs = map_slices(lambda s: fn(x[s]), x.shape[0])
    return outs[0] if len(outs) == 1 else np.concatenate(outs, axis=0)
