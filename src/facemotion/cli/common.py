"""What the sub-commands share: the model options, the classifier they choose, output folders."""

from __future__ import annotations

import argparse
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from facemotion.errors import OutputError

if TYPE_CHECKING:
    from facemotion.api import EmotionClassifier


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so that finished work is flushed (exit 143)."""


def raise_terminated(signum: int, frame: object) -> None:
    """A SIGTERM handler: raise `Terminated`."""
    raise Terminated


def output_file(path: str, option: str) -> Path:
    """A file to append results to (its folder created); a clear error for a folder or an unwritable path."""
    file = Path(path)
    if file.is_dir():
        raise OutputError(f"{option} {path}: that is a folder; give a file name such as {file / 'results.jsonl'}")
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        with file.open("a"):
            pass
    except OSError as err:
        raise OutputError(f"{option} {path}: cannot write there ({err.strerror or err})") from None
    return file


def output_folder(path: str, option: str) -> Path:
    """A folder to write into (created, and a file written there and removed), checked before any work;
    a clear error when ``path`` is an existing file or cannot be written into."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{option} {path}: that is an existing file; give a folder to write into")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{option} {path}: cannot create that folder ({err.strerror or err})") from None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".facemotion-write-test-"):
            pass
    except OSError as err:
        raise OutputError(f"{option} {path}: cannot write into that folder ({err.strerror or err})") from None
    return folder


def classifier_from_args(args: argparse.Namespace) -> EmotionClassifier:
    """The classifier chosen by the model options of a sub-command."""
    from facemotion.api import EmotionClassifier

    return EmotionClassifier(args.model, revision=args.revision, detector=args.detector, mirror=args.mirror)


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--model",
        default=None,
        help="model name (default, fast; accurate when bundled), a model directory (./NAME for a folder named "
        "like a model) or a Hub id",
    )
    p.add_argument("--revision", default=None, help="Hub revision (tag, branch or commit)")
    p.add_argument(
        "--detector",
        default=None,
        help="face detector: blazeface (default, fast), mtcnn (slower, a second opinion) or retinaface (extra)",
    )
    p.add_argument(
        "--mirror",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="average each face with its mirror image (more accurate, 2x model time; default: the model's setting)",
    )


def positive_float(text: str) -> float:
    """An argparse type: a finite number above zero (``--fps``, ``--chunk-seconds``).

    >>> positive_float("2.5")
    2.5
    >>> positive_float("nan")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a finite number above 0, got 'nan'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text!r}")
    return value


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``.

    >>> whole_number(0)("4")
    4
    >>> whole_number(1000)("5")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a whole number of at least 1000, got '5'
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a whole number of at least {minimum}, got {text!r}")
        return value

    return parse


#: A whole number above zero (``--workers``, ``--epochs``).
positive_int = whole_number(1)
