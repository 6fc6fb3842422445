"""Tests of the parametric_models tour experiment."""

from __future__ import annotations

import numpy as np
import pytest

from convop.experiments import parametric_models as exp
from convop.parametric import MMatrix, Stencil


@pytest.fixture(scope="module")
def quick_result():
    return exp.run(quick=True)


def test_quick_run_all_claims_pass(quick_result):
    failed = [c for c in quick_result.claims if c.counts and not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured, c.detail) for c in failed]
    assert len(quick_result.claims) >= 30
    assert len(quick_result.figures) == 3
    assert quick_result.name == "parametric_models"
    assert any("Slips" in t for t in quick_result.text)


def test_module_contract():
    assert isinstance(exp.TITLE, str) and isinstance(exp.SUMMARY, str)
    assert callable(exp.run)


def test_other_seed_passes():
    assert exp.run(quick=True, seed=3).passed


def test_q_table_is_the_notes_q(quick_result):
    caption, headers, rows = quick_result.tables[0]
    assert "M-matrix" in caption and len(headers) == 7 and len(rows) == 9
    np.testing.assert_array_equal(np.array([r[1:] for r in rows], float), exp.NOTES_Q)
    np.testing.assert_array_equal(MMatrix(3).Q.toarray(), exp.NOTES_Q)


def test_structure_helper_detects_non_toeplitz():
    K = Stencil(3, 6, "zero").matrix([1.0, 2.0, 3.0])
    assert exp.is_multilevel_toeplitz(K, (6,), cyclic=False)
    assert not exp.is_multilevel_toeplitz(K, (6,), cyclic=True)
    R = Stencil(3, 6, "reflect").matrix([1.0, 2.0, 3.0])
    assert not exp.is_multilevel_toeplitz(R, (6,), cyclic=False)


def test_periodic_eigenvalues_without_matrix():
    rng = np.random.default_rng(0)
    th = rng.standard_normal((3, 4))
    K = Stencil((3, 4), (5, 6), "periodic").matrix(th)
    lam = exp.periodic_eigenvalues(th, (5, 6)).ravel()
    assert exp.multiset_distance(np.linalg.eigvals(K), lam) < 1e-10
    np.testing.assert_allclose(np.fft.fft2(K[:, 0].reshape(5, 6)).ravel(), lam, atol=1e-12)


def test_planted_non_toeplitz_stencil_fails_the_structure_claims(monkeypatch):
    """A stencil matrix with one stray entry is neither Toeplitz nor circulant: caught."""

    class Stray(Stencil):
        def matrix(self, theta):
            K = np.array(super().matrix(theta), dtype=float)
            K[0, 1] += 1.0  # on a diagonal with other entries (a corner is not)
            return K

    monkeypatch.setattr(exp, "Stencil", Stray)
    res = exp.Result("p", "p")
    exp._structures(res, np.random.default_rng(0))
    failed = [c.statement for c in res.claims if not c.passed]
    assert sum("boundary: the core tags" in s for s in failed) == 4, failed


def test_no_counted_claim_depends_on_wall_time(monkeypatch):
    """On a 'loaded machine' (a clock that jumps at random) every counted claim holds."""
    import time

    rng = np.random.default_rng(0)
    state = {"t": 0.0}

    def jumpy() -> float:
        state["t"] += float(rng.exponential(1.0) * 10 ** rng.uniform(-6, 0))
        return state["t"]

    monkeypatch.setattr(exp.time, "perf_counter", jumpy)
    assert time.perf_counter is jumpy  # the module uses the global time module
    assert exp.run(quick=True).passed
