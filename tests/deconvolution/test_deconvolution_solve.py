"""Every method against a dense solve of the same regularised problem (to 1e-8)."""

import numpy as np
import pytest
import scipy.optimize as sopt
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._operators.convolution import Convolution
from convop.deconvolution import DeconvolutionResult, deconvolve

from helpers import BOUNDARIES, reference_convolve

LAPLACE = np.array([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])


def dense(psf, shape, boundary):
    n = int(np.prod(shape))
    eye = np.eye(n)
    return np.array(
        [reference_convolve(eye[j].reshape(shape), psf, "same", boundary).ravel() for j in range(n)]
    ).T


def tikhonov(A, y, lam, L=None):
    L = np.eye(A.shape[1]) if L is None else L
    return np.linalg.solve(A.T @ A + lam * (L.T @ L), A.T @ y.ravel()).reshape(y.shape)


def relerr(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


def gaussian(q, sigma):
    t = np.arange(q) - (q - 1) / 2
    g = np.exp(-(t**2) / (2 * sigma**2))
    return np.outer(g, g) / np.outer(g, g).sum()


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    x = rng.random((9, 10))
    return x, gaussian(5, 1.0), rng


@pytest.mark.parametrize(("method", "boundary"), [("fft", "periodic"), ("dct", "symmetric")])
@pytest.mark.parametrize("lam", [1e-1, 1e-3])
def test_one_pass_matches_dense(problem, method, boundary, lam):
    x, psf, rng = problem
    A = dense(psf, x.shape, boundary)
    y = (A @ x.ravel()).reshape(x.shape) + 0.01 * rng.standard_normal(x.shape)
    r = deconvolve(y, psf, boundary=boundary, method=method, reg=lam)
    assert isinstance(r, DeconvolutionResult) and r.method == method and r.iterations == 0
    ref = tikhonov(A, y, lam)
    assert relerr(r.x, ref) < 1e-10
    expected = np.sqrt(np.sum((A @ ref.ravel() - y.ravel()) ** 2) + lam * np.sum(ref**2))
    assert np.isclose(r.residuals[-1], expected, rtol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", ["cg", "lsqr"])
@pytest.mark.parametrize("precondition", [True, False])
def test_iterative_matches_dense(problem, boundary, method, precondition):
    x, psf, rng = problem
    psf = psf * (1 + 0.3 * rng.random(psf.shape))  # not symmetric: no one-pass solve applies
    A = dense(psf, x.shape, boundary)
    y = (A @ x.ravel()).reshape(x.shape) + 0.01 * rng.standard_normal(x.shape)
    lam = 1e-3
    r = deconvolve(
        y,
        psf,
        boundary=boundary,
        method=method,
        reg=lam,
        tol=1e-13,
        maxiter=2000,
        precondition=precondition,
    )
    assert r.method == method and r.iterations > 0
    assert (r.preconditioner is not None) == precondition
    assert relerr(r.x, tikhonov(A, y, lam)) < 1e-8
    assert r.residuals.shape == (r.iterations,)


@pytest.mark.parametrize("boundary", ["periodic", "symmetric", "replicate"])
@pytest.mark.parametrize("method", ["auto", "cg", "lsqr"])
def test_generalised_tikhonov_laplacian(problem, boundary, method):
    x, psf, rng = problem
    A = dense(psf, x.shape, boundary)
    L = Convolution(LAPLACE, x.shape, "same", boundary=boundary)
    Ld = dense(LAPLACE, x.shape, boundary)
    y = (A @ x.ravel()).reshape(x.shape) + 0.01 * rng.standard_normal(x.shape)
    r = deconvolve(y, psf, boundary=boundary, method=method, reg=(L, 1e-2), tol=1e-13, maxiter=2000)
    if method == "auto":
        # a 5×5 PSF reaches two samples out: replicate is not the mirrored matrix
        assert r.method == {"periodic": "fft", "symmetric": "dct", "replicate": "cg"}[boundary]
    assert relerr(r.x, tikhonov(A, y, 1e-2, Ld)) < 1e-8


def test_generalised_tikhonov_general_operator(problem):
    x, psf, rng = problem
    # a zero-boundary gradient: not diagonal in any fast basis
    G = Convolution(np.array([[1.0, -1.0]]), x.shape, "same", boundary="zero")
    A = dense(psf, x.shape, "symmetric")
    y = (A @ x.ravel()).reshape(x.shape)
    r = deconvolve(y, psf, reg=(G, 1e-2), tol=1e-13, maxiter=2000)
    assert r.method == "cg"
    assert relerr(r.x, tikhonov(A, y, 1e-2, G.to_dense())) < 1e-8
    with pytest.raises(ValueError, match="reg operator"):
        deconvolve(y, psf, method="dct", reg=(G, 1e-2))


def test_skimage_wiener_is_the_periodic_laplacian_solve():
    restoration = pytest.importorskip("skimage.restoration")
    rng = np.random.default_rng(3)
    y = rng.random((12, 14))
    psf = gaussian(5, 1.2)
    L = Convolution(LAPLACE, y.shape, "same", boundary="periodic")
    ours = deconvolve(y, psf, boundary="periodic", method="fft", reg=(L, 0.05)).x
    theirs = restoration.wiener(y, psf, 0.05, clip=False)
    assert relerr(ours, theirs) < 1e-10


@pytest.mark.parametrize("boundary", ["zero", "symmetric", "reflect", "periodic"])
def test_positive_matches_bounded_least_squares(problem, boundary):
    x, psf, rng = problem
    x = np.where(rng.random(x.shape) < 0.5, 0.0, x)  # many active bounds
    A = dense(psf, x.shape, boundary)
    y = np.abs((A @ x.ravel()).reshape(x.shape) + 0.05 * rng.standard_normal(x.shape))
    lam = 1e-2
    r = deconvolve(y, psf, boundary=boundary, reg=lam, positive=True, tol=1e-12)
    big = np.vstack([A, np.sqrt(lam) * np.eye(A.shape[1])])
    rhs = np.concatenate([y.ravel(), np.zeros(A.shape[1])])
    ref = sopt.lsq_linear(big, rhs, bounds=(0, np.inf), tol=1e-14, method="bvls").x
    assert r.positive and r.x.min() >= 0
    assert relerr(r.x.ravel(), ref) < 1e-7
    assert (ref == 0).sum() > 0  # the constraint was active


def rl_dense(A, y, x0, iters):
    x = x0.ravel().copy()
    norm = A.T @ np.ones(A.shape[0])
    for _ in range(iters):
        x = x * (A.T @ (y.ravel() / (A @ x))) / norm
    return x.reshape(y.shape)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_richardson_lucy_matches_dense_em(problem, boundary):
    x, psf, rng = problem
    psf = psf * (1 + 0.3 * rng.random(psf.shape))
    A = dense(psf, x.shape, boundary)
    y = rng.poisson(50 * (A @ x.ravel())).reshape(x.shape) / 50.0 + 1e-3
    r = deconvolve(y, psf, boundary=boundary, method="richardson-lucy", maxiter=30, tol=1e-300)
    x0 = np.full(x.shape, y.sum() / (A.T @ np.ones(A.shape[0])).sum())
    assert r.iterations == 30 and r.lam is None
    assert relerr(r.x, rl_dense(A, y, x0, 30)) < 1e-10

    # EM never decreases the Poisson log-likelihood
    def loglik(v):
        m = A @ v.ravel()
        return float(np.sum(y.ravel() * np.log(m) - m))

    ll = []
    deconvolve(
        y,
        psf,
        boundary=boundary,
        method="rl",
        maxiter=10,
        tol=1e-300,
        callback=lambda v: ll.append(loglik(v)),
    )
    assert np.all(np.diff(ll) >= -1e-9)


def test_richardson_lucy_discrepancy_stop(problem):
    x, psf, rng = problem
    A = dense(psf, x.shape, "symmetric")
    y = (A @ x.ravel()).reshape(x.shape) + 0.02 * rng.standard_normal(x.shape) + 0.1
    r = deconvolve(
        np.abs(y), psf, method="rl", reg="discrepancy", noise=0.02, maxiter=500, tol=1e-300
    )
    assert r.converged and r.residuals[-1] <= 0.02 * np.sqrt(y.size)
    assert r.iterations == 1 or r.residuals[-2] > 0.02 * np.sqrt(y.size)


@pytest.mark.parametrize(
    ("boundary", "method"), [("periodic", "fft"), ("symmetric", "dct"), ("zero", "cg")]
)
def test_discrepancy_principle(problem, boundary, method):
    x, psf, rng = problem
    A = dense(psf, x.shape, boundary)
    sigma = 0.01
    y = (A @ x.ravel()).reshape(x.shape) + sigma * rng.standard_normal(x.shape)
    r = deconvolve(y, psf, boundary=boundary, reg="discrepancy", noise=sigma, tol=1e-12)
    assert r.method == method
    ref = tikhonov(A, y, r.lam)
    assert relerr(r.x, ref) < 1e-8
    if method != "cg":  # exact in the structured cases; the zero boundary uses a surrogate
        res = np.linalg.norm(A @ ref.ravel() - y.ravel())
        assert np.isclose(res, sigma * np.sqrt(y.size), rtol=1e-6)


def test_preconditioner_saves_iterations():
    rng = np.random.default_rng(5)
    x = rng.random((32, 32))
    psf = gaussian(7, 1.5)
    A = Convolution(psf, x.shape, "same", boundary="reflect")
    y = A(x) + 0.01 * rng.standard_normal(x.shape)
    kw = dict(boundary="reflect", method="cg", reg=1e-4, tol=1e-10, maxiter=3000)
    with_p = deconvolve(y, psf, **kw)
    without = deconvolve(y, psf, precondition=False, **kw)
    assert with_p.converged and without.converged
    assert with_p.preconditioner == "dct1"
    assert 5 * with_p.iterations < without.iterations
    np.testing.assert_allclose(with_p.x, without.x, atol=1e-6)


@settings(max_examples=15)
@given(
    st.integers(1, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from(BOUNDARIES),
    st.sampled_from(["auto", "cg", "lsqr"]),
    st.booleans(),
)
def test_random_configurations(ndim, seed, boundary, method, sym):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(3, 7 if ndim < 3 else 4, size=ndim))
    kshape = tuple(int(rng.integers(1, n + 1)) for n in shape)
    psf = rng.random(kshape) + 0.1
    if sym:
        for ax in range(ndim):
            psf = psf + np.flip(psf, ax)
        psf = psf if all(q % 2 for q in kshape) else psf
    y = rng.standard_normal(shape)
    lam = float(10 ** rng.uniform(-2, 0))
    r = deconvolve(y, psf, boundary=boundary, method=method, reg=lam, tol=1e-13, maxiter=3000)
    assert relerr(r.x, tikhonov(dense(psf, shape, boundary), y, lam)) < 1e-8


def test_gcv_is_used_and_dtype_kept(problem):
    x, psf, rng = problem
    y = Convolution(psf, x.shape, "same", boundary="symmetric")(x)
    y = (y + 0.01 * rng.standard_normal(x.shape)).astype(np.float32)
    r = deconvolve(y, psf.astype(np.float32))
    assert r.method == "dct" and r.lam > 0 and r.x.dtype == np.float32


def test_inputs_untouched_and_views_accepted(problem):
    x, psf, rng = problem
    y = Convolution(psf, x.shape, "same", boundary="zero")(x)
    base = np.asfortranarray(y[::-1, ::-1])
    base.setflags(write=False)
    copy = base.copy()
    a = deconvolve(base, psf, boundary="zero", reg=1e-2, tol=1e-12)
    b = deconvolve(np.ascontiguousarray(copy), psf, boundary="zero", reg=1e-2, tol=1e-12)
    np.testing.assert_array_equal(base, copy)
    np.testing.assert_allclose(a.x, b.x, rtol=1e-12, atol=1e-14)
    x0 = np.zeros_like(y)
    deconvolve(y, psf, boundary="zero", reg=1e-2, x0=x0)
    assert not x0.any()


def test_x0_and_callback(problem):
    x, psf, rng = problem
    y = Convolution(psf, x.shape, "same", boundary="zero")(x)
    ref = deconvolve(y, psf, boundary="zero", reg=1e-2, tol=1e-12)
    warm = deconvolve(y, psf, boundary="zero", reg=1e-2, tol=1e-12, x0=ref.x)
    assert warm.iterations <= 1
    seen = []
    stop = deconvolve(
        y,
        psf,
        boundary="zero",
        reg=1e-2,
        method="lsqr",
        callback=lambda v: seen.append(v.shape) or len(seen) == 3,
    )
    assert stop.iterations == 3 and seen == [x.shape] * 3 and not stop.converged
    once = []
    deconvolve(y, psf, reg=1e-2, callback=once.append)
    assert len(once) == 1


# (1, 2, 1)⊗3: its DCT symbol (1 + cos)/2 per axis never vanishes (a box would, at k = 2n/3)
VOLUME_PSF = np.einsum("i,j,k->ijk", *[np.array([1.0, 2.0, 1.0])] * 3) / 64


def test_volume_and_signal():
    rng = np.random.default_rng(7)
    for shape, psf in [((40,), np.array([1.0, 3.0, 1.0]) / 5), ((6, 7, 8), VOLUME_PSF)]:
        x = rng.random(shape)
        y = Convolution(psf, shape, "same", boundary="symmetric")(x)
        r = deconvolve(y, psf, reg=1e-12)
        assert r.method == "dct" and relerr(r.x, x) < 1e-5
