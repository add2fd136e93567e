"""The public entry points: `EmotionClassifier`, `ValenceArousalRegressor`, `analyze_group`.

Inputs are a path, a numpy array (H×W×3 **RGB** uint8, or grey H×W; other dtypes are
scaled as `facemotion.io` says), a PIL image, or a list of these. A single input gives
its `Faces` (a list of faces); a list or tuple gives one `Faces` per input, in order.

One unreadable input in a list raises by default; ``errors="skip"`` gives it an empty
`Faces` whose ``error`` says why, and keeps every other input's results:

>>> clf = EmotionClassifier()
>>> results = clf.predict(["a.jpg", "cut.jpg", "b.jpg"], errors="skip")  # doctest: +SKIP
>>> [(len(r), r.error) for r in results]  # doctest: +SKIP
[(3, None), (0, 'cut.jpg is corrupt or truncated: ...'), (1, None)]

Inputs over `facemotion.io.MAX_DECODED_PIXELS` are analysed reduced (JPEGs decoded at
1/2, 1/4 or 1/8 size); boxes are always given in the input's own pixels. A photo with an
EXIF orientation tag is read upright, as viewers show it, and its boxes are in that upright
image: for a PIL image, draw them on ``PIL.ImageOps.exif_transpose(image)``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, overload

import numpy as np
from numpy.typing import NDArray

from facemotion.detection import DEFAULT_DETECTOR, DetectedFace, FaceDetector, crop_face, get_detector
from facemotion.detection.base import checked_face
from facemotion.errors import DetectorError, FacemotionError, ImageReadError, OptionError
from facemotion.io import ACCEPTED, ImageLike, input_hint, read_image_reduced
from facemotion.labels import EMOTIONS
from facemotion.options import is_whole_number
from facemotion.results import FaceAffect, FaceEmotion, Faces, GroupMood, rounded_affect
from facemotion.runtime import FaceModel, ModelOutput, Runtime

SelfT = TypeVar("SelfT", bound="_FacePipeline")
ResultT = TypeVar("ResultT", FaceEmotion, FaceAffect)
#: What ``predict`` does with an input it cannot read: raise, or skip it (an empty `Faces` with ``error``).
Errors = Literal["raise", "skip"]
ERRORS: tuple[str, ...] = get_args(Errors)
#: A list or tuple of inputs (a batch); anything else is one input.
Batch = list[ImageLike] | tuple[ImageLike, ...]


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
        if not is_whole_number(min_face_size, minimum=0):
            raise OptionError(f"min_face_size={min_face_size!r} must be a whole number of pixels, 0 or more")
        if isinstance(model, FaceModel):
            given = {"revision": revision, "cache_dir": cache_dir, "mirror": mirror}
            extra = [name for name, value in given.items() if value is not None] + (["runtime"] * (runtime != "auto"))
            if extra:
                raise FacemotionError(
                    f"{', '.join(extra)} cannot be applied to a FaceModel that is already loaded; "
                    "pass them to FaceModel(...) or give a model name or folder instead"
                )
            self.model = model
        else:
            self.model = FaceModel(model, revision, cache_dir=cache_dir, runtime=runtime, mirror=mirror)
        self._detector = get_detector(detector)  # an unknown or uninstalled detector fails here, not at predict
        self._detector_spec = detector
        self.min_face_size = int(min_face_size)

    def __reduce__(self) -> Any:
        raise FacemotionError(
            f"{type(self).__name__} objects hold LiteRT interpreters and cannot be pickled or copied: make one in "
            "each worker process (a multiprocessing Pool initializer), or share one between threads"
        )

    @classmethod
    def from_pretrained(cls: type[SelfT], model: str | Path, revision: str | None = None, **kwargs: Any) -> SelfT:
        """Load a model directory or a Hub id (pin ``revision`` for reproducible results)."""
        return cls(model, revision=revision, **kwargs)

    @property
    def detector(self) -> FaceDetector:
        """The face detector this pipeline uses."""
        return self._detector

    @property
    def detector_name(self) -> str:
        """The detector's registered name (``"blazeface"`` by default), or its class name for your own."""
        spec = self._detector_spec
        return spec if isinstance(spec, str) else DEFAULT_DETECTOR if spec is None else type(spec).__name__

    def detect_and_crop(
        self, image: NDArray[np.uint8], *, scale: float = 1.0, detector: FaceDetector | None = None
    ) -> tuple[list[DetectedFace], list[NDArray[np.uint8]]]:
        """Find the faces of one RGB image and return them with their aligned crops.

        Only faces the detector finds count: an image with none (noise, a texture, a dark
        frame) gives an empty list. A face crop handed over as a photo is found by the
        default detector itself (98 % of FER+ ``val`` faces; see docs/detection.md).
        ``scale`` is how many input pixels one pixel of ``image`` stands for (a large photo
        analysed reduced), so that ``min_face_size`` keeps meaning the input's pixels.
        ``detector``: another detector for this call (a video's frames use the default
        detector's `facemotion.detection.BlazeFaceDetector.for_video`).
        """
        margin = self.model.config.preprocessing.margin
        smallest = self.min_face_size / scale  # min_face_size is in the input's pixels
        faces = [f for f in self._detect(image, detector or self.detector) if min(f.box[2:]) >= smallest]
        return faces, [crop_face(image, f, margin) for f in faces]

    def _detect(self, image: NDArray[np.uint8], detector: FaceDetector) -> list[DetectedFace]:
        """The detector's faces; a detector of your own that fails or returns something else is a `DetectorError`."""
        try:
            found = detector.detect(image)
        except FacemotionError:
            raise
        except Exception as err:
            raise DetectorError(f"the {self.detector_name} detector failed: {type(err).__name__}: {err}") from err
        if not isinstance(found, (list, tuple)) or not all(isinstance(f, DetectedFace) for f in found):
            raise DetectorError(
                f"the {self.detector_name} detector returned {_short_repr(found)}; detect() must return a list "
                "of facemotion.detection.DetectedFace"
            )
        try:
            return [checked_face(f, image.shape[1], image.shape[0]) for f in found]
        except ValueError as err:
            raise DetectorError(
                f"the {self.detector_name} detector returned a face that cannot be used: {err}"
            ) from None

    def _analyze(
        self, images: Sequence[ImageLike], errors: Errors
    ) -> tuple[list[list[DetectedFace]], list[str | None], ModelOutput]:
        """Faces of every input (in the input's own pixels), each input's error, and one model call."""
        detections: list[list[DetectedFace]] = []
        failures: list[str | None] = []
        crops: list[NDArray[np.uint8]] = []
        for number, source in enumerate(images):
            try:
                image, scale = read_image_reduced(source)
                faces, face_crops = self.detect_and_crop(image, scale=scale)
            except (ImageReadError, DetectorError) as err:
                if errors == "raise" and len(images) > 1:  # say which of the inputs
                    raise type(err)(f"input {number + 1} of {len(images)}: {err}") from err
                if errors == "raise":
                    raise
                detections.append([])
                failures.append(str(err))
                continue
            if scale != 1.0:
                height, width = image.shape[:2]
                size = (round(width * scale), round(height * scale))
                faces = [_rescaled(face, scale, *size) for face in faces]
            detections.append(faces)
            failures.append(None)
            crops.extend(face_crops)
        return detections, failures, self.model.run(crops)

    def _predict(
        self,
        images: Any,
        errors: Errors,
        make: Callable[[ModelOutput, int, DetectedFace | None], ResultT],
        face_type: type[ResultT],
    ) -> Faces[ResultT] | list[Faces[ResultT]]:
        """Shared body of ``predict``: one model call for the faces of every input."""
        if errors not in ERRORS:
            raise FacemotionError(f"errors={errors!r} must be one of {', '.join(map(repr, ERRORS))}")
        batch = _is_batch(images)
        if not batch and not _is_image_like(images):
            raise ImageReadError(
                f"cannot read an image from {type(images).__name__}; predict takes {ACCEPTED}, "
                f"or a list or tuple of these{input_hint(images)}"
            )
        detections, failures, out = self._analyze(list(images) if batch else [images], errors)
        results: list[Faces[ResultT]] = []
        i = 0
        for faces, error in zip(detections, failures, strict=True):
            results.append(Faces([make(out, i + k, face) for k, face in enumerate(faces)], error, face_type))
            i += len(faces)
        return results if batch else results[0]

    def _predict_faces(
        self, crops: Any, make: Callable[[ModelOutput, int, DetectedFace | None], ResultT]
    ) -> ResultT | list[ResultT]:
        batch = _is_batch(crops)
        if isinstance(crops, np.ndarray) and crops.ndim == 4:
            raise ImageReadError(
                f"predict_faces takes one crop or a list of crops, not an array of shape {crops.shape}; "
                "for an (N, H, W, C) batch pass list(array)"
            )
        if not batch and not _is_image_like(crops):
            raise ImageReadError(
                f"cannot read a face crop from {type(crops).__name__}; predict_faces takes {ACCEPTED}, "
                f"or a list or tuple of these{input_hint(crops)}"
            )
        items = list(crops) if batch else [crops]
        images = []
        for number, crop in enumerate(items):
            try:
                images.append(read_image_reduced(crop)[0])
            except ImageReadError as err:
                if len(items) > 1:  # say which of the crops
                    raise ImageReadError(f"input {number + 1} of {len(items)}: {err}") from err
                raise
        out = self.model.run(images)
        results = [make(out, i, None) for i in range(len(images))]
        return results if batch else results[0]


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_batch(images: Any) -> bool:
    return isinstance(images, (list, tuple))


def _is_image_like(source: Any) -> bool:
    return isinstance(source, (str, os.PathLike, np.ndarray)) or (
        hasattr(source, "convert") and hasattr(source, "size")
    )


def _rescaled(face: DetectedFace, scale: float, width: int, height: int) -> DetectedFace:
    """``face`` found in a reduced image, in the pixels of the (width × height) original."""
    x, y, w, h = face.box
    left, top = min(round(x * scale), width - 1), min(round(y * scale), height - 1)
    right, bottom = min(round((x + w) * scale), width), min(round((y + h) * scale), height)
    box = (left, top, max(1, right - left), max(1, bottom - top))
    marks = {k: (px * scale, py * scale) for k, (px, py) in face.landmarks.items()} if face.landmarks else None
    full = tuple(v * scale for v in face.full_box) if face.full_box else None
    return dataclasses.replace(face, box=box, landmarks=marks, full_box=full)  # type: ignore[arg-type]


def _emotion(out: ModelOutput, i: int, face: DetectedFace | None) -> FaceEmotion:
    probs = out.probabilities[i]
    top = int(np.argmax(probs))
    return FaceEmotion(
        label=EMOTIONS[top],
        score=float(probs[top]),
        probabilities={label: float(p) for label, p in zip(EMOTIONS, probs, strict=True)},
        valence=rounded_affect(out.affect[i, 0]),
        arousal=rounded_affect(out.affect[i, 1]),
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
        min_face_size: ignore detected faces smaller than this many pixels (a whole number, 0 or more).
        runtime: ``"auto"`` (the model's LiteRT export when it has one, the faster of its int8 and
            float32 exports for this CPU), ``"keras"``, ``"tflite"``, ``"tflite-int8"`` or ``"tflite-float32"``.
        mirror: also run each face flipped left–right and average (slightly more accurate, 2×
            model time); ``None`` (default) follows the model's setting, off for the bundled model.

    Every argument is checked here: a wrong value, an unknown runtime or detector, or a
    detector whose optional extra is not installed raises a `FacemotionError` at construction.

    >>> clf = EmotionClassifier()
    >>> faces = clf.predict("group.jpg")  # doctest: +SKIP
    >>> faces[0].label, faces[0].box  # doctest: +SKIP
    ('happy', (194, 90, 37, 37))
    """

    @overload
    def predict(self, images: Batch, *, errors: Errors = "raise") -> list[Faces[FaceEmotion]]: ...
    @overload
    def predict(self, images: ImageLike, *, errors: Errors = "raise") -> Faces[FaceEmotion]: ...
    def predict(
        self, images: ImageLike | Batch, *, errors: Errors = "raise"
    ) -> Faces[FaceEmotion] | list[Faces[FaceEmotion]]:
        """Detect faces and classify each, with one model call for all of them.

        Args:
            images: one image (a path, an RGB numpy array — convert OpenCV's BGR with
                ``cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)`` —, a PIL image) or a list or tuple of them.
            errors: ``"raise"`` (default): an unreadable input raises `ImageReadError`.
                ``"skip"``: it gives an empty `Faces` whose ``error`` says why; the others
                keep their results.

        Returns:
            For one image, its `Faces` (a list of `FaceEmotion`, empty when no face was
            found); for a list or tuple, one `Faces` per input, in order.
        """
        return self._predict(images, errors, _emotion, FaceEmotion)

    @overload
    def predict_faces(self, crops: Batch) -> list[FaceEmotion]: ...
    @overload
    def predict_faces(self, crops: ImageLike) -> FaceEmotion: ...
    def predict_faces(self, crops: ImageLike | Batch) -> FaceEmotion | list[FaceEmotion]:
        """Classify already-cropped faces (any size, grey or colour), all in one batch.

        Args:
            crops: one face crop (a path, an array or a PIL image) or a list or tuple of them.

        Returns:
            One `FaceEmotion` for one crop; a list of them, in order, for a list or tuple.
        """
        return self._predict_faces(crops, _emotion)


def _affect(out: ModelOutput, i: int, face: DetectedFace | None) -> FaceAffect:
    return FaceAffect(
        valence=rounded_affect(out.affect[i, 0]),
        arousal=rounded_affect(out.affect[i, 1]),
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
    def predict(self, images: Batch, *, errors: Errors = "raise") -> list[Faces[FaceAffect]]: ...
    @overload
    def predict(self, images: ImageLike, *, errors: Errors = "raise") -> Faces[FaceAffect]: ...
    def predict(
        self, images: ImageLike | Batch, *, errors: Errors = "raise"
    ) -> Faces[FaceAffect] | list[Faces[FaceAffect]]:
        """Detect faces and place each on the plane (same inputs, ``errors`` and results as
        `EmotionClassifier.predict`, with `FaceAffect` for each face)."""
        return self._predict(images, errors, _affect, FaceAffect)

    @overload
    def predict_faces(self, crops: Batch) -> list[FaceAffect]: ...
    @overload
    def predict_faces(self, crops: ImageLike) -> FaceAffect: ...
    def predict_faces(self, crops: ImageLike | Batch) -> FaceAffect | list[FaceAffect]:
        """Place already-cropped faces on the plane, all in one batch: one `FaceAffect` for one
        crop, a list of them for a list or tuple of crops."""
        return self._predict_faces(crops, _affect)


_DEFAULT_CLASSIFIER: EmotionClassifier | None = None


def checked_classifier(classifier: object, where: str) -> EmotionClassifier:
    """``classifier`` if it is an `EmotionClassifier`; the bundled model's (made once) for ``None``.

    >>> try:
    ...     checked_classifier("fast", "analyze_group")
    ... except FacemotionError as err:
    ...     print(str(err).split("; ")[1])
    for a model by name pass EmotionClassifier('fast')
    """
    global _DEFAULT_CLASSIFIER
    if classifier is None:
        if _DEFAULT_CLASSIFIER is None:
            _DEFAULT_CLASSIFIER = EmotionClassifier()
        return _DEFAULT_CLASSIFIER
    if not isinstance(classifier, EmotionClassifier):
        hint = f"EmotionClassifier({classifier!r})" if isinstance(classifier, str) else "EmotionClassifier(...)"
        raise FacemotionError(
            f"{where}: classifier must be an EmotionClassifier or None (the bundled model), not "
            f"{type(classifier).__name__}{' ' + repr(classifier) if isinstance(classifier, str) else ''}; "
            f"for a model by name pass {hint}"
        )
    return classifier


@overload
def analyze_group(
    image: Batch, classifier: EmotionClassifier | None = None, *, errors: Errors = "raise"
) -> list[GroupMood]: ...
@overload
def analyze_group(
    image: ImageLike, classifier: EmotionClassifier | None = None, *, errors: Errors = "raise"
) -> GroupMood: ...
def analyze_group(
    image: ImageLike | Batch, classifier: EmotionClassifier | None = None, *, errors: Errors = "raise"
) -> GroupMood | list[GroupMood]:
    """The mood of everyone in a photo: faces, mean valence/arousal, emotion shares, dominant emotion.

    One image gives one `GroupMood`; a list or tuple of images gives one per image, in
    order (the faces of all of them go through the model in one call). ``errors="skip"``:
    an unreadable image gives a `GroupMood` without faces whose ``error`` says why.

    >>> mood = analyze_group("cafe.jpg")  # doctest: +SKIP
    >>> mood.count, mood.dominant_emotion, round(mood.mean_valence, 2)  # doctest: +SKIP
    (7, 'happy', 0.41)
    """
    classifier = checked_classifier(classifier, "analyze_group")
    if isinstance(image, (list, tuple)):
        return [GroupMood.from_faces(faces) for faces in classifier.predict(image, errors=errors)]
    return GroupMood.from_faces(classifier.predict(image, errors=errors))
