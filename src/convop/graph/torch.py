r"""Graph layers for PyTorch: spectral (Bruna et al.), Chebyshev (Defferrard et al.) and
Kipf–Welling GCN. Needs ``convop[torch]``; importing :mod:`convop.graph` never imports torch.

* :class:`SpectralConv` — :math:`y = U\,\mathrm{diag}(h_\theta)\,U^\top x` with one learnable
  response per Laplacian eigenvector (the seed's spectral GCN);
* :class:`ChebConv` — :math:`Y = \sum_{k=0}^{K} T_k(\tilde L) X \Theta_k`,
  :math:`\tilde L = 2L/\lambda_{max} - I`, sparse products only;
* :class:`GCNConv` — :math:`Y = \hat A X W + b`,
  :math:`\hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}`.

Every layer keeps its graph data in buffers, so ``.to(device)`` / ``.double()`` move it
with the parameters; inputs are ``(N, F)`` or batched ``(B, N, F)``.

Examples
--------
>>> import torch
>>> from convop.graph import ring
>>> from convop.graph.torch import ChebConv, GCNConv, SpectralConv
>>> G = ring(12)
>>> x = torch.randn(12, 3, generator=torch.Generator().manual_seed(0))
>>> SpectralConv(G, 6)(x).shape, ChebConv(3, 5, order=2)(x, G).shape, GCNConv(3, 4)(x, G).shape
(torch.Size([12, 3]), torch.Size([12, 5]), torch.Size([12, 4]))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.optional import require
from convop.graph._adjacency import normalized_adjacency
from convop.graph._graph import SMALL, Graph, _kind

torch = require("torch", "torch", "convop.graph.torch")
nn = torch.nn

__all__ = ["ChebConv", "GCNConv", "SpectralConv", "to_torch_sparse"]

RESPONSES = ("sigmoid", "free")


def to_torch_sparse(matrix: Any, *, dtype: Any = None, device: Any = None) -> torch.Tensor:  # type: ignore[name-defined]
    """A scipy sparse / dense numpy matrix as a torch sparse COO tensor (coalesced).

    Examples
    --------
    >>> import numpy as np
    >>> to_torch_sparse(np.eye(2)).to_dense().tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """
    coo = sp.coo_array(matrix)
    idx = torch.as_tensor(np.vstack([coo.row, coo.col]).astype(np.int64))
    vals = torch.as_tensor(np.array(coo.data))
    dtype = dtype or torch.get_default_dtype()
    t = torch.sparse_coo_tensor(
        idx, vals, coo.shape, dtype=dtype, device=device, check_invariants=False
    )
    return t.coalesce()


def _apply_sparse(L: Any, x: Any) -> Any:
    """``L @ x`` for x of shape (N, F) or (B, N, F); L sparse or dense (N, N)."""
    if x.dim() == 2:
        return torch.sparse.mm(L, x) if L.is_sparse else L @ x
    b, n, f = x.shape
    flat = x.permute(1, 0, 2).reshape(n, b * f)
    out = torch.sparse.mm(L, flat) if L.is_sparse else L @ flat
    return out.reshape(n, b, f).permute(1, 0, 2)


def _check_x(x: Any, n: int | None, name: str = "x") -> None:
    if not isinstance(x, torch.Tensor):
        raise ConvopTypeError(f"{name} must be a torch.Tensor; got {type(x).__name__}")
    if x.dim() not in (2, 3) or (n is not None and x.shape[-2] != n):
        want = "N" if n is None else str(n)
        raise ConvopValueError(
            f"{name} must have shape ({want}, F) or (B, {want}, F); got {tuple(x.shape)}"
        )


class SpectralConv(nn.Module):
    r"""Spectral graph convolution with a learnable response per eigenvector.

    :math:`y = U\,\mathrm{diag}(h)\,U^\top x` where ``U`` holds the ``k`` lowest Laplacian
    eigenvectors of ``G`` (fixed buffers) and ``h = sigmoid(θ)`` (``response="sigmoid"``,
    each mode damped into ``(0, 1)``, as in the seed) or ``h = θ`` (``"free"``). The same
    response filters every feature channel.

    Parameters
    ----------
    G : Graph
    k : int, optional
        Number of lowest modes kept (all ``N`` by default); the rest is projected out.
    response : {'sigmoid', 'free'}
    kind : {'normalized', 'combinatorial', 'random-walk'}
        Laplacian whose eigenvectors form ``U`` (the seed uses ``normalized``;
        ``random-walk`` has the same spectrum and is mapped to it).
    init : float
        Initial θ (the seed's ``1.0``: ``h = 0.731`` for sigmoid, the identity for free).
    dtype : torch.dtype, optional
        Of buffers and parameters (default: torch's default dtype).

    Notes
    -----
    The eigenvalues are a buffer (``eigenvalues``) so a learned response can be read
    against them: ``layer.response()``. The sigmoid response is ``σ(θ_i)``, not the
    ``σ(θ_i λ_i)`` of the seed's part 1, which is stuck at ``σ(0) = 1/2`` for the
    constant mode (λ = 0) whatever θ.

    Examples
    --------
    >>> import torch
    >>> from convop.graph import torus_mesh
    >>> layer = SpectralConv(torus_mesh(6, 4), response="free", dtype=torch.float64)
    >>> x = torch.randn(24, 2, dtype=torch.float64)
    >>> bool(torch.allclose(layer(x), x))  # θ = 1: the identity filter
    True
    """

    def __init__(
        self,
        G: Graph,
        k: int | None = None,
        response: str = "sigmoid",
        *,
        kind: str = "normalized",
        init: float = 1.0,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if not isinstance(G, Graph):
            raise ConvopTypeError(f"G must be a convop.graph.Graph; got {type(G).__name__}")
        if not (isinstance(response, str) and response in RESPONSES):
            raise invalid("response", response, RESPONSES)
        kind = _kind(kind)
        sym = "normalized" if kind == "random-walk" else kind
        e, U = G.fourier_basis(k, kind=sym)
        dtype = dtype or torch.get_default_dtype()
        self.response_kind = response
        self.kind = sym
        self.n_nodes = G.n_nodes
        self.register_buffer("U", torch.as_tensor(np.array(U), dtype=dtype))
        self.register_buffer("eigenvalues", torch.as_tensor(np.array(e), dtype=dtype))
        self.theta = nn.Parameter(torch.full((len(e),), float(init), dtype=dtype))

    def response(self) -> torch.Tensor:  # type: ignore[name-defined]
        """The current spectral response ``h`` (one value per kept eigenvector)."""
        return torch.sigmoid(self.theta) if self.response_kind == "sigmoid" else self.theta

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[name-defined]
        if isinstance(x, torch.Tensor) and x.dim() == 1:
            return self.forward(x[:, None])[..., 0]
        _check_x(x, self.n_nodes)
        xh = torch.matmul(self.U.T, x)
        return torch.matmul(self.U, self.response()[:, None] * xh)

    def extra_repr(self) -> str:
        return f"n_nodes={self.n_nodes}, k={self.U.shape[1]}, response={self.response_kind!r}"


class _GraphCache:
    """Remembers the torch form of the last graph matrix seen by a layer."""

    def __init__(self) -> None:
        self.key: Any = None
        self.value: Any = None

    def get(self, key: Any, build: Any) -> Any:
        if self.key is None or self.key[0] is not key[0] or self.key[1:] != key[1:]:
            self.key, self.value = key, build()
        return self.value


class ChebConv(nn.Module):
    r"""Chebyshev spectral graph convolution (Defferrard, Bresson & Vandergheynst 2016).

    :math:`Y = \sum_{k=0}^{K} T_k(\tilde L)\, X\, \Theta_k + b`,
    :math:`\tilde L = \frac{2}{\lambda_{max}} L - I`, with ``K = order`` sparse products
    per forward pass (a K-hop filter; no eigenvectors).

    Parameters
    ----------
    in_channels, out_channels : int
    order : int
        Polynomial degree ``K >= 0``; there are ``K + 1`` weight matrices. (PyTorch
        Geometric's ``ChebConv(..., K)`` counts weight matrices: its ``K`` is ``order + 1``.)
    lmax : float
        The λmax used to scale ``L``. The default 2.0 is the upper end of the
        *normalized* Laplacian's spectrum (PyTorch Geometric's assumption for
        ``normalization="sym"``). For a combinatorial Laplacian pass ``G.lmax()``:
        with ``lmax`` below the true λmax, ``L̃`` has eigenvalues beyond 1 where
        :math:`T_k` grows like :math:`\cosh(k\,\mathrm{arccosh}\,\mu)`. Given a
        :class:`Graph`, the layer refuses such an ``lmax``.
    bias : bool
    kind : {'normalized', 'combinatorial', 'random-walk'}
        Laplacian taken from a :class:`Graph` passed to ``forward``.
    dtype : torch.dtype, optional

    Examples
    --------
    >>> import torch
    >>> from convop.graph import grid
    >>> G = grid(4, 4)
    >>> conv = ChebConv(2, 3, order=3, lmax=G.lmax(), kind="combinatorial")
    >>> conv(torch.randn(2, 16, 2), G).shape
    torch.Size([2, 16, 3])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        order: int,
        lmax: float = 2.0,
        *,
        bias: bool = True,
        kind: str = "normalized",
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v, lo in (
            ("in_channels", in_channels, 1),
            ("out_channels", out_channels, 1),
            ("order", order, 0),
        ):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
                raise ConvopValueError(f"invalid {name}={v!r}; expected an integer >= {lo}")
        lm = float(lmax)
        if not math.isfinite(lm) or lm <= 0:
            raise ConvopValueError(f"invalid lmax={lmax!r}; expected a finite number > 0")
        self.in_channels, self.out_channels, self.order = (
            int(in_channels),
            int(out_channels),
            int(order),
        )
        self.lmax, self.kind = lm, _kind(kind)
        dtype = dtype or torch.get_default_dtype()
        self.weight = nn.Parameter(torch.empty(order + 1, in_channels, out_channels, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()
        self._cache = _GraphCache()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights per Chebyshev term, zero bias."""
        bound = math.sqrt(6.0 / (self.in_channels + self.out_channels))
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.zero_()

    def _laplacian(self, laplacian: Any, like: Any) -> Any:
        if isinstance(laplacian, torch.Tensor):
            if laplacian.dim() != 2 or laplacian.shape[0] != laplacian.shape[1]:
                raise ConvopValueError(
                    f"laplacian must be an (N, N) tensor; got {tuple(laplacian.shape)}"
                )
            return laplacian.to(dtype=like.dtype, device=like.device)
        key = (laplacian, like.dtype, like.device)
        if isinstance(laplacian, Graph):
            G = laplacian

            def build() -> Any:
                cheap = G.n_nodes <= SMALL or G.circulant_shape is not None
                # exact λmax when cheap, else the Ritz value (a lower bound of λmax)
                ref = (
                    G.lmax("exact", kind=self.kind)
                    if cheap
                    else (G.lmax("lanczos", kind=self.kind) / 1.01)
                )
                if self.lmax < ref * (1 - 1e-9):
                    raise ConvopValueError(
                        f"invalid lmax={self.lmax!r}: below this graph's largest "
                        f"{self.kind} eigenvalue {ref:.6g}, so the Chebyshev terms diverge; "
                        f"pass lmax=G.lmax(kind={self.kind!r})"
                    )
                return to_torch_sparse(G.laplacian(self.kind), dtype=like.dtype, device=like.device)

            return self._cache.get(key, build)
        if sp.issparse(laplacian) or isinstance(laplacian, np.ndarray):
            return self._cache.get(
                key, lambda: to_torch_sparse(laplacian, dtype=like.dtype, device=like.device)
            )
        raise ConvopTypeError(
            "laplacian must be a Graph, a scipy.sparse matrix, a numpy array or a torch "
            f"tensor; got {type(laplacian).__name__}"
        )

    def forward(self, x: torch.Tensor, laplacian: Any) -> torch.Tensor:  # type: ignore[name-defined]
        """``x`` of shape (N, in_channels) or (B, N, in_channels); ``laplacian`` a Graph (its
        ``kind`` Laplacian), or the (N, N) Laplacian itself (scipy / numpy / torch)."""
        _check_x(x, None)
        if x.shape[-1] != self.in_channels:
            raise ConvopValueError(
                f"x must have {self.in_channels} channels in its last dimension; "
                f"got {tuple(x.shape)}"
            )
        L = self._laplacian(laplacian, self.weight)
        if L.shape[0] != x.shape[-2]:
            raise ConvopValueError(
                f"x has {x.shape[-2]} nodes but the Laplacian is {tuple(L.shape)}"
            )
        scale = 2.0 / self.lmax

        def lt(v: Any) -> Any:
            return scale * _apply_sparse(L, v) - v

        t_prev = x
        out = torch.matmul(t_prev, self.weight[0])
        if self.order >= 1:
            t_cur = lt(x)
            out = out + torch.matmul(t_cur, self.weight[1])
            for k in range(2, self.order + 1):
                t_prev, t_cur = t_cur, 2 * lt(t_cur) - t_prev
                out = out + torch.matmul(t_cur, self.weight[k])
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, order={self.order}, lmax={self.lmax:g}, "
            f"kind={self.kind!r}"
        )


class GCNConv(nn.Module):
    r"""Graph convolution of Kipf & Welling (2017): :math:`Y = \hat A X W + b` with
    :math:`\hat A = \tilde D^{-1/2}(A + I)\tilde D^{-1/2}` (see
    :func:`convop.graph.normalized_adjacency`).

    It is ``ChebConv`` with ``order=1``, ``lmax=2``, ``Θ_0 = -Θ_1 = W`` on the
    normalized Laplacian, followed by the renormalisation trick (self-loops added).

    Parameters
    ----------
    in_channels, out_channels : int
    bias : bool
    self_loops : bool
        Add ``I`` before normalising (the renormalisation trick).
    dtype : torch.dtype, optional

    Examples
    --------
    >>> import torch
    >>> from convop.graph import ring
    >>> conv = GCNConv(3, 2)
    >>> conv(torch.ones(5, 3), ring(5)).shape
    torch.Size([5, 2])
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        bias: bool = True,
        self_loops: bool = True,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ConvopValueError(f"invalid {name}={v!r}; expected an integer >= 1")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.self_loops = bool(self_loops)
        dtype = dtype or torch.get_default_dtype()
        self.weight = nn.Parameter(torch.empty(in_channels, out_channels, dtype=dtype))
        self.bias = nn.Parameter(torch.zeros(out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()
        self._cache = _GraphCache()

    def reset_parameters(self) -> None:
        """Glorot-uniform weights, zero bias."""
        bound = math.sqrt(6.0 / (self.in_channels + self.out_channels))
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.zero_()

    def _propagation(self, adjacency: Any, like: Any) -> Any:
        if isinstance(adjacency, torch.Tensor):
            A = adjacency.to(dtype=like.dtype, device=like.device)
            A = A.to_dense() if A.is_sparse else A
            if A.dim() != 2 or A.shape[0] != A.shape[1]:
                raise ConvopValueError(f"adjacency must be an (N, N) tensor; got {tuple(A.shape)}")
            if self.self_loops:
                A = A + torch.eye(A.shape[0], dtype=A.dtype, device=A.device)
            d = A.sum(1)
            s = torch.where(d > 0, d.clamp_min(1e-300).rsqrt(), torch.zeros_like(d))
            return s[:, None] * A * s[None, :]
        key = (adjacency, like.dtype, like.device)
        return self._cache.get(
            key,
            lambda: to_torch_sparse(
                normalized_adjacency(adjacency, self_loops=self.self_loops),
                dtype=like.dtype,
                device=like.device,
            ),
        )

    def forward(self, x: torch.Tensor, adjacency: Any) -> torch.Tensor:  # type: ignore[name-defined]
        """``x`` of shape (N, in_channels) or (B, N, in_channels); ``adjacency`` a Graph, a
        scipy / numpy matrix or a torch tensor (dense or sparse)."""
        _check_x(x, None)
        if x.shape[-1] != self.in_channels:
            raise ConvopValueError(
                f"x must have {self.in_channels} channels in its last dimension; "
                f"got {tuple(x.shape)}"
            )
        P = self._propagation(adjacency, self.weight)
        if P.shape[0] != x.shape[-2]:
            raise ConvopValueError(
                f"x has {x.shape[-2]} nodes but the adjacency is {tuple(P.shape)}"
            )
        out = _apply_sparse(P, torch.matmul(x, self.weight))
        return out if self.bias is None else out + self.bias

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, self_loops={self.self_loops}"
