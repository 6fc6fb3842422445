"""Tests of the shift-equivariance experiment."""

from __future__ import annotations

import numpy as np
import pytest

from convop.experiments import Result
from convop.experiments import shift_equivariance as se


@pytest.fixture(scope="module")
def quick_result() -> Result:
    return se.run(quick=True, seed=0)


def test_quick_run_all_claims_pass(quick_result: Result) -> None:
    failed = [
        (c.statement, c.expected, c.measured)
        for c in quick_result.claims
        if c.counts and not c.passed
    ]
    assert not failed, failed
    assert quick_result.name == "shift_equivariance"
    assert len(quick_result.claims) >= 10
    assert quick_result.figures and quick_result.tables


def test_receptive_field_claim_is_fifteen(quick_result: Result) -> None:
    claim = next(c for c in quick_result.claims if c.statement.startswith("Receptive field"))
    assert claim.measured == 15


def test_shift_matrix_and_rolls_agree() -> None:
    rng = np.random.default_rng(0)
    n = 7
    S = se.shift_matrix(n)
    W = rng.standard_normal((n, n))
    assert np.array_equal(S @ np.arange(n), np.roll(np.arange(n), 1))
    f, _ = se.commutator_loss(W)
    assert f == pytest.approx(np.linalg.norm(W @ S - S @ W) / np.linalg.norm(W), rel=1e-14)


def test_gradient_matches_torch_autograd() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    n = 12
    W = rng.standard_normal((n, n))
    Wt = torch.tensor(W, requires_grad=True)
    St = torch.tensor(se.shift_matrix(n))
    loss = torch.linalg.norm(Wt @ St - St @ Wt) / torch.linalg.norm(Wt)
    loss.backward()
    f, g = se.commutator_loss(W)
    assert f == pytest.approx(loss.item(), rel=1e-13)
    np.testing.assert_allclose(g, Wt.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_gradient_taylor_decay() -> None:
    # first-order Taylor remainder must fall as h^2, the zeroth-order one as h
    rng = np.random.default_rng(2)
    W = rng.standard_normal((10, 10))
    V = rng.standard_normal((10, 10))
    f0, g = se.commutator_loss(W)
    slope = float(np.sum(g * V))
    r1 = [abs(se.commutator_loss(W + h * V)[0] - f0 - h * slope) for h in (1e-3, 1e-4)]
    r0 = [abs(se.commutator_loss(W + h * V)[0] - f0) for h in (1e-3, 1e-4)]
    assert r1[0] / r1[1] == pytest.approx(100, rel=0.1)
    assert r0[0] / r0[1] == pytest.approx(10, rel=0.1)


def test_gradient_orthogonal_to_w() -> None:
    W = np.random.default_rng(3).standard_normal((9, 9))
    _, g = se.commutator_loss(W)
    assert abs(np.sum(g * W)) < 1e-12


def test_circulant_projection() -> None:
    rng = np.random.default_rng(4)
    c = rng.standard_normal(6)
    C = se.circulant(c)
    S = se.shift_matrix(6)
    np.testing.assert_allclose(C @ S, S @ C, atol=1e-14)
    c2, _ = se.circulant_projection(C)
    np.testing.assert_allclose(c2, c, atol=1e-14)
    # projection is orthogonal: the residual is orthogonal to every circulant
    W = rng.standard_normal((6, 6))
    _, P = se.circulant_projection(W)
    assert abs(np.sum((W - P) * se.circulant(rng.standard_normal(6)))) < 1e-12


def test_dft_diagonalises_circulants() -> None:
    c = np.random.default_rng(5).standard_normal(8)
    F = se.dft_eigenvectors(8)
    np.testing.assert_allclose(F.conj().T @ F, np.eye(8), atol=1e-13)
    np.testing.assert_allclose(F.conj().T @ se.circulant(c) @ F, np.diag(np.fft.fft(c)), atol=1e-12)


def test_target_kernel_from_chebyshev() -> None:
    t = se.target_kernel()
    x = np.linspace(-1, 1, 7)
    cheb = np.polynomial.Chebyshev(se.CHEBYSHEV_COEFFS)
    np.testing.assert_allclose(np.polynomial.polynomial.polyval(x, t), cheb(x), atol=1e-10)
    assert t.tolist() == [4, -14, -90, 112, 440, -224, -736, 128, 384]


def test_same_seed_same_numbers() -> None:
    W0 = np.random.default_rng(0).standard_normal((20, 20))
    a = se.descend(W0, steps=200)
    b = se.descend(W0, steps=200)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    f1 = se.fit_stacked_kernels(n=20, samples=50, epochs=30, seed=3)
    f2 = se.fit_stacked_kernels(n=20, samples=50, epochs=30, seed=3)
    f3 = se.fit_stacked_kernels(n=20, samples=50, epochs=30, seed=4)
    assert np.array_equal(f1["losses"], f2["losses"])
    assert np.array_equal(f1["kernels"], f2["kernels"])
    assert not np.array_equal(f1["kernels"], f3["kernels"])


def test_fit_restores_torch_threads() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    se.fit_stacked_kernels(n=16, samples=10, epochs=2)
    assert torch.get_num_threads() == before


def test_gram_loss_equals_direct_loss_small() -> None:
    fit = se.fit_stacked_kernels(n=24, samples=40, epochs=5, seed=1)
    assert fit["gram_loss"] == pytest.approx(fit["direct_loss"], rel=1e-10)


# -- planted wrong implementations: the named claims must fail -------------------------


def _claim(result: Result, start: str):
    return next(c for c in result.claims if c.statement.startswith(start))


@pytest.fixture
def short_part3(monkeypatch):
    """Part 3 with 20 Adam epochs, for tests that look at part 1 only."""
    real = se.fit_stacked_kernels
    monkeypatch.setattr(se, "fit_stacked_kernels", lambda **kw: real(**{**kw, "epochs": 20}))


@pytest.fixture
def short_part1(monkeypatch):
    """Part 1 with 100 gradient steps, for tests that look at part 3 only."""
    real = se.descend
    monkeypatch.setattr(se, "descend", lambda W0, lr, steps: real(W0, lr=lr, steps=100))


def test_unplanted_quick_run_has_the_independent_claims(quick_result: Result) -> None:
    for start in (
        "Initial loss f(W₀) equals",
        "Initial loss of a random W is √2",
        "Loss after 10000 gradient steps",
        "Relative distance of the learned W",
        "That distance equals the least-squares",
        "The kernel that generated the data",
        "That kernel is ChebyshevT",
    ):
        assert _claim(quick_result, start).passed, start
    assert not any("notes' 1.40" in c.statement for c in quick_result.claims)


def test_planted_doubled_gradient_fails_gradient_and_final_loss(monkeypatch, short_part3) -> None:
    """A gradient off by a factor 2 is a step size of 2·lr: GD stalls at about twice
    the level the independent Fourier-domain solver predicts for lr."""
    real = se.commutator_loss

    def doubled(W):
        f, g = real(W)
        return f, 2.0 * g

    monkeypatch.setattr(se, "commutator_loss", doubled)
    result = se.run(quick=True)
    assert not _claim(result, "The analytic gradient of f").passed
    assert not _claim(result, "Loss after 10000 gradient steps").passed
    assert _claim(result, "Initial loss f(W₀) equals").passed


def test_planted_wrong_loss_value_fails_the_start_claims(monkeypatch, short_part3) -> None:
    """The squared norm ratio (≈ 2 at the start) fails both start claims; a 1 % slip
    passes √2 ± 4σ but not the dense computation."""
    real = se.commutator_loss
    monkeypatch.setattr(se, "commutator_loss", lambda W: (real(W)[0] ** 2, real(W)[1]))
    result = se.run(quick=True)
    assert not _claim(result, "Initial loss f(W₀) equals").passed
    assert not _claim(result, "Initial loss of a random W is √2").passed

    monkeypatch.setattr(se, "commutator_loss", lambda W: (1.01 * real(W)[0], real(W)[1]))
    result = se.run(quick=True)
    assert not _claim(result, "Initial loss f(W₀) equals").passed
    assert _claim(result, "Initial loss of a random W is √2").passed


def test_planted_non_circulant_projection_fails_the_distance_claims(
    monkeypatch, short_part3
) -> None:
    """Averaging along anti-diagonals (i + j) gives a Hankel matrix, not a circulant."""

    def hankel_projection(W):
        n = W.shape[0]
        i = np.arange(n)
        anti = (i[:, None] + i[None, :]) % n
        c = np.bincount(anti.ravel(), weights=W.ravel(), minlength=n) / n
        return c, c[anti]

    monkeypatch.setattr(se, "circulant_projection", hankel_projection)
    result = se.run(quick=True)
    assert not _claim(result, "Relative distance of the learned W").passed
    assert not _claim(result, "That distance equals the least-squares").passed


def test_planted_short_descent_leaves_a_non_circulant_w(monkeypatch, short_part3) -> None:
    real = se.descend
    monkeypatch.setattr(se, "descend", lambda W0, lr, steps: real(W0, lr=lr, steps=steps // 5))
    result = se.run(quick=True)
    assert not _claim(result, "Loss after 10000 gradient steps").passed
    assert not _claim(result, "Relative distance of the learned W").passed


def _fit_with_data_kernel(monkeypatch, kernel):
    """Run with the training data regenerated from ``kernel`` (the fit itself unchanged)."""
    real = se.fit_stacked_kernels

    def fit(**kw):
        out = real(**kw)
        t = np.zeros(out["X"].shape[1])
        t[: len(kernel)] = kernel
        out["Y"] = out["X"] @ se.circulant(t)
        return out

    monkeypatch.setattr(se, "fit_stacked_kernels", fit)
    return se.run(quick=True)


def test_planted_stray_tap_in_the_data_fails_the_kernel_size_claim(
    monkeypatch, short_part1
) -> None:
    kernel = np.r_[se.target_kernel(), 0.0, 0.0, 0.0, 0.5]  # one extra tap at lag 12
    result = _fit_with_data_kernel(monkeypatch, kernel)
    claim = _claim(result, "The kernel that generated the data")
    assert not claim.passed and claim.measured == 10
    assert not _claim(result, "That kernel is ChebyshevT").passed


def test_planted_wrong_power_basis_fails_the_chebyshev_claim(monkeypatch, short_part1) -> None:
    """Swapping c₀ and c₁ of the series still gives 9 taps; only the values are wrong."""
    c = list(se.CHEBYSHEV_COEFFS)
    c[0], c[1] = c[1], c[0]
    wrong = np.polynomial.chebyshev.cheb2poly(np.array(c))
    result = _fit_with_data_kernel(monkeypatch, wrong)
    assert _claim(result, "The kernel that generated the data").passed
    assert not _claim(result, "That kernel is ChebyshevT").passed


def test_lag_energy_solver_follows_descend_before_the_stall() -> None:
    W0 = np.random.default_rng(7).standard_normal((30, 30))
    f_gd = se.descend(W0, steps=300)[1]
    f_lag, dist, w = se.lag_energy_descent(W0, steps=300)
    np.testing.assert_allclose(f_lag, f_gd, rtol=1e-10)


def test_stall_level_is_where_the_nyquist_factor_is_minus_one() -> None:
    w, lr = 1.05, 0.003
    f = se.stall_level(w, lr=lr, n=100)
    a = f * w  # f = a / w
    assert 1.0 - lr * (4.0 / (a * w) - a / w**3) == pytest.approx(-1.0, rel=1e-9)
