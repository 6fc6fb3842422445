"""Deblurring benchmark: convop's FFT / DCT / CG / Richardson–Lucy against scikit-image.

Run: ``PYTHONPATH=src python benchmarks/bench_deconvolution.py [--quick]``.
"""

import sys

from convop._tools.bench_deconvolution import run, table

if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv[1:])))
