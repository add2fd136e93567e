"""config.json is checked against its schema and against every LiteRT file it names:
any bad model folder is one `ModelLoadError` line (exit status 2 on the command line),
never a traceback, a silent fall-back to TensorFlow, or different labels."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from facemotion import ModelLoadError
from facemotion.artifact import load_config
from facemotion.hub import DEFAULT_MODEL_DIR
from facemotion.runtime import FaceModel

from conftest import GROUP_PHOTOS, need

DETECTOR = Path(DEFAULT_MODEL_DIR.parent / "detection" / "data" / "face_detection_short_range.tflite")
GOOD = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())


@pytest.fixture()
def model(tmp_path: Path) -> Path:
    """A copy of the bundled model folder, free to break."""
    return Path(shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "model"))


def write_config(folder: Path, config: dict[str, Any]) -> None:
    (folder / "config.json").write_text(json.dumps(config))


def changed(path: str, value: Any) -> dict[str, Any]:
    """The bundled config with the field at the dotted ``path`` set to ``value``."""
    config = json.loads(json.dumps(GOOD))
    *parents, last = path.split(".")
    target = config
    for key in parents:
        target = target[key]
    target[last] = value
    return dict(config)


def removed(path: str) -> dict[str, Any]:
    config = changed(path, None)
    *parents, last = path.split(".")
    target = config
    for key in parents:
        target = target[key]
    del target[last]
    return config


BAD_FIELDS = [
    ("format_version", None, "format_version must be a whole number"),
    ("format_version", "abc", "format_version must be a whole number"),
    ("format_version", [1], "format_version must be a whole number"),
    ("format_version", 0, "format_version must be a whole number from 1"),
    ("format_version", 2, "upgrade facemotion"),
    ("format", None, "not a facemotion model config"),
    ("metrics", [0.8], "metrics must be a JSON object"),
    ("tasks", "emotion", "tasks must be a list of strings"),
    ("tasks", [], "tasks must be a subset"),
    ("tasks", ["emotion", "emotion"], "tasks must be a subset"),
    ("labels", list(reversed(GOOD["labels"])), "labels must be"),
    ("labels", GOOD["labels"][:7], "labels must be"),
    ("labels", "anger", "labels must be a list of strings"),
    ("preprocessing", "grayscale", "preprocessing must be a JSON object"),
    ("preprocessing.input_size", 48.0, "input_size must be a whole number"),
    ("preprocessing.input_size", "48", "input_size must be a whole number"),
    ("preprocessing.input_size", -48, "input_size must be a whole number from 8 to 1024"),
    ("preprocessing.input_size", 1, "input_size must be a whole number from 8 to 1024"),
    ("preprocessing.input_size", 10**12, "input_size must be a whole number from 8 to 1024"),
    ("preprocessing.input_size", True, "input_size must be a whole number"),
    ("preprocessing.input_size", 32, r"takes input \[48, 48, 1\] but config.json preprocessing says \[32, 32, 1\]"),
    ("preprocessing.input_size", 64, r"takes input \[48, 48, 1\] but config.json preprocessing says \[64, 64, 1\]"),
    ("preprocessing.color_mode", "rgb", r"but config.json preprocessing says \[48, 48, 3\]"),
    ("preprocessing.color_mode", "purple", "color_mode must be one of"),
    ("preprocessing.normalization", "vggface", "'vggface' needs color_mode 'rgb'"),
    ("preprocessing.margin", "0.1", "margin must be a number"),
    ("preprocessing.margin", math.nan, "margin must be a finite number from 0 to 1"),
    ("preprocessing.margin", math.inf, "margin must be a finite number from 0 to 1"),
    ("preprocessing.margin", 1e6, "margin must be a finite number from 0 to 1"),
    ("preprocessing.margin", -0.4, "margin must be a finite number from 0 to 1"),
    ("preprocessing.zoom", 2, "preprocessing has unknown fields"),
    ("temperature", math.nan, "temperature must be a finite number"),
    ("temperature", "hot", "temperature must be a number"),
    ("mirror", "yes", "mirror must be true or false"),
    ("version", 3, "version must be a string"),
    ("description", None, "description must be a string"),
    ("weights", "model.pkl", "weights must be 'model.keras'"),
    ("runtimes", [], "runtimes must be a JSON object"),
    ("runtimes.tflite", "model.tflite", r"runtimes.tflite must be an object"),
    ("runtimes.tflite.file", None, "runtimes.tflite.file must be a string"),
    ("runtimes.tflite.file", "", "runtimes.tflite.file must name"),
    ("runtimes.tflite.quantization", "int4", "runtimes.tflite.quantization must be one of"),
    ("runtimes.tflite_float32.quantization", "int8", r"runtimes.tflite_float32.quantization must be one of \['none'\]"),
    ("runtimes.tflite_float32.file", "../model.tflite", "outside the model directory"),
    ("runtimes.tflite_float32.file", "/etc/hostname", "outside the model directory"),
    ("runtimes.tflite_float32.file", "README.md", "is not a usable LiteRT model"),
    (
        "runtimes.tflite_float32.file",
        "nothing.tflite",
        r"listed in config.json but missing \(runtimes.tflite_float32\)",
    ),
    ("runtimes.onnx", {"file": "model.onnx"}, "unknown runtime entry 'onnx'"),
    ("tasks", ["emotion"], r"has outputs of widths \[2, 9\] but config.json's tasks \['emotion'\]"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_FIELDS)
def test_a_bad_field_is_one_clear_model_load_error(model: Path, field: str, value: Any, message: str) -> None:
    write_config(model, changed(field, value))
    with pytest.raises(ModelLoadError, match=message) as info:
        FaceModel(model)
    assert "\n" not in str(info.value) and str(model) in str(info.value)


def test_every_runtime_entry_is_checked_not_only_the_one_this_cpu_runs(model: Path) -> None:
    """A broken float32 entry fails here even when the int8 one would run (and the other way round)."""
    for key in ("tflite", "tflite_float32"):
        folder = model.parent / key
        shutil.copytree(model, folder)
        (folder / GOOD["runtimes"][key]["file"]).write_bytes(b"garbage")
        for runtime in ("auto", "tflite-int8", "tflite-float32", "keras"):
            with pytest.raises(ModelLoadError, match="is not a usable LiteRT model"):
                FaceModel(folder, runtime=runtime)


def test_a_litert_file_of_another_network_is_refused(model: Path) -> None:
    shutil.copyfile(DETECTOR, model / "detector.tflite")
    write_config(model, changed("runtimes.tflite.file", "detector.tflite"))
    with pytest.raises(ModelLoadError, match=r"detector.tflite takes input \[128, 128, 3\]"):
        FaceModel(model)


def test_a_missing_runtime_file_is_an_error_not_a_fall_back_to_keras(model: Path) -> None:
    (model / "model_float32.tflite").unlink()
    with pytest.raises(ModelLoadError, match=r"model_float32.tflite is listed in config.json but missing"):
        FaceModel(model, runtime="tflite-int8")


def test_a_config_without_optional_fields_still_loads(model: Path) -> None:
    config = GOOD
    for field in ("mirror", "temperature", "metrics", "labels", "format_version", "description", "weights"):
        config = {k: v for k, v in config.items() if k != field}
    write_config(model, config)
    loaded = load_config(model)
    assert loaded.temperature == 1.0 and loaded.mirror is False and loaded.labels == tuple(GOOD["labels"])


def test_margin_and_temperature_edges_are_accepted(model: Path) -> None:
    write_config(model, changed("preprocessing.margin", 1))
    assert load_config(model).preprocessing.margin == 1.0
    write_config(model, removed("preprocessing.margin"))
    assert load_config(model).preprocessing.margin == 0.0


# --- random config values: the only outcomes allowed are a working model or ModelLoadError ---

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["model.tflite", "../model.tflite", "README.md", "rgb", "unit", "int8", "none", "emotion"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "format",
    "format_version",
    "tasks",
    "labels",
    "preprocessing",
    "preprocessing.input_size",
    "preprocessing.color_mode",
    "preprocessing.normalization",
    "preprocessing.margin",
    "recipe",
    "weights",
    "version",
    "metrics",
    "runtimes",
    "runtimes.tflite",
    "runtimes.tflite.file",
    "runtimes.tflite.quantization",
    "runtimes.tflite_float32",
    "runtimes.tflite_float32.file",
    "mirror",
    "temperature",
]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(shutil.copytree(DEFAULT_MODEL_DIR, tmp_path_factory.mktemp("random") / "model"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.sampled_from(FIELDS), JSON_VALUES), min_size=1, max_size=3))
def test_random_config_values_load_or_fail_cleanly(scratch: Path, edits: list[tuple[str, Any]]) -> None:
    config = json.loads(json.dumps(GOOD))
    for field, value in edits:
        try:
            config = _set(config, field, value)
        except (TypeError, KeyError):  # a parent was replaced by a non-object earlier in this example
            continue
    write_config(scratch, config)
    try:
        model = FaceModel(scratch, runtime="tflite")  # "tflite": no TensorFlow when the runtimes are gone
    except ModelLoadError as err:
        assert "\n" not in str(err)
        event("refused")
        return
    event("loaded")
    out = model.run([np.full((60, 50), 128, np.uint8)])
    assert out.probabilities.shape == (1, 9) and np.isfinite(out.probabilities).all()
    assert np.allclose(out.probabilities.sum(axis=1), 1.0, atol=1e-5) and (np.abs(out.affect) <= 1).all()


def _set(config: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    target: Any = config
    for key in parents:
        target = target[key]
    if not isinstance(target, dict):
        raise TypeError(path)
    target[last] = value
    return config


# --- the command line: exit status 2 and one line ---


@pytest.mark.parametrize(
    ("field", "value"),
    [("preprocessing.margin", math.nan), ("preprocessing.input_size", 64), ("runtimes", {"tflite": "x"})],
)
def test_the_cli_refuses_a_bad_model_folder_with_exit_2_and_one_line(
    model: Path, field: str, value: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from facemotion.cli import main

    photo = need(GROUP_PHOTOS) / sorted(p.name for p in GROUP_PHOTOS.glob("*.jpg"))[0]
    write_config(model, changed(field, value))
    assert main(["analyze", "--model", str(model), str(photo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("facemotion: error: ") and err.count("\n") == 1 and str(model) in err


def test_a_litert_file_with_int8_inputs_is_refused(model: Path) -> None:
    """The runner feeds float32 faces: an export quantized end to end (int8 in and out) is refused at load."""
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    inputs = keras.Input((48, 48, 1), batch_size=1)
    pooled = keras.layers.GlobalAveragePooling2D()(inputs)
    net = keras.Model(inputs, [keras.layers.Dense(9)(pooled), keras.layers.Dense(2)(pooled)])
    converter = tf.lite.TFLiteConverter.from_keras_model(net)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([np.full((1, 48, 48, 1), v, np.float32)] for v in (0.0, 0.5, 1.0))
    converter.inference_input_type = converter.inference_output_type = tf.int8
    (model / "model.tflite").write_bytes(converter.convert())
    with pytest.raises(ModelLoadError, match=r"model\.tflite has int8 inputs or outputs; facemotion runs float32 ones"):
        FaceModel(model)
