"""``Graph``: an immutable, validated weighted graph with its Laplacians and spectra."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.operator import Operator
from convop.graph import _circulant
from convop.graph._adjacency import as_adjacency
from convop.graph._filters import (
    chebyshev_apply,
    chebyshev_coefficients,
    chebyshev_error_bound,
    check_lmax,
    check_order,
    evaluate,
)

if TYPE_CHECKING:
    from convop._operators.convolution import Convolution

__all__ = ["Graph", "GraphFilter", "LAPLACIANS"]

#: Laplacian kinds accepted by every method taking ``kind``
LAPLACIANS = ("combinatorial", "normalized", "random-walk")
LMAX_METHODS = ("lanczos", "exact", "bound")
FILTER_METHODS = ("auto", "exact", "chebyshev")
#: largest graph whose full eigendecomposition is computed on request
MAX_DENSE = 12_000
#: graphs up to this size use dense ``eigh`` for ``lmax(method="exact")`` / ``auto`` filters
SMALL = 1_000


def _kind(kind: Any) -> str:
    if isinstance(kind, str) and kind in LAPLACIANS:
        return kind
    raise invalid("kind", kind, LAPLACIANS)


def _frozen(mat: sp.csr_array) -> sp.csr_array:
    for arr in (mat.data, mat.indices, mat.indptr):
        arr.setflags(write=False)
    return mat


class Graph:
    r"""A weighted graph on ``N`` nodes, validated once and then immutable.

    Parameters
    ----------
    adjacency : (N, N) array_like or scipy.sparse matrix
        Edge weights ``A[i, j] >= 0`` (finite). Stored as a read-only CSR array
        (float32 stays float32, other dtypes become float64).
    directed : bool
        Allow an asymmetric ``adjacency``. Spectral methods (``lmax``,
        ``fourier_basis``, ``gft``, ``filter``) need an undirected graph.
    coords : (N, d) array_like, optional
        Vertex positions (for sampling and drawing).

    Raises
    ------
    ConvopValueError
        Non-square, NaN / inf or negative weights, asymmetric without ``directed=True``,
        or ``coords`` of the wrong shape.

    Notes
    -----
    Laplacians (``kind``):

    * ``combinatorial``: :math:`L = D - A` (self-loops cancel);
    * ``normalized``: :math:`I - D^{-1/2} A D^{-1/2}` with self-loops counted in
      ``A`` and ``D``; an isolated node gets a zero row (as
      ``scipy.sparse.csgraph.laplacian(normed=True)``); spectrum in ``[0, 2]``;
    * ``random-walk``: :math:`I - D^{-1} A` (same spectrum as ``normalized``).

    Self-loops and isolated nodes are allowed and reported (``repr``,
    :attr:`has_self_loops`, :attr:`isolated`).

    Examples
    --------
    >>> import numpy as np
    >>> G = Graph(np.array([[0, 1, 0], [1, 0, 2], [0, 2, 0]]))
    >>> G
    <Graph: 3 nodes, 2 edges, undirected, weighted>
    >>> G.laplacian().toarray().tolist()
    [[1.0, -1.0, 0.0], [-1.0, 3.0, -2.0], [0.0, -2.0, 2.0]]
    """

    def __init__(self, adjacency: Any, *, directed: bool = False, coords: Any = None) -> None:
        if isinstance(adjacency, Graph):
            adjacency = adjacency.adjacency
        self._directed = bool(directed)
        self._A = _frozen(as_adjacency(adjacency, symmetric=not self._directed))
        n = self._A.shape[0]
        if n == 0:
            raise ConvopValueError("adjacency must have at least one node; got shape (0, 0)")
        self._coords = None
        if coords is not None:
            c = np.array(coords, dtype=float)
            if c.ndim != 2 or c.shape[0] != n or not np.all(np.isfinite(c)):
                raise ConvopValueError(
                    f"coords must be a finite (N, d) array with N={n}; got shape {c.shape}"
                )
            c.setflags(write=False)
            self._coords = c
        self._faces: np.ndarray | None = None
        self._circ: _circulant.Circulant | None | bool = False  # False: not looked at yet
        self._cache: dict[Any, Any] = {}

    # -- description -----------------------------------------------------------------
    @property
    def adjacency(self) -> sp.csr_array:
        """The (read-only) CSR adjacency."""
        return self._A

    @property
    def n_nodes(self) -> int:
        """Number of nodes ``N``."""
        return self._A.shape[0]

    N = n_nodes

    @property
    def n_edges(self) -> int:
        """Number of edges (an undirected edge, or a self-loop, counts once)."""
        if self._directed:
            return int(self._A.nnz)
        loops = int(np.count_nonzero(self._A.diagonal()))
        return (self._A.nnz - loops) // 2 + loops

    @property
    def directed(self) -> bool:
        return self._directed

    @property
    def coords(self) -> np.ndarray | None:
        """Vertex coordinates ``(N, d)`` or None (read-only)."""
        return self._coords

    @property
    def faces(self) -> np.ndarray | None:
        """Triangles ``(F, 3)`` of a mesh graph (:func:`torus_mesh`), else None."""
        return self._faces

    @property
    def degrees(self) -> np.ndarray:
        """Weighted (out-)degrees, self-loops included."""
        if "deg" not in self._cache:
            d = np.asarray(self._A.sum(axis=1)).ravel()
            d.setflags(write=False)
            self._cache["deg"] = d
        return self._cache["deg"]

    @property
    def has_self_loops(self) -> bool:
        return bool(np.any(self._A.diagonal() != 0))

    @property
    def isolated(self) -> np.ndarray:
        """Indices of nodes without any edge to another node."""
        off = self._A - sp.diags_array(self._A.diagonal())
        touched = (np.diff(sp.csr_array(off).indptr) > 0) | (np.diff(off.tocsc().indptr) > 0)
        return np.flatnonzero(~touched)

    @property
    def is_weighted(self) -> bool:
        return bool(self._A.nnz) and not bool(np.all(self._A.data == 1))

    def __repr__(self) -> str:
        parts = [
            f"{self.n_nodes} nodes",
            f"{self.n_edges} edges",
            "directed" if self._directed else "undirected",
            "weighted" if self.is_weighted else "unweighted",
        ]
        if self.has_self_loops:
            parts.append(f"{int(np.count_nonzero(self._A.diagonal()))} self-loops")
        iso = self.isolated
        if len(iso):
            parts.append(f"{len(iso)} isolated node{'s' if len(iso) > 1 else ''}")
        return f"<Graph: {', '.join(parts)}>"

    # -- Laplacians ------------------------------------------------------------------
    def laplacian(self, kind: str = "combinatorial") -> sp.csr_array:
        """The Laplacian of the given ``kind`` as a read-only CSR array (cached).

        Parameters
        ----------
        kind : {'combinatorial', 'normalized', 'random-walk'}

        Examples
        --------
        >>> from convop.graph import ring
        >>> ring(4).laplacian("normalized").toarray()[0].tolist()
        [1.0, -0.5, 0.0, -0.5]
        """
        kind = _kind(kind)
        key = ("L", kind)
        if key in self._cache:
            return self._cache[key]
        A, dt = self._A, self._A.dtype
        d = self.degrees

        if kind == "combinatorial":
            L = sp.diags_array(d.astype(dt)) - A
        else:
            if kind == "normalized" and self._directed:
                raise ConvopValueError(
                    "kind='normalized' needs an undirected graph; use 'random-walk' or "
                    "'combinatorial' for a directed one"
                )
            pos = d > 0
            inv = np.zeros_like(d)
            if kind == "normalized":
                # a_ij / sqrt(d_i d_j) in one rounding, so regular graphs give exact 1/deg
                coo = sp.coo_array(A)
                vals = coo.data / np.sqrt(d[coo.row] * d[coo.col])
                S = sp.csr_array((vals.astype(dt), (coo.row, coo.col)), shape=A.shape)
                L = sp.diags_array(pos.astype(dt)) - S
            else:
                inv[pos] = 1 / d[pos]
                L = sp.diags_array(pos.astype(dt)) - sp.diags_array(inv.astype(dt)) @ A
        L = sp.csr_array(L).astype(dt, copy=False)
        L.eliminate_zeros()
        L.sort_indices()
        self._cache[key] = _frozen(L)
        return self._cache[key]

    def _symmetric_kind(self, kind: str) -> str:
        """Kind whose matrix is symmetric and has the same spectrum (random-walk ~ normalized)."""
        if self._directed:
            raise ConvopValueError(
                "spectral methods need an undirected graph; this one is directed=True"
            )
        return "normalized" if kind == "random-walk" else kind

    def _sym_to_kind(self, kind: str, x: np.ndarray, forward: bool) -> np.ndarray:
        """Change of variables between the normalized and random-walk eigenbases:
        ``L_rw = D^{-1/2} L_n D^{1/2}``, so ``g(L_rw) = D^{-1/2} g(L_n) D^{1/2}``."""
        if kind != "random-walk":
            return x
        d = self.degrees
        s = np.where(d > 0, np.sqrt(np.where(d > 0, d, 1)), 1.0).astype(x.real.dtype)
        s = s if forward else 1 / s
        return x * s.reshape((-1,) + (1,) * (x.ndim - 1))

    # -- circulant structure ---------------------------------------------------------
    @property
    def circulant_shape(self) -> tuple[int, ...] | None:
        """Grid shape when the graph is shift-invariant on a periodic grid in its own vertex
        numbering (ring: ``(N,)``, torus / torus mesh: ``(n, m)``), else None.

        Known from the constructor (:func:`ring`, :func:`torus`, :func:`torus_mesh`) or
        detected once from the adjacency (1-D and every 2-D factorisation of ``N``).
        """
        c = self._circulant()
        return None if c is None else c.shape

    def _circulant(self) -> _circulant.Circulant | None:
        if self._circ is False:
            c = None if self._directed else _circulant.detect(self._A)
            self._circ = c if (c is not None and c.fits_kernel()) else None
        return self._circ  # type: ignore[return-value]

    def as_convolution(self, kind: str = "combinatorial") -> Convolution:
        """The Laplacian of a ring / torus (any periodic-grid graph) as a periodic
        :class:`convop.Convolution`.

        The operator acts on signals reshaped to :attr:`circulant_shape` (C order:
        vertex ``i * m + j`` is grid point ``(i, j)``), with ``mode="same"`` and
        ``boundary="periodic"``; its matrix equals ``laplacian(kind)`` and its
        ``eigvals()`` are the Laplacian eigenvalues by one FFT.

        Raises
        ------
        ConvopValueError
            The graph is not shift-invariant on a periodic grid.

        Examples
        --------
        >>> import numpy as np
        >>> from convop.graph import torus
        >>> C = torus(4, 5).as_convolution()
        >>> C.structure, C.kernel.tolist()
        ('bccb', [[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
        >>> bool(np.allclose(C.to_dense(), torus(4, 5).laplacian().toarray()))
        True
        """
        from convop._operators.convolution import Convolution

        kind = _kind(kind)
        c = self._circulant()
        if c is None:
            raise ConvopValueError(
                "as_convolution needs a graph that is shift-invariant on a periodic grid "
                "(a ring, a torus, a torus mesh) in its vertex numbering; this graph is not"
            )
        return Convolution(c.kernel(kind), c.shape, "same", boundary="periodic")

    # -- spectrum --------------------------------------------------------------------
    def lmax(self, method: str = "lanczos", *, kind: str = "combinatorial") -> float:
        r"""Largest Laplacian eigenvalue, never underestimated (cached).

        Parameters
        ----------
        method : {'lanczos', 'exact', 'bound'}
            * ``bound``: a certified upper bound from the matrix entries:
              for ``combinatorial``, Merris' :math:`\max_i (d_i + \bar d_i)`
              (:math:`\bar d_i` the weighted mean degree of i's neighbours) capped by
              Gershgorin; for ``normalized`` / ``random-walk``, ``min(2, Gershgorin)``.
            * ``lanczos``: a Lanczos (ARPACK) Ritz value θ with residual
              ``r = ‖Lv − θv‖``, returned as ``min(bound, max(θ + r, 1.01 θ))``. A
              Ritz value is never above λmax, so this margin is what keeps Chebyshev
              filters inside ``[-1, 1]``, where they are stable.
            * ``exact``: dense ``eigvalsh`` for small graphs, ARPACK at full precision
              otherwise; the FFT of the stencil on periodic-grid graphs.
        kind : {'combinatorial', 'normalized', 'random-walk'}

        Examples
        --------
        >>> from convop.graph import ring
        >>> G = ring(10)
        >>> G.lmax("exact"), G.lmax("bound")
        (4.0, 4.0)
        >>> G.lmax("lanczos") >= 4.0
        True
        """
        if not (isinstance(method, str) and method in LMAX_METHODS):
            raise invalid("method", method, LMAX_METHODS)
        kind = _kind(kind)
        sym = self._symmetric_kind(kind)
        key = ("lmax", sym, method)
        if key in self._cache:
            return self._cache[key]
        if method == "bound":
            val = self._lmax_bound(sym)
        elif method == "exact":
            val = self._lmax_exact(sym)
        else:
            bound = self._lmax_bound(sym)
            if self.n_nodes <= 64 or self._circulant() is not None:
                val = min(bound, self._lmax_exact(sym) * 1.0)
            else:
                val = self._lmax_lanczos(sym, bound)
        self._cache[key] = float(val)
        return float(val)

    def _lmax_bound(self, kind: str) -> float:
        L = self.laplacian(kind)
        gersh = float(np.max(np.asarray(abs(L).sum(axis=1)).ravel()))
        if kind == "normalized":
            return min(2.0, gersh)
        off = self._A - sp.diags_array(self._A.diagonal())
        d = np.asarray(off.sum(axis=1)).ravel()
        pos = d > 0
        if not np.any(pos):
            return 0.0
        mean_nb = np.zeros_like(d)
        mean_nb[pos] = (off @ d)[pos] / d[pos]
        return min(gersh, float(np.max(d + mean_nb)))

    def _lmax_exact(self, kind: str) -> float:
        c = self._circulant()
        if c is not None:
            return float(np.max(np.real(c.spectrum(kind))))
        for key in list(self._cache):
            if key[:2] == ("U", kind) and key[2] is None:
                return float(self._cache[key][0][-1])
        L = self.laplacian(kind)
        if self.n_nodes <= SMALL:
            return float(scipy.linalg.eigvalsh(L.toarray().astype(float))[-1])
        v0 = np.random.default_rng(0).standard_normal(self.n_nodes)
        val = spla.eigsh(L.astype(float), k=1, which="LA", tol=0, v0=v0, return_eigenvectors=False)
        return float(val[0])

    def _lmax_lanczos(self, kind: str, bound: float) -> float:
        L = self.laplacian(kind).astype(float)
        v0 = np.random.default_rng(0).standard_normal(self.n_nodes)
        try:
            theta, vec = spla.eigsh(L, k=1, which="LA", tol=1e-3, v0=v0, ncv=min(self.n_nodes, 20))
        except spla.ArpackNoConvergence:
            return bound
        theta, v = float(theta[0]), vec[:, 0]
        resid = float(np.linalg.norm(L @ v - theta * v) / np.linalg.norm(v))
        return min(bound, max(theta + resid, 1.01 * theta))

    def compute_fourier_basis(self, k: int | None = None, *, kind: str = "combinatorial") -> None:
        """Compute and cache the Fourier basis (see :meth:`fourier_basis`)."""
        self.fourier_basis(k, kind=kind)

    def fourier_basis(
        self, k: int | None = None, *, kind: str = "combinatorial"
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Eigenvalues (ascending) and orthonormal eigenvectors of the Laplacian (cached).

        Parameters
        ----------
        k : int, optional
            Number of lowest eigenpairs. None: all ``N`` (dense ``eigh``; refused above
            ``N = 12000``). For ``k < N`` on graphs above 1000 nodes, the ``k`` lowest
            pairs come from shift-invert Lanczos (ARPACK), never a full factorisation.
        kind : {'combinatorial', 'normalized', 'random-walk'}
            For ``random-walk`` (not symmetric) the eigenvectors are
            :math:`D^{-1/2}u` of the normalized ones, returned unnormalised.

        Returns
        -------
        e : (k,) ndarray
        U : (N, k) ndarray
            Columns are eigenvectors, ``L U = U diag(e)``.

        Notes
        -----
        On periodic-grid graphs (ring, torus, torus mesh) no eigensolver is used: the
        basis is the real DFT basis (a cosine and a sine per conjugate pair of
        frequencies, ``sqrt(2/N) cos(2π ξ·j/n)``), the eigenvalues are one FFT of the
        stencil, both sorted by eigenvalue (stable). Within a repeated eigenvalue any
        orthonormal basis is valid, so this one differs from ``numpy.linalg.eigh``'s by a
        rotation inside each eigenspace; filters ``U g(Λ) Uᵀ`` are identical.

        Examples
        --------
        >>> import numpy as np
        >>> from convop.graph import ring
        >>> e, U = ring(6).fourier_basis()
        >>> np.round(e, 12).tolist()
        [0.0, 1.0, 1.0, 3.0, 3.0, 4.0]
        >>> bool(np.allclose(U.T @ U, np.eye(6)))
        True
        """
        kind = _kind(kind)
        sym = self._symmetric_kind(kind)
        n = self.n_nodes
        if k is not None:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
                raise invalid("k", k, f"an integer in [1, {n}] or None")
            k = int(k)
            if k == n:
                k = None
        key = ("U", sym, k)
        if key not in self._cache:
            self._cache[key] = self._compute_basis(sym, k)
        e, U = self._cache[key]
        if kind == "random-walk":
            return e, self._sym_to_kind(kind, U, forward=False)
        return e, U

    def _compute_basis(self, kind: str, k: int | None) -> tuple[np.ndarray, np.ndarray]:
        n = self.n_nodes
        c = self._circulant()
        if k is None and n > MAX_DENSE:
            raise ConvopValueError(
                f"a full Fourier basis of N={n} nodes needs an N×N dense matrix; pass k (the "
                "number of lowest eigenpairs) or filter with method='chebyshev'"
            )
        if c is not None:
            lam, perm, _ = self._circ_layout(kind)
            m = n if k is None else k
            sel = np.zeros((n, m))
            sel[np.arange(m), np.arange(m)] = 1.0
            U = self._circ_igft(sel, kind)
            e = lam[perm][:m]
        elif k is None or n <= SMALL:
            e, U = scipy.linalg.eigh(self.laplacian(kind).toarray().astype(float))
            if k is not None:
                e, U = e[:k], U[:, :k]
        else:
            L = self.laplacian(kind).astype(float).tocsc()
            v0 = np.random.default_rng(0).standard_normal(n)
            shift = -1e-3 * max(self.lmax("bound", kind=kind), 1e-12)
            e, U = spla.eigsh(L, k=k, sigma=shift, which="LM", v0=v0)
            order = np.argsort(e)
            e, U = e[order], U[:, order]
        e = np.ascontiguousarray(e)
        U = np.ascontiguousarray(U)
        e.setflags(write=False)
        U.setflags(write=False)
        return e, U

    # -- graph Fourier transform -----------------------------------------------------
    def _signal(self, x: Any, name: str, rows: int | None = None) -> np.ndarray:
        from convop._core.validate import numeric_array

        arr = numeric_array(x, name)
        rows = self.n_nodes if rows is None else rows
        if arr.ndim not in (1, 2) or arr.shape[0] != rows:
            raise ConvopValueError(
                f"{name} must have shape ({rows},) or ({rows}, F); got {arr.shape}"
            )
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        return arr

    def _circ_layout(self, kind: str) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
        key = ("circ", kind)
        if key not in self._cache:
            c = self._circulant()
            assert c is not None
            spec = np.real(c.spectrum(kind)).ravel()
            reps, parts, partners = c.real_basis_layout()
            lam = spec[reps]
            perm = np.argsort(lam, kind="stable")
            self._cache[key] = (lam, perm, (reps[perm], parts[perm], partners[perm]))
        return self._cache[key]

    def _circ_gft(self, x: np.ndarray, kind: str) -> np.ndarray:
        c = self._circulant()
        assert c is not None
        _, _, (reps, parts, _) = self._circ_layout(kind)
        n = self.n_nodes
        X = np.fft.fftn(x.reshape(c.shape + x.shape[1:]), axes=range(len(c.shape)))
        X = X.reshape((n,) + x.shape[1:])[reps]
        scale = np.where(parts == 0, 1 / np.sqrt(n), np.sqrt(2 / n))
        out = np.where((parts == 2).reshape((-1,) + (1,) * (x.ndim - 1)), -X.imag, X.real)
        return (out * scale.reshape((-1,) + (1,) * (x.ndim - 1))).astype(x.dtype, copy=False)

    def _circ_igft(self, xhat: np.ndarray, kind: str) -> np.ndarray:
        c = self._circulant()
        assert c is not None
        _, _, (reps, parts, partners) = self._circ_layout(kind)
        n = self.n_nodes
        tail = xhat.shape[1:]
        X = np.zeros((n,) + tail, dtype=np.result_type(xhat.dtype, np.complex64))
        cos, sin, selfc = parts == 1, parts == 2, parts == 0
        X[reps[selfc]] = np.sqrt(n) * xhat[selfc]
        X[reps[cos]] += np.sqrt(n / 2) * xhat[cos]
        X[reps[sin]] += -1j * np.sqrt(n / 2) * xhat[sin]
        X[partners[cos]] += np.sqrt(n / 2) * xhat[cos]
        X[partners[sin]] += 1j * np.sqrt(n / 2) * xhat[sin]
        x = np.fft.ifftn(X.reshape(c.shape + tail), axes=range(len(c.shape))).real
        return x.reshape((n,) + tail).astype(xhat.dtype, copy=False)

    def gft(self, x: Any, *, kind: str = "combinatorial", k: int | None = None) -> np.ndarray:
        r"""Graph Fourier transform :math:`\hat x = U^\top x` of ``x`` of shape (N,) or (N, F).

        By FFT on periodic-grid graphs (O(N log N), no eigendecomposition), otherwise with
        the cached basis of :meth:`fourier_basis` (``k`` lowest modes when given).
        For ``random-walk`` the transform is ``U_nᵀ D^{1/2} x`` (biorthogonal pair).

        Examples
        --------
        >>> import numpy as np
        >>> from convop.graph import torus
        >>> G = torus(4, 6)
        >>> x = np.random.default_rng(0).standard_normal(24)
        >>> bool(np.allclose(G.igft(G.gft(x)), x))
        True
        >>> e, U = G.fourier_basis()
        >>> bool(np.allclose(G.gft(x), U.T @ x))
        True
        """
        kind = _kind(kind)
        sym = self._symmetric_kind(kind)
        arr = self._signal(x, "x")
        if arr.dtype.kind == "c":
            return self.gft(arr.real, kind=kind, k=k) + 1j * self.gft(arr.imag, kind=kind, k=k)
        arr = self._sym_to_kind(kind, arr, forward=True)
        if self._circulant() is not None:
            out = self._circ_gft(arr, sym)
            return out if k is None else out[: int(k)]
        _, U = self.fourier_basis(k, kind=sym)
        return (U.T @ arr).astype(arr.dtype, copy=False)

    def igft(self, xhat: Any, *, kind: str = "combinatorial") -> np.ndarray:
        r"""Inverse graph Fourier transform :math:`x = U \hat x`; ``xhat`` of shape (k,) or
        (k, F) holds the ``k`` lowest modes (``k = N`` for the full transform).

        Examples
        --------
        >>> import numpy as np
        >>> from convop.graph import ring
        >>> G = ring(8)
        >>> np.round(G.igft(np.eye(8)[0]), 4).tolist()[:3]
        [0.3536, 0.3536, 0.3536]
        """
        kind = _kind(kind)
        sym = self._symmetric_kind(kind)
        from convop._core.validate import numeric_array

        arr = numeric_array(xhat, "xhat")
        n = self.n_nodes
        if arr.ndim not in (1, 2) or not 1 <= arr.shape[0] <= n:
            raise ConvopValueError(
                f"xhat must have shape (k,) or (k, F) with k <= {n}; got {arr.shape}"
            )
        if arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        if arr.dtype.kind == "c":
            return self.igft(arr.real, kind=kind) + 1j * self.igft(arr.imag, kind=kind)
        m = arr.shape[0]
        if self._circulant() is not None:
            full = np.zeros((n,) + arr.shape[1:], dtype=arr.dtype)
            full[:m] = arr
            out = self._circ_igft(full, sym)
        else:
            _, U = self.fourier_basis(None if m == n else m, kind=sym)
            out = (U @ arr).astype(arr.dtype, copy=False)
        return self._sym_to_kind(kind, out, forward=False)

    # -- filtering -------------------------------------------------------------------
    def filter(
        self,
        x: Any,
        g: Any,
        method: str = "auto",
        order: int = 30,
        *,
        kind: str = "combinatorial",
        lmax: float | None = None,
        return_error: bool = False,
    ) -> Any:
        r"""Apply the spectral filter :math:`g(L) x = U g(\Lambda) U^\top x`.

        Parameters
        ----------
        x : (N,) or (N, F) array_like
        g : callable
            Response ``g(lam)`` on arrays of eigenvalues (e.g. :func:`heat`).
        method : {'auto', 'exact', 'chebyshev'}
            * ``exact``: by FFT on periodic-grid graphs, else with the full eigenbasis;
            * ``chebyshev``: degree-``order`` Chebyshev polynomial in
              :math:`\tilde L = 2L/\lambda_{max} - I`, only sparse products with ``L``
              (``order`` of them), never an eigenvector;
            * ``auto``: FFT on periodic grids, the eigenbasis when already computed or
              ``N <= 1000``, Chebyshev otherwise.
        order : int
            Chebyshev degree.
        kind : {'combinatorial', 'normalized', 'random-walk'}
        lmax : float, optional
            Spectrum bound for Chebyshev (default ``self.lmax("lanczos")``, never below
            the true λmax).
        return_error : bool
            Also return ``ε`` with :math:`\|y - g(L)x\|_2 \le ε \|x\|_2` (0 for the exact
            routes, :func:`chebyshev_error_bound` for Chebyshev).

        Returns
        -------
        y : ndarray, same shape as ``x`` (dtype kept for floats)
        error : float, only with ``return_error=True``

        Examples
        --------
        >>> import numpy as np
        >>> from convop.graph import grid, heat
        >>> G = grid(6, 7)
        >>> x = np.random.default_rng(0).standard_normal(42)
        >>> exact = G.filter(x, heat(1.0), "exact")
        >>> y, err = G.filter(x, heat(1.0), "chebyshev", order=12, return_error=True)
        >>> bool(np.linalg.norm(y - exact) <= err * np.linalg.norm(x)), bool(err < 1e-6)
        (True, True)
        """
        op = self.filter_operator(g, method, order, kind=kind, lmax=lmax)
        arr = self._signal(x, "x")
        y = op._filter(arr, adjoint=False)
        return (y, op.error_bound) if return_error else y

    def filter_operator(
        self,
        g: Any,
        method: str = "auto",
        order: int = 30,
        *,
        kind: str = "combinatorial",
        lmax: float | None = None,
    ) -> GraphFilter:
        """The filter :math:`g(L)` as a :class:`convop.Operator` (:class:`GraphFilter`), with
        its exact adjoint :math:`\\bar g(L)`; see :meth:`filter` for the arguments.

        Examples
        --------
        >>> import numpy as np, scipy.sparse.linalg as spla
        >>> from convop.graph import heat, ring
        >>> G = ring(50)
        >>> H = G.filter_operator(heat(2.0))
        >>> x = np.random.default_rng(1).standard_normal(50)
        >>> b = H @ x
        >>> sol, info = spla.cg(H.aslinearoperator(), b, rtol=1e-12)
        >>> info, bool(np.allclose(sol, x, atol=1e-6))
        (0, True)
        """
        return GraphFilter(self, g, method, order, kind=kind, lmax=lmax)


class GraphFilter(Operator):
    r"""A spectral graph filter :math:`g(L)` as a linear operator on signals of shape (N,).

    The adjoint is :math:`U \bar g(\Lambda) U^\top = \bar g(L)` (for ``random-walk``,
    :math:`D^{1/2} \bar g(L_n) D^{-1/2}`), computed by the same route (FFT, eigenbasis or
    Chebyshev with conjugated coefficients), so the dot test holds to rounding.
    Leading batch dimensions pass through, as for every :class:`convop.Operator`.

    Attributes
    ----------
    method : str
        The route chosen: ``'fft'``, ``'eigh'`` or ``'chebyshev'``.
    order, lmax : int, float
        Chebyshev degree and spectrum bound (``lmax`` None on exact routes).
    error_bound : float
        Sup-norm error of the response approximation (0.0 on exact routes).
    """

    def __init__(
        self,
        graph: Graph,
        g: Any,
        method: str = "auto",
        order: int = 30,
        *,
        kind: str = "combinatorial",
        lmax: float | None = None,
    ) -> None:
        if not isinstance(graph, Graph):
            raise ConvopTypeError(f"graph must be a Graph; got {type(graph).__name__}")
        if not (isinstance(method, str) and method in FILTER_METHODS):
            raise invalid("method", method, FILTER_METHODS)
        if not callable(g):
            raise ConvopTypeError(f"g must be a callable g(lambda); got {type(g).__name__}")
        kind = _kind(kind)
        sym = graph._symmetric_kind(kind)
        order = check_order(order)
        self.graph, self.g, self.kind, self._sym = graph, g, kind, sym
        self.order, self.lmax = order, None
        n = graph.n_nodes
        if method == "auto":
            has_basis = ("U", sym, None) in graph._cache
            if graph._circulant() is not None or has_basis or n <= SMALL:
                method = "exact"
            else:
                method = "chebyshev"
        probe = np.zeros(1)
        dtype = np.result_type(np.asarray(evaluate(g, probe)).dtype, graph.adjacency.dtype)
        if method == "exact":
            self.method = "fft" if graph._circulant() is not None else "eigh"
            self.error_bound = 0.0
            if self.method == "eigh":
                e, _ = graph.fourier_basis(kind=sym)
            else:
                lam, perm, _ = graph._circ_layout(sym)
                e = lam[perm]
            self._response = evaluate(g, np.asarray(e))
            self._coef = None
        else:
            self.method = "chebyshev"
            if lmax is None:
                # a graph without edges has L = 0: any positive interval holds its spectrum
                self.lmax = graph.lmax("lanczos", kind=sym) or 1.0
            else:
                self.lmax = check_lmax(lmax)
            self._coef = chebyshev_coefficients(g, order, self.lmax)
            self.error_bound = chebyshev_error_bound(g, order, self.lmax)
            self._response = None
        if np.dtype(dtype).kind not in "fc":
            dtype = np.float64
        super().__init__((n,), (n,), dtype)

    def __repr__(self) -> str:
        extra = f", order={self.order}, lmax={self.lmax:.6g}" if self.method == "chebyshev" else ""
        n = self.graph.n_nodes
        return f"<GraphFilter g={self.g!r} on {n} nodes, method={self.method!r}{extra}>"

    def _filter(self, x: np.ndarray, adjoint: bool) -> np.ndarray:
        """``g(L) x`` (or the adjoint) for ``x`` of shape (N,) or (N, F)."""
        graph, kind, sym = self.graph, self.kind, self._sym
        # random-walk: g(L_rw) = S^-1 g(L_n) S with S = D^1/2; its adjoint is S g*(L_n) S^-1
        fwd_first = not adjoint
        x = graph._sym_to_kind(kind, x, forward=fwd_first)
        if self.method == "chebyshev":
            coef = np.conj(self._coef) if adjoint else self._coef
            L = graph.laplacian(sym)
            if x.dtype == np.float32 or x.dtype == np.complex64:
                L = L.astype(np.float32)
            y = chebyshev_apply(lambda v: L @ v, x, coef, self.lmax)
        else:
            resp = np.conj(self._response) if adjoint else self._response
            resp = resp.reshape((-1,) + (1,) * (x.ndim - 1))
            if resp.dtype.kind == "c" and x.dtype.kind != "c":
                x = x.astype(np.result_type(x.dtype, np.complex64))
            if self.method == "fft":
                xh = graph._circ_gft(x.real, sym) if x.dtype.kind != "c" else None
                if xh is None:
                    y = self._fft_complex(x, resp)
                else:
                    y = graph._circ_igft((resp.real * xh).astype(x.dtype, copy=False), sym)
            else:
                _, U = graph.fourier_basis(kind=sym)
                Uc = U.astype(x.real.dtype, copy=False)
                y = Uc @ (resp * (Uc.T @ x))
        y = graph._sym_to_kind(kind, y, forward=not fwd_first)
        out_dt = np.result_type(x.dtype, self.dtype) if x.dtype.kind == "c" else x.dtype
        return np.asarray(y).astype(out_dt, copy=False)

    def _fft_complex(self, x: np.ndarray, resp: np.ndarray) -> np.ndarray:
        sym = self._sym
        re = self.graph._circ_gft(np.ascontiguousarray(x.real), sym)
        im = self.graph._circ_gft(np.ascontiguousarray(x.imag), sym)
        yh = resp * (re + 1j * im)
        return self.graph._circ_igft(
            np.ascontiguousarray(yh.real), sym
        ) + 1j * self.graph._circ_igft(np.ascontiguousarray(yh.imag), sym)

    def _batched(self, x: np.ndarray, adjoint: bool) -> np.ndarray:
        lead = x.shape[:-1]
        flat = x.reshape(-1, x.shape[-1]).T
        y = self._filter(np.ascontiguousarray(flat), adjoint)
        return y.T.reshape(lead + (x.shape[-1],))

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._batched(x, adjoint=False)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._batched(y, adjoint=True)


def _warn(msg: str) -> None:
    warnings.warn(msg, UserWarning, stacklevel=3)
