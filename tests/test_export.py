import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from facemotion import EmotionClassifier, ModelLoadError
from facemotion.runtime import FaceModel
from facemotion.training.export import export_tflite


@pytest.fixture(scope="module")
def exported(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export") / "model"
    shutil.copytree(tiny_model_dir, path)
    diff = export_tflite(path)
    assert diff < 1e-4
    return path


def test_tflite_runtime_matches_keras(exported: Path) -> None:
    config = json.loads((exported / "config.json").read_text())
    assert config["runtimes"]["tflite_float32"]["file"] == "model_float32.tflite"
    blob = (exported / "model_float32.tflite").read_bytes()
    assert config["runtimes"]["tflite_float32"]["sha256"] == hashlib.sha256(blob).hexdigest()  # checked on load
    fast, slow = FaceModel(exported), FaceModel(exported, runtime="keras")
    assert (fast.runtime, slow.runtime) == ("tflite-float32", "keras")
    rng = np.random.default_rng(0)
    for n in (1, 3, 17, 70):  # bucket padding and chunking
        faces = [rng.integers(0, 255, (50, 40, 3), dtype=np.uint8) for _ in range(n)]
        a, b = fast.run(faces), slow.run(faces)
        np.testing.assert_allclose(a.probabilities, b.probabilities, atol=1e-4)
        np.testing.assert_allclose(a.affect, b.affect, atol=1e-4)


def test_classifier_uses_the_export(exported: Path, astronaut: np.ndarray) -> None:
    fast = EmotionClassifier(exported)
    slow = EmotionClassifier(exported, runtime="keras")
    a, b = fast.predict(astronaut), slow.predict(astronaut)
    assert fast.model.runtime == "tflite-float32" and len(a) == len(b) == 1
    assert a[0].probabilities == pytest.approx(b[0].probabilities, abs=1e-4)


def test_missing_export_is_explained(exported: Path, tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no tflite export"):
        FaceModel(tiny_model_dir, runtime="tflite")
    with pytest.raises(ModelLoadError, match="no tflite-int8 export"):
        FaceModel(exported, runtime="tflite-int8")
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    (broken / "model_float32.tflite").unlink()
    with pytest.raises(ModelLoadError, match=r"listed in config\.json but missing"):
        FaceModel(broken)


def test_int8_export_of_the_bundled_model_agrees_with_keras(tmp_path: Path) -> None:
    """The quantized export must keep the top label on real faces (what ships in the wheel)."""
    from facemotion.hub import DEFAULT_MODEL_DIR
    from facemotion.io import read_image
    from facemotion.preprocessing import Preprocessing, to_model_input

    from conftest import DATA, need

    files = sorted((need(DATA / "ferplus" / "val") / "happy").iterdir())[:40]
    files += sorted((DATA / "ferplus" / "val" / "neutral").iterdir())[:40]
    model_dir = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, model_dir)
    samples = to_model_input([read_image(f) for f in files], Preprocessing())
    diff = export_tflite(model_dir, quantization="int8", samples=samples)
    runtime = json.loads((model_dir / "config.json").read_text())["runtimes"]["tflite"]
    assert runtime["quantization"] == "int8" and runtime["top_label_agreement"] >= 0.97 and diff <= 0.25
    with pytest.raises(ModelLoadError, match="differs from the Keras model"):
        export_tflite(model_dir, quantization="int8", samples=samples, tolerance=1e-6)


@pytest.mark.parametrize(("vnni", "expected"), [(True, "tflite"), (False, "tflite_float32")])
def test_the_faster_export_for_the_cpu_is_chosen(monkeypatch: pytest.MonkeyPatch, vnni: bool, expected: str) -> None:
    """int8 where the CPU has int8 dot products (VNNI, dotprod), float32 on AVX2-only CPUs."""
    from facemotion import cpu
    from facemotion.runtime import choose_export

    monkeypatch.setattr(cpu, "has_int8_dot_product", lambda: vnni)
    both = {"tflite": {"file": "model.tflite"}, "tflite_float32": {"file": "model_float32.tflite"}}
    assert choose_export(both, "auto") == expected
    assert choose_export(both, "tflite-int8") == "tflite"
    assert choose_export({"tflite": {"file": "model.tflite"}}, "auto") == "tflite"  # older models: one export
    assert choose_export(both, "keras") is None


def test_interpreter_threads_do_not_change_results(astronaut: np.ndarray) -> None:
    """One thread or every core: the same numbers (threads only split the work)."""
    from facemotion.cpu import default_threads, usable_cores

    assert 1 <= default_threads() <= usable_cores()
    one, default = FaceModel(threads=1), FaceModel()
    crops = [astronaut, astronaut[::-1], astronaut[:, ::-1]]
    np.testing.assert_allclose(one.run(crops).probabilities, default.run(crops).probabilities, atol=1e-5)
