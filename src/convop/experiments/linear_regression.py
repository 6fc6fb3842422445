"""Fitting a line by gradient descent, with squared (L2) and absolute (L1) losses.

The data imitate a blog post's fictitious eye-tracking study (mean pupil
dilation vs total reading time). Gradient descent on the mean squared error is
compared with the normal equations and :func:`numpy.polyfit`; subgradient
descent on the mean absolute error is compared with the exact least-absolute-
deviations line from a linear program. The post's own numbers are recomputed.

Examples
--------
>>> x, y, outliers = synthetic_data(0)
>>> x.shape, int(outliers.sum())
((40,), 4)
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np
from scipy.optimize import linprog, minimize_scalar

from convop.experiments._report import new_figure
from convop.experiments._result import Claim, Result

__all__ = [
    "POST_DILATION",
    "POST_READING_TIME",
    "SUMMARY",
    "TITLE",
    "gd_l2",
    "lad_brute_force",
    "lad_fit",
    "run",
    "subgradient_l1",
    "synthetic_data",
]

TITLE = "Linear regression by gradient descent: L2 and L1 losses"
SUMMARY = (
    "A line y = a·x + b is fitted to reading times y (seconds) against mean pupil "
    "dilation x (millimetres) in a made-up eye-tracking study, following a blog post "
    "written for cognitive-science students. The post's own 14-point table gives back "
    "the slope and intercept it prints, and its small error-sum example checks out. On "
    "synthetic data with a few outliers, plain gradient descent on the mean squared "
    "error reaches the normal-equations line (and numpy.polyfit). Subgradient descent on "
    "the mean absolute error reaches the optimum of the exact least-absolute-deviations "
    "line found by linear programming. The contour plots show why gradient descent "
    "needs many steps here: the squared loss is a long, narrow valley because x is far "
    "from centred. The outliers pull the L2 line much further than the L1 line. A "
    "one-dimensional non-convex example from the post is corrected: from x = 3, "
    "gradient descent runs left, not right, into the local minimum near x ≈ −4.05, and "
    "the global minimum on [−30, 10] is near x ≈ −15.7, not +15."
)

#: the post's training table: mean pupil dilation and total reading time
POST_DILATION = np.array(
    [0.90, 0.89, 0.79, 0.91, 0.77, 0.63, 0.55, 0.60, 0.55, 0.54, 0.45, 0.44, 0.40, 0.39]
)
POST_READING_TIME = np.array(
    [120, 101, 104, 111, 95, 98, 77, 80, 67, 63, 59, 57, 61, 66], dtype=float
)
#: what the post prints for scikit-learn's fit on that table (slope, intercept)
POST_SKLEARN = (106.68664055, 15.649335484366574)

#: generating model of the synthetic data (documented in the report)
TRUE_SLOPE, TRUE_INTERCEPT, NOISE_SD = 107.0, 15.5, 7.0
N_POINTS, N_OUTLIERS, OUTLIER_SHIFT = 40, 4, 45.0
X_RANGE = (0.35, 0.95)


def synthetic_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic dilation / reading-time pairs in the spirit of the post's table.

    ``x ~ U(0.35, 0.95)`` (40 points), ``y = 107 x + 15.5 + N(0, 7²)``. The
    post's own fit has slope ≈ 107, intercept ≈ 15.6 and residual SD ≈ 7.8. Then
    the 4 readers with the smallest dilation get 45 s added ("distracted readers"),
    which pulls the L2 line more than the L1 line.

    Returns
    -------
    x, y : (40,) ndarray
    outliers : (40,) bool ndarray

    Examples
    --------
    >>> x, y, o = synthetic_data(1)
    >>> bool(x.min() >= 0.35 and x.max() <= 0.95)
    True
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(*X_RANGE, N_POINTS)
    y = TRUE_SLOPE * x + TRUE_INTERCEPT + rng.normal(0.0, NOISE_SD, N_POINTS)
    outliers = np.zeros(N_POINTS, bool)
    outliers[np.argsort(x)[:N_OUTLIERS]] = True
    y[outliers] += OUTLIER_SHIFT
    return x, y, outliers


def _design(x: np.ndarray) -> np.ndarray:
    return np.column_stack([x, np.ones_like(x)])


def gd_l2(
    x: np.ndarray,
    y: np.ndarray,
    *,
    start: tuple[float, float] = (0.0, 0.0),
    tol: float = 1e-10,
    max_iter: int = 100_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on the mean squared error ``mean((a x + b − y)²)``.

    The step is ``1 / L`` with ``L`` the largest eigenvalue of the (constant)
    Hessian ``(2/n) AᵀA``, ``A = [x, 1]``, which guarantees monotone descent.

    Returns
    -------
    theta : (2,) ndarray
        Final (slope, intercept).
    path : (iterations + 1, 2) ndarray
        Every iterate, starting point included.

    Examples
    --------
    >>> th, _ = gd_l2(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    >>> np.round(th, 6).tolist()
    [2.0, 1.0]
    """
    a = _design(x)
    n = len(y)
    step = 1.0 / np.linalg.eigvalsh(2.0 / n * a.T @ a)[-1]
    theta = np.asarray(start, float)
    path = [theta]
    for _ in range(max_iter):
        grad = 2.0 / n * a.T @ (a @ theta - y)
        theta = theta - step * grad
        path.append(theta)
        if np.linalg.norm(grad) < tol:
            break
    return theta, np.array(path)


def subgradient_l1(
    x: np.ndarray,
    y: np.ndarray,
    *,
    iters: int,
    start: tuple[float, float] = (0.0, 0.0),
    step0: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Subgradient descent on the mean absolute error ``mean(|a x + b − y|)``.

    The loss has kinks, so a fixed step cannot converge; the step length is
    ``step0 / √(k+1)`` along the normalised subgradient ``Aᵀ sign(r) / n``, and
    the best iterate seen is returned (the loss need not decrease every step).

    Returns
    -------
    best : (2,) ndarray
        Best (slope, intercept) seen.
    path : (iters + 1, 2) ndarray
        Every iterate.
    losses : (iters + 1,) ndarray
        Loss at every iterate.

    Examples
    --------
    >>> best, _, f = subgradient_l1(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]),
    ...                             iters=20000)
    >>> bool(f.min() < 1e-2)
    True
    """
    a = _design(x)
    n = len(y)
    theta = np.asarray(start, float)
    path, losses = [theta], [np.abs(a @ theta - y).mean()]
    for k in range(iters):
        g = a.T @ np.sign(a @ theta - y) / n
        norm = np.linalg.norm(g)
        if norm == 0.0:  # 0 is a subgradient: optimal
            break
        theta = theta - step0 / np.sqrt(k + 1.0) * g / norm
        path.append(theta)
        losses.append(np.abs(a @ theta - y).mean())
    path_arr, loss_arr = np.array(path), np.array(losses)
    return path_arr[np.argmin(loss_arr)], path_arr, loss_arr


def lad_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Exact least-absolute-deviations line as a linear program.

    Minimise ``Σ tᵢ`` over ``(a, b, t)`` subject to ``−tᵢ ≤ yᵢ − a xᵢ − b ≤ tᵢ``.

    Returns
    -------
    theta : (2,) ndarray
        (slope, intercept) of an optimal line.
    loss : float
        Optimal mean absolute error.

    Examples
    --------
    >>> th, f = lad_fit(np.array([0.0, 1.0, 2.0]), np.array([1.0, 3.0, 5.0]))
    >>> np.round(th, 9).tolist(), round(f, 9)
    ([2.0, 1.0], 0.0)
    """
    a = _design(x)
    n = len(y)
    eye = np.eye(n)
    res = linprog(
        np.r_[0.0, 0.0, np.ones(n)],
        A_ub=np.block([[a, -eye], [-a, -eye]]),
        b_ub=np.r_[y, -y],
        bounds=[(None, None)] * 2 + [(0, None)] * n,
        method="highs",
    )
    if not res.success:  # pragma: no cover - a feasible bounded LP
        raise RuntimeError(f"linprog failed: {res.message}")
    return res.x[:2], float(res.fun) / n


def lad_brute_force(x: np.ndarray, y: np.ndarray) -> float:
    """Optimal mean absolute error of a line, by trying every line through two data points.

    Some least-absolute-deviations line passes through at least two of the points (the
    LP's optimum is attained at a vertex), so the best of these ``n(n − 1)/2`` lines is
    optimal; no solver is involved.

    Examples
    --------
    >>> round(lad_brute_force(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0, 9.0])), 9)
    1.5
    """
    i, j = np.triu_indices(len(x), 1)
    keep = x[i] != x[j]
    i, j = i[keep], j[keep]
    slope = (y[j] - y[i]) / (x[j] - x[i])
    intercept = y[i] - slope * x[i]
    return float(np.abs(slope[:, None] * x + intercept[:, None] - y).mean(axis=1).min())


def _bumpy(t: np.ndarray | float) -> np.ndarray | float:
    """The post's 1-D non-convex example f(t) = sin(t/2) + 0.3 t + 0.01 t²."""
    return np.sin(0.5 * t) + 0.3 * t + 0.01 * t**2


def _bumpy_grad(t: float) -> float:
    return 0.5 * np.cos(0.5 * t) + 0.3 + 0.02 * t


def _downhill_minimum(f, t0: float, *, step: float = 1e-3, span: float = 40.0) -> float:
    """The local minimum of ``f`` reached by walking downhill from ``t0``, from values of
    ``f`` alone (no derivative): grid steps while ``f`` decreases, then Brent's bounded
    search on the last two cells.

    Examples
    --------
    >>> round(_downhill_minimum(lambda t: (t - 1.5) ** 2, 3.0), 6)
    1.5
    """
    direction = -1.0 if f(t0 - step) < f(t0) else 1.0
    grid = t0 + direction * step * np.arange(int(span / step) + 1)
    values = f(grid)
    rising = np.flatnonzero(np.diff(values) >= 0)
    if rising.size == 0:
        raise RuntimeError(f"no local minimum within {span} of t = {t0}")
    i = int(rising[0])  # values[i] is the lowest grid point before f rises
    lo, hi = sorted((grid[max(i - 1, 0)], grid[i + 1]))
    return float(minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12}).x)


def _post_claims(res: Result) -> dict:
    x, y = POST_DILATION, POST_READING_TIME
    a = _design(x)
    normal = np.linalg.solve(a.T @ a, a.T @ y)
    gd, _ = gd_l2(x, y)
    dots, line = np.array([2, 3, 4, 5, 6, 1]), np.arange(1, 7)
    slopes = np.array([10, 30, 50, 100, 200])
    sse = [float(((s * x - y) ** 2).sum()) for s in slopes]
    best_slope0 = float(x @ y / (x @ x))  # minimiser of the SSE with intercept fixed at 0
    # gradient descent on the bumpy function from t = 3 with a small fixed step
    t = 3.0
    bumpy_path = [t]
    for _ in range(2000):  # |f''| ≤ 0.27 < 2 / step, so a unit step is stable
        t -= 1.0 * _bumpy_grad(t)
        bumpy_path.append(t)
    grid = np.linspace(-30, 10, 400_001)
    t_glob = float(grid[np.argmin(_bumpy(grid))])
    t_glob = float(
        minimize_scalar(
            _bumpy,
            bounds=(t_glob - 0.01, t_glob + 0.01),
            method="bounded",
            options={"xatol": 1e-10},
        ).x
    )
    curv = -0.25 * np.sin(0.5 * t) + 0.02
    t_expected = _downhill_minimum(_bumpy, 3.0)
    res.claims += [
        Claim.close(
            "Normal equations on the post's table give its printed slope 106.68664055",
            POST_SKLEARN[0],
            normal[0],
            rtol=1e-9,
        ),
        Claim.close(
            "… and its printed intercept 15.649335484366574", POST_SKLEARN[1], normal[1], rtol=1e-9
        ),
        Claim.close(
            "Gradient descent (MSE) on the post's table reaches the same slope",
            normal[0],
            gd[0],
            rtol=1e-7,
        ),
        Claim.equal("Toy example: naive error sum is 0", 0, int((dots - line).sum())),
        Claim.equal("Toy example: L1 error is 10", 10, int(np.abs(dots - line).sum())),
        Claim.equal(
            "Toy example: sum of squared errors is 30", 30, int(((dots - line) ** 2).sum())
        ),
        Claim.true(
            "With intercept 0, the SSE falls from slope 10 to 100 and rises again "
            "by 200; the best slope lies between 100 and 200",
            bool(sse[0] > sse[1] > sse[2] > sse[3] < sse[4] and 100 < best_slope0 < 200),
            f"SSE at 10/30/50/100/200: {', '.join(f'{v:.0f}' for v in sse)}; "
            f"best slope Σxy/Σx² = {best_slope0:.2f}",
        ),
        Claim.close(
            "Correction: from t = 3, gradient descent on sin(t/2) + 0.3t + "
            "0.01t² moves LEFT (post: right) and stops at the first local minimum "
            "downhill, found from f alone (grid walk, then Brent); final t",
            t_expected,
            t,
            # a minimum located from function values alone is known to about √ε·|t|
            atol=1e-6,
            rtol=0.0,
            detail=f"|f'(t)| = {abs(_bumpy_grad(t)):.1e}, f''(t) = {curv:.3f} > 0",
        ),
        Claim.true(
            "That minimum is only local: f there exceeds the global minimum on "
            "[−30, 10], which lies at negative t (post: 'around 15', outside the "
            "plotted range)",
            bool(
                _bumpy(t) > _bumpy(t_glob)
                and t_glob < 0
                and curv > 0
                and abs(_bumpy_grad(t)) < 1e-8
            ),
            f"local min t = {t:.4f}, f = {_bumpy(t):.4f}; global min t = "
            f"{t_glob:.4f}, f = {_bumpy(t_glob):.4f}",
        ),
    ]
    res.table(
        "The post's numbers, recomputed",
        ["quantity", "post", "recomputed"],
        [
            ["slope (scikit-learn)", POST_SKLEARN[0], float(normal[0])],
            ["intercept (scikit-learn)", POST_SKLEARN[1], float(normal[1])],
            [
                "toy errors naive / L1 / L2",
                "0 / 10 / 30",
                (
                    f"{(dots - line).sum()} / {np.abs(dots - line).sum()} / "
                    f"{((dots - line) ** 2).sum()}"
                ),
            ],
            ["best slope with intercept 0", "between 100 and 200", best_slope0],
            ["local minimum reached from t = 3", "right of 3, near −5", t],
            ["global minimum on [−30, 10]", "around 15", t_glob],
        ],
    )
    return {"bumpy_path": np.array(bumpy_path), "t_local": t, "t_glob": t_glob}


def _loss_grid(x, y, slopes, intercepts, kind):
    a_, b_ = np.meshgrid(slopes, intercepts)
    r = a_[..., None] * x + b_[..., None] - y
    return (r**2).mean(-1) if kind == "l2" else np.abs(r).mean(-1)


def _figures(res, x, y, outliers, fits, paths, losses, optima, bumpy, quick):
    fig, (ax0, ax1) = new_figure(2, 1, width=5.2, height=4.0)
    xs = np.linspace(0.3, 1.0, 2)
    ax0.plot(x[~outliers], y[~outliers], "o", color="0.35", label="synthetic readers")
    ax0.plot(
        x[outliers],
        y[outliers],
        "x",
        color="crimson",
        ms=9,
        mew=2,
        label=f"outliers (+{OUTLIER_SHIFT:.0f} s)",
    )
    ax0.plot(xs, TRUE_SLOPE * xs + TRUE_INTERCEPT, "k:", label="generating line")
    ax0.plot(xs, fits["l2"][0] * xs + fits["l2"][1], "-", label="GD, L2 loss")
    ax0.plot(xs, fits["l1"][0] * xs + fits["l1"][1], "--", label="subgradient, L1 loss")
    ax0.set_xlabel("mean pupil dilation [mm] (fictitious)")
    ax0.set_ylabel("total reading time [s] (fictitious)")
    ax0.set_title("synthetic data and fitted lines")
    ax0.legend()
    a, b = np.polyfit(POST_DILATION, POST_READING_TIME, 1)
    ax1.plot(POST_DILATION, POST_READING_TIME, "o", color="0.35", label="post's table")
    ax1.plot(xs, a * xs + b, "-", label=f"least squares: {a:.2f} x + {b:.2f}")
    ax1.set_xlabel("mean pupil dilation [mm] (fictitious)")
    ax1.set_ylabel("total reading time [s] (fictitious)")
    ax1.set_title("the post's 14 training rows")
    ax1.legend()
    res.figure(
        "Left: synthetic data (generating line 107 x + 15.5, noise SD 7 s, the 4 "
        "lowest-dilation readers shifted by +45 s) with the L2 and L1 fits; the "
        "outliers tilt the L2 line more. Right: the post's table and its "
        "least-squares line.",
        fig,
    )

    fig, axes = new_figure(2, 1, width=5.2, height=4.2)
    n_grid = 120 if quick else 300
    slopes = np.linspace(-10, 140, n_grid)
    inters = np.linspace(-20, 110, n_grid)
    for ax, kind, name in zip(
        axes, ("l2", "l1"), ("mean squared error [s²]", "mean absolute error [s]")
    ):
        z = _loss_grid(x, y, slopes, inters, kind)
        levels = np.unique(np.quantile(z, np.linspace(0, 1, 25) ** 2))
        cs = ax.contour(slopes, inters, z, levels=levels, cmap="viridis", linewidths=0.8)
        cbar = fig.colorbar(cs, ax=ax, label=name)
        cbar.set_ticks(
            levels[::4], labels=[f"{v:.0f}" if v >= 100 else f"{v:.3g}" for v in levels[::4]]
        )
        p = paths[kind]
        ax.plot(p[:, 0], p[:, 1], "-", color="crimson", lw=1.2, label="descent path")
        ax.plot(*p[0], "o", color="crimson", label="start (0, 0)")
        ax.plot(*optima[kind], "*", color="k", ms=12, label="exact optimum")
        ax.set_xlabel("slope a [s/mm]")
        ax.set_ylabel("intercept b [s]")
        ax.set_title(
            "L2 loss, gradient descent" if kind == "l2" else "L1 loss, subgradient descent"
        )
        ax.legend(loc="upper right")
    res.figure(
        "Loss surfaces over (slope, intercept) with the descent paths. The L2 "
        "valley is long and narrow (Hessian condition number "
        f"{fits['kappa']:.0f}), so gradient descent first drops into the valley and "
        "then slides slowly along it.",
        fig,
    )

    fig, (ax0, ax1) = new_figure(2, 1, width=5.2, height=3.8)
    gap2 = np.maximum(losses["l2"] - fits["l2_opt"], 1e-16)
    gap1 = np.maximum(np.minimum.accumulate(losses["l1"]) - fits["l1_opt"], 1e-16)
    ax0.loglog(np.arange(1, len(gap2) + 1), gap2, label="GD, L2 (MSE)")
    ax0.loglog(np.arange(1, len(gap1) + 1), gap1, label="subgradient, L1 (best so far)")
    ax0.set_xlabel("iteration + 1")
    ax0.set_ylabel("loss − optimum (s² for L2, s for L1)")
    ax0.set_title("convergence")
    ax0.legend()
    t = np.linspace(-30, 10, 800)
    ax1.plot(t, _bumpy(t), "-", label="f(t) = sin(t/2) + 0.3t + 0.01t²")
    bp = bumpy["bumpy_path"]
    ax1.plot(
        bp[:40],
        _bumpy(bp[:40]),
        ".-",
        color="crimson",
        lw=0.8,
        ms=6,
        label="GD from t = 3 (step 1)",
    )
    ax1.plot(
        bumpy["t_local"],
        _bumpy(bumpy["t_local"]),
        "o",
        color="crimson",
        mfc="none",
        ms=10,
        label=f"local min t ≈ {bumpy['t_local']:.2f}",
    )
    ax1.plot(
        bumpy["t_glob"],
        _bumpy(bumpy["t_glob"]),
        "*",
        color="k",
        ms=12,
        label=f"global min t ≈ {bumpy['t_glob']:.2f}",
    )
    ax1.set_xlabel("parameter t (dimensionless)")
    ax1.set_ylabel("f(t) (dimensionless)")
    ax1.set_title("a non-convex loss: GD stops locally")
    ax1.legend(fontsize=9)
    res.figure(
        "Left: loss minus optimum against iteration (linear rate for the smooth "
        "L2 loss, slow ~1/√k for the L1 subgradient method). Right: the post's "
        "one-dimensional non-convex example; gradient descent from t = 3 walks "
        "left into the local minimum.",
        fig,
    )


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Fit lines by gradient descent with L2 and L1 losses and check them.

    Parameters
    ----------
    quick : bool
        Fewer subgradient iterations and coarser contour grids.
    seed : int
        Seed of the synthetic data.
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
    res = Result("linear_regression", TITLE, summary=SUMMARY)
    bumpy = _post_claims(res)

    x, y, outliers = synthetic_data(seed)
    a = _design(x)
    normal = np.linalg.solve(a.T @ a, a.T @ y)
    poly = np.polyfit(x, y, 1)
    gd, gd_path = gd_l2(x, y)
    l2_losses = ((gd_path @ a.T - y) ** 2).mean(-1)
    l2_opt = float(((a @ normal - y) ** 2).mean())
    iters = 20_000 if quick else 100_000
    l1_best, l1_path, l1_losses = subgradient_l1(x, y, iters=iters)
    lad, lad_opt = lad_fit(x, y)
    brute = lad_brute_force(x, y)
    h_eig = np.linalg.eigvalsh(2.0 / len(y) * a.T @ a)
    kappa = h_eig[-1] / h_eig[0]
    res.claims += [
        Claim.close("GD on the MSE reaches numpy.polyfit's slope", poly[0], gd[0], rtol=1e-7),
        Claim.close("GD on the MSE reaches numpy.polyfit's intercept", poly[1], gd[1], rtol=1e-7),
        Claim.close(
            "Normal equations agree with numpy.polyfit (slope)", poly[0], normal[0], rtol=1e-10
        ),
        Claim.close(
            "The LAD optimum from linprog equals the best line through two data points "
            f"(all {N_POINTS * (N_POINTS - 1) // 2} pairs tried; an optimal LAD line "
            "passes through two points): MAE in s",
            brute,
            lad_opt,
            rtol=1e-9,
        ),
        Claim.close(
            f"Subgradient descent on the MAE ({iters} steps) reaches that optimum to "
            "1e-4 (relative): best MAE in s",
            brute,
            float(l1_losses.min()),
            rtol=1e-4,
            detail=(
                f"best MAE − optimum = {l1_losses.min() - brute:.2e} s (an iterate below "
                "the optimum would fail this claim too)"
            ),
        ),
        Claim.true(
            "Outliers pull the L2 slope further from the generating slope 107 than the L1 slope",
            abs(gd[0] - TRUE_SLOPE) > abs(l1_best[0] - TRUE_SLOPE),
            f"L2 slope {gd[0]:.2f}, L1 slope {l1_best[0]:.2f}, LAD slope {lad[0]:.2f}",
        ),
    ]
    res.table(
        f"Synthetic data (seed {seed}): fitted slope and intercept",
        ["method", "slope a [s/mm]", "intercept b [s]", "loss at fit", "iterations"],
        [
            ["generating model", TRUE_SLOPE, TRUE_INTERCEPT, "—", "—"],
            ["normal equations (L2)", normal[0], normal[1], l2_opt, "—"],
            ["numpy.polyfit (L2)", poly[0], poly[1], l2_opt, "—"],
            ["gradient descent (L2)", gd[0], gd[1], float(l2_losses[-1]), len(gd_path) - 1],
            ["linprog LAD (L1)", lad[0], lad[1], lad_opt, "—"],
            ["subgradient descent (L1)", l1_best[0], l1_best[1], float(l1_losses.min()), iters],
        ],
    )
    res.text.append(
        f"Synthetic data: {N_POINTS} readers, dilation x uniform on {X_RANGE} mm, reading "
        f"time y = {TRUE_SLOPE:g}·x + {TRUE_INTERCEPT:g} + N(0, {NOISE_SD:g}²) s. Then the "
        f"{N_OUTLIERS} smallest-x readers get +{OUTLIER_SHIFT:g} s. The numbers follow "
        "the post's table, which has slope 106.7, intercept 15.6 and residual SD 7.8 s. "
        "Gradient descent uses the step 1/L, where L is the largest Hessian eigenvalue, "
        "and starts from (0, 0). The subgradient method uses normalised steps of length "
        "1/√(k+1)."
    )
    res.text.append(
        "Slips in the post besides the local-minimum example: one passage calls the "
        "intercept A and the slope b, but its model y = Ax + b has them the other way "
        "round. It also calls the sum of squared errors the L2 norm of ε, when it is the "
        "square of that norm. The minimiser is the same, but the value is not."
    )
    _figures(
        res,
        x,
        y,
        outliers,
        {"l2": gd, "l1": l1_best, "kappa": kappa, "l2_opt": l2_opt, "l1_opt": lad_opt},
        {"l2": gd_path, "l1": l1_path},
        {"l2": l2_losses, "l1": l1_losses},
        {"l2": normal, "l1": lad},
        bumpy,
        quick,
    )
    return res
