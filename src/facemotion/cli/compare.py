"""The ``compare`` sub-command: the mood of group B minus group A."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from facemotion.cli.common import add_model_options, classifier_from_args, output_folder, whole_number
from facemotion.errors import FacemotionError

#: `facemotion.apps.compare.MIN_RESAMPLES`, not imported: the parser stays free of numpy and OpenCV.
MIN_RESAMPLES = 1000


def group_names(text: str | None) -> tuple[str, str] | None:
    """``--names "entering,leaving"`` as two names (``None``: the folders' names).

    >>> group_names("ad A, ad B")
    ('ad A', 'ad B')
    """
    if text is None:
        return None
    names = [n.strip() for n in text.split(",")]
    if len(names) != 2 or not all(names):
        raise argparse.ArgumentTypeError(f'expected two names separated by a comma ("entering,leaving"), got {text!r}')
    return names[0], names[1]


def cmd_compare(args: argparse.Namespace) -> int:
    """Exit status 0, or 1 when an input was skipped or no comparison was possible (as `analyze` and `batch`)."""
    from facemotion.apps.compare import compare_groups

    if args.report:  # checked before the analysis, which may take minutes
        report_file(args.report)
    clf = classifier_from_args(args)
    result = compare_groups(
        args.a, args.b, clf, names=args.names, crops=args.crops, seed=args.seed, n_resamples=args.resamples
    )
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.sentence)
    for name, skipped in zip(result.names, (result.skipped_a, result.skipped_b), strict=True):
        for file, why in skipped:
            print(f"skipped in {name}: {file}: {why}", file=sys.stderr)
    if args.report:
        from facemotion.apps.report import comparison_report_html

        path = comparison_report_html(result, args.report)
        print(f"report: {path}", file=sys.stderr if args.json else sys.stdout)
    return 1 if result.skipped_a or result.skipped_b or result.delta_valence is None else 0


def report_file(path: Path) -> None:
    """Refuse a ``--report`` path that is a folder, or whose folder cannot be made or written into
    (`facemotion.cli.common.output_folder`)."""
    if path.is_dir():
        raise FacemotionError(f"--report {path}: that is a folder; give the HTML file to write")
    output_folder(str(path.parent), "--report")


def add_compare_command(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="mood of group B minus group A (e.g. leaving minus entering), with confidence intervals",
        description="Compare the mood of two groups of faces: the difference of mean valence (pleasant vs "
        "unpleasant) and arousal (excited vs calm), B minus A, with confidence intervals (Welch) and a "
        "permutation test. Unreadable files are skipped and listed.",
    )
    p.add_argument("a", help="group A: a folder of photos or a video (e.g. entering)")
    p.add_argument("b", help="group B: a folder of photos or a video (e.g. leaving)")
    p.add_argument(
        "--names",
        type=group_names,
        default=None,
        metavar='"A,B"',
        help='names of the two groups for the sentence and the report, e.g. "entering,leaving" or "ad A,ad B" '
        "(default: the folders' names)",
    )
    p.add_argument("--crops", action="store_true", help="the images are face crops (no face detection)")
    p.add_argument("--json", action="store_true", help="print the whole result as JSON instead of the sentence")
    p.add_argument(
        "--seed",
        type=whole_number(0),
        default=0,
        help="random seed of the permutation test (default 0: repeatable)",
    )
    p.add_argument(
        "--resamples",
        type=whole_number(MIN_RESAMPLES),
        default=5000,
        help=f"permutation resamples (default 5000, at least {MIN_RESAMPLES})",
    )
    p.add_argument(
        "--report",
        type=Path,
        metavar="HTML",
        help="also write an offline HTML report (sentence, charts, example faces) to this file",
    )
    add_model_options(p)
    p.set_defaults(func=cmd_compare)
