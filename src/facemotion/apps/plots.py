"""Plots of the applications (need matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from facemotion.draw import COLORS, _pyplot
from facemotion.labels import EMOTIONS


def plot_timeline(timeline: Sequence[dict[str, Any]], path: str | Path | None = None, title: str = "") -> Any:
    """Valence and arousal over time, with the emotion shares stacked underneath."""
    plt = _pyplot()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 6), sharex=True, height_ratios=[1.2, 1], layout="constrained")
    t = np.array([r["time"] for r in timeline], float)
    for key, color in (("valence", "#d62728"), ("arousal", "#1f77b4")):
        y = np.array([np.nan if r[key] is None else r[key] for r in timeline], float)
        top.plot(t + 0.45, y, "-o", ms=3, color=color, label=key)
    top.axhline(0, color="0.7", lw=1)
    top.set(ylim=(-1, 1), ylabel="mean per second", title=f"Audience reaction {title}".strip())
    top.legend(loc="upper right")
    bottom_acc = np.zeros(len(t))
    for label in EMOTIONS:
        share = np.array([r[label] or 0.0 for r in timeline], float)
        if share.any():
            bottom.bar(
                t,
                share,
                bottom=bottom_acc,
                width=0.9 * (t[1] - t[0] if len(t) > 1 else 1),
                align="edge",
                color=np.array(COLORS[label]) / 255,
                label=label,
                edgecolor="none",
            )
            bottom_acc += share
    faces = [r["faces"] for r in timeline]
    bottom.set(ylim=(0, 1), ylabel="emotion share", xlabel="time (s)")
    bottom.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=9, fontsize=8, frameon=False)
    twin = bottom.twinx()
    twin.plot(t + 0.45, faces, color="k", lw=1, ls=":", label="faces")
    twin.set_ylabel("faces seen (dotted)")
    twin.set_ylim(0, max([*faces, 1]) * 1.1)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
