"""``ConvLayer`` (batch 16, 32 -> 32 channels, 64x64, padding K//2) against torch.

    python benchmarks/bench_layer.py

prints one line per kernel size with every convop method and torch's conv2d.
"""

from __future__ import annotations

from convop._tools import bench as _bench


def main() -> None:
    for case in _bench.run_layers([3, 7, 15, 31], dtypes=("float32", "float64")):
        others = ", ".join(
            f"{k} {v * 1e3:.1f} ms" for k, v in {**case.times, **case.boundary}.items()
        )
        print(
            f"K={case.k:2d} {case.dtype}: convop auto ({case.convop_method}) "
            f"{case.convop * 1e3:.1f} ms; {others}"
        )


if __name__ == "__main__":
    main()
