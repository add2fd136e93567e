"""The row schema of ``facemotion batch``: one row per face, one status row per input.

>>> FACE_COLUMNS[:6]
['path', 'input', 'chunk', 'frame', 'time', 'person']
>>> "status" in INPUT_COLUMNS and "settings" in INPUT_COLUMNS
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from facemotion.io import readable
from facemotion.labels import EMOTIONS

if TYPE_CHECKING:
    import pyarrow as pa

PERSONS_PER_CHUNK = 1000
_FACE_TYPES = {
    "path": "string",
    "input": "string",
    "chunk": "int64",
    "frame": "int64",
    "time": "float64",
    "person": "int64",
    "x": "int64",
    "y": "int64",
    "w": "int64",
    "h": "int64",
    "label": "string",
    "score": "float64",
    "detection_score": "float64",
    "valence": "float64",
    "arousal": "float64",
    **{f"p_{label}": "float64" for label in EMOTIONS},
    "track": "int64",
    "shot": "int64",
    "brightness": "float64",
    "sharpness": "float64",
    "left_out": "string",
}
_INPUT_TYPES = {
    "path": "string",
    "input": "string",
    "kind": "string",
    "status": "string",
    "size": "int64",
    "mtime_ns": "int64",
    "faces": "int64",
    "frames": "int64",
    "frames_expected": "int64",
    "frames_skipped": "int64",
    "frames_unreadable": "int64",
    "fps": "float64",
    "duration": "float64",
    "error": "string",
    "model": "string",
    "settings": "string",
}
FACE_COLUMNS = list(_FACE_TYPES)
INPUT_COLUMNS = list(_INPUT_TYPES)


def schema(columns: Sequence[str]) -> pa.Schema:
    """The Arrow schema of ``columns`` (face or input columns), so that every part agrees."""
    import pyarrow as pa

    types = _FACE_TYPES | _INPUT_TYPES
    return pa.schema([(c, getattr(pa, types[c])()) for c in columns])


def face_row(
    path: str,
    input_id: str,
    chunk: int,
    frame: int,
    time: float,
    person: int,
    box: Sequence[int],
    label: str,
    score: float,
    detection_score: float | None,
    valence: float,
    arousal: float,
    probabilities: Sequence[float],
    **video: Any,
) -> dict[str, Any]:
    """One face as a row (``probabilities`` in the order of `facemotion.labels.EMOTIONS`).

    ``video``: a video face's ``track``, ``shot``, ``brightness``, ``sharpness`` and
    ``left_out`` (see `facemotion.apps.video.FrameFace`); a photo's are null.
    """
    row: dict[str, Any] = {
        "path": path,
        "input": input_id,
        "chunk": chunk,
        "frame": frame,
        "time": time,
        "person": person,
        "x": box[0],
        "y": box[1],
        "w": box[2],
        "h": box[3],
        "label": label,
        "score": score,
        "detection_score": detection_score,
        "valence": valence,
        "arousal": arousal,
    }
    row.update({f"p_{k}": float(p) for k, p in zip(EMOTIONS, probabilities, strict=True)})
    row.update({k: video.get(k) for k in ("track", "shot", "brightness", "sharpness", "left_out")})
    return row


def utf8_paths(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each ``path`` as valid UTF-8 (`facemotion.io.readable`), as Parquet strings must be."""
    return [{**r, "path": readable(str(r["path"]))} if r.get("path") is not None else r for r in rows]


def plain(value: Any) -> Any:
    """numpy scalars and NaN (Ray's batches) back to Python values.

    >>> plain(np.float32(0.5)), plain(float("nan")), plain(np.array([0.0, 0.2]))
    (0.5, None, [0.0, 0.2])
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):  # a list (frame times, warnings) as Ray hands it back
        return [plain(v) for v in value.tolist()]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


#: what a video chunk's status carries besides `INPUT_COLUMNS`, for its report (not stored)
REPORT_FIELDS = ["frame_times", "shot_cuts", "sample_fps", "warnings"]


def columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows (faces tagged ``row="face"``, statuses ``row="input"``) as Ray Data's column batch: one object per
    row in every column, even where all rows hold lists (a chunk with no face: its status row alone, whose
    ``frame_times`` numpy would otherwise make a second axis of).

    >>> columns([{"row": "input", "frame_times": [0.0, 0.2], "warnings": []}])["frame_times"].shape
    (1,)
    """
    keys = ["row", *FACE_COLUMNS, *(k for k in INPUT_COLUMNS if k not in FACE_COLUMNS), *REPORT_FIELDS]
    out: dict[str, Any] = {}
    for k in keys:
        column = np.empty(len(rows), dtype=object)
        for i, row in enumerate(rows):
            column[i] = row.get(k)
        out[k] = column
    return out
