"""Exporting a model directory to a fast runtime (LiteRT / TFLite), checked against Keras."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from facemotion.artifact import CONFIG_FILE, check_writable, load_config, load_keras_model, write_config
from facemotion.atomic import atomic_write
from facemotion.errors import ModelLoadError

log = logging.getLogger(__name__)

TFLITE_FILE = "model.tflite"
FLOAT32_FILE = "model_float32.tflite"
Quantization = Literal["none", "float16", "dynamic", "int8"]


def export_tflite(
    model_dir: str | Path,
    *,
    quantization: Quantization = "none",
    samples: NDArray[np.float32] | None = None,
    tolerance: float | None = None,
    min_agreement: float = 0.97,
) -> float:
    """Write a LiteRT export beside the Keras model and record it in ``config.json``.

    A ``"none"`` (float32) export is written to ``model_float32.tflite`` (runtime entry
    ``tflite_float32``), any other to ``model.tflite`` (entry ``tflite``); a model may have
    both, and inference picks the faster one for the CPU (``facemotion.runtime.choose_export``).

    The export is checked on ``samples`` (normalized model inputs; pass real faces,
    especially for ``int8``, whose calibration uses them too; random inputs if ``None``):
    the largest absolute difference of the probabilities and valence–arousal from the
    Keras model must stay within ``tolerance`` (default 0.02, or 0.25 for quantized
    exports) and the most probable label must agree on at least ``min_agreement`` of the
    samples; otherwise nothing is written and a `ModelLoadError` is raised.
    Returns the largest difference.
    """
    from facemotion.artifact import QUANTIZATIONS
    from facemotion.runtime import TFLiteRunner
    from facemotion.training.quiet import import_tensorflow, native_output_silenced

    if quantization not in QUANTIZATIONS:  # a config its own loader would refuse
        raise ModelLoadError(f"quantization must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
    tf: Any = import_tensorflow()

    root = Path(model_dir)
    config = load_config(root, check_exports=False)  # a damaged export is what this makes again
    model = load_keras_model(root, config)
    check_writable(root, "the model folder")  # before the conversion, not after it
    prep = config.preprocessing
    if samples is None:
        samples = (
            np.random.default_rng(0).random((64, prep.input_size, prep.input_size, prep.channels)).astype(np.float32)
        )
    with native_output_silenced():
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
    with native_output_silenced():
        blob = converter.convert()
    if tolerance is None:
        tolerance = 0.02 if quantization in ("none", "float16") else 0.25
    runner = TFLiteRunner(blob, config.tasks)
    expected = model(samples, training=False)
    got = {
        k: np.concatenate([runner(samples[i : i + 64])[k] for i in range(0, len(samples), 64)]) for k in config.tasks
    }
    diff, agreement = 0.0, 1.0
    for task, values in got.items():
        ref = np.asarray(expected[task], np.float64)
        new = np.asarray(values, np.float64)
        if task == "emotion":
            ref, new = _softmax(ref), _softmax(new)
            agreement = float(np.mean(ref.argmax(axis=1) == new.argmax(axis=1)))
        diff = max(diff, float(np.max(np.abs(ref - new))))
    if diff > tolerance or agreement < min_agreement:
        raise ModelLoadError(
            f"the {quantization} TFLite export differs from the Keras model: largest difference {diff:.4f} "
            f"(allowed {tolerance}), same top label on {agreement:.1%} of the samples (required {min_agreement:.0%})"
        )
    key, file = ("tflite_float32", FLOAT32_FILE) if quantization == "none" else ("tflite", TFLITE_FILE)
    # Three writes, each whole (a Hub cache's links are replaced, their blobs kept), after each of
    # which the folder loads: the old entry goes, the new file comes in, the new entry names it.
    data = json.loads((root / CONFIG_FILE).read_text())
    if data.get("runtimes", {}).pop(key, None) is not None:
        write_config(root, data)
    atomic_write(root / file, blob)
    data.setdefault("runtimes", {})[key] = {
        "file": file,
        "quantization": quantization,
        "sha256": hashlib.sha256(blob).hexdigest(),
        "max_abs_diff": round(diff, 5),
        "top_label_agreement": round(agreement, 4),
        "checked_on": len(samples),
    }
    write_config(root, data)
    return diff


def _softmax(x: NDArray[np.floating]) -> NDArray[np.float64]:
    e = np.exp(np.asarray(x, np.float64) - np.max(x, axis=-1, keepdims=True))
    return np.asarray(e / e.sum(axis=-1, keepdims=True), np.float64)


def export_in_tensorflow(model_dir: str | Path, samples: NDArray[np.float32]) -> bool:
    """`export_tflite` (float32) run under the TensorFlow backend, whatever backend this process uses.

    The LiteRT converter works on TensorFlow models only, so a model trained on JAX is
    exported by a child process with ``KERAS_BACKEND=tensorflow``. Returns ``False``, with
    a warning, when TensorFlow is not installed.
    """
    import importlib.util
    import os
    import subprocess
    import sys
    import tempfile

    if importlib.util.find_spec("tensorflow") is None:
        log.warning('no LiteRT export of %s: TensorFlow is not installed (pip install "facemotion[train]")', model_dir)
        return False
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "samples.npy", samples)
        env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
        code = "import sys, numpy as np; from facemotion.training.export import export_tflite; "
        code += "export_tflite(sys.argv[1], samples=np.load(sys.argv[2]))"
        proc = subprocess.run(
            [sys.executable, "-c", code, str(model_dir), str(Path(tmp) / "samples.npy")],
            env=env,
            capture_output=True,
            text=True,
        )
    if proc.returncode:
        raise ModelLoadError(f"the LiteRT export of {model_dir} failed:\n{proc.stderr[-2000:]}")
    return True
