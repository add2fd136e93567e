"""The public entry points: `EmotionClassifier`, `ValenceArousalRegressor`, `analyze_group`.

Inputs are a path, a numpy array (H×W×3 **RGB** uint8, or grey H×W), a PIL image, or a
list of these. A single input gives a list of faces; a list gives one list per input.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

from facemotion.detection import DetectedFace, FaceDetector, crop_face, get_detector
from facemotion.io import ImageLike, read_image
from facemotion.labels import EMOTIONS
from facemotion.results import FaceAffect, FaceEmotion, GroupMood
from facemotion.runtime import FaceModel, ModelOutput, Runtime

SelfT = TypeVar("SelfT", bound="_FacePipeline")
#: Largest side of an image taken as one whole face when no face is detected in it (a face crop).
WHOLE_FACE_SIDE = 128
ResultT = TypeVar("ResultT", FaceEmotion, FaceAffect)


class _FacePipeline:
    """Detect faces, crop and align them, and run the model on all of them in one batch."""

    def __init__(
        self,
        model: str | Path | FaceModel | None = None,
        *,
        revision: str | None = None,
        detector: str | FaceDetector | None = None,
        min_face_size: int = 0,
        cache_dir: str | Path | None = None,
        runtime: Runtime = "auto",
        mirror: bool | None = None,
    ) -> None:
        self.model = (
            model
            if isinstance(model, FaceModel)
            else FaceModel(model, revision, cache_dir=cache_dir, runtime=runtime, mirror=mirror)
        )
        self._detector_spec = detector
        self.min_face_size = min_face_size

    @classmethod
    def from_pretrained(cls: type[SelfT], model: str | Path, revision: str | None = None, **kwargs: Any) -> SelfT:
        """Load a model directory or a Hub id (pin ``revision`` for reproducible results)."""
        return cls(model, revision=revision, **kwargs)

    @property
    def detector(self) -> FaceDetector:
        return get_detector(self._detector_spec)

    def detect_and_crop(self, image: NDArray[np.uint8]) -> tuple[list[DetectedFace], list[NDArray[np.uint8]]]:
        """Find the faces of one RGB image and return them with their aligned crops.

        A small, squarish image in which no face is found (at most `WHOLE_FACE_SIDE`
        pixels a side, not a flat colour: a face crop handed over as a photo) is taken as
        one face filling the frame, with a ``detection_score`` of 0.
        """
        margin = self.model.config.preprocessing.margin
        faces = [f for f in self.detector.detect(image) if min(f.box[2:]) >= self.min_face_size]
        height, width = image.shape[:2]
        small_square = max(height, width) <= WHOLE_FACE_SIDE and 0.75 <= width / height <= 1.33
        if not faces and small_square and float(image.std()) > 8.0:  # a flat image is no face
            faces = [DetectedFace((0, 0, width, height), 0.0)]
        return faces, [crop_face(image, f, margin) for f in faces]

    def _analyze(self, images: Sequence[ImageLike]) -> tuple[list[list[DetectedFace]], ModelOutput]:
        detections: list[list[DetectedFace]] = []
        crops: list[NDArray[np.uint8]] = []
        for source in images:
            faces, face_crops = self.detect_and_crop(read_image(source))
            detections.append(faces)
            crops.extend(face_crops)
        return detections, self.model.run(crops)

    def _predict(self, images: Any, make: Callable[[ModelOutput, int, DetectedFace | None], ResultT]) -> Any:
        """Shared body of ``predict``: one model call for the faces of every input."""
        batch = list(images) if _is_batch(images) else [images]
        detections, out = self._analyze(batch)
        results, i = [], 0
        for faces in detections:
            results.append([make(out, i + k, face) for k, face in enumerate(faces)])
            i += len(faces)
        return results if _is_batch(images) else results[0]

    def _predict_faces(
        self, crops: Sequence[ImageLike], make: Callable[[ModelOutput, int, DetectedFace | None], ResultT]
    ) -> list[ResultT]:
        out = self.model.run([read_image(c) for c in crops])
        return [make(out, i, None) for i in range(len(crops))]


def _is_batch(images: Any) -> bool:
    return isinstance(images, (list, tuple))


def _emotion(out: ModelOutput, i: int, face: DetectedFace | None) -> FaceEmotion:
    probs = out.probabilities[i]
    top = int(np.argmax(probs))
    return FaceEmotion(
        label=EMOTIONS[top],
        score=float(probs[top]),
        probabilities={label: float(p) for label, p in zip(EMOTIONS, probs, strict=True)},
        valence=float(out.affect[i, 0]),
        arousal=float(out.affect[i, 1]),
        box=face.box if face else None,
        detection_score=face.score if face else None,
    )


class EmotionClassifier(_FacePipeline):
    """Classify every face into the nine emotions (and place it on the valence–arousal plane).

    Args:
        model: ``None`` for the bundled default model, a model directory, or a Hub id.
        revision: Hub revision (tag, branch or commit) when ``model`` is a Hub id.
        cache_dir: Hugging Face cache folder for Hub ids (default: the standard cache).
        detector: ``"blazeface"`` (default, fast), ``"mtcnn"`` (slower, a second opinion), ``"retinaface"``
            (optional extra) or your own detector.
        min_face_size: ignore detected faces smaller than this many pixels.
        runtime: ``"auto"`` (the model's LiteRT export when it has one, the faster of its int8 and
            float32 exports for this CPU), ``"keras"``, ``"tflite"``, ``"tflite-int8"`` or ``"tflite-float32"``.
        mirror: also run each face flipped left–right and average (slightly more accurate, 2×
            model time); ``None`` (default) follows the model's setting, off for the bundled model.

    >>> clf = EmotionClassifier()
    >>> faces = clf.predict("group.jpg")  # doctest: +SKIP
    >>> faces[0].label, faces[0].box  # doctest: +SKIP
    ('happy', (194, 90, 37, 37))
    """

    @overload
    def predict(self, images: list[ImageLike] | tuple[ImageLike, ...]) -> list[list[FaceEmotion]]: ...
    @overload
    def predict(self, images: ImageLike) -> list[FaceEmotion]: ...
    def predict(self, images: Any) -> Any:
        """Detect faces and classify each; a list of inputs gives a list of results."""
        return self._predict(images, _emotion)

    def predict_faces(self, crops: Sequence[ImageLike]) -> list[FaceEmotion]:
        """Classify already-cropped faces (any size, grey or colour), all in one batch."""
        return self._predict_faces(crops, _emotion)


def _affect(out: ModelOutput, i: int, face: DetectedFace | None) -> FaceAffect:
    return FaceAffect(
        valence=float(out.affect[i, 0]),
        arousal=float(out.affect[i, 1]),
        box=face.box if face else None,
        detection_score=face.score if face else None,
    )


class ValenceArousalRegressor(_FacePipeline):
    """Place every face on Russell's valence–arousal plane (both in [-1, 1]).

    Takes the same arguments as `EmotionClassifier`. A model without a
    valence–arousal head places faces at the probability-weighted mean of the anchors.

    >>> reg = ValenceArousalRegressor()
    >>> reg.predict("group.jpg")  # doctest: +SKIP
    [FaceAffect(valence=0.71, arousal=0.22, box=(194, 90, 37, 37), detection_score=0.99)]
    """

    @overload
    def predict(self, images: list[ImageLike] | tuple[ImageLike, ...]) -> list[list[FaceAffect]]: ...
    @overload
    def predict(self, images: ImageLike) -> list[FaceAffect]: ...
    def predict(self, images: Any) -> Any:
        """Detect faces and place each on the plane; a list of inputs gives a list of results."""
        return self._predict(images, _affect)

    def predict_faces(self, crops: Sequence[ImageLike]) -> list[FaceAffect]:
        """Place already-cropped faces on the plane, all in one batch."""
        return self._predict_faces(crops, _affect)


_DEFAULT_CLASSIFIER: EmotionClassifier | None = None


def analyze_group(image: ImageLike, classifier: EmotionClassifier | None = None) -> GroupMood:
    """The mood of everyone in a photo: faces, mean valence/arousal, emotion shares, dominant emotion.

    >>> mood = analyze_group("cafe.jpg")  # doctest: +SKIP
    >>> mood.count, mood.dominant_emotion, round(mood.mean_valence, 2)  # doctest: +SKIP
    (7, 'happy', 0.41)
    """
    global _DEFAULT_CLASSIFIER
    if classifier is None:
        if _DEFAULT_CLASSIFIER is None:
            _DEFAULT_CLASSIFIER = EmotionClassifier()
        classifier = _DEFAULT_CLASSIFIER
    return GroupMood.from_faces(classifier.predict(image))
