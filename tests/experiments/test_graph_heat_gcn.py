"""The graph_heat_gcn tour section runs on a tiny mesh, and its claims can fail."""

import pytest

pytest.importorskip("torch")

from convop.experiments import graph_heat_gcn as exp  # noqa: E402

QUICK = dict(quick=True, sizes=(6, 8))
TINY = dict(quick=True, mesh=(12, 6), sensors=24, epochs=20, sizes=(6,))


def test_small_run_all_claims_pass():
    res = exp.run(**QUICK)
    failed = [
        (c.statement, c.expected, c.measured) for c in res.claims if c.counts and not c.passed
    ]
    assert not failed, failed
    assert res.name == "graph_heat_gcn" and len(res.figures) == 1 and len(res.tables) == 3


def test_planted_error_fails_a_claim(monkeypatch):
    real = exp.heat_diffusion

    def wrong_alpha(G, x0, alpha, steps, **kw):
        return real(G, x0, 0.35, steps, **kw)

    monkeypatch.setattr(exp, "heat_diffusion", wrong_alpha)
    res = exp.run(**TINY)
    failed = [c.statement for c in res.claims if not c.passed]
    assert any("recovers the step size" in s for s in failed), failed
