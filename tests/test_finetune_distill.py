"""Fine-tuning keeps what the model knows: the starting model, frozen, teaches on every batch
(``TrainingConfig.distill_initial``, on by default in ``small_data_config``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from facemotion.training import FaceDataset, TrainingConfig, build_model, finetune, recipe_preprocessing

from conftest import random_faces


class Keep(keras.callbacks.Callback):  # type: ignore[misc]
    """Keeps the training model and can stop the run before a given epoch (an interruption)."""

    def __init__(self, stop_before: int | None = None):
        super().__init__()
        self.stop_before = stop_before
        self.trainer: Any = None

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self.trainer = self.model
        if epoch == self.stop_before:
            raise KeyboardInterrupt


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [np.array(w) for w in model.get_weights()]


def test_the_starting_model_teaches_frozen_while_the_student_learns(tmp_path: Path) -> None:
    prep = recipe_preprocessing("compact")
    data = random_faces(16, classes=8)
    config = TrainingConfig(epochs=2, batch_size=8, warmup_epochs=0, learning_rate=1e-2, distill_initial=0.5)
    keras.utils.set_random_seed(0)
    start = build_model("compact", width=4)
    initial = _weights(start)

    first = Keep(stop_before=1)
    with pytest.raises(KeyboardInterrupt):  # interrupted after one epoch, then resumed
        finetune(start, data, data, prep, tmp_path / "work", config, callbacks=[first])
    teacher = first.trainer.teachers[0]
    assert len(first.trainer.teachers) == 1 and teacher is not first.trainer.student
    assert first.trainer.teacher_weight == 0.5 and not teacher.trainable_weights
    moved = _weights(first.trainer.student)
    assert any(not np.array_equal(a, b) for a, b in zip(moved, initial, strict=True))  # the student learned
    for a, b in zip(_weights(teacher), initial, strict=True):  # the teacher did not move
        np.testing.assert_array_equal(a, b)

    keras.utils.set_random_seed(0)
    again = build_model("compact", width=4)  # the starting model, as a caller resuming passes it
    second = Keep()
    history = finetune(again, data, data, prep, tmp_path / "work", config, callbacks=[second])
    assert len(history.history["loss"]) == 1  # resumed
    for a, b in zip(_weights(second.trainer.teachers[0]), initial, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(_weights(second.trainer.student)[0], initial[0])


def test_the_weight_is_checked_and_teachers_are_one_or_the_other(tmp_path: Path) -> None:
    from facemotion.training import small_data_config

    assert small_data_config().distill_initial == 0.5 and TrainingConfig().distill_initial == 0.0
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="distill_initial"):
            TrainingConfig(distill_initial=bad)
        with pytest.raises(ValueError, match="distill_initial"):
            small_data_config(distill_initial=bad)
    model = build_model("compact", width=4)
    with pytest.raises(ValueError, match="either teachers or"):
        finetune(
            model,
            random_faces(8, classes=8),
            None,
            recipe_preprocessing("compact"),
            tmp_path / "w",
            TrainingConfig(epochs=1, distill_initial=0.5),
            teachers=[build_model("compact", width=4)],
        )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ["--init", "default", "--distill-initial", "1.5"],
            "--distill-initial: expected a weight in [0, 1], got '1.5'",
        ),
        (["--distill-initial", "0.5"], "--distill-initial needs --init"),
    ],
)
def test_cli_distill_initial_is_checked(
    tmp_path: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from facemotion.cli import main

    try:
        code = main(["train", str(tmp_path / "data"), "--out", str(tmp_path / "m"), *extra])
    except SystemExit as exit_info:
        code = int(exit_info.code or 0)
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_cli_passes_the_weight_to_fine_tuning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    import cv2

    import facemotion.training
    from facemotion.cli import main

    rng = np.random.default_rng(0)
    for label in ("happy", "sad"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(2):
            cv2.imwrite(str(tmp_path / "data" / label / f"{i}.png"), rng.integers(0, 256, (48, 48), dtype=np.uint8))
    given: list[TrainingConfig] = []

    def fake_finetune_pretrained(data: FaceDataset, out: object, **kwargs: Any) -> Any:
        given.append(kwargs["config"])
        return types.SimpleNamespace(summary=lambda: "", absent=[])

    monkeypatch.setattr(facemotion.training, "finetune_pretrained", fake_finetune_pretrained)
    base = ["train", str(tmp_path / "data"), "--init", "default", "--out", str(tmp_path / "m")]
    assert main(base) == 0 and main([*base, "--distill-initial", "0"]) == 0
    assert [c.distill_initial for c in given] == [0.5, 0.0]
