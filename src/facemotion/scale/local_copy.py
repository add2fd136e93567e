"""A local file for an input: itself, or a temporary download of a remote URI (``s3://…``)."""

from __future__ import annotations

import tempfile
from pathlib import Path


class LocalCopy:
    """A context manager giving a local path for ``path``; a download is removed on exit.

    >>> with LocalCopy("photo.jpg") as local:
    ...     local
    'photo.jpg'
    """

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
