"""``convop bench --graph`` on tiny graphs: agrees with PyGSP and the eigenbasis."""

import numpy as np
import pytest

from convop._tools import bench_cli, bench_graph


def test_tiny_run_and_table():
    pytest.importorskip("pygsp")
    rows = bench_graph.run(torus_n=8, rgg_n=200, sweep=(4,))
    assert [r["case"] for r in rows] == ["chebyshev", "chebyshev", "torus"]
    assert all(r["max_abs_diff"] < 1e-10 for r in rows)
    assert rows[0]["ratio"] > 0 and "pygsp" in rows[0]["seconds"]
    assert "ratio = convop / pygsp" in bench_graph.table(rows)


def test_random_geometric_degree():
    G = bench_graph.random_geometric(2000, degree=10.0)
    assert G.n_nodes == 2000 and 8 < np.mean(G.degrees) < 11


def test_registered_in_convop_bench():
    assert bench_cli.SUBSYSTEM_MODULE["graph"] == "graph" and "graph" in bench_cli.SUBSYSTEMS
