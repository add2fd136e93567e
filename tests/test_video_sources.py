"""Videos as people have them: variable frame rates, phone rotation, WebM/AVI lengths, no stated length.

The media are made here: constant-rate AVIs with OpenCV's VideoWriter (a capture that
reports a variable-rate video's timestamps stands in where OpenCV cannot write one), and,
where ``imageio-ffmpeg`` is installed (it is not a dependency), real phone-style and
WebM files; those tests skip without it.
"""

from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from facemotion.apps import frames
from facemotion.apps.frames import iter_frames, video_info
from facemotion.apps.video import VideoReport, account_for_the_end, analyze_video

from conftest import VIDEO, need

#: A phone's variable rate: 20 frames at 20 fps, then 20 at 4 fps (6 s, an average of 6.67 fps).
TIMES = [k / 20 for k in range(20)] + [1.0 + k / 4 for k in range(20)]
DURATION = 6.0
_OPEN = cv2.VideoCapture


def _avi(path: Path, frames: int, fps: float = 10, size: tuple[int, int] = (64, 48)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8))
    writer.release()
    return path


class _Reporting:
    """A real capture that reports other timestamps, rate or frame count (as another container would)."""

    times: list[float] | None = None
    fps: float | None = None
    count: float | None = None

    def __init__(self, source: Any) -> None:
        self._cap = _OPEN(source)
        self._index = -1

    def isOpened(self) -> bool:
        return bool(self._cap.isOpened())

    def release(self) -> None:
        self._cap.release()

    def grab(self) -> bool:
        ok = bool(self._cap.grab())
        self._index += ok
        return ok

    def retrieve(self) -> Any:
        return self._cap.retrieve()

    def set(self, prop: int, value: float) -> bool:
        return bool(self._cap.set(prop, value))

    def get(self, prop: int) -> float:
        if prop == cv2.CAP_PROP_FPS and self.fps is not None:
            return self.fps
        if prop == cv2.CAP_PROP_FRAME_COUNT and self.count is not None:
            return self.count
        if prop == cv2.CAP_PROP_POS_MSEC and self.times is not None:
            return self.times[self._index] * 1000
        return float(self._cap.get(prop))


@pytest.fixture(scope="module")
def classifier() -> Any:
    from facemotion import EmotionClassifier

    return EmotionClassifier()


def _reporting(monkeypatch: pytest.MonkeyPatch, **stated: Any) -> None:
    kind = type("Stated", (_Reporting,), stated)
    monkeypatch.setattr(frames.cv2, "VideoCapture", kind)


def test_a_variable_frame_rate_video_is_timed_by_its_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, classifier: Any
) -> None:
    """A phone's video states its average rate: frame index / rate drifts by seconds, the timestamps do not."""
    path = _avi(tmp_path / "phone.avi", len(TIMES))
    _reporting(monkeypatch, times=TIMES, fps=len(TIMES) / DURATION)
    frames = list(iter_frames(path, 2))
    assert [i for i, _, _ in frames] == list(range(0, 40, 3))
    assert [t for _, t, _ in frames] == pytest.approx([TIMES[i] for i in range(0, 40, 3)])
    report = analyze_video(path, classifier, sample_fps=2, progress=False)
    assert report.frame_times == pytest.approx([TIMES[i] for i in range(0, 40, 3)])
    assert report.status == "complete" and report.frames_analyzed == report.frames_expected == 14
    line = report.timeline()
    assert report.duration >= TIMES[39] and line[-1]["end"] >= TIMES[39]  # the last frame is in the timeline
    assert [r["frames"] for r in line] == [7, 1, 2, 1, 1, 2]  # 20 fps, then 4 fps: where the frames really are


def test_frames_without_timestamps_are_timed_by_the_rate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _avi(tmp_path / "raw.avi", 30)
    _reporting(monkeypatch, times=[0.0] * 30)  # a stream that gives no timestamps
    assert [t for _, t, _ in iter_frames(path, 5)] == pytest.approx([i / 10 for i in range(0, 30, 2)])


def test_a_video_with_no_stated_length_is_read_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, classifier: Any
) -> None:
    """A WebM written as it was recorded (a browser's MediaRecorder) has no length: OpenCV gives -2.8e17 frames."""
    path = _avi(tmp_path / "recorded.avi", 30)
    _reporting(monkeypatch, count=-2.7642445994453763e17)
    report = analyze_video(path, classifier, sample_fps=5, progress=False)
    assert report.status == "complete" and report.frames_analyzed == report.frames_expected == 15
    assert report.duration == pytest.approx(3.0) and report.metadata["duration"] == pytest.approx(3.0)
    assert [r["frames"] for r in report.timeline()] == [5, 5, 5]


def _stating(path: Path, frames: int) -> Path:
    """The AVI at ``path`` with its header stating ``frames`` frames (as one converted from an MP4 whose video starts late)."""
    data = bytearray(path.read_bytes())
    for chunk, at in ((b"avih", 16), (b"strh", 32)):
        i = data.find(chunk) + 8 + at
        data[i : i + 4] = struct.pack("<I", frames)
    path.write_bytes(bytes(data))
    return path


def test_a_length_stated_a_little_long_is_not_a_cut(tmp_path: Path, classifier: Any) -> None:
    """Up to a second more than the frames (END_SLACK_SECONDS) in a container without a frame index: complete."""
    path = _stating(_avi(tmp_path / "converted.avi", 40), 45)
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT) == 45
    report = analyze_video(path, classifier, sample_fps=5, progress=False)
    assert report.status == "complete" and not report.warnings
    assert report.frames_analyzed == report.frames_expected == 20 and report.frames_unreadable == 0
    assert report.duration == pytest.approx(4.0)
    assert not any(r["no_data"] for r in report.timeline())


def test_a_length_stated_seconds_long_is_a_cut(tmp_path: Path, classifier: Any) -> None:
    path = _stating(_avi(tmp_path / "cut.avi", 40), 60)
    report = analyze_video(path, classifier, sample_fps=5, progress=False)
    assert report.status == "truncated" and report.frames_unreadable == 10 and "ends early" in report.warnings[0]


def test_an_mp4_is_taken_at_its_word(tmp_path: Path) -> None:
    """An MP4's index lists its frames: one missing near the end is a cut, whatever the slack."""
    mp4, other = tmp_path / "clip.mp4", tmp_path / "clip.webm"
    mp4.write_bytes(b"\x00\x00\x00\x18ftypisom" + bytes(16))
    other.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(16))
    outcomes = []
    for path in (mp4, other):
        report = VideoReport(str(path), 10.0, 4.0, frames_expected=20, frames_analyzed=19)
        report.frame_times = [0.2 * k for k in range(19)]
        account_for_the_end(report, 1)
        outcomes.append((report.status, report.frames_expected, report.frames_unreadable))
    assert outcomes == [("truncated", 20, 1), ("complete", 19, 0)]


# Real files made by FFmpeg, where imageio-ffmpeg is installed (only for making test media).


def _ffmpeg() -> str:
    ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="making phone and WebM files needs imageio-ffmpeg")
    return str(ffmpeg.get_ffmpeg_exe())


def _run(*args: str) -> None:
    subprocess.run([_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


@pytest.fixture(scope="module")
def portrait(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """An upright portrait video (360 × 480) of the astronaut's face drifting, 3 s at 10 fps, MJPG."""
    path = tmp_path_factory.mktemp("phone") / "upright.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (360, 480))
    face = cv2.resize(astronaut[0:300, 100:350], (250, 300))[:, :, ::-1]
    for i in range(30):
        frame = np.full((480, 360, 3), 90, np.uint8)
        frame[60 + i : 360 + i, 50:300] = face
        writer.write(np.ascontiguousarray(frame))
    writer.release()
    return path


@pytest.mark.parametrize(("turn", "stored"), [("transpose=1", 90), ("transpose=2", 270), ("hflip,vflip", 180)])
def test_a_phone_video_is_read_upright(portrait: Path, tmp_path: Path, classifier: Any, turn: str, stored: int) -> None:
    """A phone stores a portrait video sideways with a rotation to show it by: faces are found upright."""
    sideways, phone = tmp_path / "sideways.mp4", tmp_path / "phone.mp4"
    _run("-i", str(portrait), "-vf", turn, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(sideways))
    _run("-display_rotation", str(stored), "-i", str(sideways), "-c", "copy", str(phone))
    upright = analyze_video(portrait, classifier, sample_fps=2, progress=False, link_people=False)
    turned = analyze_video(phone, classifier, sample_fps=2, progress=False, link_people=False)
    assert next(iter_frames(phone, 1))[2].shape == (480, 360, 3)
    assert len(turned.faces) == len(upright.faces) == turned.frames_analyzed == 6
    for a, b in zip(upright.faces, turned.faces, strict=True):
        assert np.abs(np.subtract(a.box, b.box)).max() <= 12  # the same box, up to the re-encoding
        assert a.time == pytest.approx(b.time)


def test_a_real_variable_frame_rate_file(portrait: Path, tmp_path: Path, classifier: Any) -> None:
    """Every frame for 1 s, then every 5th (14 frames in 3 s: 4.7 fps on average), read by their timestamps."""
    path = tmp_path / "vfr.mp4"
    _run(
        "-i", str(portrait), "-vf", "select='lt(n,10)+not(mod(n,5))'", "-fps_mode", "vfr", "-c:v", "libx264", str(path)
    )
    real = [k / 10 for k in range(10)] + [k / 10 for k in range(10, 30, 5)]
    assert [t for _, t, _ in iter_frames(path, 100)] == pytest.approx(real, abs=1e-3)
    report = analyze_video(path, classifier, sample_fps=2, progress=False)
    assert report.status == "complete" and report.frames_analyzed == report.frames_expected
    step = round(report.fps / 2)
    assert report.frame_times == pytest.approx(real[::step], abs=1e-3)  # every step-th frame, at its own time
    assert report.duration >= max(report.frame_times) and len(report.faces) == report.frames_analyzed


def test_a_webm_whose_video_starts_late_is_complete(portrait: Path, tmp_path: Path, classifier: Any) -> None:
    """Converted from a file whose video starts 0.8 s in: the WebM's length counts those 0.8 s."""
    path = tmp_path / "late.webm"
    _run("-itsoffset", "0.8", "-i", str(portrait), "-c:v", "libvpx", "-b:v", "300k", str(path))
    assert cv2.VideoCapture(str(path)).get(cv2.CAP_PROP_FRAME_COUNT) > 30  # the stated length is longer
    report = analyze_video(path, classifier, sample_fps=5, progress=False)
    assert report.status == "complete" and not report.warnings and report.frames_unreadable == 0
    assert report.frames_analyzed == report.frames_expected == 15
    cut = tmp_path / "cut.webm"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    assert analyze_video(cut, classifier, sample_fps=5, progress=False).status == "truncated"


def test_an_animated_gif_is_a_video_and_a_still_one_is_not(tmp_path: Path, astronaut: np.ndarray) -> None:
    from PIL import Image

    from facemotion.errors import VideoReadError

    pictures = [Image.fromarray(np.roll(astronaut, 8 * i, axis=1)[::2, ::2]) for i in range(12)]
    pictures[0].save(tmp_path / "loop.gif", save_all=True, append_images=pictures[1:], duration=100, loop=0)
    pictures[0].save(tmp_path / "still.gif")
    assert video_info(tmp_path / "loop.gif") == pytest.approx((10.0, 1.2))
    assert [i for i, _, _ in iter_frames(tmp_path / "loop.gif", 5)] == [0, 2, 4, 6, 8, 10]
    with pytest.raises(VideoReadError, match="still image, not a video"):
        video_info(tmp_path / "still.gif")


def test_an_empty_file_and_a_sound_file_say_what_they_are(tmp_path: Path) -> None:
    from facemotion.errors import VideoReadError

    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(VideoReadError, match=r"empty \(0 bytes\)"):
        video_info(tmp_path / "empty.mp4")
    (tmp_path / "talk.m4a").write_bytes(b"\x00\x00\x00\x18ftypM4A " + bytes(200))
    with pytest.raises(VideoReadError, match="holds no video"):
        video_info(tmp_path / "talk.m4a")


def test_a_folder_or_a_fifo_is_not_called_missing(tmp_path: Path) -> None:
    import os

    from facemotion.errors import VideoReadError

    (tmp_path / "clips").mkdir()
    with pytest.raises(VideoReadError, match="is a folder; give one video file"):
        video_info(tmp_path / "clips")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.mp4")
        with pytest.raises(VideoReadError, match="not a regular file"):  # never opened: a FIFO would hang
            list(iter_frames(tmp_path / "pipe.mp4", 5))


def test_the_command_line_says_no_face_was_found(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion.cli import main

    path = tmp_path / "wall.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for _ in range(20):
        writer.write(np.full((48, 64, 3), 120, np.uint8))
    writer.release()
    assert main(["video", str(path), "--out", str(tmp_path / "out"), "--fps", "5"]) == 0
    out = capsys.readouterr().out
    assert "no face found in the 10 analysed frames" in out and "in 1 shot " in out and "0 face tracks" in out
    assert out.startswith("wall.avi: 2.0 s, complete")
    assert (tmp_path / "out" / "report.html").stat().st_size > 0


def test_frames_at_gives_the_analysed_frames_where_seeking_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The report's pictures: in a variable-frame-rate phone video OpenCV's seek lands on other frames; frames_at does not."""
    from facemotion.apps.frames import frames_at

    from conftest import VIDEO, need

    path = tmp_path / "vfr.mp4"  # the shared clip at 30 fps for 3.7 s, then 10 fps
    _run(
        "-i",
        str(need(VIDEO)),
        "-vf",
        "select='lt(t,4.5)+not(mod(n,3))'",
        "-fps_mode",
        "vfr",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-an",
        str(path),
    )
    wanted = [151, 3, 77, 114]
    every = {i: image for i, _, image in iter_frames(path, 1000) if i in wanted}
    got = dict(frames_at(path, wanted))
    assert sorted(got) == sorted(wanted)
    for i in wanted:
        assert np.abs(got[i].astype(int) - every[i]).mean() < 1
    cap, wrong = cv2.VideoCapture(str(path)), []
    for i in wanted:  # what seeking gives instead (why frames_at exists)
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, sought = cap.read()
        wrong.append(not ok or np.abs(sought[:, :, ::-1].astype(int) - every[i]).mean() > 1)
    assert any(wrong)
    assert dict(frames_at(path, [999])) == {}
    timed = {i: t for i, t, _ in iter_frames(path, 1000) if i in wanted}
    monkeypatch.setattr(frames, "SEEK_AHEAD", 2)  # seek, find the timestamps differ, decode forward instead
    got = dict(frames_at(path, wanted, timed))
    assert sorted(got) == sorted(wanted)
    for i in wanted:
        assert np.abs(got[i].astype(int) - every[i]).mean() < 1


def test_frames_at_reads_on_past_a_damaged_frame_as_the_analysis_does(tmp_path: Path) -> None:
    """A frame that cannot be grabbed mid-file is one damaged frame for `iter_frames`; the report's pictures of
    the frames after it must still come (they were all dropped: the report lost its later pictures, silently)."""
    from facemotion.apps.frames import frames_at

    data = bytearray(_avi(tmp_path / "whole.avi", 60).read_bytes())
    chunks = [k for k in range(len(data)) if data[k : k + 4] == b"00dc"]
    data[chunks[30] + 8 : chunks[30] + 8 + 400] = bytes(400)  # wipe one frame's data
    damaged = tmp_path / "damaged.avi"
    damaged.write_bytes(bytes(data))
    read = {i: image for i, _, image in iter_frames(damaged, 1000)}
    good = [i for i, image in read.items() if image is not None]
    assert len(read) == 60 and len(good) < 60  # numbered on past the damage
    wanted = [5, *good[-3:]]
    got = dict(frames_at(damaged, wanted))
    assert sorted(got) == wanted
    assert all(np.abs(got[i].astype(int) - read[i]).mean() < 2 for i in wanted)


def test_frames_at_seeks_where_the_timestamps_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from facemotion.apps.frames import frames_at

    path = _avi(tmp_path / "steady.avi", 60)
    every = {i: (t, image) for i, t, image in iter_frames(path, 1000)}
    monkeypatch.setattr(frames, "SEEK_AHEAD", 5)
    sought: list[int] = []
    real_set = cv2.VideoCapture.set

    class Counting(_Reporting):
        def set(self, prop: int, value: float) -> bool:
            if prop == cv2.CAP_PROP_POS_FRAMES:
                sought.append(int(value))
            return bool(real_set(self._cap, prop, value))

    monkeypatch.setattr(frames.cv2, "VideoCapture", Counting)
    got = dict(frames_at(path, [2, 30, 31, 55], {i: every[i][0] for i in (2, 30, 31, 55)}))
    assert sought == [30, 55]  # far ahead: sought, and the frames' times agree
    for i, image in got.items():
        assert np.array_equal(image, every[i][1])
    assert sorted(got) == [2, 30, 31, 55]


def test_a_file_read_live_is_timed_by_its_frames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, classifier: Any
) -> None:
    """``facemotion video --live phone.mp4``: the same times as the analysis of the file."""
    from facemotion.apps.video import analyze_stream

    path = _avi(tmp_path / "phone.avi", len(TIMES))
    _reporting(monkeypatch, times=TIMES, fps=len(TIMES) / DURATION)
    seconds: list[dict[str, Any]] = []
    report = analyze_stream(str(path), tmp_path / "live", classifier, sample_fps=2, on_second=seconds.append)
    assert report.frame_times == pytest.approx([TIMES[i] for i in range(0, 40, 3)])
    assert [s["time"] for s in seconds] == [0, 1, 2, 3, 4, 5]
    assert report.duration == pytest.approx(TIMES[-1] + DURATION / len(TIMES))
    short = analyze_stream(str(path), tmp_path / "short", classifier, sample_fps=2, max_seconds=2.0)
    assert short.frame_times == pytest.approx([TIMES[i] for i in range(0, 22, 3)])  # frames before 2 s


def test_a_video_trimmed_by_stream_copy_or_with_longer_audio_is_whole(tmp_path: Path) -> None:
    """`ffmpeg -ss 1.5 -c copy` keeps frames before the cut that the MP4's edit list skips: OpenCV counts
    them, the decoder does not deliver them, and the file was called cut short ("truncated")."""
    from facemotion.apps.containers import file_is_whole

    clip = need(VIDEO)
    trimmed = tmp_path / "trimmed.mp4"
    _run("-ss", "1.5", "-i", str(clip), "-t", "3", "-c", "copy", str(trimmed))
    cap = cv2.VideoCapture(str(trimmed))
    stated, delivered = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), 0
    while cap.grab():
        delivered += 1
    cap.release()
    assert stated > delivered  # the edit list: what made it look cut
    report = analyze_video(trimmed, sample_fps=5, progress=False)
    assert (report.status, report.frames_unreadable) == ("complete", 0)
    assert report.duration == pytest.approx(delivered / report.fps, abs=0.25)
    assert not [w for w in report.warnings if "ends early" in w]

    cut = tmp_path / "cut.mp4"  # the same file cut short: its last box runs past the end
    cut.write_bytes(trimmed.read_bytes()[: trimmed.stat().st_size * 2 // 3])
    assert (file_is_whole(trimmed), file_is_whole(cut)) == (True, False)

    mkv = tmp_path / "long_audio.mkv"  # a Matroska file whose sound runs 3 s past its video
    _run(
        "-i",
        str(clip),
        "-f",
        "lavfi",
        "-i",
        "sine=duration=12",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-t",
        "12",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        str(mkv),
    )
    half = tmp_path / "half.mkv"
    half.write_bytes(mkv.read_bytes()[: mkv.stat().st_size // 2])
    assert (file_is_whole(mkv), file_is_whole(half)) == (True, False)
    report = analyze_video(mkv, sample_fps=2, progress=False)
    assert report.status == "complete" and report.duration < 10.5
    assert analyze_video(half, sample_fps=2, progress=False).status == "truncated"


def test_a_file_named_with_digits_is_a_file_and_fast_cameras_keep_their_rate(tmp_path: Path) -> None:
    from facemotion.cli import main

    fast = tmp_path / "2024"  # a high-speed camera's clip, named like a camera number
    _run(
        "-i",
        str(need(VIDEO)),
        "-t",
        "1",
        "-vf",
        "setpts=N/1200/TB",
        "-r",
        "1200",
        "-c:v",
        "libx264",
        "-f",
        "mp4",
        str(fast),
    )
    assert video_info(fast)[0] == pytest.approx(1200)
    assert main(["video", str(fast), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    count = int(cv2.VideoCapture(str(fast)).get(cv2.CAP_PROP_FRAME_COUNT))
    assert summary["duration"] == pytest.approx(count / 1200, abs=0.01)  # was count / 30: 40 times too long
    assert summary["sample_fps"] == pytest.approx(5, rel=0.1)


def test_a_photo_named_like_a_video_is_refused_as_a_photo(tmp_path: Path) -> None:
    """A JPEG renamed ``x.mp4`` was analysed as a 0.2-s video of one frame."""
    from PIL import Image

    from facemotion.errors import VideoReadError

    fake = tmp_path / "holiday.mp4"
    Image.new("RGB", (64, 48), (90, 120, 150)).save(fake, format="JPEG")
    with pytest.raises(VideoReadError, match="is a JPEG image named like a video"):
        analyze_video(fake, progress=False)
