"""`facemotion.training` trains on every Keras backend it supports: TensorFlow (CPU) and JAX (GPU).

Each backend runs in a child process (Keras picks its backend once per process): a tiny
network learns bright from dark faces with the full augmentation, mixup and a frozen
teacher inside the compiled step, and JAX must really compile it (``jit_compile``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import json, sys
import keras, numpy as np
from facemotion.training import Augmentation, FaceDataset, TrainingConfig, build_model, finetune, recipe_preprocessing
from facemotion.training.trainer import TrainingModel

rng = np.random.default_rng(0)
labels = np.repeat([4, 6], 64)  # happy: bright faces, sad: dark ones
images = np.where(labels[:, None, None, None] == 4, 190, 60) + rng.integers(-30, 30, (128, 48, 48, 1))
data = FaceDataset(images.astype(np.uint8), labels, np.eye(9, dtype=np.float32)[labels],
                   np.zeros((128, 2), np.float32), [str(i) for i in range(128)])
prep = recipe_preprocessing("compact")
config = TrainingConfig(epochs=5, batch_size=16, learning_rate=1e-2, warmup_epochs=0,
                        augmentation=Augmentation(photometric=0.2, mixup=0.2))
keras.utils.set_random_seed(0)
history = finetune(build_model(width=4), data, data, prep, sys.argv[1], config, teachers=[build_model(width=4)],
                   teacher_weight=0.1, verbose=0)
trainer = TrainingModel(build_model(width=4), prep)
trainer.compile(loss={"emotion": "categorical_crossentropy"})
student = keras.saving.load_model(sys.argv[1] + "/last.keras", compile=False)
print(json.dumps({"backend": keras.backend.backend(), "epochs": len(history.history["loss"]),
                  "accuracy": history.history["emotion_accuracy"],
                  "val_accuracy": history.history["val_emotion_accuracy"],
                  "jit": bool(trainer.jit_compile), "outputs": sorted(student.output)}))
"""


def _train(backend: str, work: Path) -> dict[str, object]:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(work)], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_tiny_training_learns_on_the_backend(backend: str, tmp_path: Path) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(
            f"the {backend} backend is not installed (pip install {'jax[cpu]' if backend == 'jax' else backend})"
        )
    result = _train(backend, tmp_path / "work")
    assert result["backend"] == backend and result["epochs"] == 5
    assert result["outputs"] == ["emotion", "valence_arousal"]
    accuracy = [float(a) for a in result["accuracy"]]  # type: ignore[attr-defined]
    assert accuracy[-1] >= 0.8 and accuracy[-1] > accuracy[0]  # bright vs dark is learnt through the augmentation
    assert len(result["val_accuracy"]) == 5  # type: ignore[arg-type]
    if backend == "jax":
        assert result["jit"], "the augmentation layers switched JAX compilation off (supports_jit)"
    assert (tmp_path / "work" / "best.keras").is_file() and (tmp_path / "work" / "history.csv").is_file()
