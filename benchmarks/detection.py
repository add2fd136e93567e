"""Face detection recall, spurious boxes and time: the default two-model BlazeFace vs full range alone.

    python benchmarks/detection.py [--step 1]

Rows: ``blazeface`` (the default: full range + short range on a bordered canvas) and
``blazeface, full range only`` (the detector before issue 10), on: all 3,000 portraits
(one face each: found, and a second box), FER+ ``val`` faces given as photos, the 43
labelled faces of the VOC group photos (in colour and turned black and white), the two whitehouse photos, and the median time
per group photo resized to 640×480. ``--step N`` takes every N-th portrait / FER+ face.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from facemotion.apps.tracking import iou
from facemotion.detection.blazeface_backend import BlazeFaceDetector
from facemotion.io import read_image

SHARED = Path(__file__).resolve().parents[2] / "shared"


def counts(detector: BlazeFaceDetector, files: list[Path]) -> tuple[float, float]:
    n = np.array([len(detector.detect(read_image(f))) for f in files])
    return float((n >= 1).mean()), float((n >= 2).mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=int, default=1)
    args = parser.parse_args()
    portraits = sorted((SHARED / "data" / "portraits").glob("*/*"))[:: args.step]
    fer = sorted((SHARED / "data" / "ferplus" / "val").glob("*/*.png"))[:: args.step]
    groups = SHARED / "media" / "group_photos"
    boxes = json.loads((groups / "voc_face_boxes.json").read_text())
    print(f"{len(portraits)} portraits, {len(fer)} FER+ val faces as photos, {len(boxes)} VOC photos\n")
    print(
        "| detector | portraits: found / 2nd box | FER+ val as photos: found | VOC: labelled found, spurious |"
        " VOC black and white |",
        end="",
    )
    print(" whitehouse faces | ms per 640×480 photo |")
    print("|---|---|---|---|---|---|---|")
    for name, detector in (
        ("blazeface (default)", BlazeFaceDetector()),
        ("blazeface, full range only", BlazeFaceDetector(short_range=False)),
    ):
        found, second = counts(detector, portraits)
        fer_found, _ = counts(detector, fer)
        hit, spurious = np.zeros(2, int), np.zeros(2, int)
        labelled = 0
        times = []
        for photo, truth in boxes.items():
            image = read_image(groups / photo)
            t = [(b["left"], b["top"], b["width"], b["height"]) for b in truth]
            labelled += len(t)
            grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            for k, version in enumerate((image, grey)):
                faces = [f.box for f in detector.detect(version)]
                hit[k] += sum(any(iou(f, b) > 0.3 for f in faces) for b in t)
                spurious[k] += sum(not any(iou(f, b) > 0.3 for b in t) for f in faces)
            small = np.ascontiguousarray(cv2.resize(image, (640, 480)))
            for _ in range(3):
                detector.detect(small)
            runs = []
            for _ in range(15):
                start = time.perf_counter()
                detector.detect(small)
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
        white = [len(detector.detect(read_image(p))) for p in sorted(groups.glob("whitehouse_*.jpg"))]
        print(
            f"| {name} | {found:.1%} / {second:.1%} | {fer_found:.1%} | {hit[0]}/{labelled}, {spurious[0]} |"
            f" {hit[1]}/{labelled}, {spurious[1]} | {white} | {statistics.median(times) * 1e3:.1f} |"
        )


if __name__ == "__main__":
    main()
