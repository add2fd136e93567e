"""Expanding command-line inputs: files and folders of images or videos."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from facemotion.errors import FacemotionError
from facemotion.io import IMAGE_SUFFIXES

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})


def expand_paths(paths: Iterable[str | Path], suffixes: frozenset[str] = IMAGE_SUFFIXES) -> list[Path]:
    """Files as given, and folders expanded (recursively, sorted) to the files with ``suffixes``.

    Paths that do not exist are kept, so that the caller reports them as errors. A folder
    with no such file is a `FacemotionError` ("no images found under …").
    """
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
            if not found:
                kinds = "images" if suffixes == IMAGE_SUFFIXES else "images or videos"
                raise FacemotionError(f"no {kinds} found under {path} (looked for {', '.join(sorted(suffixes))})")
            out.extend(found)
        else:
            out.append(path)
    return out


def display_name(path: Path, roots: Iterable[str | Path]) -> str:
    """``path`` relative to the input folder it came from; a file given by itself: its name.

    >>> display_name(Path("shared/media/group_photos/a.jpg"), ["shared/media"])
    'group_photos/a.jpg'
    >>> display_name(Path("../photos/b.jpg"), ["../photos/b.jpg"])
    'b.jpg'
    """
    for root in roots:
        root = Path(root)
        if root == path:
            return path.name
        if root.is_dir() or not root.suffix:
            try:
                return str(path.relative_to(root))
            except ValueError:
                continue
    return str(path)


def output_names(paths: Iterable[Path], ending: str) -> dict[Path, str]:
    """A distinct output file name per input: its stem + ``ending``, made longer only where stems clash.

    Inputs whose stems clash (``a/x.jpg`` and ``b/x.jpg``, ``x.jpg`` and ``x.png``) are
    named by their path below the folder they share, so that no output overwrites another.

    >>> names = output_names([Path("in/a/x.jpg"), Path("in/b/x.jpg"), Path("in/a/y.jpg")], "_annotated.png")
    >>> list(names.values())
    ['a__x_jpg_annotated.png', 'b__x_jpg_annotated.png', 'y_annotated.png']
    """
    paths = list(dict.fromkeys(paths))
    stems = Counter(p.stem.lower() for p in paths)
    clashing = [p for p in paths if stems[p.stem.lower()] > 1]
    try:
        root = Path(os.path.commonpath([p.parent for p in clashing])) if clashing else Path()
    except ValueError:  # absolute and relative paths mixed
        root = Path()
    names = {}
    for p in paths:
        if stems[p.stem.lower()] == 1:
            names[p] = p.stem + ending
        else:
            below = p.relative_to(root) if p.is_relative_to(root) else p
            names[p] = "__".join(part for part in below.parts if part not in ("/", "..")).replace(".", "_") + ending
    return names
