"""Face detection behind a small protocol, with lazily imported backends.

>>> detector = get_detector("mtcnn")  # doctest: +SKIP
>>> detector.detect(image)  # doctest: +SKIP
[DetectedFace(box=(100, 192, 28, 39), score=0.9996, landmarks=(...))]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from facemotion.detection.base import LANDMARKS, DetectedFace, FaceDetector, crop_face, head_turn
from facemotion.errors import DetectorError
from facemotion.lazy import lazy_attributes

if TYPE_CHECKING:
    from facemotion.detection.blazeface_backend import BlazeFaceDetector

#: The default detector's class, for its options (``BlazeFaceDetector(min_face_size=16)``), imported on first use.
__getattr__ = lazy_attributes(__name__, {"BlazeFaceDetector": "facemotion.detection.blazeface_backend"})

_BACKENDS: dict[str, Callable[[], FaceDetector]] = {}


@functools.cache
def _cached(name: str) -> FaceDetector:
    return _BACKENDS[name]()


def register_detector(name: str, factory: Callable[[], FaceDetector]) -> None:
    """Make ``get_detector(name)`` return ``factory()`` (plug in your own detector)."""
    _BACKENDS[name] = factory
    _cached.cache_clear()


def _mtcnn() -> FaceDetector:
    from facemotion.detection.mtcnn_backend import MTCNNDetector

    return MTCNNDetector()


def _blazeface() -> FaceDetector:
    from facemotion.detection.blazeface_backend import BlazeFaceDetector

    return BlazeFaceDetector()


def _retinaface() -> FaceDetector:
    from facemotion.detection.retinaface_backend import RetinaFaceDetector

    return RetinaFaceDetector()


register_detector("blazeface", _blazeface)
register_detector("mtcnn", _mtcnn)
register_detector("retinaface", _retinaface)

DEFAULT_DETECTOR = "blazeface"


def get_detector(detector: str | FaceDetector | None = None) -> FaceDetector:
    """Return a detector: a registered name, an instance, or the default (``blazeface``).

    ``blazeface`` (default) is fast and ships with facemotion (for its options, such as the
    smallest face looked for in large photos, pass a ``BlazeFaceDetector(...)``); ``mtcnn``
    is slower, a second opinion; ``retinaface`` is an optional extra that downloads its weights.
    """
    if detector is None:
        detector = DEFAULT_DETECTOR
    if isinstance(detector, str):
        if detector not in _BACKENDS:
            raise DetectorError(f"unknown detector {detector!r}; choose one of {', '.join(sorted(_BACKENDS))}")
        return _cached(detector)
    if not isinstance(detector, FaceDetector):
        raise DetectorError(f"{detector!r} is not a face detector (it needs a detect(image) method)")
    return detector


__all__ = [
    "LANDMARKS",
    "BlazeFaceDetector",
    "DetectedFace",
    "FaceDetector",
    "crop_face",
    "get_detector",
    "head_turn",
    "register_detector",
]
