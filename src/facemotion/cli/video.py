"""The ``video`` sub-command: analysis (`facemotion.apps.video`), then the report (`facemotion.apps.report`)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from facemotion.cli.common import add_model_options, classifier_from_args, output_folder, positive_float
from facemotion.errors import FacemotionError

if TYPE_CHECKING:
    from facemotion.apps.video import VideoReport

#: What ``facemotion video`` writes into ``--out``.
WRITTEN = ("report.html", "summary.json", "timeline.csv", "frames.csv", "people.csv", "timeline.png")


def cmd_video(args: argparse.Namespace) -> int:
    from facemotion.apps.video import AnalysisInterrupted, analyze_stream, analyze_video

    new_folder = not Path(args.out).exists()
    out = output_folder(args.out, "--out")
    live = args.live or _camera_or_url(args.file)
    try:
        clf = classifier_from_args(args)
        if live:
            report = analyze_stream(args.file, out, clf, sample_fps=args.fps, on_second=_print_second)
            _render(report, out)
        else:
            report = analyze_video(args.file, clf, sample_fps=args.fps)
    except (FacemotionError, OSError):  # nothing analysed (no such file, not a video): no empty folder left
        if new_folder and not any(out.iterdir()):
            out.rmdir()
        raise
    except AnalysisInterrupted as stop:
        _write(stop.report, out)  # a second Ctrl-C does not cut the partial results in half
        print(_video_text(stop.report.summary(), out), file=sys.stderr)
        print(f"facemotion: partial results (status 'interrupted') written to {out}", file=sys.stderr)
        raise stop.interrupt or KeyboardInterrupt from None
    if not live:
        if sys.stderr.isatty():  # after the progress bar: the report's pictures take a while on a long video
            print(f"facemotion: writing the report into {out} ...", file=sys.stderr, flush=True)
        _write(report, out)
    summary = report.summary()
    print(json.dumps(summary, indent=2) if args.json else _video_text(summary, out))
    return 0


def _camera_or_url(source: str) -> bool:
    """A camera number (``0``) or a stream URL; a file that happens to be called ``2024`` is a file."""
    return (source.isdigit() and not Path(source).is_file()) or "://" in source


def _write(report: VideoReport, out: Path) -> None:
    """The data files (together: Ctrl-C waits for them), then the report, which Ctrl-C may stop."""
    with _deferred_signals():
        report.save(out)
        (out / "report.html").unlink(missing_ok=True)  # an earlier run's report never sits beside these data
    _render(report, out)


def _render(report: VideoReport, out: Path) -> None:
    """The report, which Ctrl-C may stop: then none is left (`video_report_html` writes it whole or not)."""
    from facemotion.apps.report import video_report_html

    try:
        video_report_html(report, out / "report.html")
    except KeyboardInterrupt:
        print(
            f"facemotion: interrupted while drawing the report: the data files in {out} are complete, "
            "report.html was not written",
            file=sys.stderr,
        )
        raise


@contextmanager
def _deferred_signals() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while the block runs (main thread only)."""
    try:
        previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        previous = {}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _print_second(s: dict[str, Any]) -> None:
    if s["faces"] is None:
        print(f"{s['time']:>6d} s  no frame analysed in this second", flush=True)
        return
    valence = "   -  " if s["valence"] is None else f"{s['valence']:+.2f}"
    faces = f"{s['faces']:>3d} face{'s' if s['faces'] != 1 else ' '}"
    print(f"{s['time']:>6d} s  {faces}  valence {valence}  {s['top'] or '-'}", flush=True)


def _video_text(s: dict[str, Any], out: Path) -> str:
    lines = [
        f"{s['file']}: {s['duration']:.{1 if s['duration'] >= 1 else 2}f} s, {s['status']}; sampled frames: {s['frames_expected']} expected, "
        f"{s['frames_analyzed']} analysed, {s['frames_skipped']} skipped, {s['frames_unreadable']} unreadable"
        + (f", {s['frames_not_reached']} not reached" if s["frames_not_reached"] else ""),
        (
            f"{_count(s['faces'], 'face reading')}, {s['faces_used']} used. {s['left_out_sentence']}"
            if s["faces"]
            else f"no face found in the {s['frames_analyzed']} analysed frames"
        ),
        (
            f"{s['people']} {'person' if s['people'] == 1 else 'people'} in {_count(s['shots'], 'shot')} "
            f"({_count(s['face_tracks'], 'face track')} linked by appearance; "
            f"{s['people_left_out']} seen under {s['people_min_seconds']:g} s or never readable not counted)"
            if s["people_linked"]
            else f"{_count(s['face_tracks'], 'face track')} in {_count(s['shots'], 'shot')}"
        ),
        s["sentence"],
    ]
    if s["mean_valence"] is not None:
        lines.append(
            f"mean valence {s['mean_valence']:+.2f} ({s['valence_words']}), "
            f"mean arousal {s['mean_arousal']:+.2f} ({s['arousal_words']})"
        )
    for seg in s["segments"] if s["faces_used"] else []:  # no readable face at all: the sentence says so
        lines.append(
            f"  {seg['start']:6.1f}–{seg['end']:6.1f} s: "
            + (
                "no data"
                if seg["no_data"]
                else f"{seg['dominant_emotion']} ({_count(seg['faces'], 'face')})"
                if seg["faces"]
                else "no readable face"
            )
        )
    lines.append(f"written: {out / WRITTEN[0]}, {', '.join(WRITTEN[1:])}")
    return "\n".join(lines)


def _count(n: int, thing: str) -> str:
    """``3 shots``, ``1 shot``.

    >>> _count(1, "shot"), _count(0, "face track")
    ('1 shot', '0 face tracks')
    """
    return f"{n} {thing}{'' if n == 1 else 's'}"


def add_video_command(sub: Any) -> None:
    p = sub.add_parser(
        "video",
        help="audience reaction over a video: report.html, timeline, people, plot",
        description="Analyse the faces of a video and write into --out: report.html (one offline page to hand to "
        "a client), summary.json (figures, frame accounting, metadata), timeline.csv (per second, with a "
        "confidence band), frames.csv (every face of every analysed frame, left-out ones included), people.csv "
        "and timeline.png. Ctrl-C or SIGTERM keeps what was finished (status 'interrupted', exit 130/143).",
    )
    p.add_argument("file", help="a video file, a camera index (0) or a stream URL (anything OpenCV opens)")
    p.add_argument(
        "--live",
        action="store_true",
        help="read it as a live stream: a line per second, rows flushed as they come, Ctrl-C keeps what was done "
        "(automatic for a camera index or URL)",
    )
    p.add_argument("--out", required=True, help=f"folder for {', '.join(WRITTEN)}")
    p.add_argument(
        "--fps", type=positive_float, default=5.0, help="frames analysed per second of video (above 0; default 5)"
    )
    p.add_argument("--json", action="store_true", help="print summary.json's content instead of the text summary")
    add_model_options(p)
    p.set_defaults(func=cmd_video)
