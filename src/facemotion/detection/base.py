"""The detector protocol, the detected-face record, and aligned cropping."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.errors import OptionError
from facemotion.options import is_real_number, is_whole_number

Point = tuple[float, float]
#: Landmark names a backend may give; ``left_eye`` is the eye on the image's left.
LANDMARKS = ("left_eye", "right_eye", "nose", "mouth", "mouth_left", "mouth_right")
#: `head_turn` from which a face counts as turned (three-quarter view or more): its eye
#: line, the two eyes close together, no longer tells how the head is tilted.
TURNED = 0.5


@dataclass(frozen=True)
class DetectedFace:
    """One face found in an image.

    Attributes:
        box: ``(x, y, w, h)`` in pixels of the input image, clipped to it.
        score: detector confidence in [0, 1].
        landmarks: named ``(x, y)`` points (see `LANDMARKS`; always both eyes, with
            ``left_eye`` the eye on the image's left), or ``None`` when the backend gives none.
        full_box: ``(x, y, w, h)`` before clipping, for a face cut by the image's edge (the
            crop keeps the whole face's framing, the missing part padded); ``None`` = ``box``.
    """

    box: tuple[int, int, int, int]
    score: float
    landmarks: Mapping[str, Point] | None = None
    full_box: tuple[float, float, float, float] | None = None


@runtime_checkable
class FaceDetector(Protocol):
    """Anything with ``detect(image) -> list[DetectedFace]`` for an RGB uint8 (H, W, 3) image.

    >>> class Whole:
    ...     def detect(self, image):
    ...         return [DetectedFace((0, 0, image.shape[1], image.shape[0]), 1.0)]
    >>> isinstance(Whole(), FaceDetector)
    True
    """

    def detect(self, image: NDArray[np.uint8]) -> list[DetectedFace]: ...


def check_detector_options(min_score: object, **whole_numbers: tuple[object, int]) -> None:
    """Refuse detector settings that would hang, crash or quietly find nothing: ``min_score`` must be
    in [0, 1], and each of ``whole_numbers`` (``name=(value, minimum)``) None or a whole number of at
    least its minimum.

    >>> check_detector_options(0.5, min_face_size=(-1, 0))
    Traceback (most recent call last):
    ...
    facemotion.errors.OptionError: min_face_size=-1 must be a whole number of at least 0 (or None)
    """
    if not (is_real_number(min_score) and 0.0 <= float(min_score) <= 1.0):  # type: ignore[arg-type]
        raise OptionError(f"min_score={min_score!r} must be a confidence from 0 to 1")
    for name, (value, minimum) in whole_numbers.items():
        if value is not None and not is_whole_number(value, minimum=minimum):
            raise OptionError(f"{name}={value!r} must be a whole number of at least {minimum} (or None)")


def clip_box(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int] | None:
    """Clip an ``(x, y, w, h)`` box to the image; ``None`` when nothing is left."""
    x0, y0 = max(0, round(box[0])), max(0, round(box[1]))
    x1, y1 = min(width, round(box[0] + box[2])), min(height, round(box[1] + box[3]))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return x0, y0, x1 - x0, y1 - y0


#: A face cut by the image's edge may frame (``full_box``) at most this many times the image's longer side:
#: the default detector keeps a face of which a quarter lies in the photo (its ``MIN_VISIBLE``), so a
#: close-up's framing reaches 4 times the side (2.24 measured); a box of 10⁷ px is refused.
FULL_BOX_MAX = 4.5


def checked_face(face: DetectedFace, width: int, height: int) -> DetectedFace:
    """``face`` as the pipeline needs it (plain numbers, box clipped to the ``width`` × ``height`` image),
    or a ``ValueError`` saying what is wrong: a detector of your own is checked before its faces are cut.

    A box reaching past the edge is clipped and keeps its framing as ``full_box``; landmarks without
    both eyes are dropped (`as_landmarks`).

    >>> checked_face(DetectedFace((-10, 5, 40, 40), 0.9), 100, 100)
    DetectedFace(box=(0, 5, 30, 40), score=0.9, landmarks=None, full_box=(-10.0, 5.0, 40.0, 40.0))
    >>> checked_face(DetectedFace((200, 5, 40, 40), 0.9), 100, 100)
    Traceback (most recent call last):
    ...
    ValueError: box (200, 5, 40, 40) lies outside the 100×100 image (or is under 2 px)
    """
    x, y, w, h = _finite_numbers(face.box, 4, "box")
    box = (x, y, w, h)
    clipped = clip_box(box, width, height) if box[2] >= 1 and box[3] >= 1 else None
    if clipped is None:
        raise ValueError(f"box {face.box!r:.80} lies outside the {width}×{height} image (or is under 2 px)")
    full = box if clipped != box else None
    if face.full_box is not None:
        fx, fy, fw, fh = _finite_numbers(face.full_box, 4, "full_box")
        full = (fx, fy, fw, fh)
    if full is not None and not (min(full[2:]) > 0 and max(full[2:]) <= FULL_BOX_MAX * max(width, height)):
        raise ValueError(f"full_box {full} is no face's framing in a {width}×{height} image")
    if not (is_real_number(face.score) and 0.0 <= float(face.score) <= 1.0):
        raise ValueError(f"score {face.score!r:.80} is not a confidence from 0 to 1")
    marks = None
    if face.landmarks is not None:
        if not isinstance(face.landmarks, Mapping):
            raise ValueError(f"landmarks {face.landmarks!r:.80} are not a mapping of names to (x, y) points")
        points = {k: _finite_numbers(v, 2, f"landmark {k!r}") for k, v in face.landmarks.items() if k in LANDMARKS}
        marks = as_landmarks(points)
    return DetectedFace(clipped, float(face.score), marks, full)


def _finite_numbers(values: object, count: int, what: str) -> tuple[float, ...]:
    try:
        numbers = tuple(float(v) for v in values)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        numbers = ()
    if len(numbers) != count or not all(math.isfinite(v) for v in numbers):
        raise ValueError(f"{what} {values!r:.80} is not {count} finite numbers")
    return numbers


def iou(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes.

    >>> iou((0, 0, 10, 10), (5, 0, 10, 10))
    0.3333333333333333
    """
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def match_boxes(
    boxes: Sequence[Sequence[float]], truth: Sequence[Sequence[float]], min_iou: float = 0.3
) -> tuple[int, int]:
    """Labelled faces found by a box (IoU above ``min_iou``), and boxes that match no labelled face.

    >>> match_boxes([(0, 0, 10, 10), (50, 50, 10, 10)], [(1, 1, 10, 10), (90, 0, 5, 5)])
    (1, 1)
    """
    hits = [[iou(b, t) > min_iou for t in truth] for b in boxes]  # one row per box
    found = sum(any(row[j] for row in hits) for j in range(len(truth)))
    return found, sum(not any(row) for row in hits)


def head_turn(face: DetectedFace) -> float | None:
    """How far the head is turned: the nose's sideways offset from between the eyes, in eye distances.

    About 0 for a frontal face, ±0.5 for a three-quarter view, ±1 or more for a profile
    (sign: + when the nose lies right of the eyes in the image). ``None`` when the
    detector gave no eyes and nose.

    >>> marks = {"left_eye": (30.0, 40.0), "right_eye": (50.0, 40.0), "nose": (50.0, 55.0)}
    >>> head_turn(DetectedFace((10, 20, 60, 60), 1.0, marks))
    0.5
    """
    if face.landmarks is None or "nose" not in face.landmarks:
        return None
    (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
    eyes = math.hypot(rx - lx, ry - ly)
    return (face.landmarks["nose"][0] - (lx + rx) / 2.0) / eyes if eyes > 0 else None


def crop_face(
    image: NDArray[np.uint8], face: DetectedFace, margin: float = 0.0, align: bool = True
) -> NDArray[np.uint8]:
    """Cut a square crop around ``face`` with ``margin`` (fraction of the box per side).

    With eye landmarks and ``align=True`` the crop is rotated so the eyes are level, unless
    the face is turned (`TURNED`; in profile the eye line is noise, and the model's
    training faces were not rotated either).
    The crop frames ``face.full_box`` when the detector gave one (a face cut by the
    image's edge); parts outside the image are filled by `mirrored_beyond_edges`.

    >>> img = np.zeros((100, 100, 3), np.uint8)
    >>> crop_face(img, DetectedFace((10, 20, 30, 40), 1.0), margin=0.0).shape
    (40, 40, 3)
    """
    x, y, w, h = face.full_box or face.box
    cx, cy = x + w / 2.0, y + h / 2.0
    side = max(2, round(max(w, h) * (1.0 + 2.0 * margin)))
    angle = 0.0
    if align and face.landmarks is not None and abs(head_turn(face) or 0.0) < TURNED:
        (lx, ly), (rx, ry) = face.landmarks["left_eye"], face.landmarks["right_eye"]
        angle = math.degrees(math.atan2(ry - ly, rx - lx))
        if abs(angle) > 45:  # implausible landmarks: do not rotate
            angle = 0.0
    matrix = np.asarray(cv2.getRotationMatrix2D((cx, cy), angle, 1.0), np.float64)
    matrix[0, 2] += side / 2.0 - cx
    matrix[1, 2] += side / 2.0 - cy
    source, start = mirrored_beyond_edges(image, np.asarray(cv2.invertAffineTransform(matrix), np.float64), side)
    matrix[:, 2] += matrix[:, :2] @ np.array(start, np.float64)
    crop = cv2.warpAffine(source, matrix, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(crop, dtype=np.uint8)


def mirrored_beyond_edges(
    image: NDArray[np.uint8], to_image: NDArray[np.float64], side: int
) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """The part of ``image`` a ``side``-px crop sees (``to_image``: crop → image affine map), extended where
    the crop leaves the image, and where that part starts in the image (x, y).

    A face cut by the left, right or bottom edge is continued by its mirror image (a face
    is symmetric left–right; a mouth cut at the bottom edge is closed by its mirrored upper
    lip), one cut at the top by its border pixels (mirrored, eyes would look up from the
    forehead). On the held-out portraits cut at an edge, the emotion read (8-class, FER+
    protocol) against replicating every border: 30 % cut at the bottom 0.44 → 0.61, at
    the left or right unchanged (0.81, 0.79; see docs/detection.md).

    >>> image = np.arange(12, dtype=np.uint8).reshape(3, 4)  # a 2-px crop from x = -2, y = 1 (1 px margin)
    >>> part, start = mirrored_beyond_edges(image, np.array([[1.0, 0, -2], [0, 1, 1]]), 2)
    >>> start, part.tolist()  # columns x = -3..1 and rows y = 0..4: x < 0 and y > 2 mirrored
    ((-3, 0), [[2, 1, 0, 0, 1], [6, 5, 4, 4, 5], [10, 9, 8, 8, 9], [10, 9, 8, 8, 9], [6, 5, 4, 4, 5]])
    """
    height, width = image.shape[:2]
    corners = to_image @ np.array([[0, side, 0, side], [0, 0, side, side], [1, 1, 1, 1]], np.float64)
    x0, y0 = (int(np.floor(v)) - 1 for v in corners.min(axis=1))
    x1, y1 = (int(np.ceil(v)) + 2 for v in corners.max(axis=1))
    if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height:
        return image, (0, 0)
    columns = _mirrored(np.arange(x0, x1), width)
    rows = _mirrored(np.maximum(np.arange(y0, y1), 0), height)  # above the top: the top row
    return np.ascontiguousarray(image[rows][:, columns]), (x0, y0)


def _mirrored(index: NDArray[np.int_], size: int) -> NDArray[np.int_]:
    """Indices mirrored into ``range(size)`` about its ends (``cv2.BORDER_REFLECT``: -1 → 0, size → size - 1)."""
    folded = np.mod(index, 2 * size)
    return np.where(folded < size, folded, 2 * size - 1 - folded)


def scale_faces(faces: list[DetectedFace], factor: float, width: int, height: int) -> list[DetectedFace]:
    """Map faces found on a resized image back to the original (``factor`` = original / resized)."""
    out = []
    for f in faces:
        box = clip_box(tuple(v * factor for v in f.box), width, height)  # type: ignore[arg-type]
        if box is None:
            continue
        marks = {k: (px * factor, py * factor) for k, (px, py) in f.landmarks.items()} if f.landmarks else None
        out.append(DetectedFace(box, f.score, marks))
    return out


def as_landmarks(keypoints: Mapping[str, Any]) -> dict[str, Point] | None:
    """Keep a backend's known landmarks as float points; ``None`` unless both eyes are there.

    The eyes are named by image side: ``left_eye`` is the one with the smaller x.
    """
    try:
        points = {k: (float(v[0]), float(v[1])) for k, v in keypoints.items() if k in LANDMARKS}
    except (TypeError, IndexError, ValueError):
        return None
    if "left_eye" not in points or "right_eye" not in points:
        return None
    left, right = sorted([points["left_eye"], points["right_eye"]])
    points.update(left_eye=left, right_eye=right)
    return points
