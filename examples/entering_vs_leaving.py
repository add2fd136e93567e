"""A cafe's satisfaction score: mood of visitors leaving minus visitors entering.

Each group is a folder of photos or a video (each tracked person counted once).

    python examples/entering_vs_leaving.py entering/ leaving/
"""

from __future__ import annotations

import argparse

from facemotion.apps import compare_groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("entering", help="folder of photos or a video of people entering")
    parser.add_argument("leaving", help="folder of photos or a video of people leaving")
    args = parser.parse_args()

    result = compare_groups(args.entering, args.leaving)
    print(result.sentence)
    print(f"arousal change {result.delta_arousal:+.2f}" if result.delta_arousal is not None else "")
    if result.p_value is not None:
        print(f"permutation p-value for a change in valence: {result.p_value:.3f}")


if __name__ == "__main__":
    main()
