"""The ``train`` sub-command."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Any

from facemotion.cli.common import positive_int
from facemotion.errors import DatasetError

log = logging.getLogger(__name__)

#: Lines of per-epoch progress ``train`` prints at most (the summary follows).
EPOCH_LINES = 10


def learning_rate(text: str) -> float:
    """An argparse type: a learning rate, a finite number in (0, 1].

    >>> learning_rate("3e-4")
    0.0003
    >>> learning_rate("5")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a learning rate in (0, 1], got '5'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= 1):
        raise argparse.ArgumentTypeError(f"expected a learning rate in (0, 1], got {text!r}")
    return value


def weight(text: str) -> float:
    """An argparse type: a weight in [0, 1].

    >>> weight("0.5")
    0.5
    >>> weight("2")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: expected a weight in [0, 1], got '2'
    """
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"expected a weight in [0, 1], got {text!r}")
    return value


#: The Keras backends `facemotion train` runs on, and what to install for each.
BACKENDS = {"tensorflow": 'pip install "facemotion[train]"', "jax": 'pip install "jax[cuda12]" (or "jax" on a CPU)'}


def _configured_backend() -> str:
    """The backend of Keras's own settings file (``$KERAS_HOME/keras.json``, by default ``~/.keras``), else
    Keras's default, tensorflow."""
    import json
    import os
    from pathlib import Path

    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    try:
        return str(json.loads((home / "keras.json").read_text()).get("backend") or "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def _load_keras() -> None:
    """Import Keras (and its backend) quietly; one line naming what to install when it is missing, or
    why a ``KERAS_BACKEND`` facemotion does not train on is refused (before Keras fails on it)."""
    import importlib.util
    import os

    from facemotion.errors import MissingExtraError, OptionError
    from facemotion.extras import require
    from facemotion.training.quiet import native_output_silenced

    backend = os.environ.get("KERAS_BACKEND") or _configured_backend()
    if backend not in BACKENDS:
        why = (
            "Keras's image augmentation runs image by image in Python there (an epoch took minutes)"
            if backend == "torch"
            else "it is not one facemotion trains on"
        )
        raise OptionError(f"KERAS_BACKEND={backend}: {why}; use tensorflow (a CPU) or jax (a GPU)")
    if backend != "tensorflow" and importlib.util.find_spec(backend) is None:
        raise MissingExtraError(f"KERAS_BACKEND={backend} needs {backend}: {BACKENDS[backend]}")
    with native_output_silenced():
        require("keras", "train")
        if backend == "tensorflow":
            require("tensorflow", "train")


def _load(args: argparse.Namespace, prep: Any) -> tuple[Any, Any]:
    from facemotion.training import load_image_folder

    data = load_image_folder(args.data_dir, prep, detect_faces=args.detect)
    val = load_image_folder(args.val, prep, detect_faces=args.detect) if args.val else None
    if len(data) < 2:
        raise DatasetError(f"{args.data_dir}: {len(data)} usable face(s); training needs at least two")
    return data, val


def _epoch_lines(epochs: int) -> Any:
    from facemotion.training.run import EpochLines

    return EpochLines(epochs, math.ceil(epochs / EPOCH_LINES))


def _report(run: Any, header: str) -> int:
    print(header)
    print(run.summary())
    if run.absent:
        log.warning("the training data has no %s faces (%s)", ", ".join(run.absent), run.absent_handling)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from facemotion.artifact import check_output_folder, check_training_outputs, work_folder
    from facemotion.errors import FacemotionError, OutputError

    out = Path(args.out).resolve()
    work = work_folder(out, Path(args.work).resolve() if args.work else None)
    check_output_folder(out, args.overwrite)  # before any work
    for folder, what in ((out, "the model folder"), (work, "the work folder")):
        if folder.is_relative_to(Path(args.data_dir).resolve()):
            raise OutputError(
                f"{what} {folder} lies inside the training data {args.data_dir}: later runs would take it for an "
                "emotion folder; put it elsewhere"
            )
    check_training_outputs(out, work)
    if args.distill_initial is not None and not args.init:
        raise FacemotionError("--distill-initial needs --init: a network trained from scratch has nothing to keep")
    _load_keras()
    from facemotion.artifact import ModelCard

    card = ModelCard(training_data=str(args.data_dir), training_command=" ".join(["facemotion", *args.argv]))
    try:
        return _finetune_from(args, card) if args.init else _from_scratch(args, card)
    except KeyboardInterrupt:
        if (work / "backup" / "training_metadata.json").is_file():  # written when an epoch ends
            said = f"{work} keeps the finished epochs: the same command resumes from there"
        else:
            said = "no epoch had finished"
        print(f"facemotion: interrupted; {said}", file=sys.stderr)
        raise


def _from_scratch(args: argparse.Namespace, card: Any) -> int:
    """``train`` without ``--init``: a network trained from scratch (thousands of faces needed)."""
    from facemotion.training import TrainingConfig, build_model, recipe_preprocessing
    from facemotion.training.run import (
        SCRATCH_ADVISED,
        SCRATCH_MINIMUM,
        batch_size_for,
        scratch_epochs_for,
        train_and_save,
    )

    prep = recipe_preprocessing(args.recipe)
    data, val = _load(args, prep)
    n_train = len(data) if val is not None else int(0.8 * len(data))
    if len(data) < SCRATCH_MINIMUM and not args.force:
        raise DatasetError(
            f"{len(data)} faces are far too few to train a network from scratch (it needs thousands; "
            f"below {SCRATCH_MINIMUM} it learns to predict one class). Fine-tune the bundled model instead: "
            f"add --init default. To train from scratch anyway, add --force."
        )
    if len(data) < SCRATCH_ADVISED:
        print(
            f"WARNING: {len(data)} faces is little data to train from scratch; expect poor accuracy "
            "(--init default fine-tunes the bundled model, which works with a few hundred faces)",
            file=sys.stderr,
        )
    batch = args.batch_size or batch_size_for(n_train, 64)
    epochs = args.epochs or scratch_epochs_for(n_train, batch)
    config = TrainingConfig(
        epochs=epochs,
        batch_size=batch,
        learning_rate=args.learning_rate or 1e-3,
        early_stopping=max(10, epochs // 4),
    )
    card.description = f"A facemotion model trained from scratch ({args.recipe} recipe) on {args.data_dir}."
    model = build_model(args.recipe, vggface_weights=args.vggface_weights)
    run = train_and_save(
        model,
        data,
        val,
        prep,
        args.out,
        recipe=args.recipe,
        config=config,
        work_dir=args.work,
        card=card,
        verbose=2 if args.debug else 0,
        callbacks=[] if args.debug else [_epoch_lines(epochs)],
        overwrite=args.overwrite,
    )
    return _report(run, f"trained from scratch: {args.out} (use it with --model {args.out})")


def _finetune_from(args: argparse.Namespace, card: Any) -> int:
    """``train --init``: transfer learning from a trained model, with the small-data defaults."""
    from facemotion.artifact import WEIGHTS_FILE, load_config
    from facemotion.errors import ModelLoadError
    from facemotion.hub import resolve_model
    from facemotion.training import finetune_pretrained, small_data_config
    from facemotion.training.run import batch_size_for

    init_dir = resolve_model(args.init, args.revision)
    base = load_config(init_dir)
    if not (init_dir / WEIGHTS_FILE).is_file():  # before the images are read and their faces found
        raise ModelLoadError(
            f"--init {args.init} has no {WEIGHTS_FILE}: a model exported for inference only (LiteRT) cannot be "
            "fine-tuned"
        )
    data, val = _load(args, base.preprocessing)
    n_train = len(data) if val is not None else int(0.8 * len(data))
    changes = {
        "epochs": args.epochs,
        "batch_size": args.batch_size or batch_size_for(n_train, 32),
        "learning_rate": args.learning_rate,
        "distill_initial": args.distill_initial,
    }
    config = small_data_config(**{k: v for k, v in changes.items() if v is not None})
    card.training_data = f"fine-tuned from {args.init} on {args.data_dir}"
    run = finetune_pretrained(
        data,
        args.out,
        init=args.init,
        revision=args.revision,
        val=val,
        work_dir=args.work,
        config=config,
        card=card,
        verbose=2 if args.debug else 0,
        callbacks=[] if args.debug else [_epoch_lines(config.epochs)],
        overwrite=args.overwrite,
    )
    return _report(run, f"fine-tuned from {args.init}: {args.out} (use it with --model {args.out})")


def add_train_command(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a model on a folder-per-emotion tree",
        description="Train a model on DATA_DIR/<emotion>/<image>. With --init (recommended for fewer than a few "
        "thousand faces) a trained model is fine-tuned; without it a network is trained from scratch, which needs "
        "thousands of faces. Batch size and epochs follow the data size unless given. The best epoch on a "
        "hold-out (--val, or 20 % of each class) is kept; a summary, the model card and a LiteRT export say how "
        "good it is. Uses the Keras backend of KERAS_BACKEND (tensorflow by default; jax trains fast on a GPU).",
    )
    p.add_argument("data_dir")
    p.add_argument("--out", required=True, help="model directory to write (a new or empty folder)")
    p.add_argument(
        "--overwrite", action="store_true", help="let the new model replace the model files of a folder that holds one"
    )
    p.add_argument("--val", help="hold-out folder-per-emotion tree (default: 20 %% of each class of DATA_DIR)")
    p.add_argument("--recipe", choices=["compact", "vggface"], default="compact")
    p.add_argument("--vggface-weights", help="rcmalli_vggface_tf_notop_resnet50.h5 for the vggface recipe")
    p.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune a trained model instead of training from scratch: 'default' (the bundled model), "
        "a model directory or a Hub id; keeps all nine outputs and the valence-arousal head, and leaves classes "
        "missing from DATA_DIR out of the loss",
    )
    p.add_argument("--revision", default=None, help="Hub revision of --init")
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=None,
        help="at most this many epochs (default: from the data size, 15-60 from scratch; 40 with --init), "
        "with early stopping on the hold-out",
    )
    p.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="default: from the data size, about 20 steps per epoch (8-64; 8-32 with --init)",
    )
    p.add_argument("--learning-rate", type=learning_rate, default=None, help="default 1e-3 (3e-4 with --init)")
    p.add_argument(
        "--distill-initial",
        type=weight,
        default=None,
        metavar="WEIGHT",
        help="with --init: weight (0-1) of the starting model's own predictions in the training targets, so that "
        "it keeps what it knows while it learns your labels (default 0.5; 0 = your labels only)",
    )
    p.add_argument("--detect", action="store_true", help="images are whole photos: detect and crop the face")
    p.add_argument(
        "--work",
        help="folder for checkpoints and the per-epoch history (default: OUT_work next to OUT, so OUT holds the "
        "model only); re-run the same command to resume",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="train from scratch even with fewer than 1000 faces (the result predicts little but one class)",
    )
    p.set_defaults(func=cmd_train)
