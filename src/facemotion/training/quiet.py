"""Keep TensorFlow's and the LiteRT converter's own chatter off the terminal.

TensorFlow's C++ logging (absl, oneDNN, CPU-feature notices) and the converter's printed
listings (``Saved artifact at …``, ``TensorSpec(…)``) do not honour Python's logging, so
`native_output_silenced` points the process's stdout and stderr at ``os.devnull`` while
such a block runs. Python exceptions still propagate; ``FACEMOTION_DEBUG=1`` (the CLI's
``--debug``) lets everything through.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_output_silenced() -> Iterator[None]:
    """Silence file descriptors 1 and 2 (and ``sys.stdout``) for the block, unless debugging.

    >>> with native_output_silenced():
    ...     print("not shown")
    >>> print("shown")
    shown
    """
    if os.environ.get("FACEMOTION_DEBUG"):
        yield
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    try:
        saved = [os.dup(1), os.dup(2)]
    except OSError:  # no real descriptors (an embedded interpreter): Python-level only
        with contextlib.redirect_stdout(io.StringIO()):
            yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


def import_tensorflow() -> object:
    """``import tensorflow`` without its start-up notices (``facemotion[train]`` when missing)."""
    from facemotion.extras import require

    with native_output_silenced():
        return require("tensorflow", "train")
