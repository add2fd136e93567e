"""Plots of the applications (need matplotlib).

`plot_timeline` reads the rows of ``VideoReport.timeline()``: ``time``, ``faces``,
``valence``, ``arousal`` and the nine emotion shares, and where present ``valence_low``/
``valence_high`` (a confidence band, drawn shaded), ``end`` (a partial last second is drawn
narrow and hatched, never at full weight) and ``no_data`` (a second no frame was read of).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facemotion.draw import COLORS, _pyplot
from facemotion.labels import ANCHORS, EMOTIONS

#: Where the words of the valence and arousal axes sit.
VALENCE_TICKS = {-1.0: "very unpleasant", -0.5: "unpleasant", 0.0: "neutral", 0.5: "pleasant", 1.0: "very pleasant"}
AROUSAL_TICKS = {-1.0: "very calm", -0.5: "calm", 0.0: "neutral", 0.5: "excited", 1.0: "very excited"}


def _column(timeline: Sequence[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else r[key] for r in timeline], float)


def bin_widths(timeline: Sequence[dict[str, Any]], duration: float | None = None) -> np.ndarray:
    """How many seconds of video each row covers: ``end - time``, else the step, cut at ``duration``.

    >>> bin_widths([{"time": 0.0}, {"time": 1.0}, {"time": 2.0}], duration=2.2).round(2).tolist()
    [1.0, 1.0, 0.2]
    """
    t = np.array([r["time"] for r in timeline], float)
    step = float(t[1] - t[0]) if len(t) > 1 else 1.0
    widths = np.array([r["end"] - r["time"] if r.get("end") is not None else step for r in timeline], float)
    if duration is not None:
        widths = np.minimum(widths, np.maximum(duration - t, 0.0))
    return widths


def _runs(flags: list[bool], starts: np.ndarray, widths: np.ndarray) -> list[tuple[float, float]]:
    """``(start, stop)`` of each run of consecutive rows whose flag is set.

    >>> _runs([True, True, False, True], np.arange(4.0), np.ones(4))
    [(0.0, 2.0), (3.0, 4.0)]
    """
    runs: list[tuple[float, float]] = []
    for flag, start, width in zip(flags, starts, widths, strict=True):
        if not flag:
            continue
        if runs and abs(runs[-1][1] - start) < 1e-9:
            runs[-1] = (runs[-1][0], float(start + width))
        else:
            runs.append((float(start), float(start + width)))
    return runs


def plot_timeline(
    timeline: Sequence[dict[str, Any]],
    path: str | Path | None = None,
    title: str = "",
    *,
    shot_cuts: Sequence[float] = (),
    duration: float | None = None,
) -> Any:
    """The audience's reaction per second: how pleasant (with its confidence band), how excited,
    which emotions, and how many faces each second rests on. Shot cuts are dotted lines. The
    hatched parts of the valence and arousal panels are beyond the emotions' anchors
    (`facemotion.labels.ANCHORS`), which the model was trained within and faces rarely pass:
    arousal's top anchor is surprise's +0.39."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        4, 1, figsize=(11, 8.6), sharex=True, height_ratios=[1.5, 1.1, 1.1, 0.6], layout="constrained"
    )
    top, mid, shares_ax, faces_ax = axes
    t = np.array([r["time"] for r in timeline], float)
    widths = bin_widths(timeline, duration)
    step = float(np.median(widths)) if len(widths) else 1.0  # a row's length (the last may hold a sliver more)
    full = np.array([not r.get("partial") for r in timeline], bool) & (widths >= 0.999 * step)
    centre = t + widths / 2
    faces = np.array([r.get("faces") or 0 for r in timeline], float)
    for ax, key, ticks, color in (
        (top, "valence", VALENCE_TICKS, "#c0392b"),
        (mid, "arousal", AROUSAL_TICKS, "#2c6fbb"),
    ):
        y = _column(timeline, key)
        low, high = _column(timeline, f"{key}_low"), _column(timeline, f"{key}_high")
        ax.axhspan(0, 1, color="#e8f5e9" if key == "valence" else "#fff3e0", zorder=0)
        ax.axhspan(-1, 0, color="#fdecea" if key == "valence" else "#e3f2fd", zorder=0)
        reach = ANCHORS[:, 0 if key == "valence" else 1]  # the model places faces between its emotions' anchors
        for k, (start, stop) in enumerate(((-1.0, float(reach.min())), (float(reach.max()), 1.0))):
            ax.axhspan(start, stop, facecolor="0.93", edgecolor="0.8", hatch="///", lw=0, zorder=0.2,
                       label="beyond the emotions' anchors (rare)" if k else None)  # fmt: skip
        ax.axhline(0, color="0.6", lw=1)
        if np.isfinite(low).any():
            ax.fill_between(centre, low, high, color=color, alpha=0.22, lw=0, label="95% confidence band", step=None)
        ax.plot(centre, y, "-", color=color, lw=1.5, alpha=0.7)
        size = (10 if len(t) <= 40 else 40 / len(t) * 10) * np.clip(faces, 1, 16)  # one face: a small dot
        ax.scatter(centre[full], y[full], s=size[full], color=color, zorder=3, label=f"mean {key} (dot size: faces)")
        if (~full).any():
            ax.scatter(
                centre[~full],
                y[~full],
                s=size[~full],
                facecolor="white",
                edgecolor=color,
                zorder=3,
                label="partial second",
            )
        ax.set_ylim(-1, 1)
        ax.set_yticks(list(ticks), list(ticks.values()))
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)  # beside: no point hidden
    top.set_title(f"How pleasant the faces looked{' — ' + title if title else ''}", loc="left", fontsize=11)
    mid.set_title("How excited (aroused) they looked", loc="left", fontsize=11)
    bottom_acc = np.zeros(len(t))
    weight = 0.3 + 0.7 * np.clip(faces / 5, 0, 1)  # a second of one or two faces is drawn faint
    for label in EMOTIONS:
        share = np.nan_to_num(_column(timeline, label))
        if share.any():
            bars = shares_ax.bar(
                t,
                share,
                bottom=bottom_acc,
                width=0.92 * widths,
                align="edge",
                color=np.array(COLORS[label]) / 255,
                label=label,
                edgecolor="none",
            )
            for bar, alpha in zip(bars, weight, strict=True):
                bar.set_alpha(float(alpha))
            bottom_acc += share
    for ti, wi in zip(t[~full], widths[~full], strict=True):
        shares_ax.bar(ti, 1, width=0.92 * wi, align="edge", fill=False, hatch="//", edgecolor="0.5", lw=0)
    for start, stop in _runs([bool(r.get("no_data")) for r in timeline], t, widths):  # one span and label a run
        for ax in axes:
            ax.axvspan(start, stop, color="0.85", zorder=0.5)
        shares_ax.text((start + stop) / 2, 0.5, "no data", ha="center", va="center", rotation=90, fontsize=8)
    shares_ax.set(ylim=(0, 1))
    shares_ax.set_ylabel("share of faces")
    shares_ax.set_title("Which emotions", loc="left", fontsize=11)
    if bottom_acc.any():  # full colours (a first bar of few faces is faint), and what faint means
        from matplotlib.patches import Patch

        drawn = [label for label in EMOTIONS if np.nan_to_num(_column(timeline, label)).any()]
        rgb = {label: (r / 255, g / 255, b / 255) for label, (r, g, b) in COLORS.items()}
        handles = [Patch(color=rgb[label], label=label) for label in drawn]
        handles.append(Patch(color="0.5", alpha=0.3, label="faint: under 5 faces"))
        shares_ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    faces_ax.bar(t, faces, width=0.92 * widths, align="edge", color=np.where(full, "0.45", "0.75"))
    for r, ti, wi, n in zip(timeline, t, widths, faces, strict=True):
        if not r.get("no_data") and len(timeline) <= 40:  # a long video: the bars alone
            faces_ax.text(ti + wi / 2, n, f"{n:.0f}", ha="center", va="bottom", fontsize=8)
    faces_ax.set_ylim(0, max([*faces, 1]) * 1.35)
    faces_ax.set_ylabel("faces")
    row = float(np.median(widths[full])) if full.any() else 1.0  # a second, or the sampling interval when longer
    each = "each second" if row <= 1.0 + 1e-6 else f"each {row:.3g} s"
    faces_ax.set_title(f"Faces read {each} (what each point rests on)", loc="left", fontsize=11)
    faces_ax.set_xlabel("time in the video (s)")
    end = float((t + widths).max()) if len(t) else 1.0
    for ax in axes:
        for cut in shot_cuts:
            ax.axvline(cut, color="0.35", lw=1 if len(shot_cuts) <= 15 else 0.4, ls=":")
        ax.set_xlim(0, max(end, 1e-3))
    for cut in shot_cuts if len(shot_cuts) <= 15 else ():  # many cuts: the lines alone
        top.annotate("cut", (cut, 1), xytext=(2, -10), textcoords="offset points", fontsize=7, color="0.35")
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_share_pair(
    shares_a: dict[str, float], shares_b: dict[str, float], names: tuple[str, str], counted_as: str = "faces"
) -> Any:
    """The emotion shares of two groups side by side on one y-axis (grouped bars) of their ``counted_as``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    x = np.arange(len(EMOTIONS))
    for offset, shares, name, color in ((-0.2, shares_a, names[0], "#7f8fa6"), (0.2, shares_b, names[1], "#e67e22")):
        values = [shares.get(label, 0.0) for label in EMOTIONS]
        ax.bar(x + offset, values, width=0.4, color=color, label=name, edgecolor="k", lw=0.4)
        for xi, v in zip(x + offset, values, strict=True):
            if v > 0:
                ax.text(xi, v, f"{v:.0%}", ha="center", va="bottom", fontsize=7)
    top = max([0.05, *shares_a.values(), *shares_b.values()])
    ax.set(ylim=(0, top * 1.18), ylabel=f"share of the group's {counted_as}", xticks=x)
    ax.set_xticklabels(EMOTIONS)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.legend(frameon=False)
    return fig


def plot_differences(
    rows: Sequence[tuple[str, float | None, float | None, float | None]], directions: Sequence[int]
) -> Any:
    """``(what, difference, low, high)`` rows as dots with their confidence interval, around a zero line,
    green or red only where the difference is clear (``directions``: `GroupComparison.direction`), grey else."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 0.8 + 0.7 * len(rows)), layout="constrained")
    for i, ((_, delta, low, high), direction) in enumerate(zip(rows, directions, strict=True)):
        color = {1: "#27ae60", -1: "#c0392b"}.get(direction, "0.4")
        if low is not None and high is not None:
            ax.plot([low, high], [i, i], color=color, lw=5, alpha=0.45, solid_capstyle="round")
        if delta is not None:
            ax.plot([delta], [i], "o", color=color, ms=9)
    ax.axvline(0, color="0.3", lw=1)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows])
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.invert_yaxis()
    span = max([0.25, *(abs(v) for r in rows for v in r[1:] if v is not None)]) * 1.15
    ax.set_xlim(-span, span)
    ax.set_xlabel("difference (dot) and its confidence interval (bar); right of 0: higher in the second group")
    return fig
