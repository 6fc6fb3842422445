"""Graph signal processing on the operator core (issue 16).

Owns graphs and their Laplacians (:class:`Graph`, :func:`ring`, :func:`torus`,
:func:`grid`, :func:`torus_mesh`, :func:`from_networkx`), the graph Fourier
transform, exact / FFT / Chebyshev spectral filters (:func:`heat`,
:func:`chebyshev_coefficients`, :class:`GraphFilter`), diffusion and label
propagation (:func:`heat_diffusion`, :func:`label_propagation`),
:func:`farthest_point_sampling` and :func:`normalized_adjacency`. Spectral,
Chebyshev and Kipf–Welling layers live in :mod:`convop.graph.torch`
(``convop[torch]``).

On a ring or a torus (any graph that is shift-invariant on a periodic grid) the
Laplacian *is* a circulant / BCCB convolution: :meth:`Graph.as_convolution`
returns it as a :class:`convop.Convolution`, and the Fourier transform and
filters run by FFT in O(N log N) instead of an O(N³) eigendecomposition.
"""

from convop.graph._adjacency import normalized_adjacency
from convop.graph._constructors import from_networkx, grid, ring, torus, torus_mesh
from convop.graph._diffusion import farthest_point_sampling, heat_diffusion, label_propagation
from convop.graph._filters import chebyshev_coefficients, chebyshev_error_bound, heat
from convop.graph._graph import LAPLACIANS, Graph, GraphFilter

__all__ = [
    "LAPLACIANS",
    "Graph",
    "GraphFilter",
    "chebyshev_coefficients",
    "chebyshev_error_bound",
    "farthest_point_sampling",
    "from_networkx",
    "grid",
    "heat",
    "heat_diffusion",
    "label_propagation",
    "normalized_adjacency",
    "ring",
    "torus",
    "torus_mesh",
]

for _f in (ring, torus, grid, torus_mesh, from_networkx):
    setattr(Graph, _f.__name__, staticmethod(_f))
del _f
