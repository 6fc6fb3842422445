"""The graph_label_propagation tour section runs quickly, and its claims can fail."""

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("networkx")

from convop.experiments import graph_label_propagation as exp  # noqa: E402


def test_quick_run_all_claims_pass():
    res = exp.run(quick=True)
    failed = [
        (c.statement, c.expected, c.measured) for c in res.claims if c.counts and not c.passed
    ]
    assert not failed, failed
    assert res.name == "graph_label_propagation" and len(res.figures) == 1 and res.tables


def test_planted_error_fails_a_claim(monkeypatch):
    def no_clamp(G, Y, alpha, steps):
        return exp.label_propagation(G, np.asarray(Y, float), alpha, steps=steps)

    monkeypatch.setattr(exp, "clamped_propagation", no_clamp)
    res = exp.run(quick=True)
    failed = [c.statement for c in res.claims if not c.passed]
    assert any("hard clamping" in s for s in failed), failed
