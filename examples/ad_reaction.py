"""Viewers' reaction to an ad or a trailer, filmed: a timeline of emotions and valence–arousal, in plain words.

python examples/ad_reaction.py ../shared/media/video/short_hamilton_clip.mp4 --out reaction/
"""

from __future__ import annotations

import argparse
from pathlib import Path

from facemotion.apps import analyze_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video")
    parser.add_argument("--out", default="reaction", help="folder for the CSV files, summary.json and timeline.png")
    parser.add_argument("--fps", type=float, default=5.0, help="frames analysed per second of video")
    args = parser.parse_args()

    report = analyze_video(args.video, sample_fps=args.fps)
    report.save(args.out)
    summary = report.summary()
    print(summary["sentence"])
    print(
        f"{summary['people']} people ({summary['face_tracks']} face tracks in {summary['shots']} shots), "
        f"{summary['faces_used']} face readings used; {summary['left_out_sentence']}"
    )
    print(f"status {summary['status']}: {summary['frames_analyzed']} of {summary['frames_expected']} frames analysed")
    for row in report.timeline():
        if row["no_data"]:
            print(f"  {row['time']:4.0f} s: no data")
        elif row["valence"] is not None:
            band = "" if row["valence_low"] is None else f" ({row['valence_low']:+.2f} to {row['valence_high']:+.2f})"
            print(
                f"  {row['time']:4.0f} s: valence {row['valence']:+.2f}{band} from {row['faces']} face{'s' if row['faces'] != 1 else ''}"
            )
    print(f"timeline plot: {Path(args.out) / 'timeline.png'}")


if __name__ == "__main__":
    main()
