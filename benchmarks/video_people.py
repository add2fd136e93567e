"""How often linking face tracks across shot cuts joins the wrong people (issue 26).

    python benchmarks/video_people.py [--distances 0.2,0.25,0.3,0.35,0.4]

Three measurements, for each ``max_distance`` of `facemotion.apps.tracking.link_tracks`:

- **the shared clip** (``short_hamilton_clip.mp4``, 4 shots, hand-checked identities): the
  performer is the face on the right in shot 0, the big profile in shot 1 and the face of
  shot 2; every other track is someone else. Tracks with a readable face only (those
  `analyze_video` links).
- **group photos as fake shots**: each VOC / whitehouse group photo is one shot and the
  same photo shifted, shrunk to 85 %, darker and warmer (another camera) is the next; a
  face of the second shot is the same person as the face of the first whose box it maps
  onto. Linking a face to another person is a wrong link; not linking it is a miss.
- **different photos as fake shots**: two different group photos (nobody in common): every
  link is wrong.

Printed per distance: links made, wrong links, and missed same-person links.
``--camera`` sets the fake second camera: ``exposure`` (darker only), ``mild`` (darker,
slightly warmer: the default) or ``warm`` (a strong white-balance change).
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion import EmotionClassifier
from facemotion.apps.tracking import TrackAppearance, appearance, link_tracks
from facemotion.apps.video import analyze_video
from facemotion.detection.base import iou
from facemotion.io import read_image

SHARED = Path(__file__).resolve().parents[2] / "shared"
VIDEO = SHARED / "media" / "video" / "short_hamilton_clip.mp4"
PHOTOS = sorted((SHARED / "media" / "group_photos").glob("*.jpg"))


#: Colour gains of the fake second camera (R, G, B): set by --camera.
CAMERAS = {"exposure": (0.75, 0.75, 0.75), "mild": (0.82, 0.78, 0.74), "warm": (0.8, 0.75, 0.68)}
GAINS = CAMERAS["mild"]


def fake_shot(image: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], int, int, float]:
    """The photo as another camera sees it: cropped by 6 % on the top left, 85 % the size, darker, warmer (`GAINS`)."""
    h, w = image.shape[:2]
    dx, dy, scale = round(0.06 * w), round(0.06 * h), 0.85
    moved = cv2.resize(image[dy:, dx:], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA).astype(np.float32)
    moved = moved * np.array(GAINS, np.float32)
    return np.clip(moved, 0, 255).astype(np.uint8), dx, dy, scale


def tracks_of(clf: EmotionClassifier, image: NDArray[np.uint8], shot: int, first: int) -> list[TrackAppearance]:
    faces, _ = clf.detect_and_crop(image)
    return [TrackAppearance(first + i, shot, frozenset({shot}), appearance(image, f.box)) for i, f in enumerate(faces)]


def score(tracks: list[TrackAppearance], who: dict[int, str], distance: float) -> tuple[int, int, int]:
    """``(links, wrong links, missed links)`` over pairs of tracks never seen in the same frame."""
    persons = link_tracks(tracks, distance)
    links = wrong = missed = 0
    for a, b in itertools.combinations(tracks, 2):
        if a.frames & b.frames:  # seen together: never the same person
            continue
        linked, same = persons[a.track] == persons[b.track], who[a.track] == who[b.track]
        links += linked
        wrong += linked and not same
        missed += same and not linked
    return links, wrong, missed


def clip_case() -> tuple[list[TrackAppearance], dict[int, str]]:
    report = analyze_video(VIDEO, progress=False, link_people=False)
    cap = cv2.VideoCapture(str(VIDEO))
    frames = {}
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames[index] = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        index += 1
    descriptors: dict[int, list[NDArray[np.float32]]] = {}
    seen: dict[int, set[int]] = {}
    shot: dict[int, int] = {}
    who: dict[int, str] = {}
    for f in report.faces:
        performer = (f.shot == 0 and f.box[0] > 400) or (f.shot == 1 and f.box[2] > 150) or f.shot == 2
        who[f.track] = "performer" if performer else f"someone {f.track}"
        if f.used:
            descriptors.setdefault(f.track, []).append(appearance(frames[f.frame], f.box))
            seen.setdefault(f.track, set()).add(f.frame)
            shot[f.track] = f.shot
    tracks = [
        TrackAppearance(t, shot[t], frozenset(seen[t]), np.mean(d, axis=0).astype(np.float32))
        for t, d in sorted(descriptors.items())
    ]
    return tracks, who


def photo_cases(clf: EmotionClassifier) -> tuple[list[tuple[list[TrackAppearance], dict[int, str]]], ...]:
    same, different = [], []
    photos = {p.name: read_image(p) for p in PHOTOS}
    for name, image in photos.items():
        first = tracks_of(clf, image, 0, 0)
        moved, dx, dy, scale = fake_shot(image)
        faces, _ = clf.detect_and_crop(moved)
        second = [TrackAppearance(100 + i, 1, frozenset({1}), appearance(moved, f.box)) for i, f in enumerate(faces)]
        who = {t.track: f"{name} {t.track}" for t in first}
        boxes, _ = clf.detect_and_crop(image)
        for t, f in zip(second, faces, strict=True):
            x, y, w, h = f.box
            back = (x / scale + dx, y / scale + dy, w / scale, h / scale)
            best = max(range(len(boxes)), key=lambda i: iou(boxes[i].box, back), default=None)
            match = best is not None and iou(boxes[best].box, back) > 0.4
            who[t.track] = f"{name} {best}" if match else f"{name} unmatched {t.track}"
        same.append((first + second, who))
    names = list(photos)
    for a, b in zip(names, names[1:] + names[:1], strict=True):
        first = tracks_of(clf, photos[a], 0, 0)
        second = tracks_of(clf, fake_shot(photos[b])[0], 1, 100)
        different.append((first + second, {t.track: f"{a if t.shot == 0 else b} {t.track}" for t in first + second}))
    return same, different


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--distances", default="0.2,0.25,0.3,0.35,0.4")
    parser.add_argument("--camera", choices=sorted(CAMERAS), default="mild", help="the fake second camera's colours")
    args = parser.parse_args()
    global GAINS
    GAINS = CAMERAS[args.camera]
    clf = EmotionClassifier()
    clip = clip_case()
    same, different = photo_cases(clf)
    pairs_same = sum(
        sum(1 for a, b in itertools.combinations(t, 2) if not a.frames & b.frames and w[a.track] == w[b.track])
        for t, w in same
    )
    print(f"clip: {len(clip[0])} readable tracks; photos: {len(same)} pairs with {pairs_same} same-person pairs")
    print(
        "max_distance | clip links / wrong / missed | same photo links / wrong / missed | other photo links (all wrong)"
    )
    for distance in (float(d) for d in args.distances.split(",")):
        c = score(*clip, distance)
        s = np.sum([score(t, w, distance) for t, w in same], axis=0)
        d = np.sum([score(t, w, distance) for t, w in different], axis=0)
        print(f"{distance:12.2f} | {c[0]:5d} / {c[1]:5d} / {c[2]:6d} | {s[0]:5d} / {s[1]:5d} / {s[2]:6d} | {d[0]:5d}")
    print("(the default max_distance is 0.3; a wrong link merges two people into one, a miss counts one person twice)")


if __name__ == "__main__":
    main()
