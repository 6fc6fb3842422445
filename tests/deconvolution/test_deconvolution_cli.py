"""``convop deconvolve``: files in, files out, the library's answer, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from convop import Convolution
from convop._tools.deconvolve_cli import psf_from_spec
from convop.cli import main
from convop.deconvolution import deconvolve


def _blurred(shape=(40, 48), seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros(shape)
    x[8:30, 10:36] = 1.0
    psf = psf_from_spec("gaussian:1.5,4")
    y = Convolution(psf, shape, "same", boundary="symmetric")(x)
    return x, y + 0.01 * rng.standard_normal(shape), psf


def test_psf_specs_match_their_definitions():
    g = psf_from_spec("gaussian:1.5,4")
    t = np.arange(-4, 5)
    ref = np.outer(np.exp(-(t**2) / 4.5), np.exp(-(t**2) / 4.5))
    np.testing.assert_allclose(g, ref / ref.sum(), rtol=1e-13)
    assert psf_from_spec("gaussian:1").shape == (7, 7)  # radius ceil(3σ)
    np.testing.assert_array_equal(psf_from_spec("motion:4"), np.eye(4) / 4)
    assert psf_from_spec("gaussian:2,3", ndim=1).shape == (7,)


def test_npy_in_npy_out_equals_the_library(tmp_path, capsys):
    x, y, psf = _blurred()
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "psf.npy", psf)
    rc = main(["deconvolve", str(tmp_path / "y.npy"), str(tmp_path / "psf.npy"),
               str(tmp_path / "x.npy")])  # fmt: skip
    assert rc == 0
    got = np.load(tmp_path / "x.npy")
    ref = deconvolve(y, psf)
    np.testing.assert_allclose(got, ref.x, rtol=1e-12, atol=1e-12)
    assert "dct (symmetric)" in capsys.readouterr().out
    # deblurring helps: closer to the truth than the data
    assert np.linalg.norm(got - x) < 0.8 * np.linalg.norm(y - x)


def test_iterative_options_reach_the_solver(tmp_path, capsys):
    _, y, _ = _blurred(seed=1)
    np.save(tmp_path / "y.npy", y)
    out = tmp_path / "x.npy"
    args = ["deconvolve", str(tmp_path / "y.npy"), "gaussian:1.5,4", str(out),
            "--boundary", "reflect", "--method", "cg", "--reg", "0.01", "--tol", "1e-8",
            "--quiet"]  # fmt: skip
    assert main(args) == 0
    assert capsys.readouterr().out == ""
    ref = deconvolve(y, psf_from_spec("gaussian:1.5,4"), boundary="reflect", method="cg",
                     reg=0.01, tol=1e-8)  # fmt: skip
    np.testing.assert_allclose(np.load(out), ref.x, rtol=1e-10, atol=1e-12)


def test_image_in_image_out(tmp_path):
    io = pytest.importorskip("skimage.io")
    _, y, _ = _blurred()
    img = (np.clip(y, 0, 1) * 255).round().astype(np.uint8)
    rgb = np.stack([img, img, img], axis=-1)
    io.imsave(tmp_path / "y.png", rgb, check_contrast=False)
    assert main(["deconvolve", str(tmp_path / "y.png"), "gaussian:1.5,4",
                 str(tmp_path / "x.png"), "--quiet"]) == 0  # fmt: skip
    out = io.imread(tmp_path / "x.png")
    assert out.dtype == np.uint8 and out.shape == rgb.shape
    ref = deconvolve(img / 255.0, psf_from_spec("gaussian:1.5,4")).x
    ref8 = np.clip(np.rint(np.clip(ref, 0, 1) * 255), 0, 255).astype(np.uint8)
    for c in range(3):  # every channel alike
        np.testing.assert_array_equal(out[..., c], ref8)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--boundary", "mirror-ish"], "boundary"),
        (["--method", "magic"], "method"),
        (["--reg", "lots"], "--reg='lots'"),
        (["--reg", "discrepancy"], "noise"),
    ],
)
def test_bad_options_give_clear_errors(tmp_path, capsys, extra, message):
    _, y, psf = _blurred((16, 16))
    np.save(tmp_path / "y.npy", y)
    rc = main(["deconvolve", str(tmp_path / "y.npy"), "gaussian:1", str(tmp_path / "x.npy"),
               *extra])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2 and "convop deconvolve: error:" in err and message in err
    assert not (tmp_path / "x.npy").exists()


@pytest.mark.parametrize(
    "psf, message",
    [
        ("gaussian:-1", "SIGMA > 0"),
        ("gaussian:x", "gaussian:SIGMA"),
        ("motion:0", "LENGTH >= 1"),
        ("nofile.npy", "no such file"),
    ],
)
def test_bad_psf_specs(tmp_path, capsys, psf, message):
    np.save(tmp_path / "y.npy", np.ones((8, 8)))
    assert main(["deconvolve", str(tmp_path / "y.npy"), psf, str(tmp_path / "x.npy")]) == 2
    assert message in capsys.readouterr().err


def test_bad_files(tmp_path, capsys):
    np.save(tmp_path / "y.npy", np.ones((8, 8)))
    assert main(["deconvolve", str(tmp_path / "none.npy"), "gaussian:1", "x.npy"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["deconvolve", str(tmp_path / "y.npy"), "gaussian:1", str(tmp_path / "x.mat")]) == 2
    assert "must be .npy or an image" in capsys.readouterr().err
    np.save(tmp_path / "bad.npy", np.full((8, 8), np.nan))
    assert (
        main(["deconvolve", str(tmp_path / "bad.npy"), "gaussian:1", str(tmp_path / "x.npy")]) == 2
    )
    assert "y" in capsys.readouterr().err
    big = str(tmp_path / "big.npy")
    np.save(big, np.ones((30, 30)))
    assert main(["deconvolve", str(tmp_path / "y.npy"), big, str(tmp_path / "x.npy")]) == 2
    assert "psf" in capsys.readouterr().err
