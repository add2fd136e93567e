"""Applications built on the core API: video reaction, group comparison, pictures."""

from facemotion.apps.compare import GroupComparison, compare_groups
from facemotion.apps.video import VideoReport, analyze_video

__all__ = ["GroupComparison", "VideoReport", "analyze_video", "compare_groups"]
