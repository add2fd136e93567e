"""Fine-tuning the bundled model on 120 faces vs training from scratch, scored on FER+ val.

    python benchmarks/finetune_small.py [--per-class 15] [--seed 0]

Takes ``--per-class`` faces of each of the eight emotions from ``../shared/data/ferplus/train``
(a user's small folder-per-emotion set), then: (a) ``finetune_pretrained`` from the bundled
model (its defaults: frozen early layers and batch norm, low learning rate, batch size from the data size, early stopping
on a 20 % split), (b) the docs' from-scratch recipe (``build_model`` + ``finetune``, 30 epochs).
Both are scored on FER+ ``val`` (9-class and 8-class accuracy). Note that the bundled model
was trained on FER+ train, so (a) starts from a network that has seen these faces' kind.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np

from facemotion import EmotionClassifier
from facemotion.labels import EMOTIONS
from facemotion.training import (
    TrainingConfig,
    build_model,
    finetune,
    finetune_pretrained,
    load_image_folder,
    load_vote_folder,
    recipe_preprocessing,
)
from facemotion.training.evaluate import classification_report

SHARED = Path(__file__).resolve().parents[2] / "shared"


def small_folder(root: Path, per_class: int, seed: int, into: Path) -> Path:
    rng = np.random.default_rng(seed)
    for label in EMOTIONS[:-1]:
        files = sorted((root / label).glob("*.png"))
        (into / label).mkdir(parents=True)
        for i in rng.permutation(len(files))[:per_class]:
            shutil.copy(files[i], into / label / files[i].name)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-class", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    prep = recipe_preprocessing("compact")
    data = SHARED / "data" / "ferplus"
    val = load_vote_folder(data / "val", data / "votes.csv", prep)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        faces = load_image_folder(small_folder(data / "train", args.per_class, args.seed, work / "faces"), prep)
        rows = []
        tuned = finetune_pretrained(faces, work / "tuned", init="default", verbose=0).out
        rows.append(
            ("fine-tuned from the bundled model", EmotionClassifier(tuned, mirror=False).model.run(list(val.images)))
        )
        scratch = build_model("compact")
        finetune(scratch, faces, None, prep, work / "scratch_work", TrainingConfig(epochs=30, batch_size=32))
        from facemotion.artifact import save_pretrained

        save_pretrained(scratch, work / "scratch", prep)
        rows.append(
            ("trained from scratch (30 epochs)", EmotionClassifier(work / "scratch").model.run(list(val.images)))
        )
        rows.append(("the bundled model, not fine-tuned", EmotionClassifier(mirror=False).model.run(list(val.images))))
    print(f"{len(faces)} training faces ({args.per_class} per emotion), FER+ val: {len(val)} faces\n")
    print("| model | 9-class accuracy | 8-class accuracy | macro-F1 |")
    print("|---|---|---|---|")
    for name, out in rows:
        r = classification_report(out.probabilities, val.labels)
        print(f"| {name} | {r.accuracy:.3f} | {r.accuracy_8:.3f} | {r.macro_f1:.3f} |")


if __name__ == "__main__":
    main()
