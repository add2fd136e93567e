"""`run_batch`: plan, resume, run an engine, and write each input's rows as soon as it is finished."""

from __future__ import annotations

import errno
import itertools
import json
import logging
import math
import os
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from facemotion.errors import FacemotionError
from facemotion.extras import require
from facemotion.inputs import Skipped, no_inputs_message
from facemotion.io import VIDEO_SUFFIXES
from facemotion.scale.contract import RecordLog, parquet_rows, resume, run_settings, source_key, write_parquet
from facemotion.scale.planning import SUFFIXES, expand_batch_inputs, input_id, plan_tasks
from facemotion.scale.reports import report_folder, write_video_report
from facemotion.scale.rows import FACE_COLUMNS, INPUT_COLUMNS, schema, utf8_paths
from facemotion.scale.stitch import stitch_chunks

log = logging.getLogger(__name__)

Engine = Literal["local", "ray"]
JOURNAL = "progress.jsonl"
_SUMMED = ("faces", "frames", "frames_expected", "frames_skipped", "frames_unreadable")
_LISTS = ("frame_times", "shot_cuts", "warnings")


def _part(out_dir: Path, ident: str) -> Path:
    return out_dir / "faces.parquet" / f"input={ident}" / "part-0.parquet"


def _outputs_intact(out_dir: Path, record: dict[str, Any]) -> bool:
    """A finished input's Parquet part is complete (a cut, empty or corrupt part is redone)."""
    part = _part(out_dir, str(record["input"]))
    if not record.get("faces"):
        return not part.parent.exists()
    return bool(parquet_rows(part) == record["faces"])


def _account_for_the_end(status: dict[str, Any]) -> None:
    """Settle a video's merged chunk counts over the whole video, as one pass would.

    Chunks are analysed apart, so only the merge knows which sampled frames come after
    the last analysed one (the file ends there); `facemotion.apps.video.account_for_the_end`
    splits the frames not analysed and sets the status and warnings.
    """
    from facemotion.apps.frames import sample_step
    from facemotion.apps.video import VideoReport, account_for_the_end

    times = status["frame_times"]
    if not times or not status.get("sample_fps"):
        return
    report = VideoReport(
        status["path"],
        status["fps"],
        status["duration"],
        frames_expected=int(status["frames_expected"] or 0),
        frames_analyzed=int(status["frames"] or 0),
        frame_times=list(times),
        warnings=list(status["warnings"]),
        sample_fps=status["sample_fps"],
    )
    last = round(max(times) * status["fps"]) // sample_step(status["fps"], status["sample_fps"])
    account_for_the_end(report, report.frames_expected - (last + 1))
    status.update(  # the length too: a stated length past the last frame is taken back to it
        status=report.status,
        duration=report.duration,
        frames_expected=report.frames_expected,
        frames_skipped=report.frames_skipped,
        frames_unreadable=report.frames_unreadable,
        warnings=report.warnings,
    )


def _listed(value: Any) -> list[Any]:
    """A list field of a status (frame times, warnings) as a list: None is empty, an array is listed."""
    return [] if value is None else list(value)


def chunk_gap(chunks: Sequence[dict[str, Any]], sample_fps: float) -> tuple[float, float] | None:
    """``(time, gap)`` where two chunks of a video do not meet: the last analysed frame of one
    and the first of the next are ``gap`` seconds apart, not one sampling step; else ``None``.

    A chunk starts by seeking to a frame number, which OpenCV does by time over the average
    frame rate: in a variable-frame-rate video (a phone's) it lands on another frame, so frames
    are missed or read twice and the frame numbers after it are off. In a constant-rate video
    the chunks' sampled frames are one step apart. Two chunks are not judged when either has
    damaged or unread frames.

    >>> done = {"status": "complete", "frames_skipped": 0}
    >>> chunk_gap([{**done, "frame_times": [0.0, 0.2]}, {**done, "frame_times": [0.4, 0.6]}], 5.0) is None
    True
    >>> chunk_gap([{**done, "frame_times": [0.0, 0.2]}, {**done, "frame_times": [0.9, 1.1]}], 5.0)
    (0.2, 0.7)
    >>> chunk_gap([{**done, "frame_times": [0.0, 0.2]}, {**done, "frames_skipped": 1, "frame_times": [0.6]}], 5.0)
    """
    due = 1 / sample_fps
    for a, b in itertools.pairwise(chunks):
        if a.get("status") != "complete" or a.get("frames_skipped") or b.get("frames_skipped"):
            continue
        if not a.get("frame_times"):
            continue
        if b.get("frame_times"):
            end, gap = max(a["frame_times"]), min(b["frame_times"]) - max(a["frame_times"])
            if abs(gap - due) > due / 2:
                return round(end, 6), round(gap, 6)
    return None


class BatchWriter:
    """Writes each input when all its tasks are back: its Parquet part, its video report, its journal line.

    The journal (``OUT/progress.jsonl``, see `facemotion.scale.contract.RecordLog`) is
    what resume reads; ``close`` renders it as ``OUT/inputs.parquet``.
    """

    def __init__(
        self,
        out_dir: Path,
        settings: dict[str, Any],
        keys: dict[str, dict[str, Any]],
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.settings = settings
        self.metadata = metadata or {}  # what made the results, for each video's report
        self.keys = keys
        self.journal = RecordLog(out_dir / JOURNAL)
        self.chunks: Counter[str] = Counter()
        self.faces: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.statuses: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        self.counts = Counter(analysed=0, failed=0, faces=0, truncated=0)

    def add(self, row: dict[str, Any]) -> None:
        """One row from an engine; the input is written once its last chunk's status arrives."""
        ident = str(row["input"])
        if row["row"] == "face":
            self.faces[ident].append({k: row.get(k) for k in FACE_COLUMNS})
            return
        self.statuses[ident][int(row.get("chunk") or 0)] = row  # a task Ray retried is counted once
        if len(self.statuses[ident]) == self.chunks[ident]:
            self._finish(ident)

    def record(self, status: dict[str, Any]) -> dict[str, Any]:
        """The journal record of an input's merged status."""
        path = str(status["path"])
        key = self.keys.get(path) or source_key(path)
        record = {k: status.get(k) for k in INPUT_COLUMNS if k in status}
        record.update(size=key["size"], mtime_ns=key["mtime_ns"])
        record.update(model=self.settings["model"], settings=self.settings)
        return record

    def skipped(self, items: Sequence[Skipped]) -> None:
        """Inputs skipped before analysis (special files, empty folders): failed records, retried next run."""
        records = []
        for item in items:
            kind = (
                "folder" if item.path.is_dir() else "video" if item.path.suffix.lower() in VIDEO_SUFFIXES else "image"
            )
            status = {
                "path": source_key(item.path)["path"],
                "kind": kind,
                "status": "skipped",
                "faces": 0,
                "frames": 0,
                "error": item.reason,
            }
            records.append(self.record(status | {"input": input_id(str(item.path))}))
        self.journal.append(records)
        self.counts["failed"] += len(records)

    def _finish(self, ident: str) -> None:
        chunks = [status for _, status in sorted(self.statuses.pop(ident).items())]
        status = dict(chunks[0])
        for k in _LISTS:
            status[k] = _listed(status.get(k))
        for chunk in chunks[1:]:
            for k in _SUMMED:
                status[k] = (status.get(k) or 0) + (chunk.get(k) or 0)
            status["error"] = status["error"] or chunk.get("error")
            for k in _LISTS:
                status[k] += _listed(chunk.get(k))
        states = {c.get("status") for c in chunks}
        status["status"] = next((s for s in ("failed", "truncated") if s in states), "complete")
        if status["error"] is None and status["kind"] == "video":
            _account_for_the_end(status)
            gap = chunk_gap(chunks, status["sample_fps"]) if status.get("sample_fps") else None
            if gap is not None:
                warning = (
                    f"{Path(str(status['path'])).name}: its frame rate varies (a phone's video?), and the chunks it "
                    f"was cut into do not meet at {gap[0]:.1f} s ({gap[1]:+.2f} s apart, not {1 / status['sample_fps']:.2f} "
                    "s): frames after it were missed or read twice and their frame numbers are off; analyse it in one "
                    "piece (`facemotion video`, or `--chunk-seconds` longer than the video)"
                )
                status["warnings"].append(warning)
            for warning in status["warnings"]:  # once the merge has settled them (the chunks log none)
                log.warning("%s", warning)
            if not status["frames"]:
                status["error"] = f"no frame of {status['path']} could be read ({status['frames_expected']} expected)"
                status["status"] = "failed"
        faces = self.faces.pop(ident, [])
        if status["kind"] == "video" and faces:  # numbered as one pass over the whole video numbers them
            faces = stitch_chunks(faces, status["shot_cuts"], status.get("sample_fps") or 0.0)
        faces.sort(key=lambda r: (r["frame"], r["person"], r["x"]))
        part = _part(self.out_dir, ident)
        shutil.rmtree(part.parent, ignore_errors=True)  # an earlier failure or interruption
        if status["error"] is None and faces:
            import pyarrow as pa

            columns = [c for c in FACE_COLUMNS if c != "input"]  # the partition folder says it
            write_parquet(pa.Table.from_pylist(utf8_paths(faces), schema=schema(columns)), part)
        if status["error"] is None and status["kind"] == "video":
            write_video_report(self.out_dir, status, faces, self.metadata)
        self.journal.append([self.record(status)])
        self.counts["failed" if status["error"] else "analysed"] += 1
        self.counts["truncated"] += status["status"] == "truncated"
        self.counts["faces"] += len(faces) if status["error"] is None else 0

    def close(self) -> None:
        """``OUT/inputs.parquet`` from the journal: one row per input finished so far (written atomically).

        ``faces.parquet`` is left holding the parts of those inputs only.
        """
        import pyarrow as pa

        records = self.journal.load()
        finished = {f"input={r['input']}" for r in records if r.get("faces") and r.get("error") is None}
        parts = self.out_dir / "faces.parquet"
        for stale in parts.glob("input=*") if parts.is_dir() else []:
            if stale.name not in finished:  # an input cut short: redone on the next run
                shutil.rmtree(stale, ignore_errors=True)
        rows = []
        for record in records:
            row = {k: record.get(k) for k in INPUT_COLUMNS}
            row["settings"] = json.dumps(record.get("settings"), sort_keys=True)
            rows.append(row)
        table = pa.Table.from_pylist(
            utf8_paths(sorted(rows, key=lambda r: str(r["path"]))), schema=schema(INPUT_COLUMNS)
        )
        write_parquet(table, self.out_dir / "inputs.parquet")


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
    overwrite: bool = False,
) -> dict[str, int]:
    """Analyse every photo and video of ``inputs`` into ``out`` (see `facemotion.scale`).

    ``model``, ``revision``, ``detector`` and ``mirror`` are those of `facemotion.EmotionClassifier`.
    Results already in ``out`` made with another model or settings are a
    `facemotion.scale.contract.SettingsMismatch`, unless ``overwrite`` replaces them.
    Returns counts: ``inputs``, ``skipped`` (already done), ``analysed``, ``failed``
    (including inputs that could not be opened), ``faces`` (found in this run), ``faces_in_all``
    (found for every input done, this run and earlier ones), ``errors``
    (= ``failed``), ``truncated`` (videos that ended before their stated length),
    ``duplicates`` (inputs given more than once). An interruption (Ctrl-C, SIGTERM) keeps every finished input.
    """
    if engine not in ("local", "ray"):
        raise FacemotionError(f"unknown engine {engine!r}; use 'local' or 'ray'")
    require("pyarrow", "batch")  # before any analysis: the results are Parquet
    for name, value in (("sample_fps", sample_fps), ("chunk_seconds", chunk_seconds), ("workers", workers)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise FacemotionError(f"{name} must be a finite number above 0, got {value!r}")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _only_writer(out_dir):
        return _run_batch(inputs, out_dir, engine, workers, address, model, revision, detector, mirror, sample_fps,
                          chunk_seconds, overwrite)  # fmt: skip


@contextmanager
def _only_writer(out_dir: Path) -> Iterator[None]:
    """Hold ``out_dir/.lock`` while a run writes there: a second run into the same folder is refused (two
    writers would remove each other's video reports and interleave the journal)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one run at a time is the user's to keep
        yield
        return
    with open(out_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):  # a file system without locks (NFS)
                log.warning("cannot lock %s (%s): make sure no other batch writes there", out_dir, err.strerror or err)
                yield
                return
            raise FacemotionError(
                f"another facemotion batch is writing into {out_dir}; wait for it, or give another --out"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_batch(
    inputs: Sequence[str],
    out_dir: Path,
    engine: Engine,
    workers: int,
    address: str | None,
    model: str | None,
    revision: str | None,
    detector: str | None,
    mirror: bool | None,
    sample_fps: float,
    chunk_seconds: float,
    overwrite: bool,
) -> dict[str, int]:
    found = expand_batch_inputs(inputs)
    results = os.path.realpath(out_dir / "videos") + os.sep  # the only pictures a run writes
    inside = [p for p in found.paths if "://" not in p and os.path.realpath(p).startswith(results)]
    if inside:  # --out inside an input folder: its own report pictures are results, not inputs
        log.warning("left out %d picture(s) of earlier runs' video reports in %s", len(inside), out_dir / "videos")
        found.paths = [p for p in found.paths if p not in inside]
    if not found.paths:
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in found.skipped)
        raise FacemotionError(no_inputs_message(inputs, SUFFIXES) + (f"; skipped {reasons}" if reasons else ""))
    keys = {p: source_key(p) for p in found.paths}
    from facemotion.apps.video import model_metadata
    from facemotion.runtime import FaceModel

    face_model = FaceModel(model, revision, mirror=mirror, threads=1)
    settings = run_settings(face_model, revision, detector, mirror, fps=sample_fps, chunk_seconds=chunk_seconds)
    metadata = model_metadata(face_model, settings["detector"])
    if overwrite:
        for name in ("faces.parquet", "videos"):
            shutil.rmtree(out_dir / name, ignore_errors=True)
    journal = RecordLog(out_dir / JOURNAL)
    retried = [source_key(s.path) for s in found.skipped]  # their old records are replaced
    _, done = resume(
        journal, [*keys.values(), *retried], settings, overwrite=overwrite, valid=lambda r: _outputs_intact(out_dir, r)
    )
    todo = [p for p in found.paths if keys[p]["path"] not in done]
    writer = BatchWriter(out_dir, settings, keys, metadata)
    rows: Iterator[dict[str, Any]] | None = None
    try:
        writer.skipped(found.skipped)
        tasks = plan_tasks(todo, chunk_seconds)
        writer.chunks.update(t.input for t in tasks)
        for task in tasks:  # leftovers of an interrupted run of this input
            shutil.rmtree(report_folder(out_dir, {"path": task.path, "input": task.input}), ignore_errors=True)
        options = {
            "model": model,
            "revision": revision,
            "detector": detector,
            "mirror": mirror,
            "sample_fps": sample_fps,
        }
        if tasks:
            from facemotion.scale.engines import run_local, run_ray

            rows = run_ray(tasks, options, workers, address) if engine == "ray" else run_local(tasks, options)
            for row in rows:
                writer.add(row)
    finally:
        if rows is not None and hasattr(rows, "close"):
            rows.close()  # a Ray started here shuts down, even on Ctrl-C
        writer.close()
    latest = {str(r.get("path")): r for r in journal.load()}
    return {
        "inputs": len(found.paths) + len(found.skipped),
        "faces_in_all": sum(int(r.get("faces") or 0) for r in latest.values() if r.get("error") is None),
        "skipped": len(found.paths) - len(todo),
        "analysed": writer.counts["analysed"],
        "failed": writer.counts["failed"],
        "faces": writer.counts["faces"],
        "errors": writer.counts["failed"],
        "truncated": writer.counts["truncated"],
        "duplicates": found.duplicates,
    }
