"""facemotion: emotions and valence–arousal from faces, offline, on a CPU.

>>> from facemotion import EmotionClassifier  # doctest: +SKIP
>>> EmotionClassifier().predict("photo.jpg")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from facemotion.errors import (
    DatasetError,
    DetectorError,
    FacemotionError,
    ImageReadError,
    MissingExtraError,
    ModelLoadError,
    VideoReadError,
)
from facemotion.lazy import lazy_attributes

if TYPE_CHECKING:
    from facemotion.api import EmotionClassifier, ValenceArousalRegressor, analyze_group
    from facemotion.labels import EMOTIONS
    from facemotion.results import FaceAffect, FaceEmotion, GroupMood

_LAZY = {
    "EMOTIONS": "facemotion.labels",
    "EmotionClassifier": "facemotion.api",
    "ValenceArousalRegressor": "facemotion.api",
    "analyze_group": "facemotion.api",
    "FaceEmotion": "facemotion.results",
    "FaceAffect": "facemotion.results",
    "GroupMood": "facemotion.results",
}


__getattr__ = lazy_attributes(__name__, _LAZY)  # the public parts load on first use: `import facemotion` stays fast

__all__ = [
    "EMOTIONS",
    "DatasetError",
    "DetectorError",
    "EmotionClassifier",
    "FaceAffect",
    "FaceEmotion",
    "FacemotionError",
    "GroupMood",
    "ImageReadError",
    "MissingExtraError",
    "ModelLoadError",
    "ValenceArousalRegressor",
    "VideoReadError",
    "analyze_group",
]
