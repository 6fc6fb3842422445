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
        dashboard_address=None,
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


def test_worker_killed_mid_computation(client):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(16 * 50)
    k = rng.standard_normal(9)
    xd = da.from_array(x, chunks=50).map_blocks(_slow, 0.25, dtype=x.dtype)
    y = cd.convolve(xd, k, "same", boundary="symmetric")
    future = client.compute(y)
    deadline = time.monotonic() + 30
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.6)  # a few blocks done, others running
    assert not future.done()
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    got = future.result(timeout=120)
    assert_close(got, convolve(x, k, "same", boundary="symmetric"))
    # the nanny restarted the worker: the cluster still has two
    client.wait_for_workers(2, timeout=60)
