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
    for mode in MODES:
        for b in BOUNDARIES:
            for strategy in ("halo", "overlap-add"):
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
    # (cgls on the cluster: each iteration submits a graph and gathers scalars, which
    # took minutes on a loaded 2-core machine; the solvers are tested on threads)


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
