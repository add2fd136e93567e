"""A video analysed in chunks, numbered as one pass numbers it: shots over the whole video, and the face
tracks (and their people) that run over a chunk boundary joined.

Each chunk is tracked on its own, its tracker starting afresh and its shots counted from 0: a woman on
screen for two minutes was five "face tracks" in five 30-s chunks, and a video with two cuts said "1
shot". The boundary is no cut, so a face seen in the last frames of one chunk and, in the same place,
in the first frames of the next is the face the tracker would have followed (`IoUTracker`'s rules).
Tracks linked into one person by appearance inside a chunk stay linked; a person who leaves and comes
back in a later chunk is not linked to their earlier tracks (no appearance is stored with the rows).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from facemotion.apps.tracking import IoUTracker, centre_gap
from facemotion.detection.base import iou


def _box(row: dict[str, Any]) -> tuple[int, int, int, int]:
    return int(row["x"]), int(row["y"]), int(row["w"]), int(row["h"])


def stitch_chunks(faces: list[dict[str, Any]], shot_cuts: Sequence[float], sample_fps: float) -> list[dict[str, Any]]:
    """``faces`` (a video's face rows, every chunk's) with ``shot`` counted over the whole video
    (``shot_cuts``: the merged chunks' cut times) and ``track`` and ``person`` joined across chunk
    boundaries, then numbered from 0 in the order they are first seen.

    >>> row = lambda chunk, time, track, x: {"chunk": chunk, "time": time, "track": track, "person": track,
    ...     "x": x, "y": 0, "w": 50, "h": 50, "shot": 0}
    >>> rows = [row(0, 29.8, 3, 100), row(1, 30.0, 1000, 110), row(1, 30.0, 1001, 400), row(1, 35.0, 1002, 0)]
    >>> [(r["track"], r["person"], r["shot"]) for r in stitch_chunks(rows, [33.0], 5.0)]
    [(0, 0, 0), (0, 0, 0), (1, 1, 0), (2, 2, 1)]
    """
    cuts = sorted(shot_cuts)
    out = [dict(r, shot=bisect.bisect_right(cuts, float(r["time"]))) for r in faces]
    tracker = IoUTracker()
    reach = tracker.max_missed / sample_fps if sample_fps > 0 else 0.0  # how long a track lives unseen
    by_chunk: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in out:
        by_chunk[int(r["chunk"])].append(r)
    same_track: dict[int, int] = {}
    same_person: dict[int, int] = {}

    def root(links: dict[int, int], key: int) -> int:
        while key in links:
            key = links[key]
        return key

    for chunk in sorted(by_chunk):
        before, after = by_chunk.get(chunk - 1), by_chunk[chunk]
        if not before:
            continue
        ends = _extremes(before, last=True)
        starts = _extremes(after, last=False)
        end_time, start_time = max(float(r["time"]) for r in before), min(float(r["time"]) for r in after)
        ends = {t: v for t, v in ends.items() if v[0] >= end_time - reach}
        starts = {t: v for t, v in starts.items() if v[0] <= start_time + reach}
        pairs = [
            (score, t_end, t_start)
            for t_end, (lost, box_end, _) in ends.items()
            for t_start, (found, box_start, _) in starts.items()
            if bisect.bisect_right(cuts, lost) == bisect.bisect_right(cuts, found)  # no cut between
            for score in [_closeness(box_end, box_start, tracker)]
            if score is not None
        ]
        joined_ends, joined_starts = set(), set()
        for _, t_end, t_start in sorted(pairs, reverse=True):
            if t_end in joined_ends or t_start in joined_starts:
                continue
            joined_ends.add(t_end)
            joined_starts.add(t_start)
            same_track[t_start] = root(same_track, t_end)
            a, b = root(same_person, ends[t_end][2]), root(same_person, starts[t_start][2])
            if a != b:
                same_person[max(a, b)] = min(a, b)
    tracks: dict[int, int] = {}
    people: dict[int, int] = {}
    for r in sorted(out, key=lambda r: (float(r["time"]), int(r["track"]))):
        r["track"] = tracks.setdefault(root(same_track, int(r["track"])), len(tracks))
        r["person"] = people.setdefault(root(same_person, int(r["person"])), len(people))
    return out


def _extremes(rows: list[dict[str, Any]], last: bool) -> dict[int, tuple[float, tuple[int, int, int, int], int]]:
    """Per track of ``rows``: the time, box and person of its last (or first) face."""
    found: dict[int, tuple[float, tuple[int, int, int, int], int]] = {}
    for r in sorted(rows, key=lambda r: float(r["time"]), reverse=not last):
        found[int(r["track"])] = (float(r["time"]), _box(r), int(r["person"]))
    return found


def _closeness(a: tuple[int, int, int, int], b: tuple[int, int, int, int], tracker: IoUTracker) -> float | None:
    """How surely box ``b`` continues box ``a`` by the tracker's rules (overlap first, then near centres); None: not."""
    overlap = iou(a, b)
    if overlap >= tracker.min_iou:
        return 1.0 + overlap
    gap = centre_gap(a, b)
    return 1.0 - gap / (tracker.max_jump + 1e-9) if gap <= tracker.max_jump else None
