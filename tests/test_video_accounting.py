"""Every sampled frame accounted for (issue 25): cut-short files, interrupts, the sampling rate."""

from __future__ import annotations

import json
import os
import signal
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facemotion.apps import video
from facemotion.apps.frames import sample_step
from facemotion.apps.video import AnalysisInterrupted, analyze_video
from facemotion.cli import main
from facemotion.errors import FacemotionError, VideoReadError

from conftest import VIDEO, need

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int, int]]:
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", data[i : i + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[i + 8 : i + 16])[0], 16
        elif size == 0:
            size = end - i
        yield kind, i, header, size
        i += size


def _index_first(src: Path, dst: Path) -> None:
    """Rewrite an MP4 with its index (``moov``) before the media data, as streaming encoders write it."""
    data = src.read_bytes()
    top = list(_boxes(data, 0, len(data)))
    moov = next(b for b in top if b[0] == b"moov")
    mdat = next(b for b in top if b[0] == b"mdat")
    assert moov[1] > mdat[1], "the shared clip has its index at the end"
    box = bytearray(data[moov[1] : moov[1] + moov[3]])

    def shift(start: int, end: int) -> None:  # chunk offsets move by the index's size
        for kind, i, header, size in _boxes(box, start, end):
            if kind in _CONTAINERS:
                shift(i + header, i + size)
            elif kind in (b"stco", b"co64"):
                width, fmt = (4, ">I") if kind == b"stco" else (8, ">Q")
                count = struct.unpack(">I", box[i + header + 4 : i + header + 8])[0]
                for k in range(count):
                    at = i + header + 8 + k * width
                    box[at : at + width] = struct.pack(fmt, struct.unpack(fmt, box[at : at + width])[0] + len(box))

    shift(0, len(box))
    dst.write_bytes(data[: mdat[1]] + bytes(box) + data[mdat[1] : moov[1]] + data[moov[1] + moov[3] :])


@pytest.fixture(scope="module")
def index_first(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "index_first.mp4"
    _index_first(need(VIDEO), path)
    return path


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.85])
def test_a_video_cut_short_is_truncated_with_every_frame_counted(
    index_first: Path, tmp_path: Path, tiny_classifier: Any, keep: float
) -> None:
    data = index_first.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: round(len(data) * keep)])
    report = analyze_video(cut, tiny_classifier, sample_fps=2, progress=False)
    assert report.status == "truncated" and report.frames_expected == 19  # 275 frames, every 15th
    assert report.frames_unreadable > 0
    assert report.frames_analyzed + report.frames_skipped + report.frames_unreadable == report.frames_expected
    assert report.warnings and "ends early" in report.warnings[0]
    last = max(report.frame_times)
    for row in report.timeline():
        if row["time"] > last + 1:
            assert row["no_data"] and row["faces"] is None  # no data, never 'nobody was there'
    summary = report.summary()
    assert summary["status"] == "truncated" and summary["seconds_with_data"] < summary["duration"]
    assert "could be read" in summary["sentence"] or not summary["faces_used"]


def test_the_whole_index_first_file_is_complete(index_first: Path, tiny_classifier: Any) -> None:
    report = analyze_video(index_first, tiny_classifier, sample_fps=2, progress=False)
    assert report.status == "complete" and report.frames_analyzed == report.frames_expected == 19
    assert report.frames_unreadable == report.frames_skipped == 0 and not report.warnings


def test_cli_line_states_the_accounting(index_first: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = index_first.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    assert main(["video", str(cut), "--out", str(tmp_path / "out"), "--fps", "2"]) == 0
    out = capsys.readouterr().out
    assert "truncated; sampled frames: 19 expected" in out and "unreadable" in out and "no data" in out
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["status"] == "truncated" and summary["frames_unreadable"] > 0
    assert (tmp_path / "out" / "report.html").is_file()


@pytest.mark.parametrize("fps", ["nan", "inf", "0", "-5", "five"])
def test_fps_is_refused_at_parse_time(fps: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["video", "clip.mp4", "--out", str(tmp_path / "o"), "--fps", fps])
    assert stop.value.code == 2 and "--fps" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("rate", [0.0, -1.0, float("nan"), float("inf")])
def test_sample_rate_must_be_a_positive_number(rate: float) -> None:
    with pytest.raises(FacemotionError, match="sample_fps"):
        sample_step(30.0, rate)


def _stopping_after(frames: int, how: str) -> Any:
    real = video.iter_frames

    def iter_frames(*args: Any, **kwargs: Any) -> Iterator[tuple[int, float, np.ndarray | None]]:
        for n, item in enumerate(real(*args, **kwargs)):
            if n == frames:
                if how == "ctrl-c":
                    raise KeyboardInterrupt
                os.kill(os.getpid(), signal.SIGTERM)  # a real signal: the CLI turns it into an exception
            yield item

    return iter_frames


def test_ctrl_c_keeps_what_was_finished(monkeypatch: pytest.MonkeyPatch, tiny_classifier: Any) -> None:
    monkeypatch.setattr(video, "iter_frames", _stopping_after(12, "ctrl-c"))
    with pytest.raises(AnalysisInterrupted) as stop:
        analyze_video(need(VIDEO), tiny_classifier, sample_fps=5, progress=False)
    report = stop.value.report
    assert isinstance(stop.value, KeyboardInterrupt)  # uncaught, it is the Ctrl-C it was
    assert report.status == "interrupted" and report.frames_analyzed == 12
    assert report.frames_not_reached == report.frames_expected - 12 == 34
    assert {f.frame for f in report.faces} <= {i * 6 for i in range(12)} and report.faces
    assert all(row["no_data"] for row in report.timeline() if row["time"] >= 3)


@pytest.mark.parametrize(("how", "code"), [("ctrl-c", 130), ("sigterm", 143)])
def test_cli_writes_partial_results_on_interrupt(
    how: str, code: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(video, "iter_frames", _stopping_after(12, how))
    out = tmp_path / "out"
    assert main(["video", str(need(VIDEO)), "--out", str(out)]) == code
    err = capsys.readouterr().err
    assert f"partial results (status 'interrupted') written to {out}" in err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["frames_analyzed"] == 12
    assert summary["frames_not_reached"] == summary["frames_expected"] - 12
    rows = (out / "frames.csv").read_text().splitlines()
    assert len(rows) - 1 == summary["faces"] > 0
    assert (out / "report.html").is_file()


def test_a_file_that_is_not_a_video_is_still_an_error(tmp_path: Path, tiny_classifier: Any) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(VideoReadError):
        analyze_video(bad, tiny_classifier, progress=False)


@pytest.mark.parametrize(("suffix", "codec"), [("avi", "MJPG"), ("mkv", "MJPG"), ("webm", "VP80")])
def test_other_containers_cut_short_are_truncated(
    suffix: str, codec: str, tmp_path: Path, tiny_classifier: Any, astronaut: np.ndarray
) -> None:
    import cv2

    whole = tmp_path / f"whole.{suffix}"
    writer = cv2.VideoWriter(str(whole), cv2.VideoWriter_fourcc(*codec), 10, (512, 512))
    if not writer.isOpened():
        pytest.skip(f"this OpenCV cannot write {suffix}")
    for i in range(60):
        writer.write(np.ascontiguousarray(np.roll(astronaut, 3 * i, axis=1)[:, :, ::-1]))
    writer.release()
    data = whole.read_bytes()
    cut = tmp_path / f"cut.{suffix}"
    cut.write_bytes(data[: len(data) // 2])
    report = analyze_video(cut, tiny_classifier, sample_fps=5, progress=False)
    assert report.status == "truncated" and report.frames_expected == 30
    assert 0 < report.frames_analyzed < 30
    assert report.frames_analyzed + report.frames_skipped + report.frames_unreadable == 30
