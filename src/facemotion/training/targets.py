"""Training targets: soft emotion labels from crowd votes and valence–arousal targets.

FER+ gives ten vote counts per image. `soft_labels_from_votes` maps them to the
nine labels (``unknown`` votes count for ``uncertain``; ``NF``, not a face, is dropped).
Where no real valence–arousal labels exist, `affect_from_votes` gives an
image-specific target, the vote-weighted mean of the label anchors, and
`affect_near_anchor` reproduces the reference study: a random point near the
anchor of the image's emotion.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray

from facemotion.labels import ANCHORS, EMOTIONS

#: FER+ vote columns in file order and the label each counts for (``None``: dropped).
FERPLUS_VOTE_COLUMNS: Final[tuple[tuple[str, str | None], ...]] = (
    ("neutral", "neutral"),
    ("happiness", "happy"),
    ("surprise", "surprise"),
    ("sadness", "sad"),
    ("anger", "anger"),
    ("disgust", "disgust"),
    ("fear", "fear"),
    ("contempt", "contempt"),
    ("unknown", "uncertain"),
    ("NF", None),
)


def votes_to_label_counts(votes: NDArray[np.floating] | NDArray[np.integer]) -> NDArray[np.float32]:
    """Reorder FER+ vote counts (N, 10) into label order (N, 9), dropping ``NF``."""
    votes = np.asarray(votes, dtype=np.float32)
    out = np.zeros((votes.shape[0], len(EMOTIONS)), dtype=np.float32)
    for column, (_, label) in enumerate(FERPLUS_VOTE_COLUMNS):
        if label is not None:
            out[:, EMOTIONS.index(label)] += votes[:, column]
    return out


def soft_labels_from_votes(
    label_counts: NDArray[np.float32], hard_labels: NDArray[np.integer], hard_weight: float = 0.5
) -> NDArray[np.float32]:
    """Blend the crowd's vote distribution with the one-hot majority label.

    ``hard_weight`` = 0 gives the pure vote distribution, 1 the one-hot label. A blend
    keeps ``uncertain`` learnable (its images often have split votes and no
    ``unknown`` votes) while teaching the model how ambiguous each face is.

    >>> import numpy as np
    >>> soft_labels_from_votes(np.array([[0, 0, 0, 0, 8, 2, 0, 0, 0]], np.float32), np.array([4]))[0, 4]
    np.float32(0.9)
    """
    totals = label_counts.sum(axis=1, keepdims=True)
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)[np.asarray(hard_labels)]
    dist = np.where(totals > 0, label_counts / np.maximum(totals, 1e-6), one_hot)
    return (hard_weight * one_hot + (1.0 - hard_weight) * dist).astype(np.float32)


def affect_from_votes(distribution: NDArray[np.float32]) -> NDArray[np.float32]:
    """Vote-weighted mean of the anchors: a (N, 9) distribution → (N, 2) valence, arousal."""
    totals = distribution.sum(axis=1, keepdims=True)
    return np.asarray((distribution / np.maximum(totals, 1e-6)) @ ANCHORS, dtype=np.float32)


def affect_near_anchor(labels: NDArray[np.integer], spread: float = 0.1, seed: int = 0) -> NDArray[np.float32]:
    """The reference study's targets: each image's anchor plus Gaussian noise, clipped to [-1, 1].

    >>> affect_near_anchor(np.array([4, 4]), spread=0.0).tolist()
    [[0.8700000047683716, 0.25999999046325684], [0.8700000047683716, 0.25999999046325684]]
    """
    rng = np.random.default_rng(seed)
    points = ANCHORS[np.asarray(labels)] + rng.normal(0.0, spread, size=(len(labels), 2))
    return np.asarray(np.clip(points, -1.0, 1.0), dtype=np.float32)
