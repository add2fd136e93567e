"""Expanding command-line inputs: files and folders of images or videos, every one accounted for.

`expand_inputs` is what ``analyze``, ``batch`` and ``compare`` use: folders are searched
recursively (symbolic links to folders are followed, each real folder once), the same
file given twice or through two spellings is kept once, and whatever cannot be analysed
without opening it (a FIFO, a device, a socket, an empty folder, a folder loop) is a
`Skipped` item with its reason instead of a hang or an aborted run.

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> (folder / "a.jpg").write_bytes(b"")
0
>>> (folder / "empty").mkdir()
>>> found = expand_inputs([folder / "a.jpg", str(folder), folder / "empty"])
>>> [p.name for p in found.files], [s.reason for s in found.skipped]
(['a.jpg'], ['empty folder: no images found in it'])
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from facemotion.io import IMAGE_SUFFIXES, VIDEO_SUFFIXES, readable


def is_video(path: str | Path) -> bool:
    """Whether a file is analysed as a video: a video suffix, or an animated GIF (more than one frame).

    A one-frame GIF is a photo, as ``facemotion video`` says of it.

    >>> is_video("talk.MP4"), is_video("photo.jpg"), is_video("missing.gif")
    (True, False, False)
    """
    suffix = Path(path).suffix.lower()
    if suffix != ".gif":
        return suffix in VIDEO_SUFFIXES
    from facemotion.apps.frames import animated  # the one test `facemotion video` uses

    return Path(path).is_file() and animated(path)


@dataclass(frozen=True)
class Skipped:
    """An input that was not analysed, and why (it is reported and counted, never dropped)."""

    path: Path
    reason: str


@dataclass
class Expansion:
    """What `expand_inputs` found: the files to analyse, in order, and the inputs skipped."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    duplicates: int = 0


def special_file(path: Path) -> str | None:
    """What kind of special file ``path`` is (``"a FIFO"``, ``"a socket"``, ``"a device"``), else None.

    Checked with ``stat`` only, so that a FIFO named ``x.jpg`` is never opened (which would hang).

    >>> special_file(Path("/dev/null"))
    'a device'
    >>> special_file(Path("missing.jpg")) is None
    True
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None  # missing or unreadable: the reader says so
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return None


def _kinds(suffixes: frozenset[str]) -> str:
    return "images" if suffixes <= IMAGE_SUFFIXES else "images or videos"


def _walk(folder: Path, suffixes: frozenset[str], out: Expansion) -> list[Path]:
    """Files with ``suffixes`` under ``folder`` (sorted), following linked folders once each."""
    found: list[Path] = []
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        info = os.stat(root)
        if (info.st_dev, info.st_ino) in seen:  # a link back to a folder already searched
            out.skipped.append(Skipped(Path(root), "folder loop: this folder was already searched"))
            dirs.clear()
            continue
        seen.add((info.st_dev, info.st_ino))
        for name in files:
            path = Path(root) / name
            if path.suffix.lower() not in suffixes:
                continue
            kind = special_file(path)
            if kind is not None:
                out.skipped.append(Skipped(path, f"not a regular file ({kind}); skipped without opening it"))
            elif path.exists():  # a dangling link is not an input
                found.append(path)
    return sorted(found)


def expand_inputs(paths: Iterable[str | Path], suffixes: frozenset[str] = IMAGE_SUFFIXES) -> Expansion:
    """Files as given, folders searched recursively for ``suffixes``; see the module's docs.

    Paths that do not exist are kept, so that the caller reports them as errors.
    """
    out = Expansion()
    seen: set[Path] = set()

    def first_time(path: Path) -> bool:
        key = Path(os.path.realpath(path))
        if key in seen:
            out.duplicates += 1
            return False
        seen.add(key)
        return True

    def add(path: Path) -> None:
        if first_time(path):
            out.files.append(path)

    for raw in paths:
        path = Path(raw)
        kind = special_file(path)
        if not str(raw):  # Path("") is the current folder: never searched by accident
            out.skipped.append(Skipped(path, "empty path (an unset variable?): nothing was searched"))
        elif kind is not None:
            out.skipped.append(Skipped(path, f"not a regular file ({kind}); skipped without opening it"))
        elif path.is_dir():
            found = _walk(path, suffixes, out)
            if not found:
                out.skipped.append(Skipped(path, f"empty folder: no {_kinds(suffixes)} found in it"))
            for p in found:
                add(p)
        else:
            add(path)
    out.skipped = [s for s in out.skipped if first_time(s.path)]
    return out


def no_inputs_message(paths: Iterable[str | Path], suffixes: frozenset[str] = IMAGE_SUFFIXES) -> str:
    """The error when nothing at all can be analysed.

    >>> no_inputs_message(["empty/"]).split(" (")[0]
    'no images found under empty/'
    """
    return f"no {_kinds(suffixes)} found under {', '.join(map(str, paths))} (looked for {', '.join(sorted(suffixes))})"


def display_name(path: Path, roots: Iterable[str | Path]) -> str:
    """``path`` relative to the one input folder it came from; a file given by itself: its name;
    with several inputs, the path as found (two folders' ``IMG_0001.jpg`` stay apart). Bytes
    that are not UTF-8 are shown as ``\\xNN`` (`facemotion.io.readable`).

    >>> display_name(Path("shared/media/group_photos/a.jpg"), ["shared/media"])
    'group_photos/a.jpg'
    >>> display_name(Path("day2/DCIM/IMG_0001.jpg"), ["day1/DCIM", "day2/DCIM"])
    'day2/DCIM/IMG_0001.jpg'
    >>> display_name(Path("../photos/b.jpg"), ["../photos/b.jpg"])
    'b.jpg'
    """
    folders = [Path(root) for root in roots]
    if len(folders) == 1:
        (root,) = folders
        if root == path:
            return readable(path.name)
        if root.is_dir() or not root.suffix:
            try:
                return readable(str(path.relative_to(root)))
            except ValueError:
                pass
    return readable(str(path))


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
