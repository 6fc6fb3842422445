"""Standard graphs: ring, torus, grid, triangulated torus mesh, and from networkx."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._core.optional import require
from convop.graph import _circulant
from convop.graph._graph import Graph

__all__ = ["from_networkx", "grid", "ring", "torus", "torus_mesh"]


def _size(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ConvopValueError(f"invalid {name}={value!r}; expected an integer >= {minimum}")
    return int(value)


def _periodic(circ: _circulant.Circulant, coords: np.ndarray | None = None) -> Graph:
    G = Graph(circ.adjacency(), coords=coords)
    G._circ = circ
    return G


def ring(n: int) -> Graph:
    """The cycle graph on ``n >= 3`` nodes (edge ``i — i+1 mod n``), with unit-circle coords.

    Its combinatorial Laplacian is the circulant second difference ``[-1, 2, -1]``.

    Examples
    --------
    >>> G = ring(5)
    >>> G, G.circulant_shape
    (<Graph: 5 nodes, 5 edges, undirected, unweighted>, (5,))
    """
    n = _size(n, "n", 3)
    t = 2 * np.pi * np.arange(n) / n
    return _periodic(
        _circulant.from_stencil((n,), [((1,), 1.0)]), np.stack([np.cos(t), np.sin(t)], 1)
    )


def torus(n: int, m: int) -> Graph:
    """The periodic ``n × m`` grid (4 neighbours, wrap-around); vertex ``i*m + j`` is ``(i, j)``.

    Its combinatorial Laplacian is the BCCB 5-point stencil: a periodic 2-D convolution.

    Examples
    --------
    >>> G = torus(3, 4)
    >>> G.n_edges, G.degrees.tolist()[:3]
    (24, [4.0, 4.0, 4.0])
    """
    n, m = _size(n, "n", 3), _size(m, "m", 3)
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    coords = np.stack([i.ravel(), j.ravel()], 1).astype(float)
    return _periodic(_circulant.from_stencil((n, m), [((1, 0), 1.0), ((0, 1), 1.0)]), coords)


def grid(n: int, m: int) -> Graph:
    """The ``n × m`` grid graph (4 neighbours, no wrap-around); vertex ``i*m + j`` is ``(i, j)``.

    Examples
    --------
    >>> G = grid(2, 3)
    >>> G.n_edges, G.degrees.tolist()
    (7, [2.0, 3.0, 2.0, 2.0, 3.0, 2.0])
    """
    n, m = _size(n, "n", 1), _size(m, "m", 1)
    pn = sp.diags_array([np.ones(n - 1)], offsets=[1], shape=(n, n))
    pm = sp.diags_array([np.ones(m - 1)], offsets=[1], shape=(m, m))
    A = sp.kron(pn, sp.eye_array(m)) + sp.kron(sp.eye_array(n), pm)
    A = A + A.T
    i, j = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    return Graph(A, coords=np.stack([i.ravel(), j.ravel()], 1).astype(float))


def torus_mesh(n_major: int, n_minor: int, R: float = 1.0, r: float = 0.4) -> Graph:
    r"""A triangulated torus surface in 3-D: ``n_major × n_minor`` vertices, each grid quad
    split into two triangles along one diagonal (every vertex has degree 6).

    Vertex ``i * n_minor + j`` sits at angle :math:`\theta_i = 2\pi i/n_{major}` around the
    axis and :math:`\varphi_j = 2\pi j/n_{minor}` around the tube:
    :math:`((R + r\cos\varphi)\cos\theta, (R + r\cos\varphi)\sin\theta, r\sin\varphi)`.
    The edges come from the faces (:attr:`Graph.faces`), as in the seed's mesh graph; the
    graph is shift-invariant on the periodic grid, so its Laplacian is a BCCB convolution.

    Parameters
    ----------
    n_major, n_minor : int
        Vertices around the axis and around the tube (each ``>= 3``).
    R, r : float
        Major and minor radius (``R > r > 0``).

    Examples
    --------
    >>> G = torus_mesh(8, 5)
    >>> G.n_nodes, G.n_edges, G.faces.shape, G.coords.shape
    (40, 120, (80, 3), (40, 3))
    >>> G.as_convolution().kernel.tolist()
    [[-1.0, -1.0, 0.0], [-1.0, 6.0, -1.0], [0.0, -1.0, -1.0]]
    """
    a, b = _size(n_major, "n_major", 3), _size(n_minor, "n_minor", 3)
    try:
        R, r = float(R), float(r)
    except (TypeError, ValueError) as exc:
        raise ConvopTypeError(f"R and r must be real numbers; got R={R!r}, r={r!r}") from exc
    if not (np.isfinite(R) and np.isfinite(r) and R > r > 0):
        raise ConvopValueError(f"invalid R={R!r}, r={r!r}; expected R > r > 0")
    i, j = np.meshgrid(np.arange(a), np.arange(b), indexing="ij")
    th, ph = 2 * np.pi * i.ravel() / a, 2 * np.pi * j.ravel() / b
    coords = np.stack(
        [(R + r * np.cos(ph)) * np.cos(th), (R + r * np.cos(ph)) * np.sin(th), r * np.sin(ph)], 1
    )

    def idx(p: np.ndarray, q: np.ndarray) -> np.ndarray:
        return (p % a) * b + (q % b)

    i, j = i.ravel(), j.ravel()
    v00, v10, v11, v01 = idx(i, j), idx(i + 1, j), idx(i + 1, j + 1), idx(i, j + 1)
    faces = np.concatenate([np.stack([v00, v10, v11], 1), np.stack([v00, v11, v01], 1)])
    stencil = [((1, 0), 1.0), ((0, 1), 1.0), ((1, 1), 1.0)]
    G = _periodic(_circulant.from_stencil((a, b), stencil), coords)
    faces.setflags(write=False)
    G._faces = faces
    return G


def from_networkx(G: Any, weight: str | None = "weight") -> Graph:
    """A :class:`Graph` from a networkx graph (nodes in ``list(G)`` order).

    Parameters
    ----------
    G : networkx.Graph or networkx.DiGraph
    weight : str or None
        Edge attribute holding the weight (missing → 1); None: every edge weighs 1.

    Notes
    -----
    Node attribute ``pos`` (all nodes) becomes :attr:`Graph.coords`. Multigraph
    parallel edges are summed (networkx's convention).

    Examples
    --------
    >>> import networkx as nx
    >>> from_networkx(nx.karate_club_graph(), weight=None)
    <Graph: 34 nodes, 78 edges, undirected, unweighted>
    """
    nx = require("networkx", "graph", "convop.graph.from_networkx")
    if not isinstance(G, nx.Graph):
        raise ConvopTypeError(f"G must be a networkx graph; got {type(G).__name__}")
    nodes = list(G)
    A = nx.to_scipy_sparse_array(G, nodelist=nodes, weight=weight, format="csr")
    pos = [G.nodes[v].get("pos") for v in nodes]
    coords = np.array(pos, dtype=float) if nodes and all(p is not None for p in pos) else None
    return Graph(A, directed=G.is_directed(), coords=coords)
