"""Our CP-ALS and Tucker-2 (HOOI) against tensorly's, and their exactness guarantees."""

from __future__ import annotations

import numpy as np
import pytest

from convop.compress._factor import (
    cp_als,
    cp_exact_rank,
    cp_to_tensor,
    energy_rank,
    tucker2,
    tucker2_to_tensor,
    unfold,
)

tl = pytest.importorskip("tensorly")
from tensorly.decomposition import parafac, partial_tucker  # noqa: E402


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


@pytest.mark.parametrize("shape", [(6, 4, 3, 3), (3, 5, 2), (4, 4, 3, 3, 3), (2, 9, 1, 3)])
def test_cp_exact_at_kruskal_rank(shape):
    t = np.random.default_rng(0).standard_normal(shape)
    r = cp_exact_rank(shape)
    assert rel(cp_to_tensor(cp_als(t, r)), t) < 1e-13
    assert rel(cp_to_tensor(cp_als(t, r + 3)), t) < 1e-13


@pytest.mark.filterwarnings("ignore:Trying to compute SVD")
@pytest.mark.parametrize("seed", range(4))
def test_cp_als_matches_tensorly(seed):
    rng = np.random.default_rng(seed)
    t = rng.standard_normal((12, 10, 3, 3))
    for rank in (2, 6, 15):
        ours = rel(cp_to_tensor(cp_als(t, rank, n_iter=200)), t)
        cp = parafac(tl.tensor(t), rank, init="svd", n_iter_max=200, tol=1e-9)
        theirs = rel(tl.cp_to_tensor(cp), t)
        # same algorithm (ALS from an HOSVD start): errors agree within a few per cent
        assert ours <= theirs * 1.05 + 1e-12, (rank, ours, theirs)


def test_cp_recovers_synthetic_rank():
    rng = np.random.default_rng(7)
    f = [rng.standard_normal((n, 4)) for n in (10, 8, 5, 5)]
    t = cp_to_tensor(f)
    assert rel(cp_to_tensor(cp_als(t, 4, n_iter=500, tol=1e-14)), t) < 1e-6


@pytest.mark.parametrize("ranks", [(2, 3), (5, 4), (8, 6)])
def test_tucker2_matches_tensorly(ranks):
    t = np.random.default_rng(1).standard_normal((8, 6, 3, 3))
    core, uo, ui = tucker2(t, ranks, n_iter=20)
    ours = rel(tucker2_to_tensor(core, uo, ui), t)
    (tcore, factors), _ = partial_tucker(
        tl.tensor(t), rank=list(ranks), modes=[0, 1], n_iter_max=20
    )
    theirs = rel(tl.tenalg.multi_mode_dot(tcore, factors, modes=[0, 1]), t)
    assert ours <= theirs * (1 + 1e-6) + 1e-12
    assert np.allclose(uo.T @ uo, np.eye(ranks[0])) and np.allclose(ui.T @ ui, np.eye(ranks[1]))


def test_tucker2_exact_and_beyond_columns():
    t = np.random.default_rng(2).standard_normal((5, 1, 1))  # mode-0 unfolding is 5×1
    core, uo, ui = tucker2(t, (5, 1))
    assert rel(tucker2_to_tensor(core, uo, ui), t) < 1e-14 and uo.shape == (5, 5)


def test_energy_rank_and_unfold():
    assert energy_rank(np.array([2.0, 1.0, 0.0]), 1.0) == 2
    assert energy_rank(np.array([1.0, 1.0, 1.0, 1.0]), 0.5) == 2
    assert energy_rank(np.zeros(3), 0.9) == 1
    t = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unfold(t, 0), tl.unfold(tl.tensor(t), 0))
    np.testing.assert_array_equal(unfold(t, 2), tl.unfold(tl.tensor(t), 2))
