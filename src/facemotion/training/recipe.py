"""Building networks and training them: the recipes, `TrainingConfig` and `finetune`."""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np

from facemotion.errors import DatasetError, OptionError
from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.models import attach_heads, build_compact, build_vggface_resnet50
from facemotion.models.compact import Blocks
from facemotion.models.vggface import unfreeze_last
from facemotion.options import is_real_number, is_whole_number
from facemotion.preprocessing import Preprocessing
from facemotion.training.augment import Augmentation
from facemotion.training.datasets import FaceDataset
from facemotion.training.quiet import native_output_silenced
from facemotion.training.trainer import (
    FaceBatches,
    SafeBackupAndRestore,
    StudentCheckpoint,
    TrainingModel,
    WallClockCosine,
)

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
    mask_absent: bool = False
    """Leave the emotion outputs of classes absent from the training data out of the loss (fine-tuning)."""
    optimizer: Literal["adamw", "sgd"] = "adamw"
    """AdamW, or SGD with Nesterov momentum 0.9 (the GPU recipe); both with decoupled ``weight_decay``."""
    time_budget: float | None = None
    """Seconds of training (compilation included): the learning rate warms up over ``warmup_fraction`` of
    them, then follows a cosine to 0, and training stops when the budget is spent (``epochs`` is then a cap).
    Checkpoints are written once, at the end."""
    warmup_fraction: float = 0.03
    distill_initial: float = 0.0
    """Weight in [0, 1] of the starting model's own emotion probabilities in the targets (*learning without
    forgetting*, Li & Hoiem 2016): a frozen copy of the model as training starts labels every augmented batch
    the student sees, so that fine-tuning on a few faces keeps what the model knew. 0 = off."""

    def __post_init__(self) -> None:
        """Refuse values that would fail deep inside Keras or train silently wrong (an `OptionError`).

        >>> TrainingConfig(batch_size=0)
        Traceback (most recent call last):
        ...
        facemotion.errors.OptionError: TrainingConfig: batch_size must be a whole number of at least 1, got 0
        """
        wrong = [
            f"{name} must be a whole number of at least {low}, got {getattr(self, name)!r}"
            for name, low in (("epochs", 1), ("batch_size", 1), ("warmup_epochs", 0), ("seed", 0))
            if not is_whole_number(getattr(self, name), minimum=low)
        ]
        if self.early_stopping is not None and not is_whole_number(self.early_stopping, minimum=1):
            wrong.append(
                f"early_stopping must be None or a whole number of epochs, 1 or more, got {self.early_stopping!r}"
            )
        ranges = {
            "learning_rate": (0.0, math.inf, False),
            "weight_decay": (0.0, math.inf, True),
            "balance": (0.0, 1.0, True),
            "va_loss_weight": (0.0, math.inf, True),
            "warmup_fraction": (0.0, 1.0, True),
            "distill_initial": (0.0, 1.0, True),
        }
        for name, (low, high, low_allowed) in ranges.items():
            value = getattr(self, name)
            if not (is_real_number(value) and (value >= low if low_allowed else value > low) and value <= high):
                bound = f"{'from' if low_allowed else 'above'} {low:g}" + (f" to {high:g}" if high < math.inf else "")
                wrong.append(f"{name} must be a number {bound}, got {value!r}")
        if self.time_budget is not None and not (is_real_number(self.time_budget) and self.time_budget > 0):
            wrong.append(f"time_budget must be None or a number of seconds above 0, got {self.time_budget!r}")
        if self.optimizer not in ("adamw", "sgd"):
            wrong.append(f"optimizer must be 'adamw' or 'sgd', got {self.optimizer!r}")
        if not isinstance(self.augmentation, Augmentation):
            wrong.append(f"augmentation must be an Augmentation, got {type(self.augmentation).__name__}")
        if wrong:
            raise OptionError("TrainingConfig: " + "; ".join(wrong))


def frozen_copy(model: keras.Model) -> keras.Model:
    """A copy of ``model`` with its current weights, none of them trainable (a teacher that never moves).

    >>> model = build_model("compact", width=4)
    >>> copy = frozen_copy(model)
    >>> copy is not model, copy.trainable_weights, all(np.array_equal(a, b)
    ...     for a, b in zip(copy.get_weights(), model.get_weights(), strict=True))
    (True, [], True)
    """
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.trainable = False
    return copy


class MaskedCrossEntropy(keras.losses.Loss):  # type: ignore[misc]
    """Cross-entropy from logits over the classes in ``keep`` only (the others get no gradient).

    Targets are restricted to those classes and renormalised, so a class absent from the
    training data keeps the output it had instead of being taught never to occur.

    >>> loss = MaskedCrossEntropy([True, True, False])
    >>> round(float(loss(np.array([[0.5, 0.5, 0.0]]), np.array([[0.0, 0.0, 9.0]]))), 4)
    0.6931
    """

    def __init__(self, keep: Sequence[bool], name: str = "masked_cross_entropy", **kwargs: Any):
        super().__init__(name=name, **kwargs)
        self.keep = [bool(k) for k in keep]

    def call(self, y_true: Any, y_pred: Any) -> Any:
        ops = keras.ops
        keep = ops.convert_to_tensor(np.array(self.keep, np.float32))
        target = y_true * keep
        target = target / ops.maximum(ops.sum(target, axis=-1, keepdims=True), 1e-7)
        logits = ops.where(keep > 0, y_pred, -1e9)
        return -ops.sum(target * ops.log_softmax(logits, axis=-1), axis=-1)


def absent_classes(data: FaceDataset) -> list[str]:
    """The emotions that no training target puts any weight on.

    >>> from facemotion.labels import EMOTIONS
    >>> faces = FaceDataset(np.zeros((1, 48, 48, 1), np.uint8), np.array([4]), np.eye(9, dtype=np.float32)[[4]],
    ...                     np.zeros((1, 2), np.float32), ["a"])
    >>> len(absent_classes(faces)), "happy" in absent_classes(faces)
    (8, False)
    """
    from facemotion.labels import EMOTIONS

    weight = data.soft_labels.sum(axis=0) if len(data) else np.zeros(len(EMOTIONS))
    return [label for label, w in zip(EMOTIONS, weight, strict=True) if w <= 0]


def compile_model(model: keras.Model, config: TrainingConfig, steps_per_epoch: int, absent: Sequence[str] = ()) -> None:
    """Compile ``model`` (a `TrainingModel` or a bare network) with the recipe's optimizer and losses.

    ``absent`` classes are left out of the emotion loss (`MaskedCrossEntropy`).
    """
    from facemotion.labels import EMOTIONS

    total = max(1, config.epochs * steps_per_epoch)
    warmup = min(total - 1, config.warmup_epochs * steps_per_epoch)
    schedule: Any = keras.optimizers.schedules.CosineDecay(
        config.learning_rate / 10, total - warmup, alpha=0.01, warmup_target=config.learning_rate, warmup_steps=warmup
    )
    if config.time_budget is not None:
        schedule = 0.0  # set every epoch by WallClockCosine
    losses: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    weights: dict[str, float] = {}
    student = getattr(model, "student", model)
    names = list(student.output) if isinstance(student.output, dict) else []
    if EMOTION_OUTPUT in names:
        losses[EMOTION_OUTPUT] = (
            MaskedCrossEntropy([label not in absent for label in EMOTIONS])
            if absent
            else keras.losses.CategoricalCrossentropy(from_logits=True)
        )
        metrics[EMOTION_OUTPUT] = [keras.metrics.CategoricalAccuracy(name="accuracy")]
        weights[EMOTION_OUTPUT] = 1.0
    if VA_OUTPUT in names:
        losses[VA_OUTPUT] = keras.losses.MeanSquaredError()
        metrics[VA_OUTPUT] = [keras.metrics.RootMeanSquaredError(name="rmse")]
        weights[VA_OUTPUT] = config.va_loss_weight
    optimizer = (
        keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=config.weight_decay)
        if config.optimizer == "sgd"
        else keras.optimizers.AdamW(schedule, weight_decay=config.weight_decay)
    )
    model.compile(
        optimizer=optimizer,
        loss=losses,
        loss_weights=weights,
        metrics=metrics,
    )


def _best_so_far(history_csv: Path, monitor: str, mode: str) -> tuple[float | None, int | None]:
    """The best ``monitor`` value and its epoch in an existing history (a resumed run keeps its best)."""
    if not history_csv.is_file():
        return None, None
    with open(history_csv, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get(monitor)]
    if not rows:
        return None, None
    pick = max if mode == "max" else min
    row = pick(rows, key=lambda r: float(r[monitor]))
    return float(row[monitor]), int(row["epoch"])


class ResumedEarlyStopping(keras.callbacks.EarlyStopping):  # type: ignore[misc]
    """Early stopping whose patience also counts the epochs without progress before an interruption
    (Keras's own starts counting afresh on every ``fit``, so a run resumed often would never stop)."""

    def __init__(self, history_csv: Path, **kwargs: Any):
        super().__init__(**kwargs)
        self.history_csv = history_csv

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        best, best_epoch = _best_so_far(self.history_csv, self.monitor, self.mode)
        if best is not None and best_epoch is not None:
            self.best, self.best_epoch = best, best_epoch
            self.wait = _rows(self.history_csv) - 1 - best_epoch


#: The file in a work folder that says which data, settings and starting weights its run has.
RUN_FINGERPRINT = "run.sha256"


def run_fingerprint(
    model: keras.Model,
    train: FaceDataset,
    val: FaceDataset | None,
    config: TrainingConfig,
    teachers: int = 0,
    teacher_weight: float = 0.5,
    teacher_turns: bool = False,
) -> str:
    """A hash of what a run depends on: the network's shape (not its starting weights: a network
    trained from scratch starts from new random ones each time), the training and hold-out faces
    with their targets, the settings (but ``epochs``: a resumed run may be given more) and the teaching."""
    digest = hashlib.sha256(repr([tuple(w.shape) for w in model.weights]).encode())
    for data in (train, val):
        if data is not None:
            for array in (data.images, data.soft_labels, data.affect):
                digest.update(np.ascontiguousarray(array).tobytes())
    # the settings but epochs, spelled as before TrainingConfig checked its values (epochs=0 is refused now),
    # so that a run interrupted under an earlier release still resumes
    settings = repr(config).replace(f"TrainingConfig(epochs={config.epochs!r},", "TrainingConfig(epochs=0,", 1)
    digest.update(f"({settings}, {teachers!r}, {teacher_weight!r}, {teacher_turns!r})".encode())
    return digest.hexdigest()


def _check_resumable(work: Path, fingerprint: str) -> None:
    """Refuse to resume an interrupted run in ``work`` with other data, settings or network."""
    stored = work / RUN_FINGERPRINT
    old = stored.read_text().strip() if stored.is_file() else None
    if old != fingerprint:
        raise DatasetError(
            f"{work} holds an interrupted run made with other data, settings or network"
            f"{'' if old else ' (or by an older facemotion)'}: resuming would mix the two runs. "
            f"Re-run with the same data and options to resume it, or delete {work / 'backup'} to start afresh"
        )
    done = _rows(work / "history.csv")
    log.warning("resuming the interrupted run in %s after its %d finished epoch(s)", work, done)


def _rows(history: Path) -> int:
    try:
        return max(0, len(history.read_text().splitlines()) - 1)
    except OSError:
        return 0


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
    verbose: int | None = None,
) -> keras.callbacks.History:
    """Train ``model`` on ``train``; resumable, with checkpoints and a CSV history in ``work_dir``.

    Runs on any Keras backend (TensorFlow, JAX): numpy batches in, augmentation and
    distillation inside the compiled step (`facemotion.training.trainer.TrainingModel`).
    Re-running with the same ``work_dir`` after an interruption resumes from the last
    finished epoch; after a finished run it starts afresh.
    ``work_dir/last.keras`` is the model after the last epoch, ``work_dir/best.keras``
    the one with the best validation emotion accuracy, ``work_dir/history.csv`` the
    metrics per epoch (plot it with `facemotion.training.plot_history`).
    ``callbacks`` are extra Keras callbacks. ``teachers`` (frozen) label every augmented
    batch the student sees (consistent teaching), weighted ``teacher_weight``; with
    ``teacher_turns`` they take turns on the batch and its mirror image. With
    ``config.distill_initial`` the teacher is instead a frozen copy of ``model`` as given
    (`frozen_copy`), weighted ``config.distill_initial``. ``verbose`` is Keras's (default:
    a progress bar on a terminal, one line per epoch otherwise).
    """
    config = config or TrainingConfig()
    if config.distill_initial:
        if teachers:
            raise ValueError("give either teachers or TrainingConfig.distill_initial, not both")
        teachers, teacher_weight = [frozen_copy(model)], config.distill_initial
    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    fingerprint = run_fingerprint(model, train, val, config, len(teachers), teacher_weight, teacher_turns)
    if (work / "backup").exists():
        _check_resumable(work, fingerprint)
    else:  # nothing to resume: a finished run's files must not mix with this one's
        for name in ("history.csv", "best.keras", "last.keras"):
            (work / name).unlink(missing_ok=True)
        (work / RUN_FINGERPRINT).write_text(fingerprint + "\n")
    with native_output_silenced():  # seeding imports TensorFlow where installed, even on JAX
        keras.utils.set_random_seed(config.seed)
    trainer = TrainingModel(
        model,
        prep,
        config.augmentation,
        teachers=teachers,
        teacher_weight=teacher_weight,
        teacher_turns=teacher_turns,
        seed=config.seed,
    )
    tasks = trainer.tasks
    train_batches = FaceBatches(
        train, config.batch_size, training=True, balance=config.balance, tasks=tasks, seed=config.seed
    )
    val_batches = FaceBatches(val, 256, tasks=tasks) if val is not None and len(val) else None
    absent = absent_classes(train) if config.mask_absent else []
    trainer(train_batches[0][0])  # built before fit, so that BackupAndRestore can restore into it
    compile_model(trainer, config, len(train_batches), absent)
    if keras.backend.backend() == "jax" and not trainer.jit_compile:
        log.warning("JAX compilation is off for this model: training will be very slow")
    monitor = "val_emotion_accuracy" if EMOTION_OUTPUT in tasks else "val_loss"
    mode = "max" if EMOTION_OUTPUT in tasks else "min"
    if config.time_budget is not None:  # a timed run: no resuming, the final weights once at the end
        callbacks = [
            *(callbacks or []),
            WallClockCosine(config.time_budget, config.learning_rate, config.warmup_fraction),
            keras.callbacks.CSVLogger(str(work / "history.csv")),
            StudentCheckpoint(work / "last.keras", at_end=True),
        ]
        return trainer.fit(
            train_batches, validation_data=val_batches, epochs=config.epochs, callbacks=callbacks, verbose=verbose
        )
    callbacks = [
        *(callbacks or []),
        SafeBackupAndRestore(str(work / "backup")),
        StudentCheckpoint(work / "last.keras"),
        keras.callbacks.CSVLogger(str(work / "history.csv"), append=True),
    ]
    if val_batches is not None:
        best = StudentCheckpoint(work / "best.keras", monitor=monitor, mode=mode)
        best.best, best.best_epoch = _best_so_far(work / "history.csv", monitor, mode)
        callbacks.append(best)
        if config.early_stopping:
            callbacks.append(
                ResumedEarlyStopping(work / "history.csv", monitor=monitor, mode=mode, patience=config.early_stopping)
            )
    if verbose is None:
        verbose = 1 if sys.stderr.isatty() else 2
    return trainer.fit(
        train_batches, validation_data=val_batches, epochs=config.epochs, callbacks=callbacks, verbose=verbose
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
