"""Comparing two groups of people, e.g. visitors entering (A) and leaving (B) a cafe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from facemotion.errors import FacemotionError
from facemotion.inputs import VIDEO_SUFFIXES, expand_paths
from facemotion.io import ImageLike
from facemotion.labels import EMOTIONS

#: Below this many faces in a group no interval or p-value is given.
MIN_FACES = 5


@dataclass(frozen=True)
class GroupSample:
    """Per-face valence, arousal and top emotion of one group."""

    valence: NDArray[np.float64]
    arousal: NDArray[np.float64]
    emotions: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.valence)

    def shares(self) -> dict[str, float]:
        return {label: (self.emotions.count(label) / self.n if self.n else 0.0) for label in EMOTIONS}


@dataclass(frozen=True)
class GroupComparison:
    """B − A: positive ``delta_valence`` means group B (leaving) is in a better mood.

    ``ci_low``/``ci_high`` bound ``delta_valence`` (bootstrap, ``confidence`` level) and
    ``p_value`` is a two-sided permutation test of equal mean valence; all three are
    ``None`` when a group has fewer than `MIN_FACES` faces.
    """

    n_a: int
    n_b: int
    mean_valence_a: float | None
    mean_valence_b: float | None
    mean_arousal_a: float | None
    mean_arousal_b: float | None
    delta_valence: float | None
    delta_arousal: float | None
    ci_low: float | None
    ci_high: float | None
    arousal_ci_low: float | None
    arousal_ci_high: float | None
    p_value: float | None
    confidence: float
    shares_a: dict[str, float]
    shares_b: dict[str, float]

    @property
    def sentence(self) -> str:
        """A sentence a cafe owner can read."""
        if self.delta_valence is None:
            return f"No comparison possible: {self.n_a} face(s) entering vs {self.n_b} leaving."
        if self.ci_low is None or self.ci_high is None:
            return (
                f"Too few faces for a reliable comparison (n={self.n_a} vs {self.n_b}, need {MIN_FACES} each): "
                f"valence {self.delta_valence:+.2f}, not a meaningful estimate yet."
            )
        level = f"{self.confidence:.0%} CI {self.ci_low:+.2f} to {self.ci_high:+.2f}, n={self.n_a} vs {self.n_b}"
        if self.ci_low > 0:
            verdict = "Visitors leave happier"
        elif self.ci_high < 0:
            verdict = "Visitors leave less happy"
        else:
            verdict = "No clear change in mood"
        return f"{verdict}: valence {self.delta_valence:+.2f} ({level})"

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return {**asdict(self), "sentence": self.sentence}


def _mean(x: NDArray[np.float64]) -> float | None:
    return float(x.mean()) if len(x) else None


def compare_samples(
    a: GroupSample, b: GroupSample, *, confidence: float = 0.95, n_resamples: int = 5000, seed: int = 0
) -> GroupComparison:
    """Compare two samples of faces: mean difference, bootstrap CI and permutation p-value (scipy)."""
    from scipy import stats

    def diff(x: NDArray[np.float64], y: NDArray[np.float64], axis: int = -1) -> Any:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    dv = _mean(b.valence) - _mean(a.valence) if a.n and b.n else None  # type: ignore[operator]
    da = _mean(b.arousal) - _mean(a.arousal) if a.n and b.n else None  # type: ignore[operator]
    ci: tuple[float | None, float | None] = (None, None)
    aci: tuple[float | None, float | None] = (None, None)
    p: float | None = None
    if a.n >= MIN_FACES and b.n >= MIN_FACES:
        rng = np.random.default_rng(seed)

        def interval(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float | None, float | None]:
            boot = stats.bootstrap(
                (x, y),
                diff,
                confidence_level=confidence,
                n_resamples=n_resamples,
                vectorized=True,
                method="percentile",
                random_state=rng,
            )
            return float(boot.confidence_interval.low), float(boot.confidence_interval.high)

        ci = interval(b.valence, a.valence)
        aci = interval(b.arousal, a.arousal)
        perm = stats.permutation_test(
            (b.valence, a.valence),
            diff,
            permutation_type="independent",
            vectorized=True,
            n_resamples=n_resamples,
            alternative="two-sided",
            random_state=rng,
        )
        p = float(perm.pvalue)
    return GroupComparison(
        a.n,
        b.n,
        _mean(a.valence),
        _mean(b.valence),
        _mean(a.arousal),
        _mean(b.arousal),
        dv,
        da,
        ci[0],
        ci[1],
        aci[0],
        aci[1],
        p,
        confidence,
        a.shares(),
        b.shares(),
    )


def collect_group(source: str | Path | Sequence[ImageLike], classifier: Any, *, sample_fps: float = 5.0) -> GroupSample:
    """Faces of a group: a folder of photos, a list of images, or a video (each tracked person once)."""
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in VIDEO_SUFFIXES:
        from facemotion.apps.video import analyze_video

        people = analyze_video(source, classifier, sample_fps=sample_fps).people()
        return GroupSample(
            np.array([p["valence"] for p in people], float),
            np.array([p["arousal"] for p in people], float),
            tuple(p["dominant_emotion"] for p in people),
        )
    items: list[Any] = expand_paths([source]) if isinstance(source, (str, Path)) else list(source)
    if isinstance(source, (str, Path)) and not Path(source).exists():
        raise FacemotionError(f"{source}: no such file or folder")
    faces = [f for image_faces in classifier.predict(items) for f in image_faces] if items else []
    return GroupSample(
        np.array([f.valence for f in faces], float),
        np.array([f.arousal for f in faces], float),
        tuple(f.label for f in faces),
    )


def compare_groups(
    a: str | Path | Sequence[ImageLike],
    b: str | Path | Sequence[ImageLike],
    classifier: Any = None,
    *,
    crops: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 5000,
    seed: int = 0,
) -> GroupComparison:
    """Compare the mood of group B with group A (B − A, e.g. leaving minus entering).

    >>> result = compare_groups("entering/", "leaving/")  # doctest: +SKIP
    >>> print(result.sentence)  # doctest: +SKIP
    Visitors leave happier: valence +0.31 (95% CI +0.12 to +0.49, n=84 vs 91)
    """
    from facemotion.api import EmotionClassifier

    clf = classifier or EmotionClassifier()
    if crops:
        samples = []
        for src in (a, b):
            items = expand_paths([src]) if isinstance(src, (str, Path)) else list(src)
            faces = clf.predict_faces(items)
            samples.append(
                GroupSample(
                    np.array([f.valence for f in faces], float),
                    np.array([f.arousal for f in faces], float),
                    tuple(f.label for f in faces),
                )
            )
        sa, sb = samples
    else:
        sa, sb = collect_group(a, clf), collect_group(b, clf)
    return compare_samples(sa, sb, confidence=confidence, n_resamples=n_resamples, seed=seed)
