"""Tests of the linear_regression tour experiment."""

from __future__ import annotations

import numpy as np
import pytest

from convop.experiments import linear_regression as exp


@pytest.fixture(scope="module")
def quick_result():
    return exp.run(quick=True)


def test_quick_run_all_claims_pass(quick_result):
    failed = [c for c in quick_result.claims if c.counts and not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured, c.detail) for c in failed]
    assert len(quick_result.figures) == 3


def test_same_seed_same_numbers(quick_result):
    again = exp.run(quick=True)
    assert [c.to_dict() for c in again.claims] == [c.to_dict() for c in quick_result.claims]
    assert again.tables == quick_result.tables


@pytest.mark.parametrize("seed", [1])
def test_other_seeds_pass(seed):
    assert exp.run(quick=True, seed=seed).passed


def test_synthetic_data_follows_documented_model():
    x, y, out = exp.synthetic_data(0)
    assert x.shape == y.shape == (exp.N_POINTS,)
    assert out.sum() == exp.N_OUTLIERS
    assert x[out].max() <= x[~out].min()  # outliers are the smallest dilations
    resid = y[~out] - (exp.TRUE_SLOPE * x[~out] + exp.TRUE_INTERCEPT)
    assert abs(resid.std() - exp.NOISE_SD) < 3.0


def test_gd_l2_matches_polyfit():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 2, 25)
    y = 3 * x - 1 + rng.normal(0, 0.1, 25)
    theta, path = exp.gd_l2(x, y)
    np.testing.assert_allclose(theta, np.polyfit(x, y, 1), rtol=1e-8)
    losses = ((path @ np.column_stack([x, np.ones_like(x)]).T - y) ** 2).mean(-1)
    assert np.all(np.diff(losses) <= 1e-12)  # step 1/L: monotone descent


def test_lad_fit_is_optimal_and_subgradient_approaches_it():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, 30)
    y = 2 * x + 1 + rng.laplace(0, 0.2, 30)
    theta, f_opt = exp.lad_fit(x, y)
    assert np.isclose(np.abs(theta[0] * x + theta[1] - y).mean(), f_opt)
    grid = np.linspace(-0.5, 0.5, 41)  # no nearby line does better
    for da in grid:
        for db in grid:
            f = np.abs((theta[0] + da) * x + theta[1] + db - y).mean()
            assert f >= f_opt - 1e-12
    _, _, losses = exp.subgradient_l1(x, y, iters=20000)
    assert f_opt - 1e-12 <= losses.min() <= f_opt * (1 + 1e-3)


def test_post_table_fit():
    a, b = np.polyfit(exp.POST_DILATION, exp.POST_READING_TIME, 1)
    assert a == pytest.approx(exp.POST_SKLEARN[0], rel=1e-9)
    assert b == pytest.approx(exp.POST_SKLEARN[1], rel=1e-9)


def _claim(result, start):
    return next(c for c in result.claims if c.statement.startswith(start))


def test_planted_wrong_derivative_fails_the_local_minimum_claim(monkeypatch):
    """A chain-rule slip in f' (0.5 cos t for 0.5 cos(t/2)) sends gradient descent
    elsewhere; the expected minimum is found from f alone, so the claim catches it."""
    monkeypatch.setattr(exp, "_bumpy_grad", lambda t: 0.5 * np.cos(t) + 0.3 + 0.02 * t)
    assert not _claim(exp.run(quick=True), "Correction: from t = 3").passed


def test_planted_least_squares_line_fails_the_lad_claim(monkeypatch):
    """A 'LAD' solver that returns the least-squares line is not optimal: caught."""

    def least_squares(x, y):
        theta = np.polyfit(x, y, 1)
        return theta, float(np.abs(np.polyval(theta, x) - y).mean())

    monkeypatch.setattr(exp, "lad_fit", least_squares)
    result = exp.run(quick=True)
    assert not _claim(result, "The LAD optimum from linprog").passed
    assert _claim(result, "Subgradient descent on the MAE").passed


def test_planted_short_subgradient_run_fails(monkeypatch):
    real = exp.subgradient_l1
    monkeypatch.setattr(exp, "subgradient_l1", lambda x, y, iters: real(x, y, iters=200))
    assert not _claim(exp.run(quick=True), "Subgradient descent on the MAE").passed


def test_lad_brute_force_against_linprog():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 15)
    y = 2 * x + rng.laplace(0, 0.3, 15)
    assert exp.lad_brute_force(x, y) == pytest.approx(exp.lad_fit(x, y)[1], rel=1e-9)


def test_downhill_minimum_finds_the_nearest_basin():
    # two minima, at 0 and at 4 (a local maximum at 2); from 3 the downhill one is 4
    f = lambda t: (t * (t - 4)) ** 2  # noqa: E731
    assert exp._downhill_minimum(f, 3.0) == pytest.approx(4.0, abs=1e-6)
    assert exp._downhill_minimum(f, 1.0) == pytest.approx(0.0, abs=1e-6)
