"""Training's outputs and resumes: a red-team pass (2026-12-05) found runs mixed, models overwritten,
half-written folders and configs the loader refuses; each test here failed before its fix."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion.cli import main
from facemotion.errors import DatasetError, ModelLoadError, OptionError, OutputError

from conftest import random_faces

keras = pytest.importorskip("keras", reason="training needs the [train] extra")


def test_an_interrupted_run_is_not_resumed_with_other_data(tmp_path: Path) -> None:
    from facemotion.training import TrainingConfig, build_model, finetune, recipe_preprocessing
    from facemotion.training.recipe import RUN_FINGERPRINT, run_fingerprint

    prep, config = recipe_preprocessing("compact"), TrainingConfig(epochs=1, batch_size=8)
    model, train, val = build_model("compact", width=4), random_faces(24), random_faces(8, seed=1)
    work = tmp_path / "work"
    (work / "backup").mkdir(parents=True)  # what Ctrl-C leaves: a backup to resume from
    (work / RUN_FINGERPRINT).write_text(run_fingerprint(model, train, val, config) + "\n")
    more = random_faces(30)  # the user added faces before re-running
    with pytest.raises(DatasetError, match="other data, settings or network"):
        finetune(model, more, val, prep, work, config)
    with pytest.raises(DatasetError, match="other data"):
        finetune(model, train, val, prep, work, TrainingConfig(epochs=1, batch_size=8, learning_rate=0.1))
    assert (
        run_fingerprint(model, train, val, TrainingConfig(epochs=5, batch_size=8))
        == (work / RUN_FINGERPRINT).read_text().strip()
    )  # more epochs may be asked of a resumed run


def test_a_folder_holding_a_model_is_not_overwritten_without_asking(
    capsys: pytest.CaptureFixture[str], tiny_model_dir: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    for label in ("happy", "sad"):
        (data / label).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(np.full((48, 48), 40 * i, np.uint8)).save(data / label / f"{i}.png")
    mine = tmp_path / "mine"
    shutil.copytree(tiny_model_dir, mine)
    before = {p.name: p.read_bytes() for p in mine.iterdir()}
    assert main(["train", str(data), "--init", str(tiny_model_dir), "--out", str(mine), "--epochs", "1"]) == 2
    assert "already holds a model" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in mine.iterdir()} == before and not (tmp_path / "mine_work").exists()


def test_a_new_model_replaces_every_model_file_and_keeps_the_user_s(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.training.run import _move_model

    out, partial = tmp_path / "mine", tmp_path / ".mine.partial"
    shutil.copytree(tiny_model_dir, out)
    (out / "model.tflite").write_bytes(b"an earlier int8 export")
    (out / "NOTES.txt").write_text("mine")
    shutil.copytree(tiny_model_dir, partial)
    _move_model(partial, out)
    assert sorted(p.name for p in out.iterdir()) == sorted([*(p.name for p in tiny_model_dir.iterdir()), "NOTES.txt"])
    assert not partial.exists()


def test_no_hold_out_face_is_a_dataset_error_before_training(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.training import finetune_pretrained

    one_each = random_faces(3)
    one_each.labels[:] = [0, 4, 6]  # one face per emotion: nothing can be held out
    with pytest.raises(DatasetError, match="no hold-out faces"):
        finetune_pretrained(one_each, tmp_path / "out", init=tiny_model_dir)
    assert not (tmp_path / "out_work").exists()


def test_validation_faces_of_another_size_are_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.training import finetune_pretrained
    from facemotion.training.datasets import FaceDataset

    val = random_faces(4)
    val = FaceDataset(np.zeros((4, 64, 64, 1), np.uint8), val.labels, val.soft_labels, val.affect, val.paths)
    with pytest.raises(DatasetError, match="the model wants"):
        finetune_pretrained(random_faces(10), tmp_path / "out", init=tiny_model_dir, val=val)


def test_export_refuses_a_quantization_its_loader_would_refuse(tiny_model_dir: Path, tmp_path: Path) -> None:
    from facemotion.training.export import export_tflite

    model = shutil.copytree(tiny_model_dir, tmp_path / "m")
    config = (model / "config.json").read_text()
    with pytest.raises(ModelLoadError, match="quantization must be one of"):
        export_tflite(model, quantization="int4")  # type: ignore[arg-type]
    assert (model / "config.json").read_text() == config and not list(model.glob("*.tflite"))


def test_emotion_folders_are_searched_with_their_sub_folders(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from facemotion.training.datasets import list_image_folder

    for path in ("happy/batch1/a.png", "happy/batch2/b.png", "sad/c.png", "loose.png", "sad/.thumbs/d.png"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        Image.new("L", (8, 8)).save(tmp_path / path)
    (tmp_path / ".ipynb_checkpoints").mkdir()
    with caplog.at_level(logging.WARNING):
        items = list_image_folder(tmp_path)
    assert sorted((p.name, label) for p, label in items) == [("a.png", 4), ("b.png", 4), ("c.png", 6)]
    assert "loose.png" in caplog.text and "in no emotion folder" in caplog.text


def test_a_model_card_with_a_name_that_is_not_utf8_is_written(tmp_path: Path) -> None:
    import os

    from facemotion.artifact import ModelCard, save_pretrained
    from facemotion.training import build_model, recipe_preprocessing

    card = ModelCard(training_data=os.fsdecode(b"caf\xe9/"))
    out = save_pretrained(build_model("compact", width=4), tmp_path / "m", recipe_preprocessing("compact"), card=card)
    assert "caf\\udce9" in (out / "README.md").read_text(encoding="utf-8")  # the byte, spelled out
    assert json.loads((out / "config.json").read_text())["format"] == "facemotion-model"


def test_check_output_folder_refuses_a_file(tmp_path: Path) -> None:
    from facemotion.artifact import check_output_folder

    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="existing file"):
        check_output_folder(tmp_path / "f", overwrite=True)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("batch_size", 0),
        ("epochs", True),
        ("epochs", 2.5),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("weight_decay", -1e-4),
        ("balance", 1.5),
        ("early_stopping", 0),
        ("time_budget", -5),
        ("optimizer", "adam"),
        ("seed", -1),
    ],
)
def test_training_config_refuses_values_that_would_fail_inside_keras(field: str, value: object) -> None:
    from facemotion.training import TrainingConfig

    with pytest.raises(OptionError, match=f"TrainingConfig: {field} must be"):
        TrainingConfig(**{field: value})  # type: ignore[arg-type]


def test_training_config_takes_numpy_numbers_and_names_every_wrong_field() -> None:
    from facemotion.training import TrainingConfig

    config = TrainingConfig(epochs=np.int64(3), learning_rate=np.float32(1e-3), early_stopping=None)
    assert config.epochs == 3
    with pytest.raises(OptionError, match=r"batch_size.*warmup_fraction"):
        TrainingConfig(batch_size=0, warmup_fraction=2.0)
