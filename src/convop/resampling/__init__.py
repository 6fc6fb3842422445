"""MATLAB- and Octave-compatible rational resampling on a polyphase engine.

Owns :func:`resample` (``resample(x, p, q)`` with MATLAB's or GNU Octave's filter
design and delay rule), :func:`resample_ratio` (``p/q`` from a float ratio, as
MATLAB's ``rat``), :func:`upfirdn` (``scipy.signal.upfirdn`` semantics) and the
operators :class:`Upfirdn` and :class:`Resample` with their exact adjoints; the filter designs
(:func:`matlab_filter`, :func:`octave_filter`) and :func:`rat` are public too.

May import: :mod:`convop._core` and the layers below :mod:`convop.torch`; never a
sibling (graph, deconvolution, dask). Needs only numpy and scipy.

Examples
--------
>>> import numpy as np
>>> y = resample(np.ones(100), 3, 2)
>>> y.shape
(150,)
>>> print(f"{y[75]:.3f}")  # each polyphase branch passes DC to within ~1e-3
1.001
"""

from convop.resampling._design import matlab_filter, octave_filter, rat
from convop.resampling._resample import DESIGNS, Resample, resample, resample_ratio
from convop.resampling._upfirdn import Upfirdn, upfirdn

__all__ = [
    "DESIGNS",
    "Resample",
    "Upfirdn",
    "matlab_filter",
    "octave_filter",
    "rat",
    "resample",
    "resample_ratio",
    "upfirdn",
]
