"""Posed negative expressions: recall of anger, disgust, fear and sad on people a model never saw.

    python benchmarks/posed.py [--model NAME_OR_DIR] [--mirror]

Runs on the held-out subjects of ``../shared/data/ckplus48/train`` (``identity_split`` on the
CK+ subject, 20 %: the training scripts' ``CKPLUS_HELD_OUT``; every frame of a subject falls
on one side), three ways:

- ``crops``: the 48-px faces as given (``predict_faces``);
- ``photos, 48 px``: each face given as a photo, found by the default detector;
- ``photos, enlarged``: each face enlarged four times into a 320×240 frame (edges
  reflected), found by the default detector: the size of a face in a lab photo.

and, for the same four emotions, FER+ ``val`` (duplicates of training images left out).
CK+ has no ``uncertain`` and no ``neutral``: the label is the most probable of the eight
emotions, and "read as neutral" is the share of anger, disgust, fear and sad faces whose
label is ``neutral`` (low-intensity negatives falling into ``neutral`` is the failure this
measures). A photo without a face counts as wrong.

Only models trained without these subjects can be judged by it: the bundled model 0.3 saw
every CK+ ``train`` subject, so its figures here are training-set figures (printed with a
warning). Models of ``scripts/gpu_train.py`` and ``scripts/train_default_model.py`` keep them out.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion import EmotionClassifier
from facemotion.labels import EMOTIONS
from facemotion.training.datasets import identity_split, list_image_folder

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CKPLUS_HELD_OUT = 0.2  # the training scripts' CKPLUS_HELD_OUT
NEGATIVES = ("anger", "disgust", "fear", "sad")
SAW_ALL_CKPLUS = {"0.1.0", "0.2.0", "0.3.0"}  # bundled versions trained on every CK+ train subject


def held_out_ckplus(root: Path) -> list[tuple[Path, int]]:
    items = list_image_folder(root)
    keep = identity_split([p for p, _ in items], CKPLUS_HELD_OUT)
    return [item for item, k in zip(items, keep, strict=True) if k]


def enlarged(face: NDArray[Any]) -> NDArray[Any]:
    big = cv2.resize(face, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    top, left = (240 - big.shape[0]) // 2, (320 - big.shape[1]) // 2
    return cv2.copyMakeBorder(big, top, 240 - big.shape[0] - top, left, 320 - big.shape[1] - left, cv2.BORDER_REFLECT)


def labels_of(clf: EmotionClassifier, faces: list[Any], detect: bool) -> list[str | None]:
    """The most probable of the eight emotions for each face (``None``: no face found)."""

    def eight(probabilities: dict[str, float]) -> str:
        return max((k for k in probabilities if k != "uncertain"), key=probabilities.__getitem__)

    if not detect:
        return [eight(f.probabilities) for f in clf.predict_faces(faces)]
    out: list[str | None] = []
    for found in clf.predict(faces):
        largest = max(found, key=lambda f: f.box[2] * f.box[3] if f.box else 0, default=None)
        out.append(eight(largest.probabilities) if largest else None)
    return out


def row(name: str, predicted: list[str | None], true: list[int]) -> str:
    truth = [EMOTIONS[k] for k in true]
    found = sum(p is not None for p in predicted)
    accuracy = np.mean([p == t for p, t in zip(predicted, truth, strict=True)])
    cells = []
    for label in NEGATIVES:
        hits = [p == label for p, t in zip(predicted, truth, strict=True) if t == label]
        cells.append(f"{np.mean(hits):.2f} ({len(hits)})" if hits else "–")
    negative = [p for p, t in zip(predicted, truth, strict=True) if t in NEGATIVES]
    neutral = np.mean([p == "neutral" for p in negative]) if negative else float("nan")
    return f"| {name} | {found / len(predicted):.1%} | {accuracy:.3f} | {' | '.join(cells)} | {neutral:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a bundled name, a model folder or a Hub id (default: default)")
    parser.add_argument("--mirror", action="store_true", help="average each face with its mirror image")
    args = parser.parse_args()
    clf = EmotionClassifier(args.model, mirror=args.mirror)
    identity = clf.model.identity
    items = held_out_ckplus(SHARED / "data" / "ckplus48" / "train")
    faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in items]
    true = [k for _, k in items]
    print(f"model {identity['name']} {identity['version']} ({clf.model.runtime})")
    if Path(str(identity["name"])).name in ("default", "default_model") and identity["version"] in SAW_ALL_CKPLUS:
        print("WARNING: this model was trained on every CK+ train subject: these are training-set figures\n")
    subjects = len({p.stem[:4] for p, _ in items})
    print(f"CK+ held-out subjects: {subjects} people, {len(items)} faces\n")
    print(
        "| faces | found | accuracy (8) | " + " | ".join(f"{k} recall (n)" for k in NEGATIVES) + " | read as neutral |"
    )
    print("|---|---|---|" + "---|" * len(NEGATIVES) + "---|")
    print(row("CK+ held-out, crops", labels_of(clf, faces, detect=False), true))
    print(row("CK+ held-out, photos, 48 px", labels_of(clf, faces, detect=True), true))
    print(row("CK+ held-out, photos, enlarged", labels_of(clf, [enlarged(f) for f in faces], detect=True), true))
    sys.path.insert(0, str(ROOT / "scripts"))
    from train_default_model import duplicate_val_files

    copies = duplicate_val_files(SHARED / "data" / "ferplus" / "duplicates.csv")
    val = [
        (p, k)
        for p, k in list_image_folder(SHARED / "data" / "ferplus" / "val")
        if EMOTIONS[k] in NEGATIVES and p.name not in copies
    ]
    val_faces = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p, _ in val]
    print(row("FER+ val, crops (these four emotions)", labels_of(clf, val_faces, detect=False), [k for _, k in val]))


if __name__ == "__main__":
    main()
