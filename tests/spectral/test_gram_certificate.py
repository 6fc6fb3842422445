"""The Gram-iteration upper bound is certified in floating point (issue 21.21).

The containment tests elsewhere allow 1e-13 slack, far more than the rounding terms
(about 1e-14 relative) the certificate adds; here the bound is compared with the exact
σ₁ of the very float matrix it was given, computed with mpmath at 40 digits, with no
slack, on matrices where the iteration converges so fast that only the rounding
terms keep the bound above σ₁."""

from __future__ import annotations

import numpy as np
import pytest

mp = pytest.importorskip("mpmath")

from convop.spectral._gram import U64, _fro, _gram_step, _stacked, _step_bound  # noqa: E402


def _bounds(G: np.ndarray, steps: int) -> list[np.ndarray]:
    """Certified bounds of √σ₁(G) after 1..steps Gram steps, G exact (ε₀ = 0)."""
    zt = _stacked(G.real.copy(), G.imag.copy())
    fro, rs, out = _fro(zt), [], []
    for it in range(1, steps + 1):
        r = np.where(fro > 0, fro, 1.0)
        zt, fro = _gram_step(zt, r)
        rs.append(r)
        out.append(_step_bound(zt, fro, rs, it, 0.0, U64))
    return out


def _exact_root_sigma(g: np.ndarray) -> mp.mpf:
    with mp.workdps(40):
        M = mp.matrix([[mp.mpc(float(v.real), float(v.imag)) for v in row] for row in g])
        s = mp.svd_c(M, compute_uv=False)
        return mp.sqrt(max(s[i] for i in range(len(s))))


def _adversarial(rng: np.random.Generator, count: int, q: int) -> np.ndarray:
    """Hermitian PSD matrices with an isolated top eigenvalue (Gram iteration converges
    in a few steps) and entries of mixed magnitude."""
    out = np.empty((count, q, q), complex)
    for f in range(count):
        a = rng.standard_normal((q, q)) + 1j * rng.standard_normal((q, q))
        u, _ = np.linalg.qr(a)
        lam = np.concatenate(([1.0], 10.0 ** -rng.uniform(2, 8, q - 1))) * 10.0 ** rng.uniform(
            -3, 3
        )
        out[f] = (u * lam) @ u.conj().T
    return out


@pytest.mark.parametrize("q", [2, 5])
def test_gram_bound_never_below_exact_sigma_without_slack(q):
    G = _adversarial(np.random.default_rng(q), 24, q)
    bounds = _bounds(G, 6)
    exact = [_exact_root_sigma(g) for g in G]
    gaps = []
    for step, b in enumerate(bounds, 1):
        for f, (bf, ex) in enumerate(zip(b, exact)):
            assert mp.mpf(float(bf)) >= ex, (q, step, f, float((mp.mpf(float(bf)) - ex) / ex))
            gaps.append(float((mp.mpf(float(bf)) - ex) / ex))
    # the bound is also tight: after 6 steps within 1e-13 relative of σ₁ — so a bound
    # that dropped its rounding terms (a few 1e-15) would fall below σ₁ somewhere
    assert max(float((mp.mpf(float(bf)) - ex) / ex) for bf, ex in zip(bounds[-1], exact)) < 1e-13


def _layer_sigma(w: np.ndarray, n: tuple[int, int]) -> mp.mpf:
    """σ₁ of a periodic, stride-1, size-preserving layer: the largest singular value of
    the per-frequency channel matrices Σ_t w[:, :, t] e^{-iω·t}, in 40-digit arithmetic."""
    co, ci, k1, k2 = w.shape
    best = mp.mpf(0)
    with mp.workdps(40):
        for f1 in range(n[0]):
            for f2 in range(n[1]):
                M = mp.matrix(co, ci)
                for a in range(k1):
                    for b in range(k2):
                        ph = mp.expjpi(-2 * mp.mpf(a * f1) / n[0] - 2 * mp.mpf(b * f2) / n[1])
                        for o in range(co):
                            for i in range(ci):
                                M[o, i] += mp.mpf(float(w[o, i, a, b])) * ph
                s = mp.svd_c(M, compute_uv=False)
                best = max([best] + [s[j] for j in range(len(s))])
    return best


@pytest.mark.parametrize("seed", range(4))
def test_opnorm_bracket_contains_the_extended_precision_norm(seed):
    import convop
    from convop import spectral

    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2, 2, 3, 3))
    if seed % 2:
        w[0, 0] *= 30.0  # an isolated top singular value
    op = convop.ConvLayer(w, (2, 4, 4), padding=1, boundary="periodic")
    exact = _layer_sigma(w, (4, 4))
    for method in ("gram", "auto"):
        lo, up = spectral.opnorm(op, method=method, tol=1e-15)
        assert mp.mpf(lo) <= exact <= mp.mpf(up), (method, lo, float(exact), up)
        assert (up - lo) / up < 1e-10
