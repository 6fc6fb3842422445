"""Layer 1, the engines: the algorithms that compute a convolution.

Direct sliding products, block-Toeplitz matrix products (``gemm``), FFT and
overlap-add, circular convolution for periodic boundaries, torch's native
convolution on NumPy data, the multichannel layer engines and the kernel
gradients. Engines compute on validated arrays with the method already resolved;
they never choose a method and never validate user input.

May import: :mod:`convop._core`.
"""
