"""Plain words for valence and arousal, for readers who have never heard of either.

Valence runs from unpleasant (-1) to pleasant (+1), arousal from calm (-1) to excited
(+1); both are read in bands (`VALENCE_BANDS`, `AROUSAL_BANDS`). Used by the video
summary and by the reports.

>>> valence_word(0.2), arousal_word(-0.4)
('mildly pleasant', 'calm')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from facemotion.labels import EMOTIONS


def bound(value: float) -> str:
    """An interval's end, signed, to two decimals, or to its first digit when two would show a
    value near but not at 0 as ``+0.00``: an interval that does not include 0 never seems to.

    >>> bound(0.271), bound(0.0012), bound(-0.004), bound(0.0), bound(float("nan"))
    ('+0.27', '+0.001', '-0.004', '+0.00', 'n/a')
    """
    if not math.isfinite(value):
        return "n/a"
    decimals = 2 if value == 0 or abs(value) >= 0.005 else min(8, -math.floor(math.log10(abs(value))))
    return f"{value:+.{decimals}f}"


#: ``(upper bound, words)`` from the most unpleasant band up; the last band has no bound.
VALENCE_BANDS: tuple[tuple[float, str], ...] = (
    (-0.6, "very unpleasant"),
    (-0.3, "unpleasant"),
    (-0.1, "mildly unpleasant"),
    (0.1, "neither pleasant nor unpleasant"),
    (0.3, "mildly pleasant"),
    (0.6, "pleasant"),
    (float("inf"), "very pleasant"),
)
#: ``(upper bound, words)`` from the calmest band up.
AROUSAL_BANDS: tuple[tuple[float, str], ...] = (
    (-0.6, "very calm"),
    (-0.3, "calm"),
    (-0.1, "rather calm"),
    (0.1, "neither calm nor excited"),
    (0.3, "mildly excited"),
    (0.6, "excited"),
    (float("inf"), "very excited"),
)
#: The change in mean valence from the first third of the seconds with faces to the last
#: that the one-sentence summary calls a trend.
TREND = 0.2
#: What each left-out reason of the quality gate is called in a sentence.
_REASONS = {"dark": "dark", "small": "small", "blurred": "blurred", "low detection score": "uncertain"}


def _band(value: float, bands: Sequence[tuple[float, str]]) -> str:
    return next(words for bound, words in bands if value < bound)


def valence_word(valence: float) -> str:
    """Valence in words: ``"unpleasant"`` … ``"pleasant"`` (`VALENCE_BANDS`).

    >>> valence_word(-0.7), valence_word(0.05)
    ('very unpleasant', 'neither pleasant nor unpleasant')
    """
    return _band(valence, VALENCE_BANDS)


def arousal_word(arousal: float) -> str:
    """Arousal in words: ``"calm"`` … ``"excited"`` (`AROUSAL_BANDS`).

    >>> arousal_word(0.45)
    'excited'
    """
    return _band(arousal, AROUSAL_BANDS)


def affect_words(valence: float | None, arousal: float | None) -> tuple[str | None, str | None]:
    """``(valence words, arousal words)``; ``None`` for a missing value.

    >>> affect_words(0.35, None)
    ('pleasant', None)
    """
    return (
        None if valence is None else valence_word(valence),
        None if arousal is None else arousal_word(arousal),
    )


def left_out_sentence(n: int, left_out: dict[str, int], seen: int | None = None) -> str:
    """``n`` faces the quality gate left out, in a sentence (``left_out``: per reason, as `VideoReport.left_out`;
    ``seen``: the faces seen, left-out ones included, where known).

    >>> left_out_sentence(9, {"dark": 9, "blurred": 7})
    '9 faces too dark or blurred to read were left out of the figures.'
    >>> left_out_sentence(3, {"dark": 2, "duplicate": 1})
    '2 faces too dark to read and 1 extra box on a face already boxed were left out of the figures.'
    >>> left_out_sentence(0, {})
    'Every face seen was clear enough to read.'
    >>> left_out_sentence(0, {}, seen=0)
    'No face was seen, so none was left out.'
    """
    if seen == 0:
        return "No face was seen, so none was left out."
    if not n:
        return "Every face seen was clear enough to read."
    doubles = left_out.get("duplicate", 0)
    poor = n - doubles if doubles < n else 0
    parts = []
    if poor or not doubles:
        reasons = sorted((r for r in _REASONS if left_out.get(r)), key=lambda r: -left_out[r])
        words = [_REASONS[r] for r in reasons] or ["poor"]
        what = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
        parts.append(f"{poor or n} face{'s' if (poor or n) != 1 else ''} too {what} to read")
    if doubles:
        parts.append(f"{doubles} extra box{'es' if doubles != 1 else ''} on a face already boxed")
    return " and ".join(parts) + f" {'were' if n != 1 else 'was'} left out of the figures."


def _seconds(row: dict[str, Any]) -> str:
    end = row.get("end", row["time"] + 1)
    return f"{row['time']:.0f}–{seconds_text(end)} s"


def seconds_text(value: float) -> str:
    """A time in seconds to three figures under 100 s, in whole seconds above (never ``1.65e+03``).

    >>> seconds_text(3.1698), seconds_text(1650.2), seconds_text(1350.0)
    ('3.17', '1,650', '1,350')
    """
    return f"{value:.3g}" if value < 100 else f"{value:,.0f}"


def duration_text(value: float) -> str:
    """A length of video as every page and sentence writes it: tenths of a second under a minute (three
    figures under a tenth), minutes and seconds above.

    >>> duration_text(9.17), duration_text(0.601), duration_text(0.04), duration_text(124.4), duration_text(3725.0)
    ('9.2 s', '0.6 s', '0.04 s', '2 min 4 s', '62 min 5 s')
    """
    if value < 0.095:
        return f"{seconds_text(value)} s"
    if round(value, 1) < 60:
        return f"{value:.1f} s"
    whole = round(value)
    return f"{whole // 60} min {whole % 60} s"


def _top(row: dict[str, Any]) -> str:
    """A timeline row's emotion read most often (its ``dominant_emotion``, else the first of the largest shares)."""
    if row.get("dominant_emotion"):
        return str(row["dominant_emotion"])
    shares = {label: row.get(label) or 0.0 for label in EMOTIONS}
    return max(shares, key=lambda k: shares[k])


def video_sentence(summary: dict[str, Any], timeline: Sequence[dict[str, Any]]) -> str:
    """What happened in a video, in one sentence (from `VideoReport.summary` keys and the timeline's seconds
    that may be moments): the overall mood in words, a trend when the last third of those
    seconds differs from the first by `TREND` or more, the most and least pleasant seconds.

    >>> line = [{"time": 0, "end": 1, "faces": 2, "valence": -0.2, "happy": 0.0, "sad": 1.0},
    ...         {"time": 1, "end": 1.2, "faces": 3, "valence": 0.5, "happy": 1.0, "sad": 0.0}]
    >>> video_sentence({"duration": 1.2, "faces_used": 5, "faces": 5, "mean_valence": 0.22,
    ...                 "mean_arousal": 0.0, "people": 2, "people_linked": True}, line)
    'Over 1.2 s of video, the faces of 2 people read as mildly pleasant and neither calm nor excited overall; \
the most pleasant moment was 1–1.2 s (mostly happy) and the least pleasant 0–1 s (mostly sad).'
    """
    duration = duration_text(summary["duration"])
    status = summary.get("status", "complete")
    if status != "complete" and summary.get("seconds_with_data") is not None:
        why = "was analysed before the interrupt" if status == "interrupted" else "could be read"
        duration = f"{duration_text(summary['seconds_with_data'])} (of {duration}) that {why}"
    if not summary.get("faces_used"):
        if summary.get("faces"):
            return f"No face in the {duration} of video was clear enough to read."
        return f"No face was seen in the {duration} of video."
    valence, arousal = affect_words(summary["mean_valence"], summary["mean_arousal"])
    people = summary.get("people") or 0
    who = (
        f"the faces of {people} {'person' if people == 1 else 'people'}"
        if summary.get("people_linked") and people
        else "the faces"
    )
    sentence = f"Over {'the ' if status != 'complete' else ''}{duration}{'' if status != 'complete' else ' of video'}, {who} read as {valence} and {arousal} overall"
    seen = [r for r in timeline if r.get("faces") and r.get("valence") is not None]
    if len(seen) >= 3:
        third = max(1, len(seen) // 3)
        start = sum(r["valence"] for r in seen[:third]) / third
        end = sum(r["valence"] for r in seen[-third:]) / third
        if abs(end - start) >= TREND:
            sentence += f", {'more' if end > start else 'less'} pleasant at the end than at the start"
    if len(seen) >= 2:
        best = max(seen, key=lambda r: r["valence"])
        worst = min(seen, key=lambda r: r["valence"])
        sentence += (
            f"; the most pleasant moment was {_seconds(best)} (mostly {_top(best)})"
            f" and the least pleasant {_seconds(worst)} (mostly {_top(worst)})"
        )
    return sentence + "."
