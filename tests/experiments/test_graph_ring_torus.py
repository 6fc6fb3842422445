"""The graph_ring_torus tour section runs quickly and its claims pass."""

from convop.experiments import graph_ring_torus as exp


def test_quick_run_all_claims_pass():
    res = exp.run(quick=True)
    failed = [(c.statement, c.expected, c.measured) for c in res.claims if not c.passed]
    assert not failed, failed
    assert res.name == "graph_ring_torus" and len(res.figures) == 2 and res.tables
    again = exp.run(quick=True)
    assert [c.statement for c in again.claims] == [c.statement for c in res.claims]
