"""The ``video`` sub-command."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from facemotion.cli.common import add_model_options, classifier_from_args, output_folder


def cmd_video(args: argparse.Namespace) -> int:
    from facemotion.apps.video import analyze_stream, analyze_video

    out = output_folder(args.out, "--out")
    clf = classifier_from_args(args)
    if args.live or args.file.isdigit() or "://" in args.file:
        report = analyze_stream(args.file, out, clf, sample_fps=args.fps, on_second=_print_second)
    else:
        report = analyze_video(args.file, clf, sample_fps=args.fps)
        report.save(out)
    summary = report.summary()
    print(json.dumps(summary, indent=2) if args.json else _video_text(summary, str(out)))
    return 0


def _print_second(s: dict[str, Any]) -> None:
    valence = "   -  " if s["valence"] is None else f"{s['valence']:+.2f}"
    print(f"{s['time']:>6d} s  {s['faces']:>3d} faces  valence {valence}  {s['top'] or '-'}", flush=True)


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
    lines.append(
        f"written: {Path(out) / 'report.html'}, timeline.csv, frames.csv, people.csv, summary.json, timeline.png"
    )
    return "\n".join(lines)


def add_video_command(sub: Any) -> None:
    p = sub.add_parser("video", help="audience reaction over a video: timeline, people, plot, HTML report")
    p.add_argument("file", help="a video file, a camera index (0) or a stream URL (anything OpenCV opens)")
    p.add_argument(
        "--live",
        action="store_true",
        help="read it as a live stream: a line per second, rows flushed as they come, Ctrl-C keeps what was done "
        "(automatic for a camera index or URL)",
    )
    p.add_argument(
        "--out", required=True, help="folder for timeline.csv, frames.csv, people.csv, timeline.png, summary.json"
    )
    p.add_argument("--fps", type=float, default=5.0, help="frames analysed per second of video (default 5)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_model_options(p)
    p.set_defaults(func=cmd_video)
