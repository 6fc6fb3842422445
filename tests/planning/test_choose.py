"""choose_method: valid names, the integer guard, calibration JSON load/save."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import convop
from convop._planning import constants as _constants
from convop._tools import calibrate as _calibrate

FUNCTIONAL = {"direct", "gemm", "fft", "overlap-add"}  # gemm: 1-D block Toeplitz
LAYER = {"direct", "gemm", "fft"}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A private calibration file location; constants reloaded from it."""
    path = tmp_path / "convop" / _constants.FILENAME
    monkeypatch.setattr(_constants, "cache_path", lambda: path)
    _constants.changed()
    yield path
    _constants.changed()


@pytest.mark.parametrize("n,k", [(10, 3), (1000, 3), (10**5, 31), (10**6, 3001), (50, 50)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_functional_names(n, k, mode):
    assert convop.choose_method(np.ones(n), np.ones(k), mode) in FUNCTIONAL
    assert convop.choose_method((n, 7), (k, 3), mode, axes=0) in FUNCTIONAL
    assert (
        convop.choose_method(np.ones((64, 64)), np.ones((k % 9 + 1,) * 2), mode, boundary="reflect")
        in FUNCTIONAL
    )


def test_extremes_are_sensible():
    assert convop.choose_method(np.ones(1000), np.ones(3)) == "direct"
    assert convop.choose_method(np.ones(10**6), np.ones(3001)) in {"fft", "overlap-add"}
    assert convop.choose_method(np.ones((1024, 1024)), np.ones((31, 31))) in {"fft", "overlap-add"}


def test_layer_names():
    for k in (1, 3, 7, 31):
        got = convop.choose_method((16, 32, 64, 64), (32, 32, k, k), channels=32, padding=k // 2)
        assert got in LAYER
        got = convop.choose_method((3, 20), (k,), channels=(3, 6), stride=2, dilation=2, groups=3)
        assert got in LAYER


def test_integer_guard():
    small = np.arange(10)
    assert convop.choose_method(small, np.ones(3, dtype=int)) in FUNCTIONAL
    huge = np.full(1000, 2**30, dtype=np.int64)
    assert convop.choose_method(huge, huge, "same") == "direct"
    assert (
        convop.choose_method(
            np.ones(10**6, dtype=np.int64) * 2**26, np.ones(3001, dtype=np.int64) * 2**20
        )
        == "direct"
    )


def test_rejects_bad_spec():
    with pytest.raises(ValueError, match="invalid spec='strid'"):
        convop.choose_method(np.ones(5), np.ones(3), strid=2)
    with pytest.raises(ValueError, match="invalid mode='circular'"):
        convop.choose_method(np.ones(5), np.ones(3), "circular")


def test_defaults_without_file(cache_dir):
    assert not cache_dir.exists()
    assert _constants.constants() == _constants.DEFAULTS


def test_defaults_without_platformdirs(monkeypatch):
    monkeypatch.setattr(_constants, "cache_path", lambda: None)
    assert _constants.load() == _constants.DEFAULTS


def test_save_then_load(cache_dir):
    consts = {p: dict(t) for p, t in _constants.DEFAULTS.items()}
    consts["f8"]["fft"] = (1e-3, 1e-6)  # an absurdly slow FFT
    _constants.save(consts, cache_dir)
    assert json.loads(cache_dir.read_text())["version"] == _constants.VERSION
    assert _constants.constants()["f8"]["fft"] == (1e-3, 1e-6)
    assert convop.choose_method(np.ones(10**5), np.ones(301)) != "fft"


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        "[]",
        '{"version": 1, "constants": 3}',
        '{"version": 1, "constants": {"f8": {"fft": "x"}}}',
    ],
)
def test_corrupt_file_falls_back(cache_dir, text):
    cache_dir.parent.mkdir(parents=True)
    cache_dir.write_text(text)
    assert _constants.load() == _constants.DEFAULTS
    assert convop.choose_method(np.ones(100), np.ones(3)) in FUNCTIONAL


def test_calibrate_cli_writes_file(cache_dir, monkeypatch, capsys):
    fake = {p: dict(t) for p, t in _constants.DEFAULTS.items()}
    monkeypatch.setattr(_calibrate, "measure", lambda quick, progress=None: fake)
    assert _calibrate.main([]) == 0
    assert cache_dir.is_file()
    assert _calibrate.main(["--show"]) == 0
    assert '"f8"' in capsys.readouterr().out
    assert _calibrate.main(["--reset"]) == 0
    assert not cache_dir.exists()


def test_measure_quick_is_positive(monkeypatch):
    monkeypatch.setattr(_calibrate, "_time", lambda fn, budget=0, repeat=0: (fn(), 1e-3)[1])
    consts = _calibrate.measure(quick=True)
    for table in consts.values():
        for o, s in table.values():
            assert o >= 0 and s > 0


@pytest.mark.parametrize(
    "na, nb, dtype",
    [((1000, 807), (1, 31), "f8"), ((512, 520), (9, 9), "f4"), ((130, 130, 130), (3, 3, 3), "f4"),
     ((2052, 2052), (5, 5), "f4"), ((4096,), (65,), "f8")],
)  # fmt: skip
def test_importing_torch_does_not_change_the_modelled_choice(na, nb, dtype):
    """torch's FFT is faster only in some processes (and stalls when a core is busy),
    so the model never discounts it: ``auto`` picks from the same costs either way."""
    from convop._planning.cost import costs

    with_torch = costs(na, nb, 1, np.dtype(dtype), torch=True)
    without = costs(na, nb, 1, np.dtype(dtype), torch=False)
    assert with_torch == without


@pytest.mark.parametrize("torch_on", [False, True])
@pytest.mark.parametrize(
    "shape, kshape, want",
    [((480, 640), (31, 1), "fft"), ((1000, 777), (1, 31), "gemm")],
)
def test_one_by_k_kernels_get_the_measured_faster_method(shape, kshape, want, torch_on):
    """FFTs of a 1×k / k×1 kernel are 1-D along the other axis and priced so
    (measured, 'same', float64, torch imported: 480×640 with 31×1 fft 2.8 ms, gemm
    35 ms; 1000×777 with 1×31 gemm 7.0 ms, fft 7.9 ms)."""
    if torch_on:
        pytest.importorskip("torch")
    with convop.options(torch=torch_on):
        assert convop.choose_method(np.ones(shape), np.ones(kshape), "same") == want


def test_importing_torch_does_not_change_the_choice_for_1xk_kernels():
    """The torch FFT discount moved many such choices to the FFT (480×640 with a
    15×1 kernel: fft with torch imported, direct without); ``auto`` must choose the
    same whether or not the caller imported torch."""
    pytest.importorskip("torch")
    flips = []
    for n, m, k in itertools.product((256, 640, 1000), (480, 777), (9, 15, 31)):
        for kshape in ((1, k), (k, 1)):
            with convop.options(torch=True):
                a = convop.choose_method((n, m), kshape, "same")
            with convop.options(torch=False):
                b = convop.choose_method((n, m), kshape, "same")
            if a != b:
                flips.append(((n, m), kshape, a, b))
    assert flips == []


@pytest.mark.parametrize("torch_on", [False, True])
@pytest.mark.parametrize(
    "shape, kshape, dtype",
    [((2048, 2048), (5, 5), "float32"), ((1024, 1024), (3, 3), "float64"),
     ((2048, 2048), (5, 5), "float64")],
)  # fmt: skip
def test_shift_and_add_is_not_chosen_past_the_cache(shape, kshape, dtype, torch_on):
    """Shift-and-add streams the whole output once per tap: past the last-level cache
    gemm wins (measured, 'same': 2048² 5×5 float32 gemm 28 ms, direct 91 ms, fft
    104 ms; 1024² 3×3 float64 gemm 6.0 ms, direct 13.7 ms, fft 30 ms), though the
    cache-resident slope the model had priced direct cheapest."""
    if torch_on:
        pytest.importorskip("torch")
    with convop.options(torch=torch_on):
        x, k = np.ones(shape, dtype), np.ones(kshape, dtype)
        assert convop.choose_method(x, k, "same") == "gemm"
        assert convop.choose_method(x, k, "full") == "gemm"


def test_memory_bound_slopes_are_monotone_and_leave_small_sizes_alone():
    from convop._planning import cost

    c = {"sad": (0.0, 2e-10), "sad_big": (0.0, 5e-10)}
    lo, hi = cost.MEM_BYTES
    assert cost.memory_slope(c, "sad", lo / 4) == 2e-10
    assert 2e-10 < cost.memory_slope(c, "sad", (lo * hi) ** 0.5) < 5e-10
    assert cost.memory_slope(c, "sad", hi * 4) == 5e-10
    # a calibration whose small slope came out above the shipped big one: flat, not falling
    assert cost.memory_slope({"sad": (0.0, 9e-10), "sad_big": (0.0, 5e-10)}, "sad", hi) == 9e-10
    assert cost.memory_slope({"sad": (0.0, 9e-10)}, "sad", hi) == 9e-10


@pytest.mark.parametrize("torch_on", [False, True])
@pytest.mark.parametrize(
    "n, dtype", [(128, "float32"), (128, "float64"), (96, "float64"), (48, "float64")]
)
def test_volumes_with_3x3x3_kernels_get_gemm(n, dtype, torch_on):
    """Block-Toeplitz products are cheaper per product in 3-D than the 2-D fit says
    (measured, 'same': 128³ float32 gemm 36 ms, direct 49, fft 56; 128³ float64 gemm
    33 ms, fft 94 (chosen before); 96³ float64 gemm 15 ms, fft 34; 48³ float64 gemm
    2.5 ms, fft 3.3)."""
    if torch_on:
        pytest.importorskip("torch")
    with convop.options(torch=torch_on):
        got = convop.choose_method(np.ones((n,) * 3, dtype), np.ones((3, 3, 3), dtype), "same")
    assert got == "gemm"
