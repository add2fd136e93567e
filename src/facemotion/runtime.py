"""Running a loaded model: one compiled call per batch of faces."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from numpy.typing import NDArray

from facemotion.artifact import ModelConfig, load_artifact
from facemotion.hub import resolve_model
from facemotion.labels import expected_affect
from facemotion.models.heads import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.preprocessing import to_model_input


@dataclass(frozen=True)
class ModelOutput:
    """Raw model results for N faces: probabilities (N, 9) and valence–arousal (N, 2)."""

    probabilities: NDArray[np.float32]
    affect: NDArray[np.float32]
    affect_from_head: bool


class FaceModel:
    """A facemotion model ready for inference.

    The Keras model is wrapped in a ``tf.function`` with a batch-agnostic input
    signature, so it is traced once and every batch is a single compiled call.
    Safe to share between threads.
    """

    def __init__(
        self,
        source: str | Path | None = None,
        revision: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        batch_size: int = 64,
    ) -> None:
        self.path = resolve_model(source, revision, cache_dir)
        self.keras_model, self.config = load_artifact(self.path)
        self.batch_size = batch_size
        prep = self.config.preprocessing
        spec = tf.TensorSpec([None, prep.input_size, prep.input_size, prep.channels], tf.float32)
        self._call = tf.function(
            lambda x: self.keras_model(x, training=False), input_signature=[spec], reduce_retracing=True
        )
        self._lock = threading.Lock()

    @property
    def tasks(self) -> tuple[str, ...]:
        return self.config.tasks

    def run(self, faces: list[NDArray[Any]]) -> ModelOutput:
        """Predict for face crops (any size, grey or RGB uint8)."""
        n = len(faces)
        probs = np.zeros((n, len(self.config.labels)), np.float32)
        affect = np.zeros((n, 2), np.float32)
        for start in range(0, n, self.batch_size):
            batch = to_model_input(faces[start : start + self.batch_size], self.config.preprocessing)
            out = self._call(tf.constant(batch))
            stop = start + len(batch)
            if EMOTION_OUTPUT in out:
                probs[start:stop] = tf.nn.softmax(out[EMOTION_OUTPUT]).numpy()
            if VA_OUTPUT in out:
                affect[start:stop] = np.clip(out[VA_OUTPUT].numpy(), -1.0, 1.0)
        has_head = VA_OUTPUT in self.config.tasks
        if not has_head:
            affect = expected_affect(probs)
        return ModelOutput(probs, affect, has_head)

    @property
    def model_config(self) -> ModelConfig:
        return self.config
