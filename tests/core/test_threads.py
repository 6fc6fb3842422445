import builtins

import numpy as np

import convop
from convop._core import threads as _threads


def test_guard_limits_numpys_blas_to_one_thread():
    import pytest

    api = _threads.numpy_blas_api()
    if api is None:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    before = api[0]()
    with convop.options(blas_threads="single"), _threads.single_blas_thread():
        assert api[0]() == 1
    assert api[0]() == before


def test_guard_falls_back_to_threadpoolctl(monkeypatch):
    import pytest

    tpc = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(_threads, "numpy_blas_api", lambda: None)
    np.linalg.cholesky(np.eye(2))  # BLAS loaded
    with convop.options(blas_threads="single"), _threads.single_blas_thread():
        infos = [i for i in tpc.threadpool_info() if i["user_api"] == "blas"]
        assert infos and all(i["num_threads"] == 1 for i in infos)


def test_guard_is_a_no_op_without_either(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    monkeypatch.setattr(_threads, "numpy_blas_api", lambda: None)

    @_threads.one_blas_thread
    def f(x):
        """doc"""
        return x + 1

    assert f(1) == 2 and f.__doc__ == "doc"


def test_map_slices_splits_and_nests_without_deadlock(monkeypatch):
    monkeypatch.setattr(_threads, "workers", lambda: 2)
    seen = []

    def inner(s):
        seen.append(s)
        return s.stop - s.start

    def outer(s):
        # a worker asking for more parallel work runs it itself (no pool re-entry)
        return sum(_threads.map_slices(inner, 4 * _threads._MIN_SPLIT))

    parts = _threads.map_slices(outer, 2 * _threads._MIN_SPLIT)
    assert parts == [4 * _threads._MIN_SPLIT] * 2
    got = _threads.map_batch(lambda x: x * 2, np.arange(3 * _threads._MIN_SPLIT))
    np.testing.assert_array_equal(got, 2 * np.arange(3 * _threads._MIN_SPLIT))


# -- numpy's BLAS thread count --------------------------------------------------------------
def _blas_threads():
    api = _threads.numpy_blas_api()
    return None if api is None else api[0]()


def test_numpy_blas_single_nests_and_restores():
    import pytest

    if _threads.numpy_blas_api() is None:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    before = _blas_threads()
    with convop.options(blas_threads="single"):
        with _threads.numpy_blas_single():
            assert _blas_threads() == 1
            with _threads.numpy_blas_single():
                assert _blas_threads() == 1
            assert _blas_threads() == 1  # the outer block still holds it
        assert _blas_threads() == before


def test_numpy_blas_single_is_safe_across_threads():
    """Overlapping blocks on several threads leave the first count behind (a naive
    save/restore per block would restore 1 when blocks interleave)."""
    import threading

    before = _blas_threads()
    gate = threading.Barrier(4)

    def work():
        gate.wait()
        with convop.options(blas_threads="single"):
            for _ in range(200):
                with _threads.numpy_blas_single():
                    pass

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _blas_threads() == before


def test_numpy_blas_single_without_the_library(monkeypatch):
    monkeypatch.setattr(_threads, "numpy_blas_api", lambda: None)
    with _threads.numpy_blas_single():
        x = np.ones((3, 3)) @ np.ones((3, 3))
    np.testing.assert_array_equal(x, 3 * np.ones((3, 3)))


def test_blas_threads_option_is_checked():
    import pytest

    with pytest.raises(ValueError, match="blas_threads"):
        with convop.options(blas_threads="one"):
            pass


def test_by_default_convop_never_changes_the_blas_thread_count(monkeypatch):
    """Every guard is a no-op unless the caller opted in: the count is process-wide."""
    calls = []
    monkeypatch.setattr(_threads, "numpy_blas_api", lambda: (lambda: 4, lambda n: calls.append(n)))
    with _threads.numpy_blas_single(), _threads.single_blas_thread():
        pass
    assert calls == []
    with convop.options(blas_threads="single"), _threads.numpy_blas_single():
        pass
    assert calls == [1, 4]


def test_a_user_blas_limit_in_another_thread_holds_while_convop_runs():
    """Issue 21.5: while convop.spectral.svdvals (stacks of small SVDs) runs in one
    thread, a threadpoolctl limit set in another thread is not reset, and restoring it
    afterwards gives back the original count (OpenBLAS's count is process-wide)."""
    import threading

    import pytest

    tpc = pytest.importorskip("threadpoolctl")
    np.linalg.svd(np.eye(3))  # BLAS loaded

    def blas_counts():
        return [i["num_threads"] for i in tpc.threadpool_info() if i["user_api"] == "blas"]

    original = blas_counts()
    if not original or max(original) < 2:
        pytest.skip("BLAS runs on one thread here: nothing to compose")
    stop = threading.Event()
    errors = []

    def convop_work():
        try:
            w = np.random.default_rng(0).standard_normal((4, 4, 3, 3))
            layer = convop.ConvLayer(w, (4, 16, 16), padding=1, boundary="periodic")
            while not stop.is_set():
                convop.spectral.svdvals(layer)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=convop_work)
    worker.start()
    seen = []
    try:
        for _ in range(20):
            limiter = tpc.threadpool_limits(limits=1, user_api="blas")
            for _ in range(20):
                seen.extend(blas_counts())
            limiter.restore_original_limits()
            assert blas_counts() == original
    finally:
        stop.set()
        worker.join()
    assert not errors
    assert seen and set(seen) == {1}
    assert blas_counts() == original


# -- busy-core detection --------------------------------------------------------------------
def test_threads_slower_than_one_start_a_doubling_hold(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: now[0])
    _threads.reset_contention()
    try:
        for _ in range(_threads.SAMPLES):
            assert _threads.unsampled("k")
            _threads.note_time("k", 2.0, 10, single=True)  # one thread: 0.2 s per unit
        assert not _threads.unsampled("k")
        _threads.note_time("k", 1.1, 10)  # two threads faster: fine
        assert not _threads.contended("k") and not _threads.contended()
        _threads.note_time("k", 2.5, 10)  # 1.25x slower: noise, not a stalled thread
        assert not _threads.contended("k")
        _threads.note_time("k", 3.5, 10)  # much slower than one thread
        assert _threads.contended("k") and _threads.contended()
        assert not _threads.contended("other")
        now[0] += _threads.HOLD_MIN + 1e-3
        assert not _threads.contended("k")
        _threads.note_time("k", 3.5, 10)  # still slow: hold twice as long
        now[0] += 1.5 * _threads.HOLD_MIN
        assert _threads.contended("k")
        now[0] += _threads.HOLD_MIN
        _threads.note_time("k", 1.0, 10)  # faster again: doubling reset
        assert _threads._state["k"].hold == _threads.HOLD_MIN
    finally:
        _threads.reset_contention()


def test_a_machine_slow_on_every_core_keeps_its_threads(monkeypatch):
    """The reference is the latest one-thread time: when everything runs 2x slower,
    two threads stay faster than one and no hold starts."""
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: 0.0)
    _threads.reset_contention()
    try:
        _threads.note_time("k", 1.0, 1, single=True)
        _threads.note_time("k", 0.6, 1)
        _threads.note_time("k", 2.0, 1, single=True)  # slow period, one thread
        _threads.note_time("k", 1.2, 1)  # two threads, same period
        assert not _threads.contended("k")
    finally:
        _threads.reset_contention()


def test_a_shape_faster_on_one_thread_does_not_hold_others(monkeypatch):
    """A narrow product whose threads never helped holds only its own key; FFT
    workers (key None) follow keys whose threads once were faster."""
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: 0.0)
    _threads.reset_contention()
    try:
        _threads.note_time("narrow", 1.0, 1, single=True)
        _threads.note_time("narrow", 3.0, 1)  # the first threaded call only warms up
        assert not _threads.contended("narrow")
        _threads.note_time("narrow", 3.0, 1)
        assert _threads.contended("narrow") and not _threads.contended()
    finally:
        _threads.reset_contention()


def test_hold_is_capped(monkeypatch):
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: 0.0)
    _threads.reset_contention()
    try:
        _threads.note_time("k", 1.0, 1, single=True)
        for _ in range(20):
            _threads.note_time("k", 10.0, 1)
        assert _threads._state["k"].hold == _threads.HOLD_MAX
        assert _threads._state["k"].until <= _threads.HOLD_MAX
    finally:
        _threads.reset_contention()


def test_fft_workers_drop_to_one_while_contended(monkeypatch):
    from convop._engines import fft as _fft_backends

    big = 4 * _fft_backends.PARALLEL_MIN
    assert _fft_backends.workers(big) == -1  # every core, the default option
    with convop.options(workers=2):
        assert _fft_backends.workers(big) == 2
    assert _fft_backends.workers(16) == 1
    monkeypatch.setattr(_threads, "contended", lambda: True)
    assert _fft_backends.workers(big) == 1


def test_worker_threads_see_the_callers_options():
    from convop._core.config import current

    def flag():
        return current().torch

    with convop.options(torch=False):
        assert _threads.run_parallel(flag, flag, flag) == [False, False, False]
    assert _threads.run_parallel(flag, flag) == [True, True]


def test_first_threaded_call_is_a_warm_up(monkeypatch):
    # it builds FFT plans and wakes threads: a hold started by it sent the torch FFT
    # route to one-thread scipy in the middle of convop bench
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: 0.0)
    _threads.reset_contention()
    try:
        for _ in range(_threads.SAMPLES):
            _threads.note_time("w", 1.0, 1, single=True)
        _threads.note_time("w", 5.0, 1)
        assert not _threads.contended("w")
        _threads.note_time("w", 5.0, 1)
        assert _threads.contended("w")
    finally:
        _threads.reset_contention()
