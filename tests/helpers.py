"""Shared test helpers: per-dtype tolerances and independent references."""

from __future__ import annotations

import numpy as np
import scipy.signal as ss

NUMPY_MODE = {
    "zero": "constant",
    "periodic": "wrap",
    "reflect": "reflect",
    "symmetric": "symmetric",
    "replicate": "edge",
}
BOUNDARIES = tuple(NUMPY_MODE)
MODES = ("full", "same", "valid")


def tol(dtype) -> float:
    """Relative tolerance (to max |y|) for results of ``dtype``."""
    return 1e-4 if np.dtype(dtype) in (np.float32, np.complex64) else 1e-10


def assert_close(actual, expected, dtype=None, scale=None):
    """Max error relative to max |expected|, or to ``scale`` when given.

    Pass ``scale`` (e.g. max|x|·sum|k|, the size FFT round-off is relative to)
    when the expected output can be exactly zero while the inputs are not.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if scale is None:
        scale = np.abs(expected).max(initial=0.0)
    scale = max(float(scale), 1e-300)
    err = np.abs(actual - expected).max(initial=0.0) / scale
    assert err <= tol(dtype or actual.dtype), f"relative error {err:.3e}"


def reference_convolve(x, k, mode, boundary, correlate=False):
    """The definition of issue 3, written independently with numpy.pad + scipy."""
    x, k = np.asarray(x), np.asarray(k)
    if correlate:
        k = np.conj(k[(slice(None, None, -1),) * k.ndim])
    if mode == "valid" or boundary == "zero":
        return ss.convolve(x, k, mode)
    width = [(q - 1, q - 1) for q in k.shape]
    xp = np.pad(x, width, mode=NUMPY_MODE[boundary])
    full = ss.convolve(xp, k, "valid")
    if mode == "full":
        return full
    start = [(q - 1) // 2 for q in k.shape]
    return full[tuple(slice(s, s + n) for s, n in zip(start, x.shape))]


def random_array(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-5 if dtype.kind == "i" else 0, 6, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)
