"""Viewers' reaction to an ad or a trailer, filmed: a timeline of emotions and valence–arousal.

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
    print(f"{summary['people']} people, {summary['faces']} face observations in {summary['duration']:.1f} s")
    if summary["mean_valence"] is not None:
        print(f"mean valence {summary['mean_valence']:+.2f}; most positive moment at {summary['peak_valence']:.0f} s")
    for seg in summary["segments"]:
        print(f"  {seg['start']:5.1f}-{seg['end']:5.1f} s: {seg['dominant_emotion']}")
    print(f"timeline plot: {Path(args.out) / 'timeline.png'}")


if __name__ == "__main__":
    main()
