"""``convop bench --compress`` on a tiny layer: rows, table, verdicts, plot. No timing
is asserted (the machine may be loaded); only the structure and the formatting."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("torch")

from convop._tools import bench_cli, bench_compress  # noqa: E402

TINY = (("original", None), ("tucker2", (4, 4)), ("cp", 4), ("svd", 2), ("svd-slice", 1))


@pytest.fixture(scope="module")
def rows():
    return bench_compress.run(channels=8, size=6, batch=2, rounds=2, cases=TINY)


def _row(method, ranks, speedup, lo=0.5, hi=2.5, n=9):
    return {
        "method": method, "ranks": ranks, "params": 1234567, "macs": 9.6e6,
        "decompose_s": 0.5, "median_s": 0.1, "min_s": 0.09, "max_s": 0.2,
        "speedup": speedup, "speedup_min": lo, "speedup_max": hi, "rounds": n,
        "bound_lower": 1.0, "bound_upper": 1.01, "relative_bound": 0.5, "batch": 32,
    }  # fmt: skip


def test_tiny_run_rows(rows):
    assert [r["method"] for r in rows] == [m for m, _ in TINY]
    orig = rows[0]
    assert orig["speedup"] == 1.0 and orig["bound_upper"] == 0.0
    assert orig["rounds"] == 2 * (len(TINY) - 1)  # the original is timed before each one
    for r in rows[1:]:
        assert r["rounds"] == 2
        assert r["min_s"] <= r["median_s"] <= r["max_s"]
        assert r["speedup_min"] <= r["speedup"] <= r["speedup_max"]
        assert 0.0 <= r["bound_lower"] <= r["bound_upper"]
        assert r["params"] > 0 and r["macs"] > 0
    json.dumps(rows)  # what convop bench writes


def test_tiny_table_and_plot(rows, tmp_path):
    text = bench_compress.table(rows)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 2
    assert "speed-up" in lines[0] and "min–max" in lines[0]
    assert lines[3].startswith("tucker2") and "4×4" in lines[3]
    # tiny cases are not the targets: said so, not a crash
    s = bench_compress.summary(rows)
    assert s.count("not measured") == 2
    assert bench_compress.plot(rows, tmp_path / "c.png").stat().st_size > 0


def test_verdicts_pass_and_fail():
    rows = [_row("original", None, 1.0, 1.0, 1.0, 18), _row("tucker2", [64, 64], 2.31),
            _row("cp", [64], 1.94, 1.7, 2.2)]  # fmt: skip
    v = bench_compress.verdicts(rows)
    assert [x["case"] for x in v] == ["tucker2 64×64", "cp 64"]
    assert [x["passed"] for x in v] == [True, False]
    text = bench_compress.summary(rows).splitlines()
    assert text[0].endswith("PASS") and "2.31×" in text[0] and "0.50–2.50" in text[0]
    assert "9 paired rounds" in text[0] and "≥ 2×" in text[0]
    assert text[1].endswith("FAIL") and "1.94×" in text[1] and "1.70–2.20" in text[1]
    # exactly at the target passes (median ≥ target)
    rows[2]["speedup"] = bench_compress.SPEED_TARGET
    assert bench_compress.verdicts(rows)[1]["passed"] is True


def test_table_formats_numbers():
    rows = [_row("original", None, 1.0), _row("cp", [64], 2.5)]
    line = bench_compress.table(rows).splitlines()[3]
    for cell in ("cp", "64", "1,234,567", "9.6M", "100.0", "90.0–200.0", "2.50×",
                 "[1, 1.01]", "0.500"):  # fmt: skip
        assert cell in line


def test_bench_cli_prints_verdicts_and_writes_plot(monkeypatch, tmp_path, capsys):
    rows = [_row("original", None, 1.0), _row("tucker2", [64, 64], 2.2), _row("cp", [64], 1.5)]
    monkeypatch.setattr(bench_compress, "run", lambda quick=False: rows)
    assert bench_cli.main(["--compress", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "target tucker2 64×64: 2.20×" in out and "PASS" in out
    assert "target cp 64: 1.50×" in out and "FAIL" in out
    assert (tmp_path / "compress.png").stat().st_size > 0
    assert json.loads((tmp_path / "compress.json").read_text())[1]["speedup"] == 2.2


def test_main_exit_code(monkeypatch, capsys):
    rows = [_row("original", None, 1.0), _row("tucker2", [64, 64], 2.2), _row("cp", [64], 1.5)]
    monkeypatch.setattr(bench_compress, "run", lambda quick=False: rows)
    assert bench_compress.main([]) == 1
    rows[2]["speedup"] = 2.0
    assert bench_compress.main([]) == 0
    assert "FAIL" not in capsys.readouterr().out.splitlines()[-1]
