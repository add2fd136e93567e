"""Applications on top of the api: audience reaction over a video, comparing two groups.

Imported lazily, so that the command line's parser does not load OpenCV or numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from facemotion.lazy import lazy_attributes

if TYPE_CHECKING:
    from facemotion.apps.compare import GroupComparison, compare_groups
    from facemotion.apps.video import QualityGate, VideoReport, analyze_video

_LAZY = {
    "GroupComparison": "facemotion.apps.compare",
    "compare_groups": "facemotion.apps.compare",
    "QualityGate": "facemotion.apps.video",
    "VideoReport": "facemotion.apps.video",
    "analyze_video": "facemotion.apps.video",
}


__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = ["GroupComparison", "QualityGate", "VideoReport", "analyze_video", "compare_groups"]
