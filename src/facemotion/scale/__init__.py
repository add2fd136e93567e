"""Many photos and videos at once, on one machine or a Ray cluster: one row per face, in Parquet.

The work is split into *tasks* (`facemotion.scale.planning`): one per photo, one per
``chunk_seconds`` of each video (so one long video spreads over workers). Each task runs
the same per-file analysis as `facemotion.apps.analyze_video` /
`EmotionClassifier.predict` (`facemotion.scale.analyzer`) and gives one row per face plus
one status row for its input (`facemotion.scale.rows`). ``engine="local"`` runs the tasks
in this process; ``engine="ray"`` hands them to Ray Data, whose actor pool loads one
`facemotion.EmotionClassifier` per worker (`facemotion.scale.engines`). The rows are
identical; the driver writes each input as soon as all its tasks are back
(`facemotion.scale.batch`):

- ``OUT/faces.parquet/input=<id>/part-0.parquet``: one row per face, with ``path, input,
  chunk, frame, time, person, x, y, w, h, label, score, detection_score, valence,
  arousal, p_<label>…``. ``frame``/``time`` are 0 for photos. **Person ids are per
  chunk**: ids are ``chunk * 1000 + id`` so that they never collide within a video.
- ``OUT/inputs.parquet``: one row per input: ``path`` (resolved), ``input``, ``kind``,
  ``size``, ``mtime_ns``, ``faces``, ``frames`` (analysed), ``frames_expected``,
  ``frames_skipped``, ``frames_unreadable``, ``ended_early``, ``fps``, ``duration``,
  ``error`` (null when analysed), ``model``, ``settings``.
- ``OUT/progress.jsonl``: the journal that resume reads (`facemotion.scale.contract`).
- ``OUT/videos/<name>-<id>/``: per video, ``facemotion video``'s files, computed from the rows.

Re-running over the same ``OUT`` skips the inputs finished with the same model and
settings; other settings are refused unless ``overwrite=True``.

>>> from facemotion.scale import run_batch  # doctest: +SKIP
>>> run_batch(["photos/", "recordings/*.mp4"], "results/", engine="ray", workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

from facemotion.scale.analyzer import TaskAnalyzer
from facemotion.scale.batch import Engine, run_batch
from facemotion.scale.contract import SettingsMismatch
from facemotion.scale.planning import Task, expand_batch_inputs, input_id, plan_tasks
from facemotion.scale.rows import FACE_COLUMNS, INPUT_COLUMNS, PERSONS_PER_CHUNK

__all__ = [
    "FACE_COLUMNS",
    "INPUT_COLUMNS",
    "PERSONS_PER_CHUNK",
    "Engine",
    "SettingsMismatch",
    "Task",
    "TaskAnalyzer",
    "expand_batch_inputs",
    "input_id",
    "plan_tasks",
    "run_batch",
]
