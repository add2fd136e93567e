"""Load a model from the Hugging Face Hub at a pinned revision and use it (cached for offline use).

python examples/load_from_hub.py your-org/facemotion-model --revision v1.0 photo.jpg
"""

from __future__ import annotations

import argparse
import sys

from facemotion import EmotionClassifier, FacemotionError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo_id")
    parser.add_argument("photo")
    parser.add_argument("--revision", default=None, help="tag, branch or commit to pin")
    parser.add_argument("--cache-dir", default=None, help="Hugging Face cache folder (default: the standard one)")
    args = parser.parse_args()

    try:
        clf = EmotionClassifier.from_pretrained(args.repo_id, revision=args.revision, cache_dir=args.cache_dir)
        print(f"loaded {args.repo_id} from {clf.model.path}")
        for face in clf.predict(args.photo):
            print(
                f"{face.box}: {face.label} {face.score:.0%}, valence {face.valence:+.2f}, arousal {face.arousal:+.2f}"
            )
    except FacemotionError as err:  # offline and not cached, no such repo, unreadable photo: one clear line
        print(f"load_from_hub: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
