"""Audience reaction over a video: per-frame faces, people, a per-second timeline, a plot.

Frames are decoded as a stream (memory does not grow with the video's length),
sampled at ``sample_fps``, and their faces classified in batches across frames.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.apps.tracking import IoUTracker
from facemotion.detection import DetectedFace
from facemotion.errors import VideoReadError
from facemotion.labels import EMOTIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameFace:
    """One face in one analysed frame."""

    frame: int
    time: float
    person: int
    box: tuple[int, int, int, int]
    emotion: str
    confidence: float
    valence: float
    arousal: float
    probabilities: tuple[float, ...]

    def to_row(self) -> dict[str, Any]:
        row = {k: v for k, v in asdict(self).items() if k not in ("probabilities", "box")}
        row.update(x=self.box[0], y=self.box[1], w=self.box[2], h=self.box[3])
        row.update({f"p_{label}": p for label, p in zip(EMOTIONS, self.probabilities, strict=True)})
        return row


@dataclass
class VideoReport:
    """Everything :func:`analyze_video` found.

    Attributes:
        path: the video.
        fps: the video's frame rate; ``duration``: its length in seconds.
        frames_analyzed, frames_skipped: sampled frames analysed, and broken frames skipped.
        faces: one :class:`FrameFace` per face per analysed frame.
    """

    path: str
    fps: float
    duration: float
    frames_analyzed: int = 0
    frames_skipped: int = 0
    faces: list[FrameFace] = field(default_factory=list)

    def timeline(self, step: float = 1.0) -> list[dict[str, Any]]:
        """Per ``step`` seconds: faces seen, mean valence and arousal, share of each emotion."""
        bins: dict[int, list[FrameFace]] = defaultdict(list)
        for f in self.faces:
            bins[int(f.time // step)].append(f)
        rows = []
        for b in range(math.ceil(self.duration / step) if self.duration > 0 else 0):
            faces = bins.get(b, [])
            row: dict[str, Any] = {"time": b * step, "faces": len(faces)}
            row["valence"] = float(np.mean([f.valence for f in faces])) if faces else None
            row["arousal"] = float(np.mean([f.arousal for f in faces])) if faces else None
            for label in EMOTIONS:
                row[label] = sum(f.emotion == label for f in faces) / len(faces) if faces else None
            rows.append(row)
        return rows

    def people(self) -> list[dict[str, Any]]:
        """Per tracked person: when seen, how often, mean valence/arousal, dominant emotion."""
        by_person: dict[int, list[FrameFace]] = defaultdict(list)
        for f in self.faces:
            by_person[f.person].append(f)
        rows = []
        for pid, faces in sorted(by_person.items()):
            probs = np.mean([f.probabilities for f in faces], axis=0)
            rows.append(
                {
                    "person": pid,
                    "first_seen": faces[0].time,
                    "last_seen": faces[-1].time,
                    "frames": len(faces),
                    "valence": float(np.mean([f.valence for f in faces])),
                    "arousal": float(np.mean([f.arousal for f in faces])),
                    "dominant_emotion": EMOTIONS[int(np.argmax(probs))],
                }
            )
        return rows

    def summary(self, segments: int = 5) -> dict[str, Any]:
        """Means, peak moments, and the dominant emotion of each of ``segments`` equal parts."""
        line = [r for r in self.timeline() if r["faces"]]
        out: dict[str, Any] = {
            "path": self.path,
            "duration": self.duration,
            "frames_analyzed": self.frames_analyzed,
            "frames_skipped": self.frames_skipped,
            "faces": len(self.faces),
            "people": len({f.person for f in self.faces}),
            "mean_valence": float(np.mean([f.valence for f in self.faces])) if self.faces else None,
            "mean_arousal": float(np.mean([f.arousal for f in self.faces])) if self.faces else None,
        }
        if line:
            out["peak_valence"] = max(line, key=lambda r: r["valence"])["time"]
            out["lowest_valence"] = min(line, key=lambda r: r["valence"])["time"]
            out["peak_arousal"] = max(line, key=lambda r: r["arousal"])["time"]
        length = self.duration / segments if self.duration > 0 else 0
        parts = []
        for i in range(segments if length else 0):
            faces = [f for f in self.faces if i * length <= f.time < (i + 1) * length]
            dominant = EMOTIONS[int(np.argmax(np.mean([f.probabilities for f in faces], axis=0)))] if faces else None
            parts.append(
                {"start": i * length, "end": (i + 1) * length, "faces": len(faces), "dominant_emotion": dominant}
            )
        out["segments"] = parts
        return out

    def to_pandas(self) -> dict[str, Any]:
        """``{"frames", "timeline", "people"}`` as pandas DataFrames."""
        import pandas as pd

        return {
            "frames": pd.DataFrame([f.to_row() for f in self.faces]),
            "timeline": pd.DataFrame(self.timeline()),
            "people": pd.DataFrame(self.people()),
        }

    def save(self, out_dir: str | Path, plot: bool = True) -> Path:
        """Write ``frames.csv``, ``timeline.csv``, ``people.csv``, ``summary.json`` and ``timeline.png``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        frame_fields = [*FrameFace.__dataclass_fields__.keys()]
        frame_fields = (
            [k for k in frame_fields if k not in ("probabilities", "box")]
            + ["x", "y", "w", "h"]
            + [f"p_{e}" for e in EMOTIONS]
        )
        _write_csv(out / "frames.csv", [f.to_row() for f in self.faces], frame_fields)
        _write_csv(out / "timeline.csv", self.timeline(), ["time", "faces", "valence", "arousal", *EMOTIONS])
        people_fields = ["person", "first_seen", "last_seen", "frames", "valence", "arousal", "dominant_emotion"]
        _write_csv(out / "people.csv", self.people(), people_fields)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        if plot:
            from facemotion.apps.plots import plot_timeline

            plot_timeline(self.timeline(), out / "timeline.png", title=Path(self.path).name)
        return out


def _write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def iter_frames(path: str | Path, sample_fps: float) -> Iterator[tuple[int, float, NDArray[np.uint8] | None]]:
    """Yield ``(frame index, time, RGB frame or None if broken)`` at about ``sample_fps``.

    Raises :class:`VideoReadError` when the file cannot be opened as a video.
    """
    path = Path(path)
    if not path.is_file():
        raise VideoReadError(f"{path}: no such file")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoReadError(f"{path} is not a video OpenCV can decode")
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        every = max(1, round(fps / sample_fps)) if sample_fps > 0 else 1
        index, failures = 0, 0
        while True:
            ok = cap.grab()
            if not ok:
                if total and index < total and failures < 25:
                    failures += 1
                    if index % every == 0:
                        yield index, index / fps, None
                    index += 1
                    continue
                break
            failures = 0
            if index % every == 0:
                ok, frame = cap.retrieve()
                rgb = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), np.uint8) if ok and frame is not None else None
                yield index, index / fps, rgb
            index += 1
    finally:
        cap.release()


def video_info(path: str | Path) -> tuple[float, float]:
    """``(fps, duration in seconds)`` of a video."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoReadError(f"{path} is not a video OpenCV can decode")
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        return fps, (cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) / fps
    finally:
        cap.release()


def analyze_video(
    path: str | Path,
    classifier: Any = None,
    *,
    sample_fps: float = 5.0,
    batch_frames: int = 8,
    progress: bool | None = None,
) -> VideoReport:
    """Analyse a video: every face in frames sampled at ``sample_fps``, tracked across frames.

    Args:
        path: the video file.
        classifier: an :class:`~facemotion.EmotionClassifier` (default: the bundled model).
        sample_fps: frames analysed per second of video.
        batch_frames: sampled frames whose faces go to the model in one call.
        progress: show a progress bar (default: when on a terminal).

    >>> report = analyze_video("audience.mp4")  # doctest: +SKIP
    >>> report.save("reaction/")  # doctest: +SKIP
    """
    from tqdm.auto import tqdm

    from facemotion.api import EmotionClassifier

    clf = classifier or EmotionClassifier()
    fps, duration = video_info(path)
    report = VideoReport(str(path), fps, duration)
    tracker = IoUTracker()
    pending: list[tuple[int, float, list[DetectedFace], list[int], list[NDArray[np.uint8]]]] = []

    def flush() -> None:
        crops = [c for *_, cs in pending for c in cs]
        out = clf.model.run(crops) if crops else None
        i = 0
        for frame, time, faces, ids, _ in pending:
            for face, pid in zip(faces, ids, strict=True):
                assert out is not None
                probs = out.probabilities[i]
                top = int(np.argmax(probs))
                report.faces.append(
                    FrameFace(
                        frame,
                        time,
                        pid,
                        face.box,
                        EMOTIONS[top],
                        float(probs[top]),
                        float(out.affect[i, 0]),
                        float(out.affect[i, 1]),
                        tuple(float(p) for p in probs),
                    )
                )
                i += 1
        pending.clear()

    expected = int(duration * sample_fps) + 1
    bar = tqdm(total=expected, desc="video", unit="frame", disable=(not progress) if progress is not None else None)
    for frame, time, image in iter_frames(path, sample_fps):
        bar.update(1)
        if image is None:
            report.frames_skipped += 1
            log.warning("%s: frame %d could not be decoded; skipped", path, frame)
            continue
        faces, crops = clf.detect_and_crop(image)
        ids = tracker.update([f.box for f in faces])
        pending.append((frame, time, faces, ids, crops))
        report.frames_analyzed += 1
        if len(pending) >= batch_frames:
            flush()
    flush()
    bar.close()
    if report.frames_analyzed == 0 and report.frames_skipped == 0:
        raise VideoReadError(f"{path} has no frames")
    return report
