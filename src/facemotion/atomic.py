"""The package's one atomic write: a file is whole or as it was, never half written.

Results, reports, checkpoints and model files are written to a temporary file beside
their place and renamed over it (`replacing`), so an interrupt, a full disk or a crash
never leaves half a file, and a symbolic link in their place (a Hugging Face cache
snapshot's) is replaced, never written through.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file beside ``path`` to write in the block; then it is fsynced and renamed over
    ``path``, or removed if the block fails, so ``path`` is whole or as it was. ``suffix`` ends the
    temporary file's name (Keras saves only to names ending ``.keras`` or ``.weights.h5``).

    It keeps the permissions ``path`` had, or gets those of any other new file (``0o666``
    less the umask), not the temporary file's private ``0o600``: a report on a shared
    server stays readable, and one a user made private stays private.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        mode = 0o666 & ~_umask()
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, mode)  # after the block: a read-only mode would have stopped its writes
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (`replacing`)."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


@functools.cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it for an instant)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
