"""Exporting a model directory to a fast runtime (LiteRT / TFLite), checked against Keras."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from facemotion.artifact import CONFIG_FILE, load_artifact
from facemotion.errors import ModelLoadError

log = logging.getLogger(__name__)

TFLITE_FILE = "model.tflite"
Quantization = Literal["none", "float16", "dynamic", "int8"]


def export_tflite(
    model_dir: str | Path,
    *,
    quantization: Quantization = "none",
    samples: NDArray[np.float32] | None = None,
    tolerance: float = 0.02,
) -> float:
    """Write ``model.tflite`` beside the Keras model and record it in ``config.json``.

    The export is checked on ``samples`` (normalized model inputs; random faces if
    ``None``): the largest absolute difference of the probabilities and valence–arousal
    from the Keras model must stay within ``tolerance``, else nothing is written and a
    :class:`ModelLoadError` is raised. Returns that difference.
    """
    import tensorflow as tf

    from facemotion.runtime import TFLiteRunner

    root = Path(model_dir)
    model, config = load_artifact(root)
    prep = config.preprocessing
    if samples is None:
        samples = (
            np.random.default_rng(0).random((64, prep.input_size, prep.input_size, prep.channels)).astype(np.float32)
        )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantization != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        reference = samples

        def representative() -> object:
            for i in range(0, len(reference), 8):
                yield [reference[i : i + 1]]

        converter.representative_dataset = representative
    blob = converter.convert()
    runner = TFLiteRunner(blob, config.tasks)
    expected = model(samples, training=False)
    got = runner(samples)
    diff = 0.0
    for task, values in got.items():
        ref = np.asarray(expected[task], np.float64)
        new = np.asarray(values, np.float64)
        if task == "emotion":
            ref, new = _softmax(ref), _softmax(new)
        diff = max(diff, float(np.max(np.abs(ref - new))))
    if diff > tolerance:
        raise ModelLoadError(
            f"the {quantization} TFLite export differs from the Keras model by {diff:.4f} > {tolerance}"
        )
    (root / TFLITE_FILE).write_bytes(blob)
    data = json.loads((root / CONFIG_FILE).read_text())
    data["runtimes"] = {"tflite": {"file": TFLITE_FILE, "quantization": quantization, "max_abs_diff": round(diff, 5)}}
    (root / CONFIG_FILE).write_text(json.dumps(data, indent=2) + "\n")
    return diff


def _softmax(x: NDArray[np.floating]) -> NDArray[np.float64]:
    e = np.exp(np.asarray(x, np.float64) - np.max(x, axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True), np.float64)
