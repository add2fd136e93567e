"""Where faces become too dark, too small or too blurred to read: the video quality gate's thresholds (issue 26).

    python benchmarks/video_quality.py [--step 10]

Every ``step``-th portrait of ``../shared/data/portraits`` (real photos, one face each,
labelled by emotion) is detected once, cropped as the model crops it, then degraded the
ways a video degrades faces: darker (the grey levels scaled down, sensor noise and JPEG
compression added, as in a dim auditorium), smaller (the crop shrunk to a few pixels a
side, as a face far from the camera), more blurred (Gaussian blur: out of focus, motion),
and dark and blurred together. Each degraded face is measured the way
`facemotion.apps.video.face_quality` measures a face in a video (mean brightness,
sharpness) and classified by the bundled model.

Printed per bucket of each measure: faces, accuracy (the label of the portrait's folder;
noisy, single annotations) and agreement (the label the model gave the clean face: what
the degradation alone changed), and the mean valence shift from the clean face. The
`QualityGate` defaults sit at the first bucket where agreement is at least 0.85 and
the mean valence shift within 0.03.
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion import EmotionClassifier
from facemotion.apps.video import QualityGate, face_quality
from facemotion.detection import crop_face
from facemotion.io import read_image
from facemotion.labels import EMOTIONS

SHARED = Path(__file__).resolve().parents[2] / "shared"
PORTRAITS = SHARED / "data" / "portraits"
BRIGHTNESS = [0, 10, 15, 20, 25, 30, 40, 60, 256]
SHARPNESS = [0, 2, 4, 8, 16, 32, 64, 1e9]
SIZE = [0, 12, 16, 20, 24, 32, 48, 10_000]


def _jpeg(image: NDArray[np.uint8], quality: int = 75) -> NDArray[np.uint8]:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return np.asarray(cv2.imdecode(data, cv2.IMREAD_UNCHANGED), np.uint8) if ok else image


def dark(face: NDArray[np.uint8], gain: float, rng: np.random.Generator) -> NDArray[np.uint8]:
    """Grey levels scaled by ``gain``, with sensor noise and JPEG compression."""
    noisy = face.astype(np.float32) * gain + rng.normal(0, 1.5, face.shape)
    return _jpeg(np.clip(noisy, 0, 255).astype(np.uint8))


def blurred(face: NDArray[np.uint8], sigma: float) -> NDArray[np.uint8]:
    """Gaussian blur of ``sigma`` pixels of a 100-pixel face."""
    s = sigma * face.shape[0] / 100
    return np.asarray(cv2.GaussianBlur(face, (0, 0), s), np.uint8)


def small(face: NDArray[np.uint8], side: int) -> NDArray[np.uint8]:
    return np.asarray(cv2.resize(face, (side, side), interpolation=cv2.INTER_AREA), np.uint8)


def variants(face: NDArray[np.uint8], rng: np.random.Generator) -> list[tuple[str, NDArray[np.uint8]]]:
    out = [("clean", face)]
    out += [(f"dark {g}", dark(face, g, rng)) for g in (0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05)]
    out += [(f"blur {s}", blurred(face, s)) for s in (1, 2, 3, 4, 6, 8)]
    out += [(f"size {n}", small(face, n)) for n in (64, 48, 32, 24, 20, 16, 12, 8)]
    out += [(f"dark {g} blur {s}", dark(blurred(face, s), g, rng)) for g in (0.3, 0.15, 0.08) for s in (2, 4)]
    return out


def table(name: str, edges: Sequence[float], values: NDArray[np.float64], rows: dict[str, NDArray[np.float64]]) -> None:
    print(f"\n{name:>12} | faces | accuracy | agreement | valence shift")
    for lo, hi in itertools.pairwise(edges):
        inside = (values >= lo) & (values < hi)
        if inside.any():
            print(
                f"{lo:5g}–{hi:<6g} | {int(inside.sum()):5d} | {rows['correct'][inside].mean():8.3f} | "
                f"{rows['agree'][inside].mean():9.3f} | {rows['shift'][inside].mean():+.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=int, default=10, help="take every N-th portrait")
    parser.add_argument("--portraits", type=Path, default=PORTRAITS)
    args = parser.parse_args()
    clf = EmotionClassifier()
    rng = np.random.default_rng(0)
    files = sorted(p for p in args.portraits.glob("*/*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))[:: args.step]
    records: list[tuple[str, str, float, float, int, NDArray[np.uint8]]] = []
    clean_label: dict[int, tuple[str, float]] = {}
    faces_seen = 0
    for file in files:
        image = read_image(file)
        found = clf.detector.detect(image)
        if not found:
            continue
        face = max(found, key=lambda f: f.box[2] * f.box[3])
        crop = crop_face(image, face, clf.model.config.preprocessing.margin)
        for what, degraded in variants(crop, rng):
            brightness, sharpness = face_quality(degraded, (0, 0, degraded.shape[1], degraded.shape[0]))
            records.append((file.parent.name, what, brightness, sharpness, degraded.shape[0], degraded))
        faces_seen += 1
    out = clf.model.run([r[-1] for r in records])
    labels = [EMOTIONS[int(i)] for i in out.probabilities.argmax(axis=1)]
    face_of = np.cumsum([r[1] == "clean" for r in records]) - 1
    for i, r in enumerate(records):
        if r[1] == "clean":
            clean_label[int(face_of[i])] = (labels[i], float(out.affect[i, 0]))
    rows = {
        "correct": np.array([labels[i] == r[0] for i, r in enumerate(records)], float),
        "agree": np.array([labels[i] == clean_label[int(face_of[i])][0] for i in range(len(records))], float),
        "shift": np.array([out.affect[i, 0] - clean_label[int(face_of[i])][1] for i in range(len(records))], float),
    }
    clean = np.array([r[1] == "clean" for r in records])
    print(f"{faces_seen} portraits with a face (every {args.step}th), {len(records)} faces with their degraded copies")
    print(f"clean accuracy {rows['correct'][clean].mean():.3f}; gate defaults {QualityGate()}")
    brightness = np.array([r[2] for r in records])
    sharpness = np.array([r[3] for r in records])
    size = np.array([r[4] for r in records], float)
    darkened = np.array([r[1].startswith("dark") or r[1] == "clean" for r in records])
    only_dark = np.array([(r[1].startswith("dark") and "blur" not in r[1]) or r[1] == "clean" for r in records])
    table("brightness", BRIGHTNESS, brightness[only_dark], {k: v[only_dark] for k, v in rows.items()})
    blur_only = np.array([r[1].startswith("blur") or r[1] == "clean" for r in records])
    table("sharpness", SHARPNESS, sharpness[blur_only], {k: v[blur_only] for k, v in rows.items()})
    print("(sharpness of darkened faces too: a dark face has little contrast)")
    table("sharpness", SHARPNESS, sharpness[darkened], {k: v[darkened] for k, v in rows.items()})
    sized = np.array([r[1].startswith("size") or r[1] == "clean" for r in records])
    table("size (px)", SIZE, size[sized], {k: v[sized] for k, v in rows.items()})
    gate = QualityGate()
    passed = np.array(
        [not gate.reasons(brightness=r[2], size=r[4], sharpness=r[3], detection_score=None) for r in records]
    )
    print(
        f"\nthe default gate keeps {passed.mean():.1%} of all faces: agreement {rows['agree'][passed].mean():.3f} kept, "
        f"{rows['agree'][~passed].mean():.3f} left out; accuracy {rows['correct'][passed].mean():.3f} kept, "
        f"{rows['correct'][~passed].mean():.3f} left out"
    )


if __name__ == "__main__":
    main()
