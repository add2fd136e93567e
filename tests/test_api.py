import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facemotion import EMOTIONS, FaceEmotion, GroupMood, ImageReadError, analyze_group


def _check_face(face: FaceEmotion, shape: tuple[int, ...] | None = None) -> None:
    assert list(face.probabilities) == list(EMOTIONS)
    assert sum(face.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert face.label == max(face.probabilities, key=face.probabilities.__getitem__)
    assert -1 <= face.valence <= 1 and -1 <= face.arousal <= 1
    if shape is not None:
        x, y, w, h = face.box  # type: ignore[misc]
        assert x >= 0 and y >= 0 and x + w <= shape[1] and y + h <= shape[0]


def test_predict_every_input_kind(tiny_classifier, astronaut: np.ndarray, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "astronaut.png"
    Image.fromarray(astronaut).save(path)
    from_array = tiny_classifier.predict(astronaut)
    assert len(from_array) == 1
    _check_face(from_array[0], astronaut.shape)
    for source in (path, str(path), Image.fromarray(astronaut)):
        again = tiny_classifier.predict(source)
        assert again[0].box == from_array[0].box
        np.testing.assert_allclose(
            list(again[0].probabilities.values()), list(from_array[0].probabilities.values()), atol=1e-5
        )
    batch = tiny_classifier.predict([astronaut, np.full((50, 50, 3), 128, np.uint8)])
    assert [len(r) for r in batch] == [1, 0]
    assert from_array[0].to_dict()["box"] == list(from_array[0].box)


def test_predict_faces_any_size_and_colour(tiny_classifier) -> None:  # type: ignore[no-untyped-def]
    crops = [np.zeros((10, 30), np.uint8), np.full((300, 200, 3), 200, np.uint8), np.zeros((48, 48, 4), np.uint8)]
    faces = tiny_classifier.predict_faces(crops)
    assert len(faces) == 3
    for face in faces:
        _check_face(face)
        assert face.box is None and face.detection_score is None


def test_one_traced_graph_for_all_batch_sizes(tiny_classifier) -> None:  # type: ignore[no-untyped-def]
    for n in (1, 3, 64, 70):
        tiny_classifier.predict_faces([np.zeros((48, 48), np.uint8)] * n)
    assert tiny_classifier.model._call.experimental_get_tracing_count() == 1


def test_threads_give_the_same_results(tiny_classifier, astronaut: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    crops = [rng.integers(0, 255, (60, 60, 3), dtype=np.uint8) for _ in range(8)]
    expected = [f.probabilities for f in tiny_classifier.predict_faces(crops)]
    results: dict[int, list[dict[str, float]]] = {}

    def work(i: int) -> None:
        results[i] = [f.probabilities for f in tiny_classifier.predict_faces(crops)]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6
    for got in results.values():
        for a, b in zip(got, expected, strict=True):
            assert a == pytest.approx(b, abs=1e-6)


def test_analyze_group(tiny_classifier, astronaut: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    mood = analyze_group(astronaut, tiny_classifier)
    assert isinstance(mood, GroupMood) and mood.count == 1
    assert mood.dominant_emotion == mood.faces[0].label
    assert sum(mood.emotion_shares.values()) == pytest.approx(1.0)
    assert mood.mean_valence == pytest.approx(mood.faces[0].valence)
    empty = analyze_group(np.full((64, 64, 3), 90, np.uint8), tiny_classifier)
    assert empty.count == 0 and empty.mean_valence is None and empty.dominant_emotion is None
    frame = mood.to_pandas()
    assert list(frame.columns[:3]) == ["label", "score", "valence"] and len(frame) == 1


def test_regressor_shares_the_pipeline(tiny_model_dir: Path, astronaut: np.ndarray) -> None:
    from facemotion import ValenceArousalRegressor

    reg = ValenceArousalRegressor(tiny_model_dir)
    faces = reg.predict(astronaut)
    assert len(faces) == 1 and -1 <= faces[0].valence <= 1
    assert len(reg.predict_faces([astronaut[100:250, 150:300]])) == 1


def test_bad_input_raises_facemotion_errors(tiny_classifier, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImageReadError):
        tiny_classifier.predict(tmp_path / "missing.jpg")
    with pytest.raises(ImageReadError):
        tiny_classifier.predict_faces([np.zeros((0, 0, 3), np.uint8)])


@pytest.mark.parametrize("orientation, rotate", [(6, Image.Transpose.ROTATE_90), (8, Image.Transpose.ROTATE_270)])
def test_exif_rotated_photo_is_read_upright(
    tiny_classifier, astronaut: np.ndarray, tmp_path: Path, orientation: int, rotate: Image.Transpose
) -> None:  # type: ignore[no-untyped-def]
    """A camera that stores the photo sideways plus an EXIF orientation tag: the face is found upright."""
    stored = Image.fromarray(astronaut).transpose(rotate)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "sideways.jpg"
    stored.save(path, exif=exif, quality=95)
    faces = tiny_classifier.predict(path)
    assert len(faces) == 1
    x, y, w, h = faces[0].box
    assert 150 < x + w / 2 < 260 and 50 < y + h / 2 < 160  # where the face is in the upright photo


def test_very_large_photo(tiny_classifier, astronaut: np.ndarray, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import cv2

    big = cv2.resize(astronaut, (6000, 6000), interpolation=cv2.INTER_LINEAR)
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=80)
    faces = tiny_classifier.predict(path)
    assert len(faces) == 1
    assert faces[0].box[2] > 1000  # the box is in the big photo's pixels


def test_a_face_crop_given_as_a_photo_is_still_a_face() -> None:
    """Issue 10: a pre-cropped 48-px face passed without --crops gives a face, not an empty list."""
    from facemotion import EmotionClassifier
    from facemotion.io import read_image

    from conftest import DATA, need

    clf = EmotionClassifier()
    files = sorted(need(DATA / "ferplus" / "val" / "happy").iterdir())[:30]
    found = [clf.predict(read_image(f)) for f in files]
    assert all(len(faces) == 1 for faces in found)
    assert sum(faces[0].label == "happy" for faces in found) >= 24
    assert clf.predict(np.full((64, 64, 3), 128, np.uint8)) == []  # a flat square is not a face


def test_a_detector_of_your_own_that_fails_is_a_detector_error(astronaut: np.ndarray) -> None:
    """It crashed with a raw TypeError in facemotion's code, and one that raised bypassed errors="skip"."""
    from facemotion import EmotionClassifier
    from facemotion.errors import DetectorError

    class ReturnsNone:
        def detect(self, image: np.ndarray) -> None:
            return None

    class Raises:
        def detect(self, image: np.ndarray) -> list[object]:
            raise RuntimeError("lost its weights")

    for detector, says in ((ReturnsNone(), "returned None; detect\\(\\) must return a list"), (Raises(), "lost its")):
        clf = EmotionClassifier(detector=detector)
        with pytest.raises(DetectorError, match=says):
            clf.predict(astronaut)
        skipped = clf.predict([astronaut, astronaut], errors="skip")
        assert [len(f) for f in skipped] == [0, 0] and all(f.error for f in skipped)


def test_the_faces_of_a_detector_of_your_own_are_checked(astronaut: np.ndarray) -> None:
    """Its boxes were trusted: NaN crashed in int(), a 1e7-px box allocated terabytes, a box outside the
    image was classified and returned, and errors="skip" could not keep the rest of the batch."""
    from facemotion import EmotionClassifier
    from facemotion.detection import DetectedFace
    from facemotion.errors import DetectorError

    class Fixed:
        def __init__(self, face: DetectedFace) -> None:
            self.face = face

        def detect(self, image: np.ndarray) -> list[DetectedFace]:
            return [self.face]

    eyes = {"left_eye": (200.0, 200.0)}
    for face, says in [
        (DetectedFace((float("nan"), 0, 50, 50), 0.9), "box .* is not 4 finite numbers"),
        (DetectedFace((600, 600, 50, 50), 0.9), "lies outside the 512×512 image"),
        (DetectedFace((10, 10, 0, 50), 0.9), r"outside the 512×512 image \(or is under 2 px\)"),
        (DetectedFace((0, 0, 10_000_000, 10_000_000), 0.9), "full_box .* is no face's framing"),
        (DetectedFace((10, 10, 50, 50), None), "score None is not a confidence"),  # type: ignore[arg-type]
        (DetectedFace((10, 10, 50, 50), 0.9, {"left_eye": (float("nan"), 1.0)}), "landmark 'left_eye'"),
    ]:
        clf = EmotionClassifier(detector=Fixed(face))
        with pytest.raises(DetectorError, match="returned a face that cannot be used: .*" + says):
            clf.predict(astronaut)
        assert clf.predict([astronaut], errors="skip")[0].error
    cut = EmotionClassifier(detector=Fixed(DetectedFace(np.array([-20, 100, 120, 120]), 0.9, eyes)))  # type: ignore[arg-type]
    (face,) = cut.predict(astronaut)
    assert face.box == (0, 100, 100, 120) and all(type(v) is int for v in face.box)
    assert face.to_dict()["box"] == [0, 100, 100, 120]


def test_a_failed_input_of_a_list_is_named_by_its_place(astronaut: np.ndarray) -> None:
    from facemotion import EmotionClassifier
    from facemotion.errors import ImageReadError

    with pytest.raises(ImageReadError, match=r"^input 2 of 3: the array holds NaN"):
        EmotionClassifier().predict([astronaut, np.full((9, 9), np.nan), astronaut])
    with pytest.raises(ImageReadError, match=r"^input 3 of 3: the array has shape \(3, 5, 7\)"):
        EmotionClassifier().predict_faces([astronaut, astronaut, np.zeros((3, 5, 7), np.uint8)])


def test_analyze_group_can_skip_what_it_cannot_read(astronaut: np.ndarray, tmp_path: Path) -> None:
    moods = analyze_group([astronaut, tmp_path / "nope.jpg"], errors="skip")
    assert [m.count for m in moods] == [1, 0] and moods[0].error is None
    assert moods[1].error is not None and "no such file" in moods[1].error and moods[1].to_dict()["error"]
    with pytest.raises(ImageReadError, match="input 2 of 2"):
        analyze_group([astronaut, tmp_path / "nope.jpg"])
    from facemotion import ValenceArousalRegressor

    with pytest.raises(TypeError, match=r"takes the faces of EmotionClassifier.predict .*not FaceAffect"):
        GroupMood.from_faces(ValenceArousalRegressor().predict(astronaut))


def test_what_a_notebook_user_gets_wrong_is_answered(astronaut: np.ndarray) -> None:
    import copy
    import io
    import json
    import pickle

    from facemotion import EmotionClassifier
    from facemotion.errors import FacemotionError

    clf = EmotionClassifier()
    with pytest.raises(ImageReadError, match=r"PIL.Image.open\(io.BytesIO\(data\)\)"):
        clf.predict(io.BytesIO(b"\x89PNG"))
    with pytest.raises(ImageReadError, match=r"None is what cv2\.imread gives"):
        clf.predict(None)  # type: ignore[arg-type]
    for copier in (pickle.dumps, copy.deepcopy):
        with pytest.raises(FacemotionError, match="make one in each worker process"):
            copier(clf)
    faces = clf.predict(astronaut)
    record = json.loads(json.dumps(faces.to_dict()))
    assert record["error"] is None and record["faces"][0]["label"] == faces[0].label
    pytest.importorskip("pandas")
    table = faces.to_pandas()
    assert len(table) == 1 and table.loc[0, "p_happy"] == faces[0].probabilities["happy"]
    assert list(type(faces)([]).to_pandas().columns) == list(table.columns)  # no face: the same columns
    from facemotion import ValenceArousalRegressor

    regressor, blank = ValenceArousalRegressor(), np.zeros((64, 64, 3), np.uint8)
    affect = list(regressor.predict(astronaut).to_pandas().columns)
    assert affect[:2] == ["valence", "arousal"] and list(regressor.predict(blank).to_pandas().columns) == affect


def test_a_close_up_whose_face_reaches_past_every_edge_is_read() -> None:
    """The default detector keeps faces of which a quarter is in the photo: their framing reached 2.2 times
    the photo's side, and the check of detectors' faces (a limit of 2) turned them into errors."""
    from facemotion import EmotionClassifier
    from facemotion.io import read_image

    from conftest import DATA, need

    image = read_image(need(DATA / "portraits" / "happy" / "Anderson_Varejao_0001.jpg"))
    height, width = image.shape[:2]
    close_up = image[height // 4 : height // 4 + height // 2, width // 4 : width // 4 + width // 2]
    (face,) = EmotionClassifier().predict(close_up)
    assert face.box == (0, 0, close_up.shape[1], close_up.shape[0])
