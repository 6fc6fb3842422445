"""Convolution operator: references, dot tests, matrices, structure, kernel operator."""

import numpy as np
import pytest
import scipy.signal as ss
import scipy.sparse.linalg as spla
from hypothesis import given
from hypothesis import strategies as st

import convop

from helpers import BOUNDARIES, MODES, assert_close, reference_convolve
from structure_checks import check_tag


@st.composite
def operators(draw, max_ndim=3, max_len=7, complex_kernel=None):
    ndim = draw(st.integers(1, max_ndim))
    n = tuple(draw(st.integers(1, max_len)) for _ in range(ndim))
    k = tuple(draw(st.integers(1, max_len)) for _ in range(ndim))
    mode = draw(st.sampled_from(MODES))
    if mode == "valid" and not (
        all(a >= b for a, b in zip(n, k)) or all(a <= b for a, b in zip(n, k))
    ):
        mode = "full"
    boundary = draw(st.sampled_from(BOUNDARIES))
    corr = draw(st.booleans())
    cplx = draw(st.booleans()) if complex_kernel is None else complex_kernel
    method = draw(st.sampled_from(("auto", "direct", "fft")))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    kern = rng.standard_normal(k) + (1j * rng.standard_normal(k) if cplx else 0)
    return convop.Convolution(kern, n, mode, boundary=boundary, correlate=corr, method=method), rng


@given(operators())
def test_apply_matches_reference_and_batches(case):
    A, rng = case
    x = rng.standard_normal((2, 3) + A.input_shape)
    y = A(x)
    assert y.shape == (2, 3) + A.output_shape
    for b in np.ndindex(2, 3):
        assert_close(y[b], reference_convolve(x[b], A.kernel, A.mode, A.boundary, A.correlate))


@given(operators())
def test_dot_test_real_and_complex(case):
    A, _ = case
    convop.dottest(A, rng=0, rtol=1e-10)
    convop.dottest(A, rng=1, complex=True, rtol=1e-10)
    convop.dottest(A.T, rng=2, complex=True, rtol=1e-10)
    convop.dottest(A.H, rng=3, complex=True, rtol=1e-10)


@given(operators(max_ndim=2, max_len=5))
def test_matrices_structure_and_transposes(case):
    A, rng = case
    D = A.to_dense()
    assert D.shape == A.shape
    # column-by-column against the independent reference
    for j in range(A.shape[1]):
        e = np.zeros(A.shape[1])
        e[j] = 1
        ref = reference_convolve(
            e.reshape(A.input_shape), A.kernel, A.mode, A.boundary, A.correlate
        )
        np.testing.assert_allclose(D[:, j], ref.ravel(), atol=1e-12)
    S = A.to_sparse()
    assert S.format == "csr"
    np.testing.assert_allclose(S.toarray(), D, atol=1e-12)
    assert S.nnz <= A.kernel.size * A.shape[0]
    assert check_tag(A.structure, D, A.output_shape, A.input_shape), A
    np.testing.assert_allclose(A.T.to_dense(), D.T, atol=1e-12)
    np.testing.assert_allclose(A.H.to_dense(), D.conj().T, atol=1e-12)
    np.testing.assert_allclose(A.H.to_sparse().toarray(), D.conj().T, atol=1e-12)
    assert A.H.H is A and A.T.T is A
    v = rng.standard_normal(A.shape[1])
    np.testing.assert_allclose(A @ v, D @ v, atol=1e-10)
    M = rng.standard_normal((A.shape[1], 3))
    np.testing.assert_allclose(A @ M, D @ M, atol=1e-10)
    L = A.aslinearoperator()
    np.testing.assert_allclose(L.matvec(v), D @ v, atol=1e-10)
    w = rng.standard_normal(A.shape[0])
    np.testing.assert_allclose(L.rmatvec(w), D.conj().T @ w, atol=1e-10)


@pytest.mark.parametrize("ndim, tag", [(1, "toeplitz"), (2, "bttb"), (3, "multilevel-toeplitz")])
def test_zero_tags(ndim, tag):
    A = convop.Convolution(np.ones((2,) * ndim), (3,) * ndim)
    assert A.structure == tag


@pytest.mark.parametrize(
    "mode, boundary, ndim, tag",
    [
        ("same", "periodic", 1, "circulant"),
        ("same", "periodic", 2, "bccb"),
        ("same", "periodic", 3, "multilevel-circulant"),
        ("full", "periodic", 1, "general"),
        ("same", "symmetric", 1, "toeplitz+hankel"),
        ("full", "symmetric", 1, "toeplitz+hankel"),
        ("same", "reflect", 1, "general"),
        ("same", "replicate", 1, "general"),
        ("valid", "periodic", 2, "bttb"),
        ("same", "symmetric", 2, "general"),
    ],
)
def test_tags(mode, boundary, ndim, tag):
    A = convop.Convolution(
        np.arange(1.0, 1 + 3**ndim).reshape((3,) * ndim), (5,) * ndim, mode, boundary=boundary
    )
    assert A.structure == tag
    assert check_tag(tag, A.to_dense(), A.output_shape, A.input_shape)


def test_reflect_is_not_toeplitz_plus_hankel():
    # whole-sample reflection skips the edge sample: no T + H decomposition exists
    from structure_checks import is_toeplitz_plus_hankel

    A = convop.Convolution(np.array([1.0, 2.0, 4.0]), (6,), "same", boundary="reflect")
    assert not is_toeplitz_plus_hankel(A.to_dense())


def test_kernel_larger_than_input_valid_swaps_like_scipy():
    rng = np.random.default_rng(0)
    k = rng.standard_normal((7, 6))
    A = convop.Convolution(k, (3, 2), "valid")
    assert A.output_shape == (5, 5)
    x = rng.standard_normal((3, 2))
    assert_close(A(x), ss.convolve(x, k, "valid"))
    convop.dottest(A, rtol=1e-10)
    np.testing.assert_allclose(A.to_sparse().toarray(), A.to_dense(), atol=1e-12)
    with pytest.raises(ValueError, match="valid"):
        convop.Convolution(k, (3, 8), "valid")


@given(operators(max_ndim=2, max_len=6, complex_kernel=False))
def test_kernel_operator_adjoint_is_backprop(case):
    torch = pytest.importorskip("torch")

    A, rng = case
    x = rng.standard_normal((3,) + A.input_shape)
    K = A.kernel_operator(x)
    assert K.input_shape == A.kernel.shape
    assert K.output_shape == (3,) + A.output_shape
    assert_close(K(A.kernel), A(x))
    convop.dottest(K, rtol=1e-10)
    convop.dottest(K, complex=True, rtol=1e-10)
    # torch autograd through an independent dense formulation y = D(k) x
    g = rng.standard_normal(K.output_shape)
    kt = torch.tensor(np.asarray(A.kernel), requires_grad=True)
    cols = []
    for j in range(A.kernel.size):
        e = np.zeros(A.kernel.size)
        e[j] = 1
        cols.append(
            torch.tensor(
                np.stack(
                    [
                        reference_convolve(
                            xb, e.reshape(A.kernel.shape), A.mode, A.boundary, A.correlate
                        )
                        for xb in x
                    ]
                )
            )
        )
    y = sum(c * kt.reshape(-1)[j] for j, c in enumerate(cols))
    (y * torch.tensor(g)).sum().backward()
    assert_close(K.adjoint(g), kt.grad.numpy())


def test_linear_operator_in_scipy_solvers():
    rng = np.random.default_rng(1)
    # symmetric positive definite circulant: kernel [-1, 4, -1] periodic
    A = convop.Convolution(np.array([-1.0, 4.0, -1.0]), (40,), "same", boundary="periodic")
    L = A.aslinearoperator()
    b = rng.standard_normal(40)
    x, info = spla.cg(L, b, rtol=1e-12)
    assert info == 0
    np.testing.assert_allclose(A @ x, b, atol=1e-8)
    vals = spla.eigsh(L, k=2, which="LA", return_eigenvectors=False)
    np.testing.assert_allclose(np.sort(vals), np.sort(np.linalg.eigvalsh(A.to_dense()))[-2:])
    B = convop.Convolution(rng.standard_normal((3, 3)), (6, 5), "full", boundary="reflect")
    s = spla.svds(B.aslinearoperator(), k=3, return_singular_vectors=False)
    np.testing.assert_allclose(
        np.sort(s), np.linalg.svd(B.to_dense(), compute_uv=False)[:3][::-1], rtol=1e-8
    )
    sol = spla.lsqr(B.aslinearoperator(), B @ np.arange(30.0), atol=1e-14, btol=1e-14)[0]
    np.testing.assert_allclose(sol, np.arange(30.0), atol=1e-6)


def test_dtypes_and_immutability():
    k = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    A = convop.Convolution(k, (8,), "same", boundary="reflect")
    assert A.dtype == np.float32
    x = np.arange(8, dtype=np.float32)
    xc = x.copy()
    assert A(x).dtype == np.float32 and A.adjoint(x).dtype == np.float32
    np.testing.assert_array_equal(x, xc)
    with pytest.raises(ValueError):
        A.kernel[0] = 5.0
    k[0] = 100.0  # the operator keeps its own copy
    assert A.kernel[0] == 1.0
    assert convop.Convolution(np.array([1, 2]), (4,)).dtype == np.float64
    assert A(np.arange(8)).dtype == np.float64  # int input promoted with the kernel


def test_repr_names_everything():
    r = repr(convop.Convolution(np.ones(3), (5,), "same", boundary="wrap", correlate=True))
    for word in ("correlate", "same", "periodic", "circulant", "(5,)"):
        assert word in r


def test_repr_of_a_half_built_operator_does_not_raise():
    # A debugger or a traceback formatter may repr an object whose __init__ raised.
    bare = object.__new__(convop.Convolution)
    assert "not fully constructed" in repr(bare)
