"""Per-video reports of a batch: ``facemotion video``'s files, computed from the face rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from facemotion.labels import EMOTIONS


def report_folder(out_dir: Path, status: dict[str, Any]) -> Path:
    """``OUT/videos/<name>-<id>/``: where a video's report goes.

    >>> report_folder(Path("out"), {"path": "/in/clip.mp4", "input": "0123abcd"}).as_posix()
    'out/videos/clip-0123abcd'
    """
    return out_dir / "videos" / f"{Path(status['path']).stem}-{status['input']}"


def write_video_report(
    out_dir: Path, status: dict[str, Any], faces: list[dict[str, Any]], metadata: dict[str, Any] | None = None
) -> None:
    """``facemotion video``'s files of one analysed video (``report.html`` too), from its rows and merged
    chunk statuses; ``metadata``: what made them (`facemotion.apps.video.model_metadata`)."""
    from facemotion.apps.report import video_report_html
    from facemotion.apps.video import FrameFace, VideoReport

    report = VideoReport(
        status["path"],
        status["fps"],
        status["duration"],
        frames_analyzed=status["frames"],
        frames_skipped=status["frames_skipped"],
        sample_fps=status.get("sample_fps") or 0.0,
        frames_expected=status["frames_expected"],
        frames_unreadable=status["frames_unreadable"],
        status=status["status"],
        warnings=list(status.get("warnings") or []),
        frame_times=sorted(status.get("frame_times") or []),
        shot_cuts=sorted(status.get("shot_cuts") or []),
        people_linked=True,  # inside each chunk by appearance, across its boundaries by `stitch_chunks`
    )
    report.faces.extend(
        FrameFace(
            r["frame"],
            r["time"],
            r["person"],
            (r["x"], r["y"], r["w"], r["h"]),
            r["label"],
            r["score"],
            r["valence"],
            r["arousal"],
            tuple(r[f"p_{k}"] for k in EMOTIONS),
            r["detection_score"],
            track=r["track"],
            shot=r["shot"],
            brightness=r["brightness"],
            sharpness=r["sharpness"],
            left_out=r["left_out"] or "",
        )
        for r in faces
    )
    report.metadata = {"file": report.name, **(metadata or {}), "sample_fps": report.sample_fps}
    folder = report.save(report_folder(out_dir, status))
    video_report_html(report, folder / "report.html")
