"""Knowledge distillation: soften a dataset's targets with the predictions of teacher models.

A student trained on the averaged predictions of an ensemble (each teacher also seeing
the mirrored face) learns much of what the ensemble knows while keeping one network's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import keras
import numpy as np
from numpy.typing import NDArray

from facemotion.labels import EMOTION_OUTPUT
from facemotion.preprocessing import Preprocessing, normalize
from facemotion.training.datasets import FaceDataset


def teacher_probabilities(
    teachers: Sequence[keras.Model], data: FaceDataset, prep: Preprocessing, *, mirror: bool = True
) -> NDArray[np.float32]:
    """Mean emotion probabilities of ``teachers`` on ``data`` (and on its mirror image).

    >>> from facemotion.training import build_model, recipe_preprocessing
    >>> faces = FaceDataset(np.zeros((2, 48, 48, 1), np.uint8), np.zeros(2, np.int64),
    ...                     np.full((2, 9), 1 / 9, np.float32), np.zeros((2, 2), np.float32), ["a", "b"])
    >>> teacher_probabilities([build_model("compact", width=4)], faces, recipe_preprocessing("compact")).shape
    (2, 9)
    """
    if not teachers:
        raise ValueError("teacher_probabilities needs at least one teacher model")
    x = normalize(data.images.astype(np.float32), prep)
    views = [x, x[:, :, ::-1]] if mirror else [x]
    total = np.zeros((len(data), data.soft_labels.shape[1]), np.float64)
    for teacher in teachers:
        for view in views:
            logits = teacher.predict(view, batch_size=256, verbose=0)
            if isinstance(logits, dict):
                logits = logits[EMOTION_OUTPUT]
            total += keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))
    return np.asarray(total / (len(teachers) * len(views)), np.float32)


def distill_targets(data: FaceDataset, teacher_probs: NDArray[np.float32], weight: float = 0.5) -> FaceDataset:
    """Return ``data`` whose soft labels are ``(1 - weight) · labels + weight · teacher_probs``."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    if teacher_probs.shape != data.soft_labels.shape:
        raise ValueError(f"teacher_probs has shape {teacher_probs.shape}, expected {data.soft_labels.shape}")
    soft = (1.0 - weight) * data.soft_labels + weight * teacher_probs
    return replace(data, soft_labels=np.asarray(soft, np.float32))
