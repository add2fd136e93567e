"""The HTML reports: self-contained, honest about what they rest on, and rendered by a real browser
(headless Chromium) when it is installed."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import facemotion
from facemotion.apps.report import comparison_report_html, key_moments, video_report_html

from conftest import VIDEO, need

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DATA_URI = re.compile(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


@pytest.fixture(scope="module")
def classifier():  # type: ignore[no-untyped-def]
    from facemotion import EmotionClassifier

    return EmotionClassifier()


@pytest.fixture(scope="module")
def clip_report(classifier):  # type: ignore[no-untyped-def]
    from facemotion.apps import analyze_video

    return analyze_video(need(VIDEO), classifier, sample_fps=5.0, progress=False)


@pytest.fixture(scope="module")
def video_page(clip_report, classifier, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    metrics = {"model_metrics": classifier.model.config.card.metrics}
    return video_report_html(clip_report, tmp_path_factory.mktemp("report"), metadata=metrics)  # a folder


def _text_only(page: Path) -> str:
    """The page without its embedded pictures."""
    return DATA_URI.sub("", page.read_text())


def test_report_is_one_offline_file(video_page: Path) -> None:
    text = video_page.read_text()
    assert video_page.name == "report.html"
    assert "<title>Audience reaction: short_hamilton_clip.mp4</title>" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), "the report must not load anything"
    assert not re.search(r"<script", text), "no script: a client's browser may block it"
    assert len(re.findall(r'src="data:image/(png|jpeg);base64,', text)) >= 10  # plots, moments, faces
    for section in ('id="summary"', 'id="timeline"', 'id="moments"', 'id="people"', 'id="caveats"', 'id="metadata"'):
        assert section in text


def test_no_path_of_this_machine_in_the_report(video_page: Path) -> None:
    text = _text_only(video_page)
    for path in (VIDEO.parent, VIDEO.resolve().parent, Path.home(), video_page.parent):
        assert str(path) not in text
    assert "../" not in text and not re.search(r"/(home|root|tmp|work|Users|mnt|var)/", text)


def test_the_footer_says_what_made_the_report(clip_report, video_page: Path) -> None:  # type: ignore[no-untyped-def]
    footer = _text_only(video_page).split('<footer id="metadata">')[1]
    expected = {
        "input file": "short_hamilton_clip.mp4",
        "duration": "9.2 s",
        "facemotion version": facemotion.__version__,
        "model": "default",
        "model version": "0.3.0",
        "face detector": "blazeface",
        "sampling rate": "5 frames analysed per second of video",
    }
    for key, value in expected.items():
        assert f"<dt>{key}</dt><dd>{value}</dd>" in footer
    assert re.search(r"<dt>date of analysis</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</dd>", footer)
    assert "not recorded" not in footer


def test_plain_words_and_caveats(clip_report, video_page: Path) -> None:  # type: ignore[no-untyped-def]
    text = _text_only(video_page)
    summary = clip_report.summary()
    assert summary["sentence"] in text
    assert f'Valence: <span class="word">{summary["valence_words"]}</span>' in text
    assert "unpleasant" in text and "calm" in text and "excited" in text  # the legend's words
    caveats = text.split('id="caveats"')[1]
    assert summary["left_out_sentence"] in caveats
    assert "76%" in caveats  # the model card's measured accuracy on FER+
    assert "turned away" in caveats and "Warriner" in caveats


def test_people_count_matches_the_people_table(clip_report, video_page: Path) -> None:  # type: ignore[no-untyped-def]
    text = _text_only(video_page)
    rows = text.count('<tr class="person">')
    people = clip_report.summary()["people"]
    assert rows == people == len(clip_report.people())
    assert re.search(rf"· {people} (people|person)</p>", text)
    assert f"{people} people were seen in" in text or f"{people} person was seen in" in text
    assert people < summary_tracks(clip_report)  # one performer filmed from several cameras is one person


def summary_tracks(report) -> int:  # type: ignore[no-untyped-def]
    return int(report.summary()["face_tracks"])


def test_key_moments_show_the_faces_they_rest_on(clip_report, video_page: Path) -> None:  # type: ignore[no-untyped-def]
    text = video_page.read_text()
    moments = text.split('id="moments"')[1].split('id="shares"')[0]
    cards = moments.split('<div class="moment">')[1:]
    assert cards
    for card in cards:
        assert 'type="checkbox"' in card and 'src="data:image/jpeg;base64,' in card  # click to enlarge
        assert '<span class="num">1</span>' in card  # faces outlined, numbered and named
        assert re.search(r"based on (\d+) face readings", card)
        assert int(re.search(r"based on (\d+) face readings", card).group(1)) >= 3  # type: ignore[union-attr]
    with_few = [r["time"] for r in clip_report.timeline() if r["faces"] and r["faces"] < 3]
    for t in with_few:  # a second resting on one or two faces is never a key moment
        assert not re.search(rf"<h3>[^<]*: {t:.0f}–", moments)


def test_a_video_without_faces_and_cut_short(tmp_path: Path) -> None:
    from facemotion.apps.video import VideoReport

    report = VideoReport(
        "/somewhere/private/empty.mp4",
        25.0,
        3.0,
        frames_analyzed=5,
        frames_expected=15,
        frames_unreadable=10,
        status="truncated",
        warnings=["empty.mp4 ends at 1.0 s of its stated 3.0 s: the rest has no data."],
        frame_times=[0.0, 0.2, 0.4, 0.6, 0.8],
        sample_fps=5.0,
    )
    text = _text_only(video_report_html(report, tmp_path / "r.html"))
    assert "No face was seen" in text and "/somewhere/" not in text
    assert '<p class="warning">empty.mp4 ends at 1.0 s' in text
    assert "10 missing because the file ends early" in text
    assert 'id="moments"' not in text and 'id="people"' not in text and 'id="shares"' not in text
    assert "No face was seen in the 5 analysed frames, so there is nothing to chart" in text
    assert "Every face seen was clear enough" not in text and "No face was seen, so none was left out." in text
    assert "data:image" not in (tmp_path / "r.html").read_text()  # no empty chart


def test_a_video_whose_every_face_was_left_out(tmp_path: Path) -> None:
    from facemotion.apps.video import FrameFace, VideoReport

    dark = [
        FrameFace(
            i, i / 5, 0, (10, 10, 30, 30), "neutral", 0.5, 0.0, 0.0, (0, 0, 0, 0, 0, 1.0, 0, 0, 0), left_out="dark"
        )
        for i in range(5)
    ]
    report = VideoReport("dark.mp4", 5.0, 1.0, frames_analyzed=5, faces=dark, frame_times=[i / 5 for i in range(5)])
    text = _text_only(video_report_html(report, tmp_path / "r.html"))
    assert "No face was clear enough to read (5 face readings left out: see the caveats)" in text
    assert "5 faces too dark to read were left out" in text
    assert "data:image" not in (tmp_path / "r.html").read_text()


def test_portrait_moment_pictures_are_kept_to_a_screen_height() -> None:
    css = (Path(facemotion.__file__).parent / "apps" / "templates" / "base.html.j2").read_text()
    rule = re.search(r"\.zoom img\{([^}]*)\}", css)
    assert rule is not None and "max-height:560px" in rule.group(1) and "width:auto" in rule.group(1)


def test_key_moments_pick_peaks_and_changes() -> None:
    line = [{"time": t, "valence": v} for t, v in enumerate([0.0, 0.6, 0.5, -0.4, -0.2])]
    got = {what: (t, change) for what, t, _, change in key_moments(line)}
    assert got == {
        "most pleasant": (1, None),
        "least pleasant": (3, None),
        "biggest rise": (1, 0.6),
        "biggest drop": (3, -0.9),
    }
    thin = [{**r, "faces": 1 if r["time"] == 1 else 4} for r in line]
    assert {what: t for what, t, _, _ in key_moments(thin)}["most pleasant"] == 2


def test_timeline_draws_the_confidence_band_and_marks_the_partial_second() -> None:
    from matplotlib.collections import PolyCollection

    from facemotion.apps.plots import plot_timeline

    rows = [
        {"time": 0.0, "end": 1.0, "faces": 6, "valence": 0.2, "valence_low": 0.1, "valence_high": 0.3},
        {"time": 1.0, "end": 2.0, "faces": 5, "valence": -0.1, "valence_low": -0.3, "valence_high": 0.05},
        {"time": 2.0, "end": 2.2, "faces": 2, "valence": 0.4, "valence_low": 0.2, "valence_high": 0.6, "partial": True},
    ]
    rows = [{**r, "arousal": 0.0, "happy": 1.0} for r in rows]
    fig = plot_timeline(rows, shot_cuts=[1.5])
    valence_ax, _, shares_ax, faces_ax = fig.axes[:4]
    bands = [c for c in valence_ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1
    ys = bands[0].get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(-0.3) and ys.max() == pytest.approx(0.6)
    widths = sorted(round(p.get_width(), 3) for p in faces_ax.patches)
    assert widths == [0.184, 0.92, 0.92]  # the 0.2 s bin is not drawn at full weight
    assert any(p.get_hatch() == "//" for p in shares_ax.patches)
    assert "partial second" in [t.get_text() for t in valence_ax.get_legend().get_texts()]
    dots = [c for c in valence_ax.collections if not isinstance(c, PolyCollection)]
    sizes = np.concatenate([c.get_sizes() for c in dots])
    assert sorted(sizes) == [20, 50, 60]  # the dot grows with the faces behind it


def test_reports_are_not_imported_by_the_analysis() -> None:
    apps = Path(facemotion.__file__).parent / "apps"
    for module in ("video.py", "compare.py", "tracking.py", "wording.py"):
        tree = ast.parse((apps / module).read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m and m.startswith("facemotion.apps.report")}, module


def _chromium(page: Path, tmp_path: Path, height: int) -> np.ndarray:
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
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert "<title>" in dom.stdout and "How far to trust this" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(
        [CHROMIUM, *flags, f"--window-size=1200,{height}", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    from facemotion.io import read_image

    return read_image(shot)


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_report_renders_in_chromium(video_page: Path, tmp_path: Path) -> None:
    """A real browser renders the report: the title is there and the page is not blank."""
    pixels = _chromium(video_page, tmp_path, 1600)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01  # drawn: text and plots, not a blank page


def _comparison(names: tuple[str, str] = ("A", "B")):  # type: ignore[no-untyped-def]
    from facemotion.apps.compare import FaceExample, GroupSample, compare_samples

    rng = np.random.default_rng(0)
    face = np.full((112, 112, 3), 128, np.uint8)
    examples = tuple(FaceExample(face, "happy", 0.9, 0.5, f"/secret/folder/p{i}.jpg") for i in range(3))
    a = GroupSample(rng.normal(-0.2, 0.2, 30), rng.normal(0.1, 0.2, 30), ("sad",) * 30, examples)
    b = GroupSample(
        rng.normal(0.4, 0.2, 30), rng.normal(-0.1, 0.2, 30), ("happy",) * 30, examples, (("cut.jpg", "corrupt"),)
    )
    meta = {"inputs": ["entering", "leaving"], "analyzed_at": "2026-12-04 19:00 UTC", "model_version": "0.3.0"}
    return compare_samples(a, b, names=names, n_resamples=5000, metadata=meta)


def test_comparison_report(tmp_path: Path) -> None:
    result = _comparison()
    page = comparison_report_html(result, tmp_path / "compare.html", names=("ad A", "ad B"))
    text = _text_only(page)
    assert "<title>Mood comparison: ad B vs ad A</title>" in text
    assert "ad B happier than ad A: valence +0." in text and "Visitors" not in text
    assert "p &lt; 0.001" in text and "p = 0.000" not in text  # "p < 0.001", escaped
    differences = text.split('id="differences-table"')[1].split("</table>")[0]
    assert differences.count("<tr>") == 3  # the header, valence and arousal, each with an interval
    assert f"{result.arousal_ci_low:+.2f} to {result.arousal_ci_high:+.2f}" in differences
    assert 'alt="emotion shares of ad A and ad B"' in text  # one chart, one y-axis for both groups
    assert text.count('<figure><img alt="happy face') == 6  # example faces of both groups
    assert "/secret/" not in text and "p0.jpg" in text
    assert "cut.jpg: corrupt" in text  # the skipped file is listed
    assert "<dt>model version</dt><dd>0.3.0</dd>" in text and "<dt>inputs</dt><dd>entering, leaving</dd>" in text
    assert len(re.findall(r'src="data:image/png;base64,', page.read_text())) == 2 + 6


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install chromium)")
def test_comparison_report_renders_in_chromium(tmp_path: Path) -> None:
    page = comparison_report_html(_comparison(("entering", "leaving")), tmp_path / "compare.html")
    pixels = _chromium(page, tmp_path, 1400)
    assert pixels.std() > 20 and (pixels < 128).mean() > 0.01
