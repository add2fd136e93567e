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


def centre_distance(a: Box, b: Box) -> float:
    """Distance in pixels between the centres of boxes ``a`` and ``b`` (x, y, w, h).

    >>> centre_distance((0, 0, 10, 10), (3, 4, 10, 10))
    5.0
    """
    return math.hypot((b[0] + b[2] / 2) - (a[0] + a[2] / 2), (b[1] + b[3] / 2) - (a[1] + a[3] / 2))


def centre_gap(a: Box, b: Box) -> float:
    """Distance between the centres of boxes ``a`` and ``b`` in sides of ``a`` (inf when their sizes differ by over 1.5×).

    >>> centre_gap((0, 0, 100, 100), (60, 0, 100, 100)), centre_gap((0, 0, 100, 100), (0, 0, 40, 40))
    (0.6, inf)
    """
    side_a, side_b = max(a[2], a[3], 1), max(b[2], b[3], 1)
    if max(side_a, side_b) > 1.5 * min(side_a, side_b):
        return math.inf
    return centre_distance(a, b) / side_a


@dataclass
class IoUTracker:
    """Greedy IoU matching of each frame's boxes to the live tracks, then nearest centres for the rest.

    A box and a track that overlap by ``min_iou`` are matched first (largest IoU first); a
    box left over then takes the nearest track left over whose last box is of a like size
    (within 1.5×) and whose centre is at most ``max_jump`` of its side away: a face that
    crosses the frame (a person walking by) moves more than IoU can follow between sampled
    frames (60 px on a 100-px face at 5 samples a second: IoU 0.25). A track survives
    ``max_missed`` frames without a match; a box that matches none starts a new one.

    >>> t = IoUTracker()
    >>> t.update([(0, 0, 10, 10)]), t.update([(1, 0, 10, 10), (50, 50, 10, 10)]), t.update([(8, 0, 10, 10)])
    ([0], [0, 1], [0])
    """

    min_iou: float = 0.3
    max_missed: int = 8
    max_jump: float = 1.0
    _tracks: list[_Track] = field(default_factory=list)
    _next_id: int = 0

    def continuation(self, last: Box, box: Box) -> float | None:
        """How surely ``box`` continues a track whose last box was ``last``: over 1 for an overlap of
        ``min_iou`` or more (1 + IoU), 0 to 1 for a like-sized box within ``max_jump`` (nearer is
        higher), ``None`` when it does not. Matching takes the highest first.

        >>> t = IoUTracker()
        >>> round(t.continuation((0, 0, 10, 10), (1, 0, 10, 10)), 3), round(t.continuation((0, 0, 10, 10), (8, 0, 10, 10)), 3)
        (1.818, 0.2)
        """
        overlap = iou(last, box)
        if overlap >= self.min_iou:
            return 1.0 + overlap
        gap = centre_gap(last, box)
        return 1.0 - gap / max(self.max_jump, 1e-9) if gap <= self.max_jump else None

    def update(self, boxes: list[Box]) -> list[int]:
        """Assign a track id to each box of the next frame."""
        ids = [-1] * len(boxes)
        if self._tracks and boxes:
            scores = np.array(
                [[-math.inf if (c := self.continuation(t.box, b)) is None else c for b in boxes] for t in self._tracks]
            )
            while scores.max() >= 0:
                ti, bi = (int(v) for v in np.unravel_index(int(scores.argmax()), scores.shape))
                track = self._tracks[ti]
                ids[bi] = track.track_id
                track.box, track.missed = boxes[bi], -1
                scores[ti, :], scores[:, bi] = -math.inf, -math.inf
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
    """One face track: its id, its shot, the sampled frames it was seen in and its mean `appearance`;
    ``start`` and ``end``: the time (s) and box of its first and last face, when known."""

    track: int
    shot: int
    frames: frozenset[int]
    descriptor: NDArray[np.float32]
    start: tuple[float, Box] | None = None
    end: tuple[float, Box] | None = None


#: Within one shot a track lost and found again is the same person only where the face could have
#: gone meanwhile: its new box's centre within ``LINK_REACH`` face sides of where it was lost, plus
#: ``LINK_SPEED`` sides for each second between. Two people of like faces and clothes, one
#: leaving the frame as the other enters it (a camera panning along a row of people, customers
#: coming in one after another), were one person.
LINK_REACH = 1.5
LINK_SPEED = 2.0


def could_be_one(a: TrackAppearance, b: TrackAppearance) -> bool:
    """Whether tracks ``a`` and ``b`` may be one person as far as where and when they were seen tells.

    Tracks of different shots may (the camera moved); tracks seen in one frame may not; tracks
    of one shot may when the later one starts where the earlier one could have gone (`LINK_REACH`,
    `LINK_SPEED`), or when either's place is unknown.

    >>> left = TrackAppearance(0, 0, frozenset({1}), np.zeros(96, np.float32), (0.0, (0, 0, 50, 50)), (1.0, (0, 0, 50, 50)))
    >>> near = TrackAppearance(1, 0, frozenset({9}), np.zeros(96, np.float32), (2.0, (100, 0, 50, 50)), (3.0, (100, 0, 50, 50)))
    >>> far = TrackAppearance(2, 0, frozenset({9}), np.zeros(96, np.float32), (2.0, (500, 0, 50, 50)), (3.0, (500, 0, 50, 50)))
    >>> could_be_one(left, near), could_be_one(left, far), could_be_one(near, far)
    (True, False, False)
    """
    if a.shot != b.shot:
        return True
    if a.frames & b.frames:
        return False
    if a.start is None or a.end is None or b.start is None or b.end is None:
        return True
    first, second = (a, b) if a.start[0] <= b.start[0] else (b, a)
    assert first.end is not None and second.start is not None
    (lost, was), (found, now) = first.end, second.start
    side = max(was[2], was[3], now[2], now[3], 1)
    return centre_distance(was, now) <= side * (LINK_REACH + LINK_SPEED * max(0.0, found - lost))


def link_tracks(tracks: list[TrackAppearance], max_distance: float = 0.3, ratio: float = 0.8) -> dict[int, int]:
    """Group face tracks that look like the same person: ``{track: person}``.

    Average-linkage agglomeration: the closest pair of groups (the mean
    `appearance_distance` over their tracks) is merged while it is under
    ``max_distance``, never merging two groups that cannot be one person (`could_be_one`:
    seen in the same frame, or in one shot too far apart for the time between), so tracks
    of different shots, and a face the tracker lost and found again nearby in one shot,
    can be linked. A merge must also be distinctive (a ratio test): the pair's distance
    under ``ratio`` times the distance of either group to the closest group known to be
    someone else than the other (seen with it, or too far from it), so that of two
    look-alikes in one shot neither is linked; a person's own other tracks are no rivals
    (a face lost three times in one shot was three people). Persons are numbered in the
    order of their first track. Matrix updates keep it quick for thousands of tracks.

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
    apart = np.eye(n, dtype=bool)  # cannot be one person (only tracks of one shot can be apart)
    for i in range(n):
        for j in range(i + 1, n):
            if tracks[i].shot == tracks[j].shot and not could_be_one(tracks[i], tracks[j]):
                apart[i, j] = apart[j, i] = True
    size = np.ones(n)
    alive = np.ones(n, bool)
    members: list[list[int]] = [[i] for i in range(n)]

    def rival(a: int, b: int) -> float:
        """The distance from group ``a`` to the closest live group known to be someone else than ``b``."""
        others = alive & apart[b] & ~apart[a]
        others[[a, b]] = False
        return float(distance[a, others].min()) if others.any() else math.inf

    while True:
        close = np.argwhere(np.triu(~apart & np.outer(alive, alive) & (distance < max_distance), 1))
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
        apart[a] = apart[:, a] = apart[a] | apart[b]
        size[a] += size[b]
        alive[b] = False
        members[a] += members[b]
    groups = sorted((members[i] for i in range(n) if alive[i]), key=lambda g: min(tracks[i].track for i in g))
    return dict(sorted((tracks[i].track, person) for person, g in enumerate(groups) for i in g))
