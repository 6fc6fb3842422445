"""``convop bench`` on a tiny sweep: table, results.json and the plot."""

from __future__ import annotations

import json

import pytest

from convop._tools import bench as _bench
from convop._tools import bench_cli as _bench_cli


def test_bench_tiny(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert _bench_cli.main(["--tiny", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "geomean convop / best peer" in out and "ratio" in out
    data = json.loads((tmp_path / "results.json").read_text())
    assert {"cases", "layers", "summary", "choice_overhead"} <= set(data)
    case = data["cases"][0]
    assert case["best_peer"] in case["times"] and case["ratio"] > 0
    assert (tmp_path / "bench.png").stat().st_size > 1000


def test_sweeps_cover_the_targets():
    cases = _bench.sweep_cases()
    assert ("1d", 10**6, 3001) in cases and ("2d", 1024, 31) in cases
    assert all(k < n for fam, n, k in cases if fam == "1d")
    assert len(_bench.sweep_cases(quick=True)) < len(cases)


def test_fft_memory_and_skip_rule():
    mem = _bench.fft_memory((4096,), (65,))
    assert mem["peak_bytes"] > 0 and mem["ratio"] < 3
    hist = {("scipy direct", "2d", 1024, "float64", "full"): (15, 6.0)}
    assert _bench._predicted_skip("scipy direct", "2d", 1024, 31, "float64", "full", hist)
    assert _bench._predicted_skip("scipy fft", "2d", 1024, 31, "float64", "full", {}) is None


def test_boundary_above_lists_the_cases_over_the_target():
    fast = _bench.Case(
        "1d",
        "float64",
        "same",
        1000,
        3,
        convop=1e-6,
        boundary={"periodic": 1.2e-6, "reflect": 1.5e-6},
    )
    slow = _bench.Case(
        "2d",
        "float32",
        "same",
        64,
        31,
        convop=1e-4,
        boundary={"reflect": 1.4e-4, "replicate": 1.6e-4},
    )
    rows = _bench.boundary_above([fast, slow])
    assert [(r["case"], r["boundary"]) for r in rows] == [
        ("2d N=64 K=31 float32 same", "replicate"),
        ("1d N=1000 K=3 float64 same", "reflect"),
        ("2d N=64 K=31 float32 same", "reflect"),
    ]
    assert rows[0]["ratio"] == pytest.approx(1.6)
    assert _bench.boundary_above([fast], limit=2.0) == []
    assert _bench.summary([fast, slow])["boundary_above"] == rows


def test_the_callable_after_a_torch_rest_is_warmed_up_untimed(monkeypatch):
    # rotation keeps the cyclic order, so one method always follows the torch peers'
    # rest; it must not pay for it: every callable timed right after a rest gets
    # untimed calls first
    monkeypatch.setattr(_bench, "TORCH_REST", 0.0)
    calls = {"torch peer": 0, "after": 0, "other": 0}

    def counter(name):
        def fn():
            calls[name] += 1

        return fn

    fns = {name: counter(name) for name in calls}
    _bench.time_interleaved(fns, rounds=3, budget=0.0)
    # the torch peer never follows a rest: 2 first calls (timing the loops), then per
    # round one untimed call (samples of one call) and the timed one; "after" follows
    # the rest in rounds 0 and 2 and "other" opens round 2: milliseconds of calls
    assert calls["torch peer"] == 2 + 3 * 2
    assert calls["after"] > 100 and calls["other"] > 100


def test_warm_up_calls_at_least_once_for_about_the_given_time():
    import time

    n = [0]

    def fn():
        n[0] += 1

    _bench._warm_up(fn, seconds=0.0)
    assert n[0] == 1
    t0 = time.perf_counter()
    _bench._warm_up(fn, seconds=0.01)
    assert time.perf_counter() - t0 >= 0.01 and n[0] > 2
