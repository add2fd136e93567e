"""Fine-tuning the bundled model on 120 faces vs training from scratch, scored on FER+ val.

    python benchmarks/finetune_small.py [--per-class 15] [--seed 0] [--distill-initial 0.5 0] [--no-scratch]

Takes ``--per-class`` faces of each of the eight emotions from ``../shared/data/ferplus/train``
(a user's small folder-per-emotion set), then: (a) ``finetune_pretrained`` from the bundled
model (its defaults: frozen early layers and batch norm, low learning rate, batch size from the
data size, early stopping on a 20 % split), once for each ``--distill-initial`` weight of the
starting model's own predictions in the targets (0.5 is the default, 0 the user's labels only),
(b) the docs' from-scratch recipe (``build_model`` + ``finetune``, 30 epochs).
All are scored on FER+ ``val`` (9-class and 8-class accuracy, macro-F1) and on the user's own
20 % hold-out (the faces ``finetune_pretrained`` held out: what the run summary prints). The
bundled model was trained on FER+ train, so FER+ ``val`` measures keeping what it knows.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np
from speed import cpu_description  # this folder is on sys.path when run as a script

from facemotion import EmotionClassifier
from facemotion.artifact import save_pretrained
from facemotion.labels import EMOTIONS
from facemotion.training import (
    TrainingConfig,
    build_model,
    finetune,
    finetune_pretrained,
    load_image_folder,
    load_vote_folder,
    recipe_preprocessing,
    small_data_config,
    split_validation,
)
from facemotion.training.evaluate import EvaluationReport, classification_report
from facemotion.training.run import batch_size_for

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
    parser.add_argument("--distill-initial", type=float, nargs="+", default=[0.5, 0.0])
    parser.add_argument("--no-scratch", action="store_true", help="skip training from scratch")
    args = parser.parse_args()
    prep = recipe_preprocessing("compact")
    data = SHARED / "data" / "ferplus"
    val = load_vote_folder(data / "val", data / "votes.csv", prep)
    rows: list[tuple[str, EvaluationReport, float | None]] = []

    def scored(name: str, model: Any, holdout_accuracy: float | None) -> None:
        rows.append(
            (name, classification_report(model.run(list(val.images)).probabilities, val.labels), holdout_accuracy)
        )

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        faces = load_image_folder(small_folder(data / "train", args.per_class, args.seed, work / "faces"), prep)
        batch = batch_size_for(int(0.8 * len(faces)), 32)
        holdout = split_validation(faces)[1]  # the faces finetune_pretrained holds out
        for weight in args.distill_initial:
            config = small_data_config(batch_size=batch, distill_initial=weight)
            run = finetune_pretrained(faces, work / f"tuned{weight}", config=config, verbose=0)
            name = f"fine-tuned, distill_initial {weight:g}" + (" (the default)" if weight == 0.5 else "")
            scored(
                f"{name}; kept epoch {run.epoch_kept}",
                EmotionClassifier(run.out, mirror=False).model,
                run.report.accuracy,
            )
        if not args.no_scratch:
            scratch = build_model("compact")
            config = TrainingConfig(epochs=30, batch_size=32)
            finetune(scratch, faces, None, prep, work / "scratch_work", config, verbose=0)
            save_pretrained(scratch, work / "scratch", prep)
            scored("trained from scratch (30 epochs)", EmotionClassifier(work / "scratch").model, None)
        bundled = EmotionClassifier(mirror=False).model
        scored(
            "the bundled model, not fine-tuned",
            bundled,
            classification_report(bundled.run(list(holdout.images)).probabilities, holdout.labels).accuracy,
        )
    print(
        f"{len(faces)} faces ({args.per_class} per emotion, seed {args.seed}), batch {batch}; FER+ val: {len(val)} faces"
    )
    print(f"CPU: {cpu_description()}; Keras {keras.__version__} ({keras.backend.backend()})\n")
    print(
        f"| model | FER+ val 9-class accuracy | 8-class accuracy | macro-F1 | user's hold-out ({len(holdout)} faces) |"
    )
    print("|---|---|---|---|---|")
    for name, r, held in rows:
        cell = "" if held is None else f"{held:.3f}"
        print(f"| {name} | {r.accuracy:.3f} | {r.accuracy_8:.3f} | {r.macro_f1:.3f} | {cell} |")


if __name__ == "__main__":
    main()
