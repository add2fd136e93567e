"""The prepared GPU run (scripts/gpu_train.py) works end to end on the CPU, in smoke mode.

The GPU machine has no OpenCV, no TensorFlow and no network: the train step runs here with
both hidden, on a small pack made from the shared data, so no device time is spent finding
Python errors.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from conftest import DATA, need

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "gpu_train.py"

HIDE = """
import runpy, sys

class Hide:  # as on the GPU machine: these cannot be imported
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Hide())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _script() -> object:
    spec = importlib.util.spec_from_file_location("gpu_train", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mosaics_keep_every_face_in_place() -> None:
    from PIL import Image

    gpu = _script()
    faces = np.random.default_rng(0).integers(0, 256, (4100, 48, 48), dtype=np.uint8)
    tiles = gpu.mosaic(faces)  # type: ignore[attr-defined]
    assert [t.shape for t in tiles] == [(3072, 3072), (48, 3072)]
    back = gpu.unmosaic([np.asarray(Image.fromarray(t)) for t in tiles], len(faces))  # type: ignore[attr-defined]
    assert back.shape == (4100, 48, 48, 1) and np.array_equal(back[..., 0], faces)


def test_pack_then_smoke_train_without_opencv_or_tensorflow(tmp_path: Path) -> None:
    need(DATA / "ferplus" / "train")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "JAX_PLATFORMS": "cpu"}
    pack = tmp_path / "pack"
    pack_args = ["--data", str(DATA), "--into", str(pack), "--per-class", "6", "--no-portraits", "--no-wheels"]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "pack", *pack_args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["train_by_source"]["ferplus"] == 54 and manifest["train_by_source"]["ckplus"] == 42
    assert manifest["posed"] == 42  # CK+'s held-out subjects: 6 faces of each of its 7 emotions
    suffixes = {p.name.split("_")[0]: p.suffix for p in pack.glob("*_faces_*")}
    assert suffixes == {"train": ".jpg", "val": ".png", "posed": ".png"}  # lossy train, lossless judges

    jax = importlib.util.find_spec("jax") is not None
    hidden = ("cv2", "tensorflow") if jax else ("cv2",)  # without JAX, Keras needs TensorFlow here
    env["KERAS_BACKEND"] = "jax" if jax else "tensorflow"
    out = tmp_path / "out"
    train_args = ["--pack", str(pack), "--out", str(out), "--smoke"]
    proc = subprocess.run(
        [sys.executable, "-c", f"HIDDEN = {hidden!r}\n{HIDE}", str(SCRIPT), "train", *train_args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = json.loads((out / "gpu_train.json").read_text())
    assert report["backend"] == env["KERAS_BACKEND"] and set(report["models"]) == {"teacher", "default", "fast"}
    assert all(m["epochs"] >= 1 and 0 <= m["val_accuracy_8"] <= 1 for m in report["models"].values())
    assert report["models"]["fast"]["flops"] < report["models"]["default"]["flops"]
    assert all(set(m["posed_recall"]) == {"anger", "disgust", "fear", "sad"} for m in report["models"].values())
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["default.keras", "fast.keras", "gpu_train.json", "teacher.keras"]
    assert all(f.stat().st_size <= 16 * 2**20 for f in files)

    import keras

    student = keras.saving.load_model(out / "default.keras", compile=False)
    teacher = keras.saving.load_model(out / "teacher.keras", compile=False)
    assert sorted(student.output) == ["emotion", "valence_arousal"] and student.dtype_policy.name == "float32"
    assert teacher.get_layer("stem_conv").kernel.dtype == "float16"  # stored compactly
    x = np.random.default_rng(0).uniform(0, 1, (2, 48, 48, 1)).astype(np.float32)
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(student(x)["emotion"])))

    # Back on the CPU: the returned network becomes a model directory that runs without TensorFlow.
    model_dir = tmp_path / "fast_model"
    ship = [sys.executable, str(SCRIPT), "ship", str(out / "fast.keras"), "--out", str(model_dir), "--pack", str(pack)]
    proc = subprocess.run(ship, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    from facemotion import EmotionClassifier

    config = json.loads((model_dir / "config.json").read_text())
    assert "tflite_float32" in config["runtimes"]  # int8 too, unless its check refuses a barely trained network
    assert config["metrics"]["val_accuracy_8"] == report["models"]["fast"]["val_accuracy_8"]
    faces = EmotionClassifier(model_dir).predict_faces([np.full((48, 48), 128, np.uint8)])
    assert len(faces[0].probabilities) == 9
