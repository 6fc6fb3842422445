"""The Dask benchmark's cases on tiny sizes (the full sizes run in benchmarks/)."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("zarr")
pytest.importorskip("psutil")

from convop._tools import bench_dask as bd  # noqa: E402


def test_memory_case_tiny_3d_reflect():
    r = bd._memory_case("3-D", (16, 16, 8), (8, 8, 8), np.ones((7, 7, 7)) / 343, "reflect", 0)
    assert r["max_rel_error"] < 1e-5
    assert 0 < r["baseline_rss_GiB"] <= r["peak_rss_GiB"] < 4
    assert "peak RSS" in bd.table([r])


def test_rss_sampler_sees_an_allocation():
    with bd.RSSSampler(interval=0.005) as mem:
        a = np.ones(2**25 // 8)  # 32 MiB, touched
        a += 1

        time.sleep(0.05)
    assert mem.peak - mem.baseline > 16 * 2**20


def test_vs_dask_image_tiny_same_values():
    pytest.importorskip("dask_image")
    r = bd._vs_dask_image((16, 16, 16), (8, 8, 8), 1, 0)
    assert r["max_rel_difference"] < 1e-5 and r["speedup_vs_dask_image"] > 0
    assert "dask_image" in bd.table([r])


def test_cluster_case_runs_with_clients_that_are_not_default():
    # The bench's clients are not made default; distributed.wait looked one up and
    # failed with "No clients found" before the waits were scoped to their client.
    distributed = pytest.importorskip("distributed")
    r = bd._cluster_efficiency(2**14, 65, 1, 0)
    assert r["case"] == "cluster" and r["max_rel_error"] < 1e-5
    assert r["parallel_efficiency"] > 0
    assert "LocalCluster" in bd.table([r])
    with pytest.raises(ValueError):
        distributed.default_client()  # the bench left no current client behind


def test_throughput_case_tiny():
    r = bd._throughput(2**14, 65, 1, 0)
    assert r["max_rel_error"] < 1e-5
    assert bd.table([r])
