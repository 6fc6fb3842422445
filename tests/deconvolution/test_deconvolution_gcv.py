"""GCV and the discrepancy principle in closed form against brute force on the dense SVD."""

import numpy as np
import pytest
import scipy.optimize as sopt

from convop._operators.convolution import Convolution
from convop.deconvolution import _choose, deconvolve
from convop.deconvolution._symbols import Basis, symbol

from helpers import reference_convolve

LAPLACE = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def dense(psf, shape, boundary):
    n = int(np.prod(shape))
    eye = np.eye(n)
    return np.array(
        [reference_convolve(eye[j].reshape(shape), psf, "same", boundary).ravel() for j in range(n)]
    ).T


def gcv_svd(A, y, lam):
    """GCV from the SVD of the dense matrix: filter factors s²/(s² + λ)."""
    u, s, _ = np.linalg.svd(A)
    beta = u.T @ y.ravel()
    t = lam / (s**2 + lam)
    return len(s) * np.sum((t * beta) ** 2) / np.sum(t) ** 2


def gcv_influence(A, L, y, lam):
    """GCV from the influence matrix H = A (AᵀA + λLᵀL)⁻¹ Aᵀ, for any L."""
    n = A.shape[0]
    H = A @ np.linalg.solve(A.T @ A + lam * L.T @ L, A.T)
    r = y.ravel() - H @ y.ravel()
    return n * (r @ r) / np.trace(np.eye(n) - H) ** 2


def brute_argmin(f, lo, hi):
    grid = np.geomspace(lo, hi, 400)
    vals = [f(g) for g in grid]
    i = int(np.argmin(vals))
    res = sopt.minimize_scalar(
        lambda u: f(np.exp(u)),
        bounds=(np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, 399)])),
        method="bounded",
        options={"xatol": 1e-8},
    )
    return float(np.exp(res.x))


def blurred(boundary, seed=0, shape=(10, 11), noise=0.02):
    rng = np.random.default_rng(seed)
    t = np.arange(5) - 2.0
    g = np.exp(-(t**2) / 2)
    psf = np.outer(g, g) / np.outer(g, g).sum()
    x = np.zeros(shape)
    x[2:7, 3:9] = 1.0
    x += 0.3 * rng.random(shape)
    A = dense(psf, shape, boundary)
    y = (A @ x.ravel()).reshape(shape) + noise * rng.standard_normal(shape)
    return A, y, psf


def spectrum(kind, psf, y, l2=1.0):
    basis = Basis(kind, y.shape)
    a = symbol(kind, psf, y.shape)
    yh = basis.forward(y)
    y2 = basis.scale * basis.weights * np.abs(yh) ** 2
    return _choose.Spectrum(np.abs(a) ** 2, l2, y2, basis.weights)


@pytest.mark.parametrize(("kind", "boundary"), [("fft", "periodic"), ("dct", "symmetric")])
def test_gcv_function_equals_dense_svd(kind, boundary):
    A, y, psf = blurred(boundary)
    spec = spectrum(kind, psf, y)
    for lam in [1e-6, 1e-4, 1e-2, 1.0]:
        assert np.isclose(_choose.gcv_value(spec, lam), gcv_svd(A, y, lam), rtol=1e-9)


@pytest.mark.parametrize(("kind", "boundary"), [("fft", "periodic"), ("dct", "symmetric")])
def test_gcv_choice_equals_brute_force(kind, boundary):
    A, y, psf = blurred(boundary)
    ours = deconvolve(y, psf, boundary=boundary, method=kind).lam
    ref = brute_argmin(lambda lam: gcv_svd(A, y, lam), 1e-10, 10.0)
    assert np.isclose(ours, ref, rtol=1e-3)
    # and it is a genuine interior minimum
    assert gcv_svd(A, y, ours) < min(gcv_svd(A, y, ours * 3), gcv_svd(A, y, ours / 3))


@pytest.mark.parametrize(("kind", "boundary"), [("fft", "periodic"), ("dct", "symmetric")])
def test_generalised_gcv_with_laplacian(kind, boundary):
    A, y, psf = blurred(boundary, seed=1)
    L = Convolution(LAPLACE, y.shape, "same", boundary=boundary)
    Ld = dense(LAPLACE, y.shape, boundary)
    l2 = np.abs(symbol(kind, LAPLACE, y.shape)) ** 2
    spec = spectrum(kind, psf, y, l2)
    for lam in [1e-4, 1e-2]:
        assert np.isclose(_choose.gcv_value(spec, lam), gcv_influence(A, Ld, y, lam), rtol=1e-8)
    ours = deconvolve(y, psf, boundary=boundary, reg=L).lam
    ref = brute_argmin(lambda lam: gcv_influence(A, Ld, y, lam), 1e-8, 10.0)
    assert np.isclose(ours, ref, rtol=1e-3)


def test_gcv_for_iterative_uses_the_structured_surrogate():
    # symmetric boundary with a non-symmetric PSF: λ from the FFT surrogate's GCV
    A, y, psf = blurred("symmetric", seed=2)
    psf = psf.copy()
    psf[0, 0] += 0.05
    r = deconvolve(y, psf, tol=1e-10)
    assert r.method == "cg" and r.preconditioner == "fft"
    assert np.isclose(r.lam, _choose.gcv(spectrum("fft", psf, y)))
    # the surrogate choice is within a factor 3 of the exact dense GCV minimiser here
    Ad = dense(psf, y.shape, "symmetric")
    exact = brute_argmin(lambda lam: gcv_svd(Ad, y, lam), 1e-10, 10.0)
    assert 1 / 3 < r.lam / exact < 3


@pytest.mark.parametrize(("kind", "boundary"), [("fft", "periodic"), ("dct", "symmetric")])
def test_discrepancy_matches_dense_root(kind, boundary):
    A, y, psf = blurred(boundary, seed=3)
    sigma = 0.02
    lam = deconvolve(y, psf, boundary=boundary, reg="discrepancy", noise=sigma).lam
    u, s, _ = np.linalg.svd(A)
    beta = u.T @ y.ravel()

    def res(lv):
        return np.sqrt(np.sum((lv / (s**2 + lv) * beta) ** 2))

    ref = sopt.brentq(lambda u_: np.log(res(np.exp(u_)) / (sigma * np.sqrt(y.size))), -30, 5)
    assert np.isclose(lam, np.exp(ref), rtol=1e-6)


def test_discrepancy_noise_too_large():
    _, y, psf = blurred("symmetric")
    with pytest.raises(ValueError, match="noise=.* too large"):
        deconvolve(y, psf, reg="discrepancy", noise=100.0)


@pytest.mark.parametrize("boundary", ["reflect", "replicate", "zero"])
def test_gcv_surrogate_on_other_boundaries(boundary):
    A, y, psf = blurred(boundary, seed=4)
    r = deconvolve(y, psf, boundary=boundary, tol=1e-10)
    assert r.method == "cg" and r.preconditioner == ("dct1" if boundary == "reflect" else "dct")
    exact = brute_argmin(lambda lam: gcv_svd(A, y, lam), 1e-10, 10.0)
    assert 1 / 3 < r.lam / exact < 3
