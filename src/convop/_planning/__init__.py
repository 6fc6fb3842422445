"""Layer 2, planning: which engine runs a given call, and how.

The cost constants (shipped, or calibrated by ``convop calibrate``), the cost model
of every method, :func:`convop.choose_method`, layer planning and the memoised
routes of plain :func:`convop.convolve` calls.

May import: :mod:`convop._engines`, :mod:`convop._core`.
"""
