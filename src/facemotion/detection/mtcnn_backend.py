"""MTCNN face detector (the ``mtcnn`` package, weights shipped with it): the offline default."""

from __future__ import annotations

import threading

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.detection.base import DetectedFace, as_landmarks, check_detector_options, clip_box, scale_faces


class MTCNNDetector:
    """Detect faces with MTCNN (Zhang et al. 2016).

    Large images are shrunk to ``max_side`` pixels for detection and the boxes mapped
    back, which keeps the cost bounded on big photos.

    Args:
        min_score: faces below this confidence are dropped.
        min_face_size: smallest face searched, in pixels of the (shrunk) image.
        max_side: longest image side used for detection.
    """

    name = "mtcnn"

    def __init__(self, min_score: float = 0.9, min_face_size: int = 20, max_side: int = 1024) -> None:
        from facemotion.extras import require
        from facemotion.runtime_lite import quiet_stderr

        check_detector_options(min_score, min_face_size=(min_face_size, 1), max_side=(max_side, 1))
        with quiet_stderr():  # TensorFlow's start-up lines (absl, oneDNN), shown with --debug
            self._mtcnn = require("mtcnn", "mtcnn").MTCNN(device="CPU:0")
        self._lock = threading.Lock()
        self.min_score = min_score
        self.min_face_size = min_face_size
        self.max_side = max_side

    def detect(self, image: NDArray[np.uint8]) -> list[DetectedFace]:
        from facemotion.io import read_image

        image = read_image(image)  # any input `predict` takes, by the same rules; RGB uint8 is not copied
        height, width = image.shape[:2]
        factor = max(1.0, max(height, width) / self.max_side)
        small = (
            image
            if factor == 1.0
            else cv2.resize(image, (round(width / factor), round(height / factor)), interpolation=cv2.INTER_AREA)
        )
        if min(small.shape[:2]) < 12:
            return []
        with self._lock:
            found = self._mtcnn.detect_faces(small, min_face_size=self.min_face_size)
        faces = []
        for item in found:
            box = clip_box(tuple(item["box"]), small.shape[1], small.shape[0])
            score = float(item["confidence"])
            if box is None or score < self.min_score:
                continue
            faces.append(DetectedFace(box, score, as_landmarks(item.get("keypoints", {}))))
        return scale_faces(faces, factor, width, height) if factor != 1.0 else faces
