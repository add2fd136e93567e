"""The panels of a picture made of pictures: a video call's gallery, a collage with gutters.

A video call (Zoom, Teams, Meet) shows each participant in a tile, the tiles separated by
gutters of one flat colour; a speaker view adds a strip of small tiles beside a large one.
Seen whole, a 4×4 gallery's faces are too small for the full-range model and its tiles
cut them, while each tile alone is an easy photo. `panels` finds the tiles by cutting the
picture along lines of one flat grey level that cross it (an XY-cut, as page layouts are
segmented): first the rows that cross the whole picture, then, inside each band, the
columns that cross the band, and so on.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

#: A line whose grey levels vary less than this (standard deviation) is flat: a gutter, or
#: a margin around the panels (JPEG at quality 40 leaves a gutter's lines at 4 to 7).
GUTTER_STD = 6.0
#: A gutter has the background's grey level, give or take this: the level of the picture's flat
#: edges (its margins), or without any, the median level of the flat lines that cross it. (Not
#: always the median: a row of camera-off tiles, flat grey, outnumbers the gutters' lines.)
GUTTER_COLOUR = 8.0
#: Fewer flat lines than this in a row do not part two panels (a single flat line also
#: crosses over-exposed skies and black shadows).
MIN_GUTTER = 2
#: Panels with a shorter side under this (pixels) are left out: no face can be read in them.
MIN_PANEL = 32
#: Panels longer than this times their width (or wider than this times their height) are
#: left out: slivers cut off by a flat strip inside a picture (a dark background beside a
#: face), not a participant's tile (16:9, 4:3, 1:1, a phone's 9:16).
MAX_ASPECT = 3.0
#: More panels than this are not a gallery (a 7×7 gallery has 49).
MAX_PANELS = 64
#: Two panels of the same size (width and height within ``SAME_SIZE`` of each other, or
#: ``SAME_SIZE_PX``) make a gallery: its tiles are alike, while the lit parts of a dark film
#: frame, cut apart by flat black, are not (150 of the 275 frames of the shared clip had
#: "panels", none alike).
SAME_SIZE = 0.03
SAME_SIZE_PX = 4
#: Pictures larger than this (pixels, the longer side) are cut in a copy of this size: a 4K
#: screenshot keeps its own pixels (gutters of 3 px), an 8K one's 6-px gutters keep 3 lines.
MAX_SIDE = 4096
#: How many times a band is cut again across (a speaker view's strip of tiles is 2 deep).
MAX_DEPTH = 3

Box = tuple[int, int, int, int]


def panels(grey: NDArray[np.uint8]) -> list[Box]:
    """``(x, y, w, h)`` of the panels of a grey picture split by flat gutters; ``[]`` when it is one picture.

    >>> gallery = np.full((100, 210), 30, np.uint8)
    >>> webcam = np.random.default_rng(0).integers(0, 255, (80, 90), np.uint8)
    >>> gallery[10:90, 10:100] = gallery[10:90, 110:200] = webcam  # two tiles side by side
    >>> panels(gallery)
    [(10, 10, 90, 80), (110, 10, 90, 80)]
    >>> panels(gallery[:, :105])  # one tile on a flat margin: one picture
    []
    """
    if grey.ndim != 2 or grey.dtype != np.uint8:
        raise ValueError(f"panels takes a grey uint8 picture (height, width), got {grey.dtype} {grey.shape}")
    if min(grey.shape) < MIN_PANEL:
        return []  # no room for two panels
    scale = min(1.0, MAX_SIDE / max(grey.shape))
    if scale < 1.0:  # a 24-MP photo with a white margin took 0.8 s at full size
        size = (max(1, round(grey.shape[1] * scale)), max(1, round(grey.shape[0] * scale)))
        found = panels(np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), np.uint8))
        return [_scaled(box, 1 / scale, grey.shape) for box in found]
    sample = grey[::2, ::2].astype(np.float32)  # every other line: a gutter (MIN_GUTTER) keeps one
    lines = [_lines(sample, axis) for axis in (0, 1)]
    flat = np.concatenate([means[stds <= GUTTER_STD] for means, stds in lines])
    if not len(flat):
        return []  # no flat line crosses it: a photo (most pictures end here)
    margins = [means[end] for means, stds in lines for end in (0, -1) if stds[end] <= GUTTER_STD]
    sums = _Sums(grey)
    found = sums.split((0, 0, grey.shape[1], grey.shape[0]), MAX_DEPTH, float(np.median(margins or flat)))
    return found if 2 <= len(found) <= MAX_PANELS and _alike(found) else []


def _scaled(box: Box, factor: float, shape: tuple[int, ...]) -> Box:
    """A panel found in a resized copy, in the picture's pixels (inside it)."""
    x0, y0 = round(box[0] * factor), round(box[1] * factor)
    x1, y1 = min(shape[1], round((box[0] + box[2]) * factor)), min(shape[0], round((box[1] + box[3]) * factor))
    return (x0, y0, x1 - x0, y1 - y0)


def _alike(boxes: list[Box]) -> bool:
    """Whether two panels have the same size (``SAME_SIZE``): a gallery's tiles do; the bright parts of a
    dark film frame, cut apart by its black, do not."""
    sizes = np.array([box[2:] for box in boxes], np.float64)
    gap = np.abs(sizes[:, None] - sizes[None])
    close = (gap <= np.maximum(SAME_SIZE_PX, SAME_SIZE * np.maximum(sizes[:, None], sizes[None]))).all(axis=2)
    return bool(np.triu(close, 1).any())


class _Sums:
    """A picture's integral images (sums of its grey levels and of their squares), from which each row's and
    column's mean and spread in any rectangle come without reading its pixels again: cutting a dark film
    frame's many flat lines cost 4 ms a frame when each part's pixels were read."""

    def __init__(self, grey: NDArray[np.uint8]) -> None:
        sums, squares = cv2.integral2(grey, sdepth=cv2.CV_64F, sqdepth=cv2.CV_64F)
        self.tables = (np.asarray(sums, np.float64), np.asarray(squares, np.float64))

    def lines(self, box: tuple[int, int, int, int], axis: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The mean and the standard deviation of each row (``axis`` 0) or column (1) of ``box`` (x0, y0, x1, y1)."""
        x0, y0, x1, y1 = box
        totals = []
        for table in self.tables:
            strip = (
                table[y0 : y1 + 1, x1] - table[y0 : y1 + 1, x0]
                if axis == 0
                else table[y1, x0 : x1 + 1] - table[y0, x0 : x1 + 1]
            )
            totals.append(np.diff(strip) / (x1 - x0 if axis == 0 else y1 - y0))
        mean, square = totals
        return mean, np.sqrt(np.maximum(square - mean * mean, 0.0))

    def split(self, box: tuple[int, int, int, int], depth: int, colour: float) -> list[Box]:
        """The panels of ``box`` (x0, y0, x1, y1): its flat margins cut off, then cut along its gutters across
        (rows first, then columns), ``depth`` times."""
        x0, y0, x1, y1 = box
        rows = _content(self.lines(box, 0)[1])
        if rows is None:
            return []  # all flat: a gutter or a camera turned off
        y0, y1 = y0 + int(rows[0]), y0 + int(rows[-1]) + 1
        columns = _content(self.lines((x0, y0, x1, y1), 1)[1])
        if columns is None:
            return []  # the same in every row: stripes or a gradient, not a picture
        x0, x1 = x0 + int(columns[0]), x0 + int(columns[-1]) + 1
        for axis in (0, 1):
            parts = _parts(*self.lines((x0, y0, x1, y1), axis), colour)
            if len(parts) > 1 and depth > 0:
                out: list[Box] = []
                for start, stop in parts:
                    part = (x0, y0 + start, x1, y0 + stop) if axis == 0 else (x0 + start, y0, x0 + stop, y1)
                    out += self.split(part, depth - 1, colour)
                return out
        shorter, longer = sorted((x1 - x0, y1 - y0))
        return [(x0, y0, x1 - x0, y1 - y0)] if shorter >= MIN_PANEL and longer <= MAX_ASPECT * shorter else []


def _lines(region: NDArray[np.float32], axis: int) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The mean and the standard deviation of each row (``axis`` 0) or column (1) of ``region``."""
    mean = np.asarray(cv2.reduce(region, 1 - axis, cv2.REDUCE_AVG), np.float32).ravel()
    square = np.asarray(cv2.reduce(region * region, 1 - axis, cv2.REDUCE_AVG), np.float32).ravel()
    return mean, np.sqrt(np.maximum(square - mean * mean, 0.0), dtype=np.float32)


def _content(stds: NDArray[np.floating]) -> NDArray[np.intp] | None:
    """Indices of the lines that are not flat, or None when all are."""
    lines = np.flatnonzero(stds > GUTTER_STD)
    return lines if len(lines) else None


def _parts(means: NDArray[np.floating], stds: NDArray[np.floating], colour: float) -> list[tuple[int, int]]:
    """``[start, stop)`` of the runs of lines between gutters: ``MIN_GUTTER`` flat lines or more of the
    background's ``colour`` (a flat wall inside a webcam's picture, or the coloured frame of the
    active speaker's tile, does not cut it)."""
    flat = (stds <= GUTTER_STD) & (np.abs(means - colour) <= GUTTER_COLOUR)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flat.astype(np.int8), [0]])))
    gutters = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if b - a >= MIN_GUTTER]
    bounds = [0] + [x for gutter in gutters for x in gutter] + [len(stds)]
    return [(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True) if b > a]
