"""Convolution as a sparse Toeplitz layer, listened to: pitch kernels find the notes.

A fully connected layer on a long audio clip is a huge dense ("fat") matrix.
Locality (each output looks at a few neighbouring samples) and stationarity
(the same weights at every position) reduce it to a banded Toeplitz matrix,
i.e. a convolution. Here a synthetic four-note clip is convolved with four
matched pitch kernels (Hann-windowed sinusoids), and the envelope of each
response locates its note in time.

Examples
--------
>>> T = toeplitz_matrix(np.array([1.0, 2.0, 3.0]), 5)
>>> T.tolist()
[[1.0, 2.0, 3.0, 0.0, 0.0], [0.0, 1.0, 2.0, 3.0, 0.0], [0.0, 0.0, 1.0, 2.0, 3.0]]
>>> clip, onsets = synthesize_clip(seed=0)
>>> clip.shape, clip.dtype
((70641,), dtype('float64'))
>>> wav_frames(wav_bytes(clip))
(70641, 22050)
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
import scipy.io.wavfile
import scipy.signal
import scipy.sparse

from convop.experiments._report import new_figure
from convop.experiments._result import Claim, Result

__all__ = [
    "DURATION",
    "NOTES",
    "NOTES_SAMPLE_COUNT",
    "RATE",
    "SUMMARY",
    "TITLE",
    "envelope",
    "note_frequency",
    "pitch_kernel",
    "run",
    "synthesize_clip",
    "toeplitz_matrix",
    "wav_bytes",
    "wav_frames",
]

TITLE = "Convolution as a sparse Toeplitz layer: listening to pitch kernels"
SUMMARY = (
    "A fully connected layer on raw audio needs one weight per input sample for every "
    "output: the source notes' 3.2 s clip at 22 050 Hz has 70 641 samples, so a "
    "same-size dense layer has about 5·10⁹ weights. Locality (zero weights far from "
    "the diagonal) and stationarity (the same weights at every position) turn that "
    "matrix into a banded Toeplitz matrix: a convolution, with as many parameters as "
    "kernel taps. The section draws such a matrix next to its dense counterpart. It "
    "then synthesises a four-note melody of the notes' length (the descending Windows "
    "XP shutdown motif, first note near 1 660 Hz) with a little noise. The melody is "
    "convolved with one matched pitch kernel per note, a Hann-windowed sinusoid. Each "
    "response lights up only while its note sounds, and the envelope's rise marks the "
    "onset. The clip and the four responses are written as WAV files to listen to."
)

#: sampling rate of the clip, in Hz
RATE = 22_050
#: duration of the clip as the notes give it, in s (to one decimal)
DURATION = 3.2
#: the sample count the notes print for their clip: 70 641 / 22 050 = 3.2037 s, which
#: is their 3.2 s to the one decimal they give
NOTES_SAMPLE_COUNT = 70_641

#: the melody: (name, MIDI note number, onset in s, end in s)
NOTES: tuple[tuple[str, int, float, float], ...] = (
    ("A♭6", 92, 0.15, 0.55),
    ("E♭6", 87, 0.55, 0.95),
    ("A♭5", 80, 0.95, 1.35),
    ("B♭5", 82, 1.35, 3.05),
)

KERNEL_SECONDS = 0.05
ONSET_TOLERANCE = 0.05


def note_frequency(midi: int) -> float:
    """Equal-tempered frequency (Hz) of MIDI note ``midi`` with A4 = 440 Hz.

    Examples
    --------
    >>> round(note_frequency(92), 1)
    1661.2
    """
    return 440.0 * 2.0 ** ((midi - 69) / 12)


def toeplitz_matrix(kernel: np.ndarray, n: int) -> np.ndarray:
    """Dense matrix of the 'valid' cross-correlation of a length-``n`` input with ``kernel``.

    Row ``i`` holds the kernel in columns ``i .. i + k - 1``: output ``i`` is
    ``kernel[0] x[i] + ... + kernel[k-1] x[i+k-1]``.

    Parameters
    ----------
    kernel : (k,) ndarray
    n : int
        Input length, ``n >= k``.

    Returns
    -------
    (n - k + 1, n) ndarray
    """
    k = len(kernel)
    T = np.zeros((n - k + 1, n), dtype=np.result_type(kernel, float))
    for i in range(n - k + 1):
        T[i, i : i + k] = kernel
    return T


def _sparse_same_convolution(kernel: np.ndarray, n: int) -> scipy.sparse.csr_array:
    """Sparse banded Toeplitz matrix of ``scipy.signal.convolve(x, kernel, 'same')``."""
    k = len(kernel)
    start = (k - 1) // 2  # 'same' keeps full-output samples start .. start + n - 1
    # y[i] = sum_j kernel[j] x[i + start - j]: diagonal offset start - j holds kernel[j]
    offsets = start - np.arange(k)
    data = [np.full(n, v) for v in kernel]
    return scipy.sparse.dia_array((np.array(data), offsets), shape=(n, n)).tocsr()


def synthesize_clip(
    *, seed: int = 0, noise: float = 0.01, samples: int = NOTES_SAMPLE_COUNT
) -> tuple[np.ndarray, np.ndarray]:
    """The four-note clip: ``samples`` samples at :data:`RATE`, by default as long as
    the notes' clip (:data:`NOTES_SAMPLE_COUNT`, 3.2037 s).

    Each note is a sinusoid of random phase with a 5 ms linear attack, an
    exponential decay and a 5 ms release at the next note's onset. Seeded
    white noise of standard deviation ``noise`` is added.

    Returns
    -------
    clip : (samples,) ndarray
        Samples, peak amplitude about 0.5.
    onsets : (4,) ndarray
        True onset times in s.
    """
    rng = np.random.default_rng(seed)
    n = int(samples)
    t = np.arange(n) / RATE
    clip = np.zeros(n)
    for _, midi, start, end in NOTES:
        tau = 0.25 if end - start < 1 else 0.7  # decay time constant, s
        local = t - start
        gate = np.clip(local / 0.005, 0, 1) * np.clip((end - t) / 0.005, 0, 1)
        amp = 0.5 * gate * np.exp(-np.maximum(local, 0) / tau)
        clip += amp * np.sin(2 * np.pi * note_frequency(midi) * t + rng.uniform(0, 2 * np.pi))
    clip += noise * rng.standard_normal(n)
    return clip, np.array([start for _, _, start, _ in NOTES])


def pitch_kernel(freq: float, *, seconds: float = KERNEL_SECONDS, rate: int = RATE) -> np.ndarray:
    """Matched filter for a tone of ``freq`` Hz: a Hann-windowed sinusoid of odd length.

    Scaled so that a unit-amplitude tone at ``freq`` gives a response of
    amplitude about 1.
    """
    m = round(seconds * rate) | 1
    s = (np.arange(m) - m // 2) / rate
    w = np.hanning(m)
    return 2.0 * w * np.cos(2 * np.pi * freq * s) / w.sum()


def envelope(x: np.ndarray) -> np.ndarray:
    """Amplitude envelope ``|x + i H(x)|`` (``H`` the Hilbert transform)."""
    return np.abs(scipy.signal.hilbert(x))


def _convolver() -> tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """``convop.convolve`` when the package provides it, else ``scipy.signal.fftconvolve``."""
    import convop

    fn = getattr(convop, "convolve", None)
    if fn is not None:
        return "convop.convolve", lambda x, k: np.asarray(fn(x, k, mode="same"))
    return "scipy.signal.fftconvolve", lambda x, k: scipy.signal.fftconvolve(x, k, mode="same")


def wav_bytes(x: np.ndarray) -> bytes:
    """``x`` as a mono 16-bit PCM WAV file at :data:`RATE`, peak scaled to 90 % of full scale.

    Examples
    --------
    >>> wav_frames(wav_bytes(np.zeros(5)))
    (5, 22050)
    """
    peak = float(np.max(np.abs(x)))
    pcm = np.round(0.9 * 32767 * x / (peak if peak > 0 else 1.0)).astype(np.int16)
    buf = io.BytesIO()
    scipy.io.wavfile.write(buf, RATE, pcm)
    return buf.getvalue()


def wav_frames(data: bytes) -> tuple[int, int]:
    """``(frames, frame rate)`` read from a WAV file's header by the standard library.

    Python's :mod:`wave` reader is independent of the scipy writer, so the
    numbers are a measurement of what was written, not an echo of it.
    """
    with wave.open(io.BytesIO(data), "rb") as w:
        return w.getnframes(), w.getframerate()


def _write_wav(path: Path, x: np.ndarray) -> Path:
    path.write_bytes(wav_bytes(x))
    return path


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Build the Toeplitz picture, synthesise the clip, find the notes by convolution.

    Parameters
    ----------
    quick : bool
        Accepted for the tour's interface; the experiment takes about a second
        either way, so nothing changes.
    seed : int
        Seeds the notes' phases and the noise.
    out_dir : Path, optional
        When given, ``clip.wav`` and ``response_<k>_<note>.wav`` (16-bit PCM)
        are written there and listed in ``Result.files``.

    Returns
    -------
    Result
    """
    res = Result("toeplitz_audio", TITLE, summary=SUMMARY)
    rng = np.random.default_rng(seed)

    # -- the small picture: a 3-tap layer as a sparse Toeplitz matrix ------------------
    n_small = 12
    a = np.array([1.0, -2.0, 0.5])
    T = toeplitz_matrix(a, n_small)
    dense = rng.standard_normal(T.shape)
    x_small = rng.standard_normal(n_small)
    res.claims += [
        Claim.at_most(
            "The 10×12 Toeplitz matrix applies the 3-tap layer: T x equals "
            "numpy.correlate(x, a, 'valid') (max |difference|)",
            1e-14,
            float(np.max(np.abs(T @ x_small - np.correlate(x_small, a, "valid")))),
        ),
        Claim.equal(
            "Non-zeros of the Toeplitz layer (3 per row, 10 rows); its dense "
            "counterpart has 120 weights",
            30,
            int(np.count_nonzero(T)),
        ),
    ]

    # -- the clip, as the notes describe it: 70 641 samples at 22.05 kHz ----------------
    clip, onsets = synthesize_clip(seed=seed)
    n = clip.size
    clip_wav = wav_bytes(clip)
    frames, frame_rate = wav_frames(clip_wav)
    res.claims += [
        Claim.equal(
            "The synthesised clip, written as a WAV file and read back (Python's wave "
            "module), has the 70 641 samples the notes print for their clip",
            NOTES_SAMPLE_COUNT,
            frames,
            detail=f"{n} samples synthesised, {frames} frames at {frame_rate} Hz in the file",
        ),
        Claim.close(
            "The file's duration, frames / frame rate from its header, is the notes' "
            "3.2 s to the one decimal they give (s)",
            DURATION,
            frames / frame_rate,
            atol=0.05,
            rtol=0.0,
        ),
    ]
    res.text.append(
        f"Sample count. The notes load a clip of 70 641 samples at 22.05 kHz and call it "
        f"3.2 s long: 70 641 / 22 050 = {NOTES_SAMPLE_COUNT / RATE:.4f} s, which is 3.2 s "
        "to the one decimal they give, so the two figures agree. The clip here is "
        f"synthesised with the same length; the WAV file written from it holds {frames} "
        f"frames at {frame_rate} Hz, {frames / frame_rate:.4f} s. The notes name only the "
        "first pitch (near 1 600 Hz on their spectrogram). The other three follow the "
        "melody of the clip they analyse, the Windows XP shutdown sound: A♭6, E♭6, A♭5, "
        "B♭5, equal-tempered with A4 = 440 Hz."
    )

    freqs = np.array([note_frequency(m) for _, m, _, _ in NOTES])
    nperseg = 1024
    f_spec, t_spec, Sxx = scipy.signal.spectrogram(
        clip, fs=RATE, nperseg=nperseg, noverlap=3 * nperseg // 4
    )
    peak_err = []
    for (_, _, start, end), f0 in zip(NOTES, freqs):
        cols = (t_spec > start + 0.03) & (t_spec < min(end, start + 0.35) - 0.03)
        peak_err.append(abs(f_spec[np.argmax(Sxx[:, cols].mean(axis=1))] - f0))
    res.claims.append(
        Claim.at_most(
            "Each note's spectrogram peak lies within one frequency bin "
            f"({RATE / nperseg:.1f} Hz) of its pitch (max |error| in Hz)",
            RATE / nperseg,
            float(max(peak_err)),
        )
    )

    # -- four matched pitch kernels --------------------------------------------------
    method, conv = _convolver()
    kernels = [pitch_kernel(f) for f in freqs]
    responses = [conv(clip, k) for k in kernels]
    envs = [envelope(r) for r in responses]
    if method != "scipy.signal.fftconvolve":
        ref = scipy.signal.fftconvolve(clip, kernels[0], mode="same")
        res.claims.append(
            Claim.at_most(
                f"{method} agrees with scipy.signal.fftconvolve on the clip (relative max error)",
                1e-10,
                float(np.max(np.abs(responses[0] - ref)) / np.max(np.abs(ref))),
            )
        )

    # the same response, computed as a sparse banded Toeplitz matrix times the clip
    m_check = 4_000
    A = _sparse_same_convolution(kernels[0], m_check)
    excerpt = clip[:m_check]
    ref = scipy.signal.fftconvolve(excerpt, kernels[0], mode="same")
    res.claims.append(
        Claim.at_most(
            f"A sparse banded Toeplitz matrix ({m_check}×{m_check}, {A.nnz} non-zeros) reproduces "
            "the FFT convolution of the first 'same' response (relative max error)",
            1e-10,
            float(np.max(np.abs(A @ excerpt - ref)) / np.max(np.abs(ref))),
        )
    )

    t = np.arange(n) / RATE
    detected, peaks, ratios = [], [], []
    for k, ((_, _, start, end), env) in enumerate(zip(NOTES, envs)):
        above = np.flatnonzero(env >= 0.5 * env.max())
        detected.append(above[0] / RATE)
        peaks.append(np.argmax(env) / RATE)
        inside = (t >= start) & (t < end)
        others = np.zeros(n, dtype=bool)
        for j, (_, _, s2, e2) in enumerate(NOTES):
            if j != k:
                others |= (t >= s2 + KERNEL_SECONDS) & (t < e2 - KERNEL_SECONDS)
        ratios.append(float(env[inside].max() / env[others].max()))
    detected_a = np.array(detected)
    errors = np.abs(detected_a - onsets)
    res.claims += [
        Claim.at_most(
            f"Onsets found by the kernel responses (half-maximum of the envelope) "
            f"lie within {ONSET_TOLERANCE * 1e3:.0f} ms of the truth (max |error| "
            "in s)",
            ONSET_TOLERANCE,
            float(errors.max()),
        ),
        Claim.true(
            "Each kernel's envelope peaks while its own note is played",
            all(s <= p < e for p, (_, _, s, e) in zip(peaks, NOTES)),
            "peaks at " + ", ".join(f"{p:.3f} s" for p in peaks),
        ),
        Claim.at_least(
            "Selectivity: each envelope's peak during its note over its largest "
            "value during the other notes (worst kernel, ratio)",
            10.0,
            float(min(ratios)),
        ),
    ]
    res.table(
        "Notes, matched kernels and detected onsets",
        [
            "note",
            "pitch (Hz)",
            "true onset (s)",
            "detected onset (s)",
            "error (ms)",
            "envelope peak (s)",
            "selectivity (ratio)",
        ],
        [
            [
                name,
                f"{f0:.1f}",
                f"{s:.3f}",
                f"{d:.4f}",
                f"{1e3 * (d - s):+.1f}",
                f"{p:.3f}",
                f"{r:.0f}",
            ]
            for (name, _, s, _), f0, d, p, r in zip(NOTES, freqs, detected, peaks, ratios)
        ],
    )
    k_len = len(kernels[0])
    res.table(
        "Fully connected vs convolutional layer on this clip (same-size output)",
        ["layer", "matrix entries", "non-zeros", "free parameters"],
        [
            ["fully connected", f"{n * n:.3e}", f"{n * n:.3e}", f"{n * n:.3e}"],
            [
                "convolution (one pitch kernel)",
                f"{n * n:.3e}",
                f"{n * k_len - (k_len // 2) * (k_len // 2 + 1):.3e}",
                f"{k_len}",
            ],
        ],
    )
    res.text.append(
        f"Convolutions are computed with {method}. Each pitch kernel has {k_len} taps "
        f"({1e3 * k_len / RATE:.1f} ms). Its response is the running scalar product "
        "of the clip with that kernel, which is large only where the clip contains "
        "that pitch. The onset is the first sample where the response's Hilbert "
        "envelope reaches half of its maximum."
    )

    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        # the very bytes measured above
        (out / "clip.wav").write_bytes(clip_wav)
        res.files.append(out / "clip.wav")
        for k, ((name, _, _, _), r) in enumerate(zip(NOTES, responses), start=1):
            label = name.replace("♭", "b")
            res.files.append(_write_wav(out / f"response_{k}_{label}.wav", r))

    res.figure(
        "A 3-tap convolutional layer as a 10×12 Toeplitz matrix (left: banded, "
        "sparse, one shared kernel) and a dense fully connected layer of the same "
        "shape (right).",
        _fig_matrices(T, dense),
    )
    res.figure(
        "The synthetic clip (top) and its spectrogram (bottom); dashed lines mark "
        "the true onsets. FS: full scale, the unit of the samples.",
        _fig_spectrogram(clip, f_spec, t_spec, Sxx, onsets),
    )
    res.figure(
        "The four pitch kernels: Hann-windowed sinusoids of 50 ms (left) and their "
        "central 6 ms (right).",
        _fig_kernels(kernels, freqs),
    )
    res.figure(
        "Response of each pitch kernel (grey) and its envelope (colour); dashed: "
        "true onset, dotted: detected onset.",
        _fig_responses(t, responses, envs, onsets, detected_a, freqs),
    )
    return res


# -- figures --------------------------------------------------------------------------


def _fig_matrices(T: np.ndarray, dense: np.ndarray) -> Any:
    fig, axes = new_figure(2, 1, width=4.4, height=3.8)
    lim = float(np.max(np.abs(dense)))
    for ax, M, title in zip(axes, (T, dense), ("convolution: Toeplitz", "fully connected")):
        shown = np.where(M == 0, np.nan, M)
        im = ax.imshow(shown, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
        ax.set_xlabel("input sample index")
        ax.set_ylabel("output sample index")
        ax.set_xticks(np.arange(M.shape[1]))
        ax.set_yticks(np.arange(M.shape[0]))
        ax.tick_params(labelsize=8)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="weight (white: exactly 0)")
    return fig


def _fig_spectrogram(
    clip: np.ndarray, f: np.ndarray, ts: np.ndarray, Sxx: np.ndarray, onsets: np.ndarray
) -> Any:
    fig, (a1, a2) = new_figure(1, 2, width=8.0, height=2.8)
    t = np.arange(clip.size) / RATE
    a1.plot(t, clip, lw=0.4)
    a1.set_xlim(0, clip.size / RATE)
    a1.set_xlabel("time (s)")
    a1.set_ylabel("amplitude (FS)")
    db = 10 * np.log10(Sxx + 1e-12)
    keep = f <= 2500
    im = a2.pcolormesh(
        ts, f[keep], db[keep], shading="auto", cmap="magma", vmin=db.max() - 80, vmax=db.max()
    )
    a2.set_xlim(0, clip.size / RATE)
    a2.set_xlabel("time (s)")
    a2.set_ylabel("frequency (Hz)")
    fig.colorbar(im, ax=a2, label="PSD (dB re 1 FS²/Hz)")
    for ax in (a1, a2):
        for s in onsets:
            ax.axvline(s, color="c", ls="--", lw=0.8)
    return fig


def _fig_kernels(kernels: list[np.ndarray], freqs: np.ndarray) -> Any:
    fig, axes = new_figure(2, len(kernels), width=4.0, height=1.4)
    for row, k, f0, name in zip(axes, kernels, freqs, [nm for nm, _, _, _ in NOTES]):
        m = len(k)
        s = 1e3 * (np.arange(m) - m // 2) / RATE
        zoom = np.abs(s) <= 3
        row[0].plot(s, k, lw=0.3)
        row[1].plot(s[zoom], k[zoom])
        row[0].set_title(f"{name}, {f0:.1f} Hz: whole kernel", fontsize=10)
        row[1].set_title(f"{name}: central 6 ms", fontsize=10)
        for ax in row:
            ax.set_ylabel("weight")
    for ax in axes[-1]:
        ax.set_xlabel("kernel time (ms)")
    return fig


def _fig_responses(
    t: np.ndarray,
    responses: list[np.ndarray],
    envs: list[np.ndarray],
    onsets: np.ndarray,
    detected: np.ndarray,
    freqs: np.ndarray,
) -> Any:
    fig, axes = new_figure(1, len(responses), width=8.0, height=1.6)
    step = 4  # plot every 4th sample: about 17 700 points per panel are plenty
    for k, ax in enumerate(axes):
        ax.plot(t[::step], responses[k][::step], color="0.7", lw=0.3)
        ax.plot(
            t[::step],
            envs[k][::step],
            color=f"C{k}",
            lw=1.0,
            label=f"{NOTES[k][0]} kernel ({freqs[k]:.0f} Hz)",
        )
        ax.axvline(onsets[k], color="k", ls="--", lw=0.8)
        ax.axvline(detected[k], color="r", ls=":", lw=1.2)
        ax.set_xlim(0, t[-1])
        ax.set_ylabel("response (FS)")
        ax.legend(loc="upper right")
    axes[-1].set_xlabel("time (s)")
    return fig
