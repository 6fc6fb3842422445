"""Private machinery of :mod:`convop.spectral`: one description of every layer.

Every :class:`~convop.Convolution` and :class:`~convop.ConvLayer` is ``A = V E``:

* ``E`` extends the input along each spatial axis with a 0/1 index map
  ``idx`` (``-1`` = a zero sample): ``(E x)[m] = x[idx[m]]`` (boundary + padding);
* ``V`` is the strided, dilated, grouped *valid cross-correlation*
  ``y[o, i] = Σ_c Σ_j w[o, c, j] z[c, i·s + j·d]`` on the extended grid.

When every ``idx`` is periodic (``idx[m] = (c + m) mod n``) and ``out·s = n`` the
operator is a row subsampling of a block-circulant matrix, diagonalised by the
DFT (Sedghi, Gupta & Long 2019): for the input frequency ω the circulant part
acts as the ``C_out × C_in`` matrix

    Â(ω) = Σ_j w[:, :, j] · exp(+2πi ω·(c + j·d) / n),

and subsampling by ``s`` folds the ``S = Π s`` aliases ``ω = η + t·(n/s)`` of the
output frequency η into one ``C_out × (C_in·S)`` block ``[Â(ω_t)]_t / √S``
(polyphase form). Everything else is bounded through a circulant embedding.
"""

from __future__ import annotations

from math import prod

import numpy as np

from convop._core.threads import run_parallel
from convop._operators._spec import Spec, spec_of

__all__ = ["Spec", "blocks", "embedding", "spec_of", "symbol", "symbol_parts"]


# -- symbols --------------------------------------------------------------------------------
def _phase(freqs: np.ndarray, offsets: np.ndarray, n: int) -> np.ndarray:
    """(k, F) matrix exp(+2πi f·o / n), the product reduced mod n first (accuracy)."""
    e = np.multiply.outer(offsets.astype(np.int64), freqs.astype(np.int64)) % n
    return np.exp((2j * np.pi / n) * e)


def symbol_parts(
    weight: np.ndarray, axes: list[tuple[np.ndarray, np.ndarray, int]]
) -> tuple[np.ndarray, np.ndarray]:
    """Real and imaginary parts of :func:`symbol`, each ``(F_1, ..., F_d, C_out, C_in_g)``.

    Separable: the taps are moved in front of the channels once, then every axis is
    contracted in place by a broadcast matrix product ``(F_a × k_a) @ (…, k_a, R)``, so
    the channel block stays last and contiguous (no transposes of the large result);
    complex arithmetic is done on (real, imaginary) pairs with real BLAS.
    """
    w = np.asarray(weight)
    lead = w.shape[:2]
    ks = w.shape[2:]
    cc = int(np.prod(lead))
    moved = np.moveaxis(w.reshape((cc,) + ks), 0, -1)  # (k1..kd, cc)
    re = np.ascontiguousarray(moved.real, dtype=np.float64)
    im = np.ascontiguousarray(moved.imag, dtype=np.float64) if np.iscomplexobj(w) else None
    if len(axes) > 1 and prod(ks) <= _ONE_PRODUCT_TAPS:
        return _symbol_one_product(re, im, axes, lead)
    done: list[int] = []
    for a, (f, o, n) in enumerate(axes):
        ph = _phase(f, o, n)  # (k_a, F_a)
        c, s = np.ascontiguousarray(ph.real.T), np.ascontiguousarray(ph.imag.T)
        pre = int(np.prod(done)) if done else 1
        shape3 = (pre, ks[a], -1)
        r3 = re.reshape(shape3)
        cr, sr = c @ r3, s @ r3
        if im is None:
            re, im = cr, sr
        else:
            i3 = im.reshape(shape3)
            re, im = cr - s @ i3, sr + c @ i3
        done.append(f.size)
    if im is None:  # no spatial axis
        im = np.zeros_like(re)
    out = tuple(done) + tuple(lead)
    return re.reshape(out), im.reshape(out)


_ONE_PRODUCT_TAPS = 64


def phase_matrix(axes: list[tuple[np.ndarray, np.ndarray, int]]) -> np.ndarray:
    """``(F, T)`` complex: ``Π_a exp(2πi f_a·o_a[t_a]/n_a)``, frequencies and taps in
    C order over the axes (the Kronecker product of the per-axis phases)."""
    p = np.ones((1, 1), dtype=np.complex128)
    for f, o, n in axes:
        ph = _phase(f, o, n).T  # (F_a, k_a)
        p = (p[:, None, :, None] * ph[None, :, None, :]).reshape(
            p.shape[0] * ph.shape[0], p.shape[1] * ph.shape[1]
        )
    return p


def _symbol_one_product(
    re: np.ndarray,
    im: np.ndarray | None,
    axes: list[tuple[np.ndarray, np.ndarray, int]],
    lead: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`symbol_parts` for few taps: one ``(F, T) @ (T, R)`` product per part.

    The separable route writes a full-size temporary per axis; with a handful of taps
    the whole multi-axis DFT is cheaper as a single (memory-bound) product.
    """
    p = phase_matrix(axes)
    c, s = np.ascontiguousarray(p.real), np.ascontiguousarray(p.imag)
    r2 = re.reshape(p.shape[1], -1)
    out_re, out_im = run_parallel(lambda: c @ r2, lambda: s @ r2)
    if im is not None:
        i2 = im.reshape(p.shape[1], -1)
        out_re -= s @ i2
        out_im += c @ i2
    shape = tuple(f.size for f, _, _ in axes) + tuple(lead)
    return out_re.reshape(shape), out_im.reshape(shape)


def symbol(weight: np.ndarray, axes: list[tuple[np.ndarray, np.ndarray, int]]) -> np.ndarray:
    """Σ_j w[..., j] Π_a exp(2πi f_a·o_a[j_a]/n_a) on the grid of ``f_a``.

    ``axes``: per spatial axis ``(freqs, tap_offsets, n)``. Returns
    ``(F_1, ..., F_d, C_out, C_in_g)`` complex128.
    """
    re, im = symbol_parts(weight, axes)
    return re + 1j * im


def _eta(n_out: int, half: bool) -> np.ndarray:
    return np.arange(n_out // 2 + 1 if half else n_out)


def blocks(
    spec: Spec,
    offsets: tuple[int, ...],
    grid: tuple[int, ...],
    *,
    half: bool = False,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Per-output-frequency blocks of the subsampled circulant on ``grid``.

    Returns ``(E, groups, C_out/g, S·C_in/g)`` with ``E`` output frequencies in
    C order over the output grid ``grid/stride`` (``half``: last axis restricted
    to ``0..n'//2``, enough for real weights, whose blocks at −η are the
    conjugates of those at η up to a column permutation).
    """
    w = spec.weight if weight is None else weight
    g = spec.groups
    co, cig = w.shape[:2]
    axes = []
    nouts = []
    for a, (n, s, dl, c, k) in enumerate(
        zip(grid, spec.stride, spec.dilation, offsets, w.shape[2:])
    ):
        nout = n // s
        eta = _eta(nout, half and a == len(grid) - 1)
        freqs = (np.arange(s)[:, None] * nout + eta[None, :]).ravel()
        axes.append((freqs, c + dl * np.arange(k), n))
        nouts.append((s, eta.size))
    sym = symbol(w, axes)  # (s1*e1, ..., sd*ed, co, cig)
    shp = []
    for s, e in nouts:
        shp += [s, e]
    sym = sym.reshape(tuple(shp) + (g, co // g, cig))
    d = len(grid)
    s_axes = [2 * a for a in range(d)]
    e_axes = [2 * a + 1 for a in range(d)]
    # -> (e1..ed, g, co/g, s1..sd, cig)
    sym = sym.transpose(e_axes + [2 * d, 2 * d + 1] + s_axes + [2 * d + 2])
    ssum = prod(spec.stride)
    e_tot = prod(e for _, e in nouts)
    return sym.reshape(e_tot, g, co // g, ssum * cig) / np.sqrt(ssum)


def embedding(spec: Spec) -> tuple[tuple[int, ...], float]:
    """Circulant grid ``N`` containing ``V`` and ``‖E‖`` for the bound ‖A‖ ≤ ‖C_N‖·‖E‖.

    ``V`` reads the extended samples ``0 .. U−1`` with ``U = (out−1)s + d(k−1) + 1``,
    never wrapping on any grid ``N ≥ U``; with ``s | N`` it is a submatrix (rows and
    columns) of the strided circulant on ``N`` with offset 0, so ``‖V‖ ≤ ‖C_N‖``.
    ``E`` is a 0/1 matrix with one 1 per nonzero row: ``‖E‖² = Π_a`` (largest number
    of extended samples, among those read, copying one input sample).
    """
    grid = []
    mult = 1.0
    for idx, o, s, dl, k in zip(spec.index, spec.out, spec.stride, spec.dilation, spec.kshape):
        used = (o - 1) * s + dl * (k - 1) + 1
        grid.append(-(-used // s) * s)
        read = idx[:used]
        read = read[read >= 0]
        mult *= float(np.bincount(read).max()) if read.size else 0.0
    return tuple(grid), float(np.sqrt(mult))
