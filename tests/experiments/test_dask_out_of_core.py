"""Tests of the dask_out_of_core tour section (one quick run, ~6 s)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.array")
pytest.importorskip("zarr")

from convop.experiments import EXPERIMENTS  # noqa: E402
from convop.experiments import dask_out_of_core as exp  # noqa: E402


def test_quick_run_all_claims_pass():
    res = exp.run(quick=True)
    failed = [c for c in res.claims if not c.passed]
    assert not failed, [(c.statement, c.expected, c.measured, c.detail) for c in failed]
    assert len(res.claims) >= 8 and exp.TITLE and exp.SUMMARY
    assert EXPERIMENTS.index("dask_out_of_core") == EXPERIMENTS.index("deconvolution") + 1


def test_counted_counts_blocks_not_meta():
    counts: list = []
    x = exp.counted(np.arange(10.0), 4, counts)
    assert counts == []
    assert x.sum().compute() == 45.0 and len(counts) == 3
