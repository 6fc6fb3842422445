"""Internals behind convop.spectral.opnorm: the per-frequency Gram stack, the float32
Gram screening and the Cholesky certificate.

References: the blocks ``M(η)`` of ``_spectral_core.blocks`` multiplied out densely
(``M Mᴴ`` or ``MᴴM``), and ``numpy.linalg.svd`` of ``op.to_dense()``.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import convop
from convop import spectral
from convop.spectral import _gram as gram
from convop.spectral import _stack as stack_mod
from convop.spectral import _symbol as core


def dense_gram(spec, offsets, grid, half):
    """Reference stack: every block multiplied out, the smaller Gram product."""
    b = core.blocks(spec, offsets, grid, half=half)
    b = b.reshape((-1,) + b.shape[2:])
    if b.shape[1] <= b.shape[2]:
        return b @ np.conj(np.swapaxes(b, -1, -2))
    return np.conj(np.swapaxes(b, -1, -2)) @ b


@st.composite
def periodic_specs(draw):
    d = draw(st.integers(1, 2))
    g = draw(st.sampled_from([1, 2]))
    cig, cog = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = tuple(draw(st.integers(1, 2)) for _ in range(d))
    ks = tuple(draw(st.integers(1, 3)) for _ in range(d))
    n = tuple(s * draw(st.integers(2, 4)) for s in stride)
    pad = tuple((k - 1) // 2 for k in ks)
    pad = tuple((p, k - 1 - p) for p, k in zip(pad, ks))
    r = np.random.default_rng(draw(st.integers(0, 2**16)))
    w = r.standard_normal((g * cog, cig) + ks)
    if draw(st.booleans()):
        w = w + 1j * r.standard_normal(w.shape)
    op = convop.ConvLayer(
        w, (g * cig,) + n, stride=stride, padding=pad, groups=g, boundary="periodic"
    )
    return core.spec_of(op)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(periodic_specs())
def test_stack_matches_dense_blocks(spec):
    offs = spec.periodic_offsets()
    half = np.isrealobj(spec.weight)
    ref = dense_gram(spec, offs, spec.n, half)
    stk = stack_mod.gram_stack(spec, offs, spec.n, half)
    assert stk.count == ref.shape[0] and stk.q == ref.shape[-1]
    re, im = stk.parts()
    scale = np.abs(ref).max() + 1e-300
    np.testing.assert_allclose(re + 1j * im, ref, atol=1e-12 * scale)
    # every way of asking for rows gives the same rows
    idx = np.random.default_rng(0).permutation(stk.count)[: max(1, stk.count // 2)]
    re_i, im_i = stk.parts(idx)
    np.testing.assert_allclose(re_i + 1j * im_i, ref[idx], atol=1e-12 * scale)
    a, b = stk.count // 3, stk.count - 1
    re_s, im_s = stk.parts(slice(a, b))
    np.testing.assert_allclose(re_s + 1j * im_s, ref[a:b], atol=1e-12 * scale)
    np.testing.assert_allclose(stk.diagonals(), np.einsum("fii->fi", ref).real, atol=1e-12 * scale)
    np.testing.assert_allclose(
        stk.fro_estimate(), np.linalg.norm(ref, axis=(1, 2)), rtol=1e-9, atol=1e-9 * scale
    )
    # float32 slices stay within the advertised error (spectral norm)
    r32, i32 = stk.parts(slice(None), np.float32)
    assert r32.dtype == np.float32
    err = np.linalg.norm((r32 + 1j * i32).astype(np.complex128) - ref, ord=2, axis=(1, 2))
    assert np.all(err <= stk.error(np.float32))


def test_stack_explicit_for_large_kernels():
    """Kernels too large for the spatial form fall back to an explicit stack."""
    w = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
    op = convop.ConvLayer(w, (3, 6, 6), padding=2, boundary="periodic")
    spec = core.spec_of(op)
    stk = stack_mod.gram_stack(spec, spec.periodic_offsets(), spec.n, True)
    assert not stk.spatial
    ref = dense_gram(spec, spec.periodic_offsets(), spec.n, True)
    re, im = stk.parts(np.array([3, 1]))
    np.testing.assert_allclose(re + 1j * im, ref[[3, 1]], atol=1e-12 * np.abs(ref).max())
    assert stk.error(np.float32) > stk.error(np.float64)


def screened_layer(seed, c=4, n=16, center_only=False):
    w = np.random.default_rng(seed).standard_normal((c, c, 3, 3))
    if center_only:  # every frequency has the same block: nothing can be pruned
        w[:, :, [0, 0, 0, 1, 1, 2, 2, 2], [0, 1, 2, 0, 2, 0, 1, 2]] = 0.0
    return convop.ConvLayer(w, (c, n, n), padding=1, boundary="periodic")


@pytest.mark.parametrize("center_only", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gram_float32_screening_keeps_the_top_frequency(seed, center_only):
    op = screened_layer(seed, center_only=center_only)
    exact = np.linalg.svd(op.to_dense(), compute_uv=False)[0]
    (lo, up), info = spectral.opnorm(op, method="gram", tol=1e-10, return_info=True)
    assert info["frequencies"] == 16 * 9 > gram._SCREEN_UNTIL
    assert info["float32_steps"] >= 1
    assert lo <= exact * (1 + 1e-13) and exact <= up
    assert up - lo <= 1e-10 * up


@pytest.mark.parametrize("seed", [3, 4])
def test_cholesky_certificate_streams_many_frequencies(seed):
    op = screened_layer(seed, c=4, n=18)
    exact = np.linalg.svd(op.to_dense(), compute_uv=False)[0]
    (lo, up), info = spectral.opnorm(op, tol=1e-9, return_info=True)
    assert info["method"] == "cholesky-certificate"
    assert lo <= exact * (1 + 1e-13) and exact <= up and up - lo <= 1e-9 * up
