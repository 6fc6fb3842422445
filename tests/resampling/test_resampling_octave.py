"""design="octave" against GNU Octave's signal package (live when octave-cli is installed,
and always against a small committed fixture of its outputs).

Regenerate the fixture with ``PYTHONPATH=src python tests/resampling/test_resampling_octave.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from convop.resampling import rat, resample

FIXTURE = Path(__file__).parent / "data" / "octave_resample.json"
OCTAVE = shutil.which("octave-cli")
TIMEOUT = 120
TOL = 1e-10


def cases() -> list[dict]:
    """Short signals and (p, q) pairs; ``filter`` is a custom FIR (Octave's delay rule)."""
    rng = np.random.default_rng(2026)
    t = np.arange(40)
    noise = rng.standard_normal(40)
    chirp = np.cos(2 * np.pi * (0.01 * t + 0.004 * t**2))
    impulse = np.zeros(25)
    impulse[12] = 1.0
    out = []
    for p, q in [(3, 2), (2, 3), (2, 1), (1, 4), (5, 3), (147, 160), (160, 147), (6, 4)]:
        out.append({"name": f"noise {p}/{q}", "x": noise, "p": p, "q": q})
    out.append({"name": "chirp 147/160", "x": chirp, "p": 147, "q": 160})
    out.append({"name": "impulse 7/5", "x": impulse, "p": 7, "q": 5})
    out.append({"name": "ramp 1/3", "x": np.arange(30.0), "p": 1, "q": 3})
    out.append({"name": "short 5/2", "x": np.array([1.0, -2.0, 0.5]), "p": 5, "q": 2})
    even = np.array([0.1, 0.2, 0.3, 0.4])
    out.append({"name": "even filter 3/2", "x": noise, "p": 3, "q": 2, "filter": even})
    out.append({"name": "complex 3/2", "x": noise[:20] + 1j * noise[20:], "p": 3, "q": 2})
    odd = np.array([0.25, 0.5, 0.25, 0.1, -0.1])
    out.append({"name": "odd filter 2/5", "x": noise, "p": 2, "q": 5, "filter": odd})
    return out


RATS = [48000 / 44100, 44100 / 48000, np.pi, np.sqrt(2), 0.1, 1.25, 22050 / 16000]


def _vec(v: np.ndarray) -> str:
    if np.iscomplexobj(v):
        return "[" + " ".join(f"{a.real:.17g}{a.imag:+.17g}i" for a in np.ravel(v)) + "]"
    return "[" + " ".join(f"{float(a):.17g}" for a in np.ravel(v)) + "]"


def octave_outputs(cs: list[dict]) -> dict:
    """Run octave-cli once on every case; returns {name: y} and {'rat': [(n, d), ...]}."""
    lines = ["pkg load signal;"]
    for i, c in enumerate(cs):
        args = f"{_vec(c['x'])}, {c['p']}, {c['q']}"
        if "filter" in c:
            args += f", {_vec(c['filter'])}"
        lines.append(
            f"y = resample({args}); printf('Y{i} '); printf('%.17g ', real(y)); printf('\\n');"
            f"if iscomplex(y), printf('I{i} '); printf('%.17g ', imag(y)); printf('\\n'); end"
        )
    for i, r in enumerate(RATS):
        lines.append(f"[n, d] = rat({r:.17g}); printf('R{i} %d %d\\n', n, d);")
    proc = subprocess.run(
        [
            OCTAVE or "octave-cli",
            "--no-gui",
            "--quiet",
            "--no-window-system",
            "--eval",
            "\n".join(lines),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    got: dict = {"y": {}, "rat": [None] * len(RATS)}
    for line in proc.stdout.splitlines():
        tag, *vals = line.split()
        if tag.startswith("Y"):
            got["y"][cs[int(tag[1:])]["name"]] = [float(v) for v in vals]
        elif tag.startswith("I"):
            name = cs[int(tag[1:])]["name"]
            got["y"][name] = [complex(a, b) for a, b in zip(got["y"][name], map(float, vals))]
        elif tag.startswith("R"):
            got["rat"][int(tag[1:])] = [int(vals[0]), int(vals[1])]
    missing = [c["name"] for c in cs if c["name"] not in got["y"]]
    assert not missing, f"octave gave no output for {missing}: {proc.stderr[-2000:]}"
    return got


def _as_array(v: list) -> np.ndarray:
    """JSON list back to an array (complex outputs are stored as [re, im] pairs)."""
    a = np.asarray(v)
    return a[:, 0] + 1j * a[:, 1] if a.ndim == 2 else a


def _jsonable(v: list) -> list:
    return [[z.real, z.imag] for z in v] if v and isinstance(v[0], complex) else v


def ours(c: dict) -> np.ndarray:
    return resample(c["x"], c["p"], c["q"], filter=c.get("filter"), design="octave")


def _check(cs: list[dict], ys: dict) -> None:
    for c in cs:
        ref = _as_array(ys[c["name"]])
        y = ours(c)
        assert y.shape == ref.shape, (c["name"], y.shape, ref.shape)
        err = np.abs(y - ref).max()
        assert err <= TOL, (c["name"], err)


def test_against_committed_octave_fixture():
    data = json.loads(FIXTURE.read_text())
    assert data["octave_signal"].startswith("1.4")
    cs = cases()
    assert sorted(data["y"]) == sorted(c["name"] for c in cs)
    _check(cs, data["y"])
    assert [list(rat(r)) for r in RATS] == data["rat"]


def test_fixture_is_small():
    assert FIXTURE.stat().st_size < 50_000


def test_matlab_and_octave_designs_differ_on_white_noise():
    # the "up to about 0.2": measured here on unit white noise
    x = np.random.default_rng(0).standard_normal(2000)
    diffs = [
        np.abs(resample(x, p, q) - resample(x, p, q, design="octave")).max()
        for p, q in [(3, 2), (147, 160), (160, 147), (2, 1)]
    ]
    assert 0.1 < max(diffs) < 0.4, diffs


def test_even_filter_delay_rules_differ_by_one_output():
    x = np.random.default_rng(1).standard_normal(50)
    b = np.array([0.1, 0.2, 0.3, 0.4])
    m = resample(x, 3, 2, filter=b, design="matlab")
    o = resample(x, 3, 2, filter=b, design="octave")
    # Octave drops one output fewer (floor instead of floor∘ceil): its series lags by one
    np.testing.assert_allclose(o[1:], m[:-1], atol=1e-14)
    # odd filters: the same rule
    c = np.array([0.2, 0.5, 0.2])
    np.testing.assert_array_equal(
        resample(x, 3, 2, filter=c, design="matlab"), resample(x, 3, 2, filter=c, design="octave")
    )


@pytest.mark.skipif(OCTAVE is None, reason="GNU Octave (octave-cli) is not installed")
def test_against_live_octave():
    cs = cases()
    rng = np.random.default_rng(7)
    for p, q in [(4, 9), (9, 4), (1, 2), (11, 10)]:
        cs.append({"name": f"live {p}/{q}", "x": rng.standard_normal(37), "p": p, "q": q})
    z = rng.standard_normal(20) + 1j * rng.standard_normal(20)
    cs.append({"name": "live complex 3/2", "x": z, "p": 3, "q": 2})
    got = octave_outputs(cs)
    _check(cs, got["y"])
    assert [list(rat(r)) for r in RATS] == got["rat"]
    # the committed fixture is what this Octave computes
    data = json.loads(FIXTURE.read_text())
    for name, y in data["y"].items():
        assert np.abs(_as_array(y) - np.asarray(got["y"][name])).max() <= 1e-13, name


def _octave_signal_version() -> str:
    proc = subprocess.run(
        [
            OCTAVE or "octave-cli",
            "--no-gui",
            "--quiet",
            "--eval",
            "pkg load signal; v = pkg('list', 'signal'); printf('%s\\n', v{1}.version);",
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return proc.stdout.strip().splitlines()[-1]


if __name__ == "__main__":  # regenerate the fixture
    cs = cases()
    got = octave_outputs(cs)
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(
        json.dumps(
            {
                "about": "GNU Octave signal-package resample(x, p, q[, h]) outputs; "
                "inputs are rebuilt by cases() in test_resampling_octave.py",
                "octave_signal": _octave_signal_version(),
                "y": {k: _jsonable(v) for k, v in got["y"].items()},
                "rat": got["rat"],
            },
            indent=0,
        )
    )
    print(FIXTURE, FIXTURE.stat().st_size, "bytes")
