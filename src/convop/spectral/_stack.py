"""Private: the per-frequency Gram matrices of a layer, formed on demand.

Every norm bound of :mod:`convop.spectral` works on the stack ``G[f] = M(η)M(η)ᴴ``
(or ``MᴴM``, whichever is smaller) of the circulant blocks ``M(η)`` of
:func:`~convop.spectral._symbol.blocks`: Hermitian PSD ``q × q`` matrices, one per output
frequency and group, ``‖A‖₂² = max_f λ_max(G[f])``.

For small kernels ``G`` is never needed as a whole: it is the DFT of the spatial
autocorrelation of the kernel, ``G[f·g + grp] = Σ_t P[f, t] K[t, grp]`` with
``(2k−1)^d`` taps ``K[δ] = Σ_{c,j} w[:, c, j] w[:, c, j−δ]ᴴ`` (averaged over the ``S``
aliases of a strided layer: ``(1/S) Σ_t Â(ω_t)Â(ω_t)ᴴ``). A slice of the stack costs one
small product, so callers stream chunks through the cache (a 64×64 layer on 32×32
inputs has 544 frequencies: 36 MB as complex128) and form float32 copies directly.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from convop._core.threads import run_parallel
from convop.spectral._symbol import Spec, blocks, phase_matrix

__all__ = ["GramStack", "gram_stack"]

U64 = 2.0**-53
U32 = 2.0**-24


class GramStack:
    """The stack ``G`` (``count × q × q``) and ``eps0 ≥ ‖G_computed − G_exact‖₂``.

    Either spatial (``phases`` ``(F, T)`` complex, ``taps`` ``(T, g, q, q)``) or
    explicit (``planes`` = real and imaginary parts of the whole stack).
    """

    def __init__(
        self,
        q: int,
        eps0: float,
        *,
        phases: np.ndarray | None = None,
        taps: np.ndarray | None = None,
        groups: int = 1,
        planes: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.q = int(q)
        self.eps0 = float(eps0)
        self.groups = int(groups)
        self._planes = planes
        self._cast: dict[Any, tuple[np.ndarray, ...]] = {}
        if planes is not None:
            self.count = int(planes[0].shape[0])
            return
        assert phases is not None and taps is not None
        self._phases = phases
        self._taps = taps.reshape(taps.shape[0], -1)
        self.count = int(phases.shape[0]) * self.groups

    @property
    def spatial(self) -> bool:
        return self._planes is None

    # -- forming slices --------------------------------------------------------------------
    def _factors(self, dtype: Any) -> tuple[np.ndarray, ...]:
        dt = np.dtype(dtype)
        if dt not in self._cast:
            p, k = self._phases, self._taps
            cast = [
                np.ascontiguousarray(p.real, dtype=dt),
                np.ascontiguousarray(p.imag, dtype=dt),
                np.ascontiguousarray(k.real, dtype=dt),
            ]
            if np.iscomplexobj(k):
                cast.append(np.ascontiguousarray(k.imag, dtype=dt))
            self._cast[dt] = tuple(cast)
        return self._cast[dt]

    def _form(self, rows: np.ndarray | slice, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
        """Real and imaginary parts of the stack at the frequencies ``rows`` (all groups)."""
        pc, ps, kr, *ki = self._factors(dtype)
        c, s = pc[rows], ps[rows]
        if ki:
            re, im = run_parallel(lambda: c @ kr - s @ ki[0], lambda: s @ kr + c @ ki[0])
        elif c.shape[0] * kr.shape[1] >= 1 << 20:  # large: both products at once
            re, im = run_parallel(lambda: c @ kr, lambda: s @ kr)
        else:
            re, im = c @ kr, s @ kr
        shape = (-1, self.q, self.q)
        return re.reshape(shape), im.reshape(shape)

    def parts(
        self, idx: slice | np.ndarray = slice(None), dtype: Any = np.float64
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(Re G[idx], Im G[idx])`` in ``dtype`` (the computed, nearly Hermitian G)."""
        if self._planes is not None:
            re, im = self._planes
            return (np.asarray(re[idx], dtype=dtype), np.asarray(im[idx], dtype=dtype))
        g = self.groups
        if isinstance(idx, slice):
            a, b, step = idx.indices(self.count)
            assert step == 1
            if b <= a:
                return (np.zeros((0, self.q, self.q), dtype),) * 2
            f0, f1 = a // g, -(-b // g)
            re, im = self._form(slice(f0, f1), dtype)
            if g == 1:
                return re, im
            return re[a - f0 * g : b - f0 * g], im[a - f0 * g : b - f0 * g]
        idx = np.asarray(idx, dtype=np.intp)
        if g == 1:
            return self._form(idx, dtype)
        re, im = self._form(idx // g, dtype)
        pick = np.arange(idx.size) * g + idx % g
        return re[pick], im[pick]

    def error(self, dtype: Any) -> float:
        """Bound of ``‖G_formed − G_exact‖₂`` for slices formed in ``dtype``."""
        if np.dtype(dtype) == np.float64:
            return self.eps0
        u = float(np.finfo(dtype).eps) / 2
        if self._planes is not None:
            re, im = self._planes
            fro = np.sqrt(np.einsum("fij,fij->", re, re) + np.einsum("fij,fij->", im, im))
            return self.eps0 + 2.0 * u * float(fro)
        # casting P and K, then a T-term sum: |ΔG| ≤ γ_{T+2} Σ_t |P||K_t| (entrywise)
        t = self._taps.shape[0]
        mass = float(np.sqrt(np.sum(np.abs(self._taps) ** 2, axis=1)).sum())
        return self.eps0 + 4.0 * (t + 4) * u * mass

    # -- cheap per-frequency statistics ----------------------------------------------------
    def diagonals(self) -> np.ndarray:
        """``(count, q)``: the (real) diagonals of ``G``."""
        if self._planes is not None:
            return np.einsum("fii->fi", self._planes[0]).copy()
        g, q = self.groups, self.q
        k = self._taps.reshape(-1, g, q, q)
        kd = np.einsum("tgii->tgi", k).reshape(k.shape[0], g * q)
        d = (self._phases @ kd).real
        return d.reshape(-1, q)

    def fro_estimate(self) -> np.ndarray:
        """``‖G[f]‖_F`` for ranking frequencies (not a certified value)."""
        if self._planes is not None:
            re, im = self._planes
            return np.sqrt(np.einsum("fij,fij->f", re, re) + np.einsum("fij,fij->f", im, im))
        g, q = self.groups, self.q
        k = np.swapaxes(self._taps.reshape(-1, g, q * q), 0, 1)  # (g, T, q²)
        inner = k.conj() @ np.swapaxes(k, 1, 2)  # ⟨K_t, K_s⟩ per group
        p = self._phases
        # ‖Σ_t P_t K_t‖_F² = Σ_{t,s} conj(P_t) ⟨K_t, K_s⟩ P_s
        sq = np.stack([np.sum(p.conj() * (p @ inner[i].T), axis=1).real for i in range(g)], axis=1)
        return np.sqrt(np.maximum(sq, 0.0)).reshape(-1)


def _fine_freqs(n: int, s: int, eta: np.ndarray) -> np.ndarray:
    return (np.arange(s)[:, None] * (n // s) + eta[None, :]).ravel()


def gram_stack(
    spec: Spec, offsets: tuple[int, ...], grid: tuple[int, ...], half: bool
) -> GramStack:
    """The :class:`GramStack` of the subsampled circulant layer of ``spec`` on ``grid``."""
    w = np.asarray(spec.weight)
    g = spec.groups
    co, cig = w.shape[:2]
    cog = co // g
    ks = spec.kshape
    kt = prod(ks)
    ssum = prod(spec.stride)
    d = len(grid)
    nfine = prod(grid)
    wabs = float((np.abs(w).sum(axis=tuple(range(2, w.ndim))) ** 2).sum()) if w.size else 0.0
    # ‖|W||W|ᴴ‖_F-type bound on the accumulated products; generous constant
    length = cig * kt + prod(2 * k - 1 for k in ks) + 64
    eps0 = 8.0 * length * U64 * kt * wabs
    use_in = ssum == 1 and cig < cog  # Aᴴ A is smaller (stride 1 only)
    spatial = kt * kt <= max(nfine, 1) and (ssum == 1 or cog <= ssum * cig)
    if not spatial:
        b = blocks(spec, offsets, grid, half=half)  # (E, g, p, q)
        b = b.reshape((-1,) + b.shape[2:])
        if b.shape[1] <= b.shape[2]:
            gm = b @ np.conj(np.swapaxes(b, -1, -2))
        else:
            gm = np.conj(np.swapaxes(b, -1, -2)) @ b
        return GramStack(
            gm.shape[-1],
            eps0,
            planes=(np.ascontiguousarray(gm.real), np.ascontiguousarray(gm.imag)),
        )
    # taps as rows: (g, cog, cig, kt) -> per group (p*kt, r)
    wg = w.reshape((g, cog, cig, kt))
    if use_in:
        # transpose layer V[c, o, j] = conj(W[o, c, j]) at frequency −ω
        wg = np.conj(np.swapaxes(wg, 1, 2))
        p, r = cig, cog
    else:
        p, r = cog, cig
    rows = np.ascontiguousarray(np.swapaxes(wg, 2, 3)).reshape(g, p * kt, r)
    mm = rows @ np.swapaxes(rows, -1, -2).conj()  # (g, p*kt, p*kt)
    mm = mm.reshape(g, p, kt, p, kt)
    # K[δ] with δ = j − j' per axis in [-(k−1), k−1], accumulated per displacement
    span = tuple(2 * k - 1 for k in ks)
    taps = np.array(np.unravel_index(np.arange(kt), ks))  # (d, kt)
    diff = taps[:, :, None] - taps[:, None, :] + np.array(ks)[:, None, None] - 1
    delta = np.ravel_multi_index(tuple(diff), span).ravel()  # pair (j, j')
    onehot = np.zeros((prod(span), kt * kt))
    onehot[delta, np.arange(kt * kt)] = 1.0
    pairs = np.moveaxis(mm, (2, 4), (0, 1)).reshape(kt * kt, -1)
    kk = (onehot @ pairs).reshape(prod(span), g, p, p)
    axes = []
    shape_e = []
    for a, (n, s, dl, k) in enumerate(zip(grid, spec.stride, spec.dilation, ks)):
        eta = np.arange((n // s) // 2 + 1 if (half and a == d - 1) else n // s)
        f = _fine_freqs(n, s, eta)
        if use_in:
            f = (-f) % n
        axes.append((f, dl * (np.arange(2 * k - 1) - (k - 1)), n))
        shape_e += [s, eta.size]
    ph = phase_matrix(axes)  # (s1*e1.., T)
    if ssum > 1:  # alias average
        ph = ph.reshape(tuple(shape_e) + (-1,)).mean(axis=tuple(2 * a for a in range(d)))
    return GramStack(
        p, eps0, phases=np.ascontiguousarray(ph.reshape(-1, ph.shape[-1])), taps=kk, groups=g
    )
