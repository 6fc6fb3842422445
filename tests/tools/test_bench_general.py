"""``convop bench --general`` on tiny cases: valid cases, checked peers, table, summary."""

import json

import numpy as np
import pytest

from convop._tools import bench_cli, bench_general
from convop._tools.bench_general import GCase

TINY = [
    GCase("1d 101 K=8 corr", (101,), (8,), op="correlate"),
    GCase("31x17 1x4 f4 replicate", (31, 17), (1, 4), "float32", boundary="replicate"),
    GCase("20x15 4x3 symmetric", (20, 15), (4, 3), boundary="symmetric"),
    GCase("3x40 1x6 axes=-1 periodic", (3, 40), (1, 6), boundary="periodic", axes=(-1,)),
    GCase("12^3 3^3 c16 valid", (12, 12, 12), (3, 3, 3), "complex128", mode="valid"),
    GCase("10x9 3x3 i4 full", (10, 9), (3, 3), "int32", mode="full"),
    GCase("4x30 1x5 c16 corr axes=-1", (4, 30), (1, 5), "complex128", op="correlate", axes=(-1,)),
]


def _spec_ok(c: GCase) -> bool:
    return (
        len(c.shape_a) == len(c.shape_b)
        and all(q <= p for p, q in zip(c.shape_a, c.shape_b))
        and all(c.shape_b[i] == 1 for i in range(len(c.shape_a)) if i not in c.conv_axes())
    )


@pytest.mark.parametrize("quick", [False, True])
def test_cases_are_valid_and_cover_the_dimensions(quick):
    cs = bench_general.cases(quick)
    assert (12 <= len(cs) <= 14) if quick else (30 <= len(cs) <= 46)
    assert len({c.name for c in cs}) == len(cs)
    assert all(_spec_ok(c) for c in cs)
    covered = {
        "3-D": any(len(c.shape_a) == 3 and c.axes is None for c in cs),
        "axes": any(c.axes is not None for c in cs),
        "1xk": any(len(c.shape_b) == 2 and c.shape_b[0] == 1 < c.shape_b[1] for c in cs),
        "kx1": any(len(c.shape_b) == 2 and c.shape_b[1] == 1 < c.shape_b[0] for c in cs),
        "k1xk2": any(len(set(c.shape_b)) > 1 and min(c.shape_b) > 1 for c in cs),
        "non-square": any(len(c.shape_a) == 2 and c.shape_a[0] != c.shape_a[1] for c in cs),
        "complex": any(np.dtype(c.dtype).kind == "c" for c in cs),
        "integer": any(np.dtype(c.dtype).kind == "i" for c in cs),
        "valid": any(c.mode == "valid" for c in cs),
        "correlate": any(c.op == "correlate" for c in cs),
        "even kernel": any(any(q % 2 == 0 for q in c.shape_b) for c in cs),
    }
    if not quick:
        covered["3-D"] = covered["3-D"] and any(c.boundary == "reflect" for c in cs)
    assert all(covered.values()), covered
    assert {c.boundary for c in cs} == {"zero", "periodic", "reflect", "symmetric", "replicate"}
    rng = np.random.default_rng(0)
    for c in cs[:3]:
        a, b = c.arrays(rng)
        assert a.shape == c.shape_a and a.dtype == np.dtype(c.dtype)


@pytest.mark.parametrize("case", TINY, ids=lambda c: c.name)
def test_every_peer_agrees_with_convop(case):
    """The peers as built (modes, centring for even kernels, flips) give convop's answer."""
    torch = pytest.importorskip("torch") if case.dtype == "float32" else None
    a, b = case.arrays(np.random.default_rng(1))
    ref = bench_general._convop(case, a, b)()
    ps = bench_general.peers(case, a, b, torch)
    assert ps, case.name
    for name, cands in ps.items():
        fn, secs, why = bench_general.check_peer(ref, cands, a.dtype)
        assert fn is not None, (name, why)
        assert secs >= 0


def test_ndimage_modes_and_even_origins():
    c = GCase("16x12 4x2 reflect", (16, 12), (4, 2), boundary="reflect")
    a, b = c.arrays(np.random.default_rng(2))
    ref = bench_general._convop(c, a, b)()
    fn, _, why = bench_general.check_peer(ref, bench_general.peers(c, a, b)["ndimage"], a.dtype)
    assert fn is not None, why
    assert bench_general.NDIMAGE_MODE["symmetric"] == "reflect"


def test_wrong_peer_is_excluded_and_counted(monkeypatch):
    real = bench_general.peers

    def with_wrong(c, a, b, torch=None):
        out = real(c, a, b, torch)
        out["wrong"] = [lambda: np.zeros_like(real(c, a, b)["scipy auto"][0]()) + 1.0]
        out["raises"] = [lambda: 1 / 0]
        return out

    monkeypatch.setattr(bench_general, "peers", with_wrong)
    rows = bench_general.run_cases(TINY[:1], rounds=2, torch=None, budget=0.0)
    r = rows[0]
    assert set(r["excluded"]) == {"wrong", "raises"}
    assert "wrong" not in r["peers"] and "scipy auto" in r["peers"] and "numpy" in r["peers"]
    assert bench_general.stats(rows)["excluded_peers"] == 2
    assert "wrong excluded" in bench_general.table(rows)


def test_rows_table_and_summary_format():
    rows = bench_general.run_cases(TINY[:4], rounds=2, torch=None, budget=0.0)
    for r in rows:
        assert r["method"] in r["forced"] and r["best_peer"] in r["peers"]
        lo, hi = r["convop_spread"]
        assert lo <= r["convop"] <= hi and r["ratio"] > 0
        assert r["model_ratio"] > 0 or r["model_ratio"] != r["model_ratio"]
        assert r["method"] in r["predicted"]
    text = bench_general.table(rows)
    head = text.splitlines()[0]
    for col in ("case", "auto", "convop ms [min-max]", "best peer", "ratio", "pred/meas"):
        assert col in head
    assert all(c.name in text for c in TINY[:4])
    s = bench_general.stats(rows)
    assert s["cases"] == 4 and s["worst"] >= s["geomean"] > 0 and s["worst_case"]
    assert 0 <= s["above_2"] <= s["above_1.3"] <= 4
    summ = bench_general.summary(rows)
    assert summ.startswith("auto / fastest peer over 4 cases: geomean ")
    assert "above 1.3x" in summ and "above 2x" in summ and "predicted / measured" in summ
    json.dumps(rows)  # JSON-able, as convop bench writes it


def test_convop_bench_general_quick_runs(tmp_path, monkeypatch, capsys):
    assert bench_cli.SUBSYSTEM_MODULE["general"] == "general" and "general" in bench_cli.SUBSYSTEMS
    monkeypatch.setattr(
        bench_general,
        "run",
        lambda quick, progress=None: bench_general.run_cases(
            TINY[:2], rounds=2, torch=None, budget=0.0, progress=progress
        ),
    )
    assert bench_cli.main(["--general", "--quick", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert f"[2/2] {TINY[1].name}" in captured.err  # progress while the sweep runs
    assert "# convop bench --general" in out and "auto / fastest peer over 2 cases" in out
    rows = json.loads((tmp_path / "general.json").read_text())
    assert [r["name"] for r in rows] == [c.name for c in TINY[:2]]
    assert (tmp_path / "general.png").read_bytes()[:4] == b"\x89PNG"
