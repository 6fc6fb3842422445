"""Private: certified spectral-norm brackets (Gram iteration, power iteration, Lanczos).

Gram iteration (Delattre, Barthélemy, Araujo & Allauzen, ICML 2023): with
``G_{t+1} = N_tᴴ N_t``, ``N_t = G_t / r_t``, ``r_t = ‖G_t‖_F`` one has
``σ₁(G_t) = r_t σ₁(N_t)`` and ``σ₁(N_t)² = σ₁(G_{t+1})``, and ``σ₁(G_T) ≤ ‖G_T‖_F``,
so ``σ₁(G_0) ≤ (‖G_T‖_F)^{1/2^T} Π r_t^{…}``, an upper bound that converges
super-linearly. Here the bound is evaluated by the backward recursion

    B_T ≥ σ₁(G_T),   B_t = r_t (√(B_{t+1} + ε_mm) + 2u)(1 + 4u),

which also absorbs the rounding of every product (``ε_mm = 8(q + 4)u`` bounds
``‖fl(NᴴN) − NᴴN‖₂`` for ``‖N‖_F ≤ 1``), so the returned bound is certified in
floating point. ``B_T`` is ``‖G_T‖_F(1 + 4qu)`` or, from the second step on, the
smaller deflated bound of :func:`_block_bound`. ``G_0`` is the per-frequency Gram
matrix ``M Mᴴ`` (or ``MᴴM``) of the circulant blocks, with an a-priori error bound
``ε_0``. Frequencies are pruned as soon as their upper bound drops below the best
certified lower bound (Rayleigh quotients of ``G_0`` with LAPACK eigenvectors of a
few candidate frequencies), so only the first two steps touch every frequency.
"""

from __future__ import annotations

from math import log2, prod
from typing import Any

import numpy as np

from convop._core.threads import map_slices
from convop.spectral._stack import GramStack
from convop.spectral._symbol import Spec, symbol_parts

U64 = 2.0**-53
U32 = 2.0**-24
_SCREEN_UNTIL = 32  # float32 Gram steps while more frequencies than this compete
_SCREEN_STEPS = 6
_SCREEN_CHUNK_BYTES = 2 << 20  # per fused chunk: 64 stacked 64×64 iterates
_RAYLEIGH_COUNT = 4  # candidate frequencies given an eigendecomposition at the start
_RAYLEIGH_STEP = 2  # ... and after every Gram step (the largest upper bounds)
_BLOCK_FROM = 2  # Gram step from which the deflated bound is worth its matvecs


# -- Gram iteration with pruning ------------------------------------------------------------
def _recursion(rs: list[np.ndarray], top: np.ndarray, q: int, u: float) -> np.ndarray:
    """Upper bound of σ₁(G_0) from the scales ``r_t`` and an upper bound ``top`` of
    σ₁(G_T) (module docstring)."""
    eps_mm = 8.0 * (q + 4) * u
    b = top
    for r in reversed(rs):
        b = r * (np.sqrt(b + eps_mm) + 2.0 * u) * (1.0 + 4.0 * u)
    return b


def _block_bound(x: np.ndarray, y: np.ndarray, fro: np.ndarray, q: int, u: float) -> np.ndarray:
    """Upper bound of σ₁(G) for nearly Hermitian PSD ``G = X + iY`` (a Gram iterate).

    With a unit vector ``v`` (one power step from G's largest column), θ = vᴴGv and
    ρ = ‖Gv − θv‖, and ``f = ‖G₂₂‖_F = √(‖G‖_F² − θ² − 2ρ²)`` the Frobenius norm of G
    compressed to v^⊥: ``λ_max(G) ≤ (θ + f)/2 + √(((θ − f)/2)² + ρ²)`` (the 2×2 matrix of
    block norms). Far tighter than ‖G‖_F once one eigenvalue dominates, since the top
    eigenvalue no longer counts in f. Rounding: every quantity gets a slack of
    ``32 q u ‖G‖_F`` (and the skew part of G, ≤ ε_mm, is added at the end).
    """
    cn = np.einsum("fij,fij->fj", x, x) + np.einsum("fij,fij->fj", y, y)
    col = np.argmax(cn, axis=1)
    idx = np.arange(x.shape[0])
    a, b = x[idx, :, col], y[idx, :, col]

    def mv(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.einsum("fij,fj->fi", x, a) - np.einsum("fij,fj->fi", y, b),
            np.einsum("fij,fj->fi", x, b) + np.einsum("fij,fj->fi", y, a),
        )

    a, b = mv(a, b)
    nrm = np.sqrt(np.einsum("fi,fi->f", a, a) + np.einsum("fi,fi->f", b, b))
    nrm = np.where(nrm > 0, nrm, 1.0)
    a, b = a / nrm[:, None], b / nrm[:, None]
    ga, gb = mv(a, b)
    theta = np.einsum("fi,fi->f", a, ga) + np.einsum("fi,fi->f", b, gb)
    ra, rb = ga - theta[:, None] * a, gb - theta[:, None] * b
    rho = np.sqrt(np.einsum("fi,fi->f", ra, ra) + np.einsum("fi,fi->f", rb, rb))
    slack = 32.0 * q * u * fro
    eps_mm = 8.0 * (q + 4) * u
    th_lo, th_up = np.maximum(theta - slack, 0.0), theta + slack
    rho_lo, rho_up = np.maximum(rho - slack - eps_mm, 0.0), rho + slack + eps_mm
    f = np.sqrt(np.maximum(fro * fro * (1 + slack) - th_lo**2 - 2 * rho_lo**2, 0.0) + slack * fro)
    lam = 0.5 * (th_up + f) + np.sqrt(0.25 * (th_up - f) ** 2 + rho_up**2)
    return np.maximum(lam, eps_mm) + eps_mm


def _sumsq(x: np.ndarray) -> np.ndarray:
    """Row sums of squares of a stack, as float64 (BLAS dot products per matrix)."""
    r = x.reshape(x.shape[0], -1)
    return np.matmul(r[:, None, :], r[:, :, None])[:, 0, 0].astype(np.float64)


def _fro(z: np.ndarray) -> np.ndarray:
    """Upper bound of ``‖X + iY‖_F`` per matrix of a stacked iterate ``z = [X; Y]``:
    the computed sum of ``n`` squares is within ``γ_n`` (relative) of the exact one,
    all terms being non-negative."""
    n = z[0].size if z.shape[0] else 0
    u = float(np.finfo(z.dtype).eps) / 2
    return np.sqrt(_sumsq(z) * (1.0 + 2.0 * n * u))


def _stacked(re: np.ndarray, im: np.ndarray) -> np.ndarray:
    """The iterate layout ``[X; Y]`` (``(n, 2q, q)``) of ``G = X + iY``."""
    return np.concatenate((re, im), axis=1)


def _gram_step(z: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``NᴴN`` for ``N = (X + iY)/r``, ``z = [X; Y]``, in real BLAS, and (bounds of)
    the Frobenius norms of the result.

    ``Re = XᵀX + YᵀY = zᵀz`` is one product with inner dimension ``2q`` and
    ``Im = XᵀY − YᵀX = P − Pᵀ`` with ``P = XᵀY``: two products instead of four, on
    transposed views, so fewer BLAS calls and passes over the stack. σ₁(NᴴN) = σ₁(N)²
    holds for any N, so the iterates need not be exactly Hermitian. The scale is
    applied to the result (one pass) — entries stay below ``r²`` so nothing overflows.
    The stack is split over the worker threads.
    """
    q = z.shape[-1]
    out = np.empty_like(z)
    fro = np.empty(z.shape[0])

    def part(s: slice) -> None:
        zs, o = z[s], out[s]
        np.matmul(np.swapaxes(zs, -1, -2), zs, out=o[:, :q])
        p = np.matmul(np.swapaxes(zs[:, :q], -1, -2), zs[:, q:])
        np.subtract(p, np.swapaxes(p, -1, -2), out=o[:, q:])
        o *= (1.0 / (r[s] * r[s])).astype(z.dtype)[:, None, None]
        fro[s] = _fro(o)

    map_slices(part, z.shape[0])
    return out, fro


def _step_bound(
    z: np.ndarray, fro: np.ndarray, rs: list[np.ndarray], it: int, eps: np.ndarray | float, u: float
) -> np.ndarray:
    """Certified upper bound of ``σ₁`` per frequency after ``it`` Gram steps done in a
    precision with unit roundoff ``u`` (``eps`` bounds the error of the start; ``fro``
    bounds ``‖G_it‖_F``)."""
    q = z.shape[-1]
    top = fro
    if it >= _BLOCK_FROM:
        top = np.minimum(top, _block_bound(z[:, :q], z[:, q:], fro, q, u))
    b0 = _recursion(rs, top, q, u)
    return np.sqrt(b0 + eps) * (1.0 + 2.0 * u)


def _screen(
    stack: GramStack, eps: float, steps: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """The first ``steps`` float32 Gram steps on every frequency, fused per chunk.

    Each worker thread forms a few frequencies of ``G0`` (in float32, from the stack),
    runs all steps on them while they sit in cache and evaluates their bounds, so
    the full stack crosses memory once. Returns the iterates, their Frobenius bounds,
    the scales ``r_t`` and the certified upper bounds of σ₁.
    """
    nf, q = stack.count, stack.q
    zs = np.empty((nf, 2 * q, q), dtype=np.float32)
    fro, bound = np.empty(nf), np.empty(nf)
    rs = [np.empty(nf) for _ in range(steps)]

    chunk = max(1, _SCREEN_CHUNK_BYTES // (8 * q * q))  # [X; Y] in float32

    def part(share: slice) -> None:
        for a in range(share.start, share.stop, chunk):
            s = slice(a, min(a + chunk, share.stop))
            z = _stacked(*stack.parts(s, np.float32))
            f = _fro(z)
            scales = []
            for t in range(steps):
                r = np.where(f > 0, f, 1.0)
                z, f = _gram_step(z, r)
                scales.append(r)
                rs[t][s] = r
            zs[s], fro[s] = z, f
            bound[s] = _step_bound(z, f, scales, steps, eps, U32)

    map_slices(part, nf)
    return zs, fro, rs, bound


def gram_bracket(
    stack: GramStack, *, tol: float, max_iter: int
) -> tuple[float, float, int, dict[str, Any]]:
    """Certified ``(lower, upper)`` of ``max_f √λ_max(G0[f])`` by pruned Gram iteration.

    Lower bounds are Rayleigh quotients ``xᴴ G0 x / xᴴx − (ε0 + rounding)`` (valid for
    any x); upper bounds come from :func:`_recursion`. Frequencies whose upper bound
    falls below the best lower bound are dropped, so late iterations run on a few
    frequencies only. While many frequencies are left the steps run in float32
    (screening: their bounds are certified with float32's roundoff, ~1e-5 relative,
    ample to drop every frequency that is not within that of the top); the survivors
    then restart from ``G0`` in float64 for the final bracket. Iterates are kept as
    (real, imaginary) pairs; σ₁(NᴴN) = σ₁(N)² for any N, so ``G0`` is used as formed
    (nearly Hermitian) and only the Rayleigh quotients take its Hermitian part.
    """
    nf, q = stack.count, stack.q
    eps0 = 2.0 * stack.eps0  # generous
    ropad = 4.0 * (q + 2) * U64
    lower_f = np.zeros(nf)
    upper_f = np.full(nf, np.inf)
    done = np.zeros(nf, dtype=bool)

    def refine(sel: np.ndarray) -> None:
        # top eigenvectors (LAPACK) of a few candidate frequencies, certified as Rayleigh
        # quotients of G_0: near-exact lower bounds, so pruning starts early
        sel = sel[~done[sel]]
        if sel.size:
            done[sel] = True
            lower_f[sel] = np.sqrt(np.maximum(top_rayleigh(stack, sel, eps0), 0.0))

    if nf:
        diag = stack.diagonals().max(axis=1)
        lower_f[:] = np.sqrt(np.maximum(diag - 2.0 * eps0 - ropad * np.abs(diag) * q, 0.0))
        refine(np.argsort(stack.fro_estimate())[-_RAYLEIGH_COUNT:])
    lower = float(lower_f.max()) if nf else 0.0
    active = np.arange(nf)
    history: list[tuple[int, int, float, float]] = []

    def prune(*stacks: Any) -> list[Any]:
        nonlocal active, lower
        finite = active[np.isfinite(upper_f[active])]
        refine(finite[np.argsort(upper_f[finite])[-_RAYLEIGH_STEP:]])
        lower = float(lower_f.max())
        keep = upper_f[active] >= lower
        if keep.all():
            return list(stacks)
        active = active[keep]
        return [[s[keep] for s in st] if isinstance(st, list) else st[keep] for st in stacks]

    def advance(
        zt: np.ndarray, fro: np.ndarray, rs: list[np.ndarray], it: int, eps: Any, u: float
    ) -> list[Any]:
        # one Gram step on the active frequencies, their bounds after ``it`` steps, pruning
        r = np.where(fro > 0, fro, 1.0)
        zt, fro = _gram_step(zt, r)
        rs.append(r)
        upper_f[active] = np.minimum(upper_f[active], _step_bound(zt, fro, rs, it, eps, u))
        return prune(zt, fro, rs)

    def record(step: int) -> float:
        upper = float(max(upper_f[active].max() if active.size else 0.0, lower))
        history.append((step, int(active.size), lower, upper))
        return upper

    # float32 screening while many frequencies compete
    screened = 0
    if nf > _SCREEN_UNTIL and max_iter > 1:
        eps = stack.error(np.float32) * 2.0
        zt, fro, rs, bound = _screen(stack, eps, _BLOCK_FROM)
        screened = _BLOCK_FROM
        upper_f[:] = np.minimum(upper_f, bound)
        zt, fro, rs = prune(zt, fro, rs)
        record(screened)
        while active.size > _SCREEN_UNTIL and screened < _SCREEN_STEPS:
            screened += 1
            before = active.size
            zt, fro, rs = advance(zt, fro, rs, screened, eps, U32)
            record(screened)
            if active.size == before and screened >= _BLOCK_FROM:
                break  # float32 cannot separate them
        del zt
    # float64 Gram iteration on the survivors
    zt = _stacked(*stack.parts(active))
    fro = _fro(zt)
    upper_f[active] = np.minimum(upper_f[active], np.sqrt(fro + eps0))
    rs = []
    it = 0
    start = len(history)
    while True:
        upper = record(screened + it)
        # no progress in three float64 steps (the float32 bounds count as none)
        stalled = len(history) - start > 3 and history[-4][2:] == history[-1][2:]
        if upper - lower <= tol * upper or it >= max_iter or active.size == 0 or stalled:
            break
        it += 1
        zt, fro, rs = advance(zt, fro, rs, it, eps0, U64)
    best = int(np.argmax(lower_f)) if nf else 0
    return lower, upper, it, {"history": history, "best_frequency": best, "float32_steps": screened}


def top_rayleigh(stack: GramStack, sel: np.ndarray, eps0: float) -> np.ndarray:
    """Certified lower bounds of ``λ_max(G_exact[f])``, ``f`` in ``sel``: Rayleigh
    quotients of the top LAPACK eigenvectors of the Hermitian part of the computed
    ``G[f]``, minus ``eps0`` (its distance to the exact G) and their rounding."""
    re, im = stack.parts(sel)
    g = np.empty(re.shape, dtype=np.complex128)
    np.add(re, np.swapaxes(re, -1, -2), out=g.real)
    np.subtract(im, np.swapaxes(im, -1, -2), out=g.imag)
    g *= 0.5
    _, vecs = np.linalg.eigh(g)
    v = vecs[:, :, -1]
    gv = np.einsum("fij,fj->fi", g, v)
    num = np.einsum("fi,fi->f", v.conj(), gv).real
    den = np.einsum("fi,fi->f", v.conj(), v).real
    fro = np.sqrt(np.einsum("fij,fij->f", g.real, g.real) + np.einsum("fij,fij->f", g.imag, g.imag))
    q = g.shape[-1]
    return num / np.maximum(den, 1e-300) - eps0 - 4.0 * (q + 2) * U64 * fro


# -- iterative lower bounds on any operator -------------------------------------------------
def _margin(spec: Spec | None) -> float:
    if spec is None:
        return 1e-12
    w = np.asarray(spec.weight)
    length = w[0].size + 16
    return 64.0 * length * U64 * log2(prod(spec.n) + 2)


def _unit_random(shape: tuple[int, ...], rng: np.random.Generator, cplx: bool) -> np.ndarray:
    x = rng.standard_normal(shape)
    if cplx:
        x = x + 1j * rng.standard_normal(shape)
    return x / np.linalg.norm(x)


def _certify(op: Any, x: np.ndarray, spec: Spec | None) -> float:
    """‖A x‖/‖x‖ minus a rounding margin: a certified lower bound of ‖A‖."""
    y = op.apply(x)
    nx = float(np.linalg.norm(x))
    if nx == 0.0:
        return 0.0
    w = np.abs(np.asarray(spec.weight)).sum() if spec is not None else 0.0
    return max(0.0, float(np.linalg.norm(y)) / nx - _margin(spec) * float(w))


def power_lower(
    op: Any,
    spec: Spec | None,
    *,
    tol: float,
    max_iter: int,
    rng: np.random.Generator,
    x0: np.ndarray | None = None,
) -> tuple[float, int]:
    """Power iteration on AᴴA with ``apply``/``adjoint``; certified lower bound."""
    cplx = np.dtype(op.dtype).kind == "c"
    x = x0 if x0 is not None else _unit_random(op.input_shape, rng, cplx)
    x = x.astype(np.complex128 if cplx else np.float64)
    est = 0.0
    it = 0
    for it in range(1, max_iter + 1):
        z = op.adjoint(op.apply(x))
        nz = float(np.linalg.norm(z))
        if nz == 0.0:
            return 0.0, it
        new = np.sqrt(nz)  # ‖AᴴA x‖ with ‖x‖ = 1: → σ₁²
        x = z / nz
        if abs(new - est) <= tol * new:
            est = new
            break
        est = new
    return _certify(op, x, spec), it


def top_input_vector(
    spec: Spec, grid: tuple[int, ...], half: bool, flat: int, real: bool
) -> np.ndarray:
    """Top right singular vector of the embedding circulant, restricted to the input.

    ``flat`` indexes the output frequency (and group) of :func:`gram_blocks`; the
    block ``M(η)``'s top right singular vector ``v`` (entries ``(t, c)``) gives the
    circulant's ``z[c, p] = Σ_t v[t, c] exp(2πi ω_t·p/N)``, read back at the extended
    position of every input sample (its first copy).
    """
    g = spec.groups
    eshape = tuple(
        (n // s) // 2 + 1 if (half and a == len(grid) - 1) else n // s
        for a, (n, s) in enumerate(zip(grid, spec.stride))
    )
    e_flat, grp = divmod(flat, g)
    eta = np.unravel_index(e_flat, eshape)
    w = np.asarray(spec.weight)
    co, cig = w.shape[:2]
    axes = [
        (np.arange(s) * (n // s) + e, dl * np.arange(k), n)
        for n, s, e, dl, k in zip(grid, spec.stride, eta, spec.dilation, spec.kshape)
    ]
    sym = symbol_parts(w, axes)
    blk = (sym[0] + 1j * sym[1]).reshape((-1, g, co // g, cig))[:, grp]  # (S, cog, cig)
    m = np.concatenate(list(blk), axis=1) if blk.shape[0] > 1 else blk[0]
    _, _, vh = np.linalg.svd(m)
    v = np.conj(vh[0]).reshape(-1, cig)  # (S, cig)
    x = np.zeros((spec.c_in,) + spec.n, dtype=np.complex128)
    pos = []
    for idx, n in zip(spec.index, spec.n):
        first = np.full(n, -1)
        for p in range(idx.size - 1, -1, -1):
            if idx[p] >= 0:
                first[idx[p]] = p
        pos.append(first)
    mesh = np.meshgrid(*pos, indexing="ij")
    for t, tt in enumerate(np.ndindex(*spec.stride)):
        phase = sum(
            (ti * (n // s) + e) * mm / n
            for ti, n, s, e, mm in zip(tt, grid, spec.stride, eta, mesh)
        )
        wave = np.exp(2j * np.pi * phase) * np.all([mm >= 0 for mm in mesh], axis=0)
        x[grp * cig : (grp + 1) * cig] += v[t][(slice(None),) + (None,) * len(grid)] * wave
    x = x.real if real else x
    nrm = np.linalg.norm(x)
    return x / nrm if nrm > 0 else x


def lanczos_lower(
    op: Any,
    spec: Spec | None,
    *,
    tol: float,
    max_iter: int,
    rng: np.random.Generator,
    x0: np.ndarray | None = None,
) -> tuple[float, int]:
    """Top eigenvector of AᴴA by ARPACK (Lanczos), certified as ‖A v‖/‖v‖."""
    import scipy.sparse.linalg as spla

    n = op.shape[1]
    if n < 3:
        return power_lower(op, spec, tol=tol, max_iter=max_iter, rng=rng)
    cplx = np.dtype(op.dtype).kind == "c"
    dt = np.complex128 if cplx else np.float64
    shp = op.input_shape
    count = [0]

    def mv(v: np.ndarray) -> np.ndarray:
        count[0] += 1
        return op.adjoint(op.apply(np.asarray(v, dtype=dt).reshape(shp))).reshape(-1)

    lin = spla.LinearOperator((n, n), matvec=mv, dtype=dt)
    v0 = _unit_random((n,), rng, cplx)
    if x0 is not None and np.linalg.norm(x0) > 0:
        v0 = np.asarray(x0, dtype=dt).reshape(-1) + 1e-3 * v0
    try:
        _, vec = spla.eigsh(
            lin,
            k=1,
            which="LA",
            v0=v0,
            tol=max(tol / 10, 1e-12),
            maxiter=max_iter,
            ncv=min(n - 1, 12),
        )
        x = vec[:, 0].reshape(shp)
    except spla.ArpackNoConvergence as exc:  # pragma: no cover - rare
        if exc.eigenvectors is None or exc.eigenvectors.shape[1] == 0:
            return power_lower(op, spec, tol=tol, max_iter=max_iter, rng=rng)
        x = exc.eigenvectors[:, 0].reshape(shp)
    except spla.ArpackError:  # e.g. AᴴA v0 = 0 (a zero operator)
        return power_lower(op, spec, tol=tol, max_iter=max_iter, rng=rng)
    return _certify(op, x, spec), count[0]
