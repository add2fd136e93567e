"""A small IoU tracker that gives each person in a video a stable id."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Box = tuple[int, int, int, int]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two ``(x, y, w, h)`` boxes.

    >>> iou((0, 0, 10, 10), (5, 0, 10, 10))
    0.3333333333333333
    """
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


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
