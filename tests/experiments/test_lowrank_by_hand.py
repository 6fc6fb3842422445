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


def _claim(result, start):
    return next(c for c in result.claims if c.statement.startswith(start))


def test_planted_wrong_truncation_fails_eckart_young(monkeypatch):
    """Keeping the r smallest singular pairs instead of the r largest is caught."""

    def smallest(u, s, vt, r):
        k = len(s)
        return (u[:, k - r :] * s[k - r :]) @ vt[k - r :]

    monkeypatch.setattr(exp, "truncate", smallest)
    result = exp.run(quick=True)
    assert not _claim(result, "Eckart–Young").passed
    assert not result.passed


def test_planted_non_orthogonal_random_basis_fails_the_projection_claim(monkeypatch):
    """Unit columns that are not orthogonal to each other do not project: caught."""

    def unit_columns(k, r, rng):
        g = rng.standard_normal((k, r))
        return g / np.linalg.norm(g, axis=0)

    monkeypatch.setattr(exp, "random_basis", unit_columns)
    assert not _claim(exp.run(quick=True), "A random rank-r projection").passed


def test_planted_swapped_separable_factors_fail_the_output_claims(monkeypatch):
    """Passing the row factor down the columns (and the other way round) is caught,
    on the worked example and on the white-noise image."""
    real = exp.separable_correlate
    monkeypatch.setattr(exp, "separable_correlate", lambda x, a, b: real(x, b, a))
    result = exp.run(quick=True)
    assert not _claim(result, "Separable two-pass output equals").passed
    assert not _claim(result, "On the white-noise image").passed


def test_white_noise_moments_match_simulation():
    # the mean and spread of ‖e ⋆ X‖² against a Monte-Carlo estimate
    rng = np.random.default_rng(7)
    e = rng.standard_normal((3, 3))
    m = 12
    sums = [
        np.sum(correlate2d(rng.standard_normal((m + 2, m + 2)), e, mode="valid") ** 2)
        for _ in range(4000)
    ]
    mean, sd = exp._white_noise_moments(e, m)
    assert np.mean(sums) == pytest.approx(mean, rel=4 * sd / mean / np.sqrt(4000) + 1e-3)
    assert np.std(sums) == pytest.approx(sd, rel=0.06)
