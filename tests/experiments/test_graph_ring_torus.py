"""The graph_ring_torus tour section runs quickly, its claims pass, and they can fail."""

import numpy as np

from convop import Convolution
from convop.experiments import graph_ring_torus as exp
from convop.graph import Graph


def test_quick_run_all_claims_pass():
    res = exp.run(quick=True)
    failed = [(c.statement, c.expected, c.measured) for c in res.claims if not c.passed]
    assert not failed, failed
    assert res.name == "graph_ring_torus" and len(res.figures) == 2 and res.tables
    again = exp.run(quick=True)
    assert [c.statement for c in again.claims] == [c.statement for c in res.claims]


def test_planted_wrong_stencil_fails_the_equivalence_claims(monkeypatch):
    # a stencil off by one part in a million: every "Convolution = Laplacian" claim and the
    # eigenvalue claims must notice, the claims about the graph alone must not
    real = Graph.as_convolution

    def off(self, kind="combinatorial"):
        c = real(self, kind)
        k = np.array(c.kernel, dtype=float) * (1 + 1e-6)
        return Convolution(k, c.input_shape, "same", boundary="periodic")

    monkeypatch.setattr(Graph, "as_convolution", off)
    res = exp.run(quick=True)
    failed = {c.statement for c in res.claims if not c.passed}
    assert any(s.startswith("Ring eigenvalues") for s in failed), failed
    assert any("= 4 sin²(πk/n)" in s for s in failed), failed
    assert any(s.startswith("Torus and torus mesh") for s in failed), failed
    assert any("eigvals() (FFT of the stencil)" in s for s in failed), failed
    assert not any("normalized Laplacian is half" in s for s in failed), failed
