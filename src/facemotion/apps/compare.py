"""Comparing two groups of people, e.g. visitors entering (A) and leaving (B) a cafe.

The groups are named (``names=("entering", "leaving")``, or ``("ad A", "ad B")``) and the
names are used in the verdict sentence. A file of a group that cannot be read is skipped,
counted and reported (``GroupComparison.skipped_a``/``skipped_b``), never a refused comparison.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.apps.wording import bound
from facemotion.errors import FacemotionError, ImageReadError, OptionError
from facemotion.inputs import expand_inputs, is_video, no_inputs_message
from facemotion.io import IMAGE_SUFFIXES, VIDEO_SUFFIXES, ImageLike, read_image_reduced, readable
from facemotion.labels import EMOTIONS
from facemotion.options import is_whole_number
from facemotion.results import scaled_box

log = logging.getLogger(__name__)

#: Below this many faces in a group no interval or p-value is given.
MIN_FACES = 5
#: Fewest permutation resamples: below this a p-value rests on a handful of draws.
MIN_RESAMPLES = 1000
#: Example faces kept per group (spread from the least to the most pleasant face).
EXAMPLES = 5
#: Images read and sent to the model together.
CHUNK = 32


@dataclass(frozen=True)
class FaceExample:
    """One face of a group, to show: a small RGB crop, its emotion, confidence and valence, and where it is from."""

    image: NDArray[np.uint8]
    label: str
    score: float
    valence: float
    source: str


@dataclass(frozen=True)
class GroupSample:
    """Per-face valence, arousal and top emotion of one group.

    ``examples``: a few faces to show; ``skipped``: ``(file name, why)`` of each input
    that could not be read; ``unit``: what each value is, ``"face"`` (a photo's face) or
    ``"person"`` (a video's person seen long enough, `facemotion.apps.video.VideoReport.people`)
    or `MIXED` (a folder of photos and videos); ``no_face``: the photos read in which no face
    was found (they add nothing to the group, and are reported).
    """

    valence: NDArray[np.float64]
    arousal: NDArray[np.float64]
    emotions: tuple[str, ...]
    examples: tuple[FaceExample, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    unit: str = "face"
    no_face: tuple[str, ...] = ()

    @property
    def n(self) -> int:
        return len(self.valence)

    def shares(self) -> dict[str, float]:
        return {label: (self.emotions.count(label) / self.n if self.n else 0.0) for label in EMOTIONS}


#: The `GroupSample.unit` of a folder holding photos and videos: a photo's faces and a video's people.
MIXED = "person or face"


def counted(n: int, unit: str, where: str = "") -> str:
    """``n`` faces (or a video's people: ``unit="person"``) of a group, in words; ``where``: the group's name.

    >>> counted(1, "face", "leaving"), counted(0, "person", "onefr.mp4")
    ('1 face in leaving', '0 people seen for 0.5 s or more in onefr.mp4')
    """
    if unit == "person":
        from facemotion.apps.video import MIN_PERSON_SECONDS

        text = f"{n} {'person' if n == 1 else 'people'} seen for {MIN_PERSON_SECONDS:g} s or more"
    elif unit == MIXED:
        text = f"{n} {'person or face' if n == 1 else 'people or faces'} (the videos' people, the photos' faces)"
    else:
        text = f"{n} face{'s' if n != 1 else ''}"
    return f"{text} in {where}" if where else text


#: The p-values readers compare against (1 - confidence for 90, 95 and 99 %): never rounded across.
P_THRESHOLDS = (0.01, 0.05, 0.1)


def format_p(p: float | None) -> str:
    """A p-value as a reader expects it: ``p < 0.001`` rather than ``p = 0.000``.

    >>> format_p(0.0004), format_p(0.0312), format_p(0.41), format_p(None)
    ('p < 0.001', 'p = 0.031', 'p = 0.41', 'no p-value (too few faces)')
    >>> format_p(2 * 125 / 5001), format_p(0.0999), format_p(2 * 2500 / 100001), format_p(0.00999)
    ('p = 0.04999', 'p = 0.0999', 'p = 0.0499995', 'p = 0.00999')
    """
    if p is None:
        return "no p-value (too few faces)"
    if p < 0.001:
        return "p < 0.001"
    decimals = 3 if p < 0.1 else 2
    text = f"{p:.{decimals}f}"
    while decimals < 12 and any((p < t) != (float(text) < t) for t in P_THRESHOLDS):
        decimals += 1  # never rounded across a threshold: 0.04999 is not "0.050"
        text = f"{p:.{decimals}f}"
    return f"p = {text}"


@dataclass(frozen=True)
class GroupComparison:
    """B − A: positive ``delta_valence`` means group B (e.g. leaving) is in a better mood.

    ``ci_low``/``ci_high`` bound ``delta_valence`` and ``arousal_ci_low``/``arousal_ci_high``
    bound ``delta_arousal`` (Welch's t interval, ``confidence`` level); ``p_value`` and
    ``arousal_p_value`` are two-sided permutation tests of equal means; all are ``None`` when
    a group has fewer than `MIN_FACES` faces. A difference is called clear (`direction`) only
    when its interval leaves 0 out **and** its test agrees (p under ``1 - confidence``): with
    a handful of faces a percentile interval alone claimed a difference from noise about one
    time in seven. ``names`` are the groups' names, used in `sentence`; ``units`` what
    ``n_a`` and ``n_b`` count (`GroupSample.unit`: faces, or a video's people).
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
    names: tuple[str, str] = ("A", "B")
    examples_a: tuple[FaceExample, ...] = ()
    examples_b: tuple[FaceExample, ...] = ()
    skipped_a: tuple[tuple[str, str], ...] = ()
    skipped_b: tuple[tuple[str, str], ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    units: tuple[str, str] = ("face", "face")
    arousal_p_value: float | None = None
    no_face_a: tuple[str, ...] = ()
    no_face_b: tuple[str, ...] = ()

    def direction(self, what: str = "valence") -> int:
        """+1 when B is clearly above A in ``what`` (``"valence"`` or ``"arousal"``), -1 when clearly below,
        0 when the interval includes 0, the permutation test does not confirm it, or a group is too small."""
        low, high, p = (
            (self.ci_low, self.ci_high, self.p_value)
            if what == "valence"
            else (self.arousal_ci_low, self.arousal_ci_high, self.arousal_p_value)
        )
        if low is None or high is None or p is None or p >= round(1 - self.confidence, 12):  # 1 - 0.95 > 0.05
            return 0
        return 1 if low > 0 else -1 if high < 0 else 0

    @property
    def p_text(self) -> str:
        """``p_value`` formatted (`format_p`)."""
        return format_p(self.p_value)

    @property
    def counted_as(self) -> str:
        """What ``n_a`` and ``n_b`` count: ``"faces"``, ``"people"`` (two videos) or ``"people or faces"``."""
        return {("face", "face"): "faces", ("person", "person"): "people"}.get(self.units, "people or faces")

    @property
    def sentence(self) -> str:
        """The verdict in one sentence, with the groups' names.

        >>> r = compare_samples(*(GroupSample(np.full(9, v), np.zeros(9), ("happy",) * 9) for v in (0.0, 0.3)),
        ...                     names=("ad A", "ad B"), n_resamples=1000)
        >>> r.sentence
        'ad B happier than ad A: valence +0.30 (95% CI +0.30 to +0.30, n=9 vs 9)'
        """
        a, b = self.names
        if self.delta_valence is None:
            return (
                f"No comparison possible: {counted(self.n_a, self.units[0], a)} vs "
                f"{counted(self.n_b, self.units[1], b)}.{self._no_face_text()}"
            )
        if self.ci_low is None or self.ci_high is None:
            return (
                f"Too few {self.counted_as} for a reliable comparison (n={self.n_a} vs {self.n_b}, need {MIN_FACES} each): "
                f"valence {bound(self.delta_valence)}, not a meaningful estimate yet.{self._no_face_text()}"
            )
        level = f"{self.confidence:.0%} CI {bound(self.ci_low)} to {bound(self.ci_high)}, n={self.n_a} vs {self.n_b}"
        verdict = {1: f"{b} happier than {a}", -1: f"{b} less happy than {a}"}.get(
            self.direction(), f"No clear difference in mood between {a} and {b}"
        )
        unconfirmed = self.direction() == 0 and (self.ci_low > 0 or self.ci_high < 0)
        return (
            f"{verdict}: valence {bound(self.delta_valence)} ({level}{f'; {self.p_text}' if unconfirmed else ''})"
            + self._no_face_text()
        )

    def _no_face_text(self) -> str:
        """ " (2 photos of leaving showed no face)", or "" when every photo read showed one."""
        parts = [
            f"{len(files)} photo{'s' if len(files) != 1 else ''} of {name} showed no face"
            for name, files in zip(self.names, (self.no_face_a, self.no_face_b), strict=True)
            if files
        ]
        return f" ({'; '.join(parts)})" if parts else ""

    def to_dict(self) -> dict[str, Any]:
        """Everything but the example pictures (their emotion, score, valence and source are kept), JSON-ready."""

        def example(e: FaceExample) -> dict[str, Any]:
            return {"label": e.label, "score": e.score, "valence": e.valence, "source": e.source}

        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name.startswith("examples_"):
                value = [example(e) for e in value]
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[name] = value
        verdicts = {"direction_valence": self.direction("valence"), "direction_arousal": self.direction("arousal")}
        return {**out, **verdicts, "p_text": self.p_text, "sentence": self.sentence}


def _mean(x: NDArray[np.float64]) -> float | None:
    return float(x.mean()) if len(x) else None


def check_test_settings(n_resamples: object, seed: object, confidence: object) -> None:
    """Refuse settings of the interval and permutation test that would give wrong figures.

    ``n_resamples`` at least `MIN_RESAMPLES` (fewer give intervals that claim a difference
    the permutation test does not see), ``seed`` a whole number 0 or more, ``confidence``
    a fraction from 0.5 to below 1.
    """
    if not is_whole_number(n_resamples, minimum=MIN_RESAMPLES):
        raise OptionError(f"n_resamples must be a whole number of at least {MIN_RESAMPLES:,}, got {n_resamples!r}")
    if not is_whole_number(seed, minimum=0):
        raise OptionError(f"seed must be a whole number 0 or more, got {seed!r}")
    if not (isinstance(confidence, float) and 0.5 <= confidence < 1):
        raise OptionError(f"confidence must be a fraction from 0.5 to below 1 (0.95: 95 %), got {confidence!r}")


def compare_samples(
    a: GroupSample,
    b: GroupSample,
    *,
    names: tuple[str, str] = ("A", "B"),
    confidence: float = 0.95,
    n_resamples: int = 5000,
    seed: int = 0,
    metadata: dict[str, Any] | None = None,
) -> GroupComparison:
    """Compare two samples of faces: mean differences, Welch t intervals and a permutation p-value (scipy).

    The settings are checked by `check_test_settings`.
    """
    from scipy import stats

    check_test_settings(n_resamples, seed, confidence)

    def diff(x: NDArray[np.float64], y: NDArray[np.float64], axis: int = -1) -> Any:
        return np.mean(x, axis=axis) - np.mean(y, axis=axis)

    dv = _mean(b.valence) - _mean(a.valence) if a.n and b.n else None  # type: ignore[operator]
    da = _mean(b.arousal) - _mean(a.arousal) if a.n and b.n else None  # type: ignore[operator]
    ci: tuple[float | None, float | None] = (None, None)
    aci: tuple[float | None, float | None] = (None, None)
    p: float | None = None
    arousal_p: float | None = None
    if a.n >= MIN_FACES and b.n >= MIN_FACES:
        rng = np.random.default_rng(seed)

        def interval(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[float | None, float | None]:
            # Welch's t interval: with 5 faces a side the percentile bootstrap's "95 %" covered 83–88 %,
            # Welch's 92–96 % (simulated on the portraits' readings).
            if np.ptp(x) == 0 and np.ptp(y) == 0:  # no spread at all: the difference is all there is
                return float(x.mean() - y.mean()), float(x.mean() - y.mean())
            low, high = stats.ttest_ind(x, y, equal_var=False).confidence_interval(confidence)
            return float(low), float(high)

        ci = interval(b.valence, a.valence)
        aci = interval(b.arousal, a.arousal)

        def permutation_p(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
            test = stats.permutation_test(
                (x, y),
                diff,
                permutation_type="independent",
                vectorized=True,
                n_resamples=n_resamples,
                alternative="two-sided",
                random_state=rng,
            )
            return float(test.pvalue)

        p = permutation_p(b.valence, a.valence)
        arousal_p = permutation_p(b.arousal, a.arousal)
    return GroupComparison(
        n_a=a.n,
        n_b=b.n,
        mean_valence_a=_mean(a.valence),
        mean_valence_b=_mean(b.valence),
        mean_arousal_a=_mean(a.arousal),
        mean_arousal_b=_mean(b.arousal),
        delta_valence=dv,
        delta_arousal=da,
        ci_low=ci[0],
        ci_high=ci[1],
        arousal_ci_low=aci[0],
        arousal_ci_high=aci[1],
        p_value=p,
        confidence=confidence,
        shares_a=a.shares(),
        shares_b=b.shares(),
        names=names,
        examples_a=a.examples,
        examples_b=b.examples,
        skipped_a=a.skipped,
        skipped_b=b.skipped,
        no_face_a=a.no_face,
        no_face_b=b.no_face,
        metadata=dict(metadata or {}),
        units=(a.unit, b.unit),
        arousal_p_value=arousal_p,
    )


def _thumbnail(image: NDArray[np.uint8], box: tuple[int, int, int, int] | None, side: int = 112) -> NDArray[np.uint8]:
    """A square crop of ``box`` (with a little margin; the whole image without a box), ``side`` pixels."""
    if box is not None:
        x, y, w, h = box
        pad = round(0.15 * max(w, h))
        image = image[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    if not image.size:
        return np.zeros((side, side, 3), np.uint8)
    return np.asarray(cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA), np.uint8)


def _pick_examples(faces: Sequence[tuple[float, Any]], n: int = EXAMPLES) -> list[Any]:
    """``n`` items spread over their valence: the least pleasant, the most pleasant, and between.

    >>> _pick_examples([(v, v) for v in (0.3, -0.5, 0.9, 0.1)], 3)
    [-0.5, 0.3, 0.9]
    """
    if not faces:
        return []
    ordered = sorted(faces, key=lambda f: f[0])
    picks = sorted({round(i) for i in np.linspace(0, len(ordered) - 1, min(n, len(ordered)))})
    return [ordered[i][1] for i in picks]


def _source_name(item: Any, index: int) -> str:
    return Path(item).name if isinstance(item, (str, Path)) else f"image {index + 1}"


def _sample_of_images(items: Sequence[Any], classifier: Any, *, crops: bool) -> GroupSample:
    """Faces of a list of images (or face crops), ``CHUNK`` at a time; unreadable ones skipped and listed."""
    valence: list[float] = []
    arousal: list[float] = []
    labels: list[str] = []
    candidates: list[tuple[float, tuple[int, Any]]] = []  # (valence, (item index, face))
    skipped: list[tuple[str, str]] = []
    no_face: list[str] = []
    for start in range(0, len(items), CHUNK):
        chunk = list(enumerate(items[start : start + CHUNK], start))
        if crops:
            readable = []
            for i, item in chunk:
                try:
                    readable.append((i, read_image_reduced(item)[0]))
                except ImageReadError as err:
                    skipped.append((_source_name(item, i), _why(item, i, str(err))))
            faces_of = [[face] for face in classifier.predict_faces([c for _, c in readable])] if readable else []
            found = [(i, faces) for (i, _), faces in zip(readable, faces_of, strict=True)]
        else:
            found = []
            for (i, item), faces in zip(chunk, classifier.predict([c for _, c in chunk], errors="skip"), strict=True):
                if faces.error is not None:
                    skipped.append((_source_name(item, i), _why(item, i, faces.error)))
                else:
                    found.append((i, faces))
        for i, faces in found:
            if not faces:
                no_face.append(_source_name(items[i], i))
            for face in faces:
                valence.append(face.valence)
                arousal.append(face.arousal)
                labels.append(face.label)
                candidates.append((face.valence, (i, face)))
    for name, why in skipped:
        log.info("skipped %s: %s", name, why)
    examples = []
    for i, face in _pick_examples(candidates):
        try:
            image, scale = read_image_reduced(items[i])  # as analysed: a large photo is never decoded whole
        except ImageReadError:  # changed or gone since it was analysed: no example picture from it
            continue
        box = scaled_box(face.box, 1 / scale) if face.box else None
        examples.append(
            FaceExample(_thumbnail(image, box), face.label, face.score, face.valence, _source_name(items[i], i))
        )
    return GroupSample(
        np.array(valence, float),
        np.array(arousal, float),
        tuple(labels),
        tuple(examples),
        tuple(skipped),
        no_face=tuple(no_face),
    )


def _why(item: Any, index: int, error: str) -> str:
    """An error message with the input's folder taken out (reports never show a full path)."""
    return error.replace(str(item), _source_name(item, index)) if isinstance(item, (str, Path)) else error


def _sample_of_video(path: str | Path, classifier: Any, sample_fps: float) -> GroupSample:
    """Each tracked person of a video once (their mean over the frames they appear in)."""
    from facemotion.apps.frames import frames_at
    from facemotion.apps.video import analyze_video

    report = analyze_video(path, classifier, sample_fps=sample_fps, progress=False)
    people = report.people()
    best: dict[int, Any] = {}
    for f in report.used_faces:  # faces the quality gate let through
        if f.person not in best or f.score > best[f.person].score:
            best[f.person] = f
    shown = [best[p["person"]] for p in _pick_examples([(p["valence"], p) for p in people]) if p["person"] in best]
    crops: dict[int, NDArray[np.uint8]] = {}  # from the frames as analysed (seeking lands elsewhere in a phone's video)
    for index, frame in frames_at(path, [f.frame for f in shown], {f.frame: f.time for f in shown}):
        crops.update({id(f): _thumbnail(frame, f.box) for f in shown if f.frame == index})
    examples = [
        FaceExample(crops[id(f)], f.label, f.score, f.valence, f"{readable(Path(path).name)} {f.time:.1f} s")
        for f in shown
        if id(f) in crops
    ]
    return GroupSample(
        np.array([p["valence"] for p in people], float),
        np.array([p["arousal"] for p in people], float),
        tuple(p["dominant_emotion"] for p in people),
        tuple(examples),
        unit="person",
    )


def collect_group(
    source: str | Path | Sequence[ImageLike], classifier: Any, *, sample_fps: float = 5.0, crops: bool = False
) -> GroupSample:
    """Faces of a group: a folder of photos (and videos), a list of images, or a video or animated GIF.

    A video's people count once each (their mean over the frames they appear in); a folder
    of photos and videos counts the photos' faces and the videos' people (`MIXED`). A file
    given twice in a list counts once.

    With ``crops`` every image is one face crop. Files that cannot be read, and what a folder
    holds that cannot be analysed (a FIFO, an empty sub-folder, a folder loop: see
    `facemotion.inputs.expand_inputs`), are skipped and listed in ``GroupSample.skipped``;
    a missing folder or file, or a folder with no image at all, is a `FacemotionError`.
    """
    if isinstance(source, (str, PathLike)):
        if not Path(source).exists():
            raise FacemotionError(f"{source}: no such file or folder")
        if is_video(source):  # an animated GIF too
            if crops:
                raise FacemotionError(f"{source} is a video: crops=True (--crops) compares folders of face crops")
            return _sample_of_video(source, classifier, sample_fps)
        found = expand_inputs([source], IMAGE_SUFFIXES | VIDEO_SUFFIXES)
        passed_over = tuple((_source_name(s.path, 0), _why(s.path, 0, s.reason)) for s in found.skipped)
        if not found.files:
            reasons = "; ".join(f"{name}: {why}" for name, why in passed_over)
            raise FacemotionError(no_inputs_message([source]) + (f"; skipped {reasons}" if reasons else ""))
        videos = [f for f in found.files if is_video(f)]  # a cafe's door camera beside its photos: its people count
        images = _distinct([f for f in found.files if f not in videos])
        parts = [_sample_of_images(images, classifier, crops=crops)] if images else []
        for video in videos:
            try:
                if crops:
                    raise FacemotionError("a video, not a face crop (--crops)")
                parts.append(_sample_of_video(video, classifier, sample_fps))
            except FacemotionError as err:
                why = _why(video, 0, str(err))  # never a full path in a report
                parts.append(GroupSample(np.zeros(0), np.zeros(0), (), skipped=((_source_name(video, 0), why),)))
        sample = _joined(parts)
        return replace(sample, skipped=passed_over + sample.skipped)
    return _sample_of_images(_distinct(list(source)), classifier, crops=crops)


def _joined(parts: Sequence[GroupSample]) -> GroupSample:
    """One group of several samples (a folder's photos and each of its videos)."""
    units = {p.unit for p in parts if p.n}
    return GroupSample(
        np.concatenate([p.valence for p in parts]) if parts else np.zeros(0),
        np.concatenate([p.arousal for p in parts]) if parts else np.zeros(0),
        tuple(e for p in parts for e in p.emotions),
        tuple(e for p in parts for e in p.examples)[:EXAMPLES],
        tuple(s for p in parts for s in p.skipped),
        unit=units.pop() if len(units) == 1 else MIXED if units else "face",
        no_face=tuple(f for p in parts for f in p.no_face),
    )


def _distinct(items: list[Any]) -> list[Any]:
    """``items`` without a file given twice, or copied under another name (`_file_key`): the same photo
    counted twice narrows the interval (30 copies each of two portraits were "a clear difference")."""
    seen: set[str] = set()
    out = []
    for item in items:
        key = _item_key(item)
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        out.append(item)
    if len(out) < len(items):
        log.warning("%d photo(s) are copies of others in the same group and count once", len(items) - len(out))
    return out


def _item_key(item: Any) -> str | None:
    """What names an input's content (`_file_key` for a path; an array's or PIL image's pixels), or None."""
    if isinstance(item, (str, PathLike)):
        return _file_key(item)
    if isinstance(item, np.ndarray):
        return "pixels:" + hashlib.sha1(repr((item.shape, item.dtype.str)).encode() + item.tobytes()).hexdigest()
    if hasattr(item, "tobytes") and hasattr(item, "mode") and hasattr(item, "size"):  # a PIL image
        try:
            pixels = item.tobytes()
        except Exception:  # a closed or broken image: read (and skipped) later
            return None
        return "pixels:" + hashlib.sha1(repr((item.mode, item.size)).encode() + pixels).hexdigest()
    return None


def _file_key(path: str | PathLike[str]) -> str:
    """What names a file's content: a photo's bytes (SHA-1; a copy under another name is the same photo),
    a video's real path (too large to read twice); an unreadable file, a FIFO or a device its path (never
    opened here: it is skipped, unread, later)."""
    real = os.path.realpath(path)
    if Path(path).suffix.lower() in IMAGE_SUFFIXES:
        try:
            info = os.stat(real)
            if stat.S_ISREG(info.st_mode):
                return _content_key(real, info.st_size, info.st_mtime_ns)
        except OSError:
            pass
    return real


@functools.lru_cache(maxsize=4096)
def _content_key(real: str, size: int, mtime_ns: int) -> str:
    """SHA-1 of a file's bytes, once per version of the file (a group's check and the both-groups check
    ask for the same files)."""
    digest = hashlib.sha1()
    try:
        with open(real, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return real
    return "sha1:" + digest.hexdigest()


def run_metadata(classifier: Any, inputs: Sequence[Any] = ()) -> dict[str, Any]:
    """What made a result, for a report's footer: ``inputs`` (file or folder names, never a full
    path) and `facemotion.apps.video.model_metadata` (date, versions, model, runtime, detector,
    the model card's measured figures)."""
    from facemotion.apps.video import model_metadata

    return {
        "inputs": [Path(i).name if isinstance(i, (str, Path)) else "images in memory" for i in inputs],
        **model_metadata(classifier.model, classifier.detector_name),
    }


def compare_groups(
    a: str | Path | Sequence[ImageLike],
    b: str | Path | Sequence[ImageLike],
    classifier: Any = None,
    *,
    names: tuple[str, str] | None = None,
    crops: bool = False,
    confidence: float = 0.95,
    n_resamples: int = 5000,
    seed: int = 0,
) -> GroupComparison:
    """Compare the mood of group B with group A (B − A, e.g. leaving minus entering).

    ``names`` default to the two folders' (or files') names, else ``("A", "B")``.

    >>> result = compare_groups("entering/", "leaving/")  # doctest: +SKIP
    >>> print(result.sentence)  # doctest: +SKIP
    leaving happier than entering: valence +0.31 (95% CI +0.12 to +0.49, n=84 vs 91)
    """
    from facemotion.api import checked_classifier

    check_test_settings(n_resamples, seed, confidence)  # before the analysis, which may take minutes
    clf = checked_classifier(classifier, "compare_groups")
    for group, side in ((a, "a"), (b, "b")):
        if isinstance(group, (bytes, bytearray)) or not isinstance(group, (str, PathLike, Iterable)):
            raise FacemotionError(
                f"compare_groups: {side} must be a folder or video path, or images, not {type(group).__name__}"
            )
    if names is not None and not (
        isinstance(names, (tuple, list)) and len(names) == 2 and all(isinstance(n, str) and n for n in names)
    ):
        raise FacemotionError(f'names must be two non-empty strings, e.g. ("entering", "leaving"), got {names!r}')
    if names is None:
        names = (
            readable(Path(a).name) if isinstance(a, (str, PathLike)) and Path(a).name else "A",
            readable(Path(b).name) if isinstance(b, (str, PathLike)) and Path(b).name else "B",
        )
        if names[0] == names[1]:
            names = (f"{names[0]} (A)", f"{names[1]} (B)")
    sa, sb = collect_group(a, clf, crops=crops), collect_group(b, clf, crops=crops)
    files_a = _files(a)
    shared = files_a.keys() & _files(b).keys()
    if shared:
        names_shared = sorted(readable(Path(files_a[key]).name) for key in shared)
        listed = ", ".join(names_shared[:5]) + (", ..." if len(shared) > 5 else "")
        log.warning("%d file(s) are in both groups (%s): the comparison is not between two groups", len(shared), listed)
    return compare_samples(
        sa,
        sb,
        names=names,
        confidence=confidence,
        n_resamples=n_resamples,
        seed=seed,
        metadata=run_metadata(clf, [a, b]) | ({"files_in_both_groups": len(shared)} if shared else {}),
    )


def _files(group: Any) -> dict[str, str]:
    """The files a group is made of (a folder's, a list's path items), by `_file_key`."""
    if isinstance(group, (str, PathLike)):
        path = Path(group)
        found = expand_inputs([path], IMAGE_SUFFIXES | VIDEO_SUFFIXES).files if path.is_dir() else [path]
        return {_file_key(f): str(f) for f in found}
    return {_file_key(item): str(item) for item in group if isinstance(item, (str, PathLike))}
