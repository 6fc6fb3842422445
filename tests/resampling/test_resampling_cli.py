"""``convop resample`` (the CLI module) and the ``convop bench --resample`` module."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from convop._tools import bench_resampling, resampling_cli
from convop.resampling import resample


def test_npy_round_trip(tmp_path, capsys):
    x = np.random.default_rng(0).standard_normal((3, 50)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    rc = resampling_cli.main(
        [str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), "--p", "3", "--q", "2"]
    )
    assert rc == 0
    y = np.load(tmp_path / "y.npy")
    np.testing.assert_array_equal(y, resample(x, 3, 2))
    assert y.dtype == np.float32
    assert "by 3/2 (matlab)" in capsys.readouterr().out


def test_text_with_ratio_and_octave(tmp_path):
    x = np.random.default_rng(1).standard_normal(40)
    np.savetxt(tmp_path / "x.txt", x)
    rc = resampling_cli.main(
        [str(tmp_path / "x.txt"), str(tmp_path / "y.txt"), "--ratio", "1.5", "--design", "octave"]
    )
    assert rc == 0
    np.testing.assert_allclose(
        np.loadtxt(tmp_path / "y.txt"), resample(x, 3, 2, design="octave"), atol=1e-15
    )


def test_wav_int16_stereo_to_new_rate(tmp_path):
    rng = np.random.default_rng(2)
    t = np.arange(4410) / 44100
    x = np.stack([np.sin(2 * np.pi * 440 * t), np.cos(2 * np.pi * 1000 * t)], axis=1)
    pcm = (x * 20000).astype(np.int16)
    wavfile.write(tmp_path / "in.wav", 44100, pcm)
    assert rng is not None
    rc = resampling_cli.main(
        [str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--rate", "48000", "--quiet"]
    )
    assert rc == 0
    rate, y = wavfile.read(tmp_path / "out.wav")
    assert rate == 48000 and y.dtype == np.int16 and y.shape == (4800, 2)
    ref = np.clip(np.rint(resample(pcm, 160, 147, axis=0)), -32768, 32767).astype(np.int16)
    np.testing.assert_array_equal(y, ref)


@pytest.mark.parametrize(
    "extra,msg",
    [
        (["--p", "0", "--q", "2"], "invalid p=0"),
        (["--p", "3"], "--p and --q go together"),
        ([], "give exactly one of"),
        (["--p", "3", "--q", "2", "--ratio", "1.5"], "give exactly one of"),
        (["--rate", "48000"], "--rate needs a .wav input"),
        (["--ratio", "-2"], "invalid --ratio=-2.0"),
        (["--p", "3", "--q", "2", "--n", "0"], "invalid n=0"),
    ],
)
def test_bad_input_exits_nonzero_with_a_clear_message(tmp_path, capsys, extra, msg):
    np.save(tmp_path / "x.npy", np.ones(10))
    rc = resampling_cli.main([str(tmp_path / "x.npy"), str(tmp_path / "y.npy"), *extra])
    assert rc == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "y.npy").exists()


def test_missing_file_and_usage_errors(tmp_path, capsys):
    assert (
        resampling_cli.main(
            [str(tmp_path / "nope.npy"), str(tmp_path / "y.npy"), "--p", "2", "--q", "1"]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", np.ones(10))
    assert (
        resampling_cli.main(
            [str(tmp_path / "x.npy"), str(tmp_path / "y.wav"), "--p", "2", "--q", "1"]
        )
        == 2
    )
    assert "must be a .npy file" in capsys.readouterr().err
    assert resampling_cli.main(["only-one-arg"]) == 2
    assert resampling_cli.main(["--help"]) == 0


def test_bench_rows_and_table(monkeypatch):
    monkeypatch.setattr(bench_resampling, "PAIRS", ((3, 2), (1, 4)))
    monkeypatch.setattr(bench_resampling, "DTYPES", ("float32",))
    rows = bench_resampling.run(quick=True)
    assert len(rows) == 2
    for r in rows:
        assert r["max_abs_diff"] < 1e-5
        assert {"convop.resample", "scipy.resample_poly", "convop.upfirdn", "scipy.upfirdn"} <= set(
            r["median"]
        )
        assert r["resample_vs_resample_poly"] > 0
    text = bench_resampling.table(rows)
    assert "resample_poly" in text and "3/2" in text and "1/4" in text
