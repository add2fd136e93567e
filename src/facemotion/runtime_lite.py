"""The LiteRT interpreter, loaded quietly: the only runtime the default inference path needs.

LiteRT's C++ logger prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." on
the process's stderr when an interpreter is made; `load_interpreter` sends
file descriptor 2 to ``/dev/null`` for that moment (unless ``FACEMOTION_DEBUG`` is set,
as ``--debug`` does).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from facemotion.errors import ModelLoadError

_FD_LOCK = threading.Lock()


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Silence native code's writes to stderr (fd 2) inside the block."""
    if os.environ.get("FACEMOTION_DEBUG"):
        yield
        return
    with _FD_LOCK:
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
            yield
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 2)
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            os.close(devnull)


def load_interpreter(model: Path | bytes, threads: int) -> Any:
    """A LiteRT interpreter for a ``.tflite`` file or its bytes, tensors allocated."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - ai-edge-litert is a dependency
        raise ModelLoadError("the LiteRT runtime is missing: pip install ai-edge-litert") from None
    try:
        with quiet_stderr():
            if isinstance(model, bytes):
                interpreter = Interpreter(model_content=model, num_threads=threads)
            else:
                interpreter = Interpreter(model_path=str(model), num_threads=threads)
            interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as err:
        raise ModelLoadError(
            f"{model if isinstance(model, Path) else 'model bytes'} is not a usable LiteRT model: {_one_line(err)}"
        ) from None
    return interpreter


def tflite_signature(model: Path) -> tuple[tuple[int, ...], list[int]]:
    """The input shape and the last dimension of each output of a ``.tflite`` file.

    Read from the flatbuffer without allocating tensors or applying delegates (about 1 ms).
    """
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:  # pragma: no cover - ai-edge-litert is a dependency
        raise ModelLoadError("the LiteRT runtime is missing: pip install ai-edge-litert") from None
    try:
        with quiet_stderr():
            interpreter = Interpreter(
                model_path=str(model), experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
            )
        inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    except (ValueError, RuntimeError) as err:
        raise ModelLoadError(f"{model} is not a usable LiteRT model: {_one_line(err)}") from None
    if len(inputs) != 1:
        raise ModelLoadError(f"{model} has {len(inputs)} inputs; a facemotion model takes one batch of faces")
    kinds = {np.dtype(d["dtype"]).name for d in (*inputs, *outputs)}
    if kinds != {"float32"}:
        raise ModelLoadError(f"{model} has {'/'.join(sorted(kinds))} inputs or outputs; facemotion runs float32 ones")
    return tuple(int(d) for d in inputs[0]["shape"]), [int(d["shape"][-1]) if len(d["shape"]) else 1 for d in outputs]


def _one_line(err: BaseException) -> str:
    """An error's text on one line (LiteRT's messages can span several)."""
    return " ".join(str(err).split())
