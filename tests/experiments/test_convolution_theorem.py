import numpy as np

from convop.experiments import convolution_theorem as m


def test_quick_run_passes_every_claim():
    r = m.run(quick=True, seed=0)
    failed = [(c.statement, c.measured, c.detail) for c in r.claims if c.counts and not c.passed]
    assert not failed, failed
    assert len(r.figures) == 2 and len(r.claims) > 25


def test_exact_claims_are_reproducible():
    # the non-timing parts are deterministic for a seed
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    a, b = m.Result("a", "a"), m.Result("b", "b")
    m._backprop(a, rng_a)
    m._backprop(b, rng_b)
    assert [c.measured for c in a.claims] == [c.measured for c in b.claims]


def test_slope_helper_detects_wrong_order():
    n = np.array([1.0, 10.0, 100.0])
    assert abs(m.loglog_slope(n, n**2) - 2.0) < 1e-12
    assert abs(m.loglog_slope(n, n * np.log(n + 1)) - 1.0) > 0.05


def test_bccb_check_rejects_block_circulant_with_non_circulant_blocks():
    rng = np.random.default_rng(0)
    blocks = [rng.standard_normal((4, 4)) for _ in range(4)]
    # block-circulant, random (non-circulant) blocks: must not pass as BCCB
    D = np.block([[blocks[(j - i) % 4] for j in range(4)] for i in range(4)])
    assert not m.is_bccb(D, 4, 4)
    # a genuine BCCB matrix: the 2-D periodic convolution
    import convop

    A = convop.Convolution(rng.standard_normal((3, 3)), (4, 4), "same", boundary="periodic")
    assert m.is_bccb(A.to_dense(), 4, 4)
    # circulant blocks arranged without block circulance fail too
    C = [
        np.array([[c[(b - a) % 4] for b in range(4)] for a in range(4)]) for c in rng.random((4, 4))
    ]
    assert not m.is_bccb(np.block([[C[(i * j) % 4] for j in range(4)] for i in range(4)]), 4, 4)
