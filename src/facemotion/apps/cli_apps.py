"""The ``video`` and ``compare`` sub-commands."""

from __future__ import annotations

import argparse
import json
from typing import Any


def cmd_video(args: argparse.Namespace) -> int:
    from facemotion.apps.video import analyze_video
    from facemotion.cli import classifier_from_args

    clf = classifier_from_args(args)
    report = analyze_video(args.file, clf, sample_fps=args.fps)
    out = report.save(args.out)
    summary = report.summary()
    print(json.dumps(summary, indent=2) if args.json else _video_text(summary, str(out)))
    return 0


def _video_text(s: dict[str, Any], out: str) -> str:
    lines = [
        f"{s['path']}: {s['duration']:.1f} s, {s['frames_analyzed']} frames analysed, {s['frames_skipped']} skipped",
        f"{s['faces']} face observations of {s['people']} people",
    ]
    if s["mean_valence"] is not None:
        lines.append(f"mean valence {s['mean_valence']:+.2f}, mean arousal {s['mean_arousal']:+.2f}")
        lines.append(f"most positive moment at {s['peak_valence']:.0f} s, most negative at {s['lowest_valence']:.0f} s")
    for seg in s["segments"]:
        lines.append(
            f"  {seg['start']:6.1f}–{seg['end']:6.1f} s: {seg['dominant_emotion'] or '-'} ({seg['faces']} faces)"
        )
    lines.append(f"written: {out}/timeline.csv, frames.csv, people.csv, summary.json, timeline.png")
    return "\n".join(lines)


def cmd_compare(args: argparse.Namespace) -> int:
    from facemotion.apps.compare import compare_groups
    from facemotion.cli import classifier_from_args

    clf = classifier_from_args(args)
    result = compare_groups(args.a, args.b, clf, crops=args.crops, seed=args.seed)
    print(json.dumps(result.to_dict(), indent=2) if args.json else result.sentence)
    return 0


def add_app_commands(sub: Any) -> None:
    from facemotion.cli import _add_model_options

    p = sub.add_parser("video", help="audience reaction over a video: timeline, people, plot")
    p.add_argument("file")
    p.add_argument(
        "--out", required=True, help="folder for timeline.csv, frames.csv, people.csv, timeline.png, summary.json"
    )
    p.add_argument("--fps", type=float, default=5.0, help="frames analysed per second of video (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    _add_model_options(p)
    p.set_defaults(func=cmd_video)

    p = sub.add_parser("compare", help="mood of group B minus group A (e.g. leaving minus entering)")
    p.add_argument("a", help="folder of photos or a video (e.g. entering)")
    p.add_argument("b", help="folder of photos or a video (e.g. leaving)")
    p.add_argument("--crops", action="store_true", help="images are face crops")
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    _add_model_options(p)
    p.set_defaults(func=cmd_compare)
