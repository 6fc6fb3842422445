"""The Dask path on dask.distributed: a LocalCluster of 2 worker processes on loopback."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from helpers import BOUNDARIES, MODES, assert_close, reference_convolve

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

import convop.dask as cd  # noqa: E402
from convop._operators.convolution import Convolution  # noqa: E402
from convop._operators.functional import convolve  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # a free port: no clash, no warning
        silence_logs=40,
    )
    cl = distributed.Client(cluster)
    try:
        yield cl
    finally:
        cl.close()
        cluster.close()


def _slow(block, delay):
    time.sleep(delay)
    return block


def test_equality_on_the_cluster(client):
    rng = np.random.default_rng(0)
    x2 = rng.standard_normal((23, 17))
    k2 = rng.standard_normal((4, 3))
    xd = da.from_array(x2, chunks=(6, 5))
    lazy = {}
    # every mode and every boundary, both strategies (rotated: one graph per pair, the
    # full product is tested on threads)
    for i, b in enumerate(BOUNDARIES):
        for j, strategy in enumerate(("halo", "overlap-add")):
            mode = MODES[(i + j) % len(MODES)]
            lazy[mode, b, strategy] = cd.convolve(xd, k2, mode, boundary=b, strategy=strategy)
    got = client.compute(lazy, sync=True)
    for (mode, b, _), value in got.items():
        assert_close(value, reference_convolve(x2, k2, mode, b))


def test_operator_on_the_cluster(client):
    rng = np.random.default_rng(1)
    A = Convolution(rng.standard_normal(5), (60,), "same", boundary="reflect")
    x = rng.standard_normal((3, 60))
    xd = da.from_array(x, chunks=(1, 13))
    assert_close(A(xd).compute(), A(x))
    assert_close(A.adjoint(xd).compute(), A.adjoint(x))
    assert_close((A @ xd[0]).compute(), A @ x[0])


def test_cgls_on_the_cluster(client):
    """The Dask-native CGLS, its iterates persisted on the workers. Every step is a few
    scheduler round trips, so three steps only: CGLS's iterates are CG's on the normal
    equations (AᵀA + d²I) x = Aᵀb, the reference (scipy cg on the dense matrix)."""
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(3)
    A = Convolution(np.array([0.25, 0.5, 0.25]), (24,), "same", boundary="reflect")
    b = A(rng.standard_normal(24))
    x, info = cd.cgls(A, da.from_array(b, chunks=12), damp=0.5, tol=0.0, maxiter=3)
    M = A.to_dense()
    ref = spla.cg(M.T @ M + 0.25 * np.eye(24), M.T @ b, rtol=0.0, atol=0.0, maxiter=3)[0]
    assert info["iterations"] == 3
    np.testing.assert_allclose(x.compute(), ref, atol=1e-10)


def _ours(keys, graph_keys):
    return [key for key in keys if key in graph_keys]


def test_worker_killed_mid_computation(client):
    """SIGKILL a worker process while it holds finished results of the computation and
    runs another of its tasks: the lost pieces are recomputed on the other worker."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal(16 * 50)
    k = rng.standard_normal(9)
    xd = da.from_array(x, chunks=50).map_blocks(_slow, 0.25, dtype=x.dtype)
    y = cd.convolve(xd, k, "same", boundary="symmetric")
    graph_keys = set(y.__dask_graph__())
    future = client.compute(y)
    # mid-computation, not before: wait for a worker that holds finished pieces of
    # this graph (they die with it) and is processing more of them
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and not future.done():
        held, running = client.has_what(), client.processing()
        for addr, keys in held.items():
            if _ours(keys, graph_keys) and _ours(running.get(addr, ()), graph_keys):
                victim = addr
                break
        else:
            time.sleep(0.02)
    assert victim is not None, "no worker was ever both holding and running our tasks"
    assert not future.done()
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    # the scheduler sees the worker go while the result is still pending
    deadline = time.monotonic() + 30
    while victim in client.scheduler_info()["workers"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert victim not in client.scheduler_info()["workers"]
    assert not future.done(), "the computation finished before the worker was lost"
    got = future.result(timeout=120)
    assert_close(got, convolve(x, k, "same", boundary="symmetric"))
    # the nanny restarted the worker (under a new address): the cluster has two again
    client.wait_for_workers(2, timeout=60)
