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


def test_plot_draws_the_torus_sweep(tmp_path):
    rows = bench_graph.run(torus_n=8, rgg_n=200, sweep=(4, 6))
    path = bench_graph.plot(rows, tmp_path / "graph.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_convop_bench_graph_writes_json_and_plot(tmp_path, monkeypatch, capsys):
    real = bench_graph.run
    monkeypatch.setattr(bench_graph, "run", lambda quick: real(torus_n=8, rgg_n=200, sweep=(4,)))
    assert bench_cli.main(["--graph", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "graph.json").exists() and (tmp_path / "graph.png").exists()
    assert "torus 4x4" in capsys.readouterr().out
