"""The ``facemotion`` command line.

::

    facemotion analyze photo.jpg folder/ [--json] [--crops] [--annotate OUT_DIR]
    facemotion evaluate DATA_DIR [--crops] [--json]
    facemotion train DATA_DIR --out MODEL_DIR [--recipe compact|vggface] [--epochs N]
    facemotion video FILE --out DIR
    facemotion compare A B [--json]
    facemotion batch INPUT... --out DIR
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from facemotion.cli.analyze import add_analyze_commands
from facemotion.cli.batch import add_batch_command
from facemotion.cli.compare import add_compare_command
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0" if args.debug else "2")
    if args.debug:
        os.environ["FACEMOTION_DEBUG"] = "1"  # let LiteRT's own log lines through (see runtime_lite)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s: %(message)s")
    try:
        return int(args.func(args))
    except FacemotionError as err:
        if args.debug:
            raise
        print(f"facemotion: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("facemotion: interrupted", file=sys.stderr)
        return 130
