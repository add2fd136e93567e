"""Planning a batch: which inputs (files, folders, globs, URIs) and which tasks (photos, video chunks)."""

from __future__ import annotations

import glob
import hashlib
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from facemotion.errors import FacemotionError
from facemotion.inputs import Skipped, expand_inputs, is_video
from facemotion.io import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from facemotion.scale.contract import resolved_path
from facemotion.scale.local_copy import LocalCopy

SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


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
    """A short stable id for an input (its Parquet partition), from its resolved path.

    >>> input_id("a.jpg") == input_id("a.jpg") != input_id("b.jpg")
    True
    """
    return hashlib.sha1(os.fsencode(resolved_path(path))).hexdigest()[:12]  # a name's own bytes


@dataclass
class BatchInputs:
    """The inputs of a batch: resolved paths (URIs as given), each once, and what was skipped."""

    paths: list[str]
    skipped: list[Skipped]
    duplicates: int = 0


def expand_batch_inputs(inputs: Iterable[str]) -> BatchInputs:
    """Files, folders (recursively), glob patterns and URIs; see `facemotion.inputs.expand_inputs`.

    Remote URIs (``s3://…``) are listed with pyarrow's filesystems. A pattern matching
    nothing and an empty folder are `facemotion.inputs.Skipped` items.
    """
    local: list[str] = []
    remote: list[str] = []
    skipped: list[Skipped] = []
    for raw in inputs:
        if "://" in raw:
            found = _remote_listing(raw)
            remote.extend(found)
            if not found:
                skipped.append(Skipped(Path(raw), "no images or videos found there"))
        elif glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            local.extend(matches)
            if not matches:
                skipped.append(Skipped(Path(raw), "no file matches this pattern"))
        else:
            local.append(raw)
    expansion = expand_inputs(local, SUFFIXES)
    unique_remote = list(dict.fromkeys(remote))
    return BatchInputs(
        [resolved_path(p) for p in expansion.files] + unique_remote,
        skipped + expansion.skipped,
        expansion.duplicates + len(remote) - len(unique_remote),
    )


def _remote_listing(uri: str) -> list[str]:
    from pyarrow import fs

    try:
        filesystem, root = fs.FileSystem.from_uri(uri)
        info = filesystem.get_file_info(root)
        if info.type == fs.FileType.File:
            return [uri]
        listing = filesystem.get_file_info(fs.FileSelector(root, recursive=True))
    except (OSError, ValueError) as err:
        raise FacemotionError(f"cannot list {uri}: {err}") from None
    scheme = uri.split("://", 1)[0]
    return sorted(
        f"{scheme}://{f.path}"
        for f in listing
        if f.type == fs.FileType.File and Path(f.path).suffix.lower() in SUFFIXES
    )


def _is_video(path: str) -> bool:
    """Whether an input is a video: by its suffix, and an animated GIF (read as a video, as `facemotion video`
    reads it; a batch took it for a photo of its first frame)."""
    if Path(path).suffix.lower() != ".gif":
        return is_video(path)  # by its suffix: a remote file is not fetched for it
    try:
        with LocalCopy(path) as local:
            return is_video(local)
    except OSError:
        return False  # read as a photo, whose reader says what is wrong


def plan_tasks(paths: Sequence[str], chunk_seconds: float = 30.0) -> list[Task]:
    """One task per photo and per ``chunk_seconds`` of each video; unreadable videos become error tasks."""
    tasks = []
    for path in paths:
        ident = input_id(path)
        if not _is_video(path):
            tasks.append(Task(path, ident, "image"))
            continue
        from facemotion.apps.frames import video_info

        try:
            with LocalCopy(path) as local:
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
