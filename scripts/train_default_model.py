"""Train the bundled default model (compact multi-task network) on FER+, CK+ and real portraits.

The shipped model (0.3) is model 0.2 trained for 12 more epochs with model 0.2's recipe,
distilled 60 % from model 0.2's own mirror-averaged predictions, with the rarely seen
turned faces of FER+ (three-quarter views and profiles, see
``facemotion.detection.head_turn``) repeated three more times::

    git show 1693e6f:src/facemotion/default_model/model.keras > runs/teacher02/model.keras   # model 0.2
    python scripts/train_default_model.py --work runs/turn02 --out runs/turn02/model --epochs 12 --width 32 \
        --teachers runs/teacher02/model.keras --distill 0.6 --init runs/teacher02/model.keras --balance 0.5 \
        --learning-rate 5e-4 --warmup-epochs 1 --portraits 2 --photometric 0.25 --turned 3

Model 0.2 continued the previous one (0.1, itself a student distilled from two earlier
runs, see docs/models.md) for 14 epochs on real-domain data: FER+ train, CK+ train and the
training people of ``portraits`` (80 % of the identities, framed by the default detector,
repeated twice), with camera-like photometric augmentation and stronger rare-class
sampling; its targets mix the labels with the previous model's mirror-averaged
predictions, so one pass learns what mirror averaging gave::

    git show 57aabf2:src/facemotion/default_model/model.keras > runs/teacher/model.keras
    python scripts/train_default_model.py --work runs/rd --out runs/rd/model --epochs 14 --width 32 \
        --teachers runs/teacher/model.keras --distill 0.5 --init runs/teacher/model.keras --balance 0.5 \
        --learning-rate 5e-4 --warmup-epochs 1 --portraits 2 --photometric 0.25

Model 0.1 came from::

    python scripts/train_default_model.py --work runs/default --out runs/default/model --epochs 40 --width 24
    python scripts/train_default_model.py --work runs/w32 --out runs/w32/model --epochs 32 --width 32
    python scripts/train_default_model.py --work runs/kd --out runs/kd/model --epochs 45 --width 32 \
        --teachers runs/w32/last.keras runs/default/last.keras --distill 0.5
    python scripts/train_default_model.py --work runs/kd_rb --out src/facemotion/default_model --epochs 12 \
        --width 32 --teachers runs/w32/last.keras runs/default/last.keras --distill 0.5 \
        --init runs/kd/last.keras --balance 0.6 --learning-rate 3e-4 --warmup-epochs 0

Resumable: re-run the same command after an interruption. When it finishes, the model
artifact is written to ``src/facemotion/default_model`` (use ``--out`` to change). The
work dir caches the loaded data and the teachers' predictions: use a new one after
changing ``--data`` or ``--teachers``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from pathlib import Path
from typing import get_args

import keras
import numpy as np

from facemotion.detection.base import TURNED
from facemotion.models.compact import Blocks
from facemotion.preprocessing import Preprocessing
from facemotion.training import (
    FaceDataset,
    TrainingConfig,
    build_model,
    distill_targets,
    finetune,
    load_image_folder,
    load_vote_folder,
    recipe_preprocessing,
    teacher_probabilities,
)
from facemotion.training.augment import Augmentation
from facemotion.training.datasets import head_turns, identity_split
from facemotion.training.transfer import prune_residual_blocks

#: Share of the portraits' people kept for validation only (``identity_split``); the same in the evaluation script.
PORTRAITS_HELD_OUT = 0.2
#: Share of the CK+ subjects kept for validation only (posed expressions; ``benchmarks/posed.py``).
CKPLUS_HELD_OUT = 0.2


def duplicate_val_files(duplicates_csv: Path) -> set[str]:
    """Validation images that are pixel copies of a training image."""
    groups: dict[str, list[tuple[str, str]]] = {}
    with open(duplicates_csv, newline="") as handle:
        for row in csv.DictReader(handle):
            groups.setdefault(row["pixel_md5"], []).append((row["split"], row["file"]))
    out: set[str] = set()
    for members in groups.values():
        if any(split == "train" for split, _ in members):
            out |= {name for split, name in members if split == "val"}
    return out


def portraits_train(data: Path, prep: Preprocessing, repeat: int) -> FaceDataset:
    """The training people of ``portraits`` (never the held-out ones), framed by the default detector."""
    faces = load_image_folder(data / "portraits", prep, detect_faces=True, seed=1)
    train = faces.subset(~identity_split(faces.paths, PORTRAITS_HELD_OUT))
    return FaceDataset.concatenate([train] * repeat)


def ckplus_people(data: Path, prep: Preprocessing) -> tuple[FaceDataset, FaceDataset]:
    """CK+ ``train`` (the 48-px crops given) split by subject: the training people and the held-out ones."""
    faces = load_image_folder(data / "ckplus48" / "train", prep, affect_spread=0.1, seed=0)
    held = identity_split(faces.paths, CKPLUS_HELD_OUT)
    return faces.subset(~held), faces.subset(held)


def load(data: Path, cache: Path, portraits: int = 0) -> tuple[FaceDataset, FaceDataset]:
    prep = recipe_preprocessing("compact")
    if cache.exists():
        z = np.load(cache, allow_pickle=False)
        parts = [
            FaceDataset(z[f"{s}_images"], z[f"{s}_labels"], z[f"{s}_soft"], z[f"{s}_affect"], list(z[f"{s}_paths"]))
            for s in ("train", "val")
        ]
        return parts[0], parts[1]
    votes = data / "ferplus" / "votes.csv"
    train = load_vote_folder(data / "ferplus" / "train", votes, prep)
    if (data / "ckplus48" / "train").is_dir():
        train = FaceDataset.concatenate([train, ckplus_people(data, prep)[0]])
    if portraits and (data / "portraits").is_dir():
        train = FaceDataset.concatenate([train, portraits_train(data, prep, portraits)])
    val = load_vote_folder(data / "ferplus" / "val", votes, prep)
    dup = duplicate_val_files(data / "ferplus" / "duplicates.csv")
    val = val.subset(np.array([Path(p).name not in dup for p in val.paths]))
    cache.parent.mkdir(parents=True, exist_ok=True)
    arrays = {}
    for name, d in (("train", train), ("val", val)):
        arrays.update(
            {
                f"{name}_images": d.images,
                f"{name}_labels": d.labels,
                f"{name}_soft": d.soft_labels,
                f"{name}_affect": d.affect,
                f"{name}_paths": np.array(d.paths),
            }
        )
    np.savez(cache, **arrays)
    return train, val


def teacher_targets(paths: list[Path], train: FaceDataset, cache: Path) -> np.ndarray:
    """Teacher probabilities on the training faces, computed once and cached in the work dir."""
    if cache.exists():
        return np.load(cache)
    import keras

    teachers = [keras.saving.load_model(p, compile=False) for p in paths]
    probs = teacher_probabilities(teachers, train, recipe_preprocessing("compact"))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, probs)
    return probs


def turned_faces(train: FaceDataset, cache: Path) -> np.ndarray:
    """Which training faces are turned (three-quarter or profile views); head turns cached in the work dir."""
    if not cache.exists():
        np.save(cache, head_turns(train))
    return np.load(cache) >= TURNED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--out", type=Path, default=Path("src/facemotion/default_model"))
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--width", type=int, default=24)
    parser.add_argument("--blocks", choices=get_args(Blocks), default="conv", help="residual block design")
    parser.add_argument("--inner", type=float, default=1.0, help="fraction of channels kept inside the residual blocks")
    parser.add_argument("--teachers", type=Path, nargs="*", default=[], help="trained .keras models to distil from")
    parser.add_argument("--distill", type=float, default=0.5, help="weight of the teachers in the targets")
    parser.add_argument(
        "--online",
        action="store_true",
        help="the teachers see every augmented batch (consistent teaching) instead of the clean faces once",
    )
    parser.add_argument(
        "--online-turns",
        action="store_true",
        help="with --online: the teachers take turns on the batch and its mirror image instead of each seeing both",
    )
    parser.add_argument("--init", type=Path, default=None, help="continue from this trained .keras model")
    parser.add_argument(
        "--init-shared",
        type=Path,
        default=None,
        help="build a new network, starting the layers it shares with this trained .keras model from its weights "
        "(residual blocks with fewer inner channels, see --inner, keep its most important ones)",
    )
    parser.add_argument("--balance", type=float, default=TrainingConfig.balance, help="rare-class oversampling")
    parser.add_argument("--learning-rate", type=float, default=TrainingConfig.learning_rate)
    parser.add_argument("--warmup-epochs", type=int, default=TrainingConfig.warmup_epochs)
    parser.add_argument(
        "--portraits", type=int, default=0, help="add the portraits' training people, repeated this many times"
    )
    parser.add_argument(
        "--turned", type=int, default=0, help=f"repeat the faces turned by {TURNED}+ eye distances this many more times"
    )
    parser.add_argument("--photometric", type=float, default=0.0, help="probability of each camera degradation")
    parser.add_argument("--mixup", type=float, default=0.0, help="mixup's Beta α (0: off)")
    parser.add_argument("--erasing", type=float, default=Augmentation.erasing, help="random erasing probability")
    parser.add_argument("--dropout", type=float, default=None, help="the head's dropout rate (default: the model's)")
    args = parser.parse_args()
    if args.online and not args.teachers:
        parser.error("--online needs --teachers")
    if args.online_turns and not args.online:
        parser.error("--online-turns needs --online")
    logging.basicConfig(level=logging.INFO)
    train, val = load(args.data, args.work / "data.npz", args.portraits)
    if args.teachers and not args.online:
        train = distill_targets(train, teacher_targets(args.teachers, train, args.work / "teachers.npy"), args.distill)
    if args.turned:
        turned = turned_faces(train, args.work / "turns.npy")
        train = FaceDataset.concatenate([train] + [train.subset(turned)] * args.turned)
    print(f"train {len(train)} {train.class_counts()}\nval {len(val)} {val.class_counts()}", flush=True)
    config = TrainingConfig(
        epochs=args.epochs,
        balance=args.balance,
        learning_rate=args.learning_rate,
        warmup_epochs=args.warmup_epochs,
        augmentation=Augmentation(photometric=args.photometric, mixup=args.mixup, erasing=args.erasing),
    )
    args.work.mkdir(parents=True, exist_ok=True)
    if args.init:
        model = keras.saving.load_model(args.init, compile=False)
    else:
        model = build_model("compact", width=args.width, blocks=args.blocks, inner=args.inner)
        if args.init_shared:
            source = keras.saving.load_model(args.init_shared, compile=False)
            print("started from", args.init_shared, ":", " ".join(prune_residual_blocks(source, model)), flush=True)
    if args.dropout is not None:
        model.get_layer("head_dropout").rate = args.dropout
    teachers = [keras.saving.load_model(p, compile=False) for p in args.teachers] if args.online else []
    finetune(
        model,
        train,
        val,
        recipe_preprocessing("compact"),
        args.work,
        config,
        teachers=teachers,
        teacher_weight=args.distill,
        teacher_turns=args.online_turns,
    )
    (args.work / "training_config.json").write_text(
        json.dumps(
            {
                "epochs": args.epochs,
                "width": args.width,
                "blocks": args.blocks,
                "inner": args.inner,
                "teachers": [str(p) for p in args.teachers],
                "distill": args.distill if args.teachers else 0.0,
                "online": args.online,
                "online_turns": args.online_turns,
                "dropout": model.get_layer("head_dropout").rate,
                "config": repr(config),
            },
            indent=2,
        )
    )
    from facemotion.artifact import ModelCard, save_pretrained

    save_pretrained(
        model,
        args.out,
        recipe_preprocessing("compact"),
        recipe="compact",
        card=ModelCard(
            description=f"The bundled default model: compact ResNet (width {args.width}) on 48×48 grey faces, "
            "nine emotions and valence–arousal in one pass.",
            training_data="FER+ train (majority labels blended with crowd votes"
            + (f", {args.distill:.0%} distilled from the teachers' predictions" if args.teachers else "")
            + (" on each augmented view" if args.online else "")
            + ") + CK+ train"
            + (" + the training people of the portraits set (80 %, split by identity)" if args.portraits else "")
            + (f"; turned faces (head turn ≥ {TURNED}) repeated {args.turned} more times" if args.turned else ""),
            training_command=" ".join(["python scripts/train_default_model.py", *sys.argv[1:]]),
        ),
    )


if __name__ == "__main__":
    main()
