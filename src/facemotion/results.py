"""Typed, frozen results with ``to_dict()`` (and ``to_pandas()`` for collections)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

from facemotion.labels import EMOTIONS

Box = tuple[int, int, int, int]
#: Decimals kept for valence and arousal: the bundled int8 model's output moves in steps of
#: 1/128 (about 0.008), so a third decimal would claim a precision the model does not have.
AFFECT_DECIMALS = 2


def rounded_affect(value: Any) -> float:
    """A valence or arousal from the model as results give it: to `AFFECT_DECIMALS` decimals.

    >>> rounded_affect(0.4271)
    0.43
    """
    return round(float(value), AFFECT_DECIMALS)


def scaled_box(box: Box, factor: float) -> Box:
    """``box`` in pixels ``factor`` times as large (at least 1 pixel wide and high).

    >>> scaled_box((1000, 600, 801, 400), 1 / 4)
    (250, 150, 200, 100)
    """
    x, y, w, h = box
    return round(x * factor), round(y * factor), max(1, round(w * factor)), max(1, round(h * factor))


def _face_dict(face: FaceEmotion | FaceAffect) -> dict[str, Any]:
    data = asdict(face)
    data["box"] = list(face.box) if face.box else None
    return data


@dataclass(frozen=True)
class FaceEmotion:
    """The emotion of one face.

    Attributes:
        label: the most probable of the nine emotions (an exact tie, which the int8 model's
            quantised probabilities allow, goes to the one first in ``EMOTIONS``).
        score: its probability.
        probabilities: probability of every label, in ``EMOTIONS`` order.
        valence: pleasantness in [-1, 1], to `AFFECT_DECIMALS` (2) decimals.
        arousal: activation in [-1, 1], to 2 decimals.
        box: ``(x, y, w, h)`` in the input image, ``None`` for a given crop.
        detection_score: detector confidence, ``None`` for a given crop.
    """

    label: str
    score: float
    probabilities: dict[str, float]
    valence: float
    arousal: float
    box: Box | None = None
    detection_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _face_dict(self)


@dataclass(frozen=True)
class FaceAffect:
    """Where one face sits on the valence–arousal plane (both in [-1, 1], to 2 decimals)."""

    valence: float
    arousal: float
    box: Box | None = None
    detection_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return _face_dict(self)


FaceT = TypeVar("FaceT", bound="FaceEmotion | FaceAffect")


class Faces(list[FaceT]):
    """The faces found in one input: a plain list, plus ``error``.

    ``error`` is ``None`` when the input was read (the list may still be empty: no face
    found), or why the input could not be read when ``predict(..., errors="skip")`` skipped
    it (the list is then empty). "No face" and "failed" can never be confused.

    >>> ok, failed = Faces([]), Faces([], error="x.jpg: no such file")
    >>> len(ok), ok.error, len(failed), failed.error
    (0, None, 0, 'x.jpg: no such file')
    >>> failed.to_dict()
    {'faces': [], 'error': 'x.jpg: no such file'}
    """

    def __init__(
        self, faces: Iterable[FaceT] = (), error: str | None = None, face_type: type[FaceT] | None = None
    ) -> None:
        super().__init__(faces)
        self.error = error
        #: `FaceEmotion` or `FaceAffect` (what `predict` made; ``None``: unknown): the columns of an empty table.
        self.face_type = face_type

    def to_dict(self) -> dict[str, Any]:
        """``{"faces": [each face's to_dict()], "error": error}``: JSON-ready."""
        return {"faces": [face.to_dict() for face in self], "error": self.error}

    def to_pandas(self) -> Any:
        """One row per face (needs pandas): `faces_to_pandas`."""
        return faces_to_pandas(self, self.face_type)

    def __repr__(self) -> str:
        return f"Faces({list.__repr__(self)}, error={self.error!r})" if self.error else list.__repr__(self)


@dataclass(frozen=True)
class GroupMood:
    """The mood of the people in one image.

    ``mean_valence`` / ``mean_arousal`` are ``None`` when no face was found. ``error``: why the
    image could not be read, when ``analyze_group(..., errors="skip")`` skipped it (no faces then).
    """

    faces: tuple[FaceEmotion, ...]
    mean_valence: float | None
    mean_arousal: float | None
    emotion_shares: dict[str, float] = field(default_factory=dict)
    dominant_emotion: str | None = None
    error: str | None = None

    @property
    def count(self) -> int:
        return len(self.faces)

    @classmethod
    def from_faces(cls, faces: Sequence[FaceEmotion]) -> GroupMood:
        """Summarise faces (`EmotionClassifier.predict`'s): mean valence/arousal, the share of each top
        label, the commonest one; the ``error`` of a skipped input is kept."""
        error = getattr(faces, "error", None)
        if not faces:
            return cls((), None, None, {label: 0.0 for label in EMOTIONS}, None, error)
        if not all(isinstance(f, FaceEmotion) for f in faces):
            raise TypeError(
                "GroupMood.from_faces takes the faces of EmotionClassifier.predict (FaceEmotion), "
                f"not {type(next(f for f in faces if not isinstance(f, FaceEmotion))).__name__}"
            )
        n = len(faces)
        shares = {label: sum(f.label == label for f in faces) / n for label in EMOTIONS}
        dominant = max(EMOTIONS, key=lambda label: (shares[label], sum(f.probabilities[label] for f in faces)))
        return cls(
            tuple(faces),
            sum(f.valence for f in faces) / n,
            sum(f.arousal for f in faces) / n,
            shares,
            dominant,
            error,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean_valence": self.mean_valence,
            "mean_arousal": self.mean_arousal,
            "emotion_shares": dict(self.emotion_shares),
            "dominant_emotion": self.dominant_emotion,
            "faces": [f.to_dict() for f in self.faces],
            "error": self.error,
        }

    def to_pandas(self) -> Any:
        """One row per face (needs pandas)."""
        return faces_to_pandas(self.faces)


def faces_to_pandas(faces: Sequence[FaceEmotion | FaceAffect], face_type: type[Any] | None = None) -> Any:
    """A pandas DataFrame with one row per face and one column per label probability
    (no face: no row, and the columns of ``face_type``, by default `FaceEmotion`)."""
    from facemotion.extras import require

    pd = require("pandas", "pandas")
    rows = []
    for face in faces:
        row = face.to_dict()
        row.update({f"p_{k}": v for k, v in row.pop("probabilities", {}).items()})
        rows.append(row)
    if not rows:
        if face_type is FaceAffect:
            return pd.DataFrame(columns=[f.name for f in fields(FaceAffect)])
        columns = [f.name for f in fields(FaceEmotion) if f.name != "probabilities"] + [f"p_{k}" for k in EMOTIONS]
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(rows)
