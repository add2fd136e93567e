"""Galleries of panels (a video call's tiles): found by their gutters, each panel searched as a photo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from facemotion.detection import DetectedFace, get_detector
from facemotion.detection import blazeface_backend as backend
from facemotion.detection.panels import panels
from facemotion.io import read_image

from conftest import DATA, GROUP_PHOTOS, benchmark, need

BACKGROUND = 31  # Zoom's gallery background, #1f1f1f


def _noise(height: int, width: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width), np.uint8)


def test_the_tiles_of_a_gallery_are_its_panels() -> None:
    picture = np.full((400, 620), BACKGROUND, np.uint8)
    tiles = [(10 + 205 * (i % 3), 10 + 195 * (i // 3), 195, 185) for i in range(6)]
    for i, (x, y, w, h) in enumerate(tiles):
        picture[y : y + h, x : x + w] = _noise(h, w, i)
    assert panels(picture) == tiles
    framed = picture.copy()  # the active speaker's tile in a coloured frame, a camera turned off
    cv2.rectangle(framed, (8, 8), (206, 196), 150, 2)
    framed[205:390, 420:615] = BACKGROUND + 10
    first, *others = panels(framed)
    assert others == tiles[1:5] and first == (7, 7, 201, 191)  # the frame with the tile


def test_a_speaker_view_is_cut_band_by_band() -> None:
    picture = np.full((720, 1280), BACKGROUND, np.uint8)
    strip = [(175 + 187 * i, 6, 181, 102) for i in range(5)]
    speaker = (107, 114, 1066, 600)
    for i, (x, y, w, h) in enumerate([*strip, speaker]):
        picture[y : y + h, x : x + w] = _noise(h, w, i)
    assert panels(picture) == [*strip, speaker]


def test_camera_off_tiles_do_not_take_the_gutters_colour() -> None:
    """Calls put the people with video first: rows of camera-off tiles (flat grey with an avatar) gave
    most of the flat lines, their grey was taken for the gutters', and the webcam tiles were never cut."""
    picture = np.full((524, 816), BACKGROUND, np.uint8)
    tiles = [(6 + 201 * (i % 4), 6 + 129 * (i // 4), 197, 125) for i in range(16)]  # 4-px gutters
    for i, (x, y, w, h) in enumerate(tiles):
        if i < 5:
            picture[y : y + h, x : x + w] = _noise(h, w, i)
        else:  # camera off: Teams' #3d3d3d and the initials' circle
            picture[y : y + h, x : x + w] = 61
            cv2.circle(picture, (x + w // 2, y + h // 2), 25, 120, -1)
    assert panels(picture)[:5] == tiles[:5]


@pytest.mark.parametrize(
    "picture",
    [
        _noise(300, 400, 0),  # a photo: no flat line
        np.pad(_noise(200, 400, 1), ((50, 50), (0, 0))),  # a letterboxed frame: one picture
        np.tile(np.arange(0, 250, 1, np.uint8), (200, 1)),  # a gradient
        np.hstack([_noise(300, 40, 2), np.full((300, 12), 20, np.uint8), _noise(300, 300, 3)]),  # a dark strip
    ],
    ids=["photo", "letterboxed", "gradient", "sliver"],
)
def test_one_picture_has_no_panels(picture: np.ndarray) -> None:
    assert panels(picture) == []


def test_panels_takes_a_grey_picture() -> None:
    with pytest.raises(ValueError, match=r"panels takes a grey uint8 picture"):
        panels(np.zeros((40, 60, 3), np.uint8))


def test_a_large_picture_is_cut_in_a_smaller_copy() -> None:
    """A 24-MP photo with a white margin took 0.8 s at full size."""
    picture = np.full((4000, 6100), 255, np.uint8)
    picture[100:3900, 100:3000] = _noise(3800, 2900, 0)
    picture[100:3900, 3100:6000] = _noise(3800, 2900, 1)
    assert [tuple(round(v, -1) for v in box) for box in panels(picture)] == [
        (100, 100, 2900, 3800),
        (3100, 100, 2900, 3800),
    ]


def test_photos_are_not_galleries() -> None:
    photos = sorted(need(GROUP_PHOTOS).glob("*.jpg")) + sorted(need(DATA / "portraits").rglob("*.jpg"))[::25]
    assert len(photos) > 100
    assert [p.name for p in photos if panels(cv2.cvtColor(read_image(p), cv2.COLOR_RGB2GRAY))] == []


def test_every_participant_of_a_gallery_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 6×6 video call at 1280×720: seen whole, 18 of the 36 faces were found; panel by panel, 33."""
    root = need(DATA / "portraits")
    emotions = ("happy", "neutral", "sad", "surprise", "anger", "fear", "disgust")
    files = [sorted((root / e).iterdir())[k] for k in range(8) for e in emotions]
    picture, tiles = benchmark("detection").gallery(files, 6, 6)  # as `benchmarks/detection.py` makes them

    def per_tile(found: list[DetectedFace]) -> list[int]:
        centres = [(f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2) for f in found]
        assert all(any(x <= cx <= x + w and y <= cy <= y + h for x, y, w, h in tiles) for cx, cy in centres)
        return [sum(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres) for x, y, w, h in tiles]

    found = per_tile(get_detector().detect(picture))
    assert max(found) == 1 and sum(found) >= 32
    monkeypatch.setattr(backend.BlazeFaceDetector, "_layout", lambda self, image: [])
    assert sum(per_tile(get_detector().detect(picture))) <= 24


def test_a_box_over_two_tiles_faces_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two faces stacked in neighbouring tiles can look like one to the whole-picture passes (seen in a
    video call's frame): a box covering faces found in two panels is dropped. The whole picture's other
    faces are kept (a false gutter must not cut a face), the panels add the faces it missed."""
    picture = np.full((400, 620, 3), BACKGROUND, np.uint8)
    for i, (x, y) in enumerate([(10, 10), (10, 205), (215, 10)]):
        picture[y : y + 185, x : x + 195] = _noise(185, 195, i)[..., None]
    across = DetectedFace((20, 60, 180, 260), 0.78)  # over the faces of the first two tiles
    whole = DetectedFace((260, 40, 100, 100), 0.9)  # the third tile's face, as the whole picture sees it
    outside = DetectedFace((450, 250, 60, 60), 0.9)  # no panel there
    in_panels = {(10, 10): (40, 30, 100, 100), (10, 205): (40, 20, 100, 100), (215, 10): (40, 35, 100, 100)}

    def faces(self: backend.BlazeFaceDetector, image: np.ndarray) -> list[DetectedFace]:
        if image.shape[:2] == picture.shape[:2]:
            return [across, whole, outside]
        corner = next(c for c in in_panels if np.array_equal(image, picture[c[1] : c[1] + 185, c[0] : c[0] + 195]))
        return [DetectedFace(in_panels[corner], 0.95)]

    monkeypatch.setattr(backend.BlazeFaceDetector, "_faces", faces)
    assert get_detector().detect(picture) == [
        whole,
        outside,
        DetectedFace((50, 40, 100, 100), 0.95),
        DetectedFace((50, 225, 100, 100), 0.95),
    ]
    whole = DetectedFace((205, 0, 200, 200), 0.9)  # the third tile's face in a loose box: IoU 0.25, not 0.3
    found = get_detector().detect(picture)
    assert whole in found and len(found) == 4  # that face once


def test_a_video_s_frames_are_cut_every_tenth_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting every frame of a film cost 15 % of its time; a call's layout changes only when people come or go."""
    calls: list[int] = []
    monkeypatch.setattr(backend, "panels", lambda grey: calls.append(1) or [])
    video = get_detector().for_video()
    frame = np.zeros((64, 64, 3), np.uint8)
    for _ in range(25):
        video.detect(frame)
    assert len(calls) == 3  # frames 1, 11 and 21
    get_detector().detect(frame)
    assert len(calls) == 4  # a photo is always looked at
