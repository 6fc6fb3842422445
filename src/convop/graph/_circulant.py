"""Graphs whose adjacency is invariant under the cyclic shifts of a periodic grid.

On such a graph (a ring, a torus, a triangulated torus mesh, ...) every Laplacian
is a circulant (1-D) or BCCB (2-D) matrix: a periodic convolution. It is
diagonalised by the DFT, so its spectrum is one FFT of the stencil and a real
orthonormal eigenbasis is known in closed form (cosines and sines of the
frequencies, one pair per conjugate pair of frequencies).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["Circulant", "detect", "from_stencil"]


@dataclass(frozen=True, eq=False)
class Circulant:
    """``A[i, (i + o) mod shape] = w`` for every stencil offset ``o`` with weight ``w``."""

    shape: tuple[int, ...]
    offsets: np.ndarray  # (E, d) signed integer offsets, each in (-n/2, n/2]
    weights: np.ndarray  # (E,)

    @property
    def n(self) -> int:
        return prod(self.shape)

    def adjacency(self, dtype: Any = np.float64) -> sp.csr_array:
        idx = np.arange(self.n)
        grid = np.stack(np.unravel_index(idx, self.shape), axis=1)
        rows, cols, vals = [], [], []
        for o, w in zip(self.offsets, self.weights):
            target = np.ravel_multi_index(tuple((grid + o).T), self.shape, mode="wrap")
            rows.append(idx)
            cols.append(target)
            vals.append(np.full(self.n, w, dtype=dtype))
        if not rows:
            return sp.csr_array((self.n, self.n), dtype=dtype)
        mat = sp.csr_array(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(self.n, self.n),
        )
        mat.sum_duplicates()
        mat.sort_indices()
        return mat

    def laplacian_stencil(self, kind: str) -> dict[tuple[int, ...], float]:
        """Coefficients ``c_o`` with ``(L x)_i = sum_o c_o x_{i+o}``."""
        deg = float(np.sum(self.weights))
        coef: dict[tuple[int, ...], float] = {}
        for o, w in zip(self.offsets, self.weights):
            key = tuple(int(v) for v in o)
            coef[key] = coef.get(key, 0.0) - float(w)
        zero = (0,) * len(self.shape)
        coef[zero] = coef.get(zero, 0.0) + deg
        if kind != "combinatorial":  # regular graph: D^-1/2 L D^-1/2 = D^-1 L = L / deg
            coef = {k: v / deg for k, v in coef.items()}
        return coef

    def kernel(self, kind: str) -> np.ndarray:
        """The Laplacian as a ``Convolution(kernel, shape, "same", boundary="periodic")`` kernel.

        ``same`` mode with an odd kernel of length ``2r + 1`` computes
        ``y_i = sum_j k_j x_{i + r - j}``, so the coefficient of offset ``o`` sits at ``r - o``.
        """
        coef = self.laplacian_stencil(kind)
        radius = tuple(max(abs(k[a]) for k in coef) for a in range(len(self.shape)))
        ker = np.zeros(tuple(2 * r + 1 for r in radius))
        for o, v in coef.items():
            ker[tuple(r - oa for r, oa in zip(radius, o))] += v
        return ker

    def fits_kernel(self) -> bool:
        """Whether the stencil fits a ``same``-mode periodic kernel (odd, ≤ the grid)."""
        for a, n in enumerate(self.shape):
            r = int(np.max(np.abs(self.offsets[:, a]))) if len(self.offsets) else 0
            if 2 * r + 1 > n:
                return False
        return True

    def spectrum(self, kind: str) -> np.ndarray:
        """Eigenvalue of the Laplacian at every DFT frequency, in ``numpy.fft.fftn`` order.

        With ``x_j = exp(2πi ξ·j / n)``, ``(L x)_i = x_i sum_o c_o exp(2πi ξ·o / n)``.
        """
        row = np.zeros(self.shape)
        for o, v in self.laplacian_stencil(kind).items():
            row[tuple(np.mod(o, self.shape))] += v
        lam = np.conj(np.fft.fftn(row))
        return lam.real if np.allclose(lam.imag, 0, atol=1e-12 * (1 + np.abs(lam).max())) else lam

    def real_basis_layout(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Flat frequency index, part (0 self-conjugate, 1 cosine, 2 sine) and conjugate
        partner of every real basis vector, in the frequency order of ``fftn``."""
        n = self.n
        grid = np.stack(np.unravel_index(np.arange(n), self.shape), axis=1)
        partner = np.ravel_multi_index(tuple((-grid).T), self.shape, mode="wrap")
        q = np.arange(n)
        self_conj = partner == q
        first = q < partner
        reps = np.concatenate([q[self_conj], q[first], q[first]])
        parts = np.concatenate(
            [np.zeros(self_conj.sum(), int), np.ones(first.sum(), int), np.full(first.sum(), 2)]
        )
        partners = np.concatenate([q[self_conj], partner[first], partner[first]])
        return reps, parts, partners


def from_stencil(shape: tuple[int, ...], stencil: list[tuple[tuple[int, ...], float]]) -> Circulant:
    """A symmetric circulant structure from half a stencil (``o`` and ``-o`` both added)."""
    offs, ws = [], []
    for o, w in stencil:
        offs.append(o)
        ws.append(w)
        neg = tuple(-v for v in o)
        if any(neg):
            offs.append(neg)
            ws.append(w)
    return Circulant(
        tuple(shape), np.array(offs, dtype=np.int64).reshape(-1, len(shape)), np.array(ws)
    )


def _candidate_shapes(n: int) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = [(n,)]
    for a in range(3, int(np.sqrt(n)) + 1):
        if n % a == 0 and n // a >= 3:
            shapes.append((a, n // a))
            if a != n // a:
                shapes.append((n // a, a))
    return shapes


def detect(adjacency: sp.csr_array, max_shapes: int = 64) -> Circulant | None:
    """The periodic-grid structure of ``adjacency`` in its own vertex numbering, or None.

    Tries the 1-D ring layout and every 2-D factorisation ``N = n·m`` (n, m ≥ 3):
    reads the stencil from row 0 and compares the whole matrix with the circulant
    it generates (a few sampled rows first, so a non-circulant graph is rejected
    cheaply).
    """
    n = adjacency.shape[0]
    if n < 3 or adjacency.nnz == 0 or adjacency.nnz % n:
        return None
    counts = np.diff(adjacency.indptr)
    if np.any(counts != counts[0]):
        return None
    cols0 = adjacency.indices[adjacency.indptr[0] : adjacency.indptr[1]]
    w0 = adjacency.data[adjacency.indptr[0] : adjacency.indptr[1]]
    probe = np.unique(np.linspace(0, n - 1, 9).astype(int))
    for shape in _candidate_shapes(n)[:max_shapes]:
        sub = np.stack(np.unravel_index(cols0, shape), axis=1)
        offsets = np.where(sub > np.array(shape) // 2, sub - np.array(shape), sub)
        cand = Circulant(shape, offsets.astype(np.int64), np.asarray(w0, dtype=float))
        if not _rows_match(adjacency, cand, probe):
            continue
        full = cand.adjacency(adjacency.dtype)
        if full.nnz == adjacency.nnz and abs(full - adjacency).max() == 0:
            return cand
    return None


def _rows_match(adjacency: sp.csr_array, cand: Circulant, rows: np.ndarray) -> bool:
    grid = np.stack(np.unravel_index(rows, cand.shape), axis=1)
    for r, g in zip(rows, grid):
        cols = np.ravel_multi_index(tuple((g + cand.offsets).T), cand.shape, mode="wrap")
        got = adjacency.indices[adjacency.indptr[r] : adjacency.indptr[r + 1]]
        val = adjacency.data[adjacency.indptr[r] : adjacency.indptr[r + 1]]
        order = np.argsort(cols)
        if not (np.array_equal(np.sort(cols), got) and np.array_equal(cand.weights[order], val)):
            return False
    return True
