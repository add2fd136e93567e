"""Face tracks in a video: an IoU tracker reset at shot cuts, and linking tracks across cuts by appearance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.detection.base import iou

Box = tuple[int, int, int, int]


@dataclass
class _Track:
    track_id: int
    box: Box
    missed: int = 0


@dataclass
class IoUTracker:
    """Greedy IoU matching of each frame's boxes to the live tracks.

    A track survives ``max_missed`` frames without a match; a box that matches no
    track (IoU below ``min_iou``) starts a new one.

    >>> t = IoUTracker()
    >>> t.update([(0, 0, 10, 10)]), t.update([(1, 0, 10, 10), (50, 50, 10, 10)])
    ([0], [0, 1])
    """

    min_iou: float = 0.3
    max_missed: int = 8
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 0

    def update(self, boxes: list[Box]) -> list[int]:
        """Assign a track id to each box of the next frame."""
        ids = [-1] * len(boxes)
        if self._tracks and boxes:
            scores = np.array([[iou(t.box, b) for b in boxes] for t in self._tracks])
            while scores.size and scores.max() >= self.min_iou:
                ti, bi = (int(v) for v in np.unravel_index(int(scores.argmax()), scores.shape))
                track = self._tracks[ti]
                ids[bi] = track.track_id
                track.box, track.missed = boxes[bi], -1
                scores[ti, :], scores[:, bi] = -1, -1
        for bi, box in enumerate(boxes):
            if ids[bi] < 0:
                self._tracks.append(_Track(self._next_id, box, -1))
                ids[bi] = self._next_id
                self._next_id += 1
        for track in self._tracks:
            track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.max_missed]
        return ids

    def reset(self) -> None:
        """End every live track (after a shot cut): the next boxes get new ids."""
        self._tracks = []


@dataclass
class ShotCutDetector:
    """Flag a shot cut when a frame's colour histogram jumps from the previous frame's.

    The distance is the Bhattacharyya distance of hue–saturation–value histograms
    (8×8×8 bins) of the frame shrunk to 160 px. On the shared Hamilton clip the three
    real cuts score 0.43–0.58 and every other frame pair 0.25 or less (at 30, 5 and 2
    analysed frames per second), hence the default ``threshold`` of 0.35.

    >>> cuts = ShotCutDetector()
    >>> dark, bright = np.zeros((90, 160, 3), np.uint8), np.full((90, 160, 3), 200, np.uint8)
    >>> cuts.is_cut(dark), cuts.is_cut(dark), cuts.is_cut(bright)
    (False, False, True)
    """

    threshold: float = 0.35
    _previous: NDArray[np.float32] | None = None

    def is_cut(self, frame: NDArray[np.uint8]) -> bool:
        """Whether ``frame`` (RGB) starts a new shot; the first frame never does."""
        small = cv2.resize(frame, (160, max(1, round(160 * frame.shape[0] / max(1, frame.shape[1])))))
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        counts = np.asarray(cv2.calcHist([hsv], [0, 1, 2], None, [8, 8, 8], [0, 180, 0, 256, 0, 256]), np.float32)
        hist: NDArray[np.float32] = counts / np.float32(max(float(counts.sum()), 1.0))
        previous, self._previous = self._previous, hist
        if previous is None:
            return False
        return float(cv2.compareHist(previous, hist, cv2.HISTCMP_BHATTACHARYYA)) > self.threshold


#: Hue × saturation bins of each half of an `appearance` descriptor.
_HS_BINS = (12, 4)


def appearance(image: NDArray[np.uint8], box: Box) -> NDArray[np.float32]:
    """An appearance descriptor of the person whose face is ``box`` in ``image`` (RGB).

    Two normalised hue–saturation histograms (12×4 bins each) side by side: the middle of
    the face, and the clothing below it (a region 1.2 face heights under the chin, twice
    the face's width). Pixels too dark or too grey to have a reliable hue are left out; a
    half with no usable pixel (clothing off screen) is all zeros.

    >>> image = np.zeros((200, 100, 3), np.uint8)
    >>> image[20:60, 30:70] = (200, 150, 120)  # a face
    >>> image[70:200] = (20, 40, 160)  # a blue shirt
    >>> d = appearance(image, (30, 20, 40, 40))
    >>> d.shape, round(float(d[:48].sum()), 3), round(float(d[48:].sum()), 3)
    ((96,), 1.0, 1.0)
    """
    height, width = image.shape[:2]
    x, y, w, h = box
    face = (x + w // 5, y + h // 5, x + w - w // 5, y + h - h // 5)
    body = (x - w // 2, y + round(1.2 * h), x + w + w // 2, y + round(2.4 * h))
    parts = []
    for x0, y0, x1, y1 in (face, body):
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
        if x1 - x0 < 2 or y1 - y0 < 2:
            parts.append(np.zeros(_HS_BINS[0] * _HS_BINS[1], np.float32))
            continue
        hsv = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2HSV)
        mask = ((hsv[..., 2] >= 30) & (hsv[..., 1] >= 25)).astype(np.uint8)
        counts = cv2.calcHist([hsv], [0, 1], mask, list(_HS_BINS), [0, 180, 0, 256]).ravel()
        parts.append((counts / max(float(counts.sum()), 1.0)).astype(np.float32))
    return np.concatenate(parts)


def appearance_distance(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    """Bhattacharyya distance (0 same, 1 disjoint) of two `appearance` descriptors.

    The face halves and the clothing halves are compared separately and averaged; a half
    empty in either descriptor is left out (1.0 when both halves are).

    >>> a = np.zeros(96, np.float32); a[0] = a[48] = 1
    >>> appearance_distance(a, a), appearance_distance(a, np.roll(a, 1))
    (0.0, 1.0)
    """
    return float(appearance_distances(a[None], b[None])[0, 0])


def appearance_distances(a: NDArray[np.float32], b: NDArray[np.float32]) -> NDArray[np.float64]:
    """`appearance_distance` of every row of ``a`` to every row of ``b`` (an ``len(a)×len(b)`` matrix)."""
    half = a.shape[1] // 2
    total = np.zeros((len(a), len(b)))
    parts = np.zeros((len(a), len(b)))
    for cols in (slice(0, half), slice(half, None)):
        pa, pb = a[:, cols].astype(np.float64), b[:, cols].astype(np.float64)
        na, nb = pa.sum(axis=1), pb.sum(axis=1)
        overlap = np.sqrt(pa) @ np.sqrt(pb).T / np.sqrt(np.maximum(np.outer(na, nb), 1e-12))
        both = np.outer(na > 0, nb > 0)
        total += np.where(both, np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0)), 0.0)
        parts += both
    return np.where(parts > 0, total / np.maximum(parts, 1), 1.0)


@dataclass(frozen=True)
class TrackAppearance:
    """One face track: its id, its shot, the sampled frames it was seen in and its mean `appearance`."""

    track: int
    shot: int
    frames: frozenset[int]
    descriptor: NDArray[np.float32]


def link_tracks(tracks: list[TrackAppearance], max_distance: float = 0.3, ratio: float = 0.8) -> dict[int, int]:
    """Group face tracks that look like the same person: ``{track: person}``.

    Average-linkage agglomeration: the closest pair of groups (the mean
    `appearance_distance` over their tracks) is merged while it is under
    ``max_distance``, never merging two groups seen in the same frame (so tracks of
    different shots, and a face the tracker lost and found again in one shot, can be
    linked). A merge must also be distinctive (a ratio test): the pair's distance under
    ``ratio`` times the distance of either group to the next-closest group that shares a
    shot with the other, so that of two look-alikes in one shot neither is linked.
    Persons are numbered in the order of their first track. Matrix updates keep it
    quick for thousands of tracks.

    >>> red, blue = np.zeros(96, np.float32), np.zeros(96, np.float32)
    >>> red[0] = red[48] = 1; blue[30] = blue[80] = 1
    >>> t = [TrackAppearance(0, 0, frozenset({0}), red), TrackAppearance(1, 0, frozenset({0}), blue),
    ...      TrackAppearance(2, 1, frozenset({5}), red), TrackAppearance(3, 1, frozenset({5}), blue)]
    >>> link_tracks(t)
    {0: 0, 1: 1, 2: 0, 3: 1}
    """
    tracks = sorted(tracks, key=lambda t: t.track)
    n = len(tracks)
    if n == 0:
        return {}
    distance = appearance_distances(np.stack([t.descriptor for t in tracks]), np.stack([t.descriptor for t in tracks]))
    shot_ids = sorted({t.shot for t in tracks})
    shots = np.zeros((n, len(shot_ids)), bool)
    shots[np.arange(n), [shot_ids.index(t.shot) for t in tracks]] = True
    together = np.eye(n, dtype=bool)  # seen in the same frame (only tracks of one shot can be)
    for i in range(n):
        for j in range(i + 1, n):
            if tracks[i].shot == tracks[j].shot and tracks[i].frames & tracks[j].frames:
                together[i, j] = together[j, i] = True
    size = np.ones(n)
    alive = np.ones(n, bool)
    members: list[list[int]] = [[i] for i in range(n)]

    def rival(a: int, b: int) -> float:
        """The distance from group ``a`` to the closest live group other than ``b`` sharing a shot with ``b``."""
        others = alive & (shots @ shots[b]) & ~together[a]
        others[[a, b]] = False
        return float(distance[a, others].min()) if others.any() else math.inf

    while True:
        close = np.argwhere(np.triu(~together & np.outer(alive, alive) & (distance < max_distance), 1))
        order = np.argsort(distance[close[:, 0], close[:, 1]], kind="stable")
        merge = next(
            (
                (int(a), int(b))
                for a, b in close[order]
                if distance[a, b] < ratio * rival(a, b) and distance[a, b] < ratio * rival(b, a)
            ),
            None,
        )
        if merge is None:
            break
        a, b = merge
        distance[a] = distance[:, a] = (size[a] * distance[a] + size[b] * distance[b]) / (size[a] + size[b])
        together[a] = together[:, a] = together[a] | together[b]
        shots[a] |= shots[b]
        size[a] += size[b]
        alive[b] = False
        members[a] += members[b]
    groups = sorted((members[i] for i in range(n) if alive[i]), key=lambda g: min(tracks[i].track for i in g))
    return dict(sorted((tracks[i].track, person) for person, g in enumerate(groups) for i in g))
