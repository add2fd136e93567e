"""BlazeFace full-range face detector (MediaPipe), the fast offline default.

The model file ``data/face_detection_full_range_sparse.tflite`` is MediaPipe's
full-range (sparse) face detector, Apache License 2.0 (see ``data/NOTICE``); it ships in
the wheel. It runs in the LiteRT interpreter (``ai-edge-litert``), falling back to
TensorFlow's ``tf.lite.Interpreter``. The decoder below follows MediaPipe's
``face_detection_full_range`` graph: 2304 SSD anchors on a 48×48 grid, sigmoid scores,
and weighted non-maximum suppression.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.detection.base import DetectedFace, clip_box

MODEL_PATH = Path(__file__).parent / "data" / "face_detection_full_range_sparse.tflite"
INPUT_SIZE = 192
GRID = 48  # stride 4
# BlazeFace boxes are square and tight around eyes and mouth. Scaled by BOX_SCALE and moved
# up by BOX_SHIFT of their side they frame a face like MTCNN's boxes and like FER2013's
# crops (measured on 300 FER+ faces and on the shared group photos), so that every
# detector gives the emotion model the framing it was trained on.
BOX_SCALE = 1.13
BOX_SHIFT = 0.053


def _interpreter(path: Path, threads: int) -> Any:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - ai-edge-litert is a dependency; TF's copy is the fallback
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_path=str(path), num_threads=threads)
    interpreter.allocate_tensors()
    return interpreter


def _anchors() -> NDArray[np.float32]:
    centers = (np.arange(GRID, dtype=np.float32) + 0.5) / GRID
    xs, ys = np.meshgrid(centers, centers)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def weighted_nms(
    boxes: NDArray[np.floating],
    scores: NDArray[np.floating],
    points: NDArray[np.floating],
    threshold: float = 0.3,
) -> list[tuple[NDArray[np.floating], float, NDArray[np.floating]]]:
    """MediaPipe's weighted NMS: overlapping boxes (IoU > ``threshold``) are averaged by score.

    ``boxes`` are (N, 4) as x0, y0, x1, y1; ``points`` (N, K, 2).
    """
    order = np.argsort(-scores)
    boxes, scores, points = boxes[order], scores[order], points[order]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    remaining = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        x0 = np.maximum(boxes[i, 0], boxes[:, 0])
        y0 = np.maximum(boxes[i, 1], boxes[:, 1])
        x1 = np.minimum(boxes[i, 2], boxes[:, 2])
        y1 = np.minimum(boxes[i, 3], boxes[:, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        iou = inter / np.maximum(area[i] + area - inter, 1e-9)
        group = remaining & (iou > threshold)
        group[i] = True
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        pts = (points[group] * weights[:, :, None]).sum(0) / weights.sum()
        out.append((box, float(scores[i]), pts))
        remaining &= ~group
    return out


class BlazeFaceDetector:
    """Detect faces with MediaPipe's full-range BlazeFace (about 10 ms per photo on two cores).

    Good for faces that fill more than about 1/20 of the image side; for tiny faces in
    very large photos use ``"mtcnn"``.

    Args:
        min_score: faces below this confidence are dropped.
        threads: CPU threads of the interpreter.
    """

    name = "blazeface"

    def __init__(self, min_score: float = 0.5, threads: int = 2) -> None:
        self.min_score = min_score
        self._interpreter = _interpreter(MODEL_PATH, threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = self._interpreter.get_output_details()
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        self._anchors = _anchors()
        self._lock = threading.Lock()

    def detect(self, image: NDArray[np.uint8]) -> list[DetectedFace]:
        height, width = image.shape[:2]
        if min(height, width) < 8:
            return []
        scale = INPUT_SIZE / max(height, width)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (INPUT_SIZE - new_w) // 2, (INPUT_SIZE - new_h) // 2
        canvas = np.zeros((INPUT_SIZE, INPUT_SIZE, 3), np.float32)
        resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized.astype(np.float32) / 127.5 - 1.0
        with self._lock:
            self._interpreter.set_tensor(self._input, canvas[None])
            self._interpreter.invoke()
            raw = np.array(self._interpreter.get_tensor(self._boxes)[0])
            logits = np.array(self._interpreter.get_tensor(self._scores)[0, :, 0])
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = scores >= self.min_score
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep] / INPUT_SIZE, scores[keep], self._anchors[keep]
        centers = raw[:, :2] + anchors
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centers - half, centers + half], axis=1)
        points = raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]
        faces = []
        for box, score, pts in weighted_nms(boxes, scores, points):
            # from the letterboxed 192×192 square back to input pixels
            x0, y0 = (box[0] * INPUT_SIZE - pad_x) / scale, (box[1] * INPUT_SIZE - pad_y) / scale
            x1, y1 = (box[2] * INPUT_SIZE - pad_x) / scale, (box[3] * INPUT_SIZE - pad_y) / scale
            side = max(x1 - x0, y1 - y0) * BOX_SCALE
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 - BOX_SHIFT * max(x1 - x0, y1 - y0)
            clipped = clip_box((cx - side / 2, cy - side / 2, side, side), width, height)
            if clipped is None:
                continue
            px = (pts[:, 0] * INPUT_SIZE - pad_x) / scale
            py = (pts[:, 1] * INPUT_SIZE - pad_y) / scale
            eyes = sorted([(float(px[0]), float(py[0])), (float(px[1]), float(py[1]))])
            landmarks = {
                "left_eye": eyes[0],
                "right_eye": eyes[1],
                "nose": (float(px[2]), float(py[2])),
                "mouth": (float(px[3]), float(py[3])),
            }
            faces.append(DetectedFace(clipped, score, landmarks))
        return faces
