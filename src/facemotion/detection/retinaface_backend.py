"""RetinaFace detector (the optional ``retina-face`` package), isolated from Keras 3.

``retina-face`` sets ``TF_USE_LEGACY_KERAS=1`` when imported, which would make every
later ``tf.keras`` in the process the legacy Keras 2. This backend imports it with the
environment saved and restored, so the rest of the process keeps Keras 3. Its weights
are downloaded by ``retina-face`` on first use (they are not shipped), so it needs a
network connection once.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import numpy as np
from numpy.typing import NDArray

from facemotion.detection.base import DetectedFace, as_landmarks, check_detector_options, clip_box
from facemotion.errors import DetectorError

_ENV_KEYS = ("TF_USE_LEGACY_KERAS",)


def import_isolated(module: str) -> Any:
    """Import ``module`` and undo any change it makes to the Keras-selecting environment variables."""
    import importlib

    saved = {key: os.environ.get(key) for key in _ENV_KEYS}
    try:
        return importlib.import_module(module)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class RetinaFaceDetector:
    """Detect faces with RetinaFace (Deng et al. 2020) through ``retina-face``."""

    name = "retinaface"

    def __init__(self, min_score: float = 0.9) -> None:
        check_detector_options(min_score)
        try:
            self._module = import_isolated("retinaface.RetinaFace")
        except ImportError as err:
            raise DetectorError(
                f"the retinaface detector needs the optional extra: pip install 'facemotion[retinaface]' ({err})"
            ) from None
        self.min_score = min_score
        self._lock = threading.Lock()

    def detect(self, image: NDArray[np.uint8]) -> list[DetectedFace]:
        from facemotion.io import read_image

        bgr = np.ascontiguousarray(read_image(image)[:, :, ::-1])
        try:
            with self._lock:
                found = self._module.detect_faces(bgr, threshold=self.min_score)
        except Exception as err:  # network failure fetching weights, model errors
            raise DetectorError(f"retinaface failed: {type(err).__name__}: {err}") from None
        faces = []
        for item in (found or {}).values() if isinstance(found, dict) else []:
            x0, y0, x1, y1 = item["facial_area"]
            box = clip_box((x0, y0, x1 - x0, y1 - y0), image.shape[1], image.shape[0])
            if box is None:
                continue
            # retina-face names eyes from the subject's view; as_landmarks names them by image side.
            faces.append(DetectedFace(box, float(item["score"]), as_landmarks(item.get("landmarks", {}))))
        return faces
