import numpy as np

from facemotion.labels import ANCHORS, EMOTIONS, anchor, canonical_label, expected_affect


def test_label_order_is_the_documented_one() -> None:
    assert EMOTIONS == ("anger", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise", "uncertain")


def test_anchors_lie_on_the_plane_with_plausible_signs() -> None:
    assert ANCHORS.shape == (9, 2)
    assert np.all(np.abs(ANCHORS) <= 1)
    assert anchor("happy")[0] > 0.5 and anchor("sad")[0] < -0.5
    assert anchor("surprise")[1] > anchor("neutral")[1]
    for label in ("anger", "disgust", "fear", "sad", "contempt"):
        assert anchor(label)[0] < 0


def test_synonyms_map_to_labels() -> None:
    assert canonical_label("Angry") == "anger"
    assert canonical_label("happiness") == "happy"
    assert canonical_label("sadness ") == "sad"
    assert canonical_label("bored") is None


def test_expected_affect_of_one_hot_is_the_anchor() -> None:
    probs = np.eye(9, dtype=np.float32)
    np.testing.assert_allclose(expected_affect(probs), ANCHORS)
