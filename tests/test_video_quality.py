"""The quality gate on real faces, and honest people and moments on the shared clip (issue 26)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from facemotion.apps.video import MIN_PERSON_SECONDS, QualityGate, analyze_video, face_quality

from conftest import VIDEO, need


def test_face_quality_measures_brightness_and_sharpness(astronaut: np.ndarray) -> None:
    box = (162, 53, 122, 123)  # the astronaut's face
    bright, sharp = face_quality(astronaut, box)
    dim, dull = face_quality((astronaut * 0.2).astype(np.uint8), box)
    assert bright > 100 and dim < 0.25 * bright and dull < 0.1 * sharp  # a dark face has little contrast
    assert face_quality(astronaut, (600, 600, 10, 10)) == (0.0, 0.0)  # a box outside the image


def test_gate_reasons() -> None:
    gate = QualityGate()
    assert gate.reasons(brightness=10, size=100, sharpness=100, detection_score=0.9) == ("dark",)
    assert gate.reasons(brightness=90, size=12, sharpness=100, detection_score=0.9) == ("small",)
    assert gate.reasons(brightness=90, size=100, sharpness=100, detection_score=0.3) == ("low detection score",)
    assert gate.reasons(brightness=90, size=100, sharpness=100, detection_score=None) == ()


def _clip(path: Path, images: list[np.ndarray]) -> None:
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (images[0].shape[1], images[0].shape[0]))
    for image in images:
        writer.write(np.ascontiguousarray(image[:, :, ::-1]))
    writer.release()


def test_faces_the_gate_refuses_are_drawn_but_not_counted(
    tmp_path: Path, tiny_classifier: Any, astronaut: np.ndarray
) -> None:
    dim = (astronaut * 0.3).astype(np.uint8)  # still found by the detector; brightness about 42
    path = tmp_path / "dimming.avi"
    _clip(path, [astronaut] * 10 + [dim] * 10)
    report = analyze_video(path, tiny_classifier, sample_fps=10, progress=False, quality=QualityGate(min_brightness=80))
    assert report.frames_analyzed == 20 and len(report.faces) == 20
    first, second = report.timeline()
    assert first["faces"] == 10 and first["faces_left_out"] == 0
    assert second["faces"] == 0 and second["faces_left_out"] == 10 and second["valence"] is None
    summary = report.summary()
    assert summary["left_out"] == {"dark": 10} and summary["lowest_valence"] == 0.0
    assert "10 faces too dark to read" in summary["left_out_sentence"]
    report.save(tmp_path / "out", plot=False)
    with (tmp_path / "out" / "frames.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 20 and sum(r["left_out"] == "dark" for r in rows) == 10  # every face kept in frames.csv


@pytest.fixture(scope="module")
def clip_report() -> Any:
    return analyze_video(need(VIDEO), progress=False)


def test_no_moment_rests_on_faces_too_poor_to_read(clip_report: Any) -> None:
    summary = clip_report.summary()
    gate = clip_report.quality
    for key in ("peak_valence", "lowest_valence", "peak_arousal"):
        second = summary[key]
        faces = [f for f in clip_report.used_faces if second <= f.time < second + 1]
        assert faces, key
        for f in faces:
            assert f.brightness >= gate.min_brightness and f.sharpness >= gate.min_sharpness
    assert not 1.6 <= summary["lowest_valence"] < 2.6  # not the near-black audience shot
    assert summary["faces_used"] + summary["faces_left_out"] == summary["faces"]
    assert sum(r["faces"] for r in clip_report.timeline()) == summary["faces_used"]


def test_the_performer_is_one_person_across_the_cuts(clip_report: Any) -> None:
    """Hand-checked: the performer is the face on the right of shot 0, the big profile of shot 1 and shot 2's face.

    His longest track in each of these shots that lasts long enough for the people table
    (`MIN_PERSON_SECONDS`) must be one person, and nobody of the audience shot (3) may be
    him. Shot 1's profile lasts 0.4 s (two sampled frames): whether its colours link it
    turns on a few pixels of its box, and a person seen that briefly is left out of the
    people table anyway (counted in `people_left_out`).
    """

    def performer(f: Any) -> bool:
        return (f.shot == 0 and f.box[0] > 400) or (f.shot == 1 and f.box[2] > 150) or f.shot == 2

    used = clip_report.used_faces
    assert len(clip_report.shot_cuts) == 3
    longest = {}
    for shot in (0, 1, 2):
        lengths: dict[int, int] = {}
        for f in used:
            if f.shot == shot and performer(f):
                lengths[f.track] = lengths.get(f.track, 0) + 1
        track = max(lengths, key=lambda t: lengths[t])
        if lengths[track] / clip_report.sample_fps >= MIN_PERSON_SECONDS:
            longest[shot] = track
    assert {0, 2} <= set(longest)
    star = {f.person for f in used if f.track in longest.values()}
    assert len(star) == 1
    audience = {f.person for f in used if f.shot == 3}
    assert not star & audience
    assert len(audience) == len({f.track for f in used if f.shot == 3})  # people seen together stay apart
    summary = clip_report.summary()
    people = clip_report.people()
    assert summary["people"] == len(people) and summary["people_linked"]
    assert summary["face_tracks"] > summary["people"]
    row = next(p for p in people if p["person"] in star)
    assert {0, 2} <= set(row["shots"]) and row["seconds_on_screen"] > 4
