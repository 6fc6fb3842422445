"""Optional: the report renders in a real browser (headless Chromium, Debian package).

Skipped where Chromium is not installed (``apt-get install chromium``).
"""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from convop.experiments import _tour

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed"),
]


def test_report_renders_in_chromium(tmp_path: Path):
    out = tmp_path / "tour"
    assert _tour.main(["--quick", "--out", str(out), "--only", "lowrank_by_hand"]) == 0
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            (out / "index.html").as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert img.shape == (1600, 1200)
    # a rendered page has text and figures: far from a blank (uniform) screenshot
    assert img.std() > 20
    assert (img < 100).mean() > 0.01  # dark pixels: text
