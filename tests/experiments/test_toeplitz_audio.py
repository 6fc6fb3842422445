"""Tests of the Toeplitz / audio experiment."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile
import scipy.signal

from convop.experiments import Result
from convop.experiments import toeplitz_audio as ta


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path]:
    out = tmp_path_factory.mktemp("toeplitz_audio")
    return ta.run(quick=True, seed=0, out_dir=out), out


def test_quick_run_all_claims_pass(written: tuple[Result, Path]) -> None:
    res, _ = written
    failed = [
        (c.statement, c.expected, c.measured) for c in res.claims if c.counts and not c.passed
    ]
    assert not failed, failed
    assert res.name == "toeplitz_audio"
    assert len(res.figures) == 4 and res.tables


def test_wav_files_written_and_readable(written: tuple[Result, Path]) -> None:
    res, out = written
    assert len(res.files) == 5
    for path in res.files:
        assert Path(path).parent == out and Path(path).suffix == ".wav"
        rate, data = scipy.io.wavfile.read(path)
        assert rate == ta.RATE
        assert data.dtype == np.int16 and data.shape == (70_641,)
        assert 0 < np.abs(data.astype(int)).max() <= 32767
    rate, clip = scipy.io.wavfile.read(out / "clip.wav")
    ref, _ = ta.synthesize_clip(seed=0)
    assert np.corrcoef(clip.astype(float), ref)[0, 1] > 0.9999


def test_no_files_without_out_dir() -> None:
    assert ta.run(quick=True, seed=1).files == []


def test_same_seed_same_numbers() -> None:
    a = ta.run(quick=True, seed=2)
    b = ta.run(quick=True, seed=2)
    assert [c.measured for c in a.claims] == [c.measured for c in b.claims]
    assert a.tables == b.tables
    x2, _ = ta.synthesize_clip(seed=2)
    x3, _ = ta.synthesize_clip(seed=3)
    assert not np.array_equal(x2, x3)


def test_clip_has_the_notes_sample_count() -> None:
    # the notes: 70641 samples at 22.05 kHz, "3.2 s" (70641 / 22050 = 3.2037 s)
    clip, onsets = ta.synthesize_clip(seed=0)
    assert clip.size == 70_641
    assert round(clip.size / 22_050, 1) == 3.2
    assert onsets.tolist() == [s for _, _, s, _ in ta.NOTES]


def test_wav_frames_reads_what_scipy_wrote(tmp_path: Path) -> None:
    x = np.sin(np.arange(1234) / 7.0)
    path = tmp_path / "x.wav"
    path.write_bytes(ta.wav_bytes(x))
    rate, data = scipy.io.wavfile.read(path)
    assert ta.wav_frames(path.read_bytes()) == (data.shape[0], rate) == (1234, ta.RATE)


def _claim(res: Result, start: str):
    return next(c for c in res.claims if c.statement.startswith(start))


def test_planted_short_writer_fails_the_sample_count_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A writer that drops the tail (writes round(3.2 · 22050) samples) is caught."""
    real = ta.wav_bytes
    monkeypatch.setattr(ta, "wav_bytes", lambda x: real(x[: round(3.2 * ta.RATE)]))
    res = ta.run(quick=True, seed=0)
    assert not _claim(res, "The synthesised clip, written as a WAV").passed
    assert _claim(res, "The file's duration").passed  # 3.2000 s still rounds to 3.2
    assert not res.passed


def test_planted_wrong_rate_fails_the_duration_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that stamps 44.1 kHz into the header halves the file's duration."""

    def doubled_rate(x: np.ndarray) -> bytes:
        buf = io.BytesIO()
        scipy.io.wavfile.write(buf, 2 * ta.RATE, (1000 * x).astype(np.int16))
        return buf.getvalue()

    monkeypatch.setattr(ta, "wav_bytes", doubled_rate)
    res = ta.run(quick=True, seed=0)
    assert _claim(res, "The synthesised clip, written as a WAV").passed
    assert not _claim(res, "The file's duration").passed


def test_planted_exact_3_2_s_clip_fails_the_sample_count_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Synthesising exactly 3.2 s (70 560 samples) is not the notes' clip."""
    real = ta.synthesize_clip
    monkeypatch.setattr(
        ta, "synthesize_clip", lambda **kw: real(**kw, samples=round(3.2 * ta.RATE))
    )
    claim = _claim(ta.run(quick=True, seed=0), "The synthesised clip, written as a WAV")
    assert not claim.passed and claim.measured == 70_560


def test_toeplitz_matrix_is_valid_correlation() -> None:
    rng = np.random.default_rng(0)
    k, x = rng.standard_normal(4), rng.standard_normal(11)
    T = ta.toeplitz_matrix(k, 11)
    assert T.shape == (8, 11)
    np.testing.assert_allclose(T @ x, np.correlate(x, k, "valid"), atol=1e-14)


@pytest.mark.parametrize("k", [1, 4, 5])
def test_sparse_same_convolution_matches_scipy(k: int) -> None:
    rng = np.random.default_rng(k)
    kernel, x = rng.standard_normal(k), rng.standard_normal(30)
    A = ta._sparse_same_convolution(kernel, 30)
    np.testing.assert_allclose(A @ x, scipy.signal.convolve(x, kernel, mode="same"), atol=1e-13)


def test_pitch_kernel_unit_gain() -> None:
    f0 = ta.note_frequency(81)  # A5, 880 Hz
    t = np.arange(ta.RATE) / ta.RATE
    tone = np.sin(2 * np.pi * f0 * t)
    y = scipy.signal.fftconvolve(tone, ta.pitch_kernel(f0), mode="same")
    assert np.abs(y[5000:-5000]).max() == pytest.approx(1.0, rel=0.01)
    assert ta.note_frequency(69) == 440.0
