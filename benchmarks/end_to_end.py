"""End-to-end accuracy on real photos: detection included, no face = wrong, side by side with `fer`.

    python benchmarks/end_to_end.py [--fer-python /tmp/fervenv/bin/python] [--model DIR]

Runs on the held-out people of ``../shared/data/portraits`` (``identity_split``: 20 % of the
people, never trained on). Rows: facemotion with its default detector, with ``mtcnn``, and
`fer`'s own pipeline (its Haar detector and model; it has no ``contempt`` class). The
portraits carry no ``uncertain`` label, so facemotion's label is the most probable of its
eight emotions (the FER+ protocol; ``--nine`` scores its nine-way label instead).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from facemotion.labels import EMOTIONS
from facemotion.training.datasets import identity_split, list_image_folder
from facemotion.training.evaluate import EvaluationReport, classification_report

SHARED = Path(__file__).resolve().parents[2] / "shared"
HELD_OUT = 0.2  # the training script's PORTRAITS_HELD_OUT
FER_TO_LABEL = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happy", "sad": "sad"}
FER_TO_LABEL |= {"surprise": "surprise", "neutral": "neutral"}


def held_out_portraits(root: Path) -> list[tuple[Path, int]]:
    items = list_image_folder(root)
    keep = identity_split([p for p, _ in items], HELD_OUT)
    return [item for item, k in zip(items, keep, strict=True) if k]


def facemotion_report(items: list[tuple[Path, int]], model: str | None, detector: str, nine: bool) -> EvaluationReport:
    from facemotion import EmotionClassifier
    from facemotion.io import read_image

    clf = EmotionClassifier(model, detector=detector)
    probs, true, missed = [], [], []
    for start in range(0, len(items), 64):
        chunk = items[start : start + 64]
        for found, (_, label) in zip(clf.predict([read_image(p) for p, _ in chunk]), chunk, strict=True):
            if not found:
                missed.append(label)
                continue
            face = max(found, key=lambda f: f.box[2] * f.box[3] if f.box else 0)
            p = np.array(list(face.probabilities.values()))
            if not nine:
                p[EMOTIONS.index("uncertain")] = 0.0
            probs.append(p)
            true.append(label)
    return classification_report(np.array(probs), np.array(true), np.array(missed, np.int64))


def fer_report(items: list[tuple[Path, int]], python: str) -> EvaluationReport:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(str(p) for p, _ in items))
    peer = Path(__file__).parent / "fer_peer.py"
    done = subprocess.run([python, str(peer), str(SHARED), "--photos", handle.name], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    labels = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    probs, true, missed = [], [], []
    for (_, label), fer_label in zip(items, labels, strict=True):
        if fer_label is None:
            missed.append(label)
            continue
        probs.append(np.eye(len(EMOTIONS))[EMOTIONS.index(FER_TO_LABEL[fer_label])])
        true.append(label)
    return classification_report(np.array(probs), np.array(true), np.array(missed, np.int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fer-python", default=None, help="python of a virtual env with `fer` (see fer_peer.py)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--nine", action="store_true", help="score facemotion's nine-way label")
    args = parser.parse_args()
    items = held_out_portraits(SHARED / "data" / "portraits")
    rows = [
        ("facemotion, default detector", facemotion_report(items, args.model, "blazeface", args.nine)),
        ("facemotion, mtcnn", facemotion_report(items, args.model, "mtcnn", args.nine)),
    ]
    if args.fer_python:
        rows.append(("fer (its Haar detector and model)", fer_report(items, args.fer_python)))
    print(f"portraits, held-out people: {len(items)} photos\n")
    print(
        "| pipeline | face found | accuracy (no face = wrong) | macro-F1 (no face = wrong) | accuracy on found faces |"
    )
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(
            f"| {name} | {r.found_rate:.1%} | {r.end_to_end_accuracy:.3f} | {r.end_to_end_macro_f1:.3f} | {r.accuracy:.3f} |"
        )
    best = rows[0][1]
    print("\nrecall per class (default detector, no face = wrong):")
    for label, m in best.per_class.items():
        print(f"  {label:<9} {m['recall']:.2f} of {int(m['support'])} found")


if __name__ == "__main__":
    main()
