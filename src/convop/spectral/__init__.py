r"""Spectra of convolution operators: eigenvalues, singular values, norm brackets.

Periodic ("circular") convolutions are diagonalised by the DFT, so their
spectra cost one FFT of the kernel instead of a dense factorisation:

* :func:`eigvals` — eigenvalues of a circulant / BCCB / multilevel-circulant
  operator, by one FFT of the kernel embedded in the input grid;
* :func:`svdvals` — all (or the top ``k``) singular values of any
  :class:`~convop.Convolution` or :class:`~convop.ConvLayer`: per-frequency
  ``C_out × C_in`` matrices for periodic layers (Sedghi, Gupta & Long 2019),
  with an exact polyphase form for strides dividing the input, and the dense
  matrix otherwise;
* :func:`opnorm` — a certified bracket ``lower ≤ ‖A‖₂ ≤ upper`` by power iteration,
  Gram iteration (Delattre et al. 2023) or exact singular values;
* :func:`clip_singular_values` — Sedghi et al.'s projection of a layer onto
  ``‖A‖₂ ≤ max_value`` (approximate once restricted to the kernel support).

References
----------
.. [1] H. Sedghi, V. Gupta, P. M. Long, "The Singular Values of Convolutional
   Layers", ICLR 2019.
.. [2] B. Delattre, Q. Barthélemy, A. Araujo, A. Allauzen, "Efficient Bound of
   Lipschitz Constant for Convolutional Layers by Gram Iteration", ICML 2023.
.. [3] B. Delattre, Q. Barthélemy, A. Allauzen, "Spectral Norm of Convolutional
   Layers with Circular and Zero Paddings", arXiv:2402.00240, 2024.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from convop._core.config import current
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.threads import one_blas_thread
from convop._operators import _spec
from convop.spectral import _cholesky as _chol
from convop.spectral import _gram, _stack, _symbol

__all__ = ["DENSE_LIMIT", "clip_singular_values", "eigvals", "opnorm", "svdvals"]

#: Default largest ``m·n`` of an operator matrix that :func:`svdvals` factorises densely;
#: the limit in effect is ``convop.options(dense_limit=...)``.
DENSE_LIMIT = 2**22


def _dense_limit() -> int:
    return current().dense_limit


#: ``m·n`` up to which ``opnorm(method="auto")`` prefers the exact dense answer.
_AUTO_DENSE = 2**18
OPNORM_METHODS = ("auto", "power", "gram", "exact")


def _real_dtype(op: Any) -> np.dtype:
    return (
        np.dtype(np.float32)
        if np.dtype(op.dtype) in (np.float32, np.complex64)
        else np.dtype(np.float64)
    )


# -- eigenvalues ----------------------------------------------------------------------------
def eigvals(op: Any) -> np.ndarray:
    r"""Exact eigenvalues of a circulant convolution operator, by one FFT.

    Parameters
    ----------
    op : Convolution or ConvLayer
        A circulant operator: ``Convolution(..., mode="same", boundary="periodic")``
        (circulant, BCCB or multilevel-circulant), or a ``ConvLayer`` with one input and
        one output channel, stride 1, periodic boundary and output shape equal to the
        input's spatial shape. Dilation, even kernels, kernels larger than the grid
        (taps wrap and add up) and correlation are handled.

    Returns
    -------
    (N1[, N2, ...]) ndarray, complex
        ``lam[ω]`` is the eigenvalue of the DFT vector ``e_ω[x] = exp(2πi ω·x / N)``
        (``ω`` in :func:`numpy.fft.fftfreq` order, the shape of the input grid):
        ``op.apply(e_ω) == lam[ω] * e_ω``. complex64 for single-precision operators.

    Raises
    ------
    ConvopTypeError
        ``op`` is not a Convolution or ConvLayer.
    ConvopValueError
        The operator is not circulant (its structure is named); use :func:`svdvals`.

    Notes
    -----
    The operator reads ``x[(c + i + j·d) mod N]`` for output ``i`` and tap ``j`` (offset
    ``c`` from the centring of ``same`` or the padding), so
    ``λ(ω) = Σ_j w[j] exp(2πi ω (c + j d)/N)``: the FFT of the taps placed at
    ``−(c + j d) mod N``. O(N log N) instead of the O(N³) of a dense eigensolver.

    Examples
    --------
    >>> import numpy as np, convop
    >>> from convop import spectral
    >>> A = convop.Convolution(np.array([1.0, 2.0, 1.0]), (4,), "same", boundary="periodic")
    >>> np.round(spectral.eigvals(A).real, 12).tolist()
    [4.0, 2.0, 0.0, 2.0]
    """
    return _spec.eigvals(op)


# -- singular values ------------------------------------------------------------------------
def _check_k(k: Any, nmax: int) -> int | None:
    if k is None:
        return None
    if (
        isinstance(k, (bool, np.bool_))
        or not isinstance(k, (int, np.integer))
        or not 1 <= k <= nmax
    ):
        raise invalid("k", k, f"None or an int in [1, {nmax}] (min(m, n) of the matrix)")
    return int(k)


def _dense_svd(op: Any, spec: _symbol.Spec, what: str) -> np.ndarray:
    m, n = op.shape
    if m * n > _dense_limit():
        raise ConvopValueError(
            f"{what} of this operator (boundary/stride not periodic-diagonalisable) needs "
            f"its dense {m}×{n} matrix, above the dense limit of {_dense_limit()} entries "
            f"(convop.options(dense_limit=...)); use convop.spectral.opnorm(op) for a "
            f"certified bracket of the largest singular value"
        )
    return np.linalg.svd(op.to_dense(), compute_uv=False)


@one_blas_thread
def svdvals(op: Any, *, k: int | None = None) -> np.ndarray:
    r"""Singular values of a convolution operator, sorted in descending order.

    Parameters
    ----------
    op : Convolution or ConvLayer
        Any convolution. Fast exact path (Sedghi et al.) when the boundary is periodic
        and every output axis is ``input / stride`` (any stride dividing the input,
        dilation, groups, 1-D to N-D); otherwise the dense matrix (at most
        :data:`DENSE_LIMIT` entries).
    k : int, optional
        Return only the ``k`` largest.

    Returns
    -------
    (min(m, n),) or (k,) ndarray
        Equal to ``numpy.linalg.svd(op.to_dense(), compute_uv=False)`` (zeros included).

    Raises
    ------
    ConvopTypeError
        ``op`` is not a Convolution or ConvLayer.
    ConvopValueError
        ``k`` out of range, or the dense path would exceed :data:`DENSE_LIMIT`.

    Notes
    -----
    For a periodic layer the DFT over the spatial axes block-diagonalises the matrix:
    frequency ω contributes ``Â(ω) = Σ_j w[:, :, j] e^{2πi ω (c + j d)/n}`` (``C_out ×
    C_in``, block-diagonal over groups). With stride ``s | n`` the output frequency η
    collects the ``S = Π s`` aliases ``ω_t = η + t n/s``: its block is
    ``[Â(ω_1) … Â(ω_S)] / √S`` (``C_out × C_in S``). Cost: one FFT-sized symbol and
    ``N/S`` small SVDs instead of an SVD of the ``C_out N/S × C_in N`` matrix.

    Examples
    --------
    >>> import numpy as np, convop
    >>> from convop import spectral
    >>> w = np.zeros((2, 1, 3)); w[0, 0, 1] = 1.0; w[1, 0] = [1.0, 0.0, -1.0]
    >>> A = convop.ConvLayer(w, (1, 4), padding=1, boundary="periodic")
    >>> np.round(spectral.svdvals(A), 6).tolist()
    [2.236068, 2.236068, 1.0, 1.0]
    """
    spec = _symbol.spec_of(op)
    m, n = spec.matrix_shape
    kk = _check_k(k, min(m, n))
    offs = spec.periodic_offsets()
    if offs is None:
        s = _dense_svd(op, spec, "svdvals")
    else:
        b = _symbol.blocks(spec, offs, spec.n)
        s = np.linalg.svd(b.reshape((-1,) + b.shape[2:]), compute_uv=False).ravel()
        s = np.sort(s)[::-1]
        full = min(m, n)
        if s.size < full:
            s = np.concatenate([s, np.zeros(full - s.size)])
        s = s[:full]
    if kk is not None:
        s = s[:kk]
    return np.ascontiguousarray(s, dtype=_real_dtype(op))


# -- norm brackets --------------------------------------------------------------------------
def _rng(rng: Any) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise ConvopTypeError(f"rng must be None, an int seed or a numpy Generator; got {rng!r}")


def _check_pos(name: str, value: Any, integer: bool) -> Any:
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, kinds)
        or not value > 0
        or not np.isfinite(value)
    ):
        raise invalid(name, value, "a positive int" if integer else "a positive float")
    return int(value) if integer else float(value)


def _bracket(
    stack: _stack.GramStack, tol: float, max_iter: int, how: str
) -> tuple[float, float, dict]:
    if how == "cholesky":
        out = _chol.cholesky_bracket(stack, tol=tol)
        if out is not None:
            return out
    lo, up, it, info = _gram.gram_bracket(stack, tol=tol, max_iter=max_iter)
    info["iterations"] = it
    return lo, up, info


def _gram_periodic(
    spec: _symbol.Spec, tol: float, max_iter: int, how: str = "gram"
) -> tuple[float, float, dict]:
    offs = spec.periodic_offsets()
    assert offs is not None
    stack = _stack.gram_stack(spec, offs, spec.n, np.isrealobj(spec.weight))
    lo, up, info = _bracket(stack, tol, max_iter, how)
    info.update(frequencies=stack.count)
    return lo, up, info


def _gram_embedded(
    spec: _symbol.Spec, tol: float, max_iter: int, how: str = "gram"
) -> tuple[float, dict]:
    grid, enorm = _symbol.embedding(spec)
    half = np.isrealobj(spec.weight)
    stack = _stack.gram_stack(spec, (0,) * len(grid), grid, half)
    # the top frequency's eigenvector seeds the lower bound (as Gram's best frequency)
    _, up, info = _bracket(stack, tol, max_iter, how)
    info.update(frequencies=stack.count, grid=grid, extension_norm=enorm)
    info["start"] = _gram.top_input_vector(
        spec, grid, half, info.pop("best_frequency"), real=np.isrealobj(spec.weight)
    )
    return up * enorm * (1.0 + 4 * _gram.U64), info


@one_blas_thread
def opnorm(
    op: Any,
    *,
    method: str = "auto",
    tol: float = 1e-6,
    rng: Any = None,
    max_iter: int = 100,
    return_info: bool = False,
) -> Any:
    r"""Certified bracket ``(lower, upper)`` of the spectral norm ``‖A‖₂ = σ₁``.

    Parameters
    ----------
    op : Convolution or ConvLayer
        The operator.
    method : {'auto', 'power', 'gram', 'exact'}
        ``'power'``: power iteration with ``apply``/``adjoint``, a lower bound only
        (``upper = inf``). ``'gram'``: Gram iteration for a guaranteed upper bound; for
        periodic layers on the per-frequency matrices (both ends from the same
        frequencies, so the bracket closes to ``tol``), otherwise on the circulant
        embedding of the zero-padded layer (see Notes) with a Lanczos lower bound.
        ``'exact'``: from :func:`svdvals` (both ends equal). ``'auto'``: ``'exact'`` for
        small non-periodic dense matrices, otherwise the per-frequency bracket with the
        upper end certified by a Cholesky factorisation of ``c I − G(ω)`` at every
        frequency (see Notes) — the same guarantee as Gram iteration, several times
        cheaper.
    tol : float
        Target relative width ``(upper − lower)/upper`` (reached when possible).
    rng : None, int or numpy.random.Generator
        Start vectors of power/Lanczos iterations.
    max_iter : int
        Iteration cap (Gram steps, power steps, or Lanczos restarts).
    return_info : bool
        Also return a dict (method used, iterations, frequencies, ...).

    Returns
    -------
    (lower, upper) : tuple of float
        ``lower ≤ ‖A‖₂ ≤ upper``. Both ends are certified, including floating-point
        rounding (margins of order 1e-12 relative): lower bounds are evaluated as
        ``‖A x‖/‖x‖`` (or Rayleigh quotients of the exact Gram matrices) minus a
        rounding margin; Gram upper bounds carry the error bound of every product.

    Raises
    ------
    ConvopTypeError, ConvopValueError
        Bad ``op``, ``method``, ``tol``, ``rng`` or ``max_iter`` (the message lists
        the accepted values); ``'exact'`` beyond :data:`DENSE_LIMIT`.

    Notes
    -----
    Periodic layers: the norm is ``max_η σ₁(M(η))`` over the per-frequency blocks of
    :func:`svdvals`. Both certified methods work on ``G(η) = M Mᴴ`` (or ``MᴴM``); for
    small kernels ``G`` is the DFT of the kernel's spatial autocorrelation
    (``(2k−1)^d`` taps), so any set of frequencies is formed on demand by one small
    product and streamed through the cache, never stored whole; real weights use the
    Hermitian half of the frequencies.

    Gram iteration [2]_ is batched over frequencies and rescaled every step to avoid
    overflow, with the rounding error of every product carried into the bound.
    Frequencies whose certified upper bound drops below the best certified lower bound
    (Rayleigh quotients with LAPACK eigenvectors of a few candidates) are pruned, and
    from the second step the top eigenvalue is deflated out of the Frobenius bound.
    The first steps run in float32 (bounds certified with float32's roundoff), fused
    per chunk of frequencies on every core; the few frequencies they cannot separate
    restart in float64 for the final bracket.

    Cholesky certificate (``auto``): the lower end is the Rayleigh quotient of LAPACK's
    top eigenvector at the frequencies with the largest ``‖G‖_F``; with
    ``c = (lower·(1 + tol/2))²`` a Cholesky factorisation of ``c I − G(ω)`` that
    succeeds at every frequency proves ``λ_max(G(ω)) ≤ c`` up to the backward error of
    the factorisation (Higham, Thm 10.3), which is added to the bound. Frequencies
    where it fails raise the lower bound and only they are factored again.

    Trade-off, for a 64×64×3×3 kernel on 32×32 inputs (544 frequencies): ``auto`` is the
    cheaper (bracket width 5e-7), ``gram`` the tighter (width 4e-9); both cost a fraction
    of a naive complex128 Gram iteration (uncertified, 6 steps: 1.7e-6 off) or the exact
    per-frequency SVD. Timings: ``benchmarks/bench_spectral.py``,
    benchmarks/results/NOTES.md.

    Other boundaries: ``A = V E`` with ``V`` the valid correlation on the extended grid
    and ``E`` the boundary extension. ``V`` reads ``U = (out−1)s + d(k−1)+1`` samples per
    axis without wrapping, so it is a submatrix of the circulant layer on any grid
    ``N ≥ U`` (``s | N``) — the circular/zero-padding gap of [3]_: ``‖A‖ ≤ ‖C_N‖·‖E‖``
    with ``‖E‖ = 1`` for zero padding and ``√(max copies)`` otherwise. The lower bound
    is Lanczos (ARPACK) on ``AᴴA`` warm-started from the embedding's top singular
    vector, asked for ~10% of the remaining gap. The bracket width is then the
    circular/zero gap (about 1e-3 for 3×3 kernels on 32×32 inputs, shrinking like
    1/n); reflect/symmetric/replicate boundaries pay the extra ``‖E‖`` factor.

    Examples
    --------
    >>> import numpy as np, convop
    >>> from convop import spectral
    >>> w = np.random.default_rng(0).standard_normal((8, 8, 3, 3))
    >>> A = convop.ConvLayer(w, (8, 16, 16), padding=1, boundary="periodic")
    >>> lo, up = spectral.opnorm(A, method="gram", tol=1e-8)
    >>> exact = spectral.svdvals(A, k=1)[0]
    >>> bool(lo <= exact <= up and (up - lo) <= 1e-8 * up)
    True
    """
    if not isinstance(method, str) or method not in OPNORM_METHODS:
        raise invalid("method", method, OPNORM_METHODS)
    tol = _check_pos("tol", tol, integer=False)
    max_iter = _check_pos("max_iter", max_iter, integer=True)
    gen = _rng(rng)
    spec = _symbol.spec_of(op)
    m, n = spec.matrix_shape
    periodic = spec.periodic_offsets() is not None
    chosen = method
    if method == "auto":
        chosen = "gram" if periodic or m * n > _AUTO_DENSE else "exact"
    # auto certifies the upper end by one Cholesky factorisation per frequency instead
    # of Gram steps (same guarantee, several times cheaper); 'gram' is pure Gram iteration
    how = "cholesky" if method == "auto" else "gram"
    info: dict[str, Any] = {"method": chosen if how == "gram" else "cholesky-certificate"}
    if chosen == "exact":
        s = float(svdvals(op, k=1)[0])
        out = (s, s)
    elif chosen == "power":
        lo, it = _gram.power_lower(op, spec, tol=tol, max_iter=max_iter, rng=gen)
        info["iterations"] = it
        out = (lo, float("inf"))
    elif periodic:
        lo, up, ginfo = _gram_periodic(spec, tol, max_iter, how)
        ginfo.pop("best_frequency", None)
        info.update(ginfo)
        out = (lo, up)
    else:
        up, ginfo = _gram_embedded(spec, tol, max_iter, how)
        start = ginfo.pop("start")
        lo, it = 0.0, 0
        if up > 0.0:
            # the bracket cannot close below the circular/zero gap: ask Lanczos for an
            # accuracy of ~10% of the gap seen from the warm start, not more
            lo0 = _gram._certify(op, start.astype(np.result_type(start, op.dtype)), spec)
            ltol = max(tol, 1e-1 * (up - lo0) / up)
            lo, it = _gram.lanczos_lower(op, spec, tol=ltol, max_iter=max_iter, rng=gen, x0=start)
            lo = max(lo, lo0)
        info.update(ginfo, lanczos_matvecs=it)
        out = (min(lo, up), up)
    return (out, info) if return_info else out


# -- clipping -------------------------------------------------------------------------------
def clip_singular_values(
    weight: Any, input_shape: Any, max_value: float, *, boundary: str = "periodic"
) -> tuple[np.ndarray, float]:
    r"""Project a stride-1 layer's weight onto ``‖A‖₂ ≤ max_value`` (Sedghi et al.).

    Parameters
    ----------
    weight : (C_out, C_in, K1[, K2[, K3]]) array_like
        Filters of a stride-1, dilation-1, ``groups=1`` layer with torch ``'same'``
        padding (``ConvLayer(weight, input_shape, padding="same", boundary=boundary)``).
    input_shape : tuple of int
        ``(C_in, *spatial)``.
    max_value : float
        Largest singular value allowed (>= 0).
    boundary : str
        Boundary of the layer whose norm is reported (the clipping itself is done on
        the circular layer, as in Sedghi et al.).

    Returns
    -------
    new_weight : ndarray
        Same shape and dtype as ``weight``.
    achieved_norm : float
        ``‖A‖₂`` of the returned weight: exact for periodic boundaries (Sedghi) and for
        dense-sized layers, else the certified Gram upper bound of :func:`opnorm`.

    Notes
    -----
    Every frequency block ``Â(ω) = U Σ Vᴴ`` is replaced by ``U min(Σ, max_value) Vᴴ``,
    which is the exact Frobenius-nearest circulant layer with norm ``≤ max_value``; the
    inverse DFT of the clipped symbol is a kernel filling the whole grid, and keeping
    only the original ``K1 × K2 …`` taps makes the result approximate: the achieved
    norm may exceed ``max_value`` (repeat the call to tighten it).

    Examples
    --------
    >>> import numpy as np, convop
    >>> from convop import spectral
    >>> w = np.random.default_rng(1).standard_normal((4, 4, 3, 3))
    >>> A = convop.ConvLayer(w, (4, 8, 8), padding="same", boundary="periodic")
    >>> w2, norm2 = spectral.clip_singular_values(w, (4, 8, 8), 1.0)
    >>> bool(norm2 < spectral.svdvals(A, k=1)[0])
    True
    """
    from convop._operators.layer import ConvLayer

    if (
        isinstance(max_value, (bool, np.bool_))
        or not isinstance(max_value, (int, float, np.integer, np.floating))
        or not max_value >= 0
        or not np.isfinite(max_value)
    ):
        raise invalid("max_value", max_value, "a finite float >= 0")
    op = ConvLayer(weight, input_shape, padding="same", boundary="periodic")
    spec = _symbol.spec_of(op)
    offs = spec.periodic_offsets()
    assert offs is not None
    w = np.asarray(op.weight)
    co, ci = w.shape[:2]
    nd = len(spec.n)
    if any(k > n for k, n in zip(spec.kshape, spec.n)):
        raise ConvopValueError(
            f"clip_singular_values needs a kernel no larger than the grid; got kernel "
            f"{spec.kshape} for input_shape={tuple(op.input_shape)}"
        )
    # Â(ω) = Σ_j w[j] e^{2πi ω (c + j)/n} = n^d · ifftn(emb), taps at (c + j) mod n
    pos = tuple(np.ix_(*[(c + np.arange(k)) % n for c, k, n in zip(offs, spec.kshape, spec.n)]))
    emb = np.zeros((co, ci) + spec.n, dtype=np.result_type(w.dtype, np.float64))
    emb[(slice(None), slice(None)) + pos] = w
    fax = tuple(range(2, 2 + nd))
    sym = np.moveaxis(np.fft.ifftn(emb, axes=fax) * prod(spec.n), (0, 1), (-2, -1))
    u, s, vh = np.linalg.svd(sym, full_matrices=False)
    clipped = (u * np.minimum(s, float(max_value))[..., None, :]) @ vh
    emb2 = np.fft.fftn(np.moveaxis(clipped, (-2, -1), (0, 1)), axes=fax) / prod(spec.n)
    new = emb2[(slice(None), slice(None)) + pos]
    if np.isrealobj(w):
        new = new.real
    wdt = np.asarray(weight).dtype
    new = np.ascontiguousarray(new, dtype=wdt if wdt.kind in "fc" else w.dtype)
    target = ConvLayer(new, input_shape, padding="same", boundary=boundary)
    tspec = _symbol.spec_of(target)
    if tspec.periodic_offsets() is not None or prod(target.shape) <= _dense_limit():
        achieved = float(svdvals(target, k=1)[0])
    else:
        achieved = float(opnorm(target, method="gram", tol=1e-8)[1])
    return new, achieved
