"""Layer 0, the core: what every other layer speaks.

Owns the vocabulary (boundaries, modes, method names, structure tags — one copy
each), argument validation, the package's errors, boundary extension and its
adjoint, the :class:`~convop.Operator` base class, array helpers, the BLAS/worker
thread policy, the optional-dependency gates, the run-time configuration
(:func:`convop.options`) and the registry of caches.

May import: numpy, scipy and the standard library only. Nothing in ``convop``
above it.
"""
