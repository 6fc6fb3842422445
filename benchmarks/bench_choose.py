"""Cost of ``convop.choose_method`` (target: < 50 us per call) and FFT-path memory.

python benchmarks/bench_choose.py
"""

from __future__ import annotations

from convop._tools import bench as _bench


def main() -> None:
    co = _bench.choice_overhead()
    print(
        f"choose_method: {co['warm_seconds'] * 1e6:.1f} us cached, "
        f"{co['cold_seconds'] * 1e6:.1f} us cold"
    )
    for sa, sb in (((10**5,), (3001,)), ((10**6,), (3001,)), ((1024, 1024), (31, 31))):
        m = _bench.fft_memory(sa, sb)
        print(
            f"FFT path {sa} * {sb}: peak extra {m['peak_bytes'] / 2**20:.1f} MiB = "
            f"{m['ratio']:.2f} x (input + output + kernel spectra)"
        )


if __name__ == "__main__":
    main()
