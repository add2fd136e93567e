"""Self-contained HTML reports a researcher can hand to a client (pictures embedded, no network).

The reports render results they are given; the analysis modules never import them.

- `video_report_html`: an audience's reaction to a video (a `facemotion.apps.video.VideoReport`):
  one sentence in plain words, valence and arousal as words on two gauges, the timeline
  with its confidence band and the faces behind each second, key moments with the faces
  they rest on outlined and named (click to enlarge), the people, the caveats, and what
  made the report (file name, date, versions, model, detector, sampling rate).
- `comparison_report_html`: two groups compared (a `facemotion.apps.compare.GroupComparison`),
  with the groups' names, both differences with their intervals, example faces, caveats.

The pages are Jinja2 templates in ``facemotion/apps/templates``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from facemotion.apps.report_images import face_crop, figure_uri, image_uri, read_frames
from facemotion.apps.video import MOMENT_MIN_FACES, moment_seconds
from facemotion.apps.wording import arousal_word, bound, duration_text, seconds_text, valence_word
from facemotion.atomic import atomic_write
from facemotion.draw import percent
from facemotion.io import readable
from facemotion.labels import EMOTIONS

if TYPE_CHECKING:
    import jinja2

    from facemotion.apps.compare import GroupComparison
    from facemotion.apps.video import FrameFace, VideoReport

#: Key-moment faces outlined and named (per moment).
DRIVERS = 3
#: Face pictures per person in the people table.
STRIP = 5
#: People shown in the table (those longest on screen); the rest are counted.
MAX_PEOPLE = 40
#: What the footer lists, in order; a key missing from the metadata reads "not recorded".
FOOTER = {
    "file": "input file",
    "inputs": "inputs",
    "duration": "duration",
    "analyzed_at": "date of analysis",
    "facemotion_version": "facemotion version",
    "model": "model",
    "model_version": "model version",
    "runtime": "runtime",
    "detector": "face detector",
    "sample_fps": "sampling rate",
}
_VIDEO_FOOTER = (
    "file",
    "duration",
    "analyzed_at",
    "facemotion_version",
    "model",
    "model_version",
    "runtime",
    "detector",
    "sample_fps",
)
_COMPARE_FOOTER = ("inputs", "analyzed_at", "facemotion_version", "model", "model_version", "runtime", "detector")


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    from facemotion.draw import percent

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("facemotion.apps", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["percent"] = percent  # scores as the pictures write them (never "100 %")
    return environment


def _render(template: str, path: str | Path, **context: Any) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)

    html = readable(_environment().get_template(template).render(**context))
    atomic_write(out, html.encode("utf-8"))  # whole or not at all: an interrupted write leaves no half page
    return out


def _footer(meta: Mapping[str, Any], keys: Sequence[str]) -> list[tuple[str, str]]:
    """The footer's rows: every key of ``keys`` (missing ones "not recorded"), inputs as bare names."""

    def text(key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "not recorded"
        if key == "file":
            return Path(str(value)).name
        if key == "analyzed_at":
            return str(value).replace("T", " ").replace("+00:00", " UTC")
        if key == "inputs":
            return ", ".join(Path(str(v)).name for v in value)
        if key == "duration":
            return duration_text(float(value))
        if key == "sample_fps":
            return f"{float(value):.3g} frames analysed per second of video"
        return str(value)

    return [(FOOTER[k], text(k, meta.get(k))) for k in keys]


def model_caveats(metrics: Mapping[str, Any]) -> list[str]:
    """What the model card's measured figures say, in words.

    >>> model_caveats({"ferplus_val_n": 3300, "ferplus_val_accuracy_9": 0.7606})[0][:60]
    'Measured accuracy: on 3,300 faces of the FER+ validation set'
    >>> model_caveats({})
    ["The model's measured accuracy was not given to this report: see its model card."]
    """
    out = []
    if "ferplus_val_accuracy_9" in metrics:
        n = metrics.get("ferplus_val_n")
        eight = metrics.get("ferplus_val_accuracy_8")
        out.append(
            f"Measured accuracy: on {f'{n:,} ' if n else ''}faces of the FER+ validation set (mostly front-on, "
            f"well-lit faces) the model's most likely emotion agrees with the crowd's for "
            f"{metrics['ferplus_val_accuracy_9']:.0%} of faces"
            + (f" ({eight:.0%} over the eight emotions without 'uncertain')" if eight else "")
            + ". Real audiences, filmed from the side and in the dark, are read less well."
        )
    recall = {k: v for k, v in dict(metrics.get("ferplus_val_recall", {})).items() if k != "uncertain"}
    if recall:
        ranked = sorted(recall, key=recall.__getitem__)
        best, worst = ranked[-1], ranked[:2]
        out.append(
            f"Some emotions are recognised far better than others: {best} {recall[best]:.0%} of the time, "
            + " and ".join(f"{w} only {recall[w]:.0%}" for w in worst)
            + "."
        )
    if "ferplus_val_valence_ccc" in metrics:
        arousal = metrics.get("ferplus_val_arousal_ccc")
        out.append(
            f"Valence scores agree with the reference scores with a concordance of {metrics['ferplus_val_valence_ccc']:.2f}"
            + (f" (arousal {arousal:.2f})" if arousal is not None else "")
            + " on the same faces (1 would be perfect agreement)."
        )
    return out or ["The model's measured accuracy was not given to this report: see its model card."]


#: The caveats every report carries.
GENERAL_CAVEATS = (
    "Known weak spots: faces turned away from the camera, in the dark, blurred, small, or partly hidden "
    "(hands, hair, other heads) are read less reliably, most often as 'neutral' — so a laughing audience "
    "filmed from the side can come out as neutral.",
    "What the scores are measured against: each emotion has a fixed place on the two scales, taken from "
    "published ratings of the emotion words (Warriner et al. 2013; e.g. happy +0.87 pleasant, sad −0.72), and "
    "a face scores between those places by how much it resembles each emotion. The scores say how a face "
    "looks, not what a person feels.",
)


# ----------------------------------------------------------------------------------------------- video


#: The title of the one key moment of a video with a single second that can be one.
ONLY_MOMENT = "the only moment with enough faces"


#: The least rise or drop of valence from one moment to the next that `key_moments` shows: a still video's
#: seconds differ by the model's noise (0.02 was called "the biggest drop").
MOMENT_MIN_CHANGE = 0.1


def key_moments(
    timeline: Sequence[dict[str, Any]], min_faces: int = MOMENT_MIN_FACES
) -> list[tuple[str, float, float, float | None]]:
    """``(what, second, valence, change)``: the strongest positive and negative seconds, the biggest rise and drop.

    Only `facemotion.apps.video.moment_seconds` take part (``min_faces`` faces, half a second
    of video), as in ``summary.json`` and its sentence. ``change`` is the rise or drop from the previous such second (``None``
    for the two peaks); a rise or drop under `MOMENT_MIN_CHANGE` is no moment.

    >>> line = [{"time": t, "valence": v} for t, v in enumerate([0.1, 0.5, -0.3, None, 0.2])]
    >>> [(w, t, c) for w, t, _, c in key_moments(line)]
    [('most pleasant', 1, None), ('least pleasant', 2, None), ('biggest rise', 4, 0.5), ('biggest drop', 2, -0.8)]
    >>> [w for w, *_ in key_moments([{"time": 0, "valence": 0.9, "faces": 1}, {"time": 1, "valence": 0.1, "faces": 5}])]
    ['the only moment with enough faces']
    >>> [w for w, *_ in key_moments([{"time": t, "valence": v} for t, v in enumerate([0.50, 0.48, 0.51])])]
    ['most pleasant', 'least pleasant']
    """
    seen = [(r["time"], r["valence"]) for r in moment_seconds(timeline, min_faces)]
    if not seen:
        return []
    if len(seen) == 1:  # not both the most and the least pleasant
        return [(ONLY_MOMENT, *seen[0], None)]
    out: list[tuple[str, float, float, float | None]] = [
        ("most pleasant", *max(seen, key=lambda r: r[1]), None),
        ("least pleasant", *min(seen, key=lambda r: r[1]), None),
    ]
    steps = [(b[0], b[1], round(b[1] - a[1], 6)) for a, b in itertools.pairwise(seen)]
    if steps:
        rise = max(steps, key=lambda s: s[2])
        drop = min(steps, key=lambda s: s[2])
        if rise[2] >= MOMENT_MIN_CHANGE:
            out.append(("biggest rise", *rise))
        if drop[2] <= -MOMENT_MIN_CHANGE:
            out.append(("biggest drop", *drop))
    return out


def _tone(valence: float) -> str:
    """The CSS class of a valence: ``pos``, ``neg`` or ``mid`` (neither, by `facemotion.apps.wording`).

    >>> _tone(0.4), _tone(-0.05), _tone(-0.2)
    ('pos', 'mid', 'neg')
    """
    word = valence_word(valence)
    return "mid" if word.startswith("neither") else "neg" if "unpleasant" in word else "pos"


def _left_out(face: FrameFace) -> str | None:
    """Why the quality gate left a face out of the figures, or ``None`` when it counts."""
    return face.left_out or None


def _moment_frame(faces: Sequence[FrameFace], sign: int) -> int | None:
    """The frame of a moment: the most faces that count, then the strongest in the moment's direction."""
    by_frame: dict[int, list[FrameFace]] = {}
    for f in faces:
        if _left_out(f) is None:
            by_frame.setdefault(f.frame, []).append(f)
    if not by_frame:
        return None
    return max(by_frame, key=lambda k: (len(by_frame[k]), sign * float(np.mean([f.valence for f in by_frame[k]]))))


def _moments(report: VideoReport, timeline: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each key moment: what, when, in words, its ``frame`` with the faces it rests on (``marks`` to outline,
    ``faces`` to show), without pictures yet (`_add_pictures`)."""
    rows = {r["time"]: r for r in timeline}
    merged: dict[float, tuple[str, float, float | None]] = {}
    for what, second, valence, change in key_moments(timeline):  # a peak that is also a rise is shown once
        if second in merged:
            first, _, first_change = merged[second]
            merged[second] = (f"{first} and {what}", valence, first_change if first_change is not None else change)
        else:
            merged[second] = (what, valence, change)
    out = []
    for second, (what, valence, change) in merged.items():
        row = rows[second]
        end = row.get("end", second + 1)
        sign = 1 if what.startswith(("most pleasant", "biggest rise")) or (what == ONLY_MOMENT and valence >= 0) else -1
        frame = _moment_frame([f for f in report.faces if second <= f.time < end], sign)
        shown = [f for f in report.faces if f.frame == frame]
        counted = [f for f in shown if _left_out(f) is None]
        middle = float(np.mean([f.valence for f in counted])) if counted else 0.0
        pulling = [f for f in counted if sign * (f.valence - middle) >= -1e-9]  # a pleasant face never drives a low
        drivers = sorted(pulling, key=lambda f: -sign * f.valence)[:DRIVERS]
        number = {id(f): i for i, f in enumerate(drivers, 1)}
        marks = [
            (f.box, f"{number[id(f)]} {f.label} {percent(f.score)}", f.label)
            if id(f) in number
            else (f.box, f"left out: {f.left_out}" if f.left_out else "", None)
            for f in shown
        ]
        n = row.get("faces") or 0
        text = f"The faces looked {valence_word(valence)} ({valence:+.2f})"
        if change is not None:
            text += f", {'up' if change > 0 else 'down'} {abs(change):.2f} from {_before(timeline, second)}"
        low, high = row.get("valence_low"), row.get("valence_high")
        sure = f", 95 % band {bound(low)} to {bound(high)}" if low is not None and high is not None else ""
        text += f"; based on {n} face reading{'s' if n != 1 else ''}{sure}"
        text += f", in only {end - second:.1f} s of video." if row.get("partial") else "."
        out.append(
            {
                "what": what,
                "start": second,
                "end_text": f"{end:.1f}" if row.get("partial") else f"{end:.0f}",
                "text": text,
                "frame": frame,
                "marks": marks,
                "image_uri": None,
                "drivers": [
                    {
                        "number": number[id(f)],
                        "label": f.label,
                        "score": f.score,
                        "valence": f.valence,
                        "valence_words": valence_word(f.valence),
                        "tone": _tone(f.valence),
                        "face": f,
                        "uri": None,
                    }
                    for f in drivers
                ],
            }
        )
    return out


def _people(report: VideoReport, linked: bool) -> list[dict[str, Any]]:
    """The people table's rows (`VideoReport.people`), each with the ``faces`` of its strip (`STRIP` readable
    faces spread over the time on screen), without pictures yet (`_add_pictures`)."""
    rows = report.people()
    if len(rows) > MAX_PEOPLE:  # the longest on screen, in the order they appear
        longest = sorted(rows, key=lambda r: -r["seconds_on_screen"])[:MAX_PEOPLE]
        rows = [r for r in rows if r in longest]
    by_person: dict[int, list[FrameFace]] = {}
    for f in report.faces:
        if _left_out(f) is None:
            by_person.setdefault(f.person, []).append(f)
    out = []
    for i, r in enumerate(rows, 1):
        faces = by_person.get(r["person"], [])
        out.append(
            {
                "name": f"{'Person' if linked else 'Face track'} {i}",
                "shots": ", ".join(str(s + 1) for s in r["shots"]),
                "on_screen": f"{duration_text(r['seconds_on_screen'])} (seen {r['first_seen']:.1f}–{r['last_seen']:.1f} s)",
                "valence": r["valence"],
                "valence_words": valence_word(r["valence"]),
                "tone": _tone(r["valence"]),
                "dominant": r["dominant_emotion"],
                "faces": [faces[round(k)] for k in np.linspace(0, len(faces) - 1, min(STRIP, len(faces)))],
                "strip": [],
            }
        )
    return out


def _add_pictures(report: VideoReport, moments: list[dict[str, Any]], people: list[dict[str, Any]]) -> None:
    """Fill in the pictures of `_moments` and `_people` in one pass over the video (`read_frames`).

    Each frame is cropped and encoded as it is decoded and then dropped: only the pictures
    are held (a moment's frame, outlined, as a JPEG; faces as small PNGs), never the frames
    (40 people's strips of 4K frames would be gigabytes). A frame that cannot be read again
    leaves its pictures out.
    """
    from facemotion.draw import outline_faces

    marks = {m["frame"]: m["marks"] for m in moments if m["frame"] is not None}
    crops: dict[int, list[tuple[FrameFace, int]]] = {}
    for m in moments:
        for d in m["drivers"]:
            crops.setdefault(d["face"].frame, []).append((d["face"], 96))
    for p in people:
        for f in p["faces"]:
            crops.setdefault(f.frame, []).append((f, 56))
    times = {f.frame: f.time for f in report.faces}
    pictures: dict[tuple[int, int], str] = {}
    outlined: dict[int, str] = {}
    for index, image in read_frames(report.path, {*marks, *crops}, times):
        for face, side in crops.get(index, []):
            pictures[id(face), side] = image_uri(face_crop(image, face.box, side=side))
        if index in marks:
            outlined[index] = image_uri(outline_faces(image, marks[index]), quality=85)
    for m in moments:
        m["image_uri"] = outlined.get(m["frame"]) if m["frame"] is not None else None
        for d in m["drivers"]:
            d["uri"] = pictures.get((id(d["face"]), 96))
    for p in people:
        p["strip"] = [pictures[id(f), 56] for f in p["faces"] if (id(f), 56) in pictures]


def _people_text(summary: Mapping[str, Any], n: int, shown: int) -> str:
    shots = summary["shots"]
    in_shots = f"in {shots} shot{'s' if shots != 1 else ''}"
    if summary["people_linked"]:
        text = (
            f"{n} {'person was' if n == 1 else 'people were'} seen {in_shots}. Faces in different shots that look "
            "alike are joined into one person, so a performer filmed by three cameras counts once; the joining "
            "can miss, so check the faces in the table."
        )
    else:
        text = (
            f"{n} face track{'s' if n != 1 else ''} {in_shots}. A track is one face followed without a break; these "
            "were not linked across shot cuts, so someone seen in two shots has two tracks."
        )
    if shown < n:
        text += f" The table shows the {shown} longest on screen."
    brief = summary.get("people_left_out") or 0
    if brief:
        who = ("person", "people") if summary["people_linked"] else ("face track", "face tracks")
        text += (
            f" {brief} more {who[brief != 1]} seen for under {summary['people_min_seconds']:g} s, or only "
            f"too poorly to read, {'are' if brief != 1 else 'is'} not listed."
        )
    return text


def _before(timeline: Sequence[dict[str, Any]], second: float) -> str:
    """Where a rise or drop is measured from: the last row before ``second`` that can be a moment, named.

    >>> line = [{"time": t, "end": t + 1, "valence": 0.1, "faces": n} for t, n in enumerate([5, 1, 5])]
    >>> _before(line, 2)
    '0–1 s (the second between had too few faces to count)'
    """
    eligible = [r for r in moment_seconds(timeline) if r["time"] < second]
    if not eligible:
        return "the start"
    row = eligible[-1]
    between = sum(1 for r in timeline if row["time"] < r["time"] < second)
    one, many = _row_words(timeline)
    skipped = (
        f" (the {one if between == 1 else f'{between} {many}'} between had too few faces to count)" if between else ""
    )
    return f"{row['time']:.0f}–{seconds_text(row['end'])} s{skipped}"


def _row_words(timeline: Sequence[dict[str, Any]]) -> tuple[str, str]:
    """What one timeline row is, singular and plural: ``("second", "seconds")``, or ``("5-s stretch",
    "5-s stretches")`` when frames were sampled less than once a second.

    >>> _row_words([{"time": 0, "end": 5}, {"time": 5, "end": 7, "partial": True}])
    ('5-s stretch', '5-s stretches')
    """
    lengths = [r["end"] - r["time"] for r in timeline if not r.get("partial") and "end" in r]
    step = float(np.median(lengths)) if lengths else 1.0
    if step <= 1.0 + 1e-6:
        return "second", "seconds"
    return f"{seconds_text(step)}-s stretch", f"{seconds_text(step)}-s stretches"


def _timeline_text(timeline: Sequence[dict[str, Any]], shot_cuts: Sequence[float]) -> str:
    faces = [r["faces"] for r in timeline if not r.get("no_data")]
    seen = [n for n in faces if n]
    band = any(r.get("valence_low") is not None for r in timeline)
    one, many = _row_words(timeline)
    text = f"Each point is the average of the faces read in that {one}"
    text += (
        "; the shaded band is its 95 % confidence band over the people behind it (narrow: many people who "
        "agree; wide: few people, or people who disagree; none: a single person, however many of their faces)."
        if band
        else f". No confidence band could be computed (fewer than two people in each {one}), so read each point with care."
    )
    if seen:
        text += (
            f" The bottom row shows how many faces each {one} rests on: {min(seen)} to {max(seen)}"
            f" (median {float(np.median(seen)):g})"
            + (f"; {faces.count(0)} {one if faces.count(0) == 1 else many} had none" if 0 in faces else "")
            + "."
        )
    for r in timeline:
        if r.get("partial"):
            text += (
                f" The last bar, from {r['time']:.0f} s, covers only {r['end'] - r['time']:.1f} s of video: it is drawn "
                "narrow and hatched, its point hollow."
            )
    no_data = sum(r["end"] - r["time"] for r in timeline if r.get("no_data"))
    if no_data:
        text += f" {seconds_text(no_data)} s of video could not be read at all (grey: no data)."
    if shot_cuts:
        text += f" Dotted lines mark the {len(shot_cuts)} shot cut{'s' if len(shot_cuts) != 1 else ''}."
    text += (
        f" Key moments are chosen among the {many} with at least {MOMENT_MIN_FACES} readable faces, so a higher or"
        " lower point resting on fewer faces is not one."
    )
    return text


def _no_timeline_text(summary: Mapping[str, Any]) -> str:
    """What stands instead of the timeline's charts when no face was read (they would be empty).

    >>> _no_timeline_text({"faces": 0, "frames_analyzed": 10})
    'No face was seen in the 10 analysed frames, so there is nothing to chart second by second.'
    """
    if summary["faces"]:
        n = summary["faces"]
        return (
            f"No face was clear enough to read ({n} face reading{'s' if n != 1 else ''} left out: see the caveats), "
            "so there is nothing to chart second by second."
        )
    frames = summary["frames_analyzed"]
    return f"No face was seen in the {frames} analysed frame{'s' if frames != 1 else ''}, so there is nothing to chart second by second."


def _frames_caveat(summary: Mapping[str, Any]) -> str:
    text = (
        f"{summary['faces']} face readings in {summary['frames_analyzed']} analysed frames "
        f"(of {summary['frames_expected']} sampled)"
    )
    problems = [
        f"{summary[key]} {what}"
        for key, what in (
            ("frames_skipped", "damaged and skipped"),
            ("frames_unreadable", "missing because the file ends early"),
            ("frames_not_reached", "not reached because the analysis was stopped"),
        )
        if summary.get(key)
    ]
    text += ": " + "; ".join(problems) + "." if problems else "; every sampled frame was read."
    return text


def _left_out_caveat(summary: Mapping[str, Any]) -> str:
    gate = summary.get("quality_thresholds") or {}
    text = str(summary["left_out_sentence"])
    if gate:
        text += (
            f" A face is left out when it is darker than grey level {gate['min_brightness']:g} of 255, smaller than "
            f"{gate['min_size']} pixels, blurred (sharpness under {gate['min_sharpness']:g}) or found with a detection "
            f"score under {gate['min_detection_score']:g}; left-out faces are outlined in grey in the pictures and "
            "counted nowhere else."
        )
    return text


def video_report_html(report: VideoReport, path: str | Path, *, metadata: Mapping[str, Any] | None = None) -> Path:
    """Write the reaction report as one offline HTML file; returns its path.

    ``path`` is the file to write, or a folder (then ``report.html`` inside it). ``metadata``
    (``model_metrics``, or anything of `VideoReport.metadata`) adds to and overrides
    ``report.metadata``; the input is always shown by its file name only.

    >>> report = analyze_video("audience.mp4")  # doctest: +SKIP
    >>> video_report_html(report, "reaction/", metadata={"model_metrics": clf.model.config.card.metrics})  # doctest: +SKIP
    PosixPath('reaction/report.html')
    """
    from facemotion import __version__
    from facemotion.apps.plots import plot_timeline
    from facemotion.draw import plot_emotion_shares

    out = Path(path)
    if out.is_dir() or not out.suffix:
        out = out / "report.html"
    summary = report.summary()
    meta: dict[str, Any] = {
        "file": report.name,
        "duration": report.duration,
        "facemotion_version": __version__,
        "sample_fps": report.sample_fps or None,
        **dict(report.metadata),
        **dict(metadata or {}),
    }
    name = readable(Path(str(meta["file"])).name)
    timeline = report.timeline()
    used = report.used_faces
    shares = {label: sum(f.label == label for f in used) / max(1, len(used)) for label in EMOTIONS}
    people = _people(report, summary["people_linked"])
    moments = _moments(report, timeline)
    _add_pictures(report, moments, people)
    one = summary["people"] == 1
    who = ("person" if one else "people") if summary["people_linked"] else ("face track" if one else "face tracks")
    rate = meta.get("sample_fps")
    subtitle = " · ".join(
        [
            f"{duration_text(report.duration)} of video",
            f"{report.frames_analyzed} frames analysed" + (f" ({float(rate):.2g} a second)" if rate else ""),
            f"{summary['faces_used']} face readings used, {summary['faces_left_out']} left out",
            f"{summary['people']} {who}",
        ]
    )
    overall = None
    if summary["mean_valence"] is not None:
        overall = {
            key: {
                "value": summary[f"mean_{key}"],
                "low": summary.get(f"mean_{key}_low"),
                "high": summary.get(f"mean_{key}_high"),
                "words": summary[f"{key}_words"],
            }
            for key in ("valence", "arousal")
        }
    caveats = [
        _frames_caveat(summary),
        _left_out_caveat(summary),
        *model_caveats(dict(meta.get("model_metrics") or {})),
        *GENERAL_CAVEATS,
        "Every face in the picture counts: performers on screen as well as the audience.",
    ]
    return _render(
        "video_report.html.j2",
        out,
        title=f"Audience reaction: {name}",
        subtitle=subtitle,
        sentence=summary["sentence"],
        warnings=summary["warnings"],
        overall=overall,
        faces_counted=summary["faces_used"],
        timeline_text=_timeline_text(timeline, report.shot_cuts) if used else _no_timeline_text(summary),
        timeline_uri=figure_uri(
            plot_timeline(timeline, title=name, shot_cuts=report.shot_cuts, duration=report.duration)
        )
        if used
        else None,
        moments=moments,
        shares_uri=figure_uri(plot_emotion_shares(shares, title="Share of face readings").figure) if used else None,
        shares_note=f" ({len(used)} readings)",
        people=people,
        people_text=_people_text(summary, summary["people"], len(people)),
        caveats=caveats,
        meta=meta,
        footer=_footer(meta, _VIDEO_FOOTER),
    )


# --------------------------------------------------------------------------------------------- compare


def _interval(delta: float | None, low: float | None, high: float | None) -> tuple[str, str]:
    if delta is None:
        return "–", "–"
    return bound(delta), ("too few faces" if low is None or high is None else f"{bound(low)} to {bound(high)}")


def _difference_words(result: GroupComparison, what: str, more: str, less: str) -> str:
    """The words of one difference: clear only when its interval and its permutation test agree."""
    delta, low = (
        (result.delta_valence, result.ci_low) if what == "pleasant" else (result.delta_arousal, result.arousal_ci_low)
    )
    if delta is None:
        return "no comparison possible"
    if low is None:
        return "too few faces to tell"
    direction = result.direction("valence" if what == "pleasant" else "arousal")
    if direction:
        return f"{more if direction > 0 else less}: a clear difference"
    return f"no clear difference in how {what} the faces looked"


def comparison_report_html(result: GroupComparison, path: str | Path, *, names: tuple[str, str] | None = None) -> Path:
    """Write a comparison of two groups as one offline HTML file; returns its path.

    ``names`` override ``result.names`` (e.g. ``("entering", "leaving")``).

    >>> result = compare_groups("adA/", "adB/", names=("ad A", "ad B"))  # doctest: +SKIP
    >>> comparison_report_html(result, "ads.html")  # doctest: +SKIP
    PosixPath('ads.html')
    """
    from dataclasses import replace

    from facemotion.apps.compare import counted
    from facemotion.apps.plots import plot_differences, plot_share_pair

    if names is not None:
        result = replace(result, names=names)
    a, b = result.names
    meta = dict(result.metadata)
    rows = [
        ("valence (pleasant)", result.delta_valence, result.ci_low, result.ci_high),
        ("arousal (excited)", result.delta_arousal, result.arousal_ci_low, result.arousal_ci_high),
    ]
    differences = []
    for (what, delta, low, high), words in zip(
        rows,
        (
            _difference_words(result, "pleasant", f"{b} looked more pleasant", f"{b} looked less pleasant"),
            _difference_words(result, "excited", f"{b} looked more excited", f"{b} looked calmer"),
        ),
        strict=True,
    ):
        d, ci = _interval(delta, low, high)
        differences.append({"what": what, "delta": d, "ci": ci, "words": words})
    if result.p_value is None:
        p_text = "No permutation test: too few faces in a group."
    else:
        chance = (
            "less than once in 1,000"
            if result.p_value < 0.001
            else f"about {round(result.p_value * 100)} times in 100"
            if result.p_value >= 0.01
            else f"about {round(result.p_value * 1000)} times in 1,000"
        )
        p_text = (
            f"Permutation test of the valence difference: {result.p_text}. If the two groups were in the same mood, a "
            f"difference at least this large would turn up by chance {chance}."
        )
    if result.delta_valence is not None and result.mean_valence_a is not None and result.mean_valence_b is not None:
        plain = (
            f"Faces in {a} looked {valence_word(result.mean_valence_a)} on average ({result.mean_valence_a:+.2f}), "
            f"faces in {b} {valence_word(result.mean_valence_b)} ({result.mean_valence_b:+.2f})."
        )
    else:
        plain = "At least one group has no face, so there is nothing to compare."

    def group(
        name: str, n: int, unit: str, v: float | None, ar: float | None, skipped: Sequence[Any]
    ) -> dict[str, Any]:
        return {
            "name": name,
            "counted": counted(n, unit),
            "valence": "–" if v is None else f"{v:+.2f} ({valence_word(v)})",
            "arousal": "–" if ar is None else f"{ar:+.2f} ({arousal_word(ar)})",
            "skipped": len(skipped),
        }

    examples = [
        {
            "name": name,
            "faces": [
                {
                    "uri": image_uri(e.image),
                    "label": e.label,
                    "score": e.score,
                    "valence": e.valence,
                    "valence_words": valence_word(e.valence),
                    "source": Path(e.source).name,
                }
                for e in faces
            ],
        }
        for name, faces in ((a, result.examples_a), (b, result.examples_b))
        if faces
    ]
    skipped = [
        f"{name}: {file}: {why}" for name, s in ((a, result.skipped_a), (b, result.skipped_b)) for file, why in s
    ]
    caveats = [
        f"{counted(result.n_a, result.units[0], a)} and {counted(result.n_b, result.units[1], b)} were compared"
        + (
            f"; {len(skipped)} file{'s' if len(skipped) != 1 else ''} could not be read and "
            f"{'were' if len(skipped) != 1 else 'was'} skipped."
            if skipped
            else "."
        ),
        *(
            f"{len(files)} photo{'s' if len(files) != 1 else ''} of {name} showed no face and added nothing to it "
            "(a face turned away or too small); if those people differ from the others, the groups are biased."
            for name, files in ((a, result.no_face_a), (b, result.no_face_b))
            if files
        ),
        *(
            [
                f"{shared} file{'s are' if shared != 1 else ' is'} in both groups: this is not a comparison of two "
                "different groups."
            ]
            if (shared := int(meta.get("files_in_both_groups") or 0))
            else []
        ),
        f"The interval and the test assume the {result.counted_as} are independent: many photos or videos of the "
        "same few people make the interval look surer than it is (each photo of the same five people counted "
        "anew claimed a clear difference between two halves of one group about one time in four).",
        *model_caveats(dict(meta.get("model_metrics") or {})),
        *GENERAL_CAVEATS,
    ]
    return _render(
        "compare_report.html.j2",
        path,
        title=f"Mood comparison: {b} vs {a}",
        subtitle=f"{counted(result.n_a, result.units[0], a)}, {counted(result.n_b, result.units[1], b)}; "
        f"differences are {b} minus {a}.",
        sentence=result.sentence,
        plain=plain,
        names=(a, b),
        confidence=f"{result.confidence:.0%}",
        counted_as=result.counted_as,
        groups=[
            group(a, result.n_a, result.units[0], result.mean_valence_a, result.mean_arousal_a, result.skipped_a),
            group(b, result.n_b, result.units[1], result.mean_valence_b, result.mean_arousal_b, result.skipped_b),
        ],
        differences=differences,
        p_text=p_text,
        differences_uri=(
            figure_uri(
                plot_differences(
                    [r for r in rows if r[1] is not None],
                    [
                        result.direction(k)
                        for k, r in zip(("valence", "arousal"), rows, strict=True)
                        if r[1] is not None
                    ],
                )
            )
            if result.delta_valence is not None
            else None
        ),
        shares_uri=figure_uri(plot_share_pair(result.shares_a, result.shares_b, (a, b), result.counted_as)),
        examples=examples,
        skipped=skipped,
        caveats=caveats,
        meta=meta,
        footer=_footer(meta, _COMPARE_FOOTER),
    )
