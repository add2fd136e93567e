"""The Python API's contract: per-input errors, one crop or many, strict arguments, honest numbers."""

from __future__ import annotations

import io
import pickle
import pydoc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion import EmotionClassifier, FacemotionError, GroupMood, ImageReadError, analyze_group
from facemotion.results import FaceEmotion, Faces


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> tuple[Path, Path, Path]:
    """A good photo, the same photo cut short, and a flat photo with no face."""
    folder = tmp_path_factory.mktemp("photos")
    good, cut, flat = folder / "good.jpg", folder / "cut.jpg", folder / "flat.png"
    Image.fromarray(astronaut).save(good, quality=92)
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    Image.new("RGB", (200, 150), (90, 90, 90)).save(flat)
    return good, cut, flat


@pytest.fixture(scope="module")
def clf() -> EmotionClassifier:
    return EmotionClassifier()  # the bundled LiteRT model: fast to load, real outputs


def test_skip_keeps_the_good_results(clf: EmotionClassifier, photos: tuple[Path, Path, Path]) -> None:
    good, cut, flat = photos
    alone = clf.predict(good)
    results = clf.predict([good, cut, flat, good], errors="skip")
    assert [len(r) for r in results] == [len(alone), 0, 0, len(alone)] and len(alone) == 1
    assert [r.error is None for r in results] == [True, False, True, True]  # no face is not a failure
    assert "cut.jpg" in str(results[1].error) and "truncated" in str(results[1].error)
    assert results[0] == alone and results[3] == alone
    with pytest.raises(ImageReadError, match="truncated"):
        clf.predict([good, cut, good])
    single = clf.predict(cut, errors="skip")
    assert isinstance(single, Faces) and single == [] and single.error is not None
    assert clf.predict(good).error is None


def test_skip_covers_every_unreadable_kind(clf: EmotionClassifier, tmp_path: Path) -> None:
    folder = tmp_path / "d.jpg"
    folder.mkdir()
    bad: list[object] = [tmp_path / "missing.jpg", folder, np.zeros((0, 4, 3), np.uint8), np.ones((5, 5), bool), 42]
    results = clf.predict(bad, errors="skip")  # type: ignore[arg-type]
    assert len(results) == len(bad)
    assert all(r == [] and r.error for r in results)


def test_errors_argument_is_checked(clf: EmotionClassifier) -> None:
    with pytest.raises(FacemotionError, match="errors='ignore' must be one of 'raise', 'skip'"):
        clf.predict(np.zeros((8, 8, 3), np.uint8), errors="ignore")  # type: ignore[call-overload]


def test_faces_pickle_with_their_error() -> None:
    failed = pickle.loads(pickle.dumps(Faces([], error="x.jpg: no such file")))
    assert failed == [] and failed.error == "x.jpg: no such file"
    assert "error='x.jpg: no such file'" in repr(failed)


def test_predict_faces_one_crop_or_many(clf: EmotionClassifier, astronaut: np.ndarray, tmp_path: Path) -> None:
    crop = np.ascontiguousarray(astronaut[30:190, 150:310])
    path = tmp_path / "crop.png"
    Image.fromarray(crop).save(path)
    one = clf.predict_faces(crop)
    assert isinstance(one, FaceEmotion)  # not 160 results, one per pixel row
    for same in (path, str(path), Image.fromarray(crop)):
        again = clf.predict_faces(same)
        assert isinstance(again, FaceEmotion)  # not one result per character of the path
        assert again.probabilities == pytest.approx(one.probabilities, abs=1e-6)
    many = clf.predict_faces([crop, crop[::2, ::2]])
    assert isinstance(many, list) and len(many) == 2 and many[0] == one
    assert clf.predict_faces((crop,)) == [one]
    assert clf.predict_faces([]) == []
    with pytest.raises(ImageReadError, match=r"list\(array\)"):
        clf.predict_faces(np.stack([crop, crop]))
    with pytest.raises(ImageReadError, match="predict_faces takes a path"):
        clf.predict_faces(3.5)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mirror": "yes"}, "mirror"),
        ({"min_face_size": -5}, "min_face_size"),
        ({"min_face_size": "20"}, "min_face_size"),
        ({"min_face_size": True}, "min_face_size"),
        ({"runtime": "gpu"}, "runtime"),
        ({"runtime": "tflite-int9"}, "runtime"),
        ({"detector": "foo"}, "detector 'foo'"),
        ({"detector": 3}, "not a face detector"),
    ],
)
def test_arguments_are_checked_at_construction(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(FacemotionError, match=message):
        EmotionClassifier(**kwargs)  # type: ignore[arg-type]


def test_a_loaded_model_does_not_take_loading_options(clf: EmotionClassifier) -> None:
    with pytest.raises(FacemotionError, match="mirror cannot be applied to a FaceModel"):
        EmotionClassifier(clf.model, mirror=True)
    assert EmotionClassifier(clf.model, min_face_size=np.int64(20)).min_face_size == 20


def test_wrong_input_type_says_what_is_accepted(clf: EmotionClassifier) -> None:
    with pytest.raises(ImageReadError, match=r"from int; predict takes a path .* or a list or tuple of these"):
        clf.predict(42)  # type: ignore[call-overload]


def test_analyze_group_over_a_list(clf: EmotionClassifier, photos: tuple[Path, Path, Path]) -> None:
    good, _, flat = photos
    moods = analyze_group([good, flat], clf)
    assert isinstance(moods, list) and [type(m) for m in moods] == [GroupMood, GroupMood]
    assert moods[0].to_dict() == analyze_group(good, clf).to_dict()
    assert moods[1].count == 0


def test_help_shows_real_types_and_both_forms() -> None:
    text = pydoc.render_doc(EmotionClassifier.predict, renderer=pydoc.plaintext)
    assert "images: 'ImageLike | Batch'" in text and "errors: 'Errors' = 'raise'" in text
    assert "Faces[FaceEmotion] | list[Faces[FaceEmotion]]" in text
    assert "list or tuple" in text and "skip" in text
    faces_help = pydoc.render_doc(EmotionClassifier.predict_faces, renderer=pydoc.plaintext)
    assert "FaceEmotion | list[FaceEmotion]" in faces_help


def test_valence_and_arousal_have_honest_precision(clf: EmotionClassifier, astronaut: np.ndarray) -> None:
    faces = [*clf.predict(astronaut), clf.predict_faces(astronaut[30:190, 150:310])]
    for face in faces:
        assert face.valence == round(face.valence, 2) and face.arousal == round(face.arousal, 2)
        assert -1 <= face.valence <= 1 and -1 <= face.arousal <= 1


def test_large_photos_give_boxes_in_their_own_pixels(
    clf: EmotionClassifier, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inputs over MAX_DECODED_PIXELS are analysed reduced; boxes still fit the input."""
    big = np.kron(astronaut, np.ones((2, 2, 1), np.uint8))  # 1024×1024, the face at twice the size
    buffer = io.BytesIO()
    Image.fromarray(big).save(buffer, "JPEG", quality=92)
    full = clf.predict(big)[0].box
    monkeypatch.setattr("facemotion.io.MAX_DECODED_PIXELS", 600 * 600)
    for source in (big, Image.open(io.BytesIO(buffer.getvalue()))):
        faces = clf.predict(source)
        assert len(faces) == 1
        x, y, w, h = faces[0].box  # type: ignore[misc]
        fx, fy, fw, fh = full  # type: ignore[misc]
        assert abs(x - fx) <= 0.1 * fw and abs(y - fy) <= 0.1 * fh and 0.8 < w / fw < 1.25
        assert x + w <= 1024 and y + h <= 1024


def test_min_face_size_is_in_the_inputs_pixels_when_reduced(
    clf: EmotionClassifier, astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reduced photo's faces are measured against min_face_size at the input's own size."""
    big = np.kron(astronaut, np.ones((2, 2, 1), np.uint8))
    side = min(clf.predict(big)[0].box[2:])  # type: ignore[index]
    monkeypatch.setattr("facemotion.io.MAX_DECODED_PIXELS", 600 * 600)  # analysed at half size
    assert len(EmotionClassifier(clf.model, min_face_size=side - 10).predict(big)) == 1
    assert EmotionClassifier(clf.model, min_face_size=side + 10).predict(big) == []


def test_detector_name_is_recorded(clf: EmotionClassifier) -> None:
    assert clf.detector_name == "blazeface"
    assert EmotionClassifier(clf.model, detector="blazeface").detector_name == "blazeface"


def test_an_uninstalled_detector_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from facemotion.detection import _cached

    monkeypatch.setitem(sys.modules, "mtcnn", None)  # as if the optional package were not installed
    _cached.cache_clear()
    try:
        with pytest.raises(FacemotionError, match=r'pip install "facemotion\[mtcnn\]"'):
            EmotionClassifier(detector="mtcnn")
    finally:
        _cached.cache_clear()


def test_regressor_has_the_same_contract(clf: EmotionClassifier, photos: tuple[Path, Path, Path]) -> None:
    from facemotion import ValenceArousalRegressor
    from facemotion.results import FaceAffect

    good, cut, _ = photos
    reg = ValenceArousalRegressor(clf.model)
    results = reg.predict((good, cut), errors="skip")
    assert len(results[0]) == 1 and results[0].error is None and results[1] == [] and results[1].error
    face = results[0][0]
    assert face.valence == clf.predict(good)[0].valence  # the same model, the same rounding
    assert isinstance(reg.predict_faces(np.zeros((48, 48), np.uint8)), FaceAffect)
