"""convop calibrate: noisy timings are repeated, and constants whose choices are slower
than the shipped ones' on held-out cases are refused."""

from __future__ import annotations

import copy
import io
import json
import time

import pytest

from convop._planning import constants as _constants
from convop._tools import calibrate as _calibrate


def misleading_constants():
    """What a calibration on a busy machine can produce: direct looks almost free."""
    bad = copy.deepcopy(_constants.DEFAULTS)
    for table in bad.values():
        for name in ("sad", "np1d", "np1d_31", "np1d_301"):
            table[name] = (0.0, 1e-14)
    return bad


def test_held_out_cases_are_not_the_fitted_ones():
    # measure() fits on 1-D lengths 200/2000/16384/20000/50000/200000/2**19/2**20 and
    # square 2-D images; the guard must judge on shapes the fit never saw
    assert any(len(s) == 3 for s, *_ in _calibrate.HELD_OUT)
    assert any(len(set(k)) > 1 for _, k, *_ in _calibrate.HELD_OUT)
    assert {"valid", "same", "full"} <= {m for _, _, m, *_ in _calibrate.HELD_OUT}
    assert {b for *_, b, _ in _calibrate.HELD_OUT} == {
        "zero", "reflect", "periodic", "symmetric", "replicate"
    }  # fmt: skip


def test_the_shipped_constants_pass_their_own_check():
    verdict = _calibrate.validate(_constants.DEFAULTS, _calibrate.HELD_OUT)
    assert verdict["accepted"] and verdict["geomean"] == 1.0


def test_a_misleading_measurement_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_calibrate, "measure", lambda quick, progress=None: misleading_constants())
    target = tmp_path / "calibration.json"
    assert _calibrate.main(["--quick", "--output", str(target)]) == 2
    err = capsys.readouterr().err
    assert "refused to save" in err and "--force" in err
    assert not target.exists()
    # the verdict itself: some held-out case is much slower with the new choices
    verdict = _calibrate.validate(misleading_constants(), _calibrate.HELD_OUT_QUICK)
    assert not verdict["accepted"]
    assert max(r["ratio"] for r in verdict["cases"]) > 1.5


def test_force_saves_anyway_and_a_good_set_saves(tmp_path, monkeypatch):
    target = tmp_path / "calibration.json"
    monkeypatch.setattr(_calibrate, "measure", lambda quick, progress=None: misleading_constants())
    assert _calibrate.main(["--quick", "--force", "--output", str(target)]) == 0
    assert target.is_file()
    monkeypatch.setattr(
        _calibrate, "measure", lambda quick, progress=None: copy.deepcopy(_constants.DEFAULTS)
    )
    assert _calibrate.main(["--quick", "--output", str(target)]) == 0
    header = json.loads(target.read_text())
    assert header["held_out_geomean"] == 1.0
    _constants.changed()


def test_check_prints_predicted_and_measured():
    out = io.StringIO()
    rows = _calibrate.check(_calibrate.HELD_OUT_QUICK[:2], file=out)
    text = out.getvalue()
    assert "predicted" in text and "<- auto" in text
    assert all(r["measured"] > 0 and r["predicted"] > 0 for r in rows)
    assert sum(r["auto"] for r in rows) == 2  # one chosen method per case


def test_noisy_timings_are_repeated_and_reported(monkeypatch):
    calls = iter(range(10_000))

    def jittery():  # calls alternate 1 ms / 8 ms: with one call per round, rounds never agree
        time.sleep(0.008 if next(calls) % 2 else 0.001)

    _calibrate.NOISY.clear()
    t = _calibrate._time(jittery, budget=0.001, repeat=5)
    assert t > 0
    assert _calibrate.NOISY and _calibrate.NOISY[0][1] > _calibrate.NOISY_SPREAD


@pytest.mark.parametrize("argv", [["--check", "--quick"]])
def test_cli_check_runs(argv, capsys, monkeypatch):
    monkeypatch.setattr(_calibrate, "HELD_OUT_QUICK", _calibrate.HELD_OUT_QUICK[:1])
    assert _calibrate.main(argv) == 0
    assert "measured" in capsys.readouterr().out
