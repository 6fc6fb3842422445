"""Tests of the resample tour experiment."""

from __future__ import annotations

import numpy as np
import pytest

from convop.experiments import resample as exp
from convop.resampling import resample


@pytest.fixture(scope="module")
def quick_result():
    return exp.run(quick=True)


def test_quick_run_all_claims_pass(quick_result):
    failed = [c for c in quick_result.claims if not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured, c.detail) for c in failed]
    assert len(quick_result.figures) == 3 and len(quick_result.claims) >= 15
    assert exp.TITLE and exp.SUMMARY


def test_same_seed_same_numbers(quick_result):
    again = exp.run(quick=True)
    # timings go to a table, never into a claim, so the claims are reproducible
    assert [c.to_dict() for c in again.claims] == [c.to_dict() for c in quick_result.claims]


def test_other_seed_passes():
    assert exp.run(quick=True, seed=1).passed


def test_seed_wrapper_matches_and_filter_response():
    x = np.random.default_rng(0).standard_normal(300)
    assert np.abs(exp.seed_wrapper(x, 48000, 44100) - resample(x, 160, 147)).max() < 1e-13
    fr, db = exp.filter_response(np.ones(4), 4, 8.0, nfft=8)
    assert fr[0] == 0 and abs(db[0]) < 1e-12
