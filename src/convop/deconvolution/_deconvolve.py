"""``deconvolve``: Tikhonov / Wiener deblurring with the boundary of the forward model."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.operator import Operator
from convop._operators.convolution import Convolution
from convop.deconvolution import _choose, _iterative
from convop.deconvolution._symbols import Basis, is_symmetric, symbol

__all__ = ["METHODS", "DeconvolutionResult", "deconvolve"]

#: accepted values of ``method``
METHODS = ("auto", "fft", "dct", "cg", "lsqr", "richardson-lucy")
_METHOD_ALIASES = {"rl": "richardson-lucy", "richardson_lucy": "richardson-lucy"}
#: accepted strings for ``reg``
REG_RULES = ("gcv", "discrepancy")
_DEFAULT_MAXITER = {"cg": 500, "lsqr": 500, "richardson-lucy": 50, "bounded": 500}


@dataclass(frozen=True)
class DeconvolutionResult:
    """What :func:`deconvolve` returns.

    Attributes
    ----------
    x : ndarray
        The estimate, of ``y``'s shape, in the floating dtype of ``y`` and ``psf``
        (float32 stays float32). Also available as ``estimate``.
    lam : float or None
        The regularisation parameter λ used (given, or chosen by GCV / discrepancy);
        ``None`` for Richardson–Lucy. Also available as ``lambda_``.
    iterations : int
        Iterations of the iterative solver (0 for the one-pass FFT / DCT solves), plus
        those of the non-negativity stage when ``positive=True``.
    residuals : (iterations,) ndarray
        Per iteration, ``sqrt(‖A x_k − y‖² + λ‖L x_k‖²)`` (Richardson–Lucy:
        ``‖A x_k − y‖``); one entry, for the solution, after a one-pass solve. Also
        available as ``residual_norms``.
    method : str
        The method that produced the estimate: 'fft', 'dct', 'cg', 'lsqr' or
        'richardson-lucy' (what ``method='auto'`` resolved to).
    boundary : str
        Canonical boundary of the forward model.
    converged : bool
        Whether the stopping rule was met before ``maxiter`` (always True for one-pass
        solves without ``positive``).
    preconditioner : str or None
        'fft' or 'dct' when an iterative solve was preconditioned by that structured
        operator, else None.
    positive : bool
        Whether the estimate was constrained to be non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.deconvolution import deconvolve
    >>> r = deconvolve(np.ones((8, 8)), np.full((3, 3), 1 / 9), reg=1e-3)
    >>> r.method, r.iterations, r.x.shape
    ('dct', 0, (8, 8))
    """

    x: np.ndarray
    lam: float | None
    iterations: int
    residuals: np.ndarray
    method: str
    boundary: str
    converged: bool = True
    preconditioner: str | None = None
    positive: bool = False

    @property
    def estimate(self) -> np.ndarray:
        """Alias of ``x``."""
        return self.x

    @property
    def lambda_(self) -> float | None:
        """Alias of ``lam``."""
        return self.lam

    @property
    def residual_norms(self) -> np.ndarray:
        """Alias of ``residuals``."""
        return self.residuals

    def __repr__(self) -> str:
        lam = "None" if self.lam is None else f"{self.lam:.4g}"
        return (
            f"DeconvolutionResult(method={self.method!r}, boundary={self.boundary!r}, "
            f"lam={lam}, iterations={self.iterations}, converged={self.converged}, "
            f"preconditioner={self.preconditioner!r}, x: {self.x.shape} {self.x.dtype})"
        )


# -- validation -------------------------------------------------------------------------------
def _real_array(value: Any, name: str) -> np.ndarray:
    arr = _validate.numeric_array(value, name)
    if arr.dtype.kind == "c":
        raise ConvopTypeError(f"{name} must be real; got dtype {arr.dtype}")
    if arr.size and not np.all(np.isfinite(arr)):
        raise ConvopValueError(f"{name} must be finite; it contains NaN or infinite values")
    return arr


def _method(value: Any) -> str:
    if isinstance(value, str):
        m = value.lower()
        m = _METHOD_ALIASES.get(m, m)
        if m in METHODS:
            return m
    raise invalid("method", value, METHODS)


def _spectral_l(L: Operator | None, kind: str, shape: tuple[int, ...]) -> np.ndarray | None:
    """``|l|²`` of the regularisation operator in ``Basis(kind)``, None if not diagonal."""
    if L is None:
        return np.ones(1)
    if not isinstance(L, Convolution) or L.mode != "same" or L.kernel.dtype.kind == "c":
        return None
    k = np.asarray(L.kernel, dtype=np.float64)
    if L.correlate:
        k = np.flip(k)
    if kind == "fft" and L.boundary == "periodic":
        return np.abs(symbol("fft", k, shape)) ** 2
    if kind == "dct" and _mirror_like(L.boundary, k.shape) and is_symmetric(k):
        return symbol("dct", k, shape) ** 2
    return None


def _parse_reg(reg: Any, shape: tuple[int, ...]) -> tuple[Operator | None, float | str]:
    L: Operator | None = None
    rule: Any = reg
    if isinstance(reg, tuple):
        if len(reg) != 2 or not isinstance(reg[0], Operator):
            raise invalid(
                "reg",
                reg,
                "a float, 'gcv', 'discrepancy', an Operator, or a tuple "
                "(Operator, float | 'gcv' | 'discrepancy')",
            )
        L, rule = reg
    elif isinstance(reg, Operator):
        L, rule = reg, "gcv"
    if L is not None and tuple(L.input_shape) != shape:
        raise ConvopValueError(
            f"reg operator must act on arrays of y's shape {shape}; got an operator with "
            f"input_shape={tuple(L.input_shape)}"
        )
    if isinstance(rule, str):
        if rule.lower() not in REG_RULES:
            raise invalid("reg", reg, "a float λ ≥ 0, 'gcv', 'discrepancy' or an Operator")
        return L, rule.lower()
    if isinstance(rule, (bool, np.bool_)) or not isinstance(
        rule, (int, float, np.integer, np.floating)
    ):
        raise invalid("reg", reg, "a float λ ≥ 0, 'gcv', 'discrepancy' or an Operator")
    lam = float(rule)
    if not (math.isfinite(lam) and lam >= 0):
        raise invalid("reg", reg, "a finite λ ≥ 0")
    return L, lam


def _positive_number(value: Any, name: str, *, integer: bool = False) -> Any:
    ok = (
        isinstance(value, (int, np.integer))
        if integer
        else isinstance(value, (int, float, np.integer, np.floating))
    )
    if isinstance(value, (bool, np.bool_)) or not ok or not value > 0 or not math.isfinite(value):
        raise invalid(name, value, "a positive integer" if integer else "a positive number")
    return int(value) if integer else float(value)


# -- the one-pass structured solve ------------------------------------------------------------
def _structured(
    kind: str, y: np.ndarray, psf: np.ndarray, l2: np.ndarray, rule: Any, noise: float | None
) -> tuple[np.ndarray, float, float, np.ndarray, np.ndarray]:
    """Tikhonov solve in ``Basis(kind)``; returns x, λ, residual, ``a``, ``den``."""
    basis = Basis(kind, y.shape)
    a = symbol(kind, psf, y.shape)
    a2 = (a * np.conj(a)).real if kind == "fft" else a * a
    yh = basis.forward(y)
    lam = _choose_lam(basis, a2, l2, yh, rule, noise)
    den = a2 + lam * l2
    filt = np.divide(np.conj(a), den, out=np.zeros_like(a), where=den > 0)
    xh = filt * yh
    res2 = basis.sqnorm(a * xh - yh) + lam * basis.sqnorm(np.sqrt(l2) * xh)
    return basis.inverse(xh), lam, math.sqrt(max(res2, 0.0)), a, den


def _choose_lam(
    basis: Basis, a2: np.ndarray, l2: np.ndarray, yh: np.ndarray, rule: Any, noise: float | None
) -> float:
    if not isinstance(rule, str):
        return float(rule)
    y2 = basis.scale * basis.weights * (yh.real**2 + yh.imag**2)
    spec = _choose.Spectrum(a2, l2, y2, basis.weights)
    if rule == "gcv":
        return _choose.gcv(spec)
    assert noise is not None
    return _choose.discrepancy(spec, noise)


def _surrogate(
    boundary: str, psf: np.ndarray, L: Operator | None, shape: tuple[int, ...], want: Any
) -> tuple[str, np.ndarray]:
    """The nearest structured problem: DCT for mirrored / replicated boundaries with a
    symmetric PSF, FFT otherwise (or the kind asked for); ``|l|²`` of L there (a constant
    for a general L)."""
    if want in ("fft", "dct", "dct1"):
        kind = want
    elif not is_symmetric(psf):
        kind = "fft"
    elif boundary == "reflect":
        kind = "dct1"
    else:
        kind = "dct" if boundary in ("symmetric", "replicate", "zero") else "fft"
    if kind == "dct1" and min(shape) < 2:
        kind = "dct"
    l2 = _spectral_l(L, kind, shape) if kind != "dct1" or L is None else None
    if l2 is None and isinstance(L, Convolution) and L.mode == "same":
        # the same stencil in the surrogate's structure: its nearest diagonal form
        k = np.flip(np.asarray(L.kernel)) if L.correlate else np.asarray(L.kernel)
        if kind != "fft" and not is_symmetric(k):
            kind = "fft"
        l2 = np.abs(symbol(kind, np.real(k), shape)) ** 2
    if l2 is None:
        # a general L: its mean Rayleigh quotient on a fixed probe, as a scalar
        assert L is not None
        probe = np.random.default_rng(0).standard_normal(shape)
        lp = L.apply(probe)
        l2 = np.array([float(np.vdot(lp, lp).real / np.vdot(probe, probe).real)])
    return kind, l2


# -- the public function ----------------------------------------------------------------------
def deconvolve(
    y: Any,
    psf: Any,
    *,
    boundary: str = "symmetric",
    method: str = "auto",
    reg: Any = "gcv",
    x0: Any = None,
    maxiter: int | None = None,
    tol: float = 1e-6,
    positive: bool = False,
    callback: Callable[[np.ndarray], Any] | None = None,
    noise: float | None = None,
    precondition: bool | str = True,
) -> DeconvolutionResult:
    r"""Deblur ``y = A x + noise`` where ``A`` is ``Convolution(psf, y.shape, "same",
    boundary=boundary)``: the Tikhonov estimate, or Richardson–Lucy for Poisson data.

    Parameters
    ----------
    y : (N1[, N2, ...]) array_like
        The blurred, noisy data (real; images, volumes, signals).
    psf : (K1[, K2, ...]) array_like
        Point-spread function, ``psf.ndim == y.ndim`` and ``psf.shape <= y.shape``,
        centred as in ``mode="same"`` (centre tap ``(K - 1) // 2`` on every axis).
    boundary : {'symmetric', 'reflect', 'periodic', 'zero', 'replicate'}
        How the forward model extends the true image beyond its edges (aliases as in
        :func:`convop.convolve`). ``'symmetric'`` (half-sample mirror) suits photographs.
    method : {'auto', 'fft', 'dct', 'cg', 'lsqr', 'richardson-lucy'}
        ``'fft'``: one-pass solve for ``boundary='periodic'`` (BCCB, diagonalised by the
        DFT). ``'dct'``: one-pass solve for ``boundary='symmetric'`` and a PSF symmetric
        about its centre in every axis (diagonalised by the DCT-II). ``'cg'``: conjugate
        gradients on the normal equations (CGLS form); ``'lsqr'``: LSQR — both on the
        exact operator, any boundary and PSF, preconditioned by the nearest structured
        operator. ``'richardson-lucy'`` (alias ``'rl'``): the multiplicative EM iteration
        for Poisson data, any boundary. ``'auto'``: ``'fft'`` / ``'dct'`` when the
        structure allows it, else ``'cg'``.
    reg : float, 'gcv', 'discrepancy', Operator or tuple, default 'gcv'
        The estimate minimises ``‖A x − y‖² + λ‖L x‖²``. A float is λ (with ``L = I``
        this is the Wiener filter with a constant noise-to-signal power ratio λ);
        ``'gcv'`` chooses λ by generalised cross-validation; ``'discrepancy'`` chooses
        it so that ``‖A x − y‖ = noise·√N`` (needs ``noise``). An
        :class:`~convop.Operator` ``L`` on arrays of ``y``'s shape (e.g. a Laplacian
        stencil as a ``Convolution``) gives generalised Tikhonov with λ by GCV;
        ``(L, λ)``, ``(L, 'gcv')`` or ``(L, 'discrepancy')`` set both. Richardson–Lucy
        is regularised by stopping early: it accepts only ``'gcv'`` (ignored) and
        ``'discrepancy'`` (stop when ``‖A x − y‖ ≤ noise·√N``).
    x0 : array_like, optional
        Starting point of the iterative methods (default 0; Richardson–Lucy: the
        flux-preserving constant). Not used by the one-pass solves unless ``positive``.
    maxiter : int, optional
        Iteration limit (default 500 for CG / LSQR and the non-negativity stage, 50 for
        Richardson–Lucy).
    tol : float
        CG / LSQR: relative normal-equation residual; Richardson–Lucy: relative change
        ``‖x_{k+1} − x_k‖ / ‖x_{k+1}‖``; ``positive``: projected-gradient tolerance
        relative to ``‖Aᵀy‖∞``.
    positive : bool
        Require ``y ≥ 0`` and constrain the estimate to ``x ≥ 0``: the Tikhonov problem
        is then solved with bounds (L-BFGS-B, started from the clipped unconstrained
        solution). Richardson–Lucy is non-negative by construction.
    callback : callable, optional
        ``callback(x_k)`` after every iteration (once, with the solution, for one-pass
        solves); returning ``True`` stops CG, LSQR and Richardson–Lucy.
    noise : float, optional
        Standard deviation of the (white) noise per sample, for ``reg='discrepancy'``.
    precondition : bool
        Precondition CG / LSQR with the nearest structured operator (default True).

    Returns
    -------
    DeconvolutionResult
        The estimate ``x``, ``lam``, ``iterations``, ``residuals``, ``method``, ...

    Raises
    ------
    ConvopValueError
        NaN / infinite values in ``y`` or ``psf``; ``psf`` larger than ``y`` or of
        another dimension; an all-zero PSF (zero sum or negative taps for
        Richardson–Lucy); negative ``y`` with ``positive=True`` or Richardson–Lucy; an
        unknown ``method``, ``boundary`` or ``reg``; ``'fft'`` / ``'dct'`` on a problem
        they do not diagonalise; ``'discrepancy'`` without ``noise``.
    ConvopTypeError
        Non-numeric or complex ``y`` / ``psf``.

    See Also
    --------
    skimage.restoration.wiener, skimage.restoration.richardson_lucy : the periodic /
        zero-boundary versions.

    Notes
    -----
    The one-pass solves compute ``x̂ = conj(a) ŷ / (|a|² + λ|l|²)`` in the basis that
    diagonalises both ``A`` and ``L`` (``A e₀`` transformed, Hansen, Nagy & O'Leary
    2006); GCV and the discrepancy principle have closed forms there. For CG / LSQR,
    λ from ``'gcv'`` / ``'discrepancy'`` is chosen on the same nearest structured
    problem that preconditions them (the DCT one for mirrored or replicated boundaries
    with a symmetric PSF, the FFT one otherwise): exact for the structured boundaries,
    a surrogate elsewhere. Whole-sample ``reflect`` with a symmetric PSF is
    diagonalised by a DCT-I that is not orthogonal, so it takes the iterative path.

    References
    ----------
    .. [1] P. C. Hansen, J. G. Nagy, D. P. O'Leary, *Deblurring Images: Matrices,
       Spectra, and Filtering*, SIAM, 2006.
    .. [2] G. H. Golub, M. Heath, G. Wahba, "Generalized cross-validation as a method
       for choosing a good ridge parameter", Technometrics 21, 1979.
    .. [3] W. H. Richardson, JOSA 62, 1972; L. B. Lucy, AJ 79, 1974.

    Examples
    --------
    >>> import numpy as np
    >>> from convop._operators.convolution import Convolution
    >>> from convop.deconvolution import deconvolve
    >>> x = np.zeros((16, 16)); x[4:12, 6:10] = 1.0
    >>> psf = np.outer([1, 2, 1], [1, 2, 1]) / 16
    >>> y = Convolution(psf, x.shape, "same", boundary="symmetric")(x)
    >>> r = deconvolve(y, psf, reg=1e-10)
    >>> r.method, bool(np.abs(r.x - x).max() < 1e-6)
    ('dct', True)
    >>> deconvolve(y, psf, boundary="zero", reg=1e-10, tol=1e-12).method
    'cg'
    """
    yarr = _real_array(y, "y")
    if yarr.ndim == 0 or yarr.size == 0:
        raise ConvopValueError(
            f"y must be a non-empty array with at least one axis; got shape {yarr.shape}"
        )
    k = _real_array(psf, "psf")
    if k.ndim != yarr.ndim:
        raise ConvopValueError(
            f"psf must have as many dimensions as y; got psf.shape={k.shape} and "
            f"y.shape={yarr.shape}"
        )
    if any(q > n for q, n in zip(k.shape, yarr.shape)):
        raise ConvopValueError(
            f"psf must not be larger than y along any axis; got psf.shape={k.shape} and "
            f"y.shape={yarr.shape}"
        )
    if k.size == 0 or not np.any(k):
        raise ConvopValueError(f"psf must have a non-zero tap; got shape {k.shape}, all zero")
    bnd = _validate.boundary(boundary)
    meth = _method(method)
    shape = yarr.shape
    L, rule = _parse_reg(reg, shape)
    if noise is not None:
        noise = _positive_number(noise, "noise")
        if rule != "discrepancy":
            raise ConvopValueError(
                f"noise={noise!r} is used only with reg='discrepancy'; got reg={reg!r}"
            )
    elif rule == "discrepancy":
        raise ConvopValueError("reg='discrepancy' needs the noise level: pass noise=σ > 0")
    if precondition not in (True, False, "fft", "dct", "dct1"):
        raise invalid("precondition", precondition, (True, False, "fft", "dct", "dct1"))
    tol = _positive_number(tol, "tol")
    if maxiter is not None:
        maxiter = _positive_number(maxiter, "maxiter", integer=True)
    if callback is not None and not callable(callback):
        raise ConvopTypeError(f"callback must be callable or None; got {type(callback).__name__}")
    positive = bool(positive)
    if (positive or meth == "richardson-lucy") and yarr.min() < 0:
        why = "positive=True" if positive else "method='richardson-lucy' (Poisson data)"
        raise ConvopValueError(
            f"y must be non-negative with {why}; got min(y)={float(yarr.min())!r}"
        )
    start = None
    if x0 is not None:
        start = _real_array(x0, "x0")
        if start.shape != shape:
            raise ConvopValueError(f"x0 must have y's shape {shape}; got {start.shape}")
        start = start.astype(np.float64)
    out_dtype = compute_dtype(yarr.dtype, k.dtype)
    y64 = np.asarray(yarr, dtype=np.float64)
    k64 = np.asarray(k, dtype=np.float64)

    if meth == "richardson-lucy":
        return _rl(y64, k64, bnd, L, rule, noise, start, maxiter, tol, callback, out_dtype)

    kind = None
    if bnd == "periodic":
        kind = "fft"
    elif _mirror_like(bnd, k64.shape) and is_symmetric(k64):
        kind = "dct"
    l2 = _spectral_l(L, kind, shape) if kind is not None else None
    if meth in ("fft", "dct"):
        _check_structured(meth, bnd, k64, L, kind, l2)
    elif meth == "auto":
        meth = kind if (kind is not None and l2 is not None) else "cg"
    A = None

    def forward() -> Convolution:
        return Convolution(k64, shape, "same", boundary=bnd)

    if meth in ("fft", "dct"):
        assert l2 is not None
        x, lam, res, _, _ = _structured(meth, y64, k64, l2, rule, noise)
        outcome = _iterative.Outcome(x, 0, [res], True)
        precond_kind = None
    else:
        A = forward()
        precond_kind, sl2 = _surrogate(bnd, k64, L, shape, precondition)
        basis = Basis(precond_kind, shape)
        a = symbol(precond_kind, k64, shape)
        a2 = (a * np.conj(a)).real if precond_kind == "fft" else a * a
        lam = (
            _choose_lam(basis, a2, sl2, basis.forward(y64), rule, noise)
            if isinstance(rule, str)
            else float(rule)
        )
        op = _iterative.Stacked(A, lam, L)
        its = maxiter or _DEFAULT_MAXITER[meth]
        pre = None
        if precondition:
            den = a2 + lam * sl2
            den = np.maximum(den, 1e-14 * float(den.max()))
            if meth == "cg":
                pre = lambda g: basis.inverse(basis.dual(g) / den)
            else:
                root = np.sqrt(den)
                pre = (
                    lambda z: basis.inverse(basis.orth(z) / root),
                    lambda v: basis.orth_inv(basis.dual(v) / root),
                    lambda u: basis.dual_inv(root * basis.orth(u)),
                )
        else:
            precond_kind = None
        solver = _iterative.cgls if meth == "cg" else _iterative.lsqr
        outcome = solver(op, y64, start, pre, its, tol, callback)
    if positive and outcome.x.min() < 0:
        A = A if A is not None else forward()
        op = _iterative.Stacked(A, lam, L)
        seed = outcome.x if start is None or meth not in ("fft", "dct") else start
        stage = _iterative.bounded(
            op, y64, seed, maxiter or _DEFAULT_MAXITER["bounded"], tol, callback
        )
        outcome = _iterative.Outcome(
            np.maximum(stage.x, 0.0),
            outcome.iterations + stage.iterations,
            outcome.residuals + stage.residuals,
            outcome.converged and stage.converged,
        )
    elif meth in ("fft", "dct") and callback is not None:
        callback(outcome.x)
    return DeconvolutionResult(
        x=np.asarray(outcome.x, dtype=out_dtype),
        lam=float(lam),
        iterations=outcome.iterations,
        residuals=np.asarray(outcome.residuals, dtype=np.float64),
        method=meth,
        boundary=bnd,
        converged=outcome.converged,
        preconditioner=precond_kind,
        positive=positive,
    )


def _mirror_like(bnd: str, kshape: tuple[int, ...]) -> bool:
    """Whether the operator is the half-sample symmetric one: ``symmetric``, or
    ``replicate`` with one extended sample per side (``a a | a b`` = ``a | a b``)."""
    if bnd == "symmetric":
        return True
    return bnd == "replicate" and all(max((q - 1) // 2, q - 1 - (q - 1) // 2) <= 1 for q in kshape)


def _check_structured(
    meth: str, bnd: str, k: np.ndarray, L: Operator | None, kind: str | None, l2: Any
) -> None:
    if meth == "fft" and bnd != "periodic":
        raise ConvopValueError(
            f"method='fft' diagonalises boundary='periodic' only; got boundary={bnd!r} "
            f"(use method='cg' or 'auto' for the exact operator)"
        )
    if meth == "dct":
        if not _mirror_like(bnd, k.shape):
            raise ConvopValueError(
                f"method='dct' diagonalises boundary='symmetric' only (or 'replicate' with a psf "
                f"half-width ≤ 1, the same matrix); got boundary={bnd!r} "
                f"(use method='cg' or 'auto')"
            )
        if kind != "dct":
            raise ConvopValueError(
                f"method='dct' needs a psf symmetric about its centre along every axis; got "
                f"psf of shape {k.shape} that is not (use method='cg' or 'auto')"
            )
    if l2 is None:
        need = "periodic" if meth == "fft" else "symmetric (with a symmetric kernel)"
        raise ConvopValueError(
            f"method={meth!r} needs reg operator to be a mode='same' Convolution with "
            f"boundary {need}, so that it shares the {meth.upper()} basis; got {L!r} "
            f"(use method='cg' or 'lsqr')"
        )


def _rl(
    y: np.ndarray,
    k: np.ndarray,
    bnd: str,
    L: Operator | None,
    rule: Any,
    noise: float | None,
    start: np.ndarray | None,
    maxiter: int | None,
    tol: float,
    callback: Callable | None,
    out_dtype: np.dtype,
) -> DeconvolutionResult:
    if k.min() < 0 or k.sum() <= 0:
        raise ConvopValueError(
            f"psf must be non-negative with a positive sum for method='richardson-lucy'; "
            f"got sum={float(k.sum())!r}, min={float(k.min())!r}"
        )
    if L is not None or not isinstance(rule, str):
        raise ConvopValueError(
            "method='richardson-lucy' is regularised by stopping early: reg must be 'gcv' "
            "(ignored) or 'discrepancy' (a stopping rule with noise=σ); got a λ or operator"
        )
    A = Convolution(k, y.shape, "same", boundary=bnd)
    if start is None:
        norm = A.adjoint(np.ones_like(y))
        start = np.full(y.shape, max(float(y.sum()) / float(norm.sum()), 0.0))
    elif start.min() < 0:
        raise ConvopValueError(
            f"x0 must be non-negative for method='richardson-lucy'; got min={start.min()!r}"
        )
    target = None if rule != "discrepancy" else float(noise) * math.sqrt(y.size)
    out = _iterative.richardson_lucy(
        A, y, start, maxiter or _DEFAULT_MAXITER["richardson-lucy"], tol, target, callback
    )
    return DeconvolutionResult(
        x=np.asarray(out.x, dtype=out_dtype),
        lam=None,
        iterations=out.iterations,
        residuals=np.asarray(out.residuals, dtype=np.float64),
        method="richardson-lucy",
        boundary=bnd,
        converged=out.converged,
        preconditioner=None,
        positive=True,
    )
