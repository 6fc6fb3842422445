r"""The structured cases: periodic ``same`` convolutions are diagonalised by the DFT,
half-sample symmetric ``same`` convolutions with a symmetric PSF by the DCT-II.

With ``c = (q − 1) // 2`` the centre tap of ``mode="same"`` and ``h[s] = psf[c + s]``,
the operator is ``y[i] = Σ_s h[s] x̃[i − s]`` with ``x̃`` the boundary extension of ``x``.

* periodic: ``A = F⁻¹ diag(a) F`` with ``a`` the DFT of the first column
  ``A e₀ = Σ_s h[s] e_{s mod n}`` (the PSF centred on the origin, wrapped);
* symmetric + symmetric PSF: the half-sample symmetric extension of the DCT-II vector
  ``v_k[i] = cos(πk(i + ½)/n)`` is the same cosine on all of ℤ, and a symmetric PSF
  maps it to ``λ_k v_k`` with ``λ_k = Σ_s h[s] Π_a cos(π k_a s_a / n_a)``. So
  ``A = Cᵀ diag(λ) C`` with ``C`` the orthonormal DCT-II, and ``λ = (C A e₀) / (C e₀)``
  (Hansen, Nagy & O'Leary 2006, §4.3), where ``A e₀[i] = h[i] + h[i + 1]`` per axis
  when the PSF half-width is below ``n``.
* reflect (whole-sample mirror) + symmetric PSF: ``A`` is not symmetric, but with
  ``W = diag(1/√2 at both ends, 1 inside)`` per axis, ``B = W A W⁻¹`` is, and the
  orthonormal DCT-I ``C₁`` diagonalises it (its vectors ``cos(πki/(n−1))`` extend
  whole-sample symmetrically). So ``A = T⁻¹ diag(λ) T`` with ``T = C₁ W``: the transform
  of the weighted problem ``‖W(Ax − y)‖² + λ‖Wx‖²``, a structured surrogate (not the
  unweighted Tikhonov problem) used to precondition the reflect operator.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np
import scipy.fft as sfft

from convop._operators.convolution import Convolution

__all__ = ["Basis", "centred_odd", "is_symmetric", "symbol"]


def centred_odd(psf: np.ndarray) -> np.ndarray:
    """``psf`` zero-padded to odd sizes with its ``same``-mode centre in the middle."""
    pads = []
    for q in psf.shape:
        c = (q - 1) // 2
        r = max(c, q - 1 - c)
        pads.append((r - c, r - (q - 1 - c)))
    return np.pad(psf, pads)


def is_symmetric(psf: np.ndarray, rtol: float = 1e-12) -> bool:
    """Whether ``psf`` is even about its ``same``-mode centre along every axis."""
    p = centred_odd(np.asarray(psf))
    scale = float(np.abs(p).max(initial=0.0))
    for ax in range(p.ndim):
        if np.abs(p - np.flip(p, axis=ax)).max(initial=0.0) > rtol * scale:
            return False
    return True


@dataclass(frozen=True)
class Basis:
    """An orthogonal transform diagonalising the structured operators of one grid.

    ``kind='fft'`` uses the unnormalised real FFT (half spectrum along the last axis),
    so Parseval reads ``‖x‖² = Σ w |X|² / N`` with ``w`` = 1 or 2; ``kind='dct'`` the
    orthonormal DCT-II (``w = 1``, ``N = 1``).
    """

    kind: str
    shape: tuple[int, ...]

    @property
    def _w(self) -> np.ndarray:
        w = np.ones(self.shape)
        for ax, n in enumerate(self.shape):
            edge = np.ones(n)
            edge[[0, -1]] = 1 / np.sqrt(2)
            w = w * edge.reshape((1,) * ax + (n,) + (1,) * (len(self.shape) - ax - 1))
        return w

    def orth(self, x: np.ndarray) -> np.ndarray:
        """The orthogonal part of the transform (the DCT-I itself for ``dct1``)."""
        if self.kind == "fft":
            return sfft.rfftn(x)
        return sfft.dctn(x, type=1 if self.kind == "dct1" else 2, norm="ortho")

    def orth_inv(self, c: np.ndarray) -> np.ndarray:
        if self.kind == "fft":
            return sfft.irfftn(c, s=self.shape)
        return sfft.idctn(c, type=1 if self.kind == "dct1" else 2, norm="ortho")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``T x``."""
        return self.orth(x * self._w if self.kind == "dct1" else x)

    def inverse(self, c: np.ndarray) -> np.ndarray:
        """``T⁻¹ c``."""
        x = self.orth_inv(c)
        return x / self._w if self.kind == "dct1" else x

    def dual(self, x: np.ndarray) -> np.ndarray:
        """``T⁻ᵀ x`` (equal to ``T x`` for the orthogonal kinds: ``T⁻¹ D T`` is then
        symmetric for a real, even ``D``)."""
        return self.orth(x / self._w) if self.kind == "dct1" else self.forward(x)

    def dual_inv(self, c: np.ndarray) -> np.ndarray:
        """``Tᵀ c``, the inverse of :meth:`dual`."""
        return self.orth_inv(c) * self._w if self.kind == "dct1" else self.orth_inv(c)

    @property
    def weights(self) -> np.ndarray | float:
        """Multiplicity of each stored coefficient in the full spectrum."""
        if self.kind != "fft":
            return 1.0
        n = self.shape[-1]
        w = np.full(n // 2 + 1, 2.0)
        w[0] = 1.0
        if n % 2 == 0:
            w[-1] = 1.0
        return w

    @property
    def scale(self) -> float:
        """``‖x‖² = scale · Σ weights |forward(x)|²``."""
        return 1.0 / prod(self.shape) if self.kind == "fft" else 1.0

    def sqnorm(self, c: np.ndarray) -> float:
        """‖x‖² from the coefficients ``c`` of ``x``."""
        return float(self.scale * np.sum(self.weights * (c.real**2 + c.imag**2)))


def _first_column_periodic(psf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    col = np.zeros(shape, dtype=psf.dtype)
    idx = np.indices(psf.shape).reshape(psf.ndim, -1)
    cen = np.array([(q - 1) // 2 for q in psf.shape])[:, None]
    pos = tuple((idx - cen) % np.array(shape)[:, None])
    np.add.at(col, pos, psf.reshape(-1))  # taps wrapping onto the same sample add up
    return col


def _first_column_symmetric(psf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    g = psf
    for ax, (q, n) in enumerate(zip(psf.shape, shape)):
        c = (q - 1) // 2
        g = np.take(g, np.arange(c, q), axis=ax)  # h[s] for s ≥ 0
        m = g.shape[ax]
        nxt = np.take(g, np.arange(1, m), axis=ax)
        width = [(0, 0)] * g.ndim
        width[ax] = (0, 1)
        g = g + np.pad(nxt, width)  # h[i] + h[i + 1]: the sample and its mirror at −1
        width[ax] = (0, n - m)
        g = np.pad(g, width)
    return g


def symbol(kind: str, psf: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Eigenvalues of the ``same`` convolution with ``psf`` in ``Basis(kind, shape)``.

    ``dct1``: of the reflect-boundary operator (every axis at least 2 long). ``fft``:
    complex ``a`` with ``A x = irfftn(a · rfftn(x))``; ``dct``: real ``λ`` with
    ``A x = idctn(λ · dctn(x))`` (valid for a PSF symmetric about its centre).
    """
    psf = np.asarray(psf, dtype=np.float64)
    if kind == "dct1":
        basis = Basis("dct1", shape)
        e0 = np.zeros(shape)
        e0[(0,) * len(shape)] = 1.0
        col = Convolution(psf, shape, "same", boundary="reflect").apply(e0 / basis._w)
        return basis.orth(col * basis._w) / basis.orth(e0)
    if kind == "fft":
        return sfft.rfftn(_first_column_periodic(psf, shape))
    col = _first_column_symmetric(psf, shape)
    e0 = np.ones((1,) * len(shape))
    for ax, n in enumerate(shape):
        d = sfft.dct(np.eye(1, n)[0], type=2, norm="ortho")
        e0 = e0 * d.reshape((1,) * ax + (n,) + (1,) * (len(shape) - ax - 1))
    return sfft.dctn(col, type=2, norm="ortho") / e0
