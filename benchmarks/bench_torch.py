"""convop.torch.Conv2d (method='auto') against torch.nn.Conv2d, forward + backward.

    python benchmarks/bench_torch.py [--kernels 3 15 31] [--repeat 5] [--json PATH]

Batch 16, 32 -> 32 channels, 64x64, float32, padding='same' (the issue-4 targets:
K=15 >= 5x, K=31 >= 20x, K=3 >= 0.95x). Each timed step is one forward and one
backward (input and parameter gradients) of the same layer weights; torch and
convop alternate within every repetition so that machine load hits both alike.
Prints a table of medians and ratios and writes them as JSON.
"""

from __future__ import annotations

import argparse
import copy
import json
import platform
import statistics
import time
from pathlib import Path

import torch
from torch import nn

import convop.torch as ct

TARGETS = {3: 0.95, 15: 5.0, 31: 20.0}


def _step(layer: nn.Module, x: torch.Tensor, grad: torch.Tensor | None) -> float:
    """Seconds of one forward + backward (``grad`` None: forward only, no autograd)."""
    layer.zero_grad(set_to_none=True)
    x.grad = None
    t0 = time.perf_counter()
    if grad is None:
        with torch.no_grad():
            layer(x)
    else:
        layer(x).backward(grad)
    return time.perf_counter() - t0


def bench_kernel(
    k: int,
    *,
    batch: int = 16,
    channels: int = 32,
    size: int = 64,
    repeat: int = 5,
    budget: float = 240.0,
    seed: int = 0,
    forward_only: bool = False,
) -> dict:
    """Median forward+backward (or forward) seconds of torch and convop for one K."""
    torch.manual_seed(seed)
    ref = nn.Conv2d(channels, channels, k, padding="same")
    ours = ct.Conv2d.from_module(copy.deepcopy(ref))
    x = torch.randn(batch, channels, size, size, requires_grad=True)
    grad = None if forward_only else torch.randn(batch, channels, size, size)
    with torch.no_grad():
        err = (ours(x) - ref(x)).abs().max().item() / ref(x).abs().max().item()
    times: dict[str, list[float]] = {"torch": [], "convop": []}
    # warm-up (kept as a sample when a step is slow: its one-off cost is negligible)
    first = {name: _step(m, x, grad) for name, m in (("torch", ref), ("convop", ours))}
    for name, t in first.items():
        if t > 2.0:
            times[name].append(t)
    per_rep = first["torch"] + first["convop"]
    reps = max(3, min(repeat, int(budget / max(per_rep, 1e-9))))
    for _ in range(reps):
        for name, m in (("torch", ref), ("convop", ours)):
            if len(times[name]) < reps:
                times[name].append(_step(m, x, grad))
    med = {name: statistics.median(v) for name, v in times.items()}
    method = next(iter(ours._plans.values()))
    return {
        "K": k,
        "pass": "forward" if forward_only else "forward+backward",
        "batch": batch,
        "channels": channels,
        "size": size,
        "torch_s": med["torch"],
        "convop_s": med["convop"],
        "speedup": med["torch"] / med["convop"],
        "method": method,
        "target": TARGETS.get(k),
        "samples": {n: len(v) for n, v in times.items()},
        "rel_err_forward": err,
    }


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernels", type=int, nargs="+", default=[3, 15, 31])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument(
        "--budget",
        type=float,
        default=240.0,
        help="seconds per kernel size; fewer repetitions (>= 3) beyond it",
    )
    ap.add_argument(
        "--forward",
        action="store_true",
        help="time the forward pass only (torch.no_grad, inference)",
    )
    ap.add_argument("--json", type=Path, default=Path(__file__).with_name("bench_torch.json"))
    args = ap.parse_args(argv)
    rows = []
    what = "forward only" if args.forward else "forward+backward"
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch 16, 32->32, "
        f"64x64, float32, padding='same', {what}, medians"
    )
    print(
        f"{'K':>3} {'torch.nn':>11} {'convop':>11} {'method':>7} {'speedup':>8} "
        f"{'target':>7} {'ok':>3}"
    )
    for k in args.kernels:
        r = bench_kernel(k, repeat=args.repeat, budget=args.budget, forward_only=args.forward)
        if args.forward:
            r["target"] = None  # the targets are for training (forward+backward)
        ok = "-" if r["target"] is None else ("yes" if r["speedup"] >= r["target"] else "NO")
        tgt = "" if r["target"] is None else f"{r['target']:.2f}x"
        print(
            f"{k:>3} {r['torch_s'] * 1e3:>9.1f}ms {r['convop_s'] * 1e3:>9.1f}ms "
            f"{r['method']:>7} {r['speedup']:>7.2f}x {tgt:>7} {ok:>3}",
            flush=True,
        )
        rows.append(r)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "machine": platform.platform(),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "rows": rows,
            },
            indent=2,
        )
    )
    print(f"wrote {args.json}")
    return rows


if __name__ == "__main__":
    main()
