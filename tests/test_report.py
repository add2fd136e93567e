"""The HTML reports: self-contained, and rendered by a real browser (headless Chromium) when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from facemotion.apps.report import comparison_report_html, key_moments, video_report_html

from conftest import VIDEO, need

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def video_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from facemotion.apps import analyze_video

    report = analyze_video(need(VIDEO), sample_fps=2.0, progress=False)
    return video_report_html(report, tmp_path_factory.mktemp("report") / "report.html")


def test_report_is_one_offline_file(video_report: Path) -> None:
    text = video_report.read_text()
    assert "<title>Audience reaction: short_hamilton_clip.mp4</title>" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), (
        "the report must not load anything from the network"
    )
    images = re.findall(r'src="data:image/png;base64,', text)
    assert len(images) >= 4  # timeline, shares, key moments, face strips
    for section in ("Key moments", "People", "Emotion shares", "most positive", "most negative"):
        assert section in text
    assert re.search(
        r"biggest (rise|drop)</b>: [^<]*<span[^>]*>[^<]*</span> \([+-]\d\.\d\d from the second before\)", text
    )


def test_key_moments_pick_peaks_and_changes() -> None:
    line = [{"time": t, "valence": v} for t, v in enumerate([0.0, 0.6, 0.5, -0.4, -0.2])]
    got = {what: (t, change) for what, t, _, change in key_moments(line)}
    assert got == {
        "most positive": (1, None),
        "most negative": (3, None),
        "biggest rise": (1, 0.6),
        "biggest drop": (3, -0.9),
    }


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_report_renders_in_chromium(video_report: Path, tmp_path: Path) -> None:
    """A real browser renders the report: the title is there and the page is not blank."""
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", video_report.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert "Audience reaction: short_hamilton_clip.mp4" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, *flags, "--window-size=1200,1600", f"--screenshot={shot}", video_report.as_uri()],
        capture_output=True,
        timeout=120,
    )
    from facemotion.io import read_image

    pixels = read_image(shot)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # drawn: text and plots, not a blank page


def test_comparison_report(tmp_path: Path) -> None:
    from facemotion.apps.compare import GroupSample, compare_samples

    rng = np.random.default_rng(0)
    a = GroupSample(rng.normal(-0.2, 0.2, 30), rng.normal(0, 0.2, 30), ("sad",) * 30)
    b = GroupSample(rng.normal(0.4, 0.2, 30), rng.normal(0, 0.2, 30), ("happy",) * 30)
    result = compare_samples(a, b, n_resamples=500)
    text = comparison_report_html(result, tmp_path / "compare.html", "entering", "leaving").read_text()
    assert "Visitors leave happier" in text and text.count("data:image/png;base64,") == 2
