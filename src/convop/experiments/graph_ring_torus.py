"""Ring and torus: the graph Laplacian is a circulant / BCCB convolution, and the DFT is
its graph Fourier transform.

Examples
--------
>>> from convop.experiments import graph_ring_torus as m
>>> bool(m.dft_offdiagonal(8) < 1e-12)
True
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import scipy.linalg
from matplotlib import colors as mcolors
from matplotlib.cm import ScalarMappable
from matplotlib.figure import Figure
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from convop.experiments._report import FIGURE_RC, new_figure
from convop.experiments._result import Claim, Result
from convop.graph import LAPLACIANS, Graph, heat, ring, torus, torus_mesh

__all__ = ["SUMMARY", "TITLE", "dft_offdiagonal", "draw_mesh", "run"]

TITLE = "Ring and torus: the graph Laplacian is a periodic convolution"
SUMMARY = (
    "The seed derives the DFT as the eigenbasis of the cycle-graph Laplacian. We check "
    "it and go one step further: on a ring, a periodic grid (torus) or a triangulated "
    "torus mesh, every Laplacian (combinatorial, normalized, random-walk) is exactly a "
    "periodic convop.Convolution (circulant in 1-D, BCCB in 2-D), so its eigenvalues are "
    "Convolution.eigvals() of the stencil (one FFT) and the graph Fourier transform runs "
    "by FFT. Two statements of the seed are sharpened: the DFT matrix and the eigenvector "
    "matrix returned by eigh are not 'identical': each frequency k ≠ 0, n/2 has a "
    "two-dimensional eigenspace (λ_k = λ_{n−k}), inside which eigh returns an arbitrary "
    "rotation of cos/sin; only the eigenspace projectors coincide. And the cycle graph's "
    "Laplacian equals the 1-D second difference only in its combinatorial form; the "
    "normalized Laplacian that the seed then adopts is half of it."
)


def dft_offdiagonal(n: int) -> float:
    """Largest off-diagonal entry of ``F L F*`` for the unitary DFT ``F`` and ring Laplacian."""
    F = np.fft.fft(np.eye(n), norm="ortho")
    D = F @ ring(n).laplacian().toarray() @ F.conj().T
    return float(np.max(np.abs(D - np.diag(np.diag(D)))))


def draw_mesh(ax: Any, G: Graph, values: np.ndarray, *, cmap: str = "coolwarm", norm: Any = None):
    """Colour the faces of a mesh graph by the mean vertex value; returns the mappable."""
    v = np.asarray(values, dtype=float)
    faces = G.faces
    norm = norm or mcolors.Normalize(vmin=float(v.min()), vmax=float(v.max()))
    cm = matplotlib.colormaps[cmap]
    poly = Poly3DCollection(G.coords[faces], facecolors=cm(norm(v[faces].mean(1))), linewidths=0)
    ax.add_collection3d(poly)
    lim = float(np.abs(G.coords).max())
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_zlim(-lim / 2, lim / 2)
    ax.set_box_aspect((1, 1, 0.5))
    ax.set_axis_off()
    return ScalarMappable(norm=norm, cmap=cm)


def _edge_roughness(G: Graph, x: np.ndarray) -> float:
    """RMS difference across edges over RMS value: ~0 for smooth, ~2 for alternating."""
    coo = G.adjacency.tocoo()
    return float(np.sqrt(np.mean((x[coo.row] - x[coo.col]) ** 2)) / np.sqrt(np.mean(x**2)))


def _time(f: Any, repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Check the ring / torus equivalences and draw low / high modes on the torus mesh.

    Parameters
    ----------
    quick : bool
        Smaller ring, torus and mesh.
    seed : int
        Seed of the random test signals.
    out_dir : Path, optional
        Unused (no files written).

    Examples
    --------
    >>> run(quick=True).passed
    True
    """
    res = Result("graph_ring_torus", TITLE, summary=SUMMARY)
    rng = np.random.default_rng(seed)
    n = 16 if quick else 64

    # --- ring: the DFT diagonalises the Laplacian; eigenvalues = eigvals() of [-1, 2, -1]
    R = ring(n)
    C = R.as_convolution()
    lam_dense = scipy.linalg.eigvalsh(R.laplacian().toarray())
    lam_conv = np.sort(C.eigvals().real)
    lam_formula = np.sort(4 * np.sin(np.pi * np.arange(n) / n) ** 2)
    _, U = scipy.linalg.eigh(R.laplacian().toarray())
    F = np.fft.fft(np.eye(n), norm="ortho")
    lam_k = 4 * np.sin(np.pi * np.arange(n) / n) ** 2  # eigenvalue of DFT frequency k
    order = np.argsort(lam_k, kind="stable")
    # distance of each eigh column to ± the real DFT cosine of the same rank
    cosines = [F[k].real * np.sqrt(2.0 if 0 < k < n / 2 else 1.0) for k in order]
    col_gap = max(
        min(np.linalg.norm(U[:, i] - sgn * cosines[i]) for sgn in (1, -1)) for i in range(n)
    )
    proj_gap = 0.0
    for lam in np.unique(np.round(lam_dense, 10)):
        P_eigh = U[:, np.abs(lam_dense - lam) < 1e-8] @ U[:, np.abs(lam_dense - lam) < 1e-8].T
        ks = np.flatnonzero(np.abs(lam_k - lam) < 1e-8)
        P_dft = (F[ks].conj().T @ F[ks]).real
        proj_gap = max(proj_gap, float(np.max(np.abs(P_eigh - P_dft))))
    norm_vs_comb = float(
        np.max(np.abs(R.laplacian("normalized").toarray() - R.laplacian().toarray() / 2))
    )
    res.claims += [
        Claim.at_most(
            f"The unitary DFT diagonalises the ring Laplacian (n = {n}): "
            "max |off-diagonal of F L F*|",
            1e-12,
            dft_offdiagonal(n),
        ),
        Claim.at_most(
            "Ring eigenvalues: dense eigvalsh = Convolution([-1, 2, -1], periodic).eigvals() "
            "(max gap)",
            1e-12,
            float(np.max(np.abs(lam_dense - lam_conv))),
        ),
        Claim.at_most(
            "… = 4 sin²(πk/n), the seed's closed form (max gap)",
            1e-12,
            float(np.max(np.abs(lam_formula - lam_conv))),
        ),
        Claim.at_least(
            "Seed slip: eigh's eigenvectors are NOT the DFT's cosines column by column "
            "(largest distance of a column to ±its cosine, up to sign)",
            0.1,
            col_gap,
            detail="λ_k = λ_{n−k}: eigh may return any rotation inside each 2-D eigenspace",
        ),
        Claim.at_most(
            "… but every eigenspace projector of eigh equals the DFT's (max entry gap)",
            1e-10,
            proj_gap,
        ),
        Claim.at_most(
            "Seed slip: the cycle graph's normalized Laplacian is half the 1-D second "
            "difference, not equal to it: max |L_norm − L/2|",
            1e-15,
            norm_vs_comb,
        ),
    ]

    # --- torus and torus mesh: every Laplacian kind is a BCCB convolution
    shapes = [
        ("torus", torus(6, 8) if quick else torus(16, 20)),
        ("torus mesh", torus_mesh(12, 6) if quick else torus_mesh(32, 14)),
    ]
    rows = []
    worst = 0.0
    worst_eig = 0.0
    for name, G in shapes:
        for kind in LAPLACIANS:
            conv = G.as_convolution(kind)
            L = G.laplacian(kind).toarray()
            gap = float(np.max(np.abs(conv.to_dense() - L)))
            sym = G.laplacian("normalized" if kind == "random-walk" else kind).toarray()
            egap = float(
                np.max(np.abs(np.sort(conv.eigvals().real.ravel()) - scipy.linalg.eigvalsh(sym)))
            )
            worst, worst_eig = max(worst, gap), max(worst_eig, egap)
            rows.append([name, G.n_nodes, kind, conv.structure, conv.kernel.shape, gap, egap])
    res.table(
        "Every Laplacian of a periodic-grid graph is a periodic Convolution",
        ["graph", "N", "kind", "structure", "kernel", "max |C − L|", "max |eig gap|"],
        rows,
    )
    res.claims += [
        Claim.at_most(
            "Torus and torus mesh: Convolution matrix = Laplacian, all 3 kinds (max entry gap)",
            1e-14,
            worst,
        ),
        Claim.at_most(
            "… and eigvals() (FFT of the stencil) = dense eigvalsh (max gap)", 1e-11, worst_eig
        ),
    ]

    # --- FFT route vs dense eigenbasis on the mesh: same GFT energies, same filter
    M = torus_mesh(24, 12) if quick else torus_mesh(48, 20)
    x = rng.standard_normal(M.n_nodes)
    t_fft = _time(lambda: M.gft(x))
    perm = rng.permutation(M.n_nodes)  # shuffled numbering: no periodic grid left to detect
    dense = Graph(M.adjacency.toarray()[np.ix_(perm, perm)])
    t_eigh = _time(lambda: scipy.linalg.eigh(dense.laplacian().toarray()), repeat=1)
    y_fft = M.filter(x, heat(0.5), "exact")
    y_eigh = dense.filter(x[perm], heat(0.5), "exact")[np.argsort(perm)]
    res.claims += [
        Claim.true(
            "The mesh (in grid order) is detected as shift-invariant; a copy with shuffled "
            "vertex numbers is not, and goes through eigh",
            M.circulant_shape is not None
            and dense.circulant_shape is None
            and M.filter_operator(heat(0.5)).method == "fft",
            f"circulant_shape={M.circulant_shape}",
        ),
        Claim.at_most(
            "Heat filter e^{−0.5L}x by FFT = by the dense eigenbasis (max gap)",
            1e-11,
            float(np.max(np.abs(y_fft - y_eigh))),
        ),
    ]
    res.table(
        "Cost of the graph Fourier transform on the torus mesh",
        ["N", "GFT by FFT [s]", "eigh alone [s]", "ratio"],
        [[M.n_nodes, t_fft, t_eigh, t_eigh / t_fft]],
    )

    # --- low and high modes on the mesh, drawn as coloured surfaces
    e, Ub = M.fourier_basis()
    low, high = Ub[:, 1], Ub[:, -1]
    r_low, r_high = _edge_roughness(M, low), _edge_roughness(M, high)
    res.claims += [
        Claim.at_most("The first non-constant mode is smooth (edge RMS / value RMS)", 0.5, r_low),
        Claim.at_least(
            "The highest mode oscillates across edges (edge RMS / value RMS; √3 is the most "
            "a triangulated mesh allows, 2 needs a bipartite graph)",
            1.5,
            r_high,
        ),
    ]
    with matplotlib.rc_context(FIGURE_RC):
        fig = Figure(figsize=(11, 4.2), layout="constrained")
        for i, (vec, title) in enumerate(
            [(low, f"low: mode 2, λ = {e[1]:.3f}"), (high, f"high: mode N, λ = {e[-1]:.3f}")]
        ):
            ax = fig.add_subplot(1, 2, i + 1, projection="3d")
            lim = float(np.abs(vec).max())
            sm = draw_mesh(ax, M, vec, norm=mcolors.Normalize(-lim, lim))
            ax.set_title(title)
            fig.colorbar(sm, ax=ax, shrink=0.6, label="mode value")
    res.figure("Low- and high-frequency Laplacian modes on the torus mesh (combinatorial L)", fig)

    fig2, ax2 = new_figure()
    ax2.plot(lam_formula, "o", ms=4, label="4 sin²(πk/n), sorted")
    ax2.plot(lam_conv, "-", lw=1, label="Convolution.eigvals()")
    ax2.set_xlabel("index")
    ax2.set_ylabel("eigenvalue")
    ax2.legend()
    res.figure(f"Ring spectrum (n = {n}): closed form and FFT of the stencil", fig2)
    return res
