"""Face detection recall, spurious boxes and time: the default BlazeFace, without its tiles, and full range alone.

    python benchmarks/detection.py [--step 1]

Rows: ``blazeface`` (the default: full range + short range on a bordered canvas + full
range on tiles of large photos), the same without tiles (``min_face_size=None``), and full
range alone without tiles (the detector before issue 10), on: all 3,000 portraits (one
face each: found, and a second box), FER+ ``val`` faces given as photos, the 43 labelled
faces of the VOC group photos (in colour, turned black and white, and as one 3×3 mosaic
1,500 and 3,000 px wide), the faces found in the two whitehouse photos (3 and 2 are
there), and the median time per group photo resized to 640×480. ``--step N`` takes every
N-th portrait / FER+ face.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from facemotion.detection.base import match_boxes
from facemotion.detection.blazeface_backend import BlazeFaceDetector
from facemotion.io import read_image

SHARED = Path(__file__).resolve().parents[2] / "shared"


Box = tuple[float, float, float, float]


def counts(detector: BlazeFaceDetector, files: list[Path]) -> tuple[float, float]:
    n = np.array([len(detector.detect(read_image(f))) for f in files])
    return float((n >= 1).mean()), float((n >= 2).mean())


def matched(detector: BlazeFaceDetector, image: np.ndarray, truth: list[Box]) -> tuple[int, int]:
    """Labelled faces found (IoU > 0.3) and spurious boxes."""
    return match_boxes([f.box for f in detector.detect(image)], truth)


def mosaic(groups: Path, boxes: dict[str, list[dict[str, float]]], width: int) -> tuple[np.ndarray, list[Box]]:
    """The VOC photos as one 3×3 mosaic ``width`` px wide (cells 4:3), with their face boxes."""
    cell_w, cell_h = width // 3, width // 4
    cells, truth = [], []
    for k, (photo, faces) in enumerate(boxes.items()):
        image = read_image(groups / photo)
        sx, sy = cell_w / image.shape[1], cell_h / image.shape[0]
        cells.append(cv2.resize(image, (cell_w, cell_h), interpolation=cv2.INTER_AREA))
        dx, dy = cell_w * (k % 3), cell_h * (k // 3)
        truth += [(b["left"] * sx + dx, b["top"] * sy + dy, b["width"] * sx, b["height"] * sy) for b in faces]
    return np.vstack([np.hstack(cells[r : r + 3]) for r in (0, 3, 6)]), truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=int, default=1)
    args = parser.parse_args()
    portraits = sorted((SHARED / "data" / "portraits").glob("*/*"))[:: args.step]
    fer = sorted((SHARED / "data" / "ferplus" / "val").glob("*/*.png"))[:: args.step]
    groups = SHARED / "media" / "group_photos"
    boxes = json.loads((groups / "voc_face_boxes.json").read_text())
    mosaics = [mosaic(groups, boxes, width) for width in (1500, 3000)]
    print(f"{len(portraits)} portraits, {len(fer)} FER+ val faces as photos, {len(boxes)} VOC photos\n")
    print(
        "| detector | portraits: found / 2nd box | FER+ val as photos: found | VOC: labelled found, spurious |"
        " VOC black and white | VOC mosaic 1,500 px | VOC mosaic 3,000 px | whitehouse faces |"
        " ms per 640×480 photo |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, detector in (
        ("blazeface (default)", BlazeFaceDetector()),
        ("no tiles (`min_face_size=None`)", BlazeFaceDetector(min_face_size=None)),
        ("full range only, no tiles", BlazeFaceDetector(short_range=False, min_face_size=None)),
    ):
        found, second = counts(detector, portraits)
        fer_found, _ = counts(detector, fer)
        hit, spurious = np.zeros(2, int), np.zeros(2, int)
        labelled = 0
        times = []
        for photo, faces in boxes.items():
            image = read_image(groups / photo)
            truth = [(b["left"], b["top"], b["width"], b["height"]) for b in faces]
            labelled += len(truth)
            grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            for k, version in enumerate((image, grey)):
                f, s = matched(detector, version, truth)
                hit[k] += f
                spurious[k] += s
            small = np.ascontiguousarray(cv2.resize(image, (640, 480)))
            for _ in range(3):
                detector.detect(small)
            runs = []
            for _ in range(15):
                start = time.perf_counter()
                detector.detect(small)
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
        crowd = [matched(detector, image, truth) for image, truth in mosaics]
        white = [len(detector.detect(read_image(p))) for p in sorted(groups.glob("whitehouse_*.jpg"))]
        print(
            f"| {name} | {found:.1%} / {second:.1%} | {fer_found:.1%} | {hit[0]}/{labelled}, {spurious[0]} |"
            f" {hit[1]}/{labelled}, {spurious[1]} | "
            + " | ".join(f"{f}/{labelled}, {s}" for f, s in crowd)
            + f" | {white} | {statistics.median(times) * 1e3:.1f} |"
        )


if __name__ == "__main__":
    main()
