"""The `fer` package measured on the same inputs as facemotion; run by speed.py in fer's own environment.

`fer` needs OpenCV's Haar cascades (opencv-contrib-python < 5, which clashes with
facemotion's opencv-python-headless), so it lives in a separate virtual environment:

    python -m venv /tmp/fervenv
    /tmp/fervenv/bin/pip install "tensorflow-cpu==2.21.*" "opencv-contrib-python<5" pillow pandas tqdm requests "setuptools<81"
    /tmp/fervenv/bin/pip install --no-deps fer facenet-pytorch ffmpeg-python moviepy
    /tmp/fervenv/bin/pip install torch==2.13.0          # only for fer's mtcnn=True pipeline

Prints one JSON object; ``fer_peer.py SHARED --photos LIST`` prints fer's label (or null) for each photo in LIST.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import numpy as np
from timing import median_time  # this folder is on sys.path when run as a script

SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "shared"
FER_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
FERPLUS_TO_FER = {
    "anger": "angry",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprise",
    "neutral": "neutral",
}


def iou(a, b) -> float:  # type: ignore[no-untyped-def]
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def classify(detector, grey_faces: list[np.ndarray]) -> np.ndarray:  # type: ignore[no-untyped-def]
    """fer's own path for face crops: resize to 64×64, scale to [-1, 1], its model."""
    batch = np.stack([cv2.resize(f, (64, 64)) for f in grey_faces]).astype("float32") / 255.0
    batch = (batch - 0.5) * 2.0  # fer adds the channel axis itself
    return np.asarray(detector._classify_emotions(batch))


def pipeline(detector, photos, boxes) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times, found, labelled, spurious = [], 0, 0, 0
    for p in photos:
        image = cv2.imread(str(p))
        times.append(median_time(lambda image=image: detector.detect_emotions(image), 3, warmup=1))
        faces = [tuple(int(v) for v in f["box"]) for f in detector.detect_emotions(image)]
        truth = [(b["left"], b["top"], b["width"], b["height"]) for b in boxes[p.name]]
        labelled += len(truth)
        found += sum(any(iou(f, t) > 0.3 for f in faces) for t in truth)
        spurious += sum(not any(iou(f, t) > 0.3 for t in truth) for f in faces)
    return {"median_ms": statistics.median(times) * 1e3, "found": found, "labelled": labelled, "spurious": spurious}


def photo_labels(list_file: Path) -> None:
    """fer's own pipeline (its detector, largest face) on each listed photo: one JSON label or null per line."""
    from fer.fer import FER

    detector = FER()
    for line in list_file.read_text().splitlines():
        found = detector.detect_emotions(cv2.imread(line))
        if not found:
            print(json.dumps(None))
            continue
        face = max(found, key=lambda f: f["box"][2] * f["box"][3])
        print(json.dumps(max(face["emotions"], key=face["emotions"].get)))


def main() -> None:
    from fer.fer import FER

    if len(sys.argv) > 2 and sys.argv[2] == "--photos":
        photo_labels(Path(sys.argv[3]))
        return
    out: dict[str, object] = {}
    detector = FER()
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (96, 96), dtype=np.uint8) for _ in range(64)]
    out["crop_batch1_ms"] = median_time(lambda: classify(detector, crops[:1]), 200) * 1e3
    out["crop_batch64_faces_per_s"] = 64 / median_time(lambda: classify(detector, crops), 20)

    photos = sorted((SHARED / "media" / "group_photos").glob("voc_*.jpg"))
    boxes = json.loads((SHARED / "media" / "group_photos" / "voc_face_boxes.json").read_text())
    out["haar"] = pipeline(detector, photos, boxes)
    try:
        out["mtcnn"] = pipeline(FER(mtcnn=True), photos, boxes)
    except Exception as err:  # facenet-pytorch / torch not installed
        out["mtcnn"] = {"error": f"{type(err).__name__}: {err}"}

    video = SHARED / "media" / "video" / "short_hamilton_clip.mp4"
    if video.exists():  # fer's video path: its full pipeline on each sampled frame (5 per second, as facemotion)
        import time

        cap = cv2.VideoCapture(str(video))
        frames, index = [], 0
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            if index % 6 == 0:
                frames.append(frame)
            index += 1
        start = time.perf_counter()
        faces = sum(len(detector.detect_emotions(f)) for f in frames)
        out["video_frames_per_s"] = len(frames) / (time.perf_counter() - start)
        out["video_faces"] = faces

    val = SHARED / "data" / "ferplus" / "val"
    correct = total = 0
    for label, fer_label in FERPLUS_TO_FER.items():
        files = sorted((val / label).glob("*.png"))
        for start in range(0, len(files), 256):
            faces = [cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files[start : start + 256]]
            pred = classify(detector, faces).argmax(axis=1)
            correct += int(sum(FER_LABELS[i] == fer_label for i in pred))
            total += len(faces)
    out["ferplus_val_7class_accuracy"] = correct / total
    out["ferplus_val_7class_n"] = total
    print(json.dumps(out))


if __name__ == "__main__":
    main()
