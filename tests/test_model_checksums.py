"""Each weights file's SHA-256 is recorded when written and checked when loaded.

A byte changed in a LiteRT file still loads and gives numbers that look right (measured:
2,000 bytes flipped in the default's int8 export moved probabilities by about 0.003 and
valence by 0.02, with no error); the recorded checksum turns that into a `ModelLoadError`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from facemotion import EmotionClassifier
from facemotion.errors import ModelLoadError
from facemotion.hub import MODEL_NAMES, bundled_models
from facemotion.runtime import FaceModel


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _flip_a_byte(file: Path) -> None:
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0x01
    file.write_bytes(bytes(data))


def _config(folder: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((folder / "config.json").read_text())


@pytest.mark.parametrize("name", bundled_models())
def test_every_bundled_weights_file_has_its_checksum(name: str) -> None:
    folder = MODEL_NAMES[name]
    config = _config(folder)
    assert config["weights_sha256"] == _sha256(folder / "model.keras")
    assert set(config["runtimes"]) == {"tflite", "tflite_float32"}
    for entry in config["runtimes"].values():
        assert entry["sha256"] == _sha256(folder / entry["file"])


@pytest.mark.parametrize(("runtime", "key"), [("tflite-int8", "tflite"), ("tflite-float32", "tflite_float32")])
def test_a_changed_litert_file_is_refused(tmp_path: Path, runtime: str, key: str) -> None:
    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    file = folder / _config(folder)["runtimes"][key]["file"]
    _flip_a_byte(file)
    with pytest.raises(ModelLoadError, match=rf"{file.name} does not match the SHA-256 .* \(runtimes\.{key}\.sha256\)"):
        EmotionClassifier(folder, runtime=runtime)  # type: ignore[arg-type]


def test_a_folder_without_checksums_still_loads(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    config = _config(folder)
    del config["weights_sha256"]
    for entry in config["runtimes"].values():
        del entry["sha256"]
    (folder / "config.json").write_text(json.dumps(config))
    _flip_a_byte(folder / "model.tflite")  # nothing to check it against: models made before checksums
    assert FaceModel(folder, runtime="tflite-int8").runtime == "tflite-int8"


@pytest.mark.parametrize("value", ["abc", "A" * 64, 12, ["0" * 64]])
def test_a_malformed_checksum_is_a_config_error(tmp_path: Path, value: object) -> None:
    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    config = _config(folder)
    config["runtimes"]["tflite"]["sha256"] = value
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelLoadError, match=r"runtimes\.tflite\.sha256 must be 64 lower-case hex digits"):
        FaceModel(folder, runtime="tflite-float32")  # the whole config is checked, not only the export in use


def test_save_pretrained_records_and_keras_checks_the_weights(tiny_model_dir: Path, tmp_path: Path) -> None:
    assert _config(tiny_model_dir)["weights_sha256"] == _sha256(tiny_model_dir / "model.keras")
    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    assert FaceModel(folder, runtime="keras").runtime == "keras"
    _flip_a_byte(folder / "model.keras")
    with pytest.raises(ModelLoadError, match=r"model\.keras does not match the SHA-256 .* \(weights_sha256\)"):
        FaceModel(folder, runtime="keras")


def test_every_export_is_checked_whichever_this_cpu_runs(tmp_path: Path) -> None:
    """A swapped export this CPU would not run refused the folder on another CPU only."""
    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    shutil.copyfile(MODEL_NAMES["fast"] / "model_float32.tflite", folder / "model_float32.tflite")
    for runtime in ("tflite-int8", "tflite-float32", "auto"):
        with pytest.raises(ModelLoadError, match=r"model_float32\.tflite does not match the SHA-256"):
            FaceModel(folder, runtime=runtime)  # type: ignore[arg-type]


def test_publishing_a_damaged_folder_is_refused_before_the_network(tmp_path: Path) -> None:
    from facemotion.hub import push_to_hub

    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    shutil.copyfile(MODEL_NAMES["fast"] / "model.keras", folder / "model.keras")
    with pytest.raises(ModelLoadError, match=r"model\.keras does not match the SHA-256 .* \(weights_sha256\)"):
        push_to_hub(folder, "org/name")


def test_a_key_given_twice_is_refused(tmp_path: Path) -> None:
    """JSON keeps the last of two values: a temperature of 5 given after 0.78 read happy 0.998 as 0.347."""
    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    text = (folder / "config.json").read_text()
    (folder / "config.json").write_text(
        text.replace('"temperature": 0.7796', '"temperature": 0.7796, "temperature": 5')
    )
    with pytest.raises(ModelLoadError, match=r"config\.json gives the key 'temperature' twice"):
        FaceModel(folder)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"revision": ""}, "revision must be a tag, branch or commit"), ({"cache_dir": 5}, "cache_dir must be a folder")],
)
def test_hub_arguments_are_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ModelLoadError, match=message):
        FaceModel("org/name", **kwargs)  # type: ignore[arg-type]


def test_an_export_replaces_a_linked_file_instead_of_writing_through_it(tiny_model_dir: Path, tmp_path: Path) -> None:
    """In a Hugging Face cache snapshot the files are links to content-addressed blobs: writing through
    them corrupted the cache. The export's writes are atomic and replace the link."""
    from facemotion.training.export import export_tflite

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    (folder / "blobs").mkdir()
    blob = folder / "blobs" / "0123abcd"
    (folder / "config.json").rename(blob)
    (folder / "config.json").symlink_to(Path("blobs") / blob.name)
    before = blob.read_bytes()
    export_tflite(folder)
    assert blob.read_bytes() == before and not (folder / "config.json").is_symlink()
    assert "tflite_float32" in _config(folder)["runtimes"] and not list(folder.glob(".*"))  # no temporary left


def test_a_damaged_export_is_made_again(tiny_model_dir: Path, tmp_path: Path) -> None:
    """The checksum error says to export again: the export must not refuse the folder for that same file."""
    from facemotion.training.export import export_tflite

    folder = Path(shutil.copytree(tiny_model_dir, tmp_path / "model"))
    export_tflite(folder)
    _flip_a_byte(folder / "model_float32.tflite")
    with pytest.raises(ModelLoadError, match="does not match the SHA-256"):
        FaceModel(folder)
    export_tflite(folder)
    assert FaceModel(folder).runtime == "tflite-float32"


def test_a_file_changed_in_place_with_its_time_restored_is_hashed_again(tmp_path: Path) -> None:
    """Digests are remembered per file version: ``cp -p``, ``rsync --inplace -t`` or ``touch -r`` keep the size and
    the modification time, not the change time."""
    import os

    folder = Path(shutil.copytree(MODEL_NAMES["default"], tmp_path / "model"))
    FaceModel(folder)
    for file in folder.glob("*.tflite"):
        info = file.stat()
        _flip_a_byte(file)
        os.utime(file, ns=(info.st_atime_ns, info.st_mtime_ns))
    with pytest.raises(ModelLoadError, match="does not match the SHA-256"):
        FaceModel(folder)
