"""Parametric models K(θ) = mat(Qθ): structure, spectra and derivatives of stencils.

Follows Haber & Ruthotto's lecture notes on parametric models: three small
models (diagonal, antisymmetric, M-matrix) written as K(θ) = mat(Qθ), a
convolution stencil as a parametric model whose matrix is Toeplitz / circulant
(1-D) or BTTB / BCCB (2-D) depending on the boundary, eigenvalues of periodic
stencils from one FFT, and the Jacobians in θ and in y checked by dot tests and
Taylor tests. Every statement of the notes is recomputed; the slips found are
listed in the report text.

Examples
--------
>>> is_multilevel_toeplitz(np.array([[1.0, 2.0], [3.0, 1.0]]), (2,), cyclic=False)
True
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
from matplotlib.ticker import MaxNLocator
from scipy.optimize import linear_sum_assignment

from convop._operators.convolution import Convolution
from convop._operators.layer import ConvLayer
from convop.checks._dottest import dottest
from convop.checks._taylor import taylor_test
from convop.experiments._report import new_figure
from convop.experiments._result import Claim, Result
from convop.parametric import Antisymmetric, Diagonal, MMatrix, MultichannelStencil, Stencil

__all__ = [
    "NOTES_Q",
    "SUMMARY",
    "TITLE",
    "is_multilevel_toeplitz",
    "multiset_distance",
    "periodic_eigenvalues",
    "run",
]

TITLE = "Parametric models K(θ) = mat(Qθ): stencils, structure, spectra, Jacobians"
SUMMARY = (
    "Lecture notes by Haber and Ruthotto argue that a layer's weight matrix should be a "
    "parametric model K(θ) = mat(Qθ) with few parameters θ: a diagonal, an antisymmetric "
    "matrix (purely imaginary eigenvalues), a zero-row-sum M-matrix, or a convolution "
    "stencil. Because K is linear in θ, Jacobians are exact and cheap. We rebuild every "
    "example: the M-matrix's 9×6 Q matches the notes entry by entry; stencil matrices are "
    "Toeplitz or BTTB with zero boundaries and circulant or BCCB with periodic ones, "
    "checked entry by entry, and reproduce the notes' 4×4 and 9×9 matrices; eigenvalues "
    "from numpy.linalg.eig equal one FFT of the first column (as multisets), at a "
    "fraction of the cost as n grows; the Jacobians in θ and in y pass dot tests and "
    "second-order Taylor tests. The notes' formulas hold once a few slips are fixed "
    "(listed below)."
)

#: the 9×6 Q printed in the notes for the 3×3 M-matrix (column-major mat)
NOTES_Q = np.array(
    [
        [1, 1, 0, 0, 0, 0],
        [0, 0, -1, 0, 0, 0],
        [0, 0, 0, 0, -1, 0],
        [-1, 0, 0, 0, 0, 0],
        [0, 0, 1, 1, 0, 0],
        [0, 0, 0, 0, 0, -1],
        [0, -1, 0, 0, 0, 0],
        [0, 0, 0, -1, 0, 0],
        [0, 0, 0, 0, 1, 1],
    ],
    dtype=float,
)

#: the notes' 9×9 periodic example: θ_ab indices of each row (grids vectorised column-major)
NOTES_BCCB = [
    "22 12 32 21 11 31 23 13 33",
    "32 22 12 31 21 11 33 23 13",
    "12 32 22 11 31 21 13 33 23",
    "23 13 33 22 12 32 21 11 31",
    "33 23 13 32 22 12 31 21 11",
    "13 33 23 12 32 22 11 31 21",
    "21 11 31 23 13 33 22 12 32",
    "31 21 11 33 23 13 32 22 12",
    "11 31 21 13 33 23 12 32 22",
]

SLIPS = [
    (
        "Discrete 1-D convolution: the notes print z_i = Σ_j θ_j y_{i−1}; it is "
        "z_i = Σ_j θ_j y_{i−j} (the printed index makes z_i = (Σθ) y_{i−1}, which does not "
        "reproduce the notes' own 4-point example; checked below)."
    ),
    (
        "The 4-point example switches from y to x (and w for the boundary values) mid-slide; "
        "the stencil there is a true convolution (row i reads θ3 θ2 θ1), so the "
        "correlation stencil of convop is the reversed θ."
    ),
    ("J_θ(K(θ))ᵀ w = Qᵀ w needs w ∈ R^{m·n_f} (the size of vec K), not R^m."),
    (
        "'Extension 1' drops the vector the Jacobian acts on: J_θ(YK(θ)) should be "
        "J_θ(YK(θ)) v with Q v for 'Q_v', and the transpose formula should read "
        "J_θ(YK(θ))ᵀ W."
    ),
    (
        "The circulant eigen-decomposition K = F* diag(λ) F with λ = F(K u₁) holds with F the "
        "unnormalised DFT and F* read as F⁻¹ (MATLAB fft / ifft); with a unitary F the "
        "eigenvalues are √n·F K u₁."
    ),
    (
        "The first version of the Kᵀ y formula misplaces a parenthesis, "
        "real(F(λ) ⊙ F* y); the next slide's real(F(λ ⊙ F* y)) is right (checked below)."
    ),
    (
        "In the multichannel block matrix the third column is labelled K^{11}(θ^{13}), "
        "K^{21}(θ^{23}), …; it should be K^{13}(θ^{13}), K^{23}(θ^{23}), …"
    ),
    (
        "'ffft2' is fft2. The M-matrix with row sums zero is singular (K 1 = 0): for θ ≥ 0 "
        "it is a singular M-matrix, a weighted graph Laplacian."
    ),
]


# -- helpers ----------------------------------------------------------------------------------


def is_multilevel_toeplitz(K: np.ndarray, dims: tuple[int, ...], *, cyclic: bool) -> bool:
    """Whether ``K`` (acting on C-order grids of shape ``dims``) is multilevel Toeplitz.

    ``K[i, j]`` must depend only on ``i − j`` along every grid axis (modulo the
    axis length when ``cyclic``): Toeplitz / BTTB, or circulant / BCCB.

    Examples
    --------
    >>> is_multilevel_toeplitz(np.array([[1.0, 2.0], [2.0, 1.0]]), (2,), cyclic=True)
    True
    """
    d = len(dims)
    K4 = np.asarray(K).reshape(tuple(dims) * 2)
    for a in range(d):
        if cyclic:
            if not np.array_equal(np.roll(K4, 1, axis=(a, d + a)), K4):
                return False
        else:
            lo = [slice(None)] * (2 * d)
            hi = [slice(None)] * (2 * d)
            lo[a], lo[d + a] = slice(0, -1), slice(0, -1)
            hi[a], hi[d + a] = slice(1, None), slice(1, None)
            if not np.array_equal(K4[tuple(lo)], K4[tuple(hi)]):
                return False
    return True


def multiset_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance of the best one-to-one matching between two sets of numbers.

    Examples
    --------
    >>> multiset_distance(np.array([1, 2j]), np.array([2j, 1.0]))
    0.0
    """
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    r, c = linear_sum_assignment(cost)
    return float(cost[r, c].max())


def periodic_eigenvalues(theta: np.ndarray, grid: tuple[int, ...]) -> np.ndarray:
    """Eigenvalues of the periodic 'same' correlation with ``theta``, without any matrix.

    The first column of K holds ``θ[t]`` at grid position ``(c − t) mod n``
    (``c = kernel_shape // 2``, the notes' circshift); its N-D FFT gives the
    eigenvalues, in FFT order.

    Examples
    --------
    >>> periodic_eigenvalues(np.array([1.0, 2.0, 3.0]), (4,)).round(6).tolist()
    [(6+0j), (2+2j), (-2+0j), (2-2j)]
    """
    theta = np.asarray(theta)
    col = np.zeros(grid, dtype=theta.dtype)
    for t in np.ndindex(theta.shape):
        pos = tuple((k // 2 - ti) % n for ti, k, n in zip(t, theta.shape, grid))
        col[pos] += theta[t]
    return np.fft.fftn(col)


def _show(
    ax: Any, K: np.ndarray, title: str, *, values: bool = False, grid: int | None = None
) -> Any:
    lim = float(np.abs(K).max()) or 1.0
    im = ax.imshow(K, cmap="coolwarm", vmin=-lim, vmax=lim, interpolation="nearest")
    ax.set_title(title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("column j (input index)")
    ax.set_ylabel("row i (output index)")
    if values:
        for (i, j), v in np.ndenumerate(K):
            if v != 0:
                ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8)
    if grid:
        for g in range(grid, K.shape[0], grid):
            ax.axhline(g - 0.5, color="k", lw=0.6)
        for g in range(grid, K.shape[1], grid):
            ax.axvline(g - 0.5, color="k", lw=0.6)
    return im


def _timed(fn: Any, repeat: int) -> tuple[Any, float, tuple[float, float]]:
    """``fn()``, the median of ``repeat`` wall times and their (min, max) spread."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, float(np.median(times)), (min(times), max(times))


# -- the experiment ---------------------------------------------------------------------------


def _small_models(res: Result, rng: np.random.Generator) -> None:
    M = MMatrix(3)
    Q = M.Q.toarray()
    res.claims.append(
        Claim.equal(
            "The 3×3 M-matrix K(θ) = mat(Qθ) (column-major mat) has exactly the notes' 9×6 Q: "
            "number of differing entries",
            0,
            int(np.count_nonzero(Q != NOTES_Q)),
        )
    )
    res.table(
        "Q of the 3×3 M-matrix (rows: vec K = K11, K21, K31, K12, …; columns θ1…θ6)",
        ["vec K entry"] + [f"θ{c + 1}" for c in range(6)],
        [[f"K{i % 3 + 1}{i // 3 + 1}"] + [int(v) for v in Q[i]] for i in range(9)],
    )
    th6 = rng.random(6)
    t1, t2, t3, t4, t5, t6 = th6
    notes = np.array([[t1 + t2, -t1, -t2], [-t3, t3 + t4, -t4], [-t5, -t6, t5 + t6]])
    res.claims.append(
        Claim.at_most(
            "MMatrix(3).matrix(θ) equals the notes' formula for random θ ≥ 0: max |difference|",
            0.0,
            float(np.abs(M.matrix(th6) - notes).max()),
        )
    )
    M6 = MMatrix(6)
    K6 = M6.matrix(rng.random(M6.num_params))
    res.claims += [
        Claim.at_most(
            "M-matrix (n = 6, θ ≥ 0): every row sums to zero, max |row sum|",
            1e-14,
            float(np.abs(K6.sum(axis=1)).max()),
        ),
        Claim.at_least(
            "M-matrix (n = 6, θ ≥ 0): eigenvalues have real part ≥ 0 (Gershgorin): min Re λ",
            -1e-12,
            float(np.linalg.eigvals(K6).real.min()),
        ),
    ]
    A = Antisymmetric(8)
    KA = A.matrix(rng.standard_normal(A.num_params))
    lam = np.linalg.eigvals(KA)
    res.claims.append(
        Claim.at_most(
            "Antisymmetric K(θ) (n = 8, 28 parameters): Re λᵢ = 0, max |Re λ| / max |λ|",
            1e-13,
            float(np.abs(lam.real).max() / np.abs(lam).max()),
        )
    )
    D = Diagonal(5)
    thd, y = rng.standard_normal(5), rng.standard_normal(5)
    res.claims.append(
        Claim.at_most(
            "Diagonal scaling: K(θ) y = θ ⊙ y, max |difference|",
            0.0,
            float(np.abs(D.apply(thd, y) - thd * y).max()),
        )
    )
    fig, axes = new_figure(3, 1, width=3.6, height=3.4)
    _show(axes[0], Diagonal(4).matrix([1.0, 2.0, 3.0, 4.0]), "Diagonal(4), θ = 1…4", values=True)
    _show(
        axes[1],
        Antisymmetric(4).matrix(np.arange(1.0, 7.0)),
        "Antisymmetric(4), θ = 1…6",
        values=True,
    )
    _show(axes[2], M.matrix(np.arange(1.0, 7.0)), "MMatrix(3), θ = 1…6", values=True)
    res.figure(
        "Three small parametric models with θ = 1, 2, … (entries printed). "
        "Colour: entry value (red positive, blue negative).",
        fig,
    )


def _structures(res: Result, rng: np.random.Generator) -> None:
    cases = [
        ("zero", (3,), (8,), "toeplitz"),
        ("periodic", (3,), (8,), "circulant"),
        ("zero", (3, 3), (4, 4), "bttb"),
        ("periodic", (3, 3), (4, 4), "bccb"),
    ]
    fig, axes = new_figure(4, 1, width=3.4, height=3.4)
    rows = []
    for ax, (bnd, ks, grid, expected) in zip(axes, cases):
        S = Stencil(ks, grid, bnd)
        th = rng.integers(1, 9, size=ks).astype(float) * rng.choice([-1.0, 1.0], size=ks)
        K = S.matrix(th)
        tag = S.convolution(th).structure
        ok = is_multilevel_toeplitz(K, grid, cyclic=bnd == "periodic")
        dense = Convolution(th, grid, "same", boundary=bnd, correlate=True).to_dense()
        rows.append(
            [
                f"{len(grid)}-D {'×'.join(map(str, ks))} on {'×'.join(map(str, grid))}",
                bnd,
                tag,
                ok,
                float(np.abs(K - dense).max()),
            ]
        )
        res.claims.append(
            Claim.true(
                f"{len(grid)}-D stencil, {bnd} boundary: the core tags the matrix {expected!r} "
                "and every entry depends only on the index difference"
                + (" modulo n" if bnd == "periodic" else ""),
                tag == expected and ok,
                f"tag {tag!r}, shift-invariance {ok}",
            )
        )
        _show(ax, K, f"{bnd}: {tag}", grid=grid[-1] if len(grid) == 2 else None)
    res.claims.append(
        Claim.at_most(
            "Stencil.matrix (built from Q, index structure) equals Convolution.to_dense for "
            "all four cases: max |difference|",
            0.0,
            max(r[-1] for r in rows),
        )
    )
    res.table(
        "Stencil matrices: structure tags and entry-by-entry checks",
        ["stencil", "boundary", "core tag", "shift-invariant", "max |Q-path − core|"],
        rows,
    )
    res.figure(
        "Stencil matrices K(θ) for random integer stencils: 1-D zero (Toeplitz), "
        "1-D periodic (circulant), 2-D zero (BTTB) and 2-D periodic (BCCB) on a "
        "4×4 grid (block lines every 4 rows/columns). Colour: entry value.",
        fig,
    )

    # the notes' own 4-point and 3×3 examples
    t1, t2, t3 = 1.0, 2.0, 3.0
    toep = np.array([[t2, t1, 0, 0], [t3, t2, t1, 0], [0, t3, t2, t1], [0, 0, t3, t2]])
    circ = np.array([[t2, t1, 0, t3], [t3, t2, t1, 0], [0, t3, t2, t1], [t1, 0, t3, t2]])
    rev = np.array([t3, t2, t1])
    res.claims += [
        Claim.true(
            "The notes' 4-point zero-boundary matrix is Stencil(3, 4, 'zero') at the "
            "reversed stencil (the notes convolve, convop's stencil correlates)",
            bool(np.array_equal(Stencil(3, 4, "zero").matrix(rev), toep)),
        ),
        Claim.true(
            "The notes' 4-point periodic (circulant) matrix is "
            "Stencil(3, 4, 'periodic') at the reversed stencil",
            bool(np.array_equal(Stencil(3, 4, "periodic").matrix(rev), circ)),
        ),
    ]
    # the printed index slip: z_i = Σ θ_j y_{i−1} versus z_i = Σ θ_j y_{i−j}
    y = rng.standard_normal(4)
    yp = np.concatenate([[0.0], y, [0.0]])  # w1 = w2 = 0
    printed = np.array([(t1 + t2 + t3) * yp[i] for i in range(4)])  # θ_j y_{i−1}, j=−1..1
    corrected = np.array([t1 * yp[i + 2] + t2 * yp[i + 1] + t3 * yp[i] for i in range(4)])
    res.claims += [
        Claim.at_most(
            "Corrected formula z_i = Σ θ_j y_{i−j} reproduces the notes' 4-point "
            "example: max |difference|",
            1e-14,
            float(np.abs(corrected - toep @ y).max()),
        ),
        Claim.at_least(
            "The printed z_i = Σ θ_j y_{i−1} does not: max |difference|",
            1e-3,
            float(np.abs(printed - toep @ y).max()),
        ),
    ]
    theta = np.arange(1.0, 10.0).reshape(3, 3) * 10 + np.arange(3)[None, :] * 0.1
    printed9 = np.array(
        [[theta[int(s[0]) - 1, int(s[1]) - 1] for s in row.split()] for row in NOTES_BCCB]
    )
    S9 = Stencil((3, 3), (3, 3), "periodic")
    res.claims.append(
        Claim.true(
            "The notes' 9×9 periodic matrix (column-major grids, true convolution) equals "
            "convop's BCCB stencil matrix of the transposed, flipped θ, entry by entry",
            bool(np.array_equal(S9.matrix(theta.T[::-1, ::-1]), printed9)),
        )
    )


def _spectra(res: Result, rng: np.random.Generator, quick: bool) -> None:
    sizes = [16, 64, 128] if quick else [16, 64, 256, 512]
    rows, worst = [], 0.0
    speedups = []
    for n in sizes:
        S = Stencil(3, n, "periodic")
        th = rng.standard_normal(3)
        K = S.matrix(th)
        ev, te, te_range = _timed(lambda K=K: np.linalg.eigvals(K), 3 if n >= 256 else 5)
        lam, tf, tf_range = _timed(lambda K=K: np.fft.fft(K[:, 0]), 21)
        err = multiset_distance(ev, lam) / np.abs(lam).max()
        worst = max(worst, err)
        # the speed-up's spread: slowest eig over fastest fft, and the other way round
        speedups.append((te / tf, te_range[0] / tf_range[1], te_range[1] / tf_range[0]))
        rows.append(
            [
                n,
                f"{te * 1e3:.3g} [{te_range[0] * 1e3:.3g}, {te_range[1] * 1e3:.3g}]",
                f"{tf * 1e3:.3g} [{tf_range[0] * 1e3:.3g}, {tf_range[1] * 1e3:.3g}]",
                f"{te / tf:.3g}",
                err,
            ]
        )
    res.table(
        "Eigenvalues of a periodic 3-point stencil: numpy.linalg.eigvals(K) versus "
        "fft of K's first column (times: median [min, max] of the repeats)",
        ["n", "eig time [ms]", "fft time [ms]", "eig / fft (medians)", "matching error / max|λ|"],
        rows,
    )
    res.claims.append(
        Claim.at_most(
            f"eig(K) and fft(K u₁) agree as multisets for n = {sizes}: worst "
            "relative matching distance",
            1e-10,
            worst,
        )
    )
    mid, lo, hi = speedups[-1]
    res.text.append(
        f"Cost, an illustration rather than a claim: at n = {sizes[-1]} one FFT of the "
        f"first column takes 1/{mid:.3g} of the time of numpy.linalg.eigvals (ratio of "
        f"medians; {lo:.3g} to {hi:.3g} between the extreme repeats). Dense eigenvalues "
        "cost O(n³) against O(n log n), so the gap widens with n; wall times on a shared "
        "machine are not checked."
    )
    n = 16
    S = Stencil(3, n, "periodic")
    th = rng.standard_normal(3)
    K = S.matrix(th)
    lam = np.fft.fft(K[:, 0])
    y = rng.standard_normal(n)
    res.claims += [
        Claim.at_most(
            "K y = real(ifft(λ ⊙ fft(y))) (n = 16): max |difference|",
            1e-12,
            float(np.abs(K @ y - np.fft.ifft(lam * np.fft.fft(y)).real).max()),
        ),
        Claim.at_most(
            "Kᵀ y = real(F(λ ⊙ F⁻¹ y)) with F = fft (the notes' second version): max |difference|",
            1e-12,
            float(np.abs(K.T @ y - np.fft.fft(lam * np.fft.ifft(y)).real).max()),
        ),
        Claim.at_least(
            "The notes' first version real(F(λ) ⊙ F⁻¹ y) is not Kᵀ y: max |difference|",
            1e-3,
            float(np.abs(K.T @ y - (np.fft.fft(lam) * np.fft.ifft(y)).real).max()),
        ),
    ]
    # arbitrary stencil size, no matrix (notes' exercise 5), 1-D and 2-D
    errs = []
    for ks, grid in [((5,), (12,)), ((4,), (9,)), ((3, 3), (6, 8)), ((5, 2), (7, 5))]:
        th = rng.standard_normal(ks)
        Kd = Stencil(ks, grid, "periodic").matrix(th)
        errs.append(
            multiset_distance(np.linalg.eigvals(Kd), periodic_eigenvalues(th, grid).ravel())
        )
    res.claims.append(
        Claim.at_most(
            "Eigenvalues from the circshift-embedded stencil (no matrix built) match eig(K) for "
            "1-D and 2-D stencils of odd and even sizes: worst matching distance",
            1e-10,
            max(errs),
        )
    )
    try:
        from convop.spectral import eigvals as core_eigvals
    except ImportError:  # pragma: no cover - spectral module optional here
        return
    th = rng.standard_normal((3, 3))
    mine = periodic_eigenvalues(th, (6, 8)).ravel()
    core = np.asarray(
        core_eigvals(Convolution(th, (6, 8), "same", boundary="periodic", correlate=True))
    ).ravel()
    res.claims.append(
        Claim.at_most(
            "convop.spectral.eigvals of the periodic 2-D correlation agrees with the embedded-"
            "stencil FFT: matching distance",
            1e-10,
            multiset_distance(mine, core),
        )
    )


def _check_model(
    res: Result, name: str, S: Any, yshape: tuple[int, ...], rng: np.random.Generator
) -> tuple[list[Any], Any]:
    """Dot tests, Taylor tests and the Q-path cross-check of one stencil model."""
    p = S.num_params
    th, dth = rng.standard_normal(p), rng.standard_normal(p)
    y, dy = rng.standard_normal(yshape), rng.standard_normal(yshape)
    z = S.apply(th, y)
    act = 1 - np.tanh(z) ** 2
    d_t = dottest(S.jacobian_theta(th, y), rng=1, rtol=1e-10)
    d_y = dottest(S.jacobian_y(th, y), rng=2, rtol=1e-10)
    t_th = taylor_test(lambda t_: np.tanh(S.apply(t_, y)), th, dth, lambda d: act * S.jvp(th, y, d))
    t_y = taylor_test(lambda y_: np.tanh(S.apply(th, y_)), y, dy, lambda d: act * S.jvp_y(th, y, d))
    c = rng.standard_normal(z.shape)
    g = S.vjp(th, y, c * act)
    t_g = taylor_test(lambda t_: np.sum(c * np.tanh(S.apply(t_, y))), th, dth, lambda d: g @ d)
    Y = y.reshape(yshape[0], -1).T
    W = (c * act).reshape(yshape[0], -1).T
    g_q = S.Q.T @ (W @ Y.T).ravel(order="F")
    q_err = float(np.abs(g - g_q).max() / np.abs(g_q).max())
    ok = t_th.passed and t_y.passed and t_g.passed
    res.claims += [
        Claim.at_most(f"{name}: dot tests of J_θ and J_y, larger mismatch", 1e-12, max(d_t, d_y)),
        Claim.true(
            f"{name}: Taylor tests of tanh(K(θ) y) in θ and in y, and of the "
            "gradient of ⟨c, tanh(K(θ) y)⟩ from vjp, show second-order E1",
            ok,
            f"order1 = {t_th.order1:.2f}, {t_y.order1:.2f}, {t_g.order1:.2f}",
        ),
        Claim.at_most(
            f"{name}: vjp through the kernel operator equals Qᵀ vec(w yᵀ) "
            "summed over the batch: relative difference",
            1e-12,
            q_err,
        ),
    ]
    return [name, p, d_t, d_y, t_th.order1, t_y.order1, t_g.order1, q_err], t_th


def _jacobians(res: Result, rng: np.random.Generator) -> None:
    rows, taylor_rows = [], []
    models = [
        ("Stencil 3×3, 6×7, zero", Stencil((3, 3), (6, 7), "zero"), (2, 6, 7)),
        ("Stencil 3×3, 6×7, periodic", Stencil((3, 3), (6, 7), "periodic"), (2, 6, 7)),
        ("Stencil 5, 16, reflect", Stencil(5, 16, "reflect"), (3, 16)),
        (
            "MultichannelStencil 2←3, 3×3, 5×6, periodic",
            MultichannelStencil((2, 3, 3, 3), (3, 5, 6), "periodic"),
            (2, 3, 5, 6),
        ),
    ]
    for name, S, yshape in models:
        row, t_th = _check_model(res, name, S, yshape, rng)
        rows.append(row)
        if not taylor_rows:
            taylor_rows = [
                [
                    r.h,
                    r.e0,
                    r.e1,
                    (prev.e0 / r.e0) if prev else "",
                    (prev.e1 / r.e1) if prev else "",
                ]
                for prev, r in zip((None,) + t_th.rows[:-1], t_th.rows)
            ]
    res.table(
        "Jacobians of stencil models: dot tests (relative mismatch) and Taylor "
        "orders of E1 (2 = derivative correct)",
        [
            "model",
            "p",
            "dot J_θ",
            "dot J_y",
            "order1 θ",
            "order1 y",
            "order1 grad",
            "vjp vs Q path",
        ],
        rows,
    )
    res.table(
        "Taylor table of tanh(K(θ) y) in θ for the first model: E0 halves and E1 "
        "quarters when h halves",
        ["h", "E0", "E1", "E0 ratio", "E1 ratio"],
        taylor_rows,
    )
    # the notes' FFT Jacobian transpose for θ ↦ K(θ)ᵀ y (periodic 1-D)
    n = 16
    S = Stencil(3, n, "periodic")
    th, y, w = rng.standard_normal(3), rng.standard_normal(n), rng.standard_normal(n)
    Q1 = np.zeros((n, 3))  # θ ↦ first column of K
    for t in range(3):
        Q1[(1 - t) % n, t] = 1.0
    notes_jt = np.real(Q1.T @ np.fft.fft(np.fft.ifft(y) * np.fft.fft(w)))
    ours = S.vjp(th, w, y)  # gradient of ⟨w, K(θ)ᵀ y⟩ = ⟨y, K(θ) w⟩
    v = rng.standard_normal(3)
    notes_j = np.real(np.fft.fft(np.fft.ifft(y) * np.fft.fft(Q1 @ v)))
    res.claims += [
        Claim.at_most(
            "The notes' J_θ(K(θ)ᵀ y) v = real(F diag(F* y) F Q v) (F = fft, "
            "F* = ifft) equals K(v)ᵀ y: max |difference|",
            1e-12,
            float(np.abs(notes_j - S.matrix(v).T @ y).max()),
        ),
        Claim.at_most(
            "The notes' J_θ(K(θ)ᵀ y)ᵀ w = real(Qᵀ F diag(F* y) F w) equals "
            "convop's vjp: max |difference|",
            1e-12,
            float(np.abs(notes_jt - ours).max()),
        ),
    ]


def _multichannel(res: Result, rng: np.random.Generator) -> None:
    wshape, ishape = (2, 3, 3, 3), (3, 4, 5)
    M = MultichannelStencil(wshape, ishape, "periodic")
    th = rng.standard_normal(wshape)
    K = M.matrix(th)
    N = 20
    blocks_ok = all(
        is_multilevel_toeplitz(K[co * N : (co + 1) * N, ci * N : (ci + 1) * N], (4, 5), cyclic=True)
        for co in range(2)
        for ci in range(3)
    )
    layer = ConvLayer(th, ishape, padding="same", boundary="periodic")
    y = rng.standard_normal((2,) + ishape)
    res.claims += [
        Claim.true(
            "Multichannel stencil (2 out, 3 in, 3×3, 4×5 periodic grid): the 40×60 "
            "matrix is a 2×3 block matrix whose 6 blocks are BCCB",
            blocks_ok,
        ),
        Claim.at_most(
            "Multichannel stencil equals convop.ConvLayer(padding='same'): max "
            "|difference| of the matrices and of a batched apply",
            1e-12,
            max(
                float(np.abs(K - layer.to_dense()).max()),
                float(np.abs(M.apply(th, y) - layer(y)).max()),
            ),
        ),
        Claim.equal(
            "Q of the multichannel stencil has one nonzero per (output pixel, weight) pair: nnz(Q)",
            2 * 3 * 9 * N,
            int(M.Q.nnz),
        ),
    ]
    fig, ax = new_figure(1, 1, width=7.5, height=5.2)
    im = _show(ax, K, "MultichannelStencil: 2 × 3 blocks Kⁱʲ(θⁱʲ), each BCCB", grid=N)
    fig.colorbar(im, ax=ax, shrink=0.8, label="entry value")
    res.figure(
        "Block structure of a 2-output, 3-input 3×3 periodic convolution on a 4×5 "
        "grid: block (i, j) is the BCCB matrix of the stencil θ^{ij} (the notes' "
        "'width of CNNs' slide).",
        fig,
    )


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Rebuild the notes' parametric models and check structure, spectra and Jacobians.

    Parameters
    ----------
    quick : bool
        Stop the eigenvalue comparison (and its illustrative timing) at n = 128
        instead of 512.
    seed : int
        Seed of the random stencils, parameters and inputs.
    out_dir : Path, optional
        Unused (this experiment writes no files).

    Returns
    -------
    Result

    Examples
    --------
    >>> run(quick=True).passed
    True
    """
    res = Result("parametric_models", TITLE, summary=SUMMARY)
    rng = np.random.default_rng(seed)
    _small_models(res, rng)
    _structures(res, rng)
    _spectra(res, rng, quick)
    _jacobians(res, rng)
    _multichannel(res, rng)
    res.text.append("Slips in the notes, found while recomputing them:")
    res.text += [f"{i + 1}. {s}" for i, s in enumerate(SLIPS)]
    return res
