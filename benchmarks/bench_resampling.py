"""convop.resample / convop.upfirdn against scipy.signal.resample_poly / upfirdn and soxr.

The same library function as ``convop bench --resample``::

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_resampling.py [--quick] [--json PATH]
"""

from __future__ import annotations

import sys

from convop._tools import bench_resampling

if __name__ == "__main__":
    raise SystemExit(bench_resampling.main(sys.argv[1:]))
