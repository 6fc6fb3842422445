"""Benchmark of convop.dask (issue 20): out-of-core convolution, memory and throughput.

Run ``PYTHONPATH=src python benchmarks/bench_dask.py [--quick] [--cases ...] [--out PATH]``. Prints
a table and writes JSON (default ``bench-results/bench_dask.json``, git-ignored).
The full run convolves a 4 GiB signal and a 1 GiB volume into temporary zarr stores
(deleted afterwards) and takes several minutes; see
:mod:`convop._tools.bench_dask` for the cases.
"""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from convop._tools import bench_dask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (seconds)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cases", nargs="+", choices=bench_dask.CASES, help="run only these (default: all)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench-results/bench_dask.json"))
    args = parser.parse_args()
    rows = bench_dask.run(quick=args.quick, seed=args.seed, cases=args.cases)
    print(bench_dask.table(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.platform(), "python": platform.python_version()}
    args.out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
