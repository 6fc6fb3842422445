"""Graph signal processing on the operator core (issue 16).

Owns graphs and their Laplacians, the graph Fourier transform, exact and
Chebyshev spectral filters, diffusion and label propagation, and (in
:mod:`convop.graph.torch`) spectral / Chebyshev / Kipf–Welling graph layers.
"""

from convop.graph._adjacency import normalized_adjacency

__all__ = ["normalized_adjacency"]
