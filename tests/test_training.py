import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from facemotion.errors import DatasetError
from facemotion.labels import ANCHORS, EMOTIONS
from facemotion.training import (
    FaceDataset,
    TrainingConfig,
    affect_from_votes,
    affect_near_anchor,
    build_model,
    finetune,
    list_image_folder,
    load_image_folder,
    load_vote_folder,
    make_tf_dataset,
    recipe_preprocessing,
    soft_labels_from_votes,
)
from facemotion.training.evaluate import affect_metrics, classification_report, concordance_cc
from facemotion.training.targets import votes_to_label_counts

from conftest import DATA, need


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


def test_pipeline_normalizes_like_inference(tmp_path: Path) -> None:
    prep = recipe_preprocessing("compact")
    data = load_vote_folder(_fer_subset(tmp_path, 4, ("happy", "sad")), DATA / "ferplus" / "votes.csv", prep)
    assert data.images.shape == (8, 48, 48, 1) and data.soft_labels.shape == (8, 9)
    x, y = next(iter(make_tf_dataset(data, prep, batch_size=8)))
    from facemotion.preprocessing import to_model_input

    np.testing.assert_allclose(x.numpy(), to_model_input(list(data.images), prep), atol=1e-6)
    assert set(y) == {"emotion", "valence_arousal"}
    xa, _ = next(iter(make_tf_dataset(data, prep, batch_size=8, training=True)))
    assert xa.shape == (8, 48, 48, 1) and float(xa.numpy().min()) >= 0.0 and float(xa.numpy().max()) <= 1.0


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


def test_cli_train_produces_a_loadable_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion import EmotionClassifier
    from facemotion.cli import main

    root = _fer_subset(tmp_path / "data", 4)
    assert main(["train", str(root), "--out", str(tmp_path / "model"), "--epochs", "1", "--batch-size", "4"]) == 0
    clf = EmotionClassifier(tmp_path / "model")
    assert len(clf.predict_faces([np.zeros((48, 48), np.uint8)])[0].probabilities) == 9
    assert "facemotion train" in (tmp_path / "model" / "config.json").read_text()


def _random_faces(n: int, seed: int) -> FaceDataset:
    """``n`` random 48×48 grey "faces" with one-hot labels and zero valence–arousal."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 9, n)
    return FaceDataset(
        rng.integers(0, 256, (n, 48, 48, 1), dtype=np.uint8),
        labels,
        np.eye(9, dtype=np.float32)[labels],
        np.zeros((n, 2), np.float32),
        [f"{i}.png" for i in range(n)],
    )


def _probabilities(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The model's emotion probabilities on a normalized batch."""
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(model.predict(x, verbose=0)["emotion"])))


def test_distillation_mixes_teacher_probabilities_with_the_labels() -> None:
    from facemotion.preprocessing import normalize
    from facemotion.training.distill import distill_targets, teacher_probabilities

    data = _random_faces(6, seed=0)
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

    n = 8
    data = _random_faces(n, seed=1)
    prep = recipe_preprocessing("compact")
    keras.utils.set_random_seed(0)
    first, second = build_model("compact", width=4), build_model("compact", width=4)

    # Without augmentation, teaching on the view is the clean-face distillation.
    _, y = next(iter(make_tf_dataset(data, prep, batch_size=n, teachers=[first], teacher_weight=0.25)))
    clean = teacher_probabilities([first], data, prep)
    np.testing.assert_allclose(y["emotion"].numpy(), 0.75 * data.soft_labels + 0.25 * clean, atol=1e-5)

    # Augmented: the targets are the teachers' probabilities on the very faces returned,
    # the two teachers taking turns on the face and its mirror image.
    x, y = next(
        iter(
            make_tf_dataset(
                data,
                prep,
                batch_size=n,
                training=True,
                teachers=[first, second],
                teacher_weight=1.0,
                teacher_turns=True,
            )
        )
    )
    x = x.numpy()
    np.testing.assert_allclose(
        y["emotion"].numpy(), (_probabilities(first, x) + _probabilities(second, x[:, :, ::-1])) / 2, atol=1e-5
    )
    with pytest.raises(ValueError, match="teacher_weight"):
        make_tf_dataset(data, prep, teachers=[first], teacher_weight=2.0)


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
    import tensorflow as tf

    from facemotion.training.pipeline import photometric

    x = tf.constant(np.random.default_rng(0).uniform(0, 255, (16, 48, 48, 1)).astype(np.float32))
    y = photometric(x, 1.0).numpy()
    assert y.shape == (16, 48, 48, 1) and y.min() >= 0 and y.max() <= 255
    assert np.abs(y - x.numpy()).mean() > 5
    assert np.array_equal(photometric(x, 0.0).numpy(), x.numpy())


def test_finetune_pretrained_keeps_nine_outputs_and_freezes_early_layers(tmp_path: Path) -> None:
    from facemotion import EmotionClassifier
    from facemotion.training import finetune_pretrained, load_for_finetuning, small_data_config

    model, config = load_for_finetuning("default")
    trainable = [layer.name for layer in model.layers if layer.trainable]
    assert "stem_conv" not in trainable and "emotion" in trainable and "valence_arousal" in trainable
    assert not any(isinstance(layer, keras.layers.BatchNormalization) and layer.trainable for layer in model.layers)
    root = _fer_subset(tmp_path / "data", 4)
    data = load_image_folder(root, config.preprocessing)
    out = finetune_pretrained(data, tmp_path / "tuned", config=small_data_config(epochs=2))
    tuned = EmotionClassifier(out)
    assert tuned.model.runtime == "tflite-float32"  # exported, runs without TensorFlow
    faces = tuned.predict_faces(list(data.images[:4]))
    assert all(len(f.probabilities) == 9 and -1 <= f.valence <= 1 for f in faces)


def test_cli_train_init_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from facemotion.cli import main

    root = _fer_subset(tmp_path / "data", 4)
    code = main(["train", str(root), "--init", "default", "--out", str(tmp_path / "m"), "--epochs", "1"])
    assert code == 0 and "fine-tuned from default" in capsys.readouterr().out
    assert "fine-tuned from default" in (tmp_path / "m" / "config.json").read_text()


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
    import tensorflow as tf

    from facemotion.training.pipeline import mixup

    n = 64
    faces = tf.constant(np.repeat(np.arange(n, dtype=np.float32), 4).reshape(n, 2, 2, 1))
    labels = tf.constant(np.eye(n, dtype=np.float32))
    x, y = mixup(faces, {"emotion": labels}, 0.4)
    x, y = x.numpy(), y["emotion"].numpy()
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
