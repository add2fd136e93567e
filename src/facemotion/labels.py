"""The nine emotion labels and their anchor points on the valence–arousal plane.

The label order below is the index order of every model, file and output.

Anchors are the valence and arousal norms of the emotion words from
Warriner, Kuperman & Brysbaert (2013), *Norms of valence, arousal, and dominance for
13,915 English lemmas*, Behavior Research Methods 45(4), 1191–1207,
doi:10.3758/s13428-012-0314-x. The published means (1–9 scale) were rounded to two
decimals and mapped to [-1, 1] with ``(x - 5) / 4``. ``uncertain`` is not an emotion
word; it is placed at the mean of the other eight anchors pulled halfway to the
origin, so that a face nobody agrees on sits near the centre of the plane.

>>> EMOTIONS[4], anchor("happy")
('happy', (0.87, 0.26))
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

#: Names of a model's two outputs: 9 emotion logits and 2 valence–arousal values.
EMOTION_OUTPUT: Final = "emotion"
VA_OUTPUT: Final = "valence_arousal"

EMOTIONS: Final[tuple[str, ...]] = (
    "anger",
    "contempt",
    "disgust",
    "fear",
    "happy",
    "neutral",
    "sad",
    "surprise",
    "uncertain",
)

#: Warriner et al. (2013) valence and arousal means on the 1–9 scale for the word used.
WORD_NORMS: Final[dict[str, tuple[str, float, float]]] = {
    "anger": ("anger", 2.50, 5.93),
    "contempt": ("contempt", 3.32, 3.90),
    "disgust": ("disgust", 2.45, 5.00),
    "fear": ("fear", 2.93, 6.14),
    "happy": ("happy", 8.47, 6.05),
    "neutral": ("neutral", 5.29, 2.70),
    "sad": ("sad", 2.10, 3.49),
    "surprise": ("surprise", 7.44, 6.57),
}


def _build_anchors() -> NDArray[np.float32]:
    rows = [((v - 5.0) / 4.0, (a - 5.0) / 4.0) for _, v, a in WORD_NORMS.values()]
    table = np.round(np.array(rows, dtype=np.float64), 2)
    uncertain = np.round(table.mean(axis=0) / 2.0, 2) + 0.0
    return np.vstack([table, uncertain]).astype(np.float32)


#: Anchor (valence, arousal) per label, shape (9, 2), rows in ``EMOTIONS`` order.
ANCHORS: Final[NDArray[np.float32]] = _build_anchors()

#: Common folder-name synonyms accepted for each label.
SYNONYMS: Final[dict[str, str]] = {
    **{label: label for label in EMOTIONS},
    "angry": "anger",
    "mad": "anger",
    "contemptuous": "contempt",
    "disgusted": "disgust",
    "afraid": "fear",
    "fearful": "fear",
    "scared": "fear",
    "happiness": "happy",
    "joy": "happy",
    "sadness": "sad",
    "unhappy": "sad",
    "surprised": "surprise",
    "calm": "neutral",
    "unknown": "uncertain",
}


def anchor(label: str) -> tuple[float, float]:
    """Return the (valence, arousal) anchor of ``label`` (one of ``EMOTIONS``)."""
    v, a = ANCHORS[EMOTIONS.index(label)]
    return round(float(v), 2), round(float(a), 2)


def canonical_label(name: str) -> str | None:
    """Map a folder or column name such as ``"Angry"`` to its label, or ``None``."""
    return SYNONYMS.get(name.strip().lower())


def expected_affect(probabilities: NDArray[np.floating]) -> NDArray[np.float32]:
    """Probability-weighted mean of the anchors: (..., 9) → (..., 2)."""
    return np.asarray(probabilities, dtype=np.float32) @ ANCHORS
