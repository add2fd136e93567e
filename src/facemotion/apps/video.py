"""Audience reaction over a video: per-frame faces, people, a per-second timeline, a summary.

Frames are decoded as a stream (memory does not grow with the video's length),
sampled at ``sample_fps``, and their faces classified in batches across frames. Every
face is kept in ``frames.csv``; faces the `QualityGate` finds too dark, small, blurred or
uncertain to read are left out of every aggregate (timeline, shares, people, summary)
and counted. Face tracks end at shot cuts and are linked across cuts by appearance
(`facemotion.apps.tracking.link_tracks`). Every sampled frame is accounted for:
analysed, skipped (undecodable), unreadable (the file ends early) or not reached
(interrupted). This module computes; `facemotion.apps.report` renders.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.apps.containers import file_is_whole
from facemotion.apps.frames import (
    MAX_STATED_FPS,
    MAX_STREAM_FPS,
    frame_time,
    iter_frames,
    open_source,
    rate_and_count,
    rate_warning,
    sample_step,
    sampled_frame_count,
    stated_frames,
)
from facemotion.apps.tracking import IoUTracker, ShotCutDetector, TrackAppearance, appearance, link_tracks
from facemotion.apps.wording import affect_words, left_out_sentence, video_sentence
from facemotion.atomic import atomic_write, replacing
from facemotion.detection import DetectedFace
from facemotion.errors import FacemotionError, VideoReadError
from facemotion.io import readable
from facemotion.labels import EMOTIONS
from facemotion.results import rounded_affect

log = logging.getLogger(__name__)

#: A video's status in `VideoReport.status`: every sampled frame read, the file ended
#: before its stated length, or the analysis was stopped (Ctrl-C, SIGTERM).
STATUSES = ("complete", "truncated", "interrupted")


@dataclass(frozen=True)
class QualityGate:
    """Which faces are too poor to read: kept in ``frames.csv``, left out of every aggregate.

    A face is left out when its box's mean brightness (grey level 0–255) is under
    ``min_brightness``, its box's shorter side is under ``min_size`` pixels, its
    sharpness (variance of the Laplacian of the face shrunk to 64×64 grey; dark faces
    have little contrast and score low too) is under ``min_sharpness``, or its detection
    score is under ``min_detection_score``.

    The first three are measured by ``benchmarks/video_quality.py`` (299 portraits,
    darkened, blurred and shrunk): the model agrees with its reading of the clean face
    for 0.84–0.99 of the faces above each threshold, against 0.72 under brightness 10,
    0.34–0.64 under sharpness 4 and 0.55–0.65 under 16 pixels, where dark faces also read
    0.1–0.4 more unpleasant. ``min_detection_score`` is BlazeFace's own cut (it keeps no
    lower box); it matters for other detectors.
    >>> gate = QualityGate()
    >>> gate.reasons(brightness=12.0, size=60, sharpness=2.0, detection_score=0.9)
    ('dark', 'blurred')
    >>> gate.reasons(brightness=90.0, size=100, sharpness=500.0, detection_score=0.9)
    ()
    """

    min_brightness: float = 15.0
    min_size: int = 20
    min_sharpness: float = 8.0
    min_detection_score: float = 0.5

    def reasons(
        self, *, brightness: float, size: int, sharpness: float, detection_score: float | None
    ) -> tuple[str, ...]:
        """Why a face is left out (``"dark"``, ``"small"``, ``"blurred"``, ``"low detection score"``); empty = used."""
        out = []
        if brightness < self.min_brightness:
            out.append("dark")
        if size < self.min_size:
            out.append("small")
        if sharpness < self.min_sharpness:
            out.append("blurred")
        if detection_score is not None and 0 < detection_score < self.min_detection_score:
            out.append("low detection score")
        return tuple(out)


def face_quality(image: NDArray[np.uint8], box: tuple[int, int, int, int]) -> tuple[float, float]:
    """``(brightness, sharpness)`` of the face ``box`` in an RGB image (see `QualityGate`).

    >>> flat = np.full((100, 100, 3), 40, np.uint8)
    >>> face_quality(flat, (10, 10, 50, 50))
    (40.0, 0.0)
    """
    x, y, w, h = box
    crop = np.ascontiguousarray(image[max(0, y) : y + h, max(0, x) : x + w])
    if crop.size == 0:
        return 0.0, 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    small = cv2.resize(grey, (64, 64), interpolation=cv2.INTER_AREA)
    return round(float(grey.mean()), 2), round(float(cv2.Laplacian(small, cv2.CV_64F).var()), 2)


def duplicate_boxes(boxes: list[tuple[int, int, int, int]], scores: list[float]) -> list[bool]:
    """Which boxes are a second box on a face already boxed: mostly (over half) inside a better-scored box.

    >>> duplicate_boxes([(0, 0, 60, 60), (5, 10, 50, 50), (100, 0, 40, 40)], [0.9, 0.6, 0.8])
    [False, True, False]
    """
    out = []
    for i, (x, y, w, h) in enumerate(boxes):
        duplicate = False
        for j, (u, v, p, q) in enumerate(boxes):
            if j == i or (scores[j], -j) <= (scores[i], -i):
                continue
            inter = max(0, min(x + w, u + p) - max(x, u)) * max(0, min(y + h, v + q) - max(y, v))
            duplicate |= inter > 0.5 * min(w * h, p * q)
        out.append(duplicate)
    return out


@dataclass(frozen=True)
class FrameFace:
    """One face in one analysed frame (``label``/``score``/``detection_score`` as in `facemotion.FaceEmotion`).

    Attributes:
        person: the person id: face tracks of different shots that look alike share it
            (`facemotion.apps.tracking.link_tracks`).
        track: the face track id: a track follows one face within one shot and never
            continues across a cut.
        shot: the shot the frame is in (0 = before the first cut).
        brightness, sharpness: the face's quality measures (`face_quality`).
        left_out: why the face is left out of the aggregates: the `QualityGate`'s
            ``"dark"``, ``"small"``, ``"blurred"``, ``"low detection score"``, or
            ``"duplicate"`` (a second box on a face already boxed, `duplicate_boxes`),
            joined by ``"; "``; empty for a face that is used.
    """

    frame: int
    time: float
    person: int
    box: tuple[int, int, int, int]
    label: str
    score: float
    valence: float
    arousal: float
    probabilities: tuple[float, ...]
    detection_score: float | None = None
    track: int = -1
    shot: int = 0
    brightness: float | None = None
    sharpness: float | None = None
    left_out: str = ""

    @property
    def used(self) -> bool:
        """Whether the face counts in the aggregates (the quality gate let it through)."""
        return not self.left_out

    def to_row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k not in ("probabilities", "box")}
        row.update(x=self.box[0], y=self.box[1], w=self.box[2], h=self.box[3])
        row.update({f"p_{label}": p for label, p in zip(EMOTIONS, self.probabilities, strict=True)})
        return row


#: The columns of ``frames.csv``: one row per face per analysed frame (`FrameFace.to_row`).
FRAME_FIELDS = [
    *(k for k in FrameFace.__dataclass_fields__ if k not in ("probabilities", "box")),
    "x",
    "y",
    "w",
    "h",
    *(f"p_{e}" for e in EMOTIONS),
]
#: The columns of ``timeline.csv`` (`VideoReport.timeline`).
TIMELINE_FIELDS = [
    "time",
    "end",
    "partial",
    "no_data",
    "frames",
    "faces",
    "faces_left_out",
    "people",
    "valence",
    "valence_low",
    "valence_high",
    "arousal",
    "arousal_low",
    "arousal_high",
    *EMOTIONS,
    "dominant_emotion",
]
#: The columns of ``people.csv`` (`VideoReport.people`).
PEOPLE_FIELDS = [
    "person",
    "tracks",
    "shots",
    "first_seen",
    "last_seen",
    "seconds_on_screen",
    "frames",
    "faces_used",
    "valence",
    "arousal",
    "dominant_emotion",
]
#: Why a face can be left out of the aggregates (`FrameFace.left_out`).
LEFT_OUT_REASONS = ("dark", "small", "blurred", "low detection score", "duplicate")
#: Persons seen for less than this many seconds (readable faces only) are left out of the people table.
MIN_PERSON_SECONDS = 0.5
#: Bootstrap resamples behind each second's confidence band.
BOOTSTRAP_RESAMPLES = 1000


class AnalysisInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a SIGTERM the CLI turns into one) during `analyze_video`.

    ``report`` holds everything finished before the interrupt, with ``status``
    ``"interrupted"`` and the frames not reached counted; save it to keep it.
    """

    def __init__(self, report: VideoReport, interrupt: BaseException | None = None) -> None:
        super().__init__(f"{report.name}: interrupted after {report.frames_analyzed} analysed frames")
        self.report = report
        #: the interrupt itself (a ``KeyboardInterrupt`` or the CLI's SIGTERM subclass of it)
        self.interrupt = interrupt


@dataclass
class VideoReport:
    """Everything `analyze_video` found, and the aggregates computed from it.

    Attributes:
        path: the video (never written to ``summary.json``, which holds its `name` only).
        fps: the video's frame rate; ``duration``: its stated length in seconds.
        sample_fps: frames analysed per second of video (the frame rate over the whole
            step between sampled frames; 0 when unknown).
        frames_expected: sampled frames the stated length promises.
        frames_analyzed: sampled frames analysed.
        frames_skipped: sampled frames read but not decodable (a damaged frame), skipped.
        frames_unreadable: sampled frames never read because the file ends before its
            stated length (cut short); the seconds they cover have no data.
        frames_not_reached: sampled frames not reached because the analysis was interrupted.
        status: ``"complete"``, ``"truncated"`` (frames unreadable) or ``"interrupted"``.
        warnings: what a reader must know (a truncated file, an interrupt), one sentence each.
        frame_times: the time (s) of each analysed frame (a second without one has no data).
        faces: one `FrameFace` per face per analysed frame, the left-out ones included.
        shot_cuts: times (s) of the shot cuts found; tracks never continue across one.
        quality: the `QualityGate` the faces were judged by.
        people_linked: whether face tracks of different shots were linked into people.
        metadata: for a footer: ``file`` (the name only), ``duration``, ``analyzed_at``
            (UTC, ISO 8601), ``facemotion_version``, ``model``, ``model_version``,
            ``model_metrics`` (the measured figures of the model card), ``runtime``,
            ``detector``, ``sample_fps``, ``requested_sample_fps``.
    """

    path: str
    fps: float
    duration: float
    frames_analyzed: int = 0
    frames_skipped: int = 0
    faces: list[FrameFace] = field(default_factory=list)
    shot_cuts: list[float] = field(default_factory=list)
    sample_fps: float = 0.0
    frames_expected: int = 0
    frames_unreadable: int = 0
    frames_not_reached: int = 0
    status: str = "complete"
    warnings: list[str] = field(default_factory=list)
    frame_times: list[float] = field(default_factory=list)
    quality: QualityGate = field(default_factory=QualityGate)
    people_linked: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The video's file name, without its folder (bytes that are not UTF-8 shown as ``\\xNN``)."""
        return readable(Path(self.path).name)

    @property
    def used_faces(self) -> list[FrameFace]:
        """The faces the aggregates are computed from (those the quality gate let through)."""
        return [f for f in self.faces if f.used]

    def left_out(self) -> dict[str, int]:
        """Faces left out of the aggregates per reason, only reasons that occur (a face may have several).

        ``{"dark": 7, "blurred": 10}``; the number of faces is ``summary()["faces_left_out"]``.
        """
        counts: Counter[str] = Counter()
        for f in self.faces:
            if f.left_out:
                counts.update(f.left_out.split("; "))
        return {k: counts[k] for k in (*LEFT_OUT_REASONS,) if counts[k]}

    def accounting(self) -> dict[str, Any]:
        """Every sampled frame accounted for, flat (for ``inputs.parquet`` and the CLI line).

        ``status``, ``frames_expected``, ``frames_analyzed``, ``frames_skipped``,
        ``frames_unreadable``, ``frames_not_reached``, ``seconds_with_data`` (each analysed
        frame stands for ``1 / sample_fps`` seconds of video).
        """
        return {
            "status": self.status,
            "frames_expected": self.frames_expected,
            "frames_analyzed": self.frames_analyzed,
            "frames_skipped": self.frames_skipped,
            "frames_unreadable": self.frames_unreadable,
            "frames_not_reached": self.frames_not_reached,
            "seconds_with_data": round(
                min(self.duration, self.frames_analyzed / self.sample_fps)
                if self.sample_fps > 0
                else sum(1 for r in self.timeline() if not r["no_data"]),
                2,
            ),
        }

    def timeline(self, step: float | None = None, confidence: float = 0.95, seed: int = 0) -> list[dict[str, Any]]:
        """One row per ``step`` seconds, from the faces the quality gate let through.

        ``step`` defaults to one second, or to the time between two sampled frames when
        frames are sampled less often than once a second (``sample_fps`` 0.2: 5-s rows),
        so that a row without a frame always means frames are missing, never that the
        sampling skipped it.

        Keys: ``time`` (start), ``end`` (the last row ends at the video's end:
        ``partial`` is true when it covers less than ``step``; a last sliver shorter than
        the time between two sampled frames belongs to the row before), ``no_data`` (no frame of
        it was analysed: the file ended early, frames were damaged or the analysis was
        interrupted; its ``faces`` and means are ``None``, never 0), ``frames``
        (analysed), ``faces`` (used), ``faces_left_out``, ``people`` (distinct persons
        behind the faces), ``valence``/``arousal`` (means) with ``*_low``/``*_high``, the
        ``confidence`` interval over the people behind them (``None`` under 2 people; the persons
        too briefly seen to be in `people` count as one; `_bootstrap_interval`), and the
        share of each emotion, and the row's ``dominant_emotion`` (`commonest_label`: a tie goes to the higher
        summed probability, as everywhere).
        """
        if step is None:
            step = max(1.0, 1 / self.sample_fps) if self.sample_fps > 0 else 1.0
        bins: dict[int, list[FrameFace]] = defaultdict(list)
        for f in self.faces:
            bins[_row_of(f.time, step)].append(f)
        frames = Counter(_row_of(t, step) for t in self.frame_times)
        rng = np.random.default_rng(seed)
        cluster = self._clusters(self.people())
        rows = []
        for b in range(max(1, math.ceil(self.duration / step - 1e-9)) if self.duration > 0 else 0):
            start = b * step
            end = min(self.duration, start + step)
            faces = [f for f in bins.get(b, []) if f.used]
            row: dict[str, Any] = {
                "time": round(start, 6),
                "end": round(end, 6),
                "partial": end - start < step - 1e-6,
                "no_data": frames[b] == 0,
                "frames": frames[b],
                "faces": None if frames[b] == 0 else len(faces),
                "faces_left_out": sum(not f.used for f in bins.get(b, [])),
                "people": len({f.person for f in faces}),
            }
            for key in ("valence", "arousal"):
                values = np.array([getattr(f, key) for f in faces], float)
                low, high = _bootstrap_interval(values, [cluster(f) for f in faces], confidence, rng)
                row[key] = float(values.mean()) if len(values) else None
                row[f"{key}_low"], row[f"{key}_high"] = low, high
            for label in EMOTIONS:
                row[label] = sum(f.label == label for f in faces) / len(faces) if faces else None
            row["dominant_emotion"] = commonest_label(faces) if faces else None
            rows.append(row)
        interval = 1 / self.sample_fps if self.sample_fps > 0 else 0.0
        if len(rows) > 1 and rows[-1]["no_data"] and interval and _no_frame_due(rows[-1], interval):
            sliver = rows.pop()  # after the last frame (a 1.001-s video): no sampled frame could fall in it
            rows[-1]["end"] = sliver["end"]
        return rows

    def people(self, min_seconds: float = MIN_PERSON_SECONDS) -> list[dict[str, Any]]:
        """Per person seen for at least ``min_seconds`` in readable faces (see `people_left_out`).

        Keys: ``person``, ``tracks`` and ``shots`` (the face tracks linked into the
        person and their shots), ``first_seen``/``last_seen`` (s), ``seconds_on_screen``
        (analysed frames with a readable face of the person over the sampling rate),
        ``frames`` (all their faces), ``faces_used``, mean ``valence``/``arousal`` and the
        ``dominant_emotion`` of the readable faces (read most often: `commonest_label`).
        """
        return [row for row in self._people() if row["seconds_on_screen"] >= min_seconds]

    def _clusters(self, listed: Sequence[dict[str, Any]]) -> Callable[[FrameFace], int]:
        """The unit a confidence band resamples a face by: its person, or one shared unit for every person
        seen too briefly to be in `people` (``listed``; a face lost and found many times, or a cyclist's
        three glimpses, may be one person: counted as several they gave a band for "0 people")."""
        shown = {row["person"] for row in listed}
        return lambda face: face.person if face.person in shown else -1

    def people_left_out(self, min_seconds: float = MIN_PERSON_SECONDS) -> int:
        """Persons not in `people`: seen for under ``min_seconds`` or only in faces too poor to read."""
        return len({f.person for f in self.faces}) - len(self.people(min_seconds))

    def _people(self) -> list[dict[str, Any]]:
        by_person: dict[int, list[FrameFace]] = defaultdict(list)
        for f in self.faces:
            by_person[f.person].append(f)
        per_sample = 1 / self.sample_fps if self.sample_fps > 0 else 1 / max(self.fps, 1e-6)
        rows: list[dict[str, Any]] = []
        for pid, faces in sorted(by_person.items()):
            used = [f for f in faces if f.used]
            if not used:
                rows.append({"person": pid, "seconds_on_screen": 0.0})
                continue
            rows.append(
                {
                    "person": pid,
                    "tracks": sorted({f.track for f in faces}),
                    "shots": sorted({f.shot for f in faces}),
                    "first_seen": min(f.time for f in faces),
                    "last_seen": max(f.time for f in faces),
                    # a frame stands for 1 / sample_fps of video, but never for more than the video
                    "seconds_on_screen": round(min(len({f.frame for f in used}) * per_sample, self.duration), 3),
                    "frames": len(faces),
                    "faces_used": len(used),
                    "valence": float(np.mean([f.valence for f in used])),
                    "arousal": float(np.mean([f.arousal for f in used])),
                    "dominant_emotion": commonest_label(used),
                }
            )
        return rows

    def summary(self, segments: int = 5) -> dict[str, Any]:
        """The whole analysis in plain data (``summary.json``), from the faces the quality gate let through.

        Beyond `accounting` (status and frame counts) and `metadata`: ``file`` (the name,
        never a path), ``duration``, ``sample_fps``, ``warnings``; ``faces`` (all seen),
        ``faces_used``, ``faces_left_out`` and ``left_out`` (per reason) with
        ``left_out_sentence`` ("9 faces too dark or blurred to read were left out");
        ``shots``, ``shot_cuts``, ``face_tracks``, ``people`` (rows of `people`),
        ``people_left_out``, ``people_linked``, ``people_min_seconds``; ``mean_valence``/
        ``mean_arousal`` with ``*_low``/``*_high`` (95 % interval over the people, `_bootstrap_interval`),
        ``valence_words``/``arousal_words`` (``"mildly pleasant"``, ``"calm"``),
        ``sentence`` (what happened, in one sentence); ``peak_valence``,
        ``lowest_valence``, ``peak_arousal`` (start of the second, among `moment_seconds`;
        ``None`` when no second has `MOMENT_MIN_FACES` readable faces);
        ``quality_thresholds``;
        and ``segments`` (``start``, ``end``, ``no_data``, ``faces``, ``dominant_emotion``
        of each of ``segments`` equal parts).
        """
        used = self.used_faces
        line = self.timeline()
        listed = self.people()
        cluster = self._clusters(listed)
        seen = moment_seconds(line)
        valence = np.array([f.valence for f in used], float)
        arousal = np.array([f.arousal for f in used], float)
        rng = np.random.default_rng(0)
        out: dict[str, Any] = {
            "file": self.name,
            "duration": self.duration,
            "sample_fps": self.sample_fps,
            **{k: v for k, v in self.accounting().items()},
            "warnings": list(self.warnings),
            "faces": len(self.faces),
            "faces_used": len(used),
            "faces_left_out": len(self.faces) - len(used),
            "left_out": self.left_out(),
            "left_out_sentence": left_out_sentence(len(self.faces) - len(used), self.left_out(), len(self.faces)),
            "shots": len(self.shot_cuts) + 1,
            "shot_cuts": self.shot_cuts,
            "face_tracks": len({f.track for f in self.faces}),
            "people": len(listed),
            "people_left_out": self.people_left_out(),
            "people_linked": self.people_linked,
            "people_min_seconds": MIN_PERSON_SECONDS,
            "mean_valence": float(valence.mean()) if len(valence) else None,
            "mean_arousal": float(arousal.mean()) if len(arousal) else None,
        }
        for key, values in (("mean_valence", valence), ("mean_arousal", arousal)):
            out[f"{key}_low"], out[f"{key}_high"] = _bootstrap_interval(values, [cluster(f) for f in used], 0.95, rng)
        out["valence_words"], out["arousal_words"] = affect_words(out["mean_valence"], out["mean_arousal"])
        out["peak_valence"] = max(seen, key=lambda r: r["valence"])["time"] if seen else None
        out["lowest_valence"] = min(seen, key=lambda r: r["valence"])["time"] if seen else None
        out["peak_arousal"] = max(seen, key=lambda r: r["arousal"])["time"] if seen else None
        length = self.duration / segments if self.duration > 0 else 0
        parts = []
        for i in range(segments if length else 0):
            faces = [f for f in used if i * length <= f.time < (i + 1) * length]
            dominant = commonest_label(faces) if faces else None
            no_data = not any(i * length <= t < (i + 1) * length for t in self.frame_times)
            parts.append(
                {
                    "start": i * length,
                    "end": (i + 1) * length,
                    "no_data": no_data,
                    "faces": None if no_data else len(faces),
                    "dominant_emotion": dominant,
                }
            )
        out["segments"] = parts
        out["quality_thresholds"] = asdict(self.quality)
        out["sentence"] = video_sentence(out, seen)
        out["metadata"] = dict(self.metadata)
        return out

    def to_pandas(self) -> dict[str, Any]:
        """``{"frames", "timeline", "people"}`` as pandas DataFrames."""
        import pandas as pd

        return {
            "frames": pd.DataFrame([f.to_row() for f in self.faces], columns=FRAME_FIELDS),
            "timeline": pd.DataFrame(self.timeline(), columns=TIMELINE_FIELDS),
            "people": pd.DataFrame(self.people(), columns=PEOPLE_FIELDS),
        }

    def save(self, out_dir: str | Path, plot: bool = True) -> Path:
        """Write ``frames.csv``, ``timeline.csv``, ``people.csv``, ``summary.json`` and with ``plot`` ``timeline.png``.

        The HTML report is rendered from this report by `facemotion.apps.report.video_report_html`
        (``facemotion video`` writes both). Returns ``out_dir``.
        """

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(out / "frames.csv", [f.to_row() for f in self.faces], FRAME_FIELDS)
        _write_csv(out / "timeline.csv", self.timeline(), TIMELINE_FIELDS)
        people = [{**p, "tracks": _joined(p["tracks"]), "shots": _joined(p["shots"])} for p in self.people()]
        _write_csv(out / "people.csv", people, PEOPLE_FIELDS)
        atomic_write(out / "summary.json", (json.dumps(self.summary(), indent=2) + "\n").encode())
        if plot:
            from facemotion.apps.plots import plot_timeline

            plot_timeline(
                self.timeline(), out / "timeline.png", title=self.name, shot_cuts=self.shot_cuts, duration=self.duration
            )
        return out


def _no_frame_due(row: dict[str, Any], interval: float) -> bool:
    """Whether no frame sampled every ``interval`` seconds (from 0) falls due within ``row``.

    >>> _no_frame_due({"time": 1.0, "end": 1.001}, 0.2002), _no_frame_due({"time": 10.0, "end": 10.1}, 0.2)
    (True, False)
    """
    return bool(math.ceil(row["time"] / interval - 1e-9) * interval >= row["end"] - 1e-9)


def _row_of(time: float, step: float) -> int:
    """The timeline row of a time: a frame sampled every ``step`` seconds lands in its own row, despite rounding.

    >>> _row_of(30 * 7 / 29.97, 30 / 29.97), _row_of(0.99, 1.0)
    (7, 0)
    """
    return int(time / step + 1e-9)


#: A second can be a moment (most or least pleasant, most excited, biggest rise or drop: in
#: ``summary.json``, the sentence and the report) only with this many readable faces: one
#: face is an anecdote, not a reaction.
MOMENT_MIN_FACES = 3
#: ... and this much video (a partial last second of 0.2 s is not a moment).
MOMENT_MIN_SECONDS = 0.5


def moment_seconds(timeline: Sequence[dict[str, Any]], min_faces: int = MOMENT_MIN_FACES) -> list[dict[str, Any]]:
    """The rows of ``timeline`` that can be moments: a valence, ``min_faces`` faces and `MOMENT_MIN_SECONDS`.

    A row without ``faces`` or ``end`` counts as enough faces or a whole second.

    >>> line = [{"time": 0, "end": 1, "faces": 2, "valence": 0.9}, {"time": 1, "end": 2, "faces": 3, "valence": 0.1},
    ...         {"time": 2, "end": 2.2, "faces": 5, "valence": 0.8}, {"time": 3, "valence": None}]
    >>> [r["time"] for r in moment_seconds(line)]
    [1]
    """
    return [
        r
        for r in timeline
        if r.get("valence") is not None
        and (r.get("faces", min_faces) or 0) >= min_faces
        and r.get("end", r["time"] + 1) - r["time"] >= MOMENT_MIN_SECONDS
    ]


def _joined(values: list[int]) -> str:
    return ";".join(str(v) for v in values)


def _bootstrap_interval(
    values: NDArray[np.float64], people: Sequence[int], confidence: float, rng: np.random.Generator
) -> tuple[float | None, float | None]:
    """A ``confidence`` interval of the mean of ``values`` over the people behind them; ``(None, None)``
    under 2 people.

    One person's faces in consecutive frames are one reading of that person, not independent
    ones: resampling faces made the band narrower the more frames were sampled (a band of
    +0.72 to +0.83 from one person's frames at 30 fps). So the standard error comes from
    resampling whole people (a cluster bootstrap), and the interval is the mean plus or minus
    Student's t for the number of people times it: with a handful of people a percentile
    interval is about the range of their means and held the true mean in 51 % (2 people) to
    82 % (5 people) of simulated cases instead of 95 %. Clipped to the scale, [-1, 1].

    >>> rng = np.random.default_rng(0)
    >>> _bootstrap_interval(np.array([0.5, 0.6, 0.7]), [4, 4, 4], 0.95, rng)  # one person: no band
    (None, None)
    >>> low, high = _bootstrap_interval(np.array([0.1, 0.2, 0.8, 0.9]), [1, 1, 2, 2], 0.95, rng)
    >>> round(low, 2), round(high, 2)  # two people: as wide as two readings deserve
    (-1.0, 1.0)
    """
    from scipy import stats

    ids, index = np.unique(np.asarray(people), return_inverse=True)
    if len(ids) < 2:
        return None, None
    sums, counts = np.bincount(index, weights=values), np.bincount(index)
    picks = rng.integers(0, len(ids), (BOOTSTRAP_RESAMPLES, len(ids)))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    half = float(stats.t.ppf(0.5 + confidence / 2, len(ids) - 1)) * float(means.std(ddof=1))
    mean = float(values.mean())
    return max(-1.0, mean - half), min(1.0, mean + half)


def commonest_label(faces: Sequence[FrameFace]) -> str:
    """The emotion read most often among ``faces``; a tie goes to the higher summed probability (the rule
    of `facemotion.GroupMood.dominant_emotion`, and of the sentence's "mostly ...").

    >>> probs = lambda k: tuple(0.9 if i == k else 0.0125 for i in range(9))
    >>> faces = [FrameFace(0, 0.0, 0, (0, 0, 9, 9), EMOTIONS[k], 0.9, 0.0, 0.0, probs(k), 0.9) for k in (7, 7, 5)]
    >>> commonest_label(faces)
    'surprise'
    """
    counts = Counter(f.label for f in faces)
    summed = np.sum([f.probabilities for f in faces], axis=0)
    return max(counts, key=lambda label: (counts[label], summed[EMOTIONS.index(label)]))


def _write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:

    with replacing(path) as tmp, tmp.open("w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: _csv_value(v) for k, v in row.items()} for row in rows)


def _csv_value(value: Any) -> Any:
    """A number as a CSV cell: floats to 6 decimals (-0.5599999999999999 was written for -0.56).

    >>> _csv_value(-0.5599999999999999), _csv_value(10000.0333333), _csv_value("happy"), _csv_value(3)
    (-0.56, 10000.033333, 'happy', 3)
    """
    return round(value, 6) if isinstance(value, float) and math.isfinite(value) else value


def _model_name(source: str | None, path: Any) -> str | None:
    """A bundled name or Hub id as given (``default``), a local folder by its name only (no path of this machine)."""
    if source and not Path(source).is_absolute():
        return source
    return Path(path).name if path is not None else None


def model_metadata(model: Any, detector: str) -> dict[str, Any]:
    """What made a result, for a report's footer: ``analyzed_at``, ``facemotion_version``, ``model``
    (a bundled name or Hub id as in batch records, a folder by its name), ``model_version``, ``model_metrics`` (the model card's measured figures),
    ``runtime`` and ``detector`` (a `facemotion.runtime.FaceModel` and a detector's name)."""
    from facemotion import __version__

    config = getattr(model, "config", None)
    model_path = getattr(model, "path", None)
    return {
        "analyzed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "facemotion_version": __version__,
        "model": _model_name(getattr(model, "source", None), model_path),
        "model_version": getattr(config, "version", None),
        "model_metrics": dict(getattr(getattr(config, "card", None), "metrics", None) or {}),
        "runtime": getattr(model, "runtime", None),
        "detector": detector,
    }


def video_metadata(path: str | Path, classifier: Any, sample_fps: float, requested_sample_fps: float) -> dict[str, Any]:
    """The footer of a report: file name (never its folder), `model_metadata`, sampling rate."""
    return {
        "file": Path(path).name,
        **model_metadata(classifier.model, classifier.detector_name),
        "sample_fps": round(sample_fps, 4),
        "requested_sample_fps": requested_sample_fps,
    }


class FrameAnalyzer:
    """Faces of successive frames into a `VideoReport`: tracked, reset at shot cuts, batched, judged.

    The faces of ``batch_frames`` frames go to the model in one call; `add` returns
    the faces that a call produced (none while a batch fills), `flush` the rest, and
    `finish` links tracks into people and accounts for every sampled frame.
    """

    def __init__(
        self,
        classifier: Any,
        report: VideoReport,
        batch_frames: int = 8,
        *,
        link_people: bool = True,
        max_link_distance: float = 0.3,
    ) -> None:
        self.classifier, self.report, self.batch_frames = classifier, report, batch_frames
        self.link_people, self.max_link_distance = link_people, max_link_distance
        self._tracker, self.cuts = IoUTracker(), ShotCutDetector()
        for_video = getattr(classifier.detector, "for_video", None)  # the default detector's variant for frames
        self._detector = for_video() if callable(for_video) else None
        self._pending: list[tuple[int, float, list[DetectedFace], list[int], list[Any], list[NDArray[np.uint8]]]] = []
        self._appearance: dict[int, list[NDArray[np.float32]]] = defaultdict(list)
        self._shot = 0
        self._trailing_skips = 0

    def add(self, frame: int, time: float, image: NDArray[np.uint8] | None) -> list[FrameFace]:
        if image is None:
            self.report.frames_skipped += 1
            self._trailing_skips += 1
            log.debug("%s: frame %d could not be decoded; skipped", self.report.name, frame)
            return []
        self._trailing_skips = 0
        if self.cuts.is_cut(image):
            self._tracker.reset()  # a new shot: nobody on screen is the same track as before the cut
            self.report.shot_cuts.append(time)
            self._shot += 1
        faces, crops = self.classifier.detect_and_crop(image, detector=self._detector)
        ids = self._tracker.update([f.box for f in faces])
        measures = []
        duplicates = duplicate_boxes([f.box for f in faces], [f.score for f in faces])
        for face, track, duplicate in zip(faces, ids, duplicates, strict=True):
            brightness, sharpness = face_quality(image, face.box)
            reasons = self.report.quality.reasons(
                brightness=brightness, size=min(face.box[2:]), sharpness=sharpness, detection_score=face.score
            ) + (("duplicate",) if duplicate else ())
            if not reasons:
                self._appearance[track].append(appearance(image, face.box))
            measures.append((brightness, sharpness, "; ".join(reasons)))
        self._pending.append((frame, time, faces, ids, measures, crops))
        self.report.frames_analyzed += 1
        self.report.frame_times.append(time)
        return self.flush() if len(self._pending) >= self.batch_frames else []

    def flush(self) -> list[FrameFace]:
        crops = [c for *_, cs in self._pending for c in cs]
        out = self.classifier.model.run(crops) if crops else None
        new: list[FrameFace] = []
        i = 0
        for frame, time, faces, ids, measures, _ in self._pending:
            for face, track, (brightness, sharpness, left_out) in zip(faces, ids, measures, strict=True):
                assert out is not None
                probs = out.probabilities[i]
                top = int(np.argmax(probs))
                new.append(
                    FrameFace(
                        frame,
                        time,
                        track,
                        face.box,
                        EMOTIONS[top],
                        float(probs[top]),
                        rounded_affect(out.affect[i, 0]),
                        rounded_affect(out.affect[i, 1]),
                        tuple(float(p) for p in probs),
                        face.score,
                        track=track,
                        shot=self._shot_of(time),
                        brightness=brightness,
                        sharpness=sharpness,
                        left_out=left_out,
                    )
                )
                i += 1
        self._pending.clear()
        self.report.faces.extend(new)
        return new

    def _shot_of(self, time: float) -> int:
        return sum(cut <= time for cut in self.report.shot_cuts)

    def finish(self, interrupted: bool = False, log_warnings: bool = True, settle_end: bool = True) -> VideoReport:
        """Flush, link the tracks into people, and account for every sampled frame.

        ``settle_end=False`` (a chunk of a video) counts every sampled frame not analysed as
        skipped and leaves the end to whoever merges the chunks (`account_for_the_end` over
        the whole video): a chunk cannot know whether the file ends after it.
        """
        self.flush()
        report = self.report
        last = max(report.frame_times, default=0.0)
        if report.frame_times and (report.duration <= 0 or last >= report.duration):  # no length, or an average
            end = last + 1 / (report.sample_fps if report.sample_fps > 0 else max(report.fps, 1e-6))  # under-stated
            report.duration = end
            if "duration" in report.metadata:
                report.metadata["duration"] = end
        if self.link_people:
            self._link()
        read = report.frames_analyzed + report.frames_skipped
        if interrupted:
            report.status = "interrupted"
            report.frames_not_reached = max(0, report.frames_expected - read)
            report.warnings.append(
                f"{report.name}: interrupted after {report.frames_analyzed} analysed frames"
                + (f" of {report.frames_expected}" if report.frames_expected else "")
                + "; later seconds have no data"
            )
            if report.frames_skipped:
                report.warnings.append(_damaged_warning(report.name, report.frames_skipped))
        # unknown, or a container that under-states its length: never fewer than were read
        report.frames_expected = max(report.frames_expected, read)
        if interrupted:
            pass
        elif settle_end:  # the broken frames at the end and those never delivered: the file ends there
            account_for_the_end(report, self._trailing_skips + report.frames_expected - read)
        else:  # a chunk: everything not analysed is skipped until the merge settles the end
            report.frames_skipped = report.frames_expected - report.frames_analyzed
        for warning in report.warnings if log_warnings else ():
            log.warning("%s", warning)
        return report

    def _link(self) -> None:
        report = self.report
        frames: dict[int, set[int]] = defaultdict(set)
        shots: dict[int, int] = {}
        start: dict[int, tuple[float, tuple[int, int, int, int]]] = {}
        end: dict[int, tuple[float, tuple[int, int, int, int]]] = {}
        for f in sorted(report.faces, key=lambda f: f.time):
            frames[f.track].add(f.frame)
            shots[f.track] = f.shot
            start.setdefault(f.track, (f.time, f.box))
            end[f.track] = (f.time, f.box)
        tracks = [
            TrackAppearance(t, shots[t], frozenset(frames[t]), np.mean(d, axis=0).astype(np.float32), start[t], end[t])
            for t, d in sorted(self._appearance.items())
            if d and t in shots
        ]
        persons = link_tracks(tracks, self.max_link_distance)
        following = len(set(persons.values()))
        for track in sorted(shots):
            if track not in persons:  # no readable face: its own person, left out of the people table
                persons[track], following = following, following + 1
        report.faces[:] = [replace(f, person=persons[f.track]) for f in report.faces]
        report.people_linked = True


def account_for_the_end(report: VideoReport, after: int) -> None:
    """Split ``report``'s sampled frames not analysed into damaged and unreadable, and set its status.

    ``after``: sampled frames after the last analysed one. None of them could be read, so
    the file ends there (cut short, or its end is damaged): they are unreadable and the
    status is ``"truncated"``, whether the decoder delivered them as broken frames or not at
    all. The frames not analysed before the last analysed one are damaged frames, skipped.
    ``facemotion video`` (one pass) and ``facemotion batch`` (chunks merged) both settle
    their counts and warnings here.

    Frames missing within `WHOLE_FILE_SLACK_SECONDS` of the end of a file whose container
    is whole (`facemotion.apps.containers.file_is_whole`: an MP4 trimmed by stream copy,
    whose edit list skips frames its header counts; a Matroska file whose audio runs on)
    are not in the file: the duration ends with the last frame. A container cut short is
    truncated. Where the container cannot tell (MPEG-TS, AVI, a WebM recorded live), the
    same holds within `END_SLACK_SECONDS`. More frames missing is a cut or a decode that
    broke off: truncated.

    >>> report = VideoReport("clip.avi", 10.0, 4.0, frames_expected=20, frames_analyzed=12, frames_skipped=8)
    >>> report.frame_times = [0.2 * k for k in range(12)]
    >>> account_for_the_end(report, 8)
    >>> report.status, report.frames_skipped, report.frames_unreadable, report.warnings[0][:36]
    ('truncated', 0, 8, 'clip.avi ends early: 8 of 20 sampled')
    """
    last = max(report.frame_times, default=0.0)
    interval = (  # between sampled frames
        1 / report.sample_fps
        if report.sample_fps > 0
        else report.duration / report.frames_expected
        if report.frames_expected
        else 0.0
    )
    missing = report.duration - last  # seconds after the last frame read
    slack = {True: WHOLE_FILE_SLACK_SECONDS, None: END_SLACK_SECONDS, False: -math.inf}[file_is_whole(report.path)]
    if after > 0 and missing <= slack + interval:
        report.frames_expected -= min(after, report.frames_expected - report.frames_analyzed)
        report.duration = min(report.duration, last + interval)
        if "duration" in report.metadata:
            report.metadata["duration"] = report.duration
        after = 0
    not_analysed = max(0, report.frames_expected - report.frames_analyzed)
    report.frames_unreadable = min(max(0, after), not_analysed)
    report.frames_skipped = not_analysed - report.frames_unreadable
    report.status = "truncated" if report.frames_unreadable else "complete"
    report.warnings[:] = [w for w in report.warnings if not _about_the_frames(w, report.name)]
    if report.frames_unreadable:
        report.warnings.append(
            f"{report.name} ends early: {report.frames_unreadable} of {report.frames_expected} sampled frames "
            f"could not be read after {last:.1f} s of its stated {report.duration:.1f} s (the file is cut short "
            "or damaged); those seconds have no data"
        )
    if report.frames_skipped:
        report.warnings.append(_damaged_warning(report.name, report.frames_skipped))


#: Seconds at the end of a whole MP4 or Matroska file (`account_for_the_end`) that may hold no
#: frame without the file being damaged: a trim by stream copy keeps the frames from the key
#: frame before its cut, which the edit list skips but the frame count counts, at most one
#: key-frame interval (x264's default: 250 frames, 8.3 s at 30 fps). More is a decode that broke off.
WHOLE_FILE_SLACK_SECONDS = 10.0

#: Seconds at the end of a video whose container cannot tell whether it is whole
#: (`account_for_the_end`) that may hold no frame without the file being cut short: the
#: length it states runs from the first packet of any stream, so a video that starts late
#: (0.8 s in the shared clip converted to WebM) or audio that runs on counts in it.
END_SLACK_SECONDS = 1.0


def _about_the_frames(warning: str, name: str) -> bool:
    """Whether ``warning`` is one `account_for_the_end` writes (replaced when it settles the counts again)."""
    return warning.startswith(f"{name} ends early: ") or (
        warning.startswith(f"{name}: ") and " damaged frame" in warning and "could not be decoded" in warning
    )


def _damaged_warning(name: str, skipped: int) -> str:
    return f"{name}: {skipped} damaged frame{'s' if skipped != 1 else ''} could not be decoded and " + (
        "were skipped" if skipped != 1 else "was skipped"
    )


def analyze_frames(
    frames: Iterable[tuple[int, float, NDArray[np.uint8] | None]],
    classifier: Any,
    report: VideoReport,
    *,
    batch_frames: int = 8,
    on_frame: Callable[[int], object] | None = None,
    link_people: bool = True,
    log_warnings: bool = True,
    settle_end: bool = True,
    previous: NDArray[np.uint8] | None = None,
) -> VideoReport:
    """Add the faces of ``frames`` (from `iter_frames`) to ``report`` (see `FrameAnalyzer`).

    ``on_frame(1)`` is called per frame (a progress bar's ``update``). Set
    ``report.frames_expected`` first (`sampled_frame_count`) to have frames the file
    never gives counted as unreadable. Ctrl-C raises `AnalysisInterrupted` holding the
    finished part. ``log_warnings=False`` leaves the report's warnings unlogged (a chunk of a
    video, whose warnings only the merge of all chunks can settle); ``settle_end=False`` leaves
    the end of the video to that merge too (`FrameAnalyzer.finish`). ``previous``: the sampled frame
    before the first of ``frames`` (a chunk's), seen only by the shot-cut detector, so that a cut
    between the two is found (the first frame analysed is never one).
    """
    analyzer = FrameAnalyzer(classifier, report, batch_frames, link_people=link_people)
    if previous is not None:
        analyzer.cuts.is_cut(previous)
    try:
        for frame, time, image in frames:
            if on_frame is not None:
                on_frame(1)
            analyzer.add(frame, time, image)
    except KeyboardInterrupt as interrupt:
        raise AnalysisInterrupted(analyzer.finish(interrupted=True, log_warnings=log_warnings), interrupt) from None
    return analyzer.finish(log_warnings=log_warnings, settle_end=settle_end)


def analyze_video(
    path: str | Path,
    classifier: Any = None,
    *,
    sample_fps: float = 5.0,
    batch_frames: int = 8,
    progress: bool | None = None,
    quality: QualityGate | None = None,
    link_people: bool = True,
) -> VideoReport:
    """Analyse a video: every face in frames sampled at ``sample_fps``, tracked, judged, linked into people.

    Args:
        path: the video file.
        classifier: an `facemotion.EmotionClassifier` (default: the bundled model).
        sample_fps: frames analysed per second of video (finite, above 0).
        batch_frames: sampled frames whose faces go to the model in one call.
        progress: show a progress bar (default: when on a terminal).
        quality: which faces are too poor to count (default `QualityGate()`).
        link_people: link face tracks of different shots that look alike into one person.

    A file that ends before its stated length gives a report with ``status``
    ``"truncated"`` and a warning; Ctrl-C raises `AnalysisInterrupted`, whose ``report``
    holds what was finished.

    >>> report = analyze_video("audience.mp4")  # doctest: +SKIP
    >>> report.save("reaction/")  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    from facemotion.api import checked_classifier

    if not isinstance(path, (str, PathLike)):
        raise VideoReadError(f"analyze_video takes the path of one video file, not {type(path).__name__}")
    if quality is not None and not isinstance(quality, QualityGate):
        raise FacemotionError(f"quality must be a QualityGate or None, not {type(quality).__name__}")
    fps, total = stated_frames(path)
    step = sample_step(fps, sample_fps)
    clf = checked_classifier(classifier, "analyze_video")
    report = VideoReport(
        str(path),
        fps,
        total / fps,
        sample_fps=fps / step,
        frames_expected=sampled_frame_count(total, step),
        quality=quality or QualityGate(),
    )
    report.metadata = video_metadata(path, clf, fps / step, sample_fps) | {"duration": report.duration}
    report.warnings.extend(rate_warning(report.name, fps, step, sample_fps))
    with tqdm(
        total=report.frames_expected or None,
        desc="video",
        unit="frame",
        disable=(not progress) if progress is not None else None,
    ) as bar:
        analyze_frames(
            iter_frames(path, sample_fps),
            clf,
            report,
            batch_frames=batch_frames,
            on_frame=bar.update,
            link_people=link_people,
        )
    if report.frames_analyzed == 0 and report.frames_skipped == 0:
        raise VideoReadError(f"{path} has no frames")
    return report


def analyze_stream(
    source: str | int | PathLike[str],
    out_dir: str | Path,
    classifier: Any = None,
    *,
    sample_fps: float = 5.0,
    on_second: Callable[[dict[str, Any]], object] | None = None,
    max_seconds: float | None = None,
) -> VideoReport:
    """Analyse a live source (camera, stream URL, or a file read as a stream) until it ends or Ctrl-C.

    Each analysed frame's faces are appended to ``out_dir/frames.csv`` at once (flushed),
    and ``on_second`` gets a summary of every finished second (``time``, ``frames``
    analysed, ``faces``, ``valence``, ``top`` emotion; readable faces only; ``faces`` is
    ``None`` for a second with no analysed frame). On Ctrl-C (the way to stop a
    camera) or the end of the stream everything so far is kept and the data files are
    written (`VideoReport.save`); the report is rendered by the caller. A video file read
    this way is interrupted by Ctrl-C, as in `analyze_video`: its data files are written
    with status ``"interrupted"`` and `AnalysisInterrupted` is raised, holding the report.

    >>> analyze_stream(0, "live/", on_second=print)  # doctest: +SKIP
    {'time': 0, 'faces': 3, 'valence': 0.41, 'top': 'happy'}
    """
    from facemotion.api import checked_classifier

    if isinstance(source, PathLike):
        source = fspath(source)
    clf = checked_classifier(classifier, "analyze_stream")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FacemotionError(f"out_dir {out} is an existing file; give a folder to write into")
    out.mkdir(parents=True, exist_ok=True)
    cap = open_source(source)
    timed = isinstance(source, str) and Path(source).is_file()  # a file's frames carry their times (`frame_time`)
    fps, total = rate_and_count(cap, MAX_STATED_FPS if timed else MAX_STREAM_FPS)
    every = sample_step(fps, sample_fps)
    report = VideoReport(
        str(source), fps, 0.0, sample_fps=fps / every, frames_expected=sampled_frame_count(total, every) if timed else 0
    )
    report.metadata = video_metadata(str(source), clf, fps / every, sample_fps)
    report.warnings.extend(rate_warning(report.name, fps, every, sample_fps))
    analyzer = FrameAnalyzer(clf, report, batch_frames=1)  # no batching: rows are written as they come
    second: list[FrameFace] = []
    current, frames_in_second = 0, 0

    def finish_second() -> None:
        nonlocal frames_in_second
        if on_second is not None:
            used = [f for f in second if f.used]
            on_second(
                {
                    "time": current,
                    "frames": frames_in_second,
                    "faces": len(used) if frames_in_second else None,
                    "valence": round(float(np.mean([f.valence for f in used])), 3) if used else None,
                    "top": commonest_label(used) if used else None,
                }
            )
        second.clear()
        frames_in_second = 0

    index, end = 0, 0.0
    last: tuple[int, float] | None = None
    stopped: KeyboardInterrupt | None = None
    try:
        (out / "report.html").unlink(missing_ok=True)  # an earlier run's page never sits beside these frames
        with (out / "frames.csv").open("w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
            writer = csv.DictWriter(handle, fieldnames=FRAME_FIELDS)
            writer.writeheader()
            while True:
                ok = cap.grab()
                if not ok:
                    break
                time = frame_time(cap.get(cv2.CAP_PROP_POS_MSEC), index, fps, last) if timed else index / fps
                if max_seconds is not None and time >= max_seconds:
                    break
                last, end = (index, time), time + 1 / fps
                index += 1
                if (index - 1) % every:
                    continue
                while int(time) > current:
                    finish_second()
                    current += 1
                ok, frame = cap.retrieve()
                image = (
                    np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), np.uint8) if ok and frame is not None else None
                )
                faces = analyzer.add(index - 1, time, image)
                writer.writerows({k: _csv_value(v) for k, v in f.to_row().items()} for f in faces)
                handle.flush()
                second.extend(faces)
                frames_in_second += 1
    except KeyboardInterrupt as err:  # how a camera or stream is stopped; a file's analysis is interrupted
        log.warning("stopped: keeping the %d faces analysed so far", len(report.faces))
        stopped = err if timed else None
    finally:
        cap.release()
    finish_second()
    if stopped is None or not total:
        report.duration = end
    else:  # a file's stated length: the seconds not reached have no data
        report.duration = max(end, total / fps)
    report.metadata["duration"] = report.duration
    analyzer.finish(interrupted=stopped is not None)
    report.save(out)
    if stopped is not None:
        raise AnalysisInterrupted(report, stopped)
    return report
