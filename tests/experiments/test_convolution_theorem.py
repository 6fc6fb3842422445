"""Tests of the convolution-theorem tour section: its counted claims pass on a quick run
whatever the clock says, they fail when the matrices they are about are planted wrong,
and its timing claims are decided by the measured numbers."""

import numpy as np
import pytest
import scipy.linalg

import convop
from convop.experiments import convolution_theorem as m


def test_quick_run_passes_every_claim():
    r = m.run(quick=True, seed=0)
    failed = [(c.statement, c.measured, c.detail) for c in r.claims if c.counts and not c.passed]
    assert not failed, failed
    assert len(r.figures) == 2 and len(r.claims) > 25
    timing = [c for c in r.claims if c.timing]
    assert len(timing) == 9
    assert all("time" in c.statement or "overtakes" in c.statement for c in timing)


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
    A = convop.Convolution(rng.standard_normal((3, 3)), (4, 4), "same", boundary="periodic")
    assert m.is_bccb(A.to_dense(), 4, 4)
    # circulant blocks arranged without block circulance fail too
    C = [
        np.array([[c[(b - a) % 4] for b in range(4)] for a in range(4)]) for c in rng.random((4, 4))
    ]
    assert not m.is_bccb(np.block([[C[(i * j) % 4] for j in range(4)] for i in range(4)]), 4, 4)


def test_matrix_structure_against_scipy_constructors():
    rng = np.random.default_rng(1)
    c, r = rng.standard_normal(5), rng.standard_normal(7)
    assert m.matrix_structure(scipy.linalg.circulant(c), (5,), (5,)) == "circulant"
    assert m.matrix_structure(scipy.linalg.toeplitz(c, r), (5,), (7,)) == "toeplitz"
    assert m.matrix_structure(rng.standard_normal((5, 5)), (5,), (5,)) == "general"
    # two levels: block structure from scipy over blocks of scipy circulants / Toeplitz
    blocks = [scipy.linalg.circulant(rng.standard_normal(3)) for _ in range(4)]
    bccb = np.block([[blocks[(i - j) % 4] for j in range(4)] for i in range(4)])
    assert m.matrix_structure(bccb, (4, 3), (4, 3)) == "bccb"
    tblocks = {d: scipy.linalg.toeplitz(rng.standard_normal(3)) for d in range(-3, 4)}
    bttb = np.block([[tblocks[i - j] for j in range(4)] for i in range(4)])
    assert m.matrix_structure(bttb, (4, 3), (4, 3)) == "bttb"
    bttb[0, 1] += 1.0
    assert m.matrix_structure(bttb, (4, 3), (4, 3)) == "general"
    with pytest.raises(ValueError, match="out_shape and in_shape"):
        m.matrix_structure(np.eye(8), (2, 2, 2), (2, 2, 2))


def _failed(res):
    return [c.statement for c in res.claims if not c.passed]


def test_planted_non_bccb_matrix_fails_the_structure_claims(monkeypatch):
    """A periodic operator whose dense matrix has one stray entry is caught, although
    its structure tag (from the constructor's arguments) still says 'bccb'."""
    real = convop.Convolution.to_dense

    def stray(self):
        D = np.array(real(self))
        if self.boundary == "periodic":
            D[0, 1] += 1.0
        return D

    monkeypatch.setattr(convop.Convolution, "to_dense", stray)
    res = m.Result("t", "t")
    m._matrices(res, np.random.default_rng(0))
    failed = _failed(res)
    assert any(s.startswith("2-D periodic, 'same' (4×4): the dense matrix is bccb") for s in failed)
    assert any("block-circulant with circulant blocks" in s for s in failed)
    assert len(failed) == 3, failed  # the case, the tag agreement, the BCCB check


def test_planted_wrong_tag_fails_the_agreement_claim(monkeypatch):
    real = convop.Convolution.__init__

    def mislabelled(self, *args, **kwargs):
        real(self, *args, **kwargs)
        self.structure = "bccb"

    monkeypatch.setattr(convop.Convolution, "__init__", mislabelled)
    res = m.Result("t", "t")
    m._matrices(res, np.random.default_rng(0))
    assert _failed(res) == [
        "the operators' structure tags name the family their dense matrices are in "
        "(cases that agree)"
    ]


def _fake_sweeps(model):
    """A sweep_times stand-in that returns times from ``model(fn_name, x, w)`` with
    multiplicative noise, without running anything."""
    rng = np.random.default_rng(0)

    def sweep(fns, inputs, passes, *, skip=frozenset()):
        out = {}
        for name in fns:
            t = np.array([model(name, x, w) for x, w in inputs], float)
            noisy = t * rng.lognormal(0.0, 0.05, (passes, len(inputs)))
            noisy[:, [i for i in range(len(inputs)) if (name, i) in skip]] = np.nan
            out[name] = noisy
        return out

    return sweep


def _op_count(name, x, w):
    outputs = np.prod([a + b - 1 for a, b in zip(x.shape, w.shape)])
    if name == "FFT":
        size = np.prod([m._fast_len(a + b - 1) for a, b in zip(x.shape, w.shape)])
        return 2e-8 * size * np.log(size)
    return 1e-9 * outputs * w.size


def test_timing_claims_pass_when_times_follow_the_cost_model(monkeypatch):
    monkeypatch.setattr(m, "sweep_times", _fake_sweeps(_op_count))
    res = m.Result("t", "t")
    m._timings(res, True, np.random.default_rng(0))
    assert res.claims and not _failed(res), _failed(res)


def test_timing_claims_fail_when_times_do_not(monkeypatch):
    """Direct convolution whose cost grew like N² (and FFT with K) fails the timing
    claims: they are decided by the numbers, not accepted whatever they are."""

    def wrong(name, x, w):
        return _op_count(name, x, w) * (x.size if name != "FFT" else w.size) ** 0.5

    monkeypatch.setattr(m, "sweep_times", _fake_sweeps(wrong))
    res = m.Result("t", "t")
    m._timings(res, True, np.random.default_rng(0))
    failed = _failed(res)
    assert any("1-D direct vs N" in s for s in failed), failed
    assert any("1-D: FFT time" in s for s in failed), failed


def test_a_loaded_machine_moves_no_counted_claim(monkeypatch):
    """Timings that are pure noise: the timing claims may fail, the run still passes."""
    rng = np.random.default_rng(1)
    monkeypatch.setattr(
        m,
        "sweep_times",
        lambda fns, inputs, passes, skip=frozenset(): {
            name: 10 ** rng.uniform(-6, 0, (passes, len(inputs))) for name in fns
        },
    )
    r = m.run(quick=True, seed=0)
    assert r.passed
    assert any(c.timing and not c.passed for c in r.claims)


def test_sweep_times_one_row_per_pass_and_skips():
    calls = []
    t = m.sweep_times(
        {"a": lambda x, w: calls.append(x)}, [(1, None), (2, None)], 3, skip={("a", 1)}
    )
    assert t["a"].shape == (3, 2)
    assert np.isfinite(t["a"][:, 0]).all() and np.isnan(t["a"][:, 1]).all()
    assert calls == [1] * 4  # one warm-up, then one call per pass
