import json
import os
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from facemotion.errors import DatasetError
from facemotion.labels import ANCHORS, EMOTIONS
from facemotion.training import (
    Augmentation,
    FaceDataset,
    TrainingConfig,
    affect_from_votes,
    affect_near_anchor,
    build_model,
    finetune,
    list_image_folder,
    load_image_folder,
    load_vote_folder,
    recipe_preprocessing,
    soft_labels_from_votes,
)
from facemotion.training.evaluate import affect_metrics, classification_report, concordance_cc
from facemotion.training.targets import votes_to_label_counts

from conftest import DATA, need, random_faces


def _fer_subset(tmp_path: Path, per_class: int = 6, labels: tuple[str, ...] = ("happiness", "Sad", "angry")) -> Path:
    val = need(DATA / "ferplus" / "val")
    for folder in labels:
        from facemotion.labels import canonical_label

        src = val / (canonical_label(folder) or folder)
        (tmp_path / folder).mkdir(parents=True)
        for f in sorted(src.iterdir())[:per_class]:
            shutil.copy(f, tmp_path / folder / f.name)
    return tmp_path


def test_folder_synonyms_and_unknown_names(tmp_path: Path) -> None:
    root = _fer_subset(tmp_path / "ok", per_class=2)
    items = list_image_folder(root)
    assert {EMOTIONS[label] for _, label in items} == {"happy", "sad", "anger"}
    (root / "bored").mkdir()
    with pytest.raises(DatasetError, match="bored"):
        list_image_folder(root)
    with pytest.raises(DatasetError, match="not a directory"):
        list_image_folder(tmp_path / "missing")


def test_votes_become_soft_labels_and_affect_targets() -> None:
    # FER+ column order: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
    votes = np.array(
        [[2, 8, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 5, 5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 2, 8]], np.float32
    )
    counts = votes_to_label_counts(votes)
    assert counts[0, EMOTIONS.index("happy")] == 8 and counts[2, EMOTIONS.index("uncertain")] == 2
    hard = np.array([EMOTIONS.index("happy"), EMOTIONS.index("uncertain"), EMOTIONS.index("uncertain")])
    soft = soft_labels_from_votes(counts, hard, hard_weight=0.5)
    np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-6)
    assert soft[0].argmax() == EMOTIONS.index("happy") and soft[0, EMOTIONS.index("neutral")] == pytest.approx(0.1)
    assert soft[1].argmax() == EMOTIONS.index("uncertain")  # split votes keep their majority-rule label
    dist = soft_labels_from_votes(counts, hard, hard_weight=0.0)
    affect = affect_from_votes(dist)
    np.testing.assert_allclose(affect[0], 0.8 * ANCHORS[4] + 0.2 * ANCHORS[5], rtol=1e-5)
    np.testing.assert_allclose(affect[1], (ANCHORS[0] + ANCHORS[6]) / 2, rtol=1e-5)


def test_reference_targets_are_seeded_and_near_the_anchor() -> None:
    labels = np.array([4] * 500)
    a, b = affect_near_anchor(labels, 0.1, seed=3), affect_near_anchor(labels, 0.1, seed=3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a.mean(axis=0), ANCHORS[4], atol=0.02)
    assert np.all(np.abs(a) <= 1)


def test_metrics() -> None:
    probs = np.eye(9)[[4, 4, 5, 8, 0]]
    report = classification_report(probs, np.array([4, 5, 5, 6, 0]))
    assert report.n == 5 and report.accuracy == pytest.approx(0.6)
    assert report.per_class["happy"]["precision"] == pytest.approx(0.5)
    assert report.per_class["sad"]["recall"] == 0.0
    assert report.accuracy_8 == pytest.approx(0.6)
    assert report.confusion[6, 8] == 1
    x = np.linspace(-1, 1, 50)
    assert concordance_cc(x, x) == pytest.approx(1.0)
    assert concordance_cc(x, x + 0.5) < 1.0
    m = affect_metrics(np.stack([x, x], 1), np.stack([x, -x], 1))
    assert m["valence"]["pearson"] == pytest.approx(1.0) and m["arousal"]["pearson"] == pytest.approx(-1.0)


def _batch(data: FaceDataset) -> dict[str, np.ndarray]:
    return {"image": data.images, "emotion": data.soft_labels, "valence_arousal": data.affect}


def test_training_model_normalizes_like_inference(tmp_path: Path) -> None:
    from facemotion.preprocessing import to_model_input
    from facemotion.training.trainer import FaceBatches, TrainingModel

    prep = recipe_preprocessing("compact")
    data = load_vote_folder(_fer_subset(tmp_path, 4, ("happy", "sad")), DATA / "ferplus" / "votes.csv", prep)
    assert data.images.shape == (8, 48, 48, 1) and data.soft_labels.shape == (8, 9)
    (batch,) = FaceBatches(data, 8)[0]
    trainer = TrainingModel(build_model("compact", width=4), prep)
    x, y = trainer.views(batch)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(x), to_model_input(list(data.images), prep), atol=1e-6)
    assert set(y) == {"emotion", "valence_arousal"}
    np.testing.assert_allclose(keras.ops.convert_to_numpy(y["emotion"]), data.soft_labels)
    xa, _ = trainer.views(batch, training=True)
    xa = keras.ops.convert_to_numpy(xa)
    assert xa.shape == (8, 48, 48, 1) and xa.min() >= 0.0 and xa.max() <= 1.0
    assert not np.allclose(xa, keras.ops.convert_to_numpy(x))  # augmented


def test_balanced_batches_draw_rare_classes_more_often() -> None:
    from facemotion.training.trainer import FaceBatches

    data = random_faces(400, seed=0)
    data.labels[:] = 4
    data.labels[:20] = 0  # 5 % anger
    drawn = np.concatenate([data.labels[b.order] for b in [FaceBatches(data, 40, training=True, balance=1.0)]])
    assert 0.35 < (drawn == 0).mean() < 0.65  # balanced: about half
    plain = FaceBatches(data, 40, training=True, balance=0.0)
    assert (data.labels[plain.order] == 0).mean() < 0.15
    # No rebalancing: a shuffle, every face once an epoch (drawn with replacement, a third would be missing).
    first = plain.order.copy()
    plain.on_epoch_end()
    assert sorted(first.tolist()) == sorted(plain.order.tolist()) == list(range(400))
    assert not np.array_equal(first, plain.order)  # shuffled anew
    tiny = FaceBatches(random_faces(3, seed=0), 8, training=True)  # fewer faces than a batch: whole passes
    assert len(tiny) == 1 and sorted(np.bincount(tiny.order, minlength=3).tolist()) == [2, 3, 3]
    assert len(FaceBatches(data, 64)) == 7 and len(FaceBatches(data, 64, training=True)) == 6


def test_finetune_is_resumable_and_writes_checkpoints(tmp_path: Path) -> None:
    prep = recipe_preprocessing("compact")
    data = load_image_folder(_fer_subset(tmp_path / "data", 8), prep)
    config = TrainingConfig(epochs=2, batch_size=8, warmup_epochs=0)

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(build_model("compact", width=4), data, data, prep, tmp_path / "work", config, callbacks=[Interrupt()])
    history = finetune(build_model("compact", width=4), data, data, prep, tmp_path / "work", config)
    assert len(history.history["loss"]) == 1  # resumed after the finished first epoch
    assert (tmp_path / "work" / "last.keras").is_file() and (tmp_path / "work" / "best.keras").is_file()
    rows = (tmp_path / "work" / "history.csv").read_text().splitlines()
    assert len(rows) == 3 and "val_emotion_accuracy" in rows[0]
    finetune(build_model("compact", width=4), data, data, prep, tmp_path / "work", config)  # finished: afresh
    assert len((tmp_path / "work" / "history.csv").read_text().splitlines()) == 3


def test_a_damaged_backup_is_named_and_checkpoints_are_never_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C while Keras wrote the backup left weights that every later run failed to load, deep in Keras."""
    from facemotion.errors import DatasetError
    from facemotion.training.trainer import save_whole

    prep = recipe_preprocessing("compact")
    data = load_image_folder(_fer_subset(tmp_path / "data", 8), prep)
    config = TrainingConfig(epochs=3, batch_size=8, warmup_epochs=0)
    work = tmp_path / "work"

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            if epoch == 2:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        finetune(build_model("compact", width=4), data, data, prep, work, config, callbacks=[Interrupt()])
    assert sorted(p.name for p in (work / "backup").iterdir()) == ["latest.weights.h5", "training_metadata.json"]
    assert not [p for p in work.rglob("*partial*")]
    weights = work / "backup" / "latest.weights.h5"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 4])  # as a kill mid-write left it before
    with pytest.raises(DatasetError, match=r"backup of an interrupted run in .*backup cannot be restored.*delete"):
        finetune(build_model("compact", width=4), data, data, prep, work, config)

    model = build_model("compact", width=4)
    monkeypatch.setattr(keras.Model, "save", lambda self, path: Path(path).write_bytes(b"half") and 1 / 0)
    with pytest.raises(ZeroDivisionError):  # interrupted while writing: the old checkpoint is still whole
        save_whole(model, work / "best.keras")
    assert keras.saving.load_model(work / "best.keras", compile=False).count_params() > 0


def test_cli_train_from_scratch_refuses_little_data_then_tells_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from facemotion import EmotionClassifier
    from facemotion.cli import main

    root = _fer_subset(tmp_path / "data", 4)
    out = tmp_path / "model"
    assert main(["train", str(root), "--out", str(out)]) == 2  # 12 faces: refused
    assert "--init default" in capsys.readouterr().err and not out.exists()
    assert main(["train", str(root), "--out", str(out), "--epochs", "2", "--force"]) == 0
    captured = capsys.readouterr()
    assert "WARNING" in captured.err and "--init default" in captured.err
    assert len(captured.out.splitlines()) <= 40
    for needle in ("training faces: 9", "hold-out faces: 3", "kept epoch", "hold-out accuracy", "macro-F1"):
        assert needle in captured.out
    assert "not in your data: contempt, disgust, fear, neutral, surprise, uncertain" in captured.out
    assert "Saved artifact" not in captured.out and "TensorSpec" not in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json", "model.keras", "model_float32.tflite"]
    assert (tmp_path / "model_work" / "history.csv").is_file()  # work files beside the model, as --help says
    config = json.loads((out / "config.json").read_text())
    assert config["metrics"]["holdout_faces"] == 3 and config["metrics"]["epochs_run"] == 2
    assert "facemotion train" in config["training_command"]
    assert "holdout_accuracy" in (out / "README.md").read_text()
    clf = EmotionClassifier(out)
    assert clf.model.runtime == "tflite-float32"
    assert len(clf.predict_faces([np.zeros((48, 48), np.uint8)])[0].probabilities) == 9


@pytest.mark.parametrize(
    ("option", "value"), [("--epochs", "0"), ("--batch-size", "-4"), ("--learning-rate", "nan"), ("--epochs", "x")]
)
def test_cli_train_rejects_bad_numbers(option: str, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "data", "--out", "m", option, value])
    assert exit_info.value.code == 2 and option in capsys.readouterr().err


def _probabilities(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The model's emotion probabilities on a normalized batch."""
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(x, verbose=0)["emotion"])))


def test_distillation_mixes_teacher_probabilities_with_the_labels() -> None:
    from facemotion.preprocessing import normalize
    from facemotion.training.distill import distill_targets, teacher_probabilities

    data = random_faces(6, seed=0)
    prep = recipe_preprocessing("compact")
    teacher = build_model("compact", width=4)
    probs = teacher_probabilities([teacher], data, prep)
    x = normalize(data.images.astype(np.float32), prep)
    by_hand = (_probabilities(teacher, x) + _probabilities(teacher, x[:, :, ::-1])) / 2
    np.testing.assert_allclose(probs, by_hand, atol=1e-5)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert not np.allclose(probs, teacher_probabilities([teacher], data, prep, mirror=False))

    half = distill_targets(data, probs, 0.5)
    np.testing.assert_allclose(half.soft_labels, 0.5 * data.soft_labels + 0.5 * probs, atol=1e-6)
    np.testing.assert_array_equal(half.labels, data.labels)  # hard labels (used for sampling) unchanged
    np.testing.assert_allclose(distill_targets(data, probs, 0.0).soft_labels, data.soft_labels)
    with pytest.raises(ValueError, match="weight"):
        distill_targets(data, probs, 1.5)
    with pytest.raises(ValueError, match="shape"):
        distill_targets(data, probs[:3], 0.5)
    with pytest.raises(ValueError, match="at least one"):
        teacher_probabilities([], data, prep)


def test_online_teachers_teach_on_the_augmented_view() -> None:
    from facemotion.training.distill import teacher_probabilities
    from facemotion.training.trainer import TrainingModel

    n = 8
    data = random_faces(n, seed=1)
    prep = recipe_preprocessing("compact")
    keras.utils.set_random_seed(0)
    first, second = build_model("compact", width=4), build_model("compact", width=4)

    # Without augmentation, teaching on the view is the clean-face distillation.
    plain = TrainingModel(
        build_model("compact", width=4),
        prep,
        Augmentation(False, 0, 0, 0, 0, 0, 0),
        teachers=[first],
        teacher_weight=0.25,
    )
    _, y = plain.views(_batch(data), training=True)
    clean = teacher_probabilities([first], data, prep)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(y["emotion"]), 0.75 * data.soft_labels + 0.25 * clean, atol=1e-5
    )

    # Augmented: the targets are the teachers' probabilities on the very faces the student sees,
    # the two teachers taking turns on the face and its mirror image.
    trainer = TrainingModel(
        build_model("compact", width=4), prep, teachers=[first, second], teacher_weight=1.0, teacher_turns=True
    )
    x, y = trainer.views(_batch(data), training=True)
    x = keras.ops.convert_to_numpy(x)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(y["emotion"]),
        (_probabilities(first, x) + _probabilities(second, x[:, :, ::-1])) / 2,
        atol=1e-5,
    )
    assert not first.trainable and not any(w.trainable for w in first.weights)
    with pytest.raises(ValueError, match="teacher_weight"):
        TrainingModel(build_model("compact", width=4), prep, teachers=[first], teacher_weight=2.0)


def test_identity_split_keeps_each_person_on_one_side() -> None:
    from facemotion.training.datasets import identity_of, identity_split

    paths = [
        f"x/{name}_{i:04d}.jpg" for name in ("Ann_Lee", "Bo_Chen", "Cy_Diaz", "Di_Eng", "Ed_Fox") for i in range(4)
    ]
    held = identity_split(paths, 0.4)
    for name in {identity_of(p) for p in paths}:
        assert len({bool(h) for p, h in zip(paths, held, strict=True) if identity_of(p) == name}) == 1
    assert np.array_equal(held, identity_split(paths, 0.4))  # stable across runs


def test_photometric_augmentation_changes_faces_within_range() -> None:
    from facemotion.training.augment import Photometric, RandomErasing

    x = np.random.default_rng(0).uniform(0, 255, (16, 48, 48, 1)).astype(np.float32)
    y = keras.ops.convert_to_numpy(Photometric(1.0, seed=0)(x, training=True))
    assert y.shape == (16, 48, 48, 1) and y.min() >= 0 and y.max() <= 255
    assert np.abs(y - x).mean() > 5
    assert np.array_equal(keras.ops.convert_to_numpy(Photometric(0.0, seed=0)(x, training=True)), x)
    assert np.array_equal(keras.ops.convert_to_numpy(Photometric(1.0)(x, training=False)), x)
    erased = keras.ops.convert_to_numpy(RandomErasing(1.0, seed=0)(x, training=True))
    changed = (erased != x).reshape(16, -1).mean(axis=1)
    assert np.all(changed > 0.005) and np.all(changed < 0.1)  # one rectangle of 10-30 % of each side


def test_finetune_pretrained_keeps_nine_outputs_and_freezes_early_layers(tmp_path: Path) -> None:
    from facemotion import EmotionClassifier
    from facemotion.training import finetune_pretrained, load_for_finetuning, small_data_config

    model, config = load_for_finetuning("default")
    trainable = [layer.name for layer in model.layers if layer.trainable]
    assert "stem_conv" not in trainable and "emotion" in trainable and "valence_arousal" in trainable
    assert not any(isinstance(layer, keras.layers.BatchNormalization) and layer.trainable for layer in model.layers)
    root = _fer_subset(tmp_path / "data", 4)
    data = load_image_folder(root, config.preprocessing)
    run = finetune_pretrained(data, tmp_path / "tuned", config=small_data_config(epochs=2))
    tuned = EmotionClassifier(run.out)
    assert tuned.model.runtime == "tflite-float32"  # exported, runs without TensorFlow
    faces = tuned.predict_faces(list(data.images[:4]))
    assert all(len(f.probabilities) == 9 and -1 <= f.valence <= 1 for f in faces)
    assert run.work == tmp_path / "tuned_work" and run.epochs_run == 2 and 1 <= run.epoch_kept <= 2
    assert run.absent == ["contempt", "disgust", "fear", "neutral", "surprise", "uncertain"]
    # Classes absent from the data were left out of the loss: their output weights did not move.
    before = model.get_layer("emotion").get_weights()[0]
    after = keras.saving.load_model(run.out / "model.keras", compile=False).get_layer("emotion").get_weights()[0]
    absent = [EMOTIONS.index(c) for c in run.absent]
    present = [EMOTIONS.index(c) for c in ("anger", "happy", "sad")]
    np.testing.assert_allclose(after[:, absent], before[:, absent], rtol=1e-3, atol=1e-6)
    assert np.abs(after[:, present] - before[:, present]).max() > 1e-4


def test_cli_train_init_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion.cli import main

    root = _fer_subset(tmp_path / "data", 4)
    code = main(["train", str(root), "--init", "default", "--out", str(tmp_path / "m"), "--epochs", "1"])
    out = capsys.readouterr().out
    assert code == 0 and "fine-tuned from default" in out and "kept epoch 1" in out
    assert "left out of the loss" in out and len(out.splitlines()) <= 40
    assert "taught by the starting model at 0.5" in out
    assert "default before fine-tuning, on the same hold-out: accuracy" in out
    metrics = json.loads((tmp_path / "m" / "config.json").read_text())["metrics"]
    assert 0 <= metrics["holdout_accuracy_before"] <= 1
    assert ("WARNING: not better than default" in out) == (
        metrics["holdout_accuracy"] <= metrics["holdout_accuracy_before"]
    )
    assert "fine-tuned from default" in (tmp_path / "m" / "config.json").read_text()
    assert (tmp_path / "m" / "model_float32.tflite").is_file() and not (tmp_path / "m" / "_work").exists()


def test_separable_blocks_start_from_a_trained_network_as_its_residual_free_version() -> None:
    from facemotion.training.transfer import copy_matching_weights

    conv = build_model("compact", width=8)
    sep = build_model("compact", width=8, blocks="separable")
    rng = np.random.default_rng(0)
    for layer in conv.layers:  # non-trivial weights, BN statistics included
        layer.set_weights([rng.normal(0.5, 0.2, w.shape).astype(np.float32) for w in layer.get_weights()])
    copied = copy_matching_weights(conv, sep)
    assert {"stem_conv", "down4_conv", "down4_bn", "emotion", "valence_arousal"} <= set(copied)
    assert not any(name.startswith("block") for name in copied)  # the shapes differ: nothing copied there
    # Zero the conv network's residual branches: it then computes what the new network computes.
    for layer in conv.layers:
        if layer.name.endswith("_b_bn"):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([np.zeros_like(gamma), np.zeros_like(beta), mean, var])
    x = rng.uniform(0, 1, (3, 48, 48, 1)).astype(np.float32)
    want, got = conv(x, training=False), sep(x, training=False)
    np.testing.assert_allclose(got["emotion"], want["emotion"], rtol=1e-4, atol=1e-4)
    assert sep.count_params() < conv.count_params()
    with pytest.raises(ValueError, match="blocks"):
        build_model("compact", width=8, blocks="dense")  # type: ignore[arg-type]


def test_pruning_keeps_the_block_channels_that_matter() -> None:
    from facemotion.training.transfer import prune_residual_blocks

    full = build_model("compact", width=8)
    rng = np.random.default_rng(1)
    for layer in full.layers:
        layer.set_weights([rng.normal(0.5, 0.2, w.shape).astype(np.float32) for w in layer.get_weights()])
        if layer.name.endswith("_a_bn"):  # silence half the inner channels: they output zero after the ReLU
            gamma, beta, mean, var = layer.get_weights()
            dead = rng.permutation(len(gamma))[: len(gamma) // 2]
            gamma[dead], beta[dead] = 0.0, 0.0
            layer.set_weights([gamma, beta, mean, np.abs(var)])
        elif layer.name.endswith("_bn"):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([gamma, beta, mean, np.abs(var)])
    pruned = build_model("compact", width=8, inner=0.5)
    copied = prune_residual_blocks(full, pruned)
    assert {"block1_a_conv", "block3b_b_conv", "stem_conv", "emotion"} <= set(copied)
    assert pruned.count_params() < full.count_params()
    x = rng.uniform(0, 1, (3, 48, 48, 1)).astype(np.float32)
    want, got = full(x, training=False), pruned(x, training=False)  # the dead channels were the ones dropped
    np.testing.assert_allclose(got["emotion"], want["emotion"], rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError, match="inner"):
        build_model("compact", width=8, inner=0.0)


def test_mixup_blends_faces_and_targets_with_the_same_weight() -> None:
    from facemotion.training.augment import mixup

    n = 64
    faces = np.repeat(np.arange(n, dtype=np.float32), 4).reshape(n, 2, 2, 1)
    labels = np.eye(n, dtype=np.float32)
    x, y = mixup(faces, {"emotion": labels}, 0.4, seed=0)
    x, y = keras.ops.convert_to_numpy(x), keras.ops.convert_to_numpy(y["emotion"])
    assert np.allclose(y.sum(axis=1), 1.0)  # still distributions
    # Each face is λ·itself + (1-λ)·its partner, and its target puts λ on itself and the rest on the partner.
    expected = (y * np.arange(n, dtype=np.float32)).sum(axis=1)
    assert np.allclose(x[:, 0, 0, 0], expected, atol=1e-4)
    assert np.allclose(x, x[:, :1, :1, :])
    assert (np.diag(y) < 0.999).sum() > n // 4  # faces were really blended


def test_head_turns_of_a_dataset(astronaut: np.ndarray) -> None:
    """A grey 48-px frontal face reads as barely turned; a blank one as NaN (no face found)."""
    import cv2

    from facemotion.training.datasets import head_turns

    face = cv2.resize(
        cv2.cvtColor(astronaut[20:220, 90:290], cv2.COLOR_RGB2GRAY), (48, 48), interpolation=cv2.INTER_AREA
    )
    images = np.stack([face, np.full((48, 48), 128, np.uint8)])[..., None]
    data = FaceDataset(
        images, np.array([4, 5]), np.eye(9, dtype=np.float32)[[4, 5]], np.zeros((2, 2), np.float32), ["a", "b"]
    )
    turns = head_turns(data)
    assert turns.shape == (2,) and 0.0 <= turns[0] < 0.2 and np.isnan(turns[1])


def test_early_stopping_counts_the_epochs_before_an_interruption(tmp_path: Path) -> None:
    from facemotion.training.recipe import ResumedEarlyStopping

    history = tmp_path / "history.csv"
    history.write_text("epoch,loss,val_emotion_accuracy\n0,1.0,0.50\n1,0.9,0.60\n2,0.8,0.55\n3,0.7,0.58\n")
    stop = ResumedEarlyStopping(history, monitor="val_emotion_accuracy", mode="max", patience=3)
    stop.set_model(build_model("compact", width=4))
    stop.on_train_begin()
    assert (stop.best, stop.best_epoch, stop.wait) == (0.60, 1, 2)  # two epochs without progress already
    stop.on_epoch_end(4, {"val_emotion_accuracy": 0.59})
    assert stop.model.stop_training  # the third: patience spent, as if never interrupted
    fresh = ResumedEarlyStopping(tmp_path / "none.csv", monitor="val_emotion_accuracy", mode="max", patience=3)
    fresh.on_train_begin()
    assert (fresh.best, fresh.wait) == (None, 0)


def test_a_face_dataset_built_by_hand_is_checked() -> None:
    """0–1 float faces trained to 0.105 accuracy without a word; 10 labels for 96 faces trained on 8."""
    labels = np.zeros(4, np.int64)
    soft, affect, paths = np.eye(9, dtype=np.float32)[labels], np.zeros((4, 2), np.float32), ["x"] * 4
    with pytest.raises(DatasetError, match=r"uint8 faces \(0–255\), got float32.*astype\(np.uint8\)"):
        FaceDataset(np.zeros((4, 48, 48, 1), np.float32), labels, soft, affect, paths)
    with pytest.raises(DatasetError, match=r"parts differ in length.*'images': 6, 'labels': 4"):
        FaceDataset(np.zeros((6, 48, 48, 1), np.uint8), labels, soft, affect, paths)
    with pytest.raises(DatasetError, match=r"soft_labels must be \(N, 9\)"):
        FaceDataset(np.zeros((4, 48, 48, 1), np.uint8), labels, soft[:, :7], affect, paths)
    assert len(FaceDataset(np.zeros((4, 48, 48, 1), np.uint8), labels, soft, affect, paths)) == 4


def test_cli_train_refuses_outputs_it_could_not_write_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder failed after training; a model inside the data became an "emotion folder" next time."""
    import tempfile

    from facemotion.artifact import check_writable
    from facemotion.cli import main
    from facemotion.errors import OutputError

    root = _fer_subset(tmp_path / "data", 2)
    assert main(["train", str(root), "--init", "default", "--out", str(root / "model")]) == 2
    assert "lies inside the training data" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert (
        main(["train", str(root), "--init", "default", "--out", str(tmp_path / "m"), "--work", str(tmp_path / "afile")])
        == 2
    )
    assert "the work folder" in capsys.readouterr().err and not (tmp_path / "m").exists()

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    with pytest.raises(OutputError, match=r"the model folder .*/ro/m cannot be written: Permission denied in "):
        check_writable(tmp_path / "ro" / "m", "the model folder")


def test_cli_train_refuses_a_single_emotion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One emotion folder fine-tuned "successfully": its emotion loss was masked to exactly 0 every epoch."""
    from facemotion.cli import main

    root = _fer_subset(tmp_path / "data", 6, labels=("happy",))
    assert main(["train", str(root), "--init", "default", "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    assert "show happy only: telling emotions apart needs faces of at least two" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_a_file_linked_under_two_emotions_is_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A link put one happy photo under sad too: it was trained on with both labels, on both sides of the split."""
    root = _fer_subset(tmp_path / "data", 3, labels=("happy", "sad"))
    happy = sorted((root / "happy").iterdir())
    (root / "sad" / "link.png").symlink_to(happy[0])
    (root / "happy" / "again").symlink_to(root / "happy")  # the same folder reached twice: each file once
    os.link(happy[1], root / "sad" / "hard.png")  # a hard link is the same file too
    items = list_image_folder(root)
    assert not {happy[0], happy[1]} & {p for p, _ in items} and len(items) == 4
    assert len({p.resolve() for p, _ in items}) == 4
    assert "2 image(s) lie under two or more emotions" in caplog.text


def test_cli_train_hints_at_whole_photos_and_refuses_an_inference_only_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Whole photos trained as squashed "faces" without a hint; a LiteRT-only --init was refused only after
    every image had been read."""
    from PIL import Image

    from facemotion.cli import main
    from facemotion.hub import DEFAULT_MODEL_DIR

    root = tmp_path / "data"
    for emotion in ("happy", "sad"):
        (root / emotion).mkdir(parents=True)
        for k in range(3):
            Image.fromarray(np.full((120, 200, 3), 40 * k, np.uint8)).save(root / emotion / f"{k}.png")
    lite = tmp_path / "lite"
    lite.mkdir()
    for name in ("config.json", "model.tflite", "model_float32.tflite"):
        shutil.copy(DEFAULT_MODEL_DIR / name, lite / name)
    assert main(["train", str(root), "--init", str(lite), "--out", str(tmp_path / "m")]) == 2
    assert "has no model.keras: a model exported for inference only" in capsys.readouterr().err
    assert "far from square" not in caplog.text  # refused before the images were looked at
    load_image_folder(root, recipe_preprocessing("compact"))  # read as crops: squashed
    assert "6 of 6 images looked at are far from square" in caplog.text and "add --detect" in caplog.text


@pytest.mark.parametrize(("backend", "says"), [("torch", "image by image in Python"), ("bogus", "not one facemotion")])
def test_cli_train_refuses_a_backend_it_does_not_train_on(
    backend: str, says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """KERAS_BACKEND=bogus ended in a traceback from inside Keras; torch pointed to facemotion[train]."""
    from facemotion.cli import main

    monkeypatch.setenv("KERAS_BACKEND", backend)
    root = _fer_subset(tmp_path / "data", 2)
    assert main(["train", str(root), "--init", "default", "--out", str(tmp_path / "m")]) == 2
    assert f"KERAS_BACKEND={backend}: " in (err := capsys.readouterr().err) and says in err
