"""Expanding command-line inputs: files and folders of images or videos."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from facemotion.io import IMAGE_SUFFIXES

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


def expand_paths(paths: Iterable[str | Path], suffixes: frozenset[str] = IMAGE_SUFFIXES) -> list[Path]:
    """Files as given, and folders expanded (recursively, sorted) to the files with ``suffixes``.

    Paths that do not exist are kept, so that the caller reports them as errors.
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        else:
            out.append(path)
    return out
