"""A cafe's satisfaction score: mood of visitors leaving minus visitors entering.

Each group is a folder of photos or a video (each tracked person counted once). The same
works for any two groups: two ads, two sessions, two shops.

    python examples/entering_vs_leaving.py entering/ leaving/ --report compare.html
"""

from __future__ import annotations

import argparse

from facemotion.apps import compare_groups
from facemotion.apps.report import comparison_report_html


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("entering", help="folder of photos or a video of people entering")
    parser.add_argument("leaving", help="folder of photos or a video of people leaving")
    parser.add_argument("--report", help="also write an offline HTML report to this file")
    args = parser.parse_args()

    result = compare_groups(args.entering, args.leaving, names=("entering", "leaving"))
    print(result.sentence)
    if result.delta_arousal is not None:
        interval = (
            f" (95% CI {result.arousal_ci_low:+.2f} to {result.arousal_ci_high:+.2f})"
            if result.arousal_ci_low is not None and result.arousal_ci_high is not None
            else ""
        )
        print(f"arousal change {result.delta_arousal:+.2f}{interval}")
    print(f"permutation test of the valence change: {result.p_text}")
    for name, skipped in zip(result.names, (result.skipped_a, result.skipped_b), strict=True):
        for file, why in skipped:
            print(f"skipped in {name}: {file}: {why}")
    if args.report:
        print(f"report: {comparison_report_html(result, args.report)}")


if __name__ == "__main__":
    main()
