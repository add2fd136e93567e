"""Many photos and videos at once, on one machine or a Ray cluster: one row per face, in Parquet.

The work is split into *tasks*: one per photo, one per ``chunk_seconds`` of each video
(so one long video spreads over workers). Each task runs the same per-file analysis as
`facemotion.apps.analyze_video` / `EmotionClassifier.predict` and gives one
row per face plus one status row for its input. ``engine="local"`` runs the tasks in
this process; ``engine="ray"`` hands them to Ray Data, whose actor pool loads one
`facemotion.EmotionClassifier` per worker (never pickled per task). The rows are
identical; the driver writes them:

- ``OUT/faces.parquet/``: one row per face, partitioned by input (``input=<id>``), with
  ``path, input, chunk, frame, time, person, x, y, w, h, label, score, detection_score,
  valence, arousal, p_<label>…``. ``frame``/``time`` are 0 for photos. **Person ids are
  per chunk**: the tracker restarts at each chunk (and at each shot cut), and ids are
  ``chunk * 1000 + id`` so that they never collide within a video.
- ``OUT/inputs.parquet``: one row per input: ``path, input, kind, faces, frames, fps,
  duration, error`` (``error`` is null when the input was analysed; a corrupt photo or an
  undecodable video is a row with its message, never dropped).
- ``OUT/videos/<name>-<id>/``: per video, the same ``timeline.csv``, ``people.csv``,
  ``summary.json`` and ``timeline.png`` as ``facemotion video``, computed from the rows.

Re-running over the same ``OUT`` skips the inputs already analysed without error.

>>> from facemotion.scale import run_batch  # doctest: +SKIP
>>> run_batch(["photos/", "recordings/*.mp4"], "results/", engine="ray", workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

import glob
import hashlib
import logging
import math
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from facemotion.errors import FacemotionError
from facemotion.inputs import VIDEO_SUFFIXES
from facemotion.io import IMAGE_SUFFIXES
from facemotion.labels import EMOTIONS

log = logging.getLogger(__name__)

Engine = Literal["local", "ray"]
FACE_COLUMNS = [
    "path",
    "input",
    "chunk",
    "frame",
    "time",
    "person",
    "x",
    "y",
    "w",
    "h",
    "label",
    "score",
    "detection_score",
    "valence",
    "arousal",
    *(f"p_{label}" for label in EMOTIONS),
]
INPUT_COLUMNS = ["path", "input", "kind", "faces", "frames", "fps", "duration", "error"]
PERSONS_PER_CHUNK = 1000


@dataclass(frozen=True)
class Task:
    """One unit of work: a photo, or frames ``[start, stop)`` of a video."""

    path: str
    input: str
    kind: Literal["image", "video"]
    chunk: int = 0
    start: int = 0
    stop: int | None = None
    fps: float = 0.0
    duration: float = 0.0
    error: str | None = None


def input_id(path: str) -> str:
    """A short stable id for an input path (its Parquet partition).

    >>> input_id("a.jpg") == input_id("a.jpg") != input_id("b.jpg")
    True
    """
    return hashlib.sha1(path.encode()).hexdigest()[:12]


def expand_inputs(inputs: Iterable[str]) -> list[str]:
    """Files, folders (recursively) and glob patterns, as sorted paths of images and videos.

    Remote URIs (``s3://…``) are listed with pyarrow's filesystems.
    """
    suffixes = IMAGE_SUFFIXES | VIDEO_SUFFIXES
    out: list[str] = []
    for raw in inputs:
        if "://" in raw:
            out.extend(_remote_listing(raw, suffixes))
            continue
        matches = sorted(glob.glob(raw, recursive=True)) if glob.has_magic(raw) else [raw]
        for match in matches:
            path = Path(match)
            if path.is_dir():
                out.extend(str(p) for p in sorted(path.rglob("*")) if p.is_file() and p.suffix.lower() in suffixes)
            else:
                out.append(match)
    if not out:
        raise FacemotionError(f"no images or videos found in {', '.join(inputs)}")
    return out


def _remote_listing(uri: str, suffixes: frozenset[str]) -> list[str]:
    from pyarrow import fs

    filesystem, root = fs.FileSystem.from_uri(uri)
    scheme = uri.split("://", 1)[0]
    info = filesystem.get_file_info(root)
    if info.type == fs.FileType.File:
        return [uri]
    listing = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    return sorted(
        f"{scheme}://{f.path}"
        for f in listing
        if f.type == fs.FileType.File and Path(f.path).suffix.lower() in suffixes
    )


def plan_tasks(paths: Sequence[str], chunk_seconds: float = 30.0) -> list[Task]:
    """One task per photo and per ``chunk_seconds`` of each video; unreadable videos become error tasks."""
    from facemotion.apps.video import video_info

    tasks = []
    for path in paths:
        ident = input_id(path)
        if Path(path).suffix.lower() not in VIDEO_SUFFIXES:
            tasks.append(Task(path, ident, "image"))
            continue
        try:
            with _LocalCopy(path) as local:
                fps, duration = video_info(local)
        except (FacemotionError, OSError) as err:
            tasks.append(Task(path, ident, "video", error=str(err)))
            continue
        frames = max(1, round(duration * fps))
        step = max(1, round(chunk_seconds * fps))
        for chunk in range(math.ceil(frames / step)):
            stop = None if (chunk + 1) * step >= frames else (chunk + 1) * step
            tasks.append(Task(path, ident, "video", chunk, chunk * step, stop, fps, duration))
    return tasks


class _LocalCopy:
    """A local path for ``path``: itself, or a temporary download of a remote URI."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> str:
        if "://" not in self.path:
            return self.path
        from pyarrow import fs

        filesystem, remote = fs.FileSystem.from_uri(self.path)
        self._tmp = tempfile.TemporaryDirectory()
        local = Path(self._tmp.name) / Path(remote).name
        with filesystem.open_input_stream(remote) as src, local.open("wb") as dst:
            dst.write(src.read())
        return str(local)

    def __exit__(self, *exc: object) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()


class TaskAnalyzer:
    """Runs tasks with one classifier (an actor in Ray's pool; built once per worker)."""

    def __init__(
        self,
        model: str | None = None,
        detector: str | None = None,
        sample_fps: float = 5.0,
        revision: str | None = None,
        mirror: bool | None = None,
        threads: int | None = None,
    ) -> None:
        from facemotion.api import EmotionClassifier
        from facemotion.runtime import FaceModel

        face_model = FaceModel(model, revision, mirror=mirror, threads=threads)
        self.classifier = EmotionClassifier(face_model, detector=detector)
        self.sample_fps = sample_fps

    def run(self, task: Task) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The face rows of one task and its status row."""
        status: dict[str, Any] = {
            "path": task.path,
            "input": task.input,
            "kind": task.kind,
            "faces": 0,
            "frames": 0,
            "fps": task.fps,
            "duration": task.duration,
            "error": task.error,
        }
        if task.error is not None:
            return [], status
        try:
            with _LocalCopy(task.path) as local:
                rows = self._image(task, local) if task.kind == "image" else self._video(task, local, status)
        except (FacemotionError, OSError) as err:
            status["error"] = str(err)
            return [], status
        status["faces"] = len(rows)
        status["frames"] = status["frames"] or 1
        return rows, status

    def _image(self, task: Task, local: str) -> list[dict[str, Any]]:
        faces = self.classifier.predict(local)
        return [
            _row(
                task,
                0,
                0.0,
                i,
                f.box or (0, 0, 0, 0),
                f.label,
                f.score,
                f.detection_score,
                f.valence,
                f.arousal,
                list(f.probabilities.values()),
            )
            for i, f in enumerate(faces)
        ]

    def _video(self, task: Task, local: str, status: dict[str, Any]) -> list[dict[str, Any]]:
        from facemotion.apps.video import VideoReport, analyze_frames, iter_frames

        report = VideoReport(task.path, task.fps, task.duration)
        analyze_frames(iter_frames(local, self.sample_fps, task.start, task.stop), self.classifier, report)
        status["frames"] = report.frames_analyzed
        return [
            _row(
                task,
                f.frame,
                f.time,
                task.chunk * PERSONS_PER_CHUNK + f.person,
                f.box,
                f.label,
                f.score,
                f.detection_score,
                f.valence,
                f.arousal,
                list(f.probabilities),
            )
            for f in report.faces
        ]

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Ray Data's ``map_batches`` entry: a batch of tasks in, their rows out (faces and statuses)."""
        rows: list[dict[str, Any]] = []
        for i in range(len(batch["path"])):
            task = Task(**{k: _plain(batch[k][i]) for k in Task.__dataclass_fields__})
            faces, status = self.run(task)
            rows.extend({"row": "face", **r} for r in faces)
            rows.append({"row": "input", "chunk": task.chunk, **status})
        return _columns(rows)


def _row(
    task: Task,
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
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "path": task.path,
        "input": task.input,
        "chunk": task.chunk,
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
    return row


def _plain(value: Any) -> Any:
    """numpy scalars and NaN (Ray's batches) back to Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ["row", *FACE_COLUMNS, *(k for k in INPUT_COLUMNS if k not in FACE_COLUMNS)]
    return {k: np.array([r.get(k) for r in rows], dtype=object) for k in keys}


def _run_local(tasks: list[Task], options: dict[str, Any]) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm

    analyzer = TaskAnalyzer(**options)
    rows: list[dict[str, Any]] = []
    for task in tqdm(tasks, desc="batch", unit="task", disable=None):
        faces, status = analyzer.run(task)
        rows.extend({"row": "face", **r} for r in faces)
        rows.append({"row": "input", "chunk": task.chunk, **status})
    return rows


def _run_ray(tasks: list[Task], options: dict[str, Any], workers: int, address: str | None) -> list[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise FacemotionError("the ray engine needs Ray: pip install 'facemotion[ray]'") from None
    if not ray.is_initialized():
        ray.init(
            address=address,
            num_cpus=None if address else workers,
            log_to_driver=False,
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    items = [{k: getattr(t, k) for k in Task.__dataclass_fields__} for t in tasks]
    data = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    out = data.map_batches(
        TaskAnalyzer,
        fn_constructor_kwargs=options | {"threads": 1},  # one core per actor (num_cpus=1)
        batch_size=1,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,
    )
    return [{k: _plain(v) for k, v in row.items()} for row in out.iter_rows()]


def run_batch(
    inputs: Sequence[str],
    out: str | Path,
    *,
    engine: Engine = "local",
    workers: int = 2,
    address: str | None = None,
    model: str | None = None,
    revision: str | None = None,
    detector: str | None = None,
    mirror: bool | None = None,
    sample_fps: float = 5.0,
    chunk_seconds: float = 30.0,
) -> dict[str, int]:
    """Analyse every photo and video of ``inputs`` into ``out`` (see the module's docs).

    ``model``, ``revision``, ``detector`` and ``mirror`` are those of `facemotion.EmotionClassifier`.
    Returns counts: ``inputs``, ``skipped`` (already done), ``faces``, ``errors``.
    """
    options = {"model": model, "revision": revision, "detector": detector, "mirror": mirror, "sample_fps": sample_fps}
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = expand_inputs(inputs)
    done = _finished_inputs(out_dir)
    todo = [p for p in paths if input_id(p) not in done]
    tasks = plan_tasks(todo, chunk_seconds)
    if engine == "ray" and tasks:
        rows = _run_ray(tasks, options, workers, address)
    elif engine == "local":
        rows = _run_local(tasks, options) if tasks else []
    elif engine != "ray":
        raise FacemotionError(f"unknown engine {engine!r}; use 'local' or 'ray'")
    else:
        rows = []
    faces = sorted((r for r in rows if r["row"] == "face"), key=lambda r: (r["path"], r["frame"], r["person"], r["x"]))
    statuses = _merge_statuses([r for r in rows if r["row"] == "input"])
    # a re-run replaces the partitions of the inputs it redoes (an earlier failure or interruption)
    for status in statuses:
        for stale in (out_dir / "faces.parquet").glob(f"input={status['input']}"):
            shutil.rmtree(stale)
    if faces:
        table = pa.Table.from_pylist([{k: r.get(k) for k in FACE_COLUMNS} for r in faces])
        pq.write_to_dataset(table, out_dir / "faces.parquet", partition_cols=["input"])
    _update_inputs(out_dir / "inputs.parquet", statuses)
    _write_video_reports(out_dir, faces, statuses)
    return {
        "inputs": len(paths),
        "skipped": len(paths) - len(todo),
        "faces": len(faces),
        "errors": sum(s["error"] is not None for s in statuses),
    }


def _merge_statuses(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One status per input from its chunks' statuses (the first error wins)."""
    merged: dict[str, dict[str, Any]] = {}
    for s in sorted(chunks, key=lambda s: (s["path"], s.get("chunk") or 0)):
        row = {k: s.get(k) for k in INPUT_COLUMNS}
        key = str(row["input"])
        if key not in merged:
            merged[key] = row
            continue
        m = merged[key]
        m["faces"] += row["faces"]
        m["frames"] += row["frames"]
        m["error"] = m["error"] or row["error"]
    return list(merged.values())


def _finished_inputs(out_dir: Path) -> set[str]:
    path = out_dir / "inputs.parquet"
    if not path.is_file():
        return set()
    import pyarrow.parquet as pq

    table = pq.read_table(path).to_pylist()
    return {r["input"] for r in table if r["error"] is None}


def _update_inputs(path: Path, statuses: list[dict[str, Any]]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pq.read_table(path).to_pylist() if path.is_file() else []
    redone = {s["input"] for s in statuses}
    rows = [r for r in rows if r["input"] not in redone] + statuses
    schema = pa.schema(
        [
            ("path", pa.string()),
            ("input", pa.string()),
            ("kind", pa.string()),
            ("faces", pa.int64()),
            ("frames", pa.int64()),
            ("fps", pa.float64()),
            ("duration", pa.float64()),
            ("error", pa.string()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(sorted(rows, key=lambda r: r["path"]), schema=schema), path)


def _write_video_reports(out_dir: Path, faces: list[dict[str, Any]], statuses: list[dict[str, Any]]) -> None:
    """``facemotion video``'s files for each video, computed from the rows."""
    from facemotion.apps.video import FrameFace, VideoReport

    for status in statuses:
        if status["kind"] != "video" or status["error"] is not None:
            continue
        report = VideoReport(status["path"], status["fps"], status["duration"], frames_analyzed=status["frames"])
        for r in faces:
            if r["input"] == status["input"]:
                report.faces.append(
                    FrameFace(
                        r["frame"],
                        r["time"],
                        r["person"],
                        (r["x"], r["y"], r["w"], r["h"]),
                        r["label"],
                        r["score"],
                        r["valence"],
                        r["arousal"],
                        tuple(r[f"p_{k}"] for k in EMOTIONS),
                        r["detection_score"],
                    )
                )
        report.save(out_dir / "videos" / f"{Path(status['path']).stem}-{status['input']}")
