"""``convop graph``: filters .npy signals on named, .npz and edge-list graphs."""

import numpy as np
import scipy.sparse as sp

from convop.cli import main
from convop.graph import heat, torus


def test_named_torus_matches_library(tmp_path):
    x = np.random.default_rng(0).standard_normal(12)
    np.save(tmp_path / "x.npy", x)
    assert (
        main(
            [
                "graph",
                str(tmp_path / "x.npy"),
                str(tmp_path / "y.npy"),
                "--graph",
                "torus:3,4",
                "--t",
                "0.5",
            ]
        )
        == 0
    )
    np.testing.assert_allclose(
        np.load(tmp_path / "y.npy"), torus(3, 4).filter(x, heat(0.5), "exact"), atol=1e-12
    )


def test_npz_and_edge_list_chebyshev(tmp_path):
    G = torus(4, 5)
    sp.save_npz(tmp_path / "a.npz", sp.csr_matrix(G.adjacency))
    coo = sp.triu(G.adjacency).tocoo()
    np.savetxt(tmp_path / "e.txt", np.stack([coo.row, coo.col], 1), fmt="%d")
    x = np.random.default_rng(1).standard_normal((20, 2))
    np.save(tmp_path / "x.npy", x)
    ref = G.filter(x, heat(1.0), "exact")
    for spec in ("a.npz", "e.txt"):
        out = tmp_path / f"y_{spec}.npy"
        args = ["graph", str(tmp_path / "x.npy"), str(out), "--graph", str(tmp_path / spec)]
        assert main(args + ["--method", "chebyshev", "--order", "30"]) == 0
        np.testing.assert_allclose(np.load(out), ref, atol=1e-8)


def test_errors_are_clear(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros(5))
    base = ["graph", str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--graph"]
    assert main(base + ["torus:3"]) == 2
    assert "expected torus:N,M" in capsys.readouterr().err
    assert main(base + ["ring:6"]) == 2
    assert "does not fit the graph" in capsys.readouterr().err
    assert main(base + ["nope.npz"]) == 2
    assert "not ring:N" in capsys.readouterr().err
    assert main(["graph", str(tmp_path / "missing.npy"), "y.npy", "--graph", "ring:5"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(base + ["ring:5", "--t", "-1"]) == 2
    assert "invalid t=-1.0" in capsys.readouterr().err
