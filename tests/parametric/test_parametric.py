"""Tests of convop.parametric: K(θ) = mat(Qθ) models and their derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal as sig
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convop
from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.checks._dottest import dottest
from convop.checks._taylor import taylor_test
from convop.parametric import (
    Antisymmetric,
    Diagonal,
    MMatrix,
    MultichannelStencil,
    ParametricOperator,
    Stencil,
)

BOUNDARIES = ("zero", "periodic", "reflect", "symmetric", "replicate")
#: scipy.ndimage mode of every canonical boundary
NDIMAGE_MODE = {
    "zero": "constant",
    "periodic": "wrap",
    "reflect": "mirror",
    "symmetric": "reflect",
    "replicate": "nearest",
}


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


def vec_f(a: np.ndarray) -> np.ndarray:
    """Column-major vec, the notes' ``vec`` (inverse of ``mat``)."""
    return np.asarray(a).ravel(order="F")


def dense_jacobian_theta(model: ParametricOperator, y: np.ndarray) -> np.ndarray:
    """J[:, c] = vec_C(K(e_c) y), built from dense matrices of unit parameters."""
    p = model.num_params
    cols = [(model.matrix(np.eye(p)[c]) @ y).ravel() for c in range(p)]
    return np.stack(cols, axis=1)


# -- the notes' small models -------------------------------------------------------------------

NOTES_Q = np.array(
    [  # the 9×6 Q printed in the notes for the 3×3 M-matrix
        [1, 1, 0, 0, 0, 0],
        [0, 0, -1, 0, 0, 0],
        [0, 0, 0, 0, -1, 0],
        [-1, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, -1],
        [0, -1, 0, 0, 0, 0],
        [0, 0, 0, -1, 0, 0],
        [0, 0, 0, 0, 1, 1],
    ],
    dtype=float,
)


def test_mmatrix_q_equals_notes_q_entry_by_entry():
    Q = MMatrix(3).Q.toarray()
    assert Q.shape == (9, 6)
    for r in range(9):
        for c in range(6):
            assert Q[r, c] == NOTES_Q[r, c], (r, c)


def test_mmatrix_matches_notes_formula(rng):
    t1, t2, t3, t4, t5, t6 = th = rng.random(6)
    notes = np.array([[t1 + t2, -t1, -t2], [-t3, t3 + t4, -t4], [-t5, -t6, t5 + t6]])
    M = MMatrix(3)
    np.testing.assert_array_equal(M.matrix(th), notes)
    # K(θ) = mat(Qθ) with column-major mat
    np.testing.assert_allclose((NOTES_Q @ th).reshape(3, 3, order="F"), notes)


@pytest.mark.parametrize("n", [2, 3, 4, 7])
def test_mmatrix_rows_sum_to_zero_and_is_m_matrix(n, rng):
    M = MMatrix(n)
    assert M.num_params == n * (n - 1)
    th = rng.random(M.num_params)
    K = M.matrix(th)
    np.testing.assert_allclose(K.sum(axis=1), 0, atol=1e-14)
    off = K[~np.eye(n, dtype=bool)]
    assert np.all(off <= 0) and np.all(np.diag(K) >= 0)
    assert np.all(np.linalg.eigvals(K).real >= -1e-12)  # Gershgorin, θ ≥ 0
    # each parameter appears once off the diagonal (−1) and once on it (+1)
    Q = M.Q.toarray()
    assert np.all((Q == -1).sum(axis=0) == 1) and np.all((Q == 1).sum(axis=0) == 1)


def test_antisymmetric_matches_notes_order(rng):
    t1, t2, t3 = rng.standard_normal(3)
    notes = np.array([[0, t1, t2], [-t1, 0, t3], [-t2, -t3, 0]])
    np.testing.assert_array_equal(Antisymmetric(3).matrix([t1, t2, t3]), notes)
    # n = 4: row by row through the strict upper triangle
    K = Antisymmetric(4).matrix(np.arange(1.0, 7.0))
    assert [K[0, 1], K[0, 2], K[0, 3], K[1, 2], K[1, 3], K[2, 3]] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("n", [2, 3, 5, 8])
def test_antisymmetric_eigenvalues_are_imaginary(n, rng):
    A = Antisymmetric(n)
    assert A.num_params == n * (n - 1) // 2
    K = A.matrix(rng.standard_normal(A.num_params))
    np.testing.assert_array_equal(K, -K.T)
    lam = np.linalg.eigvals(K)
    assert np.max(np.abs(lam.real)) < 1e-12 * max(1.0, np.max(np.abs(lam)))


def test_diagonal(rng):
    th = rng.standard_normal(5)
    D = Diagonal(5)
    np.testing.assert_array_equal(D.matrix(th), np.diag(th))
    assert D.Q.nnz == 5 and D.shape == (5, 5)
    assert sp.issparse(D.matrix(th, sparse=True))


# -- generic derivative checks on every small model ------------------------------------------------


def _custom() -> ParametricOperator:
    Q = sp.random(3 * 5, 4, density=0.4, random_state=np.random.default_rng(3), format="csr")
    return ParametricOperator(Q, (3, 5))


SMALL_MODELS = {
    "diagonal": lambda: Diagonal(4),
    "antisymmetric": lambda: Antisymmetric(5),
    "mmatrix": lambda: MMatrix(4),
    "custom-rect": _custom,
}


@pytest.fixture(params=sorted(SMALL_MODELS))
def model(request):
    return SMALL_MODELS[request.param]()


@pytest.mark.parametrize("k", [None, 3])
def test_products_and_derivatives_against_dense(model, k, rng):
    m, n = model.shape
    p = model.num_params
    th, dth = rng.standard_normal(p), rng.standard_normal(p)
    ys = (n,) if k is None else (n, k)
    ws = (m,) if k is None else (m, k)
    y, dy, w = rng.standard_normal(ys), rng.standard_normal(ys), rng.standard_normal(ws)
    K = model.matrix(th)
    assert K.shape == (m, n)
    # K(θ) = mat(Qθ), column-major
    np.testing.assert_allclose(K, (model.Q @ th).reshape(m, n, order="F"), atol=1e-14)
    np.testing.assert_allclose(model.apply(th, y), K @ y, atol=1e-13)
    np.testing.assert_allclose(model.jvp(th, y, dth), model.matrix(dth) @ y, atol=1e-13)
    np.testing.assert_allclose(model.jvp_y(th, y, dy), K @ dy, atol=1e-13)
    np.testing.assert_allclose(model.vjp_y(th, y, w), K.T @ w, atol=1e-13)
    J = dense_jacobian_theta(model, y)
    g = model.vjp(th, y, w)
    assert g.shape == (p,)
    np.testing.assert_allclose(g, J.T @ w.ravel(), atol=1e-12)
    w2, y2 = w.reshape(m, -1), y.reshape(n, -1)
    np.testing.assert_allclose(g, model.Q.T @ vec_f(w2 @ y2.T), atol=1e-12)


@pytest.mark.parametrize("k", [None, 2])
def test_jacobian_operators_dottest_and_dense(model, k, rng):
    m, n = model.shape
    th = rng.standard_normal(model.num_params)
    y = rng.standard_normal((n,) if k is None else (n, k))
    Jt = model.jacobian_theta(th, y)
    Jy = model.jacobian_y(th, y)
    assert isinstance(Jt, convop.Operator) and isinstance(Jy, convop.Operator)
    assert Jt.input_shape == (model.num_params,) and Jt.output_shape == (m,) + y.shape[1:]
    assert Jy.input_shape == y.shape
    for op in (Jt, Jy):
        assert dottest(op, rng=1) < 1e-12
        assert dottest(op, rng=2, complex=True) < 1e-12
    np.testing.assert_allclose(Jt.to_dense(), dense_jacobian_theta(model, y), atol=1e-13)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(Jy.apply(dy), model.matrix(th) @ dy, atol=1e-13)
    # batched application of the Jacobian operator
    dths = rng.standard_normal((2, model.num_params))
    np.testing.assert_allclose(Jt.apply(dths)[1], model.jvp(th, y, dths[1]), atol=1e-13)


def test_taylor_tests_for_every_derivative(model, rng):
    m, n = model.shape
    p = model.num_params
    th, dth = rng.standard_normal(p), rng.standard_normal(p)
    y, dy = rng.standard_normal((n, 2)), rng.standard_normal((n, 2))
    c = rng.standard_normal((m, 2))

    def act(z):
        return 1 - np.tanh(z) ** 2

    # nonlinear in θ: tanh(K(θ) y); derivative through jvp
    t = taylor_test(
        lambda t_: np.tanh(model.apply(t_, y)),
        th,
        dth,
        lambda d: act(model.apply(th, y)) * model.jvp(th, y, d),
    )
    assert t.passed, str(t)
    # nonlinear in y
    t = taylor_test(
        lambda y_: np.tanh(model.apply(th, y_)),
        y,
        dy,
        lambda d: act(model.apply(th, y)) * model.jvp_y(th, y, d),
    )
    assert t.passed, str(t)
    # scalar loss ⟨c, tanh(K(θ) y)⟩: gradients from vjp and vjp_y
    g_th = model.vjp(th, y, act(model.apply(th, y)) * c)
    g_y = model.vjp_y(th, y, act(model.apply(th, y)) * c)
    t = taylor_test(lambda t_: np.sum(c * np.tanh(model.apply(t_, y))), th, dth, lambda d: g_th @ d)
    assert t.passed, str(t)
    t = taylor_test(
        lambda y_: np.sum(c * np.tanh(model.apply(th, y_))), y, dy, lambda d: np.sum(g_y * d)
    )
    assert t.passed, str(t)
    # the linear maps themselves: E1 at rounding level
    assert taylor_test(lambda t_: model.apply(t_, y), th, dth, lambda d: model.jvp(th, y, d)).passed


def test_taylor_test_catches_a_wrong_vjp(rng):
    model = MMatrix(3)
    th, dth = rng.random(6), rng.standard_normal(6)
    y, c = rng.standard_normal(3), rng.standard_normal(3)
    z = model.apply(th, y)
    wrong = model.Q.T @ vec_f(np.outer(y, c * (1 - np.tanh(z) ** 2)))  # w and y swapped
    t = taylor_test(lambda t_: c @ np.tanh(model.apply(t_, y)), th, dth, lambda d: wrong @ d)
    assert not t.passed


def test_dtype_preserved_float32(rng):
    M = MMatrix(3)
    th = rng.random(6).astype(np.float32)
    y = rng.random(3).astype(np.float32)
    assert M.matrix(th).dtype == np.float32
    assert M.apply(th, y).dtype == np.float32
    th_before = th.copy()
    M.vjp(th, y, y)
    np.testing.assert_array_equal(th, th_before)


# -- stencils --------------------------------------------------------------------------------------


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    "kshape, ishape",
    [
        ((3,), (8,)),
        ((2,), (5,)),
        ((3, 3), (4, 5)),
        ((2, 3), (5, 4)),
        ((5,), (3,)),
        ((3, 1, 2), (3, 2, 4)),
    ],
)
def test_stencil_equals_convolution(kshape, ishape, boundary, rng):
    S = Stencil(kshape, ishape, boundary=boundary)
    th = rng.standard_normal(kshape)
    y = rng.standard_normal((2,) + ishape)
    C = convop.Convolution(th, ishape, "same", boundary=boundary, correlate=True)
    np.testing.assert_allclose(S.apply(th, y), C(y), atol=1e-12)
    np.testing.assert_allclose(S.apply(th.ravel(), y), C(y), atol=1e-12)
    np.testing.assert_allclose(S.matrix(th), C.to_dense(), atol=1e-13)
    np.testing.assert_allclose(S.matrix(th) @ y[0].ravel(), C(y[0]).ravel(), atol=1e-12)
    assert S.Q.nnz <= np.prod(ishape) * np.prod(kshape)
    # against scipy.ndimage (all boundaries have an ndimage mode)
    ref = ndi.correlate(y[1], th, mode=NDIMAGE_MODE[boundary])
    np.testing.assert_allclose(S.apply(th, y[1]), ref, atol=1e-12)


@pytest.mark.parametrize("boundary, sig_boundary", [("zero", "fill"), ("periodic", "wrap")])
@pytest.mark.parametrize("kshape", [(3, 3), (3, 5), (1, 5)])
def test_stencil_vs_scipy_signal_correlate2d(boundary, sig_boundary, kshape, rng):
    ishape = (6, 7)
    th = rng.standard_normal(kshape)
    y = rng.standard_normal(ishape)
    ref = sig.correlate2d(y, th, mode="same", boundary=sig_boundary)
    np.testing.assert_allclose(Stencil(kshape, ishape, boundary).apply(th, y), ref, atol=1e-12)


def test_even_stencils_follow_signal_correlate_not_correlate2d(rng):
    """For even kernels 'same' is centred differently by correlate and correlate2d."""
    th, y = rng.standard_normal((2, 4)), rng.standard_normal((6, 7))
    ours = Stencil((2, 4), (6, 7)).apply(th, y)
    np.testing.assert_allclose(ours, sig.correlate(y, th, mode="same"), atol=1e-12)
    np.testing.assert_allclose(ours, ndi.correlate(y, th, mode="constant"), atol=1e-12)
    c2d = sig.correlate2d(y, th, mode="same")
    assert not np.allclose(ours, c2d)
    np.testing.assert_allclose(c2d, ndi.correlate(y, th, mode="constant", origin=-1), atol=1e-12)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_stencil_kernel_operator_path_vs_q_path(boundary, rng):
    kshape, ishape = (3, 2), (4, 5)
    S = Stencil(kshape, ishape, boundary)
    p, N = S.num_params, 20
    th, dth = rng.standard_normal(p), rng.standard_normal(p)
    y = rng.standard_normal((3,) + ishape)
    w = rng.standard_normal((3,) + ishape)
    Y = y.reshape(3, N).T  # columns = C-order flattened grids
    W = w.reshape(3, N).T
    # jvp: K(dθ) y
    np.testing.assert_allclose(S.jvp(th, y, dth).reshape(3, N).T, S.matrix(dth) @ Y, atol=1e-12)
    # vjp: Qᵀ vec(W Yᵀ), summed over the batch
    np.testing.assert_allclose(S.vjp(th, y, w), S.Q.T @ vec_f(W @ Y.T), atol=1e-11)
    np.testing.assert_allclose(S.vjp_y(th, y, w).reshape(3, N).T, S.matrix(th).T @ W, atol=1e-12)
    np.testing.assert_allclose(S.jvp_y(th, y, w).reshape(3, N).T, S.matrix(th) @ W, atol=1e-12)
    # the same numbers through the generic base-class formulas on flattened vectors
    np.testing.assert_allclose(ParametricOperator.vjp(S, th, Y, W), S.vjp(th, y, w), atol=1e-11)
    np.testing.assert_allclose(
        ParametricOperator.jvp(S, th, Y, dth), S.jvp(th, y, dth).reshape(3, N).T, atol=1e-12
    )


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_stencil_jacobians_dottest_and_taylor(boundary, rng):
    S = Stencil((3, 3), (5, 4), boundary)
    th, dth = rng.standard_normal(9), rng.standard_normal(9)
    y, dy = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 4))
    Jt, Jy = S.jacobian_theta(th, y), S.jacobian_y(th, y)
    assert Jt.input_shape == (9,) and Jt.output_shape == (2, 5, 4)
    for op in (Jt, Jy):
        assert dottest(op, rng=0) < 1e-12
        assert dottest(op, rng=1, complex=True) < 1e-12
    np.testing.assert_allclose(
        Jt.to_dense(),
        ParametricOperator.jacobian_theta(S, th, y.reshape(2, 20).T)
        .to_dense()
        .reshape(20, 2, 9)
        .transpose(1, 0, 2)
        .reshape(40, 9),
        atol=1e-12,
    )
    act = 1 - np.tanh(S.apply(th, y)) ** 2
    t = taylor_test(lambda t_: np.tanh(S.apply(t_, y)), th, dth, lambda d: act * S.jvp(th, y, d))
    assert t.passed, str(t)
    t = taylor_test(lambda y_: np.tanh(S.apply(th, y_)), y, dy, lambda d: act * S.jvp_y(th, y, d))
    assert t.passed, str(t)
    c = rng.standard_normal(y.shape)
    g = S.vjp(th, y, c * act)
    t = taylor_test(lambda t_: np.sum(c * np.tanh(S.apply(t_, y))), th, dth, lambda d: g @ d)
    assert t.passed, str(t)
    gy = S.vjp_y(th, y, c * act)
    t = taylor_test(
        lambda y_: np.sum(c * np.tanh(S.apply(th, y_))), y, dy, lambda d: np.sum(gy * d)
    )
    assert t.passed, str(t)


def test_notes_1d_toeplitz_and_circulant_matrices(rng):
    t1, t2, t3 = rng.standard_normal(3)
    toeplitz = np.array([[t2, t1, 0, 0], [t3, t2, t1, 0], [0, t3, t2, t1], [0, 0, t3, t2]])
    circulant = np.array([[t2, t1, 0, t3], [t3, t2, t1, 0], [0, t3, t2, t1], [t1, 0, t3, t2]])
    # the notes convolve (row i reads θ3 θ2 θ1): the correlation stencil is reversed
    rev = np.array([t3, t2, t1])
    np.testing.assert_array_equal(Stencil(3, 4, "zero").matrix(rev), toeplitz)
    np.testing.assert_array_equal(Stencil(3, 4, "periodic").matrix(rev), circulant)
    assert Stencil(3, 4, "zero").convolution(rev).structure == "toeplitz"
    assert Stencil(3, 4, "periodic").convolution(rev).structure == "circulant"


def test_notes_2d_bccb_matrix():
    """The notes' 9×9 periodic 3×3 example, grids vectorised column by column."""
    names = [  # θ_ab of the printed matrix, row by row
        "22 12 32 21 11 31 23 13 33",
        "32 22 12 31 21 11 33 23 13",
        "12 32 22 11 31 21 13 33 23",
        "23 13 33 22 12 32 21 11 31",
        "33 23 13 32 22 12 31 21 11",
        "13 33 23 12 32 22 11 31 21",
        "21 11 31 23 13 33 22 12 32",
        "31 21 11 33 23 13 32 22 12",
        "11 31 21 13 33 23 12 32 22",
    ]
    theta = np.arange(1.0, 10.0).reshape(3, 3) * 10 + np.arange(3)[None, :] * 0.1  # distinct
    printed = np.array(
        [[theta[int(s[0]) - 1, int(s[1]) - 1] for s in row.split()] for row in names]
    )
    # z = θ * y (true convolution, periodic) with column-major vec of y and z; transposed
    # grids turn column-major into C order, and convolution with θᵀ is correlation with
    # the flipped θᵀ
    S = Stencil((3, 3), (3, 3), "periodic")
    np.testing.assert_array_equal(S.matrix(theta.T[::-1, ::-1]), printed)
    # the row the notes single out: z21 = θ32 y11 + θ22 y21 + θ12 y31 + θ31 y12 + ...
    z21 = printed[1]
    assert [theta[2, 1], theta[1, 1], theta[0, 1]] == list(z21[:3])
    assert S.convolution(theta).structure == "bccb"


def test_periodic_eigenvalues_by_fft_of_first_column(rng):
    n = 16
    S = Stencil(3, n, "periodic")
    th = rng.standard_normal(3)
    K = S.matrix(th)
    lam = np.fft.fft(K[:, 0])
    ev = np.linalg.eigvals(K)
    # equal as multisets: match greedily
    remaining = list(ev)
    for v in lam:
        i = int(np.argmin(np.abs(np.array(remaining) - v)))
        assert abs(remaining.pop(i) - v) < 1e-10
    y = rng.standard_normal(n)
    np.testing.assert_allclose(K @ y, np.real(np.fft.ifft(lam * np.fft.fft(y))), atol=1e-12)
    np.testing.assert_allclose(
        K.T @ y, np.real(np.fft.ifft(np.conj(lam) * np.fft.fft(y))), atol=1e-12
    )
    # the notes' transpose formula with F = fft and F* read as ifft: Kᵀ y = F(λ ⊙ F⁻¹ y)
    np.testing.assert_allclose(K.T @ y, np.real(np.fft.fft(lam * np.fft.ifft(y))), atol=1e-12)


# -- multichannel ----------------------------------------------------------------------------------


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize(
    "wshape, ishape", [((2, 3, 3), (3, 7)), ((2, 2, 3, 1), (2, 4, 5)), ((1, 2, 5), (2, 3))]
)
def test_multichannel_equals_convlayer_and_blocks(wshape, ishape, boundary, rng):
    M = MultichannelStencil(wshape, ishape, boundary)
    th = rng.standard_normal(wshape)
    y = rng.standard_normal((2,) + ishape)
    L = convop.ConvLayer(th, ishape, padding="same", boundary=boundary)
    np.testing.assert_allclose(M.apply(th, y), L(y), atol=1e-12)
    K = M.matrix(th)
    np.testing.assert_allclose(K, L.to_dense(), atol=1e-13)
    cout, cin = wshape[:2]
    N = int(np.prod(ishape[1:]))
    for co in range(cout):
        for ci in range(cin):
            block = K[co * N : (co + 1) * N, ci * N : (ci + 1) * N]
            ref = Stencil(wshape[2:], ishape[1:], boundary).matrix(th[co, ci])
            np.testing.assert_array_equal(block, ref)


@pytest.mark.parametrize(
    "boundary, mode",
    [
        ("zero", "constant"),
        ("periodic", "circular"),
        ("reflect", "reflect"),
        ("replicate", "replicate"),
    ],
)
def test_multichannel_vs_torch(boundary, mode, rng):
    torch = pytest.importorskip("torch")
    wshape, ishape = (4, 3, 3, 5), (3, 6, 7)
    th = rng.standard_normal(wshape)
    y = rng.standard_normal((2,) + ishape)
    xt = torch.from_numpy(y)
    pad = (2, 2, 1, 1)
    xt = torch.nn.functional.pad(xt, pad, mode=mode)
    ref = torch.nn.functional.conv2d(xt, torch.from_numpy(th)).numpy()
    np.testing.assert_allclose(
        MultichannelStencil(wshape, ishape, boundary).apply(th, y), ref, atol=1e-12
    )


def test_multichannel_derivatives(rng):
    M = MultichannelStencil((2, 3, 3, 3), (3, 4, 5), "periodic")
    p = M.num_params
    th, dth = rng.standard_normal(p), rng.standard_normal(p)
    y = rng.standard_normal((2, 3, 4, 5))
    w = rng.standard_normal((2, 2, 4, 5))
    Y, W = y.reshape(2, -1).T, w.reshape(2, -1).T
    np.testing.assert_allclose(M.jvp(th, y, dth).reshape(2, -1).T, M.matrix(dth) @ Y, atol=1e-12)
    np.testing.assert_allclose(M.vjp(th, y, w), M.Q.T @ vec_f(W @ Y.T), atol=1e-11)
    np.testing.assert_allclose(M.vjp_y(th, y, w).reshape(2, -1).T, M.matrix(th).T @ W, atol=1e-12)
    for op in (M.jacobian_theta(th, y), M.jacobian_y(th, y)):
        assert dottest(op, rng=3) < 1e-12
    act = 1 - np.tanh(M.apply(th, y)) ** 2
    t = taylor_test(lambda t_: np.tanh(M.apply(t_, y)), th, dth, lambda d: act * M.jvp(th, y, d))
    assert t.passed, str(t)
    c = rng.standard_normal(w.shape)
    g = M.vjp(th, y, c * act)
    t = taylor_test(lambda t_: np.sum(c * np.tanh(M.apply(t_, y))), th, dth, lambda d: g @ d)
    assert t.passed, str(t)


def test_stencil_q_is_built_sparse_for_a_large_grid():
    S = Stencil((3, 3), (128, 128), "periodic")  # N² = 2.7e8 entries if dense
    assert S.Q.shape == (128**4, 9) and S.Q.nnz == 128 * 128 * 9
    th = np.arange(9.0)
    y = np.random.default_rng(0).standard_normal((128, 128))
    np.testing.assert_allclose(
        S.matrix(th, sparse=True) @ y.ravel(), S.apply(th, y).ravel(), atol=1e-10
    )


# -- hypothesis ------------------------------------------------------------------------------------


@st.composite
def stencil_cases(draw):
    nd = draw(st.integers(1, 2))
    kshape = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    ishape = tuple(draw(st.integers(1, 6)) for _ in range(nd))
    boundary = draw(st.sampled_from(BOUNDARIES))
    seed = draw(st.integers(0, 2**16))
    return kshape, ishape, boundary, seed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stencil_cases())
def test_hypothesis_stencil_matrix_and_vjp(case):
    kshape, ishape, boundary, seed = case
    rng = np.random.default_rng(seed)
    S = Stencil(kshape, ishape, boundary)
    th = rng.standard_normal(kshape)
    C = convop.Convolution(th, ishape, "same", boundary=boundary, correlate=True)
    np.testing.assert_allclose(S.matrix(th), C.to_dense(), atol=1e-12)
    y, w = rng.standard_normal(ishape), rng.standard_normal(ishape)
    np.testing.assert_allclose(
        S.vjp(th, y, w), S.Q.T @ vec_f(np.outer(w.ravel(), y.ravel())), atol=1e-11
    )
    assert dottest(S.jacobian_theta(th, y), rng=seed) < 1e-10


# -- errors ----------------------------------------------------------------------------------------


def test_errors_small_models():
    with pytest.raises(ConvopValueError, match=r"invalid n=1; expected an int >= 2"):
        MMatrix(1)
    with pytest.raises(ConvopTypeError, match=r"n must be an int; got '3'"):
        Diagonal("3")
    with pytest.raises(ConvopValueError, match=r"invalid n=0; expected an int >= 1"):
        Diagonal(0)
    M = MMatrix(3)
    with pytest.raises(ConvopValueError, match=r"theta must have shape \(6,\); got \(5,\)"):
        M.matrix(np.ones(5))
    with pytest.raises(ConvopValueError, match=r"y must have shape \(3,\) or \(3, k\); got \(4,\)"):
        M.apply(np.ones(6), np.ones(4))
    with pytest.raises(ConvopValueError, match=r"dtheta must have shape \(6,\); got \(2, 3\)"):
        M.jvp(np.ones(6), np.ones(3), np.ones((2, 3)))
    with pytest.raises(ConvopValueError, match=r"w must have shape \(3, 2\) to match y"):
        M.vjp(np.ones(6), np.ones((3, 2)), np.ones(3))
    with pytest.raises(ConvopValueError, match=r"dy must have shape \(3,\) to match y"):
        M.jvp_y(np.ones(6), np.ones(3), np.ones((3, 1)))
    with pytest.raises(ConvopTypeError, match=r"theta must be a numeric array"):
        M.matrix(np.array(["a"] * 6))


def test_errors_parametric_operator():
    with pytest.raises(
        ConvopValueError,
        match=r"Q must have m\*n = 6 rows for shape=\(2, 3\); "
        r"got Q.shape=\(5, 2\)",
    ):
        ParametricOperator(sp.csr_array(np.ones((5, 2))), (2, 3))
    with pytest.raises(ConvopValueError, match=r"shape must be \(m, n\)"):
        ParametricOperator(np.ones((6, 2)), (1, 2, 3))
    with pytest.raises(ConvopValueError, match=r"Q must be a 2-D \(m\*n, p\) matrix"):
        ParametricOperator(np.ones(6), (2, 3))
    with pytest.raises(ConvopTypeError, match=r"Q must be real"):
        ParametricOperator(sp.csr_array(np.ones((6, 2)) * 1j), (2, 3))


def test_errors_stencils():
    with pytest.raises(
        ConvopValueError,
        match=r"kernel_shape and input_shape must have the same "
        r"length; got kernel_shape=\(3,\)",
    ):
        Stencil(3, (4, 4))
    with pytest.raises(ConvopValueError, match=r"invalid boundary='mirror'"):
        Stencil(3, 4, boundary="mirror")
    S = Stencil((3, 3), (4, 5))
    with pytest.raises(
        ConvopValueError,
        match=r"theta must have shape \(9,\) or \(3, 3\); "
        r"got \(3, 2\)",
    ):
        S.apply(np.ones((3, 2)), np.ones((4, 5)))
    with pytest.raises(ConvopValueError, match=r"y must have shape \(\.\.\., 4, 5\); got \(5, 4\)"):
        S.apply(np.ones(9), np.ones((5, 4)))
    with pytest.raises(ConvopValueError, match=r"w must have the batch dimensions of y, \(2,\)"):
        S.vjp(np.ones(9), np.ones((2, 4, 5)), np.ones((3, 4, 5)))
    with pytest.raises(ConvopValueError, match=r"dy must have the batch dimensions of y, \(\)"):
        S.jvp_y(np.ones(9), np.ones((4, 5)), np.ones((2, 4, 5)))
    with pytest.raises(ConvopValueError, match=r"padding='same' stencils need odd kernel sizes"):
        MultichannelStencil((2, 3, 2, 3), (3, 5, 5))
    with pytest.raises(
        ConvopValueError,
        match=r"weight_shape\[1\] \(C_in\) must equal "
        r"input_shape\[0\]",
    ):
        MultichannelStencil((2, 3, 3), (2, 5))
    with pytest.raises(ConvopValueError, match=r"weight_shape must be \(C_out, C_in, \*k\)"):
        MultichannelStencil((2, 3), (3,))


@pytest.mark.parametrize("boundary", ["zero", "periodic", "symmetric"])
def test_stencil_q_columns_are_vec_of_unit_kernel_matrices(boundary):
    kshape, ishape = (2, 3), (3, 4)
    S = Stencil(kshape, ishape, boundary)
    Q = S.Q.toarray()
    for j in range(S.num_params):
        unit = np.zeros(kshape)
        unit.flat[j] = 1.0
        C = convop.Convolution(unit, ishape, "same", boundary=boundary, correlate=True)
        np.testing.assert_array_equal(Q[:, j], vec_f(C.to_sparse().toarray()))


def test_inputs_not_mutated(rng):
    S = Stencil((3, 3), (4, 4), "periodic")
    th, y, w = rng.standard_normal(9), rng.standard_normal((4, 4)), rng.standard_normal((4, 4))
    copies = [a.copy() for a in (th, y, w)]
    S.apply(th, y), S.vjp(th, y, w), S.vjp_y(th, y, w), S.jvp(th, y, th)
    for a, b in zip((th, y, w), copies):
        np.testing.assert_array_equal(a, b)
