"""Deblurring real photographs: the boundary of the forward model decides the result.

A photograph is a window on a larger scene, so its blurred version depends on pixels
outside the frame. Assuming periodic boundaries (the FFT / Wiener shortcut of
``skimage.restoration.wiener``) wraps the left edge onto the right one and rings;
assuming a half-sample mirror (reflective boundary) keeps the one-pass speed — the
DCT diagonalises that operator when the PSF is symmetric — and removes the ringing.
Everything else (zero, whole-sample reflect, replicate, non-symmetric PSFs) is solved
by CG / LSQR on the exact operator, preconditioned by the nearest structured one.

Examples
--------
>>> x = _scene(np.ones((20, 20)), gaussian_psf(1.0, 2), 0.0, np.random.default_rng(0))[0]
>>> x.shape
(16, 16)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np
from scipy.signal import fftconvolve

from convop._core.optional import require
from convop._operators.convolution import Convolution
from convop.deconvolution import deconvolve
from convop.experiments._report import new_figure
from convop.experiments._result import Claim, Result

__all__ = ["SUMMARY", "TITLE", "gaussian_psf", "images", "motion_psf", "run"]

TITLE = "Deblurring: periodic boundaries ring, the reflective (DCT) solve does not"
SUMMARY = (
    "Three of scikit-image's bundled photographs (camera, astronaut in grey, coins) are "
    "blurred the way a camera blurs them — the blur reaches pixels outside the frame — "
    "with a Gaussian and a diagonal motion PSF, plus 1 % Gaussian noise, and deblurred "
    "by Tikhonov with λ chosen by generalised cross-validation. The periodic (FFT) "
    "solve, which is what skimage.restoration.wiener computes, rings at the borders; "
    "the reflective solve — one DCT pass, because a half-sample mirror with a symmetric "
    "PSF is diagonalised by the DCT-II — removes the ringing at the same cost. The "
    "motion PSF is not symmetric, so its reflective problem is solved by CG on the exact "
    "operator with an FFT preconditioner. A Poisson case compares Richardson–Lucy with a "
    "mirrored boundary against scikit-image's. Finally the speed: one DCT solve of a "
    "1024² image against CG to the same PSNR, and the iterations the structured "
    "preconditioner saves on the boundaries that have no fast solve."
)

#: width of the border band (pixels) in which ringing is measured
BAND = 12


def gaussian_psf(sigma: float, radius: int) -> np.ndarray:
    """Normalised ``(2r+1)²`` Gaussian PSF.

    Examples
    --------
    >>> float(gaussian_psf(2.0, 6).sum())
    1.0
    """
    t = np.arange(-radius, radius + 1)
    g = np.exp(-(t**2) / (2.0 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def motion_psf(length: int) -> np.ndarray:
    """Normalised diagonal motion blur of ``length`` pixels (not even about either axis).

    Examples
    --------
    >>> motion_psf(3).tolist()[0]
    [0.3333333333333333, 0.0, 0.0]
    """
    return np.eye(length) / length


def images(quick: bool = False) -> dict[str, np.ndarray]:
    """The bundled test images in [0, 1], downsampled (2× full, 4× quick; coins 1×/2×).

    Examples
    --------
    >>> sorted(images(quick=True))
    ['astronaut', 'camera', 'coins']
    """
    data = require("skimage.data", "deconvolution", "the deconvolution tour section")
    color = require("skimage.color", "deconvolution", "the deconvolution tour section")
    step = 4 if quick else 2
    return {
        "camera": data.camera()[::step, ::step] / 255.0,
        "astronaut": color.rgb2gray(data.astronaut())[::step, ::step],
        "coins": data.coins()[:: step // 2, :: step // 2] / 255.0,
    }


def _scene(
    im: np.ndarray, psf: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The true frame (the centre of ``im``) and its blurred, noisy observation: the
    blur reads the scene outside the frame (a ``valid`` convolution of the whole image)."""
    r0, r1 = (psf.shape[0] - 1) // 2, (psf.shape[1] - 1) // 2
    y = fftconvolve(im, psf, "valid")
    x = im[r0 : im.shape[0] - (psf.shape[0] - 1 - r0), r1 : im.shape[1] - (psf.shape[1] - 1 - r1)]
    return x, y + noise * rng.standard_normal(y.shape)


def _band(shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, bool)
    m[:BAND] = m[-BAND:] = True
    m[:, :BAND] = m[:, -BAND:] = True
    return m


def _scores(x: np.ndarray, est: np.ndarray) -> tuple[float, float, float]:
    """PSNR, SSIM (skimage.metrics, data range 1) and PSNR inside the border band."""
    metrics = require("skimage.metrics", "deconvolution", "the deconvolution tour section")
    e = np.clip(est, 0.0, 1.0)
    b = _band(x.shape)
    return (
        float(metrics.peak_signal_noise_ratio(x, e, data_range=1.0)),
        float(metrics.structural_similarity(x, e, data_range=1.0)),
        float(metrics.peak_signal_noise_ratio(x[b], e[b], data_range=1.0)),
    )


def _timed(fn: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _table_rows(x: np.ndarray, y: np.ndarray, psf: np.ndarray, seed: int) -> list[dict]:
    """Every method and boundary on one blurred image, side by side."""
    restoration = require("skimage.restoration", "deconvolution", "the tour section")
    rows = [{"method": "blurred data (no deblurring)", "est": y, "lam": None, "it": 0, "s": 0.0}]
    per, t_per = _timed(lambda: deconvolve(y, psf, boundary="periodic", method="fft"))
    refl, t_refl = _timed(lambda: deconvolve(y, psf, boundary="symmetric"))
    lam = refl.lam
    wien, t_w = _timed(lambda: restoration.wiener(y, psf, per.lam, reg=np.ones((1, 1)), clip=False))
    (unsup, _), t_u = _timed(lambda: restoration.unsupervised_wiener(y, psf, clip=False, rng=seed))
    per_same = deconvolve(y, psf, boundary="periodic", method="fft", reg=lam)
    rows += [
        {
            "method": "skimage wiener (periodic, λ = periodic GCV)",
            "est": wien,
            "lam": per.lam,
            "it": 0,
            "s": t_w,
        },
        {
            "method": "skimage unsupervised_wiener (periodic, Laplacian)",
            "est": unsup,
            "lam": None,
            "it": 0,
            "s": t_u,
        },
        {
            "method": "convop fft, periodic (own GCV λ)",
            "est": per.x,
            "lam": per.lam,
            "it": 0,
            "s": t_per,
            "res": per,
        },
        {
            "method": "convop fft, periodic (λ of the reflective solve)",
            "est": per_same.x,
            "lam": lam,
            "it": 0,
            "s": 0.0,
            "res": per_same,
            "key": "periodic",
        },
        {
            "method": f"convop {refl.method}, symmetric (reflective)",
            "est": refl.x,
            "lam": lam,
            "it": refl.iterations,
            "s": t_refl,
            "res": refl,
            "key": "reflective",
        },
    ]
    for bnd, meth in (("reflect", "cg"), ("zero", "cg"), ("replicate", "lsqr")):
        r, t = _timed(lambda: deconvolve(y, psf, boundary=bnd, method=meth, tol=1e-5))
        rows.append(
            {
                "method": f"convop {meth}, {bnd} (pc {r.preconditioner})",
                "est": r.x,
                "lam": r.lam,
                "it": r.iterations,
                "s": t,
                "res": r,
                "key": "iterative" if bnd == "reflect" else bnd,
            }
        )
    for row in rows:
        row["psnr"], row["ssim"], row["border"] = _scores(x, row["est"])
    return rows


def _speed(quick: bool, seed: int) -> dict[str, Any]:
    """One DCT solve of an n² image against unpreconditioned CG to the same PSNR."""
    data = require("skimage.data", "deconvolution", "the deconvolution tour section")
    n = 256 if quick else 1024
    cam = data.camera() / 255.0
    x = np.kron(cam, np.ones((n // 512, n // 512))) if n >= 512 else cam[:: 512 // n, :: 512 // n]
    psf = gaussian_psf(2.0, 6)
    rng = np.random.default_rng(seed)
    y = Convolution(psf, x.shape, "same", boundary="symmetric")(x)
    y = y + 0.01 * rng.standard_normal(y.shape)
    lam = deconvolve(y, psf).lam
    times = []
    for _ in range(5):
        r, t = _timed(lambda: deconvolve(y, psf, method="dct", reg=lam))
        times.append(t)
    _, t_gcv = _timed(lambda: deconvolve(y, psf, method="dct"))
    metrics = require("skimage.metrics", "deconvolution", "the deconvolution tour section")
    target = float(metrics.peak_signal_noise_ratio(x, r.x, data_range=1.0)) - 0.05
    hit: dict[str, float] = {}
    spent = [0.0]
    t0 = time.perf_counter()

    def watch(v: np.ndarray) -> bool:
        c = time.perf_counter()
        hit["it"] = hit.get("it", 0) + 1
        ok = metrics.peak_signal_noise_ratio(x, v, data_range=1.0) >= target
        spent[0] += time.perf_counter() - c
        if ok and "t" not in hit:
            hit["t"] = time.perf_counter() - t0 - spent[0]
        return bool(ok)

    cg = deconvolve(
        y, psf, method="cg", reg=lam, precondition=False, tol=1e-300, maxiter=400, callback=watch
    )
    # "the same PSNR" is a low bar: unpreconditioned CG semi-converges, its early iterates
    # are regularised by stopping and pass the Tikhonov PSNR within a few steps. The
    # strict comparison solves the same regularised problem to the DCT's answer.
    close = {"it": 0}
    scale = float(np.linalg.norm(r.x))

    def near(v: np.ndarray) -> bool:
        close["it"] += 1
        return bool(np.linalg.norm(v - r.x) <= 1e-3 * scale)

    same, t_same = _timed(
        lambda: deconvolve(
            y,
            psf,
            method="cg",
            reg=lam,
            precondition=False,
            tol=1e-300,
            maxiter=2000,
            callback=near,
        )
    )
    pcg, t_pcg = _timed(lambda: deconvolve(y, psf, method="cg", reg=lam, tol=1e-8))
    return {
        "n": n,
        "median": float(np.median(times)),
        "spread": (min(times), max(times)),
        "gcv": t_gcv,
        "cg_time": hit.get("t", float("inf")),
        "cg_it": cg.iterations,
        "reached": "t" in hit,
        "same_it": same.iterations,
        "same_time": t_same,
        "same_reached": bool(np.linalg.norm(same.x - r.x) <= 1e-3 * scale),
        "pcg_it": pcg.iterations,
        "pcg_time": t_pcg,
    }


def _savings(x: np.ndarray, seed: int) -> list[dict]:
    """CG iterations with and without the structured preconditioner, per boundary."""
    psf = gaussian_psf(2.0, 6)
    rng = np.random.default_rng(seed)
    out = []
    for bnd in ("zero", "reflect", "replicate", "symmetric"):
        y = Convolution(psf, x.shape, "same", boundary=bnd)(x)
        y = y + 0.01 * rng.standard_normal(y.shape)
        kw = {"boundary": bnd, "method": "cg", "tol": 1e-6, "maxiter": 2000}
        with_p, t1 = _timed(lambda: deconvolve(y, psf, **kw))
        without, t0 = _timed(lambda: deconvolve(y, psf, precondition=False, reg=with_p.lam, **kw))
        out.append(
            {
                "boundary": bnd,
                "pc": with_p.preconditioner,
                "lam": with_p.lam,
                "with": with_p.iterations,
                "without": without.iterations,
                "t1": t1,
                "t0": t0,
                "res1": with_p.residuals,
                "res0": without.residuals,
                "diff": float(np.abs(with_p.x - without.x).max()),
            }
        )
    return out


def _poisson(ims: dict[str, np.ndarray], seed: int, iters: int) -> list[dict]:
    restoration = require("skimage.restoration", "deconvolution", "the tour section")
    rng = np.random.default_rng(seed)
    psf = gaussian_psf(2.0, 6)
    rows = []
    for name, im in ims.items():
        x, clean = _scene(im, psf, 0.0, rng)
        peak = 300.0
        y = rng.poisson(peak * np.clip(clean, 0, None)) / peak
        sk = restoration.richardson_lucy(y, psf, num_iter=iters, clip=False)
        ours = {
            b: deconvolve(y, psf, boundary=b, method="richardson-lucy", maxiter=iters, tol=1e-300).x
            for b in ("symmetric", "periodic", "zero")
        }
        row = {"image": name, "skimage": _scores(x, sk)}
        row.update({b: _scores(x, v) for b, v in ours.items()})
        rows.append(row)
    return rows


def _figure(res: Result, x: np.ndarray, y: np.ndarray, rows: list[dict]) -> None:
    by = {r.get("key"): r for r in rows}
    panels = [
        ("blurred + 1 % noise", y),
        ("periodic (FFT)", by["periodic"]["est"]),
        ("reflective (DCT)", by["reflective"]["est"]),
        ("iterative CG, reflect", by["iterative"]["est"]),
    ]
    fig, axes = new_figure(4, 2, width=3.3, height=3.3)
    for j, (title, est) in enumerate(panels):
        ps = _scores(x, est)
        axes[0, j].imshow(np.clip(est, 0, 1), cmap="gray", vmin=0, vmax=1)
        axes[0, j].set_title(f"{title}\nPSNR {ps[0]:.1f} dB, border {ps[2]:.1f} dB")
        im = axes[1, j].imshow(np.abs(np.clip(est, 0, 1) - x), cmap="magma", vmin=0, vmax=0.3)
        axes[1, j].set_title("|estimate − truth|")
        for ax in axes[:, j]:
            ax.set_xlabel("column [pixel]")
            ax.set_ylabel("row [pixel]")
    fig.colorbar(im, ax=axes[1, -1], label="absolute error (intensity, 0–1)", shrink=0.8)
    res.figure(
        "Camera, Gaussian blur (σ = 2 px) reaching outside the frame, 1 % noise, the same λ "
        "for the periodic and the reflective solve. Top: estimates; bottom: absolute error. "
        "The periodic model wraps each edge onto the opposite one and rings along all four "
        "borders; the reflective DCT solve and CG on the whole-sample reflect operator do "
        "not.",
        fig,
    )


def _figure_iterations(res: Result, sav: list[dict]) -> None:
    fig, ax = new_figure(1, 1, width=6.0, height=4.0)
    for d, c in zip(sav, ("C0", "C1", "C2", "C3")):
        ax.semilogy(
            np.arange(1, len(d["res0"]) + 1),
            d["res0"] - d["res0"].min() + 1e-12,
            color=c,
            ls="--",
            label=f"{d['boundary']}, no preconditioner",
        )
        ax.semilogy(
            np.arange(1, len(d["res1"]) + 1),
            d["res1"] - d["res0"].min() + 1e-12,
            color=c,
            marker="o",
            ms=3,
            label=f"{d['boundary']}, pc {d['pc']}",
        )
    ax.set_xlabel("CG iteration k")
    ax.set_ylabel("objective residual − its final value (intensity units)")
    ax.set_title("CG on the exact operator, with and without the structured preconditioner")
    ax.legend(fontsize=8)
    res.figure(
        "Convergence of CG (CGLS form) on the camera image for each boundary: dashed "
        "without a preconditioner, dots with the nearest structured one (DCT-II for zero, "
        "replicate and symmetric, the weighted DCT-I for reflect).",
        fig,
    )


def run(*, quick: bool = False, seed: int = 0, out_dir: Path | None = None) -> Result:
    """Deblur the bundled images with every method and boundary; check the claims.

    Parameters
    ----------
    quick : bool
        Images downsampled 4× (coins 2×), the speed test at 256² instead of 1024².
    seed : int
        Seed of the noise.
    out_dir : Path, optional
        Unused (this experiment writes no files).

    Returns
    -------
    Result
    """
    res = Result("deconvolution", TITLE, summary=SUMMARY)
    rng = np.random.default_rng(seed)
    ims = images(quick)
    psfs = {"Gaussian σ=2": gaussian_psf(2.0, 6), "motion 11 px diagonal": motion_psf(11)}
    all_rows: dict[tuple[str, str], list[dict]] = {}
    for pname, psf in psfs.items():
        for name, im in ims.items():
            x, y = _scene(im, psf, 0.01, rng)
            all_rows[(pname, name)] = _table_rows(x, y, psf, seed)
            if pname.startswith("Gaussian") and name == "camera":
                fig_args = (x, y, all_rows[(pname, name)])
    names = list(ims)
    for pname in psfs:
        methods = [r["method"] for r in all_rows[(pname, names[0])]]
        table = []
        for i, m in enumerate(methods):
            row: list[Any] = [m]
            for name in names:
                r = all_rows[(pname, name)][i]
                row += [round(r["psnr"], 2), round(r["ssim"], 3), round(r["border"], 2)]
            first = all_rows[(pname, names[0])][i]
            row += ["—" if first["lam"] is None else f"{first['lam']:.3g}", first["it"]]
            table.append(row)
        heads = ["method"]
        for name in names:
            heads += [f"{name} PSNR", f"{name} SSIM", f"{name} border PSNR"]
        res.table(
            f"{pname} blur, 1 % noise: PSNR [dB] / SSIM against the true frame, and PSNR in "
            f"the {BAND}-pixel border band; λ and iterations shown for {names[0]}",
            heads + [f"λ ({names[0]})", f"iterations ({names[0]})"],
            table,
        )

    def pick(pname: str, name: str, key: str) -> dict:
        return next(r for r in all_rows[(pname, name)] if r.get("key") == key)

    gauss = "Gaussian σ=2"
    gain = [
        pick(gauss, n, "reflective")["border"] - pick(gauss, n, "periodic")["border"] for n in names
    ]
    whole = [
        pick(p, n, "reflective")["psnr"] - pick(p, n, "periodic")["psnr"]
        for p in psfs
        for n in names
    ]
    wien_diff = max(
        float(np.abs(all_rows[(p, n)][1]["est"] - all_rows[(p, n)][3]["est"]).max())
        for p in psfs
        for n in names
    )
    res.claims += [
        Claim.at_least(
            "Periodic boundaries ring at the borders of real images and the reflective DCT "
            f"solve removes it: border-band PSNR gain (same λ), worst of {len(names)} images, dB",
            3.0,
            min(gain),
            detail=", ".join(f"{n}: +{g:.1f} dB" for n, g in zip(names, gain)),
        ),
        Claim.at_least(
            "The reflective solve beats the periodic one on the whole frame by at least 1 dB "
            "for every image and PSF (same λ): smallest PSNR gain, dB",
            1.0,
            min(whole),
        ),
        Claim.at_most(
            "skimage.restoration.wiener (identity regulariser, same λ) is convop's periodic "
            "FFT solve: max |difference| over all images and PSFs",
            1e-8,
            wien_diff,
        ),
        Claim.true(
            "The symmetric Gaussian PSF takes the one-pass DCT path and the diagonal motion "
            "PSF (not even about either axis) the preconditioned CG path under method='auto'",
            pick(gauss, names[0], "reflective")["res"].method == "dct"
            and pick("motion 11 px diagonal", names[0], "reflective")["res"].method == "cg",
        ),
    ]
    # GCV against the oracle λ (best PSNR on a grid) for the DCT solve on camera
    x, y = _scene(ims["camera"], psfs[gauss], 0.01, np.random.default_rng(seed + 1))
    lam_gcv = deconvolve(y, psfs[gauss]).lam
    grid = lam_gcv * np.geomspace(1e-2, 1e2, 25)
    ps = [_scores(x, deconvolve(y, psfs[gauss], reg=float(g)).x)[0] for g in grid]
    gcv_psnr = _scores(x, deconvolve(y, psfs[gauss], reg=lam_gcv).x)[0]
    res.claims.append(
        Claim.at_most(
            "GCV picks a good λ: the DCT solve's PSNR at the GCV λ is within 1 dB of the best "
            "PSNR over a 25-point λ grid (10⁻² to 10² × λ_GCV), camera: shortfall in dB",
            1.0,
            max(ps) - gcv_psnr,
            detail=f"λ_GCV = {lam_gcv:.3g}, best grid λ = {grid[int(np.argmax(ps))]:.3g}",
        )
    )

    # Poisson data: Richardson-Lucy
    iters = 20 if quick else 30
    pois = _poisson(ims, seed, iters)
    res.table(
        f"Poisson data (peak 300 photons), Gaussian blur, {iters} Richardson–Lucy iterations: "
        "PSNR [dB] / border PSNR",
        [
            "image",
            "skimage richardson_lucy",
            "convop RL symmetric",
            "convop RL periodic",
            "convop RL zero",
        ],
        [
            [p["image"]]
            + [
                f"{p[k][0]:.2f} / {p[k][2]:.2f}"
                for k in ("skimage", "symmetric", "periodic", "zero")
            ]
            for p in pois
        ],
    )
    res.claims.append(
        Claim.at_least(
            "Richardson–Lucy with a mirrored boundary beats skimage's (zero padding, no "
            "Aᵀ1 normalisation) in the border band by at least 1 dB on every image: "
            "smallest gain, dB",
            1.0,
            min(p["symmetric"][2] - p["skimage"][2] for p in pois),
        )
    )

    # speed
    sp = _speed(quick, seed)
    n = sp["n"]
    res.table(
        f"Speed on a {n}² image (Gaussian σ=2, symmetric boundary, λ fixed at its GCV value)",
        ["solve", "seconds", "iterations", "note"],
        [
            [
                "DCT one pass (median of 5)",
                round(sp["median"], 4),
                0,
                f"spread {sp['spread'][0]:.4f}–{sp['spread'][1]:.4f} s",
            ],
            ["DCT one pass + GCV choice of λ", round(sp["gcv"], 4), 0, "one run"],
            [
                "CG, no preconditioner, to the DCT PSNR − 0.05 dB",
                round(sp["cg_time"], 3),
                sp["cg_it"],
                "callback time excluded",
            ],
            [
                "CG, no preconditioner, to the DCT solution (relative difference 1e-3)",
                round(sp["same_time"], 3),
                sp["same_it"],
                "the same regularised problem, solved",
            ],
            ["CG, DCT preconditioner, tol 1e-8", round(sp["pcg_time"], 3), sp["pcg_it"], ""],
        ],
    )
    res.claims += [
        Claim.at_most(f"DCT solve of a {n}² image: median seconds", 0.1, sp["median"]).as_timing(),
        Claim.at_least(
            f"The DCT solve is at least 5× faster than unpreconditioned CG to the same PSNR "
            f"({n}²): speed-up",
            5.0,
            sp["cg_time"] / sp["median"],
            detail=f"CG got there after {sp['cg_it']} iteration(s): its early iterates are "
            "regularised by stopping, so the same PSNR is a low bar",
        ).as_timing(),
        Claim.at_least(
            f"The DCT solve is at least 20× faster than unpreconditioned CG solving the same "
            f"regularised problem to a relative difference of 1e-3 ({n}²): speed-up",
            20.0,
            sp["same_time"] / sp["median"] if sp["same_reached"] else 0.0,
            detail=f"CG needed {sp['same_it']} iterations",
        ).as_timing(),
    ]

    # preconditioner savings
    x_cam = _scene(ims["camera"], psfs[gauss], 0.0, rng)[0]
    sav = _savings(x_cam, seed)
    res.table(
        f"CG iterations to tol 1e-6 with and without the structured preconditioner "
        f"(camera {x_cam.shape[0]}×{x_cam.shape[1]}, Gaussian σ=2, λ by GCV)",
        [
            "boundary",
            "preconditioner",
            "λ",
            "iterations with",
            "iterations without",
            "seconds with",
            "seconds without",
            "max |x_with − x_without|",
        ],
        [
            [
                d["boundary"],
                d["pc"],
                f"{d['lam']:.3g}",
                d["with"],
                d["without"],
                round(d["t1"], 3),
                round(d["t0"], 3),
                f"{d['diff']:.1e}",
            ]
            for d in sav
        ],
    )
    by = {d["boundary"]: d for d in sav}
    res.claims += [
        Claim.at_least(
            "The weighted DCT-I preconditioner cuts CG iterations on the whole-sample "
            "reflect operator at least 5-fold: ratio without / with",
            5.0,
            by["reflect"]["without"] / by["reflect"]["with"],
        ),
        Claim.at_least(
            "The DCT-II preconditioner cuts CG iterations on the zero-boundary operator at "
            "least 2-fold: ratio without / with",
            2.0,
            by["zero"]["without"] / by["zero"]["with"],
        ),
        Claim.at_most(
            "On the symmetric operator the DCT preconditioner is the exact inverse: CG iterations",
            2,
            by["symmetric"]["with"],
        ),
    ]
    res.text.append(
        "Reading the tables. GCV on the periodic model of a non-periodic image chooses a "
        "far too small λ (the boundary mismatch looks like signal), so the periodic solve "
        "with its own GCV λ — and skimage's wiener with that λ — collapses; with the "
        "reflective solve's λ it is usable but rings. Whole-sample reflect with a "
        "symmetric PSF is W⁻¹BW with B symmetric and diagonalised by the orthonormal "
        "DCT-I (W = 1/√2 at the ends), which makes an excellent preconditioner; replicate "
        "has no such structure and the DCT-II preconditioner barely changes its iteration "
        "count — measured, not assumed."
    )
    _figure(res, *fig_args)
    _figure_iterations(res, sav)
    return res
