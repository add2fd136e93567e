"""Building and fine-tuning emotion / valence–arousal models."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras

from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.models import attach_heads, build_compact, build_vggface_resnet50
from facemotion.models.compact import Blocks
from facemotion.models.vggface import unfreeze_last
from facemotion.preprocessing import Preprocessing
from facemotion.training.datasets import FaceDataset
from facemotion.training.pipeline import Augmentation, make_tf_dataset

log = logging.getLogger(__name__)

Recipe = Literal["compact", "vggface"]


def recipe_preprocessing(recipe: Recipe) -> Preprocessing:
    """The preprocessing each recipe's network expects."""
    if recipe == "vggface":
        return Preprocessing(input_size=224, color_mode="rgb", normalization="vggface", margin=0.2)
    # Detector boxes already match FER2013's framing (see facemotion.detection), hence no margin.
    return Preprocessing(input_size=48, color_mode="grayscale", normalization="unit", margin=0.0)


def build_model(
    recipe: Recipe = "compact",
    tasks: tuple[str, ...] = (EMOTION_OUTPUT, VA_OUTPUT),
    *,
    vggface_weights: str | Path | None = None,
    trainable_layers: int = 13,
    width: int = 24,
    blocks: Blocks = "conv",
    inner: float = 1.0,
) -> keras.Model:
    """Build a network for a recipe with one or both heads.

    ``vggface`` is the reference design: the VGGFace ResNet-50 backbone (optionally with
    the original ``rcmalli_vggface_tf_notop_resnet50.h5`` weights), only its last
    ``trainable_layers`` layers trainable, Flatten → Dense 512 → Dropout 0.25 → 9 logits
    (and a 2-unit linear valence–arousal output). ``compact`` is the small default network
    (``width``, ``blocks`` and ``inner``: see `facemotion.models.build_compact`).

    >>> model = build_model("compact", width=4)
    >>> sorted(model.output)
    ['emotion', 'valence_arousal']
    """
    if recipe == "vggface":
        backbone = build_vggface_resnet50()
        if vggface_weights is not None:
            backbone.load_weights(str(vggface_weights))
        unfreeze_last(backbone, trainable_layers)
        return attach_heads(backbone, tasks=tasks, style="reference", dropout=0.25)
    if recipe == "compact":
        return attach_heads(
            build_compact(width=width, blocks=blocks, inner=inner), tasks=tasks, style="pooled", dropout=0.3
        )
    raise ValueError(f"unknown recipe {recipe!r}; use 'compact' or 'vggface'")


@dataclass
class TrainingConfig:
    """Hyper-parameters of `finetune` (the defaults train the bundled model)."""

    epochs: int = 40
    batch_size: int = 128
    learning_rate: float = 3e-3
    weight_decay: float = 5e-4
    warmup_epochs: int = 2
    balance: float = 0.3
    va_loss_weight: float = 1.0
    early_stopping: int | None = None
    augmentation: Augmentation = field(default_factory=Augmentation)
    seed: int = 0


def compile_model(model: keras.Model, config: TrainingConfig, steps_per_epoch: int) -> None:
    total = max(1, config.epochs * steps_per_epoch)
    warmup = min(total - 1, config.warmup_epochs * steps_per_epoch)
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate / 10, total - warmup, alpha=0.01, warmup_target=config.learning_rate, warmup_steps=warmup
    )
    losses: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    weights: dict[str, float] = {}
    names = list(model.output) if isinstance(model.output, dict) else []
    if EMOTION_OUTPUT in names:
        losses[EMOTION_OUTPUT] = keras.losses.CategoricalCrossentropy(from_logits=True)
        metrics[EMOTION_OUTPUT] = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        weights[EMOTION_OUTPUT] = 1.0
    if VA_OUTPUT in names:
        losses[VA_OUTPUT] = keras.losses.MeanSquaredError()
        metrics[VA_OUTPUT] = [keras.metrics.RootMeanSquaredError(name="rmse")]
        weights[VA_OUTPUT] = config.va_loss_weight
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay),
        loss=losses,
        loss_weights=weights,
        metrics=metrics,
    )


def finetune(
    model: keras.Model,
    train: FaceDataset,
    val: FaceDataset | None,
    prep: Preprocessing,
    work_dir: str | Path,
    config: TrainingConfig | None = None,
    callbacks: list[keras.callbacks.Callback] | None = None,
    teachers: Sequence[keras.Model] = (),
    teacher_weight: float = 0.5,
    teacher_turns: bool = False,
) -> keras.callbacks.History:
    """Train ``model`` on ``train``; resumable, with checkpoints and a CSV history in ``work_dir``.

    Re-running with the same ``work_dir`` resumes from the last finished epoch.
    ``work_dir/last.keras`` is the model after the last epoch, ``work_dir/best.keras``
    the one with the best validation emotion accuracy, ``work_dir/history.csv`` the
    metrics per epoch (plot it with `facemotion.training.plot_history`).
    ``callbacks`` are extra Keras callbacks. ``teachers`` teach on every augmented batch
    (see `facemotion.training.pipeline.make_tf_dataset`), weighted ``teacher_weight``;
    with ``teacher_turns`` they take turns on the batch and its mirror image.
    """
    config = config or TrainingConfig()
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(config.seed)
    tasks = tuple(model.output) if isinstance(model.output, dict) else (EMOTION_OUTPUT,)
    train_ds = make_tf_dataset(
        train,
        prep,
        batch_size=config.batch_size,
        training=True,
        augmentation=config.augmentation,
        balance=config.balance,
        tasks=tasks,
        seed=config.seed,
        teachers=teachers,
        teacher_weight=teacher_weight,
        teacher_turns=teacher_turns,
    )
    val_ds = make_tf_dataset(val, prep, batch_size=256, tasks=tasks) if val is not None and len(val) else None
    steps = max(1, len(train) // config.batch_size)
    compile_model(model, config, steps)
    monitor = "val_emotion_accuracy" if EMOTION_OUTPUT in tasks else "val_loss"
    mode = "max" if EMOTION_OUTPUT in tasks else "min"
    callbacks = [
        *(callbacks or []),
        keras.callbacks.BackupAndRestore(str(work / "backup")),
        keras.callbacks.ModelCheckpoint(str(work / "last.keras")),
        keras.callbacks.CSVLogger(str(work / "history.csv"), append=True),
    ]
    if val_ds is not None:
        callbacks.append(
            keras.callbacks.ModelCheckpoint(str(work / "best.keras"), monitor=monitor, mode=mode, save_best_only=True)
        )
        if config.early_stopping:
            callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=config.early_stopping))
    verbose = 1 if sys.stderr.isatty() else 2
    return model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=callbacks, verbose=verbose, shuffle=False
    )


def plot_history(history_csv: str | Path, path: str | Path) -> Path:
    """Plot the loss and emotion accuracy per epoch from ``work_dir/history.csv`` as a PNG."""
    import csv

    from facemotion.draw import _pyplot

    with open(history_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    plt = _pyplot()
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    epochs = [int(r["epoch"]) + 1 for r in rows]
    for key, ax in (("loss", ax_loss), ("emotion_accuracy", ax_acc)):
        for prefix, style in (("", "-"), ("val_", "--")):
            if rows and prefix + key in rows[0]:
                ax.plot(epochs, [float(r[prefix + key]) for r in rows], style, label=(prefix or "train_") + key)
        ax.set(xlabel="epoch", title=key)
        ax.legend()
    out = Path(path)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
