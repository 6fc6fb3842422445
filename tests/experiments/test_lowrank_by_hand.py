"""Tests of the lowrank_by_hand tour experiment."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate2d

from convop.experiments import lowrank_by_hand as exp


@pytest.fixture(scope="module")
def quick_result():
    return exp.run(quick=True)


def test_quick_run_all_claims_pass(quick_result):
    failed = [c for c in quick_result.claims if c.counts and not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured) for c in failed]
    assert quick_result.name == "lowrank_by_hand"
    assert len(quick_result.figures) == 2
    assert quick_result.tables


def test_same_seed_same_numbers(quick_result):
    again = exp.run(quick=True)
    assert [c.to_dict() for c in again.claims] == [c.to_dict() for c in quick_result.claims]
    assert again.tables == quick_result.tables


def test_other_seed_changes_random_part(quick_result):
    other = exp.run(quick=True, seed=5)
    assert other.passed
    assert other.tables[-1] != quick_result.tables[-1]


def test_post_numbers():
    full = correlate2d(exp.X_POST, exp.K_POST, mode="valid")
    assert full[0, 0] == -2
    summed, value = exp.post_procedure(exp.X_POST[:3, :3], exp.A1, exp.B1)
    assert summed.tolist() == [6, 0, -6] and value == 0
    assert np.array_equal(exp.separable_correlate(exp.X_POST, exp.A1, exp.B1), full)


@pytest.mark.parametrize("p, q", [(1, 1), (2, 3), (3, 2), (5, 5)])
def test_separable_matches_dense(p, q):
    rng = np.random.default_rng(p * 10 + q)
    x = rng.standard_normal((9, 11))
    a, b = rng.standard_normal(p), rng.standard_normal(q)
    np.testing.assert_allclose(
        exp.separable_correlate(x, a, b),
        correlate2d(x, np.outer(a, b), mode="valid"),
        rtol=1e-12,
        atol=1e-12,
    )


def test_run_accepts_out_dir(tmp_path):
    res = exp.run(quick=True, out_dir=tmp_path)
    assert res.passed and res.files == []
