"""Tests of the deblurring tour section: its claims pass on a quick run and fail when
the boundary handling they are about is planted wrong."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("skimage")
pytest.importorskip("matplotlib")

from convop.experiments import deconvolution as exp  # noqa: E402


def test_quick_run_all_claims_pass():
    result = exp.run(quick=True)
    failed = [(c.statement, c.expected, c.measured) for c in result.claims if not c.passed]
    assert not failed
    assert len(result.claims) >= 12 and result.figures
    names = " ".join(c.statement for c in result.claims)
    assert "same regularised problem" in names and "same PSNR" in names


def _stub_speed(quick, seed):
    # the timing and preconditioner sections do not use the planted solver's boundary
    # handling; stubbing them keeps the planted run short (a periodic GCV λ makes
    # unpreconditioned CG crawl)
    return {
        "n": 8,
        "median": 1.0,
        "spread": (1.0, 1.0),
        "gcv": 1.0,
        "cg_time": 1.0,
        "cg_it": 1,
        "reached": True,
        "same_it": 1,
        "same_time": 1.0,
        "same_reached": True,
        "pcg_it": 1,
        "pcg_time": 1.0,
    }


def _stub_savings(x, seed):
    res = np.ones(2)
    return [
        dict(boundary=b, pc="dct", lam=1.0, res1=res, res0=res, diff=0.0, t1=1.0, t0=1.0)
        | {"with": 1, "without": 1}
        for b in ("zero", "reflect", "replicate", "symmetric")
    ]


def test_planted_boundary_errors_fail_the_claims_about_them(monkeypatch):
    """Plant the errors the section is about: the 'reflective' DCT solve secretly
    assumes periodic boundaries, and the mirrored Richardson–Lucy is scikit-image's
    zero-padded one. The border-band, whole-frame and Richardson–Lucy claims fail."""
    from skimage import restoration

    real = exp.deconvolve

    def planted(y, psf, **kw):
        method, boundary = kw.get("method"), kw.get("boundary", "symmetric")
        if method == "richardson-lucy" and boundary == "symmetric":
            est = restoration.richardson_lucy(y, psf, num_iter=kw["maxiter"], clip=False)
            return real(y, psf, **{**kw, "x0": est, "maxiter": 1, "boundary": "zero"})
        if boundary == "symmetric" and method in (None, "dct"):
            kw = {**kw, "boundary": "periodic", "method": "fft"}
        return real(y, psf, **kw)

    monkeypatch.setattr(exp, "deconvolve", planted)
    monkeypatch.setattr(exp, "_speed", _stub_speed)
    monkeypatch.setattr(exp, "_savings", _stub_savings)
    full = exp.images
    monkeypatch.setattr(exp, "images", lambda quick=False: {"camera": full(quick)["camera"]})
    failed = [c.statement for c in exp.run(quick=True).claims if not c.passed]
    assert any("ring at the borders" in s for s in failed), failed
    assert any("whole frame" in s for s in failed), failed
    assert any("Richardson–Lucy" in s for s in failed), failed
