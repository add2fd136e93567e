"""The reports' pictures come from the frames that were analysed, in a phone's variable-frame-rate
video and a browser's unindexed WebM too, where seeking by frame number lands on other frames.

The test media are made with FFmpeg (imageio-ffmpeg) from a video whose every frame is one
grey level of its own, so a picture's grey level says which frame it was cut from.
"""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from facemotion.apps import video
from facemotion.apps.frames import iter_frames
from facemotion.apps.report import video_report_html
from facemotion.apps.video import FrameFace, VideoReport

#: The frames faces are put on: one in each of five seconds, most of them where seeking misses.
FACE_FRAMES = [45, 70, 100, 130, 155]
#: Three faces a frame (persons 0, 1, 2), side by side.
BOXES = [(10, 40, 40, 40), (60, 40, 40, 40), (110, 40, 40, 40)]
VALENCES = [0.1, 0.6, -0.4, 0.2, -0.1]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """240 frames at 30 fps, frame i all grey level 8 + 37 i mod 240; re-cut to 30 then 10 fps, and as a live WebM."""
    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="making VFR and WebM files needs imageio-ffmpeg")
    folder = tmp_path_factory.mktemp("numbered")
    source = folder / "numbered.avi"
    writer = cv2.VideoWriter(str(source), cv2.VideoWriter_fourcc(*"MJPG"), 30, (160, 120))
    for i in range(240):
        writer.write(np.full((120, 160, 3), 8 + (37 * i) % 240, np.uint8))
    writer.release()

    def run(*args: str, **kwargs: Any) -> None:
        exe = ffmpeg.get_ffmpeg_exe()
        subprocess.run(
            [exe, "-hide_banner", "-loglevel", "error", "-y", "-i", str(source), *args], check=True, **kwargs
        )

    vfr, webm = folder / "vfr.mp4", folder / "live.webm"
    run("-vf", "select='lt(n,120)+not(mod(n,3))'", "-fps_mode", "vfr", "-c:v", "libx264", "-crf", "12", str(vfr))
    with webm.open("wb") as out:  # written to a pipe, as a browser records: no index, no length
        run("-c:v", "libvpx", "-b:v", "2M", "-f", "webm", "pipe:1", stdout=out, timeout=120)
    return {"vfr": vfr, "webm": webm}


def _report(path: Path) -> tuple[VideoReport, dict[int, float]]:
    """A report with three faces on each of `FACE_FRAMES` (as analysed), and each frame's grey level."""
    frames = {i: (t, float(image.mean())) for i, t, image in iter_frames(path, 1000)}
    faces = [
        FrameFace(k, frames[k][0], person, box, "happy", 0.9, v, 0.1, (0, 0, 0, 1.0, 0, 0, 0, 0, 0), track=person)
        for k, v in zip(FACE_FRAMES, VALENCES, strict=True)
        for person, box in enumerate(BOXES)
    ]
    times = [t for t, _ in frames.values()]
    report = VideoReport(
        str(path), 30.0, max(times) + 0.1, frames_analyzed=len(times), faces=faces, frame_times=times, sample_fps=2.0
    )
    return report, {i: level for i, (_, level) in frames.items()}


def _level(uri: str) -> float:
    data = np.frombuffer(base64.b64decode(uri.split(",", 1)[1]), np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return float(image[-image.shape[0] // 6 :].mean())  # the bottom: no box or text drawn there


@pytest.mark.parametrize("kind", ["vfr", "webm"])
def test_report_pictures_are_the_analysed_frames(media: dict[str, Path], kind: str, tmp_path: Path) -> None:
    report, level = _report(media[kind])
    seeking = cv2.VideoCapture(str(media[kind]))
    missed = 0
    for k in FACE_FRAMES:  # why it matters: seeking by number gives other frames in this file
        seeking.set(cv2.CAP_PROP_POS_FRAMES, k)
        ok, frame = seeking.read()
        missed += not ok or abs(float(frame.mean()) - level[k]) > 1.5
    assert missed >= 3
    page = video_report_html(report, tmp_path / "report.html").read_text()
    strips = re.findall(r'<td class="strip">(.*?)</td>', page)
    assert len(strips) == 3
    for strip in strips:  # each person's five faces, from the five frames in order
        got = [_level(uri) for uri in re.findall(r'src="(data:[^"]+)"', strip)]
        assert got == pytest.approx([level[k] for k in FACE_FRAMES], abs=1.0)
    cards = page.split('<div class="moment">')[1:]
    assert len(cards) >= 2
    for card in cards:
        start = int(re.search(r"<h3>[^<]*: (\d+)–", card).group(1))  # type: ignore[union-attr]
        frame = next(f.frame for f in report.faces if start <= f.time < start + 1)
        picture = re.search(r'src="(data:image/jpeg;base64,[^"]+)"', card)
        assert picture is not None and _level(picture.group(1)) == pytest.approx(level[frame], abs=2.5)
        drivers = re.findall(r'<img alt="face \d" src="(data:[^"]+)"', card)
        assert [_level(uri) for uri in drivers] == pytest.approx([level[frame]] * 3, abs=1.0)


def test_comparison_examples_are_the_analysed_frames(media: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from facemotion.apps.compare import collect_group

    report, level = _report(media["vfr"])
    best = {person: frame for frame, person in ((45, 0), (100, 1), (155, 2))}
    report.faces = [  # each person's best face on another frame
        f if f.frame != best[f.person] else FrameFace(**{**f.__dict__, "score": 0.99}) for f in report.faces
    ]
    monkeypatch.setattr(video, "analyze_video", lambda *_, **__: report)
    sample = collect_group(media["vfr"], classifier=None)
    assert len(sample.examples) == 3
    for example in sample.examples:
        frame = next(k for k in FACE_FRAMES if f"{report.faces[FACE_FRAMES.index(k) * 3].time:.1f} s" in example.source)
        assert float(example.image.mean()) == pytest.approx(level[frame], abs=1.0)
        assert frame in best.values()
