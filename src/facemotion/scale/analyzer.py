"""The per-task analysis: one classifier (an actor in Ray's pool), tasks in, face rows and a status out."""

from __future__ import annotations

from typing import Any

from facemotion.errors import FacemotionError
from facemotion.scale.local_copy import LocalCopy
from facemotion.scale.planning import Task
from facemotion.scale.rows import PERSONS_PER_CHUNK, columns, face_row, plain


class TaskAnalyzer:
    """Runs tasks with one classifier (built once per worker, never pickled per task)."""

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
        """The face rows of one task and its status row.

        A video chunk's status counts its sampled frames as `facemotion.apps.video`
        does: ``frames_expected`` (from the video's length and the sampling rate),
        ``frames`` analysed, ``frames_skipped`` (damaged) and ``frames_unreadable`` (never
        read: the file ends early, ``status`` ``"truncated"``).
        """
        status: dict[str, Any] = {
            "path": task.path,
            "input": task.input,
            "kind": task.kind,
            "status": "complete",
            "faces": 0,
            "frames": 0,
            "frames_expected": 1 if task.kind == "image" else 0,
            "frames_skipped": 0,
            "frames_unreadable": 0,
            "fps": task.fps,
            "duration": task.duration,
            "error": task.error,
        }
        if task.error is not None:
            return [], _failed(status)
        try:
            with LocalCopy(task.path) as local:
                rows = self._image(task, local) if task.kind == "image" else self._video(task, local, status)
        except (FacemotionError, OSError) as err:
            status["error"] = str(err)
            return [], _failed(status)
        status["faces"] = len(rows)
        if task.kind == "image":
            status["frames"] = 1
        return rows, status

    def _image(self, task: Task, local: str) -> list[dict[str, Any]]:
        faces = self.classifier.predict(local)
        return [
            face_row(
                task.path,
                task.input,
                0,
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
        from facemotion.apps.frames import iter_frames, sample_step, sampled_frame_count
        from facemotion.apps.video import VideoReport, analyze_frames

        step = sample_step(task.fps, self.sample_fps)
        total = max(1, round(task.duration * task.fps))
        report = VideoReport(
            task.path,
            task.fps,
            task.duration,
            sample_fps=task.fps / step,
            frames_expected=sampled_frame_count(total, step, task.start, task.stop),
        )
        frames = iter_frames(local, self.sample_fps, task.start, task.stop)
        previous = None  # the sampled frame before the chunk, for the shot-cut detector: a cut at the boundary
        if task.start > 0:
            before = iter_frames(local, self.sample_fps, max(0, task.start - step), task.start)
            previous = next((image for _, _, image in before), None)
        # the merge settles the video's end and logs its warnings: one chunk cannot know where the file ends
        analyze_frames(frames, self.classifier, report, log_warnings=False, settle_end=False, previous=previous)
        status.update(
            status=report.status,
            frames=report.frames_analyzed,
            frames_skipped=report.frames_skipped,
            frames_expected=report.frames_expected,
            frames_unreadable=report.frames_unreadable,
            frame_times=list(report.frame_times),
            shot_cuts=list(report.shot_cuts),
            sample_fps=report.sample_fps,
            warnings=list(report.warnings),
        )
        offset = task.chunk * PERSONS_PER_CHUNK
        return [
            face_row(
                task.path,
                task.input,
                task.chunk,
                f.frame,
                f.time,
                offset + f.person,
                f.box,
                f.label,
                f.score,
                f.detection_score,
                f.valence,
                f.arousal,
                list(f.probabilities),
                track=offset + f.track,
                shot=f.shot,
                brightness=f.brightness,
                sharpness=f.sharpness,
                left_out=f.left_out,
            )
            for f in report.faces
        ]

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        """Ray Data's ``map_batches`` entry: a batch of tasks in, their rows out (faces and statuses)."""
        rows: list[dict[str, Any]] = []
        for i in range(len(batch["path"])):
            task = Task(**{k: plain(batch[k][i]) for k in Task.__dataclass_fields__})
            faces, status = self.run(task)
            rows.extend({"row": "face", **r} for r in faces)
            rows.append({"row": "input", "chunk": task.chunk, **status})
        return columns(rows)


def _failed(status: dict[str, Any]) -> dict[str, Any]:
    """A status row of an input that could not be analysed: a photo's one frame is unreadable, so that
    ``frames + frames_skipped + frames_unreadable = frames_expected`` holds for every row."""
    status["status"] = "failed"
    if status["kind"] == "image":
        status["frames_unreadable"] = status["frames_expected"]
    return status
