"""The ``train`` sub-command."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def cmd_train(args: argparse.Namespace) -> int:
    from facemotion.artifact import ModelCard, save_pretrained
    from facemotion.training import TrainingConfig, build_model, finetune, load_image_folder, recipe_preprocessing

    card = ModelCard(training_data=str(args.data_dir), training_command=" ".join(["facemotion", *args.argv]))
    if args.init:
        return _finetune_from(args, card)
    prep = recipe_preprocessing(args.recipe)
    data = load_image_folder(args.data_dir, prep, detect_faces=args.detect)
    val = load_image_folder(args.val, prep, detect_faces=args.detect) if args.val else None
    model = build_model(args.recipe, vggface_weights=args.vggface_weights)
    config = TrainingConfig(
        epochs=args.epochs or 30, batch_size=args.batch_size or 64, learning_rate=args.learning_rate or 1e-3
    )
    work = Path(args.work or Path(args.out) / "_work")
    finetune(model, data, val, prep, work, config)
    save_pretrained(model, args.out, prep, recipe=args.recipe, card=card)
    print(f"model written to {args.out}")
    return 0


def _finetune_from(args: argparse.Namespace, card: Any) -> int:
    """``train --init``: transfer learning from a trained model, with the small-data defaults."""
    from facemotion.artifact import load_config
    from facemotion.hub import resolve_model
    from facemotion.training import finetune_pretrained, load_image_folder, small_data_config

    base = load_config(resolve_model(None if args.init == "default" else args.init, args.revision))
    data = load_image_folder(args.data_dir, base.preprocessing, detect_faces=args.detect)
    val = load_image_folder(args.val, base.preprocessing, detect_faces=args.detect) if args.val else None
    changes = {"epochs": args.epochs, "batch_size": args.batch_size, "learning_rate": args.learning_rate}
    config = small_data_config(**{k: v for k, v in changes.items() if v is not None})
    card.training_data = f"fine-tuned from {args.init} on {args.data_dir}"
    out = finetune_pretrained(data, args.out, init=args.init, val=val, work_dir=args.work, config=config, card=card)
    print(f"model written to {out} (fine-tuned from {args.init}; use it with --model {out})")
    return 0


def add_train_command(sub: Any) -> None:
    p = sub.add_parser("train", help="train a model on a folder-per-emotion tree")
    p.add_argument("data_dir")
    p.add_argument("--out", required=True, help="model directory to write")
    p.add_argument("--val", help="validation folder-per-emotion tree")
    p.add_argument("--recipe", choices=["compact", "vggface"], default="compact")
    p.add_argument("--vggface-weights", help="rcmalli_vggface_tf_notop_resnet50.h5 for the vggface recipe")
    p.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune a trained model instead of training from scratch: 'default' (the bundled model), "
        "a model directory or a Hub id; keeps all nine outputs and the valence-arousal head",
    )
    p.add_argument("--revision", default=None, help="Hub revision of --init")
    p.add_argument("--epochs", type=int, default=None, help="default 30 (40 with --init, early stopping)")
    p.add_argument("--batch-size", type=int, default=None, help="default 64 (32 with --init)")
    p.add_argument("--learning-rate", type=float, default=None, help="default 1e-3 (3e-4 with --init)")
    p.add_argument("--detect", action="store_true", help="images are whole photos: detect and crop the face")
    p.add_argument("--work", help="checkpoint folder (default OUT/_work); re-run to resume")
    p.set_defaults(func=cmd_train)
