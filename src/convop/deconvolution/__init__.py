r"""Boundary-correct deblurring: invert ``y = A x + noise`` where ``A`` is convop's
``Convolution(psf, y.shape, "same", boundary=...)``.

This package owns :func:`deconvolve` and :class:`DeconvolutionResult`:

* one-pass Tikhonov / Wiener solves where the matrix is diagonalised by a fast
  transform — the DFT for periodic boundaries (BCCB), the DCT-II for half-sample
  symmetric boundaries with a symmetric PSF (Toeplitz-plus-Hankel), with λ chosen in
  closed form by generalised cross-validation or the discrepancy principle;
* CG (CGLS form) and LSQR on the exact operator for every other boundary and PSF,
  preconditioned by the nearest structured operator;
* Richardson–Lucy for Poisson data with any of convop's boundaries;
* generalised Tikhonov with a regularisation operator (e.g. a Laplacian stencil) and
  optional non-negativity.

Examples
--------
>>> import numpy as np
>>> from convop.deconvolution import deconvolve
>>> y = np.arange(64.0).reshape(8, 8)
>>> r = deconvolve(y, np.full((3, 3), 1 / 9), boundary="periodic", reg=0.01)
>>> r.method, r.x.dtype
('fft', dtype('float64'))
"""

from convop.deconvolution._deconvolve import METHODS, DeconvolutionResult, deconvolve

__all__ = ["METHODS", "DeconvolutionResult", "deconvolve"]
