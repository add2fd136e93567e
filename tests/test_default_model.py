"""The bundled default model: present in the package, loads offline, and reads real faces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facemotion import EMOTIONS, EmotionClassifier, ValenceArousalRegressor
from facemotion.hub import DEFAULT_MODEL_DIR

from conftest import DATA, GROUP_PHOTOS, need


@pytest.fixture(scope="module")
def default() -> EmotionClassifier:
    return EmotionClassifier()


def test_bundled_model_is_small_and_complete() -> None:
    files = {p.name for p in DEFAULT_MODEL_DIR.iterdir()}
    assert {"config.json", "model.keras", "README.md"} <= files
    size = sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir())
    assert size < 10_000_000


def test_smiling_astronaut_is_happy(default: EmotionClassifier, astronaut: np.ndarray) -> None:
    faces = default.predict(astronaut)
    assert len(faces) == 1
    assert faces[0].label == "happy"
    assert faces[0].valence > 0.2


def test_both_heads_in_one_pass(default: EmotionClassifier) -> None:
    assert default.model.config.tasks == ("emotion", "valence_arousal")
    reg = ValenceArousalRegressor(default.model)
    assert reg.model is default.model


def test_accuracy_on_a_slice_of_ferplus_val(default: EmotionClassifier) -> None:
    """A quick check on 40 validation faces per main class (the full figures are in docs/models.md)."""
    val = need(DATA / "ferplus" / "val")
    from facemotion.io import read_image

    correct = total = 0
    for label in ("happy", "neutral", "surprise", "sad", "anger"):
        files = sorted((val / label).iterdir())[:40]
        faces = default.predict_faces([read_image(f) for f in files])
        correct += sum(f.label == label for f in faces)
        total += len(faces)
    assert correct / total > 0.7, f"{correct}/{total}"


def test_group_photo_gives_sensible_answers(default: EmotionClassifier) -> None:
    photo = need(GROUP_PHOTOS / "whitehouse_obama_and_biden.jpg")
    faces = default.predict(photo)
    assert len(faces) >= 2
    assert all(f.label in EMOTIONS for f in faces)
    # Biden, the largest-smiling face on the left, reads as happy
    left = min(faces, key=lambda f: f.box[0])  # type: ignore[index]
    assert left.label == "happy"


def test_default_model_path_is_inside_the_package() -> None:
    import facemotion

    assert Path(facemotion.__file__).parent in DEFAULT_MODEL_DIR.parents


def test_mirror_averages_a_face_with_its_mirror_image(default: EmotionClassifier) -> None:
    val = need(DATA / "ferplus" / "val")
    from facemotion.io import read_image

    crops = [read_image(f) for f in sorted((val / "sad").iterdir())[:8]]
    flipped = [np.ascontiguousarray(c[:, ::-1]) for c in crops]
    mirrored = EmotionClassifier(mirror=True)
    single = EmotionClassifier(mirror=False).model
    plain, plain_flipped = single.run(crops), single.run(flipped)
    both = mirrored.model.run(crops)
    np.testing.assert_allclose(both.probabilities, (plain.probabilities + plain_flipped.probabilities) / 2, atol=1e-5)
    np.testing.assert_allclose(both.affect, (plain.affect + plain_flipped.affect) / 2, atol=1e-5)
    # the averaged prediction no longer depends on which way the face looks
    np.testing.assert_allclose(mirrored.model.run(flipped).probabilities, both.probabilities, atol=1e-5)
    assert not np.allclose(plain.probabilities, plain_flipped.probabilities, atol=1e-3)
