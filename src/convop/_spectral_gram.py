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

from ._spectral_core import Spec, blocks, symbol_parts

U64 = 2.0 ** -53
_RAYLEIGH_COUNT = 16
_BLOCK_FROM = 2      # Gram step from which the deflated bound is worth its matvecs


# -- per-frequency Gram matrices ------------------------------------------------------------
def _fine_freqs(n: int, s: int, eta: np.ndarray) -> np.ndarray:
    return (np.arange(s)[:, None] * (n // s) + eta[None, :]).ravel()


def gram_blocks(spec: Spec, offsets: tuple[int, ...], grid: tuple[int, ...],
                half: bool) -> tuple[np.ndarray, np.ndarray, float]:
    """``(Re G, Im G, eps0)``: per output frequency and group the smaller Gram matrix of
    the block ``M(η)`` (``(F, q, q)``, Hermitian PSD) and a bound on ``‖G − G_exact‖₂``.

    For small kernels ``M Mᴴ`` is formed without the blocks, as the DFT of the
    spatial autocorrelation ``K[δ] = Σ_{c,j} w[:, c, j] w[:, c, j−δ]ᴴ`` averaged over the
    ``S`` aliases: ``(1/S) Σ_t Â(ω_t)Â(ω_t)ᴴ`` — (2k−1)^d taps instead of ``F`` products.
    """
    w = np.asarray(spec.weight)
    g = spec.groups
    co, cig = w.shape[:2]
    cog = co // g
    ks = spec.kshape
    kt = prod(ks)
    ssum = prod(spec.stride)
    d = len(grid)
    nfine = prod(grid)
    wabs = float(np.abs(w).sum(axis=tuple(range(2, w.ndim))).__pow__(2).sum()) if w.size else 0.0
    # ‖|W||W|ᴴ‖_F-type bound on the accumulated products; generous constant
    length = cig * kt + prod(2 * k - 1 for k in ks) + 64
    eps0 = 8.0 * length * U64 * kt * max(wabs, 0.0)
    use_in = ssum == 1 and cig < cog           # Aᴴ A is smaller (stride 1 only)
    spatial = kt * kt <= max(nfine, 1) and (ssum == 1 or cog <= ssum * cig)
    if not spatial:
        b = blocks(spec, offsets, grid, half=half)            # (E, g, p, q)
        b = b.reshape((-1,) + b.shape[2:])
        if b.shape[1] <= b.shape[2]:
            gm = b @ np.conj(np.swapaxes(b, -1, -2))
        else:
            gm = np.conj(np.swapaxes(b, -1, -2)) @ b
        return np.ascontiguousarray(gm.real), np.ascontiguousarray(gm.imag), eps0
    # taps as rows: (g, cog, cig, kt) -> per group (cog*kt, cig)
    wg = w.reshape((g, cog, cig, kt))
    if use_in:
        # transpose layer V[c, o, j] = conj(W[o, c, j]) at frequency −ω
        wg = np.conj(np.swapaxes(wg, 1, 2))
        p, r = cig, cog
    else:
        p, r = cog, cig
    rows = np.ascontiguousarray(np.swapaxes(wg, 2, 3)).reshape(g, p * kt, r)
    mm = rows @ np.conj(np.swapaxes(rows, -1, -2))            # (g, p*kt, p*kt)
    mm = mm.reshape(g, p, kt, p, kt)
    # K[δ] with δ = j − j' per axis in [-(k−1), k−1]
    kk = np.zeros((g, p, p) + tuple(2 * k - 1 for k in ks), dtype=mm.dtype)
    taps = np.array(np.unravel_index(np.arange(kt), ks)).T if kt else np.zeros((0, d), int)
    for a in range(kt):
        for b2 in range(kt):
            delta = tuple(int(x) for x in taps[a] - taps[b2] + np.array(ks) - 1)
            kk[(slice(None), slice(None), slice(None)) + delta] += mm[:, :, a, :, b2]
    kk = kk.reshape((g * p, p) + kk.shape[3:])
    axes = []
    shape_e = []
    for a, (n, s, dl, k) in enumerate(zip(grid, spec.stride, spec.dilation, ks)):
        eta = np.arange((n // s) // 2 + 1 if (half and a == d - 1) else n // s)
        f = _fine_freqs(n, s, eta)
        if use_in:
            f = (-f) % n
        axes.append((f, dl * (np.arange(2 * k - 1) - (k - 1)), n))
        shape_e += [s, eta.size]
    hr, hi = symbol_parts(kk, axes)                            # (s1*e1.., g*p, p)
    shp = tuple(shape_e) + (g, p, p)
    if ssum > 1:                                               # alias average
        ax = tuple(2 * a for a in range(d))
        hr, hi = hr.reshape(shp).mean(axis=ax), hi.reshape(shp).mean(axis=ax)
    return hr.reshape((-1, p, p)), hi.reshape((-1, p, p)), eps0


# -- Gram iteration with pruning ------------------------------------------------------------
def _recursion(rs: list[np.ndarray], top: np.ndarray, q: int, u: float) -> np.ndarray:
    """Upper bound of σ₁(G_0) from the scales ``r_t`` and an upper bound ``top`` of
    σ₁(G_T) (module docstring)."""
    eps_mm = 8.0 * (q + 4) * u
    b = top
    for r in reversed(rs):
        b = r * (np.sqrt(b + eps_mm) + 2.0 * u) * (1.0 + 4.0 * u)
    return b


def _block_bound(x: np.ndarray, y: np.ndarray, fro: np.ndarray, q: int,
                 u: float) -> np.ndarray:
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
        return (np.einsum("fij,fj->fi", x, a) - np.einsum("fij,fj->fi", y, b),
                np.einsum("fij,fj->fi", x, b) + np.einsum("fij,fj->fi", y, a))

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
    f = np.sqrt(np.maximum(fro * fro * (1 + slack) - th_lo ** 2 - 2 * rho_lo ** 2, 0.0)
                + slack * fro)
    lam = 0.5 * (th_up + f) + np.sqrt(0.25 * (th_up - f) ** 2 + rho_up ** 2)
    return np.maximum(lam, eps_mm) + eps_mm


def _fro(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    f = x.shape[0]
    xr, yr = x.reshape(f, -1), y.reshape(f, -1)
    return np.sqrt(np.einsum("fi,fi->f", xr, xr) + np.einsum("fi,fi->f", yr, yr))


def _gram_step(x: np.ndarray, y: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``NᴴN`` for ``N = (X + iY)/r`` in real BLAS: ``(XᵀX + YᵀY + i(XᵀY − YᵀX))/r²``.

    Four real products on transposed views (no copies); σ₁(NᴴN) = σ₁(N)² holds for any
    N, so the iterates need not be exactly Hermitian. The scale is applied to the
    result (one pass) — entries stay below ``r²`` so nothing overflows.
    """
    xt, yt = np.swapaxes(x, -1, -2), np.swapaxes(y, -1, -2)
    re = np.matmul(xt, x)
    tmp = np.matmul(yt, y)
    re += tmp
    im = np.matmul(xt, y)
    np.matmul(yt, x, out=tmp)
    im -= tmp
    scale = (1.0 / (r * r))[:, None, None]
    re *= scale
    im *= scale
    return re, im


def gram_bracket(g_re: np.ndarray, g_im: np.ndarray, eps0: float, *, tol: float,
                 max_iter: int) -> tuple[float, float, int, dict[str, Any]]:
    """Certified ``(lower, upper)`` of ``max_f √λ_max(G0[f])`` by pruned Gram iteration.

    Lower bounds are Rayleigh quotients ``xᴴ G0 x / xᴴx − (ε0 + rounding)`` (valid for
    any x); upper bounds come from :func:`_recursion`. Frequencies whose upper bound
    falls below the best lower bound are dropped, so late iterations run on a few
    frequencies only. Iterates are kept as (real, imaginary) pairs.
    """
    nf, q, _ = g_re.shape
    x0 = g_re + np.swapaxes(g_re, -1, -2)
    x0 *= 0.5
    y0 = g_im - np.swapaxes(g_im, -1, -2)
    y0 *= 0.5
    eps0 = 2.0 * eps0                                   # symmetrisation
    fro0 = _fro(x0, y0)
    ropad = 4.0 * (q + 2) * U64

    def rayleigh(idx: np.ndarray, vec: np.ndarray) -> np.ndarray:
        # vᴴ G v for G = X + iY (X sym., Y antisym.), v = a + ib: aᵀXa + bᵀXb − 2aᵀYb
        a, b = vec.real, vec.imag
        xa, xb, yb = x0[idx] @ a, x0[idx] @ b, y0[idx] @ b
        num = (np.einsum("fio,fio->f", a, xa) + np.einsum("fio,fio->f", b, xb)
               - 2.0 * np.einsum("fio,fio->f", a, yb))
        den = np.einsum("fio,fio->f", a, a) + np.einsum("fio,fio->f", b, b)
        lam = num / np.maximum(den, 1e-300) - eps0 - ropad * fro0[idx]
        return np.sqrt(np.maximum(lam, 0.0))

    # basis vectors: the largest diagonal entry is a Rayleigh quotient
    diag = np.einsum("fii->fi", x0) if nf else np.zeros((0, q))
    lower_f = np.sqrt(np.maximum(diag.max(axis=1) - eps0 - ropad * fro0, 0.0)) \
        if nf else np.zeros(0)
    done = np.zeros(nf, dtype=bool)

    def refine(sel: np.ndarray) -> None:
        # top eigenvectors (LAPACK) of a few candidate frequencies, certified as Rayleigh
        # quotients of G_0: near-exact lower bounds, so pruning starts early
        sel = sel[~done[sel]]
        if sel.size:
            _, vecs = np.linalg.eigh(x0[sel] + 1j * y0[sel])
            lower_f[sel] = np.maximum(lower_f[sel], rayleigh(sel, vecs[:, :, -1:]))
            done[sel] = True

    if nf:
        refine(np.argsort(fro0)[-_RAYLEIGH_COUNT:])
    lower = float(lower_f.max()) if nf else 0.0
    upper_f = np.sqrt(fro0 * (1.0 + 4.0 * q * U64) + eps0)
    active = np.flatnonzero(upper_f >= lower)
    xt, yt = x0[active], y0[active]
    rs: list[np.ndarray] = []
    it = 0
    history = []
    while True:
        upper = float(max(upper_f[active].max() if active.size else 0.0, lower))
        history.append((it, int(active.size), lower, upper))
        stalled = len(history) > 3 and history[-4][2:] == history[-1][2:]
        if upper - lower <= tol * upper or it >= max_iter or active.size == 0 or stalled:
            break
        r = _fro(xt, yt)
        r = np.where(r > 0, r, 1.0)
        xt, yt = _gram_step(xt, yt, r)
        rs.append(r)
        it += 1
        fro = _fro(xt, yt)
        top = fro * (1.0 + 4.0 * q * U64)
        if it >= _BLOCK_FROM:
            top = np.minimum(top, _block_bound(xt, yt, fro, q, U64))
        b0 = _recursion(rs, top, q, U64)
        new_up = np.sqrt(b0 + eps0) * (1.0 + 2.0 * U64)
        upper_f[active] = np.minimum(upper_f[active], new_up)
        refine(active[np.argsort(upper_f[active])[-_RAYLEIGH_COUNT:]])
        lower = float(lower_f.max())
        keep = upper_f[active] >= lower
        if not keep.all():
            active = active[keep]
            xt, yt = xt[keep], yt[keep]
            rs = [rr[keep] for rr in rs]
    best = int(np.argmax(lower_f)) if nf else 0
    return lower, upper, it, {"history": history, "best_frequency": best}


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


def power_lower(op: Any, spec: Spec | None, *, tol: float, max_iter: int,
                rng: np.random.Generator, x0: np.ndarray | None = None
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
        new = np.sqrt(nz)          # ‖AᴴA x‖ with ‖x‖ = 1: → σ₁²
        x = z / nz
        if abs(new - est) <= tol * new:
            est = new
            break
        est = new
    return _certify(op, x, spec), it


def top_input_vector(spec: Spec, grid: tuple[int, ...], half: bool, flat: int,
                     real: bool) -> np.ndarray:
    """Top right singular vector of the embedding circulant, restricted to the input.

    ``flat`` indexes the output frequency (and group) of :func:`gram_blocks`; the
    block ``M(η)``'s top right singular vector ``v`` (entries ``(t, c)``) gives the
    circulant's ``z[c, p] = Σ_t v[t, c] exp(2πi ω_t·p/N)``, read back at the extended
    position of every input sample (its first copy).
    """
    g = spec.groups
    eshape = tuple((n // s) // 2 + 1 if (half and a == len(grid) - 1) else n // s
                   for a, (n, s) in enumerate(zip(grid, spec.stride)))
    e_flat, grp = divmod(flat, g)
    eta = np.unravel_index(e_flat, eshape)
    w = np.asarray(spec.weight)
    co, cig = w.shape[:2]
    axes = [(np.arange(s) * (n // s) + e, dl * np.arange(k), n)
            for n, s, e, dl, k in zip(grid, spec.stride, eta, spec.dilation, spec.kshape)]
    sym = symbol_parts(w, axes)
    blk = (sym[0] + 1j * sym[1]).reshape((-1, g, co // g, cig))[:, grp]   # (S, cog, cig)
    m = np.concatenate(list(blk), axis=1) if blk.shape[0] > 1 else blk[0]
    _, _, vh = np.linalg.svd(m)
    v = np.conj(vh[0]).reshape(-1, cig)                                   # (S, cig)
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
        phase = sum((ti * (n // s) + e) * mm / n
                    for ti, n, s, e, mm in zip(tt, grid, spec.stride, eta, mesh))
        wave = np.exp(2j * np.pi * phase) * np.all([mm >= 0 for mm in mesh], axis=0)
        x[grp * cig:(grp + 1) * cig] += v[t][(slice(None),) + (None,) * len(grid)] * wave
    x = x.real if real else x
    nrm = np.linalg.norm(x)
    return x / nrm if nrm > 0 else x


def lanczos_lower(op: Any, spec: Spec | None, *, tol: float, max_iter: int,
                  rng: np.random.Generator, x0: np.ndarray | None = None
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
        _, vec = spla.eigsh(lin, k=1, which="LA", v0=v0, tol=max(tol / 10, 1e-12),
                            maxiter=max_iter, ncv=min(n - 1, 12))
        x = vec[:, 0].reshape(shp)
    except spla.ArpackNoConvergence as exc:   # pragma: no cover - rare
        if exc.eigenvectors is None or exc.eigenvectors.shape[1] == 0:
            return power_lower(op, spec, tol=tol, max_iter=max_iter, rng=rng)
        x = exc.eigenvectors[:, 0].reshape(shp)
    except spla.ArpackError:                   # e.g. AᴴA v0 = 0 (a zero operator)
        return power_lower(op, spec, tol=tol, max_iter=max_iter, rng=rng)
    return _certify(op, x, spec), count[0]


# -- certificate by Cholesky ----------------------------------------------------------------
_CANDIDATES = 8
_LANCZOS_STEPS = 10


def _lanczos_top(g: np.ndarray, k: int) -> np.ndarray:
    """Batched Lanczos (full reorthogonalisation): top Ritz vector of every ``g[f]``.

    Ranks the frequencies far better than power steps at the same number of
    matrix-vector products (Chebyshev-accelerated convergence).
    """
    nf, q, _ = g.shape
    cn = np.einsum("fij,fij->fj", g.conj(), g).real
    v = g[np.arange(nf), :, np.argmax(cn, axis=1)]
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
    basis = np.zeros((nf, q, k), dtype=g.dtype)
    alpha = np.zeros((nf, k))
    beta = np.zeros((nf, k))
    steps = k
    for j in range(k):
        basis[:, :, j] = v
        w = np.einsum("fij,fj->fi", g, v)
        alpha[:, j] = np.einsum("fi,fi->f", v.conj(), w).real
        b = basis[:, :, :j + 1]
        w -= np.matmul(b, np.matmul(np.conj(np.swapaxes(b, 1, 2)), w[:, :, None]))[:, :, 0]
        nrm = np.linalg.norm(w, axis=1)
        beta[:, j] = nrm
        if j + 1 < k and not np.any(nrm > 1e-12 * np.maximum(np.abs(alpha[:, j]), 1e-300)):
            steps = j + 1
            break
        v = w / np.where(nrm > 0, nrm, 1.0)[:, None]
    t = np.zeros((nf, steps, steps))
    idx = np.arange(steps)
    t[:, idx, idx] = alpha[:, :steps]
    t[:, idx[:-1], idx[1:]] = beta[:, :steps - 1]
    t[:, idx[1:], idx[:-1]] = beta[:, :steps - 1]
    _, y = np.linalg.eigh(t)
    return np.matmul(basis[:, :, :steps], y[:, :, -1:].astype(g.dtype))[:, :, 0]


def _hermitian(g_re: np.ndarray, g_im: np.ndarray) -> np.ndarray:
    """The Hermitian part of ``g_re + i g_im`` as one complex array (few temporaries)."""
    g = np.empty(g_re.shape, dtype=np.result_type(g_re.dtype, np.complex64))
    np.add(g_re, np.swapaxes(g_re, -1, -2), out=g.real)
    np.subtract(g_im, np.swapaxes(g_im, -1, -2), out=g.imag)
    g *= 0.5
    return g


def _rayleigh_lower(g: np.ndarray, vec: np.ndarray, eps0: float) -> np.ndarray:
    """Certified lower bounds of λ_max(G_exact[f]) from vectors ``vec`` (F, q)."""
    gv = np.einsum("fij,fj->fi", g, vec)
    num = np.einsum("fi,fi->f", vec.conj(), gv).real
    den = np.einsum("fi,fi->f", vec.conj(), vec).real
    fro = np.sqrt(np.einsum("fij,fij->f", g.real, g.real) + np.einsum("fij,fij->f", g.imag,
                                                                     g.imag))
    q = g.shape[-1]
    return num / np.maximum(den, 1e-300) - eps0 - 4.0 * (q + 2) * U64 * fro


def _not_definite(h: np.ndarray) -> np.ndarray:
    """Indices f where the Cholesky factorisation of ``h[f]`` fails (recursive halving:
    one batched call when all succeed)."""
    try:
        np.linalg.cholesky(h)
        return np.zeros(0, dtype=int)
    except np.linalg.LinAlgError:
        if h.shape[0] == 1:
            return np.zeros(1, dtype=int)
    mid = h.shape[0] // 2
    return np.concatenate([_not_definite(h[:mid]), mid + _not_definite(h[mid:])])


def cholesky_bracket(g_re: np.ndarray, g_im: np.ndarray, eps0: float, *, tol: float,
                     max_rounds: int = 12) -> tuple[float, float, dict[str, Any]] | None:
    """Certified ``(lower, upper)`` of ``max_f √λ_max(G[f])`` by a Cholesky certificate.

    Lower: a few batched power steps rank the frequencies; LAPACK eigenvectors of the
    best candidates give Rayleigh quotients (valid lower bounds for any vector).
    Upper: with ``c = (lower·(1 + tol/2))²``, a successful Cholesky factorisation of
    ``c I − G[f]`` for every f proves ``λ_max(G[f]) ≤ c`` up to rounding: the computed
    factor satisfies ``RᴴR = H + ΔH`` with ``|ΔH| ≤ γ |Rᴴ||R|`` (Higham, *Accuracy and
    Stability of Numerical Algorithms*, Thm 10.3), so ``λ_min(H) ≥ −γ tr(H)``; the
    returned bound adds that, the rounding of forming H and the error ``eps0`` of G.
    Frequencies where the factorisation fails hold a larger eigenvalue: their
    eigenvectors raise the lower bound and the certificate is tried again. One
    factorisation costs about a sixth of a Gram step. Returns ``None`` if the
    certificate has not closed after ``max_rounds`` (the caller falls back to Gram).
    """
    g = _hermitian(g_re, g_im)
    nf, q, _ = g.shape
    if nf == 0 or (eps0 == 0.0 and not np.any(g)):
        return 0.0, 0.0, {"frequencies": nf, "best_frequency": 0}
    eps0 = 2.0 * eps0
    v = _lanczos_top(g, min(_LANCZOS_STEPS, q))
    est = _rayleigh_lower(g, v, eps0)
    best = [max(float(est.max()), 0.0), int(np.argmax(est))]
    checked = np.zeros(nf, dtype=bool)

    def refine(sel: np.ndarray) -> None:
        sel = sel[~checked[sel]]
        if sel.size:
            checked[sel] = True
            _, vecs = np.linalg.eigh(g[sel])
            lam = _rayleigh_lower(g[sel], vecs[:, :, -1], eps0)
            if lam.max() > best[0]:
                best[:] = [float(lam.max()), int(sel[np.argmax(lam)])]

    refine(np.argsort(est)[-_CANDIDATES:])
    gamma = 8.0 * (q + 2) * U64
    diag_g = float(np.max(np.abs(np.einsum("fii->fi", g).real)))
    idx = np.arange(q)
    widen = 1.0
    for rounds in range(1, max_rounds + 1):
        lower = float(np.sqrt(best[0]))
        c = (lower * (1.0 + 0.5 * tol * widen)) ** 2
        if c <= 0.0:
            c = diag_g * (1.0 + tol) + np.finfo(float).tiny
        h = -g
        h[:, idx, idx] += c
        bad = _not_definite(h)
        if bad.size == 0:
            trace_h = float(np.max(np.einsum("fii->f", h).real))
            lam_up = (c + gamma * abs(trace_h) * (1.0 + gamma) + 2.0 * U64 * (c + diag_g)
                      + eps0)
            upper = float(np.sqrt(lam_up) * (1.0 + 2.0 * U64))
            return lower, upper, {"frequencies": nf, "certificate_rounds": rounds,
                                  "eigh_frequencies": int(checked.sum()),
                                  "best_frequency": best[1]}
        if checked[bad].all():
            widen *= 4.0  # c sits inside the rounding margin of known frequencies
        refine(bad)
    return None
