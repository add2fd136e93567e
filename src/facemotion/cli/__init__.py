"""The ``facemotion`` command line.

::

    facemotion analyze photo.jpg folder/ [--json] [--crops] [--annotate OUT_DIR]
    facemotion evaluate DATA_DIR [--crops] [--json]
    facemotion train DATA_DIR --out MODEL_DIR [--recipe compact|vggface] [--epochs N]
    facemotion video FILE --out DIR
    facemotion compare A B [--json]
    facemotion batch INPUT... --out DIR
    facemotion publish MODEL_DIR ORG/NAME
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from facemotion.cli.analyze import add_analyze_commands
from facemotion.cli.batch import add_batch_command
from facemotion.cli.common import Terminated, raise_terminated
from facemotion.cli.compare import add_compare_command
from facemotion.cli.publish import add_publish_command
from facemotion.cli.train import add_train_command
from facemotion.cli.video import add_video_command
from facemotion.errors import FacemotionError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facemotion", description="Emotions and valence–arousal from faces.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)
    add_analyze_commands(sub)
    add_train_command(sub)
    add_video_command(sub)
    add_compare_command(sub)
    add_batch_command(sub)
    add_publish_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit status: 0 done, 1 some inputs failed, 2 error, 130/143 interrupted.

    Every `FacemotionError` and `OSError` is one line ``facemotion: error: …`` (``--debug``
    shows the traceback); SIGTERM is handled like Ctrl-C (finished work is kept); a closed
    pipe (``| head``) ends quietly.
    """
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints as \xNN, never a traceback
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if args.debug else "2")
    # FFmpeg's own lines ("moov atom not found", "Not all references are available") stay off the terminal
    # in every command that reads video (video, compare, batch, analyze): our messages say what matters.
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "32" if args.debug else "-8")
    os.environ.setdefault("OPENCV_LOG_LEVEL", "INFO" if args.debug else "ERROR")  # "[ WARN ] can't open camera"
    if args.debug:
        os.environ["FACEMOTION_DEBUG"] = "1"  # let LiteRT's own log lines through (see runtime_lite)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, raise_terminated) if main_thread else None
    try:
        from facemotion.io import pixel_limit

        pixel_limit()  # a wrong FACEMOTION_MAX_PIXELS stops the run here, not at every photo of a batch
        return int(args.func(args))
    except BrokenPipeError:
        _silence_stdout()
        return 141  # like other tools whose reader went away (128 + SIGPIPE)
    except (FacemotionError, OSError) as err:
        if args.debug:
            raise
        print(f"facemotion: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as err:
        terminated = isinstance(err, Terminated) or isinstance(getattr(err, "interrupt", None), Terminated)
        print(f"facemotion: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)


def _silence_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so that Python's exit flush does not complain."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
