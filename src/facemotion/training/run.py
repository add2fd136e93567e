"""A whole training run as a user sees it: schedule, training, the epoch kept, hold-out
figures, the saved model with its LiteRT export, and a summary that says all of it."""

from __future__ import annotations

import csv
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np

from facemotion.artifact import (
    CARD_FILE,
    CONFIG_FILE,
    WEIGHTS_FILE,
    ModelCard,
    check_output_folder,
    check_training_outputs,
    save_pretrained,
    work_folder,
)
from facemotion.errors import DatasetError
from facemotion.labels import EMOTION_OUTPUT, EMOTIONS
from facemotion.preprocessing import Preprocessing, normalize
from facemotion.training.datasets import FaceDataset
from facemotion.training.evaluate import EvaluationReport, classification_report
from facemotion.training.recipe import TrainingConfig, absent_classes, finetune

log = logging.getLogger(__name__)

#: Fewer training faces than this and a network trained from scratch learns next to nothing (see docs).
SCRATCH_MINIMUM = 1000
#: Below this, training from scratch works poorly; fine-tuning a trained model is better.
SCRATCH_ADVISED = 5000


def batch_size_for(n_train: int, largest: int) -> int:
    """A power of two giving about 20 steps per epoch, between 8 and ``largest``.

    >>> batch_size_for(96, 32), batch_size_for(3000, 64), batch_size_for(30000, 128)
    (8, 64, 128)
    """
    size = 8
    while size * 2 <= largest and n_train // (size * 2) >= 20:
        size *= 2
    return size


def scratch_epochs_for(n_train: int, batch_size: int, steps: int = 6000) -> int:
    """Epochs that give about ``steps`` optimizer steps in all, between 15 and 60.

    >>> scratch_epochs_for(1000, 32), scratch_epochs_for(28000, 128)
    (60, 28)
    """
    per_epoch = max(1, n_train // batch_size)
    return int(min(60, max(15, round(steps / per_epoch))))


class EpochLines(keras.callbacks.Callback):  # type: ignore[misc]
    """Print one short line every ``every`` epochs (and the last): loss, accuracy, hold-out accuracy."""

    def __init__(self, epochs: int, every: int):
        super().__init__()
        self.epochs, self.every = epochs, max(1, every)

        self.pending = ""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        line = f"epoch {epoch + 1:>3}/{self.epochs}  loss {logs.get('loss', float('nan')):.3f}"
        if "emotion_accuracy" in logs:
            line += f"  accuracy {logs['emotion_accuracy']:.3f}"
        if "val_emotion_accuracy" in logs:
            line += f"  hold-out accuracy {logs['val_emotion_accuracy']:.3f}"
        self.pending = line
        if (epoch + 1) % self.every == 0 or epoch + 1 == self.epochs:
            print(line, flush=True)
            self.pending = ""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.pending:  # stopped early: show where
            print(self.pending, flush=True)


#: What training from scratch does with the emotions a dataset lacks (the summary says it).
ABSENT_AS_NEVER = "trained as never occurring: the model will rarely predict them"


@dataclass
class TrainingRun:
    """What a training run did and how good the model it kept is (see `train_and_save`)."""

    out: Path
    work: Path
    train_counts: dict[str, int]
    holdout_counts: dict[str, int]
    holdout: str
    config: TrainingConfig
    epochs_run: int
    epoch_kept: int
    kept_because: str
    report: EvaluationReport
    absent: list[str] = field(default_factory=list)
    absent_handling: str = ABSENT_AS_NEVER
    exports: list[Path] = field(default_factory=list)
    backend: str = "tensorflow"
    started_from: str = ""
    """The model fine-tuning started from (empty when trained from scratch)."""
    before: EvaluationReport | None = None
    """That model's figures on the same hold-out, before fine-tuning."""

    def metrics(self) -> dict[str, Any]:
        """The figures recorded in the model card."""
        r = self.report
        return {
            "holdout": self.holdout,
            "holdout_faces": r.n,
            "holdout_accuracy": round(r.accuracy, 4),
            "holdout_macro_f1": round(r.macro_f1, 4),
            "holdout_accuracy_8": None if r.accuracy_8 is None else round(r.accuracy_8, 4),
            "training_faces": sum(self.train_counts.values()),
            "epochs_run": self.epochs_run,
            "epoch_kept": self.epoch_kept,
            "classes_not_trained": ", ".join(self.absent) or "none",
        } | ({"holdout_accuracy_before": round(self.before.accuracy, 4)} if self.before else {})

    def summary(self) -> str:
        """A few lines for the terminal: data, schedule, the epoch kept and why, hold-out figures, files."""

        def counts(c: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in c.items() if v)

        r = self.report
        lines = [
            f"training faces: {sum(self.train_counts.values())} ({counts(self.train_counts)})",
            f"hold-out faces: {r.n} ({self.holdout})",
            f"schedule: batch {self.config.batch_size}, up to {self.config.epochs} epochs, "
            f"learning rate {self.config.learning_rate:g}, Keras backend {self.backend}"
            + (
                f", taught by the starting model at {self.config.distill_initial:g}"
                if self.config.distill_initial
                else ""
            ),
            f"epochs run: {self.epochs_run}; kept epoch {self.epoch_kept} ({self.kept_because})",
            f"hold-out accuracy {r.accuracy:.3f}, macro-F1 {r.macro_f1:.3f}"
            + (f", 8-class accuracy {r.accuracy_8:.3f}" if r.accuracy_8 is not None else ""),
        ]
        if self.before is not None:
            lines.append(
                f"{self.started_from} before fine-tuning, on the same hold-out: accuracy {self.before.accuracy:.3f}, "
                f"macro-F1 {self.before.macro_f1:.3f}"
            )
            if r.accuracy <= self.before.accuracy:
                lines.append(
                    f"WARNING: not better than {self.started_from} on your hold-out: keep using it unless a test "
                    "set of your own says otherwise"
                )
        predicted = r.confusion.sum(axis=0)
        if r.n and predicted.max() >= 0.8 * r.n and len(r.per_class) > 1:
            top = EMOTIONS[int(predicted.argmax())]
            lines.append(f"WARNING: the model says {top!r} for {predicted.max() / r.n:.0%} of the hold-out faces")
        if r.n < 100:
            lines.append(f"  (only {r.n} hold-out faces: these figures are rough; keep a test set of your own)")
        if self.absent:
            lines.append(f"not in your data: {', '.join(self.absent)}: {self.absent_handling}")
        lines.append(
            f"model: {self.out}" + (f" (LiteRT: {', '.join(p.name for p in self.exports)})" if self.exports else "")
        )
        lines.append(f"checkpoints and history: {self.work} (re-run the same command to resume; delete when done)")
        return "\n".join(lines)


def _history(work: Path) -> list[dict[str, str]]:
    path = work / "history.csv"
    if not path.is_file():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def emotion_probabilities(model: keras.Model, data: FaceDataset, prep: Preprocessing) -> np.ndarray:
    """Softmax emotion probabilities of a Keras network on a `FaceDataset`."""
    out = model.predict(normalize(data.images.astype(np.float32), prep), batch_size=256, verbose=0)
    logits = np.asarray(out[EMOTION_OUTPUT] if isinstance(out, dict) else out, np.float64)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(e / e.sum(axis=1, keepdims=True), np.float64)


def train_and_save(
    model: keras.Model,
    train: FaceDataset,
    val: FaceDataset | None,
    prep: Preprocessing,
    out: str | Path,
    *,
    recipe: str,
    config: TrainingConfig,
    work_dir: str | Path | None = None,
    card: ModelCard | None = None,
    absent_handling: str = ABSENT_AS_NEVER,
    callbacks: list[keras.callbacks.Callback] | None = None,
    verbose: int | None = None,
    started_from: str = "",
    overwrite: bool = False,
) -> TrainingRun:
    """Train ``model``, keep its best epoch on the hold-out, save it with a checked LiteRT export.

    ``out`` must be a new or empty folder, unless ``overwrite`` (``--overwrite``) lets the new
    model's files replace the model files there (other files are kept). The model is written
    beside it first and moved in when complete, so an interruption never leaves half a model.

    Without ``val``, 20 % of each class of ``train`` is held out (`split_validation`).
    Checkpoints and the history go to ``work_dir`` (default: ``OUT_work`` beside ``out``,
    so the model folder holds the model only). The hold-out figures of the kept epoch
    are recorded in the model card. ``absent_handling`` says, for the summary, what
    happens to the classes missing from ``train``. With ``started_from`` (fine-tuning:
    the starting model's name) that model is scored on the hold-out first, and the
    summary compares.
    """
    from facemotion.training.export import export_in_tensorflow, export_tflite
    from facemotion.training.transfer import split_validation

    out = Path(out).resolve()  # "." has a name too
    work = work_folder(out, work_dir)
    check_output_folder(out, overwrite)
    check_training_outputs(out, work)
    if len(present := sorted({EMOTIONS[k] for k in train.labels.tolist()})) < 2:
        raise DatasetError(
            f"the training faces show {' and '.join(present) or 'no emotion'} only: telling emotions apart needs "
            "faces of at least two (with one, the emotion loss is masked to 0 and only valence–arousal would train)"
        )
    holdout = "the --val folder"
    if val is None:
        train, val = split_validation(train)
        holdout = "20 % of each class, held out from the training faces"
    elif shared := len({Path(p).resolve() for p in val.paths} & {Path(p).resolve() for p in train.paths}):
        log.warning(
            "%d of the %d hold-out faces are training faces too: the hold-out figures will be too good",
            shared,
            len(val),
        )
    if not len(val):
        raise DatasetError(
            "no hold-out faces to choose the best epoch on: "
            + (
                "none of the --val folder's images could be read"
                if holdout == "the --val folder"
                else "give a --val folder, or at least two faces in some emotion (20 % of each emotion with two "
                "faces or more is held out)"
            )
        )
    before = classification_report(emotion_probabilities(model, val, prep), val.labels) if started_from else None
    finetune(model, train, val, prep, work, config, callbacks=callbacks, verbose=verbose)
    rows = _history(work)
    accuracies = [float(r["val_emotion_accuracy"]) for r in rows if r.get("val_emotion_accuracy")]
    kept = model
    epoch_kept, because = len(rows), "the last epoch"
    if (work / "best.keras").is_file() and accuracies:
        kept = keras.saving.load_model(work / "best.keras", compile=False)
        epoch_kept = int(np.argmax(accuracies)) + 1
        because = f"best hold-out accuracy, {max(accuracies):.3f}"
        if len(rows) < config.epochs:
            because += f"; stopped after {len(rows) - epoch_kept} epochs without progress"
    report = classification_report(emotion_probabilities(kept, val, prep), val.labels)
    run = TrainingRun(
        out=out,
        work=work,
        train_counts=train.class_counts(),
        holdout_counts=val.class_counts(),
        holdout=holdout,
        config=config,
        epochs_run=len(rows),
        epoch_kept=epoch_kept,
        kept_because=because,
        report=report,
        absent=absent_classes(train),
        absent_handling=absent_handling,
        backend=keras.backend.backend(),
        started_from=started_from,
        before=before,
    )
    card = card or ModelCard()
    card.metrics = {**card.metrics, **run.metrics()}
    partial = out.with_name(f".{out.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    save_pretrained(kept, partial, prep, recipe=recipe, card=card)
    samples = normalize(val.images.astype(np.float32), prep)
    if len(samples) < 16:  # too few faces to check an export on: add the training faces
        samples = np.concatenate([samples, normalize(train.images[:64].astype(np.float32), prep)])
    if keras.backend.backend() == "tensorflow":
        export_tflite(partial, quantization="none", samples=samples)
    else:
        export_in_tensorflow(partial, samples)
    _move_model(partial, out)
    run.exports = sorted(out.glob("*.tflite"))
    return run


def _move_model(partial: Path, out: Path) -> None:
    """Put the complete model folder ``partial`` in place of ``out``'s model files (an earlier model's
    exports included, so none is left behind); other files in ``out`` stay."""
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.name in (CONFIG_FILE, CARD_FILE, WEIGHTS_FILE) or old.suffix == ".tflite":
            old.unlink()
    for new in partial.iterdir():
        new.replace(out / new.name)
    partial.rmdir()
