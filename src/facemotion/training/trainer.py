"""The training step as one Keras model, so that it compiles on any Keras backend.

`TrainingModel` holds the student (the network being trained), the augmentation layers
and, for distillation, frozen teachers. Its input is a batch of uint8 faces with their
targets; in training it augments the faces, mixes them up, lets the teachers label the
very faces the student sees (*consistent teaching*, Beyer et al. 2022) and returns the
student's outputs beside the targets they are scored against. `FaceBatches` feeds it
numpy batches drawn with class rebalancing. Nothing here is TensorFlow-specific: the same
code trains on JAX (GPU) and TensorFlow (CPU).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from facemotion.atomic import atomic_write, replacing
from facemotion.errors import DatasetError
from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.preprocessing import Preprocessing, normalize
from facemotion.training.augment import Augmentation, mixup
from facemotion.training.datasets import FaceDataset, sampling_weights

IMAGE = "image"
TARGET = "_target"  # suffix of the target outputs of TrainingModel


def teacher_view_probabilities(teachers: Sequence[keras.Model], images: Any, *, turns: bool = False) -> Any:
    """Mean emotion probabilities of frozen ``teachers`` on a normalized batch and its mirror image.

    Every teacher sees both (two passes each); with ``turns`` they take turns instead (the
    1st, 3rd, … see the batch, the 2nd, 4th, … its mirror image), so that two teachers
    still cover both views at half the cost.
    """
    views = (images, ops.flip(images, axis=2))
    probs = []
    for k, teacher in enumerate(teachers):
        for view in views[k % 2 : k % 2 + 1] if turns else views:
            out = teacher(view, training=False)
            probs.append(ops.softmax(out[EMOTION_OUTPUT] if isinstance(out, dict) else out, axis=-1))
    return ops.stop_gradient(sum(probs[1:], probs[0]) / len(probs))


class TrainingModel(keras.Model):  # type: ignore[misc]
    """Student + augmentation (+ frozen teachers): one compiled training step on any backend.

    Inputs: ``{"image": uint8 faces, "emotion": soft labels, "valence_arousal": targets}``
    (the tasks the student has). Outputs: the student's outputs and, under
    ``<task>_target``, what each is scored against: in training the mixed-up targets, the
    emotion ones blended ``(1 - teacher_weight) · labels + teacher_weight · teachers``;
    in evaluation the targets as given.

    >>> from facemotion.training import build_model, recipe_preprocessing
    >>> trainer = TrainingModel(build_model(width=4), recipe_preprocessing("compact"))
    >>> batch = {"image": np.zeros((2, 48, 48, 1), np.uint8), "emotion": np.eye(9, dtype=np.float32)[:2],
    ...          "valence_arousal": np.zeros((2, 2), np.float32)}
    >>> sorted(trainer(batch))
    ['emotion', 'emotion_target', 'valence_arousal', 'valence_arousal_target']
    """

    def __init__(
        self,
        student: keras.Model,
        prep: Preprocessing,
        augmentation: Augmentation | None = None,
        *,
        teachers: Sequence[keras.Model] = (),
        teacher_weight: float = 0.5,
        teacher_turns: bool = False,
        seed: int = 0,
    ):
        super().__init__(name="training_model", dtype="float32")  # targets and pixels stay float32 under bf16
        if teachers and not 0.0 <= teacher_weight <= 1.0:
            raise ValueError(f"teacher_weight must be in [0, 1], got {teacher_weight}")
        augmentation = augmentation or Augmentation()
        self.student = student
        self.prep = prep
        self.tasks = tuple(student.output) if isinstance(student.output, dict) else (EMOTION_OUTPUT,)
        self.augment = augmentation.layers(seed)
        self.mixup_alpha = augmentation.mixup
        self.mixup_seed = keras.random.SeedGenerator(seed + 100)
        self.teachers = list(teachers)
        for teacher in self.teachers:
            teacher.trainable = False
        self.teacher_weight = teacher_weight
        self.teacher_turns = teacher_turns

    def build(self, input_shape: Any) -> None:
        """Nothing to build: the student and teachers come built, the augmentation has no weights."""

    def views(self, inputs: dict[str, Any], training: bool = False) -> tuple[Any, dict[str, Any]]:
        """The normalized faces the student sees and the targets it is scored against."""
        x = ops.cast(inputs[IMAGE], "float32")
        targets = {task: ops.cast(inputs[task], "float32") for task in self.tasks}
        if training:
            for layer in self.augment:
                x = ops.clip(layer(x, training=True), 0.0, 255.0)
        x = normalize(x, self.prep)
        if training and self.mixup_alpha:
            x, targets = mixup(x, targets, self.mixup_alpha, self.mixup_seed)
        if training and self.teachers and EMOTION_OUTPUT in targets:
            taught = teacher_view_probabilities(self.teachers, x, turns=self.teacher_turns)
            w = self.teacher_weight
            targets[EMOTION_OUTPUT] = (1.0 - w) * targets[EMOTION_OUTPUT] + w * taught
        return x, targets

    def call(self, inputs: dict[str, Any], training: bool = False) -> dict[str, Any]:
        x, targets = self.views(inputs, training=training)
        out = self.student(x, training=training)
        out = out if isinstance(out, dict) else {EMOTION_OUTPUT: out}
        return {**out, **{task + TARGET: target for task, target in targets.items()}}

    def _split(self, y_pred: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        return {t: y_pred[t] for t in self.tasks}, {t: y_pred[t + TARGET] for t in self.tasks}

    def compute_loss(
        self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None, training: bool = True
    ) -> Any:
        pred, target = self._split(y_pred)
        return super().compute_loss(x, target, pred, sample_weight, training)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        pred, target = self._split(y_pred)
        return super().compute_metrics(x, target, pred, sample_weight)


class FaceBatches(keras.utils.PyDataset):  # type: ignore[misc]
    """Numpy batches ``({"image": faces, <task>: targets},)`` of a `FaceDataset`.

    With ``training=True`` an epoch draws ``len(data)`` faces (whole batches, at least one)
    with probabilities ∝ class frequency ** -``balance`` (1 = balanced classes), redrawn
    every epoch; with ``balance=0`` it is a plain shuffle instead: no face twice, and only
    what does not fill a last batch left out (with replacement a third of a small set would
    be missing from each epoch). Otherwise every face once, in order.

    >>> data = FaceDataset(np.zeros((5, 48, 48, 1), np.uint8), np.zeros(5, np.int64),
    ...                    np.zeros((5, 9), np.float32), np.zeros((5, 2), np.float32), list("abcde"))
    >>> len(FaceBatches(data, 2)), FaceBatches(data, 2)[2][0]["image"].shape
    (3, (1, 48, 48, 1))
    """

    def __init__(
        self,
        data: FaceDataset,
        batch_size: int,
        *,
        training: bool = False,
        balance: float = 0.0,
        tasks: Sequence[str] = (EMOTION_OUTPUT, VA_OUTPUT),
        seed: int = 0,
    ):
        super().__init__()
        self.data = data
        self.batch_size = batch_size
        self.training = training
        self.tasks = tuple(tasks)
        self.rng = np.random.default_rng(seed)
        self.balance = balance
        self.weights = sampling_weights(data.labels, balance)
        self.order = np.arange(len(data))
        if training:
            self.on_epoch_end()

    def __len__(self) -> int:
        if self.training:
            return max(1, len(self.data) // self.batch_size)
        return -(-len(self.data) // self.batch_size)

    def on_epoch_end(self) -> None:
        if self.training:
            size = len(self) * self.batch_size
            if self.balance:
                self.order = self.rng.choice(len(self.data), size=size, p=self.weights)
            else:  # shuffled passes over the data, as many as one batch needs
                passes = -(-size // len(self.data))
                self.order = np.concatenate([self.rng.permutation(len(self.data)) for _ in range(passes)])[:size]

    def __getitem__(self, index: int) -> tuple[dict[str, np.ndarray]]:
        pick = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        targets = {EMOTION_OUTPUT: self.data.soft_labels, VA_OUTPUT: self.data.affect}
        return ({IMAGE: self.data.images[pick], **{t: targets[t][pick] for t in self.tasks}},)


class StudentCheckpoint(keras.callbacks.Callback):  # type: ignore[misc]
    """Save the student of a `TrainingModel` after every epoch, or when ``monitor`` improves.

    Records the epoch kept (0-based) and its value in ``best_epoch`` / ``best``. With
    ``at_end``, saves once when training ends instead.
    """

    def __init__(self, path: str | Path, monitor: str | None = None, mode: str = "max", *, at_end: bool = False):
        super().__init__()
        self.path = Path(path)
        self.at_end = at_end
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.best: float | None = None
        self.best_epoch: int | None = None

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.at_end:
            save_whole(self.model.student, self.path)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.at_end:
            return
        if self.monitor is not None:
            value = (logs or {}).get(self.monitor)
            if value is None or (self.best is not None and self.sign * float(value) <= self.sign * self.best):
                return
            self.best, self.best_epoch = float(value), epoch
        save_whole(self.model.student, self.path)


def save_whole(model: keras.Model, path: Path) -> None:
    """``model.save(path)`` that an interrupt cannot leave half written: saved beside it, then moved in
    (`facemotion.atomic.replacing`)."""
    with replacing(path, suffix=path.suffix) as partial:
        model.save(partial)


class SafeBackupAndRestore(keras.callbacks.BackupAndRestore):  # type: ignore[misc]
    """Keras's `BackupAndRestore`, with each file written beside and moved in (a Ctrl-C while it
    wrote left weights that no later run could load), the weights before the epoch count (a kill
    between them repeats an epoch, never skips one), and a backup that cannot be restored
    named in a `DatasetError` instead of a traceback from deep inside Keras."""

    _weights_path: str
    _training_metadata_path: str

    def _save_model(self) -> None:
        with replacing(Path(self._weights_path), suffix=".weights.h5") as partial:
            self.model.save_weights(filepath=str(partial), overwrite=True)
        progress = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        atomic_write(Path(self._training_metadata_path), json.dumps(progress).encode())

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as err:  # h5py, Keras's object matching, a cut JSON file
            raise DatasetError(
                f"the backup of an interrupted run in {self.backup_dir} cannot be restored "
                f"({type(err).__name__}: {str(err)[:200]}); delete that folder to start this run again"
            ) from None


class WallClockCosine(keras.callbacks.Callback):  # type: ignore[misc]
    """Learning rate over a wall-clock budget: linear warm-up, then a cosine to 0; stop when spent.

    The first epoch (which includes compiling the step) runs at the warm-up's first rate;
    the schedule then spreads over the time left, set once per epoch from the share of it
    elapsed. Training stops after the epoch that leaves less time than the last one took,
    so the whole run, compilation included, stays within ``budget`` seconds.

    >>> schedule = WallClockCosine(100.0, 0.2)
    >>> round(schedule.rate(0.5), 4), schedule.rate(1.0)
    (0.1049, 0.0)
    """

    def __init__(self, budget: float, peak: float, warmup: float = 0.03):
        super().__init__()
        self.budget, self.peak, self.warmup = budget, peak, warmup
        self.start = self.schedule_start = self.epoch_start = 0.0

    def rate(self, fraction: float) -> float:
        if fraction < self.warmup:
            return self.peak * max(fraction, 0.01 * self.warmup) / self.warmup
        done = min(1.0, (fraction - self.warmup) / max(1e-9, 1.0 - self.warmup))
        return float(self.peak * 0.5 * (1.0 + np.cos(np.pi * done)))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.start = time.monotonic()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.epoch_start = time.monotonic()
        fraction = 0.0
        if epoch:
            left = max(1e-9, self.budget - (self.schedule_start - self.start))
            fraction = (self.epoch_start - self.schedule_start) / left
        self.model.optimizer.learning_rate = self.rate(fraction)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        now = time.monotonic()
        if epoch == 0:
            self.schedule_start = now
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            logs["seconds"] = now - self.start
        if now - self.start + (now - self.epoch_start) > self.budget:
            self.model.stop_training = True
