"""vbmf(): rank recovery on synthetic matrices, agreement with a direct numerical
minimisation of the VB free energy, argument checking."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.compress import evb_tau_threshold, vbmf
from convop.compress._vbmf import _objective


def low_rank(rng, L, M, r, snr):
    """Rank-r signal whose smallest singular value is ``snr`` times the noise's top one."""
    u = np.linalg.qr(rng.standard_normal((L, r)))[0]
    v = np.linalg.qr(rng.standard_normal((M, r)))[0]
    noise_top = np.sqrt(L) + np.sqrt(M)  # σ₁ of an L×M standard Gaussian matrix
    s = snr * noise_top * np.linspace(2.0, 1.0, r)
    return (u * s) @ v.T + rng.standard_normal((L, M)), r


CASES = [
    (L, M, r, snr)
    for L, M in [(20, 20), (30, 90), (90, 30), (50, 200), (120, 60)]
    for r in (1, 3, 8)
    for snr in (1.5, 4.0)
    # EVB's rank is at most ⌈L/(1+α)⌉ − 1 and its noise estimate degrades as the rank
    # nears that bound: at rank 8 of 20×20 and snr 1.5 it keeps nothing (see report)
    if 4 * r <= min(L, M)
]


@pytest.mark.parametrize("L, M, r, snr", CASES)
def test_recovers_true_rank(L, M, r, snr):
    rng = np.random.default_rng(L * 1000 + M + 7 * r + int(snr * 10))
    Y, r = low_rank(rng, L, M, r, snr)
    res = vbmf(Y)
    assert res.rank == r
    assert abs(res.sigma2 - 1.0) < 0.15  # the noise variance is 1
    assert res.left.shape == (L, r) and res.right.shape == (M, r)
    assert np.all(res.singular_values < res.observed[:r])  # shrinkage


def test_pure_noise_has_rank_zero():
    rng = np.random.default_rng(0)
    for shape in [(40, 40), (20, 80)]:
        assert vbmf(rng.standard_normal(shape)).rank == 0


def test_transpose_and_scale_invariance():
    rng = np.random.default_rng(1)
    Y, _ = low_rank(rng, 25, 40, 3, 3.0)
    a, b, c = vbmf(Y), vbmf(Y.T), vbmf(10.0 * Y)
    assert a.rank == b.rank == c.rank == 3
    np.testing.assert_allclose(a.singular_values, b.singular_values, rtol=1e-9)
    assert abs(c.sigma2 / a.sigma2 - 100.0) < 1e-4 * 100
    np.testing.assert_allclose(a.estimate(), b.estimate().T, atol=1e-10)


def test_known_sigma2_threshold_and_shrinkage_formula():
    rng = np.random.default_rng(2)
    L, M = 10, 15
    Y = rng.standard_normal((L, M))
    sigma2 = 0.05
    res = vbmf(Y, sigma2=sigma2)
    s = np.linalg.svd(Y, compute_uv=False)
    alpha = L / M
    tau = evb_tau_threshold(alpha)
    thr = np.sqrt(M * sigma2 * (1 + tau) * (1 + alpha / tau))
    assert res.threshold == pytest.approx(thr) and res.rank == int(np.sum(s > thr))
    g = s[: res.rank]
    c = 1 - (L + M) * sigma2 / g**2
    expect = g / 2 * (c + np.sqrt(c**2 - 4 * L * M * sigma2**2 / g**4))
    np.testing.assert_allclose(res.singular_values, expect, rtol=1e-12)


def test_tau_threshold_is_zero_of_psi():
    for alpha in (1.0, 0.5, 0.1, 0.01):
        tau = evb_tau_threshold(alpha)
        psi = np.log1p(tau) + alpha * np.log1p(tau / alpha) - tau
        assert abs(psi) < 1e-12
        ref = brentq(lambda t, a=alpha: np.log1p(t) + a * np.log1p(t / a) - t, 1e-6, 50.0)
        assert tau == pytest.approx(ref, rel=1e-10)
    assert evb_tau_threshold(1.0) == pytest.approx(2.5129, abs=1e-4)
    # the 2.5129·√α shortcut of the seed is off away from square matrices
    assert abs(evb_tau_threshold(0.1) / (2.5129 * np.sqrt(0.1)) - 1) > 0.02


# -- direct numerical minimisation of the VB free energy ---------------------------------
def free_energy(theta, Y, H, sigma2=None):
    """2F without the 2π constant: Gaussian posteriors r(A) = N(Â, I_M ⊗ diag σ_a²),
    r(B) = N(B̂, I_L ⊗ diag σ_b²), priors N(0, c_a²), N(0, c_b²) per column (EVB:
    the c's free), noise σ² (free unless given). Written from the definition, not from
    the analytic solution."""
    L, M = Y.shape
    i = 0
    A = theta[i : i + M * H].reshape(M, H)
    i += M * H
    B = theta[i : i + L * H].reshape(L, H)
    i += L * H
    lsa, lsb, lca, lcb = (theta[i + k * H : i + (k + 1) * H] for k in range(4))
    ls2 = theta[i + 4 * H] if sigma2 is None else np.log(sigma2)
    s2 = np.exp(ls2)
    EA = A.T @ A + M * np.diag(np.exp(lsa))
    EB = B.T @ B + L * np.diag(np.exp(lsb))
    fit = np.sum(Y * Y) - 2 * np.trace(Y.T @ B @ A.T) + np.trace(EA @ EB)
    return (
        L * M * ls2
        + fit / s2
        + M * np.sum(lca - lsa)
        + L * np.sum(lcb - lsb)
        + np.sum(np.diag(EA) / np.exp(lca))
        + np.sum(np.diag(EB) / np.exp(lcb))
        - (L + M) * H
    )


def minimise(Y, rng, sigma2=None):
    """Best of L-BFGS runs started from the top-k SVD components of Y for every k (the
    null components start at zero mean with tiny prior variance) and one random start."""
    L, M = Y.shape
    H = L
    u, s, vt = np.linalg.svd(Y, full_matrices=False)
    best = None
    for k in range(H + 2):
        if k <= H:
            sq = np.where(np.arange(H) < k, np.sqrt(s), 0.0)
            mean = np.concatenate([(vt.T * sq).ravel(), (u * sq).ravel()])
            logc = np.where(np.arange(H) < k, 0.0, -6.0)
        else:
            mean, logc = rng.standard_normal(M * H + L * H), np.zeros(H)
        th = np.concatenate([mean, logc, logc, logc, logc])
        if sigma2 is None:
            th = np.concatenate([th, [np.log(np.var(Y) / 2)]])
        o = minimize(
            free_energy, th, args=(Y, H, sigma2), method="L-BFGS-B",
            options={"maxiter": 5000, "maxfun": 100000},
        )  # fmt: skip
        if best is None or o.fun < best.fun:
            best = o
    A = best.x[: M * H].reshape(M, H)
    B = best.x[M * H : M * H + L * H].reshape(L, H)
    return best.fun, np.linalg.svd(B @ A.T, compute_uv=False), best.x


@pytest.mark.parametrize("seed", [0, 1])
def test_profile_free_energy_matches_direct_minimisation(seed):
    """At fixed σ², min over every other variational parameter of 2F/M equals the
    analytic objective plus Σ log(γ_h²/M), and the minimiser is the analytic solution."""
    rng = np.random.default_rng(seed)
    L, M = 3, int(rng.integers(4, 6))
    r = int(rng.integers(1, L))
    Y = rng.standard_normal((L, r)) @ rng.standard_normal((r, M)) + 0.3 * rng.standard_normal(
        (L, M)
    )
    s = np.linalg.svd(Y, compute_uv=False)
    alpha = L / M
    tau = evb_tau_threshold(alpha)
    xbar = (1 + tau) * (1 + alpha / tau)
    est = vbmf(Y).sigma2
    for s2 in (0.4 * est, est, 2.5 * est):
        fmin, sv, _ = minimise(Y, rng, sigma2=s2)
        analytic = _objective(s2, L, M, s, 0.0, xbar) + np.sum(np.log(s**2 / M))
        assert fmin / M == pytest.approx(analytic, abs=2e-5)
        res = vbmf(Y, sigma2=s2)
        np.testing.assert_allclose(sv[: res.rank], res.singular_values, rtol=2e-3, atol=2e-3)
        assert np.all(sv[res.rank :] < 1e-3)


@pytest.mark.parametrize("seed", range(3))
def test_joint_minimisation_finds_the_analytic_noise_level(seed):
    rng = np.random.default_rng(100 + seed)
    L, M = 3, 5
    Y = rng.standard_normal((L, 1)) @ rng.standard_normal((1, M)) * 2 + 0.3 * rng.standard_normal(
        (L, M)
    )
    res = vbmf(Y)
    fmin, sv, x = minimise(Y, rng)
    s = np.linalg.svd(Y, compute_uv=False)
    tau = evb_tau_threshold(L / M)
    xbar = (1 + tau) * (1 + L / M / tau)
    analytic = _objective(res.sigma2, L, M, s, 0.0, xbar) + np.sum(np.log(s**2 / M))
    # the analytic solution is the global minimum: no start goes below it
    assert fmin / M >= analytic - 1e-6
    if fmin / M <= analytic + 1e-4:  # the optimiser found that minimum
        assert np.exp(x[-1]) == pytest.approx(res.sigma2, rel=1e-2)
        np.testing.assert_allclose(sv[: res.rank], res.singular_values, rtol=1e-2)


def test_max_rank_counts_the_rest_as_noise():
    rng = np.random.default_rng(3)
    Y, _ = low_rank(rng, 30, 50, 2, 3.0)
    assert vbmf(Y, max_rank=10).rank == 2
    assert vbmf(Y, max_rank=1).rank == 1


@pytest.mark.parametrize(
    "args, kwargs, exc, match",
    [
        (("abc",), {}, ConvopTypeError, "Y must be a real 2-D array"),
        ((np.ones((2, 2), complex),), {}, ConvopTypeError, "real numeric"),
        ((np.ones(3),), {}, ConvopValueError, r"2-D matrix; got shape \(3,\)"),
        ((np.full((2, 2), np.nan),), {}, ConvopValueError, "finite"),
        ((np.zeros((3, 4)),), {}, ConvopValueError, "Y is zero"),
        ((np.ones((3, 4)),), {"sigma2": -1.0}, ConvopValueError, r"invalid sigma2=-1.0"),
        ((np.ones((3, 4)),), {"max_rank": 4}, ConvopValueError, r"invalid max_rank=4"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        vbmf(*args, **kwargs)


def test_input_not_modified_and_views_accepted():
    rng = np.random.default_rng(4)
    Y = np.asfortranarray(rng.standard_normal((12, 20)))
    Y.setflags(write=False)
    before = Y.copy()
    a = vbmf(Y[::-1])
    b = vbmf(np.ascontiguousarray(Y[::-1]))
    assert np.array_equal(Y, before) and a.rank == b.rank and a.sigma2 == pytest.approx(b.sigma2)


def test_rank_deficient_matrix_with_exact_zero_singular_values():
    # zero rows give exactly zero singular values; −log 0 used to put inf (and a
    # RuntimeWarning) into the free energy at every σ², so its minimiser was arbitrary
    rng = np.random.default_rng(3)
    Y = np.zeros((12, 40))
    Y[:6] = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 40))
    Y[:6] += 0.01 * rng.standard_normal((6, 40))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = vbmf(Y)
    assert np.isfinite(r.sigma2) and r.sigma2 > 0 and 2 <= r.rank <= 6
    # a zero singular value only adds a σ²-independent constant: differences of the
    # objective equal those with the zeros replaced by a tiny positive value
    s = np.linalg.svd(Y, compute_uv=False)
    s0 = s.copy()
    s0[s0 < 1e-12] = 0.0
    tiny = np.where(s0 == 0, 1e-150, s0)
    a, b = 1e-5, 1e-3
    d0 = _objective(a, 12, 40, s0, 0.0, 2.5) - _objective(b, 12, 40, s0, 0.0, 2.5)
    d1 = _objective(a, 12, 40, tiny, 0.0, 2.5) - _objective(b, 12, 40, tiny, 0.0, 2.5)
    assert np.isfinite(d0) and d0 == pytest.approx(d1, rel=1e-12)
