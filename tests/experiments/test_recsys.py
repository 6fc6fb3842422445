"""The recsys tour section runs quickly and every claim passes."""

from convop.experiments import recsys as exp


def test_quick_run_passes_every_claim():
    r = exp.run(quick=True, seed=0)
    failed = [(c.statement, c.expected, c.measured, c.detail) for c in r.claims if not c.passed]
    assert not failed, failed
    assert len(r.tables) == 4 and len(r.figures) == 1 and r.text


def test_davis_graph():
    d = exp.davis_interactions()
    assert (d.n_users, d.n_items, len(d)) == (18, 14, 89)
