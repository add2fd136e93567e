"""Whether a video file is whole, from its container's own structure (no decoding).

A video whose last frames cannot be read is either cut short (a copy stopped early, a
download broken off) or whole with fewer frames than its header suggests: an MP4 trimmed
by stream copy (``ffmpeg -ss … -c copy``) keeps the frames before the cut that its edit
list tells players to skip, and a Matroska file's length counts audio running on after
the video. The containers say which: an MP4/MOV is a chain of boxes that ends exactly at
the end of a whole file, and a Matroska/WebM segment states its size.

>>> import tempfile, os
>>> with tempfile.NamedTemporaryFile(suffix=".mp4", delete=False) as f:
...     _ = f.write((16).to_bytes(4, "big") + b"ftypisom" + bytes(4) + (8).to_bytes(4, "big") + b"mdat")
>>> file_is_whole(f.name)
True
>>> with open(f.name, "ab") as extra:
...     _ = extra.write((4000).to_bytes(4, "big") + b"mdat" + bytes(100))  # a box cut short
>>> file_is_whole(f.name)
False
>>> os.remove(f.name)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

#: Top-level box types an MP4/MOV (ISO base media) file starts with.
ISO_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip")
EBML_MAGIC = b"\x1a\x45\xdf\xa3"
MATROSKA_SEGMENT = b"\x18\x53\x80\x67"


def file_is_whole(path: str | os.PathLike[str]) -> bool | None:
    """``True`` when the container's structure reaches exactly to the end of the file, ``False`` when it
    runs past it (the file is cut short), ``None`` when it cannot tell (another format, a WebM recorded
    live with no stated size, an unreadable file)."""
    try:
        size = Path(path).stat().st_size
        with open(path, "rb") as handle:
            head = handle.read(12)
            if head[4:8] in ISO_FIRST_BOXES:
                return _boxes_fill(handle, size)
            if head[:4] == EBML_MAGIC:
                return _segment_fits(handle, size)
    except OSError:
        return None
    return None


def _boxes_fill(handle: BinaryIO, size: int) -> bool:
    """Whether the top-level boxes of an ISO base media file chain to exactly ``size`` bytes."""
    position = 0
    while position < size:
        handle.seek(position)
        head = handle.read(16)
        if len(head) < 8:
            return False
        length = int.from_bytes(head[:4], "big")
        if length == 1:  # a 64-bit size follows the type
            if len(head) < 16:
                return False
            length = int.from_bytes(head[8:16], "big")
        elif length == 0:  # the last box, running to the end of the file
            return True
        if length < 8:
            return False
        position += length
    return position == size


def _segment_fits(handle: BinaryIO, size: int) -> bool | None:
    """Whether a Matroska/WebM file holds all of its segment (None: a segment of unknown size)."""
    handle.seek(4)
    header_size = _vint(handle)
    if header_size is None:
        return None
    handle.seek(header_size, os.SEEK_CUR)
    if handle.read(4) != MATROSKA_SEGMENT:
        return None
    segment_size = _vint(handle)
    if segment_size is None:
        return None
    return handle.tell() + segment_size <= size


def _vint(handle: BinaryIO) -> int | None:
    """An EBML variable-length size; ``None`` for "unknown" (all value bits set) or an unreadable one."""
    first = handle.read(1)
    if not first or first[0] == 0:
        return None
    length = 8 - first[0].bit_length() + 1
    rest = handle.read(length - 1)
    if len(rest) != length - 1:
        return None
    value = int.from_bytes(bytes([first[0] & (0xFF >> length)]) + rest, "big")
    return None if value == (1 << (7 * length)) - 1 else value
