"""Self-contained HTML reports a researcher can hand to a client (images embedded, no network).

- `video_report_html`: an audience's reaction to a video: the timeline, emotion
  shares, key moments (strongest positive/negative seconds, biggest rise and drop) with
  the annotated frame, a per-person table with a strip of their face, and a summary.
- `comparison_report_html`: entering vs leaving: the verdict sentence, the two
  groups' means and emotion shares.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.labels import EMOTIONS

if TYPE_CHECKING:
    from facemotion.apps.compare import GroupComparison
    from facemotion.apps.video import FrameFace, VideoReport

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;
padding:0 1rem}
h1{margin-bottom:.2rem}.sub{color:#666;margin-top:0}.summary{font-size:1.15rem;background:#f4f6f8;padding:1rem;
border-left:4px solid #4a7bd0}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;
padding:.4rem;text-align:left;vertical-align:middle}img{max-width:100%}.moments{display:grid;
grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:1rem}.moment{border:1px solid #ddd;padding:.5rem;
border-radius:6px}.strip img{height:56px;margin-right:2px}.neg{color:#b22}.pos{color:#171}
"""


def _png(image: NDArray[np.uint8]) -> str:
    """An RGB image as a ``data:`` URI (PNG)."""
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - encoding an in-memory array does not fail
        raise ValueError("could not encode an image")
    return "data:image/png;base64," + base64.b64encode(data.tobytes()).decode()


def _figure(fig: Any) -> str:
    """A matplotlib figure as a ``data:`` URI, closed afterwards."""
    from facemotion.draw import _pyplot

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )


def _shares_figure(shares: dict[str, float], title: str) -> str:
    from facemotion.draw import plot_emotion_shares

    ax = plot_emotion_shares(shares, title=title)
    return _figure(ax.figure)


def key_moments(timeline: Sequence[dict[str, Any]]) -> list[tuple[str, float, float, float | None]]:
    """``(what, second, valence, change)``: the strongest positive and negative seconds, the biggest rise and drop.

    ``change`` is the rise or drop from the second before (``None`` for the two peaks).

    >>> line = [{"time": t, "valence": v} for t, v in enumerate([0.1, 0.5, -0.3, None, 0.2])]
    >>> [(w, t, c) for w, t, _, c in key_moments(line)]
    [('most positive', 1, None), ('most negative', 2, None), ('biggest rise', 4, 0.5), ('biggest drop', 2, -0.8)]
    """
    seen = [(r["time"], r["valence"]) for r in timeline if r["valence"] is not None]
    if not seen:
        return []
    out: list[tuple[str, float, float, float | None]] = [
        ("most positive", *max(seen, key=lambda r: r[1]), None),
        ("most negative", *min(seen, key=lambda r: r[1]), None),
    ]
    steps = [(b[0], b[1], round(b[1] - a[1], 6)) for a, b in itertools.pairwise(seen)]
    if steps:
        rise = max(steps, key=lambda s: s[2])
        drop = min(steps, key=lambda s: s[2])
        if rise[2] > 0:
            out.append(("biggest rise", *rise))
        if drop[2] < 0:
            out.append(("biggest drop", *drop))
    return out


def _frame(path: str, index: int) -> NDArray[np.uint8] | None:
    cap = cv2.VideoCapture(path)
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), np.uint8) if ok and frame is not None else None
    finally:
        cap.release()


def _annotated(report: VideoReport, frame: int) -> NDArray[np.uint8] | None:
    from facemotion.draw import annotate
    from facemotion.results import FaceEmotion

    image = _frame(report.path, frame)
    if image is None:
        return None
    faces = [
        FaceEmotion(f.label, f.score, dict(zip(EMOTIONS, f.probabilities, strict=True)), f.valence, f.arousal, f.box)
        for f in report.faces
        if f.frame == frame
    ]
    out = annotate(image, faces)
    scale = 480 / max(out.shape[:2])
    return np.asarray(cv2.resize(out, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA), np.uint8)


def _face_strip(report: VideoReport, faces: list[FrameFace], n: int = 5) -> str:
    picks = [faces[round(i)] for i in np.linspace(0, len(faces) - 1, min(n, len(faces)))]
    out = []
    for f in picks:
        image = _frame(report.path, f.frame)
        if image is None:
            continue
        x, y, w, h = f.box
        crop = image[max(0, y) : y + h, max(0, x) : x + w]
        if crop.size:
            thumb = np.asarray(cv2.resize(crop, (56, 56)), np.uint8)
            out.append(f'<img alt="face at {f.time:.1f} s" src="{_png(thumb)}">')
    return "".join(out)


def video_summary_sentence(summary: dict[str, Any]) -> str:
    """A plain-language summary of a video report (the wording of ``compare``'s verdicts).

    >>> video_summary_sentence({"faces": 0, "people": 0, "duration": 9.0})
    'No face was seen in the 9 s of video.'
    """
    if not summary.get("faces"):
        return f"No face was seen in the {summary['duration']:.0f} s of video."
    valence = summary["mean_valence"]
    mood = "positive" if valence > 0.1 else "negative" if valence < -0.1 else "neutral"
    return (
        f"{summary['people']} people were seen over {summary['duration']:.0f} s; their overall reaction was {mood} "
        f"(mean valence {valence:+.2f}, arousal {summary['mean_arousal']:+.2f}). The most positive moment came at "
        f"{summary['peak_valence']:.0f} s and the most negative at {summary['lowest_valence']:.0f} s."
    )


def video_report_html(report: VideoReport, path: str | Path) -> Path:
    """Write ``path`` (``report.html``): the whole reaction report in one offline HTML file."""
    from facemotion.apps.plots import plot_timeline

    summary = report.summary()
    timeline = report.timeline()
    name = Path(report.path).name
    shares = {label: sum(f.label == label for f in report.faces) / max(1, len(report.faces)) for label in EMOTIONS}
    parts = [
        f"<h1>Audience reaction: {html.escape(name)}</h1>",
        f'<p class="sub">{report.duration:.1f} s of video, {report.frames_analyzed} frames analysed, '
        f"{summary['people']} people and {summary['faces']} face observations.</p>",
        f'<p class="summary">{html.escape(video_summary_sentence(summary))}</p>',
        "<h2>Valence and arousal over time</h2>",
        f'<img alt="timeline" src="{_figure(plot_timeline(timeline, title=name))}">',
        "<h2>Emotion shares</h2>",
        f'<img alt="emotion shares" src="{_shares_figure(shares, "Share of face observations")}">',
    ]
    moments = []
    for what, second, valence, change in key_moments(timeline):
        frames = [f.frame for f in report.faces if second <= f.time < second + 1]
        busiest = max(set(frames), key=lambda k: (frames.count(k), -k)) if frames else None  # the most faces
        image = _annotated(report, busiest) if busiest is not None else None
        picture = f'<img alt="{what}" src="{_png(image)}">' if image is not None else ""
        css = "pos" if valence >= 0 else "neg"
        moments.append(
            f'<div class="moment"><b>{what}</b>: {second:.0f}–{second + 1:.0f} s, '
            f'mean valence <span class="{css}">{valence:+.2f}</span>'
            + (f" ({change:+.2f} from the second before)" if change is not None else "")
            + f"{picture}</div>"
        )
    if moments:
        parts += ["<h2>Key moments</h2>", f'<div class="moments">{"".join(moments)}</div>']
    rows = []
    by_person: dict[int, list[FrameFace]] = {}
    for f in report.faces:
        by_person.setdefault(f.person, []).append(f)
    for person in report.people():
        faces = by_person[person["person"]]
        rows.append(
            f"<tr><td>{person['person']}</td><td>{person['first_seen']:.1f}–{person['last_seen']:.1f} s "
            f"({person['frames']} frames)</td><td>{person['valence']:+.2f}</td><td>{person['dominant_emotion']}</td>"
            f'<td class="strip">{_face_strip(report, faces)}</td></tr>'
        )
    if rows:
        parts += [
            "<h2>People</h2><p>A person is one track of a face; ids restart at shot cuts.</p>",
            "<table><tr><th>person</th><th>on screen</th><th>mean valence</th><th>dominant emotion</th>"
            f"<th>face</th></tr>{''.join(rows)}</table>",
        ]
    parts.append(f'<p class="sub">Made by facemotion from {html.escape(report.path)}.</p>')
    out = Path(path)
    out.write_text(_page(f"Audience reaction: {name}", "\n".join(parts)), encoding="utf-8")
    return out


def comparison_report_html(result: GroupComparison, path: str | Path, name_a: str = "A", name_b: str = "B") -> Path:
    """Write ``path``: the entering-vs-leaving comparison as one offline HTML file."""

    def fmt(x: float | None) -> str:
        return "–" if x is None else f"{x:+.2f}"

    parts = [
        f"<h1>Mood comparison: {html.escape(name_b)} vs {html.escape(name_a)}</h1>",
        f'<p class="summary">{html.escape(result.sentence)}</p>',
        "<table><tr><th></th><th>faces</th><th>mean valence</th><th>mean arousal</th></tr>",
        f"<tr><td>{html.escape(name_a)}</td><td>{result.n_a}</td><td>{fmt(result.mean_valence_a)}</td>"
        f"<td>{fmt(result.mean_arousal_a)}</td></tr>",
        f"<tr><td>{html.escape(name_b)}</td><td>{result.n_b}</td><td>{fmt(result.mean_valence_b)}</td>"
        f"<td>{fmt(result.mean_arousal_b)}</td></tr></table>",
        f"<p>Difference B − A: valence {fmt(result.delta_valence)}, arousal {fmt(result.delta_arousal)}"
        + (f"; permutation test p = {result.p_value:.3f}" if result.p_value is not None else "")
        + ".</p>",
        "<h2>Emotion shares</h2>",
        f'<img alt="shares {html.escape(name_a)}" src="{_shares_figure(result.shares_a, name_a)}">',
        f'<img alt="shares {html.escape(name_b)}" src="{_shares_figure(result.shares_b, name_b)}">',
    ]
    out = Path(path)
    out.write_text(_page(f"Mood comparison: {name_b} vs {name_a}", "\n".join(parts)), encoding="utf-8")
    return out
