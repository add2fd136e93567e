import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from facemotion import EmotionClassifier, ModelLoadError
from facemotion.artifact import load_artifact, render_card, save_pretrained
from facemotion.hub import resolve_model
from facemotion.preprocessing import Preprocessing


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def test_roundtrip_gives_identical_predictions(tiny_model_dir: Path, tmp_path: Path) -> None:
    model, config = load_artifact(tiny_model_dir)
    assert config.tasks == ("emotion", "valence_arousal") and config.preprocessing.input_size == 48
    again = save_pretrained(model, tmp_path / "again", config.preprocessing)
    x = np.random.default_rng(0).random((3, 48, 48, 1)).astype("float32")
    reloaded, _ = load_artifact(again)
    np.testing.assert_allclose(model(x)["emotion"], reloaded(x)["emotion"], rtol=1e-6)
    card = (again / "README.md").read_text()
    assert "library_name: facemotion" in card and "anger, contempt" in card


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: (d / "config.json").unlink(), "config.json is missing"),
        (lambda d: (d / "config.json").write_text("{not json"), "not valid JSON"),
        (lambda d: (d / "config.json").write_text("[]"), "JSON object"),
        (lambda d: (d / "model.keras").unlink(), "model.keras is missing"),
        (lambda d: (d / "model.keras").write_bytes(b"garbage"), "not a whole .keras file"),
        (lambda d: (d / "model.keras").write_bytes((d / "model.keras").read_bytes()[:5000]), "corrupt or truncated"),
    ],
)
def test_broken_artifacts_name_the_file(tiny_model_dir: Path, tmp_path: Path, mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    broken = _copy(tiny_model_dir, tmp_path / "broken")
    mutate(broken)
    with pytest.raises(ModelLoadError, match=message):
        load_artifact(broken)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"format": "something-else"}, "not a facemotion model config"),
        ({"format_version": 99}, "upgrade facemotion"),
        ({"labels": ["happy", "sad"]}, "labels must be"),
        ({"tasks": ["age"]}, "tasks must be"),
        (
            {"preprocessing": {"input_size": 64, "color_mode": "grayscale", "normalization": "unit", "margin": 0.1}},
            "does not match",
        ),
        ({"preprocessing": {"input_size": 48, "color_mode": "purple"}}, "color_mode must be one of"),
        ({"mirror": "yes"}, "mirror must be true or false"),
        ({"temperature": 0}, "temperature must be"),
        ({"temperature": "hot"}, "temperature must be"),
    ],
)
def test_config_mismatches_are_explained(tiny_model_dir: Path, tmp_path: Path, change: dict, message: str) -> None:  # type: ignore[type-arg]
    broken = _copy(tiny_model_dir, tmp_path / "bad")
    config = json.loads((broken / "config.json").read_text())
    config.update(change)
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match=message):
        load_artifact(broken)


def test_labels_that_do_not_match_the_weights(tmp_path: Path) -> None:
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    model = keras.Model(inputs, {"emotion": keras.layers.Dense(7, name="emotion")(x)})
    save_pretrained(model, tmp_path / "seven", Preprocessing())
    with pytest.raises(ModelLoadError, match="7 units"):
        load_artifact(tmp_path / "seven")


def test_lambda_layers_are_refused_by_safe_mode(tmp_path: Path) -> None:
    inputs = keras.Input((48, 48, 1))
    x = keras.layers.Lambda(lambda t: t * 2.0)(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, {"emotion": keras.layers.Dense(9, name="emotion")(x)})
    save_pretrained(model, tmp_path / "lambda", Preprocessing())
    with pytest.raises(ModelLoadError, match="could not be loaded safely") as info:
        load_artifact(tmp_path / "lambda")
    assert "\n" not in str(info.value) and "safe_mode" in str(info.value)


def _fill_hub_cache(cache: Path, repo_id: str, model_dir: Path, revision: str) -> None:
    """Lay out a real huggingface_hub cache entry, as a download would have left it."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    commit = "a" * 40
    snapshot = repo / "snapshots" / commit
    blobs = repo / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    for i, f in enumerate(sorted(model_dir.iterdir())):
        blob = blobs / f"{i:064x}"
        shutil.copy(f, blob)
        (snapshot / f.name).symlink_to(Path("../../blobs") / blob.name)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    (repo / "refs" / revision).write_text(commit)


def test_hub_id_loads_offline_from_the_cache(tiny_model_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "hub"
    _fill_hub_cache(cache, "facemotion/tiny", tiny_model_dir, "v1.0")
    path = resolve_model("facemotion/tiny", revision="v1.0", cache_dir=cache)
    assert path.name == "a" * 40 and (path / "config.json").is_file()
    clf = EmotionClassifier.from_pretrained("facemotion/tiny", revision="v1.0", cache_dir=cache)
    assert clf.model.config.tasks == ("emotion", "valence_arousal")
    assert len(clf.predict_faces([np.zeros((48, 48), np.uint8)])) == 1


def test_uncached_hub_id_offline_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="not in the local Hugging Face cache"):
        resolve_model("facemotion/not-cached", revision="v1.0", cache_dir=tmp_path)


def test_a_missing_path_is_a_missing_folder_never_a_hub_id(tmp_path: Path) -> None:
    """A pathlib.Path that does not exist is reported as such, not looked up (or downloaded) as "runs/model"."""
    with pytest.raises(ModelLoadError, match="no such model directory: runs/model"):
        resolve_model(Path("runs/model"), cache_dir=tmp_path)
    with pytest.raises(ModelLoadError, match="runs/model is no local folder, and as a Hub id"):
        resolve_model("runs/model", cache_dir=tmp_path)


def test_nonsense_model_name() -> None:
    with pytest.raises(ModelLoadError, match=r"neither a model name .*, an existing model directory nor a Hub id"):
        resolve_model("no/such/dir")


def test_push_to_hub_refuses_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    from facemotion.hub import push_to_hub

    with pytest.raises(ModelLoadError, match="not a model directory"):
        push_to_hub(tmp_path, "someone/model")


def test_saved_artifact_has_no_optimizer_state(tmp_path: Path) -> None:
    from facemotion.training import build_model, recipe_preprocessing

    model = build_model("compact", width=4)
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    path = save_pretrained(model, tmp_path / "m", recipe_preprocessing("compact"))
    import zipfile

    names = zipfile.ZipFile(path / "model.keras").namelist()
    reloaded, _ = load_artifact(path)
    assert not hasattr(reloaded, "optimizer") or reloaded.optimizer is None
    assert "model.weights.h5" in names
    with zipfile.ZipFile(path / "model.keras") as z, z.open("model.weights.h5") as f:
        import h5py

        with h5py.File(f) as h5:
            assert "optimizer" not in h5


def test_mirror_setting_comes_from_the_config_unless_given(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.runtime import FaceModel

    assert FaceModel(tiny_model_dir).mirror is False
    mirrored = _copy(tiny_model_dir, tmp_path / "mirrored")
    config = json.loads((mirrored / "config.json").read_text())
    older = _copy(tiny_model_dir, tmp_path / "older")
    (older / "config.json").write_text(json.dumps({k: v for k, v in config.items() if k != "mirror"}))
    assert FaceModel(older).mirror is False  # configs written before the field existed
    (mirrored / "config.json").write_text(json.dumps({**config, "mirror": True}))
    assert FaceModel(mirrored).mirror is True
    assert FaceModel(mirrored, mirror=False).mirror is False
    assert "Mirror averaging by default: yes" in render_card(load_artifact(mirrored)[1])


@pytest.mark.parametrize("name", ["../../outside.tflite", "/etc/passwd", "sub/../../x.tflite"])
def test_runtime_files_outside_the_model_folder_are_refused(tiny_model_dir: Path, tmp_path: Path, name: str) -> None:
    """config.json cannot make facemotion load a file from outside the model directory (also Hub snapshots)."""
    from facemotion.runtime import FaceModel

    model = _copy(tiny_model_dir, tmp_path / "m")
    (tmp_path / "outside.tflite").write_bytes(b"whatever")
    config = json.loads((model / "config.json").read_text())
    config["runtimes"] = {"tflite": {"file": name}}
    (model / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match="outside the model directory"):
        FaceModel(model)


def test_temperature_calibrates_probabilities_without_changing_the_label(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.runtime import FaceModel

    faces = [np.random.default_rng(i).integers(0, 255, (48, 48), dtype=np.uint8) for i in range(8)]
    plain = FaceModel(tiny_model_dir, runtime="keras").run(faces).probabilities
    hot = _copy(tiny_model_dir, tmp_path / "hot")
    config = json.loads((hot / "config.json").read_text())
    config["temperature"] = 0.5
    (hot / "config.json").write_text(json.dumps(config))
    sharp = FaceModel(hot, runtime="keras").run(faces).probabilities
    assert (sharp.argmax(1) == plain.argmax(1)).all()
    assert (sharp.max(1) >= plain.max(1) - 1e-6).all() and np.allclose(sharp.sum(1), 1, atol=1e-5)
