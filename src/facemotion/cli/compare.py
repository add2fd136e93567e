"""The ``compare`` sub-command: the mood of group B minus group A."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from facemotion.cli.common import add_model_options, classifier_from_args


def cmd_compare(args: argparse.Namespace) -> int:
    from facemotion.apps.compare import compare_groups

    clf = classifier_from_args(args)
    result = compare_groups(args.a, args.b, clf, crops=args.crops, seed=args.seed)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.sentence)
    if args.report:
        from facemotion.apps.report import comparison_report_html

        path = comparison_report_html(result, args.report, name_a=str(args.a), name_b=str(args.b))
        print(f"report: {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def add_compare_command(sub: Any) -> None:
    p = sub.add_parser("compare", help="mood of group B minus group A (e.g. leaving minus entering)")
    p.add_argument("a", help="folder of photos or a video (e.g. entering)")
    p.add_argument("b", help="folder of photos or a video (e.g. leaving)")
    p.add_argument("--crops", action="store_true", help="images are face crops")
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", metavar="HTML", help="also write an offline HTML report to this file")
    add_model_options(p)
    p.set_defaults(func=cmd_compare)
