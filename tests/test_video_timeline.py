"""The aggregates of a `VideoReport`: quality gate, confidence bands, partial and empty seconds, people, words."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from facemotion.apps.video import FrameFace, VideoReport
from facemotion.labels import EMOTIONS


def _face(frame: int, time: float, person: int, valence: float, label: str = "happy", left_out: str = "") -> FrameFace:
    probs = tuple(0.9 if e == label else 0.1 / 8 for e in EMOTIONS)
    return FrameFace(
        frame, time, person, (10, 10, 50, 50), label, 0.9, valence, valence / 2, probs, 0.9,
        track=person, shot=0, brightness=80.0, sharpness=100.0, left_out=left_out,
    )  # fmt: skip


def _report(faces: list[FrameFace], duration: float = 3.2, times: list[float] | None = None) -> VideoReport:
    frame_times = sorted({f.time for f in faces}) if times is None else times
    return VideoReport(
        "/somewhere/private/clip.mp4", 10.0, duration, faces=faces, frame_times=frame_times, sample_fps=5.0,
        frames_expected=len(frame_times), frames_analyzed=len(frame_times),
    )  # fmt: skip


def test_left_out_faces_count_nowhere_but_in_their_own_tally() -> None:
    good = [_face(i, i / 5, 0, 0.5) for i in range(5)]
    dark = [_face(i, i / 5, 1, -0.9, "sad", left_out="dark; blurred") for i in range(5)]
    report = _report(good + dark)
    row = report.timeline()[0]
    assert row["faces"] == 5 and row["faces_left_out"] == 5 and row["valence"] == pytest.approx(0.5)
    assert row["sad"] == 0.0 and row["happy"] == 1.0
    summary = report.summary()
    assert summary["faces"] == 10 and summary["faces_used"] == 5 and summary["faces_left_out"] == 5
    assert summary["left_out"] == {"dark": 5, "blurred": 5}
    assert summary["left_out_sentence"] == "5 faces too dark or blurred to read were left out of the figures."
    assert summary["mean_valence"] == pytest.approx(0.5)
    assert [p["person"] for p in report.people()] == [0]  # a person seen only in unreadable faces is not listed
    assert summary["people"] == 1 and summary["people_left_out"] == 1


def test_confidence_band_over_faces_and_partial_last_second() -> None:
    rng = np.random.default_rng(1)
    faces = [_face(i, 0.1 * (i % 10), i % 3, float(v)) for i, v in enumerate(rng.normal(0.3, 0.2, 30))]
    faces += [_face(100, 1.5, 0, 0.1)]  # one face in second 1
    faces += [_face(200 + i, 2.0 + 0.1 * i, 0, 0.2) for i in range(2)]
    report = _report(faces, duration=2.2)
    first, second, last = report.timeline()
    assert first["valence_low"] < first["valence"] < first["valence_high"]
    ten = [_face(i, 0.1 * (i % 10), i % 10, float(v)) for i, v in enumerate(rng.normal(0.3, 0.2, 30))]
    wide = _report(ten, duration=1.0).timeline()[0]  # the same 30 faces from ten people: a band over more people
    assert wide["valence_high"] - wide["valence_low"] < first["valence_high"] - first["valence_low"]
    assert first["people"] == 3 and first["faces"] == 30
    assert second["faces"] == 1 and second["valence_low"] is None  # no band from one face
    assert last["partial"] and last["end"] == pytest.approx(2.2) and not first["partial"]
    assert report.timeline(seed=0) == report.timeline(seed=0)  # the band is reproducible


def test_seconds_without_an_analysed_frame_have_no_data_not_zero_faces() -> None:
    faces = [_face(i, i / 5, 0, 0.4) for i in range(5)]
    report = _report(faces, duration=3.0, times=[0.0, 0.2, 0.4, 0.6, 0.8, 1.2])
    first, empty, missing = report.timeline()
    assert first["faces"] == 5 and not first["no_data"]
    assert empty["faces"] == 0 and not empty["no_data"]  # frames analysed, nobody in them
    assert missing["faces"] is None and missing["no_data"] and missing["valence"] is None


def test_summary_names_the_file_never_its_folder_and_says_it_in_words() -> None:
    faces = [_face(i, i / 5, 0, 0.45) for i in range(10)] + [_face(10 + i, 1 + i / 5, 1, 0.2) for i in range(5)]
    summary = _report(faces, duration=2.0).summary()
    text = json.dumps(summary)
    assert "/somewhere" not in text and summary["file"] == "clip.mp4"
    assert summary["valence_words"] == "pleasant" and summary["arousal_words"] == "mildly excited"
    assert summary["mean_valence_low"] < summary["mean_valence"] < summary["mean_valence_high"]
    assert summary["sentence"].startswith("Over 2.0 s of video, the faces read as pleasant")
    assert "most pleasant moment was 0–1 s (mostly happy)" in summary["sentence"]


def test_short_people_are_left_out_of_the_table_and_counted() -> None:
    faces = [_face(i, i / 5, 0, 0.1) for i in range(10)] + [_face(3, 0.6, 1, 0.1), _face(4, 0.8, 1, 0.1)]
    report = _report(faces, duration=2.0)
    assert [p["person"] for p in report.people()] == [0]
    assert report.people()[0]["seconds_on_screen"] == pytest.approx(2.0)
    assert report.people_left_out() == 1  # 2 frames at 5 per second: 0.4 s, under half a second
    assert [p["person"] for p in report.people(min_seconds=0.2)] == [0, 1]


def test_the_sentence_names_a_trend_only_when_there_is_one() -> None:
    from facemotion.apps.wording import video_sentence

    def line(values: list[float]) -> list[dict[str, object]]:
        return [{"time": t, "end": t + 1, "faces": 4, "valence": v, "happy": 1.0} for t, v in enumerate(values)]

    summary = {"duration": 6.0, "faces_used": 24, "faces": 24, "mean_valence": 0.2, "mean_arousal": 0.0}
    assert "more pleasant at the end than at the start" in video_sentence(summary, line([-0.2, 0, 0.1, 0.3, 0.4, 0.5]))
    assert "less pleasant at the end" in video_sentence(summary, line([0.5, 0.4, 0.3, 0.1, 0, -0.2]))
    assert "at the end" not in video_sentence(summary, line([0.1, 0.2, 0.1, 0.2, 0.1, 0.2]))


def test_saved_timeline_png_shows_the_cuts_and_the_partial_last_second(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import facemotion.apps.plots

    drawn: list[dict[str, object]] = []
    real = facemotion.apps.plots.plot_timeline
    monkeypatch.setattr(facemotion.apps.plots, "plot_timeline", lambda *a, **k: drawn.append(k) or real(*a, **k))
    report = _report([_face(i, i / 5, 0, 0.4) for i in range(12)], duration=2.3)
    report.shot_cuts = [1.4]
    report.save(tmp_path)
    assert drawn[0]["shot_cuts"] == [1.4] and drawn[0]["duration"] == 2.3
    assert (tmp_path / "timeline.png").stat().st_size > 0


def test_moments_rest_on_the_same_seconds_in_summary_sentence_and_report() -> None:
    from facemotion.apps.report import key_moments
    from facemotion.apps.video import MOMENT_MIN_FACES

    two = [_face(i, 0.1 * i, i, 0.9) for i in range(MOMENT_MIN_FACES - 1)]  # second 0: too few faces
    crowd = [_face(10 + i, 1 + 0.1 * i, i, 0.1) for i in range(4)] + [
        _face(20 + i, 2 + 0.1 * i, i, 0.3) for i in range(4)
    ]
    report = _report(two + crowd, duration=3.0)
    summary = report.summary()
    assert summary["peak_valence"] == 2 and summary["lowest_valence"] == 1
    assert "the most pleasant moment was 2–3 s" in summary["sentence"]
    assert {what: t for what, t, _, _ in key_moments(report.timeline())}["most pleasant"] == 2


def test_sampling_slower_than_a_second_gives_rows_of_its_interval_never_no_data() -> None:
    """At --fps 0.2 four seconds in five had no frame and were marked "no data" in a complete video."""
    faces = [_face(k * 50, k * 5.0, 0, 0.5) for k in range(6)]  # a frame every 5 s of a 30-s slideshow
    report = _report(faces, duration=30.0)
    report.sample_fps = 0.2
    rows = report.timeline()
    assert [r["time"] for r in rows] == [0, 5, 10, 15, 20, 25]
    assert not any(r["no_data"] for r in rows) and all(r["faces"] == 1 for r in rows)
    ntsc = _report([_face(k * 30, k * 30 / 29.97, 0, 0.5) for k in range(1200)], duration=1201.2)
    ntsc.sample_fps = 29.97 / 30  # --fps 1 of a 29.97-fps video: a frame every 1.001 s
    assert not any(r["no_data"] for r in ntsc.timeline())  # second 1000 had none


def test_seconds_on_screen_never_exceed_the_video() -> None:
    report = _report([_face(0, 0.0, 0, 0.5), _face(1, 0.1, 0, 0.5)], duration=3.17)
    report.sample_fps = 0.1  # each frame stands for 10 s of a 3-s clip
    assert report.people()[0]["seconds_on_screen"] == pytest.approx(3.17)


def test_results_written_whole_are_readable_by_others(tmp_path: Path) -> None:
    """report.html and summary.json came out 0600 (a temporary file's mode), the CSVs 0644."""
    import os

    pa = pytest.importorskip("pyarrow", reason="Parquet needs the [batch] extra")

    from facemotion.atomic import _umask, atomic_write
    from facemotion.scale.contract import write_parquet

    mask = os.umask(0o022)
    _umask.cache_clear()  # read again under this umask
    try:
        atomic_write(tmp_path / "summary.json", b"{}")
        write_parquet(pa.table({"faces": [3]}), tmp_path / "inputs.parquet")  # was 0600 too
        (tmp_path / "plain.csv").write_text("x")
    finally:
        os.umask(mask)
        _umask.cache_clear()
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(("summary.json", "inputs.parquet", "plain.csv"), 0o666 & ~0o022)


def test_a_sliver_after_the_last_frame_is_not_a_no_data_row() -> None:
    """A 1.001-s video sampled at 5 fps ended with a 1-ms row marked "no data"."""
    report = _report([_face(k * 6, k * 0.2002, 0, 0.5) for k in range(5)], duration=1.001)
    report.sample_fps = 29.97 / 6  # every 6th frame of a 29.97-fps video: the next one was due at 1.001 s
    rows = report.timeline()
    assert len(rows) == 1 and rows[0]["end"] == pytest.approx(1.001) and not rows[0]["no_data"]
    cut = _report([_face(0, 0.0, 0, 0.5)], duration=2.5)  # frames missing for 1.5 s: that is no data
    assert [r["no_data"] for r in cut.timeline()] == [False, True, True]
    late = _report([_face(k * 2, k * 0.2, 0, 0.5) for k in range(50)], duration=10.1)  # 9.8 s last; 10.0 was due
    assert late.timeline()[-1]["time"] == 10 and late.timeline()[-1]["no_data"]


def test_confidence_bands_rest_on_people_not_on_frames() -> None:
    """Sampling more frames of the same people made the band narrower (+0.72 to +0.83 from one person at
    30 fps): faces are resampled by person, and one person gives no band however many frames."""
    one = _report([_face(i, i / 30, 0, 0.7 + 0.1 * (i % 2)) for i in range(30)], duration=1.0)
    row = one.timeline()[0]
    assert row["faces"] == 30 and row["valence_low"] is None and one.summary()["mean_valence_low"] is None
    few = [_face(i, i / 5, p, v) for i in range(5) for p, v in ((0, 0.2), (1, 0.6))]
    many = [_face(i, i / 30, p, v) for i in range(30) for p, v in ((0, 0.2), (1, 0.6))]
    band = [(r["valence_high"] - r["valence_low"]) for r in (_report(f, 1.0).timeline()[0] for f in (few, many))]
    assert band[0] == pytest.approx(band[1], abs=0.05)  # six times the frames, not a narrower band


def test_people_seen_too_briefly_to_be_listed_give_no_band_as_if_many() -> None:
    """A cyclist's three glimpses were three persons: "0 people" in the header, yet a 95 % band over them."""
    glimpses = [_face(k, 0.2 * k, k, v) for k, v in enumerate((-0.4, -0.1, -0.3))]  # one face each: 0.2 s
    report = _report(glimpses, duration=1.0)
    summary = report.summary()
    assert summary["people"] == 0 and summary["people_left_out"] == 3
    assert summary["mean_valence"] == pytest.approx(-0.8 / 3) and summary["mean_valence_low"] is None
    assert report.timeline()[0]["valence_low"] is None
    listed = [_face(10 + i, 0.2 * i, 7, 0.5) for i in range(4)] + [_face(20 + i, 0.2 * i, 8, 0.1) for i in range(4)]
    both = _report(listed + glimpses, duration=1.0).summary()  # two listed people and the glimpses as a third unit
    assert both["people"] == 2 and both["mean_valence_low"] is not None
