"""``tol`` means what the docstring and scipy's ``cg`` say, for CG and LSQR alike.

The regularised normal equations are ``M x = b`` with ``M = AᵀA + λI`` and
``b = Aᵀy``; ``scipy.sparse.linalg.cg(M, b, rtol=tol, atol=0)`` stops at the first
iterate with ``‖b − M x‖ ≤ tol ‖b‖``. Both of convop's solvers must stop there too —
neither before (the answer would miss ``tol``) nor long after (wasted iterations) —
with and without the structured preconditioner and from a warm start.
"""

import numpy as np
import pytest
import scipy.sparse.linalg as sla

from convop._operators.convolution import Convolution
from convop.deconvolution import deconvolve

LAM = 1e-3


@pytest.fixture(scope="module", params=["zero", "reflect", "symmetric"])
def problem(request):
    rng = np.random.default_rng(11)
    shape = (14, 15)
    psf = rng.random((5, 5)) + 0.2  # not symmetric: the iterative path for every boundary
    psf /= psf.sum()
    A = Convolution(psf, shape, "same", boundary=request.param)
    y = A(rng.random(shape)) + 0.01 * rng.standard_normal(shape)
    n = y.size
    M = sla.LinearOperator(
        (n, n),
        matvec=lambda v: (A.adjoint(A(v.reshape(shape))) + LAM * v.reshape(shape)).ravel(),
        dtype=np.float64,
    )
    b = A.adjoint(y).ravel()
    return request.param, psf, y, M, b


def relres(M, b, x):
    return float(np.linalg.norm(b - M @ x.ravel()) / np.linalg.norm(b))


@pytest.mark.parametrize("method", ["cg", "lsqr"])
@pytest.mark.parametrize("precondition", [True, False])
@pytest.mark.parametrize("tol", [1e-3, 1e-6, 1e-9])
def test_stops_at_the_first_iterate_meeting_tol(problem, method, precondition, tol):
    boundary, psf, y, M, b = problem
    trace = []
    r = deconvolve(
        y,
        psf,
        boundary=boundary,
        method=method,
        reg=LAM,
        tol=tol,
        maxiter=5000,
        precondition=precondition,
        callback=lambda v: trace.append(relres(M, b, v)),
    )
    assert r.converged and len(trace) == r.iterations > 1
    # met: the true normal-equation residual, not an estimate, is below tol
    assert trace[-1] <= 1.01 * tol, (trace[-1], tol)
    # not late: the iterate before did not meet it (up to the round-off of the estimate)
    assert trace[-2] > 0.99 * tol, (trace[-2], tol)


@pytest.mark.parametrize("tol", [1e-4, 1e-8])
def test_unpreconditioned_cg_takes_scipys_iterations(problem, tol):
    boundary, psf, y, M, b = problem
    count = []
    xs, info = sla.cg(M, b, rtol=tol, atol=0.0, maxiter=5000, callback=count.append)
    assert info == 0
    for method in ("cg", "lsqr"):
        r = deconvolve(
            y, psf, boundary=boundary, method=method, reg=LAM, tol=tol, precondition=False
        )
        # CG, CGLS and LSQR are the same Krylov iteration in exact arithmetic; in floating
        # point CG on the formed AᵀA + λI drifts from the factored forms by a few steps
        assert abs(r.iterations - len(count)) <= max(2, 0.05 * len(count)), (
            method,
            r.iterations,
            len(count),
        )


@pytest.mark.parametrize("method", ["cg", "lsqr"])
@pytest.mark.parametrize("precondition", [True, False])
def test_same_solution_as_scipy_cg_and_lsqr(problem, method, precondition):
    boundary, psf, y, M, b = problem
    n = y.size
    A = Convolution(psf, y.shape, "same", boundary=boundary)
    xs, info = sla.cg(M, b, rtol=1e-13, atol=0.0, maxiter=5000)
    assert info == 0
    stacked = sla.LinearOperator(
        (2 * n, n),
        matvec=lambda v: np.concatenate([A(v.reshape(y.shape)).ravel(), np.sqrt(LAM) * v]),
        rmatvec=lambda u: A.adjoint(u[:n].reshape(y.shape)).ravel() + np.sqrt(LAM) * u[n:],
        dtype=np.float64,
    )
    xl = sla.lsqr(stacked, np.concatenate([y.ravel(), np.zeros(n)]), atol=1e-14, btol=1e-14)[0]
    r = deconvolve(
        y,
        psf,
        boundary=boundary,
        method=method,
        reg=LAM,
        tol=1e-12,
        maxiter=5000,
        precondition=precondition,
    )
    scale = np.abs(xs).max()
    assert np.abs(r.x.ravel() - xs).max() / scale < 1e-8
    assert np.abs(r.x.ravel() - xl).max() / scale < 1e-8


@pytest.mark.parametrize("method", ["cg", "lsqr"])
@pytest.mark.parametrize("precondition", [True, False])
def test_warm_start_at_the_solution_stops_at_once(problem, method, precondition):
    boundary, psf, y, M, b = problem
    kw = dict(boundary=boundary, reg=LAM, tol=1e-6, precondition=precondition)
    ref = deconvolve(y, psf, method="cg", **{**kw, "tol": 1e-12, "maxiter": 5000})
    warm = deconvolve(y, psf, method=method, x0=ref.x, **kw)
    # tol is relative to ‖Aᵀy‖, not to the (tiny) starting residual
    assert warm.converged and warm.iterations == 0
    assert relres(M, b, warm.x) <= 1e-6
