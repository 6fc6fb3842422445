import builtins

import numpy as np

from convop import _threads


def test_guard_limits_blas_threads_when_threadpoolctl_is_there():
    import pytest
    tpc = pytest.importorskip("threadpoolctl")
    np.linalg.cholesky(np.eye(2))  # BLAS loaded
    with _threads.single_blas_thread():
        infos = [i for i in tpc.threadpool_info() if i["user_api"] == "blas"]
        assert infos and all(i["num_threads"] == 1 for i in infos)


def test_guard_is_a_no_op_without_threadpoolctl(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)

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
    with _threads.numpy_blas_single():
        assert _blas_threads() == 1
        with _threads.numpy_blas_single():
            assert _blas_threads() == 1
        assert _blas_threads() == 1          # the outer block still holds it
    assert _blas_threads() == before


def test_numpy_blas_single_is_safe_across_threads():
    """Overlapping blocks on several threads leave the first count behind (a naive
    save/restore per block would restore 1 when blocks interleave)."""
    import threading
    before = _blas_threads()
    gate = threading.Barrier(4)

    def work():
        gate.wait()
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


# -- busy-core detection --------------------------------------------------------------------
def test_slow_calls_start_a_doubling_hold_and_a_normal_call_ends_it(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: now[0])
    _threads.reset_contention()
    try:
        _threads.note_time("k", 1.0, 10)              # reference: 0.1 s per unit
        _threads.note_time("k", 2.0, 10)              # 2x: this VM's quiet spread
        assert not _threads.contended()
        _threads.note_time("k", 3.5, 10)              # 3.5x: a busy core
        assert _threads.contended()
        now[0] += _threads.HOLD_MIN + 1e-3
        assert not _threads.contended()
        _threads.note_time("k", 3.5, 10)              # still slow: hold twice as long
        now[0] += 1.5 * _threads.HOLD_MIN
        assert _threads.contended()
        now[0] += _threads.HOLD_MIN
        _threads.note_time("k", 1.0, 10)              # normal again: doubling reset
        assert _threads._hold == _threads.HOLD_MIN
        _threads.note_time("other", 50.0, 10)         # a new key only sets its reference
        assert not _threads.contended()
    finally:
        _threads.reset_contention()


def test_hold_is_capped(monkeypatch):
    monkeypatch.setattr(_threads.time, "perf_counter", lambda: 0.0)
    _threads.reset_contention()
    try:
        _threads.note_time("k", 1.0, 1)
        for _ in range(20):
            _threads.note_time("k", 10.0, 1)
        assert _threads._hold == _threads.HOLD_MAX
        assert _threads._hold_until <= _threads.HOLD_MAX
    finally:
        _threads.reset_contention()


def test_fft_workers_drop_to_one_while_contended(monkeypatch):
    from convop import _fft_backends
    big = 4 * _fft_backends.PARALLEL_MIN
    assert _fft_backends.workers(big) == _fft_backends.WORKERS
    assert _fft_backends.workers(16) == 1
    monkeypatch.setattr(_threads, "contended", lambda: True)
    assert _fft_backends.workers(big) == 1
