"""Tests of convop.spectral: eigvals, svdvals, opnorm, clip_singular_values.

References: numpy.linalg.eigvals / svd on ``op.to_dense()``; eigen-relation with DFT
vectors; brackets must contain the exact norm.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convop
from convop import spectral
from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.spectral._symbol import spec_of

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def dense_sv(op):
    return np.linalg.svd(op.to_dense(), compute_uv=False)


def rng(seed=0):
    return np.random.default_rng(seed)


# -- strategies -----------------------------------------------------------------------------
@st.composite
def periodic_layers(draw):
    """ConvLayers on the Sedghi fast path: periodic, out·s = n (any stride, dilation, groups)."""
    d = draw(st.integers(1, 3))
    g = draw(st.sampled_from([1, 1, 2]))
    cig = draw(st.integers(1, 2))
    cog = draw(st.integers(1, 3 if d < 3 else 2))
    stride, dil, ks, n, pad = [], [], [], [], []
    for _ in range(d):
        s = draw(st.integers(1, 2 if d == 3 else 3))
        m = draw(st.integers(1, 4 if d < 3 else 2))
        k = draw(st.integers(1, 3))
        dl = draw(st.integers(1, 2))
        tot = dl * (k - 1)
        left = draw(st.integers(0, tot))
        stride.append(s), dil.append(dl), ks.append(k), n.append(s * m)
        pad.append((left, tot - left))
    seed = draw(st.integers(0, 2**16))
    w = rng(seed).standard_normal((g * cog, cig) + tuple(ks))
    return convop.ConvLayer(
        w,
        (g * cig,) + tuple(n),
        stride=tuple(stride),
        padding=pad,
        dilation=tuple(dil),
        groups=g,
        boundary="periodic",
    )


@st.composite
def any_layers(draw):
    d = draw(st.integers(1, 2))
    g = draw(st.sampled_from([1, 2]))
    cig, cog = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    boundary = draw(st.sampled_from(["zero", "periodic", "reflect", "symmetric", "replicate"]))
    n = tuple(draw(st.integers(3, 6)) for _ in range(d))
    ks = tuple(draw(st.integers(1, 3)) for _ in range(d))
    pad = tuple((draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))) for k in ks)
    stride = tuple(draw(st.integers(1, 2)) for _ in range(d))
    dil = tuple(draw(st.integers(1, 2)) if boundary == "zero" else 1 for _ in range(d))
    if any(nn + l + r - dl * (k - 1) < 1 for nn, (l, r), dl, k in zip(n, pad, dil, ks)):
        dil = (1,) * d
    seed = draw(st.integers(0, 2**16))
    w = rng(seed).standard_normal((g * cog, cig) + ks)
    return convop.ConvLayer(
        w, (g * cig,) + n, stride=stride, padding=pad, dilation=dil, groups=g, boundary=boundary
    )


@st.composite
def convolutions(
    draw,
    boundaries=("zero", "periodic", "reflect", "symmetric", "replicate"),
    modes=("full", "same", "valid"),
):
    d = draw(st.integers(1, 3))
    n = tuple(draw(st.integers(2, 5 if d < 3 else 3)) for _ in range(d))
    ks = tuple(draw(st.integers(1, 4 if d < 3 else 2)) for _ in range(d))
    mode = draw(st.sampled_from(modes))
    if mode == "valid":
        ks = tuple(min(k, m) for k, m in zip(ks, n))
    cplx = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    r = rng(seed)
    k = r.standard_normal(ks) + (1j * r.standard_normal(ks) if cplx else 0)
    return convop.Convolution(
        k, n, mode, boundary=draw(st.sampled_from(boundaries)), correlate=draw(st.booleans())
    )


# -- svdvals --------------------------------------------------------------------------------
@SETTINGS
@given(periodic_layers())
def test_svdvals_sedghi_matches_dense(op):
    assert spec_of(op).periodic_offsets() is not None  # the fast path is exercised
    s = spectral.svdvals(op)
    ref = dense_sv(op)
    assert s.shape == ref.shape
    np.testing.assert_allclose(s, ref, rtol=1e-10, atol=1e-10 * max(ref[0], 1))


@SETTINGS
@given(any_layers())
def test_svdvals_any_layer_matches_dense(op):
    ref = dense_sv(op)
    s = spectral.svdvals(op)
    np.testing.assert_allclose(s, ref, rtol=1e-10, atol=1e-10 * max(ref[0], 1))


@SETTINGS
@given(convolutions())
def test_svdvals_convolution_matches_dense(op):
    ref = dense_sv(op)
    np.testing.assert_allclose(spectral.svdvals(op), ref, rtol=1e-10, atol=1e-10 * max(ref[0], 1))


def test_svdvals_strided_pads_with_zeros_and_topk():
    # C_out = 1 < C_in·s = 4: per frequency one value; the rest of min(m, n) is the matrix's
    w = rng(1).standard_normal((1, 2, 3))
    op = convop.ConvLayer(w, (2, 8), stride=2, padding=1, boundary="periodic")
    s = spectral.svdvals(op)
    np.testing.assert_allclose(s, dense_sv(op), atol=1e-12)
    np.testing.assert_allclose(spectral.svdvals(op, k=2), s[:2])


def test_svdvals_dtype_follows_operator():
    w = rng(2).standard_normal((2, 2, 3)).astype(np.float32)
    op = convop.ConvLayer(w, (2, 6), padding=1, boundary="periodic")
    assert spectral.svdvals(op).dtype == np.float32


@pytest.mark.parametrize("k", [0, -1, 7, 2.0, True])
def test_svdvals_bad_k(k):
    op = convop.Convolution(np.ones(2), (6,), "same", boundary="periodic")
    with pytest.raises(ConvopValueError, match=r"invalid k=.*expected None or an int in \[1, 6\]"):
        spectral.svdvals(op, k=k)


def test_svdvals_dense_limit_points_to_opnorm():
    op = convop.Convolution(np.ones(3), (5,), "full")
    with convop.options(dense_limit=10):
        with pytest.raises(ConvopValueError, match=r"dense limit of 10 .*opnorm"):
            spectral.svdvals(op)
    assert spectral.svdvals(op).shape == (5,)  # the default limit is back


def test_not_an_operator():
    for f in (spectral.svdvals, spectral.eigvals, spectral.opnorm):
        with pytest.raises(ConvopTypeError, match="Convolution or convop.ConvLayer; got ndarray"):
            f(np.eye(3))


# -- eigvals --------------------------------------------------------------------------------
def dft_vector(shape, omega):
    grids = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    phase = sum(w * g / n for w, g, n in zip(omega, grids, shape))
    return np.exp(2j * np.pi * phase)


def check_eigen(op, lam, grid):
    dense = op.to_dense()
    ev = np.linalg.eigvals(dense)
    # multiset equality: match greedily after sorting by (real, imag)
    a = np.sort_complex(np.round(lam.ravel(), 9))
    b = np.sort_complex(np.round(ev, 9))
    np.testing.assert_allclose(a, b, atol=1e-7 * max(1, np.abs(ev).max()))
    for omega in np.ndindex(*grid):
        e = dft_vector(grid, omega)
        y = op.apply(e.reshape(op.input_shape))
        np.testing.assert_allclose(
            y.reshape(grid), lam[omega] * e, atol=1e-10 * (1 + abs(lam).max())
        )


@SETTINGS
@given(convolutions(boundaries=("periodic",), modes=("same",)))
def test_eigvals_convolution_eigen_relation(op):
    lam = spectral.eigvals(op)
    assert lam.shape == op.input_shape
    check_eigen(op, lam, op.input_shape)


@pytest.mark.parametrize(
    "ks,n,dil,pad",
    [
        ((3,), (7,), 1, 1),
        ((4,), (6,), 2, (5, 1)),
        ((2, 3), (4, 5), 1, ((0, 1), (2, 0))),
        ((5,), (3,), 1, 2),
    ],
)
def test_eigvals_single_channel_layer(ks, n, dil, pad):
    w = rng(3).standard_normal((1, 1) + ks)
    op = convop.ConvLayer(
        w,
        (1,) + n,
        padding=pad
        if isinstance(pad, tuple) and isinstance(pad[0], tuple)
        else ((pad,) * len(n) if isinstance(pad, int) else (pad,)),
        dilation=dil,
        boundary="periodic",
    )
    lam = spectral.eigvals(op)
    assert lam.shape == n
    check_eigen(op, lam, n)


def test_eigvals_known_values():
    op = convop.Convolution(np.array([1.0, 2.0, 1.0]), (4,), "same", boundary="periodic")
    np.testing.assert_allclose(spectral.eigvals(op), [4, 2, 0, 2], atol=1e-12)


@pytest.mark.parametrize(
    "op,why",
    [
        (convop.Convolution(np.ones(3), (5,), "same"), "structure='toeplitz'"),
        (convop.Convolution(np.ones(3), (5,), "full", boundary="periodic"), "structure='general'"),
        (
            convop.ConvLayer(np.ones((2, 1, 3)), (1, 6), padding=1, boundary="periodic"),
            "1 input and 2 output channels",
        ),
        (
            convop.ConvLayer(np.ones((1, 1, 3)), (1, 6), padding=1, stride=2, boundary="periodic"),
            r"stride \(2,\)",
        ),
    ],
)
def test_eigvals_rejects_non_circulant(op, why):
    with pytest.raises(ConvopValueError, match=rf"eigvals needs a circulant.*{why}.*svdvals"):
        spectral.eigvals(op)


def test_eigvals_method_on_operator():
    op = convop.Convolution(np.array([0.0, 1.0, 0.5]), (5,), "same", boundary="wrap")
    np.testing.assert_allclose(op.eigvals(), spectral.eigvals(op))


# -- opnorm ---------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(periodic_layers(), any_layers(), convolutions()),
    st.sampled_from(["gram", "power", "auto"]),
)
def test_opnorm_bracket_contains_exact(op, method):
    exact = dense_sv(op)[0]
    lo, up = spectral.opnorm(op, method=method, rng=0)
    assert lo <= exact * (1 + 1e-13) + 1e-13
    assert exact <= up * (1 + 1e-13) + 1e-13
    if method == "power":
        assert up == np.inf
    if method == "gram" and spec_of(op).periodic_offsets() is not None:
        assert up - lo <= 1e-6 * up + 1e-12


def test_opnorm_exact_and_auto_small():
    op = convop.Convolution(rng(4).standard_normal((3, 3)), (6, 5), "full")
    s = dense_sv(op)[0]
    for method in ("exact", "auto"):
        lo, up = spectral.opnorm(op, method=method)
        assert lo == pytest.approx(s, rel=1e-12) and up == pytest.approx(s, rel=1e-12)


@pytest.mark.parametrize("tol", [1e-3, 1e-6, 1e-10])
def test_opnorm_gram_periodic_tightness(tol):
    w = rng(5).standard_normal((8, 6, 3, 3))
    op = convop.ConvLayer(w, (6, 12, 12), padding=1, boundary="periodic")
    exact = spectral.svdvals(op, k=1)[0]
    (lo, up), info = spectral.opnorm(op, method="gram", tol=tol, return_info=True)
    assert lo <= exact <= up
    assert up - lo <= tol * up
    assert info["method"] == "gram" and info["frequencies"] == 12 * 7


def test_opnorm_gram_strided_grouped_3d():
    w = rng(6).standard_normal((4, 1, 3, 2, 3))
    op = convop.ConvLayer(
        w,
        (2, 4, 6, 4),
        stride=(2, 1, 2),
        padding=((1, 1), (0, 1), (1, 1)),
        groups=2,
        boundary="periodic",
    )
    exact = dense_sv(op)[0]
    lo, up = spectral.opnorm(op, method="gram", tol=1e-9)
    assert lo <= exact <= up and up - lo <= 1e-9 * up


def test_opnorm_zero_padding_embedding_is_tight_on_larger_grids():
    w = rng(7).standard_normal((4, 3, 3, 3))
    op = convop.ConvLayer(w, (3, 24, 24), padding=1)
    exact = spectral.svdvals(op, k=1)[0]  # dense: 2304 × 1728
    (lo, up), info = spectral.opnorm(op, method="gram", return_info=True)
    assert lo <= exact <= up
    assert (exact - lo) <= 1e-5 * exact  # Lanczos lower bound
    assert (up - exact) <= 0.05 * exact  # circular/zero gap
    assert info["grid"] == (26, 26) and info["extension_norm"] == 1.0


def test_opnorm_power_reproducible():
    op = convop.ConvLayer(rng(8).standard_normal((3, 2, 3)), (2, 10), padding=1)
    assert spectral.opnorm(op, method="power", rng=3) == spectral.opnorm(op, method="power", rng=3)


@pytest.mark.parametrize(
    "kw,match",
    [
        (
            {"method": "svd"},
            r"invalid method='svd'; expected one of 'auto', 'power', 'gram', 'exact'",
        ),
        ({"tol": 0.0}, r"invalid tol=0.0; expected a positive float"),
        ({"tol": "1e-3"}, r"invalid tol='1e-3'"),
        ({"max_iter": 0}, r"invalid max_iter=0; expected a positive int"),
    ],
)
def test_opnorm_bad_arguments(kw, match):
    op = convop.Convolution(np.ones(2), (4,), "same", boundary="periodic")
    with pytest.raises(ConvopValueError, match=match):
        spectral.opnorm(op, **kw)


def test_opnorm_bad_rng():
    op = convop.Convolution(np.ones(2), (4,), "same", boundary="periodic")
    with pytest.raises(ConvopTypeError, match="rng must be None, an int seed or a numpy"):
        spectral.opnorm(op, rng="seed")


# -- clipping -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape,ks", [((3, 8, 8), (3, 3)), ((2, 10), (3,)), ((2, 4, 4, 4), (2, 3, 3))]
)
def test_clip_reduces_norm_and_reports_exact_norm(shape, ks):
    w = rng(9).standard_normal((3, shape[0]) + ks)
    op = convop.ConvLayer(w, shape, padding="same", boundary="periodic")
    before = spectral.svdvals(op, k=1)[0]
    target = 0.5 * before
    w2, achieved = spectral.clip_singular_values(w, shape, target)
    assert w2.shape == w.shape and w2.dtype == w.dtype
    after = spectral.svdvals(convop.ConvLayer(w2, shape, padding="same", boundary="periodic"), k=1)[
        0
    ]
    assert achieved == pytest.approx(after, rel=1e-12)
    assert after < before


def test_clip_full_support_is_exact():
    # a kernel covering the whole grid loses nothing in the restriction
    w = rng(10).standard_normal((2, 2, 5))
    _, achieved = spectral.clip_singular_values(w, (2, 5), 1.0)
    assert achieved == pytest.approx(1.0, rel=1e-10)


def test_clip_zero_boundary_reports_that_layer():
    w = rng(11).standard_normal((2, 2, 3, 3))
    w2, achieved = spectral.clip_singular_values(w, (2, 6, 6), 1.0, boundary="zero")
    ref = spectral.svdvals(convop.ConvLayer(w2, (2, 6, 6), padding="same"), k=1)[0]
    assert achieved == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "1", None])
def test_clip_bad_max_value(bad):
    with pytest.raises(ConvopValueError, match=r"invalid max_value=.*finite float >= 0"):
        spectral.clip_singular_values(np.ones((1, 1, 3)), (1, 5), bad)


@pytest.mark.parametrize("boundary", ["periodic", "zero"])
def test_opnorm_zero_operator(boundary):
    op = convop.ConvLayer(np.zeros((2, 2, 3, 3)), (2, 5, 5), padding=1, boundary=boundary)
    for method in ("gram", "power", "exact", "auto"):
        lo, up = spectral.opnorm(op, method=method)
        assert lo == 0.0 and up in (0.0, np.inf)


def test_clip_rejects_kernel_larger_than_grid():
    with pytest.raises(
        ConvopValueError, match=r"kernel no larger than the grid; got kernel \(7,\)"
    ):
        spectral.clip_singular_values(np.ones((1, 1, 7)), (1, 5), 1.0)


def test_float32_layer_bracket_and_eigvals_dtype():
    w = rng(12).standard_normal((1, 1, 3, 3)).astype(np.float32)
    op = convop.ConvLayer(w, (1, 6, 6), padding=1, boundary="periodic")
    assert spectral.eigvals(op).dtype == np.complex64
    exact = np.linalg.svd(op.to_dense().astype(np.float64), compute_uv=False)[0]
    lo, up = spectral.opnorm(op, method="gram", tol=1e-9)
    assert lo <= exact * (1 + 1e-6) and exact <= up * (1 + 1e-6)


@given(st.integers(0, 2**16), st.sampled_from([1e-3, 1e-6, 1e-9]), st.booleans())
@settings(max_examples=25)
def test_auto_cholesky_certificate_brackets_exact_norm(seed, tol, few_candidates):
    import convop.spectral._cholesky as gram

    rng = np.random.default_rng(seed)
    d = int(rng.integers(1, 3))
    g = int(rng.integers(1, 3))
    cin, cout = g * int(rng.integers(1, 4)), g * int(rng.integers(1, 4))
    n = tuple(int(v) for v in rng.integers(4, 9, d))
    w = rng.standard_normal((cout, cin // g) + (3,) * d)
    op = convop.ConvLayer(w, (cin,) + n, padding=1, groups=g, boundary="periodic")
    exact = float(np.linalg.svd(op.to_dense(), compute_uv=False)[0])
    old = gram._CANDIDATES
    try:
        if few_candidates:  # force the retry path: the best frequency is found late
            gram._CANDIDATES = 1
        (lo, up), info = spectral.opnorm(op, tol=tol, return_info=True)
    finally:
        gram._CANDIDATES = old
    assert info["method"] == "cholesky-certificate"
    assert lo <= exact * (1 + 1e-13) and exact <= up
    assert (up - lo) <= tol * up * 1.01 + 1e-12


def test_top_level_names():
    assert convop.svdvals is spectral.svdvals
    assert convop.opnorm is spectral.opnorm
    assert convop.clip_singular_values is spectral.clip_singular_values
    A = convop.Convolution(np.arange(9.0).reshape(3, 3), (4, 5), "same", boundary="periodic")
    assert A.eigvals().shape == (4, 5)
