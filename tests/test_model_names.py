"""Models selected by name (fast / default / accurate), constructor arguments checked at
construction, the model identity that result records carry, and the Keras runtime's extra."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from facemotion import EmotionClassifier, FacemotionError, ModelLoadError
from facemotion.errors import MissingExtraError
from facemotion.hub import DEFAULT_MODEL_DIR, MODEL_NAMES, bundled_models, resolve_model
from facemotion.runtime import RUNTIMES, FaceModel


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "copy"))


def test_default_is_a_name_and_the_default() -> None:
    assert resolve_model("default") == resolve_model(None) == DEFAULT_MODEL_DIR
    assert bundled_models() == ["fast", "default"]
    assert list(MODEL_NAMES) == ["fast", "default", "accurate"]


def test_a_name_that_is_not_bundled_says_what_is() -> None:
    with pytest.raises(
        ModelLoadError, match=r"model 'accurate' is not bundled in facemotion .* \(bundled: fast, default\)"
    ) as info:
        EmotionClassifier("accurate")
    assert "docs/models.md" in str(info.value) and "./accurate" in str(info.value)


def test_a_bundled_folder_dropped_in_makes_the_name_work(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODEL_NAMES, "accurate", copy)
    assert bundled_models() == ["fast", "default", "accurate"]
    clf = EmotionClassifier("accurate")
    assert clf.model.path == copy and clf.model.identity["name"] == "accurate"


def test_the_bundled_fast_model_reads_faces_as_the_default_does(astronaut_file: Path) -> None:
    """`fast` (a quarter of the default's computation) loads offline and agrees with the default on real faces."""
    fast, default = EmotionClassifier("fast"), EmotionClassifier()
    assert fast.model.identity["name"] == "fast" and fast.model.path == MODEL_NAMES["fast"]
    assert fast.model.config.version == "0.1.0" and not fast.model.config.mirror
    (face,) = fast.predict(astronaut_file)
    assert face.label == "happy" and face.valence > 0.3
    assert (MODEL_NAMES["fast"] / "model.tflite").stat().st_size < (
        DEFAULT_MODEL_DIR / "model.tflite"
    ).stat().st_size / 2
    from conftest import DATA, need

    photos = sorted(need(DATA / "portraits").glob("*/*.jpg"))[::60]  # 50 real photos, faces found by the detector
    pairs = [
        (a[0].label, b[0].label) for a, b in zip(fast.predict(photos), default.predict(photos), strict=True) if a and b
    ]
    assert len(pairs) >= 45 and sum(a == b for a, b in pairs) / len(pairs) > 0.7, pairs


def test_a_local_folder_named_like_a_model_is_given_as_a_path(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy.rename(tmp_path / "accurate")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLoadError, match="not bundled"):
        FaceModel("accurate")  # a name wins over a folder of the same name
    for spelling in ("./accurate", Path("accurate"), str(tmp_path / "accurate")):
        model = FaceModel(spelling)
        assert model.path.resolve() == tmp_path / "accurate"
        assert model.identity["name"] == str(tmp_path / "accurate") and model.identity["revision"] is None


def test_the_cli_refuses_a_model_name_that_is_not_bundled(
    capsys: pytest.CaptureFixture[str], astronaut_file: Path
) -> None:
    from facemotion.cli import main

    assert main(["analyze", "--model", "accurate", str(astronaut_file)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model 'accurate' is not bundled" in err


@pytest.fixture()
def astronaut_file(tmp_path: Path) -> Path:
    from PIL import Image
    from skimage import data

    path = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)  # type: ignore[no-untyped-call]
    return path


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"runtime": "gpu"}, "runtime='gpu' is not one of auto, keras, tflite, tflite-int8, tflite-float32"),
        ({"runtime": "tflite-int9"}, "runtime='tflite-int9' is not one of"),
        ({"runtime": None}, "runtime=None is not one of"),
        ({"mirror": "yes"}, "mirror='yes' must be True, False or None"),
        ({"mirror": 1}, "mirror=1 must be"),
        ({"batch_size": 0}, "batch_size=0 must be a whole number of at least 1"),
        ({"batch_size": 2.5}, "batch_size=2.5 must be"),
        ({"threads": 0}, "threads=0 must be"),
    ],
)
def test_constructor_arguments_are_checked_at_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FacemotionError, match=re.escape(message)):
        FaceModel(**kwargs)  # type: ignore[arg-type]
    if set(kwargs) <= {"runtime", "mirror"}:  # what EmotionClassifier passes on
        with pytest.raises(FacemotionError, match=re.escape(message)):
            EmotionClassifier(**kwargs)  # type: ignore[arg-type]


def test_every_runtime_name_is_accepted() -> None:
    ran = {name: FaceModel(runtime=name).runtime for name in RUNTIMES if name != "keras"}  # type: ignore[arg-type]
    assert ran["tflite-int8"] == "tflite-int8" and ran["tflite-float32"] == "tflite-float32"
    assert ran["auto"] == ran["tflite"] in ("tflite-int8", "tflite-float32")


def test_identity_changes_with_the_files_not_with_the_place(copy: Path) -> None:
    bundled = FaceModel(runtime="tflite-int8").identity
    same = FaceModel(copy, runtime="tflite-int8").identity
    assert same["sha256"] == bundled["sha256"] and same["name"] == str(copy.resolve())
    assert bundled == {
        "name": "default",
        "revision": None,
        "version": json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())["version"],
        "runtime": "tflite-int8",
        "sha256": bundled["sha256"],
    }
    assert FaceModel(runtime="tflite-float32").identity["sha256"] != bundled["sha256"]  # another file runs
    model = FaceModel(copy, runtime="tflite-int8")
    model.identity["name"] = "changed by a caller"
    assert model.identity["name"] == str(copy.resolve())  # each call gives a new dict
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "temperature": 1.0}))
    assert FaceModel(copy, runtime="tflite-int8").identity["sha256"] != bundled["sha256"]


def test_the_keras_runtime_without_the_train_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("tensorflow", "keras", "keras.saving"):
        monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError, match=r'pip install "facemotion\[train\]"'):
        FaceModel(runtime="keras")
    assert FaceModel().runtime.startswith("tflite")  # the default path needs neither


@pytest.mark.parametrize(("model", "revision"), [(123, None), ("", None), (["default"], None), ("org/name", 1.0)])
def test_a_model_or_revision_of_the_wrong_type_is_one_clear_error(model: object, revision: object) -> None:
    with pytest.raises(ModelLoadError, match=r"(model|revision) must be"):
        resolve_model(model, revision)  # type: ignore[arg-type]
