"""Tests of the compression tour experiment (quick mode)."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from convop.experiments import compression as exp  # noqa: E402


@pytest.fixture(scope="module")
def quick_result():
    return exp.run(quick=True)


def test_quick_run_claims_pass(quick_result):
    failed = [c for c in quick_result.claims if not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured, c.detail) for c in failed]
    assert quick_result.name == "compression" and quick_result.tables
    assert len(quick_result.figures) == 1
    methods = {row[0] for row in quick_result.tables[0][2]}
    assert methods == {"svd", "cp", "tucker2", "svd-slice"}


def test_hand_example_corrects_the_seed():
    d = exp.hand_example()
    assert d["top_left"] == -2.0 == d["full_top_left"] and d["max_diff"] == 0.0
    assert d["factors"] == [(3, 1), (1, 3)]
