"""The mood of a group photo: faces, emotions, valence–arousal, and one summary picture.

python examples/group_photo.py ../shared/media/group_photos/voc_2007_007763.jpg --out group.png
"""

from __future__ import annotations

import argparse

from facemotion import analyze_group
from facemotion.draw import group_figure
from facemotion.io import read_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("photo")
    parser.add_argument("--out", default="group.png", help="where to write the summary picture")
    args = parser.parse_args()

    mood = analyze_group(args.photo)
    print(f"{mood.count} faces, dominant emotion: {mood.dominant_emotion}")
    if mood.count:
        print(f"mean valence {mood.mean_valence:+.2f}, mean arousal {mood.mean_arousal:+.2f}")
    for i, face in enumerate(mood.faces, 1):
        print(f"  face {i} at {face.box}: {face.label} ({face.score:.0%})")
    group_figure(read_image(args.photo), mood.faces, mood.emotion_shares).savefig(args.out, dpi=100)
    print(f"picture written to {args.out}")


if __name__ == "__main__":
    main()
