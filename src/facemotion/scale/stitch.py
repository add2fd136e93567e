"""A video analysed in chunks, numbered as one pass numbers it: shots over the whole video, and the face
tracks (and their people) that run over a chunk boundary joined.

Each chunk is tracked on its own, its tracker starting afresh and its shots counted from 0: a woman on
screen for two minutes was five "face tracks" in five 30-s chunks, and a video with two cuts said "1
shot". A boundary that is no cut (the chunks' cuts are compared across it too) does not end a face: one
seen in the last frames of a chunk and, in the same place and soon after, in the first frames of the
next is the face the tracker would have followed (`IoUTracker`'s rules). Tracks linked into one person
by appearance inside a chunk stay linked, and two people seen in one frame are never joined; a person
who leaves and comes back in a later chunk is not linked to their earlier tracks (no appearance is
stored with the rows).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from facemotion.apps.tracking import IoUTracker

Box = tuple[int, int, int, int]
#: A track or person of one chunk: ``(chunk, id)`` (ids are the chunk's own, offset by the analyser).
Key = tuple[int, int]


def stitch_chunks(faces: list[dict[str, Any]], shot_cuts: Sequence[float], sample_fps: float) -> list[dict[str, Any]]:
    """``faces`` (a video's face rows, every chunk's) with ``shot`` counted over the whole video
    (``shot_cuts``: the merged chunks' cut times) and ``track`` and ``person`` joined across chunk
    boundaries, then numbered from 0 in the order they are first seen.

    >>> row = lambda chunk, time, track, x: {"chunk": chunk, "time": time, "frame": round(time * 5), "track": track,
    ...     "person": track, "x": x, "y": 0, "w": 50, "h": 50, "shot": 0}
    >>> rows = [row(0, 29.8, 3, 100), row(1, 30.0, 1000, 110), row(1, 30.0, 1001, 400), row(1, 35.0, 1002, 0)]
    >>> [(r["track"], r["person"], r["shot"]) for r in stitch_chunks(rows, [33.0], 5.0)]
    [(0, 0, 0), (0, 0, 0), (1, 1, 0), (2, 2, 1)]
    """
    cuts = sorted(shot_cuts)
    out = [dict(r, shot=bisect.bisect_right(cuts, float(r["time"]))) for r in faces]
    tracker = IoUTracker()
    # the longest a track lives unseen, and one sampling step more: the time between two chunks' frames
    reach = (tracker.max_missed + 1) / sample_fps if sample_fps > 0 else 0.0
    by_chunk: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in out:
        by_chunk[int(r["chunk"])].append(r)
    tracks = _UnionFind()
    people = _UnionFind()
    for r in out:  # the frames each person is seen in: two people in one frame are never joined
        people.seen(_key(r, "person"), int(r["frame"]))
    for chunk in sorted(by_chunk):
        before, after = by_chunk.get(chunk - 1), by_chunk[chunk]
        if not before:
            continue
        ends, starts = _extremes(before, last=True), _extremes(after, last=False)
        pairs = sorted(
            (
                (score, end, start)
                for end, (lost, box_end, _) in ends.items()
                for start, (found, box_start, _) in starts.items()
                if 0 < found - lost <= reach and bisect.bisect_right(cuts, lost) == bisect.bisect_right(cuts, found)
                for score in [tracker.continuation(box_end, box_start)]
                if score is not None
            ),
            reverse=True,
        )
        joined: set[Key] = set()
        for _, end, start in pairs:
            if end in joined or start in joined:
                continue
            if people.join(ends[end][2], starts[start][2]):
                joined |= {end, start}
                tracks.join(end, start)
    track_ids: dict[Key, int] = {}
    person_ids: dict[Key, int] = {}
    for r in sorted(out, key=lambda r: (float(r["time"]), int(r["chunk"]), int(r["track"]))):
        track, person = tracks.root(_key(r, "track")), people.root(_key(r, "person"))
        r["track"] = track_ids.setdefault(track, len(track_ids))
        r["person"] = person_ids.setdefault(person, len(person_ids))
    return out


def _key(row: dict[str, Any], field: str) -> Key:
    return int(row["chunk"]), int(row[field])


class _UnionFind:
    """Groups of keys, each with the frames its members were seen in (a join of groups seen together fails)."""

    def __init__(self) -> None:
        self._parent: dict[Key, Key] = {}
        self._frames: dict[Key, set[int]] = defaultdict(set)

    def seen(self, key: Key, frame: int) -> None:
        self._frames[self.root(key)].add(frame)

    def root(self, key: Key) -> Key:
        while key in self._parent:
            key = self._parent[key]
        return key

    def join(self, a: Key, b: Key) -> bool:
        """Put ``a`` and ``b`` in one group (the earlier key leads); ``False`` when they were seen in one frame."""
        a, b = self.root(a), self.root(b)
        if a == b:
            return True
        if self._frames[a] & self._frames[b]:
            return False
        lead, other = min(a, b), max(a, b)
        self._parent[other] = lead
        self._frames[lead] |= self._frames.pop(other)
        return True


def _extremes(rows: list[dict[str, Any]], last: bool) -> dict[Key, tuple[float, Box, Key]]:
    """Per track of ``rows``: the time, box and person of its last (or first) face."""
    found: dict[Key, tuple[float, Box, Key]] = {}
    for r in sorted(rows, key=lambda r: float(r["time"]), reverse=not last):
        found[_key(r, "track")] = (
            float(r["time"]),
            (int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"])),
            _key(r, "person"),
        )
    return found
