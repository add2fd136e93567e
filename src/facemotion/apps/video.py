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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.apps.tracking import IoUTracker, ShotCutDetector
from facemotion.detection import DetectedFace
from facemotion.errors import VideoReadError
from facemotion.labels import EMOTIONS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameFace:
    """One face in one analysed frame (``label``/``score``/``detection_score`` as in `facemotion.FaceEmotion`)."""

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


@dataclass
class VideoReport:
    """Everything `analyze_video` found.

    Attributes:
        path: the video.
        fps: the video's frame rate; ``duration``: its length in seconds.
        frames_analyzed, frames_skipped: sampled frames analysed, and broken frames skipped.
        faces: one `FrameFace` per face per analysed frame.
        shot_cuts: times (s) of the shot cuts found; person ids never continue across one.
    """

    path: str
    fps: float
    duration: float
    frames_analyzed: int = 0
    frames_skipped: int = 0
    faces: list[FrameFace] = field(default_factory=list)
    shot_cuts: list[float] = field(default_factory=list)

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
                row[label] = sum(f.label == label for f in faces) / len(faces) if faces else None
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
            "shot_cuts": self.shot_cuts,
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
        """Write ``frames.csv``, ``timeline.csv``, ``people.csv``, ``summary.json``, and with ``plot``
        ``timeline.png`` and ``report.html`` (one offline file to hand to a client, see `facemotion.apps.report`)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        _write_csv(out / "frames.csv", [f.to_row() for f in self.faces], FRAME_FIELDS)
        _write_csv(out / "timeline.csv", self.timeline(), ["time", "faces", "valence", "arousal", *EMOTIONS])
        people_fields = ["person", "first_seen", "last_seen", "frames", "valence", "arousal", "dominant_emotion"]
        _write_csv(out / "people.csv", self.people(), people_fields)
        (out / "summary.json").write_text(json.dumps(self.summary(), indent=2) + "\n")
        if plot:
            from facemotion.apps.plots import plot_timeline
            from facemotion.apps.report import video_report_html

            plot_timeline(self.timeline(), out / "timeline.png", title=Path(self.path).name)
            video_report_html(self, out / "report.html")
        return out


def _write_csv(path: Path, rows: list[dict[str, Any]], fields: list[str]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def iter_frames(
    path: str | Path, sample_fps: float, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, float, NDArray[np.uint8] | None]]:
    """Yield ``(frame index, time, RGB frame or None if broken)`` at about ``sample_fps``.

    ``start``/``stop`` limit it to frames ``start <= index < stop`` (a chunk of a long
    video); the sampled frames are those of the whole video, whatever the chunking.
    Raises `VideoReadError` when the file cannot be opened as a video.
    """
    with _capture(path) as cap:
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        every = max(1, round(fps / sample_fps)) if sample_fps > 0 else 1
        index, failures = 0, 0
        if start > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            index = int(cap.get(cv2.CAP_PROP_POS_FRAMES))
            while index < start and cap.grab():  # a container that cannot seek exactly
                index += 1
        while stop is None or index < stop:
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


def video_info(path: str | Path) -> tuple[float, float]:
    """``(fps, duration in seconds)`` of a video; a missing file or a still image is a `VideoReadError`."""
    from facemotion.io import IMAGE_SUFFIXES

    if Path(path).is_file() and Path(path).suffix.lower() in IMAGE_SUFFIXES:  # a missing file: "no such file"
        raise VideoReadError(f"{path} is a still image, not a video; use `facemotion analyze` for photos")
    with _capture(path) as cap:
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        return fps, (cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) / fps


@contextmanager
def _capture(path: str | Path) -> Iterator[Any]:
    """An open ``cv2.VideoCapture`` of a video file, released afterwards; a `VideoReadError` if it cannot be."""
    path = Path(path)
    if not path.is_file():
        raise VideoReadError(f"{path}: no such file")
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise VideoReadError(f"{path} is not a video OpenCV can decode")
        yield cap
    finally:
        cap.release()


class FrameAnalyzer:
    """Faces of successive frames into a `VideoReport`: tracked, reset at shot cuts, batched.

    The faces of ``batch_frames`` frames go to the model in one call; `add` returns
    the faces that a call produced (none while a batch fills), `flush` the rest.
    """

    def __init__(self, classifier: Any, report: VideoReport, batch_frames: int = 8) -> None:
        self.classifier, self.report, self.batch_frames = classifier, report, batch_frames
        self._tracker, self._cuts = IoUTracker(), ShotCutDetector()
        self._pending: list[tuple[int, float, list[DetectedFace], list[int], list[NDArray[np.uint8]]]] = []

    def add(self, frame: int, time: float, image: NDArray[np.uint8] | None) -> list[FrameFace]:
        if image is None:
            self.report.frames_skipped += 1
            log.warning("%s: frame %d could not be decoded; skipped", self.report.path, frame)
            return []
        if self._cuts.is_cut(image):
            self._tracker.reset()  # a new shot: nobody on screen is the same person as before the cut
            self.report.shot_cuts.append(time)
        faces, crops = self.classifier.detect_and_crop(image)
        ids = self._tracker.update([f.box for f in faces])
        self._pending.append((frame, time, faces, ids, crops))
        self.report.frames_analyzed += 1
        return self.flush() if len(self._pending) >= self.batch_frames else []

    def flush(self) -> list[FrameFace]:
        crops = [c for *_, cs in self._pending for c in cs]
        out = self.classifier.model.run(crops) if crops else None
        new: list[FrameFace] = []
        i = 0
        for frame, time, faces, ids, _ in self._pending:
            for face, pid in zip(faces, ids, strict=True):
                assert out is not None
                probs = out.probabilities[i]
                top = int(np.argmax(probs))
                new.append(
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
                        face.score,
                    )
                )
                i += 1
        self._pending.clear()
        self.report.faces.extend(new)
        return new


def analyze_frames(
    frames: Iterable[tuple[int, float, NDArray[np.uint8] | None]],
    classifier: Any,
    report: VideoReport,
    *,
    batch_frames: int = 8,
    on_frame: Callable[[int], object] | None = None,
) -> VideoReport:
    """Add the faces of ``frames`` (from `iter_frames`) to ``report`` (see `FrameAnalyzer`).

    ``on_frame(1)`` is called per frame (a progress bar's ``update``).
    """
    analyzer = FrameAnalyzer(classifier, report, batch_frames)
    for frame, time, image in frames:
        if on_frame is not None:
            on_frame(1)
        analyzer.add(frame, time, image)
    analyzer.flush()
    return report


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
        classifier: an `facemotion.EmotionClassifier` (default: the bundled model).
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
    expected = int(duration * sample_fps) + 1
    with tqdm(
        total=expected, desc="video", unit="frame", disable=(not progress) if progress is not None else None
    ) as bar:
        analyze_frames(iter_frames(path, sample_fps), clf, report, batch_frames=batch_frames, on_frame=bar.update)
    if report.frames_analyzed == 0 and report.frames_skipped == 0:
        raise VideoReadError(f"{path} has no frames")
    return report


def open_source(source: str | int) -> Any:
    """An OpenCV capture of a camera index (``0`` or ``"0"``), a stream URL, or a file."""
    if isinstance(source, str) and source.isdigit():
        source = int(source)
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        cap.release()
        raise VideoReadError(f"cannot open {source!r}: not a camera, stream or video OpenCV can read")
    return cap


def analyze_stream(
    source: str | int,
    out_dir: str | Path,
    classifier: Any = None,
    *,
    sample_fps: float = 5.0,
    on_second: Callable[[dict[str, Any]], object] | None = None,
    max_seconds: float | None = None,
) -> VideoReport:
    """Analyse a live source (camera, stream URL, or a file read as a stream) until it ends or Ctrl-C.

    Each analysed frame's faces are appended to ``out_dir/frames.csv`` at once (flushed),
    and ``on_second`` gets a summary of every finished second (``time``, ``faces``,
    ``valence``, ``top`` emotion). On Ctrl-C or the end of the stream everything so far is
    kept and the usual files (timeline, people, summary, plot, report) are written.

    >>> analyze_stream(0, "live/", on_second=print)  # doctest: +SKIP
    {'time': 0, 'faces': 3, 'valence': 0.41, 'top': 'happy'}
    """
    from facemotion.api import EmotionClassifier

    clf = classifier or EmotionClassifier()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cap = open_source(source)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    report = VideoReport(str(source), fps, 0.0)
    analyzer = FrameAnalyzer(clf, report, batch_frames=1)  # no batching: rows are written as they come
    every = max(1, round(fps / sample_fps)) if sample_fps > 0 else 1
    second: list[FrameFace] = []
    current = 0

    def finish_second() -> None:
        if on_second is not None:
            probs = np.mean([f.probabilities for f in second], axis=0) if second else None
            on_second(
                {
                    "time": current,
                    "faces": len(second),
                    "valence": round(float(np.mean([f.valence for f in second])), 3) if second else None,
                    "top": EMOTIONS[int(np.argmax(probs))] if probs is not None else None,
                }
            )
        second.clear()

    index = 0
    try:
        with (out / "frames.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=FRAME_FIELDS)
            writer.writeheader()
            while max_seconds is None or index / fps < max_seconds:
                ok = cap.grab()
                if not ok:
                    break
                time = index / fps
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
                writer.writerows(f.to_row() for f in faces)
                handle.flush()
                second.extend(faces)
    except KeyboardInterrupt:
        log.warning("interrupted: keeping the %d faces analysed so far", len(report.faces))
    finally:
        cap.release()
    finish_second()
    report.duration = index / fps
    report.save(out)
    return report
