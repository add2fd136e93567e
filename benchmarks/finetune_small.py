"""Fine-tuning the bundled model on a user's small set: what it learns, what it keeps.

    python benchmarks/finetune_small.py [--faces ferplus|portraits] [--per-class 15] [--seed 0]
                                        [--distill-initial 0.5 0] [--no-scratch]

The user's small folder-per-emotion set is either

- ``ferplus`` (default): ``--per-class`` faces of each of the eight emotions from
  ``../shared/data/ferplus/train``, drawn with ``--seed`` (balanced classes; a kind of face the
  bundled model was trained on), or
- ``portraits``: the photos of half the held-out people of ``../shared/data/portraits``
  (``identity_split``: 20 % of the people, never trained on, halved by person), faces found by the
  default detector; mostly happy and neutral, as real photos are. The other half is a test set of
  people the model never saw, from the domain the user fine-tunes on.

Then: (a) ``finetune_pretrained`` from the bundled model (its defaults: frozen early layers and
batch norm, low learning rate, batch size from the data size, early stopping on a 20 % split),
once for each ``--distill-initial`` weight of the starting model's own predictions in the targets
(0.5 is the default, 0 the user's labels only; ``--seed`` also seeds training), (b) the docs'
from-scratch recipe (``build_model`` + ``finetune``, 30 epochs; not with ``--no-scratch``).
All are scored on FER+ ``val`` (9-class and 8-class accuracy, macro-F1: what the bundled model
knows; the expected calibration error without and with the model's temperature, which a run
fits on its hold-out when that has 100 faces or more), on the user's own 20 % hold-out (the faces ``finetune_pretrained`` held out: what the run
summary prints) and, for ``portraits``, on the other people (8-class accuracy, macro-F1).
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
    FaceDataset,
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
from facemotion.training.datasets import identity_split, list_image_folder
from facemotion.training.evaluate import apply_temperature, classification_report, expected_calibration_error
from facemotion.training.run import batch_size_for

SHARED = Path(__file__).resolve().parents[2] / "shared"
PORTRAITS_HELD_OUT = 0.2  # the training scripts' share of portrait people never trained on


def small_folder(root: Path, per_class: int, seed: int, into: Path) -> Path:
    rng = np.random.default_rng(seed)
    for label in EMOTIONS[:-1]:
        files = sorted((root / label).glob("*.png"))
        (into / label).mkdir(parents=True)
        for i in rng.permutation(len(files))[:per_class]:
            shutil.copy(files[i], into / label / files[i].name)
    return into


def portrait_folders(root: Path, into: Path) -> tuple[Path, Path]:
    """The held-out people's photos, halved by person: the user's set and a test set of other people."""
    items = list_image_folder(root)
    held = [item for item, k in zip(items, identity_split([p for p, _ in items], PORTRAITS_HELD_OUT), strict=True) if k]
    tune = identity_split([p for p, _ in held], 0.5, salt="finetune")
    for (path, label), mine in zip(held, tune, strict=True):
        folder = into / ("tune" if mine else "test") / EMOTIONS[label]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / path.name)
    return into / "tune", into / "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faces", choices=["ferplus", "portraits"], default="ferplus")
    parser.add_argument("--per-class", type=int, default=15)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--distill-initial", type=float, nargs="+", default=[0.5, 0.0])
    parser.add_argument("--no-scratch", action="store_true", help="skip training from scratch")
    args = parser.parse_args()
    prep = recipe_preprocessing("compact")
    data = SHARED / "data" / "ferplus"
    val = load_vote_folder(data / "val", data / "votes.csv", prep)
    rows: list[tuple[str, str, str]] = []
    others: FaceDataset | None = None

    def scored(name: str, model: Any, holdout_accuracy: float | None) -> None:
        probabilities = model.run(list(val.images)).probabilities
        r = classification_report(probabilities, val.labels)
        temperature = model.config.temperature
        raw = apply_temperature(probabilities, 1 / temperature)  # softmax(logits): temperature 1
        ece = f"{expected_calibration_error(raw, val.labels):.3f} → {expected_calibration_error(probabilities, val.labels):.3f}"
        cells = [f"{r.accuracy:.3f} / {r.accuracy_8:.3f} / {r.macro_f1:.3f}", f"{temperature:.2f}: {ece}"]
        cells.append("" if holdout_accuracy is None else f"{holdout_accuracy:.3f}")
        if others is not None:
            p = model.run(list(others.images)).probabilities.copy()
            p[:, EMOTIONS.index("uncertain")] = 0.0  # the portraits have no uncertain label
            o = classification_report(p, others.labels)
            cells.append(f"{o.accuracy:.3f} / {o.macro_f1:.3f}")
        rows.append((name, *cells))

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.faces == "portraits":
            tune, test = portrait_folders(SHARED / "data" / "portraits", work / "portraits")
            faces = load_image_folder(tune, prep, detect_faces=True)
            others = load_image_folder(test, prep, detect_faces=True)
            what = f"{len(faces)} faces of {len(list_image_folder(tune))} photos of half the held-out portrait people"
        else:
            faces = load_image_folder(small_folder(data / "train", args.per_class, args.seed, work / "faces"), prep)
            what = f"{len(faces)} faces from FER+ train ({args.per_class} per emotion, seed {args.seed})"
        batch = batch_size_for(int(0.8 * len(faces)), 32)
        holdout = split_validation(faces)[1]  # the faces finetune_pretrained holds out
        for weight in args.distill_initial:
            config = small_data_config(batch_size=batch, distill_initial=weight, seed=args.seed)
            run = finetune_pretrained(faces, work / f"tuned{weight}", config=config, verbose=0)
            name = f"fine-tuned, distill_initial {weight:g}" + (" (the default)" if weight == 0.5 else "")
            model = EmotionClassifier(run.out, mirror=False).model
            scored(f"{name}; kept epoch {run.epoch_kept}", model, run.report.accuracy)
        if not args.no_scratch:
            scratch = build_model("compact")
            config = TrainingConfig(epochs=30, batch_size=32)
            finetune(scratch, faces, None, prep, work / "scratch_work", config, verbose=0)
            save_pretrained(scratch, work / "scratch", prep)
            scored("trained from scratch (30 epochs)", EmotionClassifier(work / "scratch").model, None)
        bundled = EmotionClassifier(mirror=False).model
        held = classification_report(bundled.run(list(holdout.images)).probabilities, holdout.labels)
        scored("the bundled model, not fine-tuned", bundled, held.accuracy)
    print(f"user's set: {what}; batch {batch}; FER+ val: {len(val)} faces")
    print(f"CPU: {cpu_description()}; Keras {keras.__version__} ({keras.backend.backend()})\n")
    header = (
        "| model | FER+ val: 9-class / 8-class accuracy / macro-F1 | temperature: FER+ val ECE at 1 → at it "
        f"| user's hold-out ({len(holdout)} faces) |"
    )
    if others is not None:
        header += f" other people ({len(others)} faces): 8-class accuracy / macro-F1 |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
