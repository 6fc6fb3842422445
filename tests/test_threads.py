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
