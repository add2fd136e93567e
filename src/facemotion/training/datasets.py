"""Loading training data: folder-per-emotion trees and FER+-style vote files.

A `FaceDataset` holds face crops already resized for one model (uint8), their
soft emotion targets and valence–arousal targets; `facemotion.training.recipe`
trains on it. This module needs numpy only.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from facemotion.errors import DatasetError, FacemotionError
from facemotion.inputs import expand_inputs
from facemotion.io import IMAGE_SUFFIXES, read_image
from facemotion.labels import EMOTIONS, canonical_label
from facemotion.preprocessing import Preprocessing, resize_faces
from facemotion.training.targets import (
    affect_from_votes,
    affect_near_anchor,
    soft_labels_from_votes,
    votes_to_label_counts,
)

log = logging.getLogger(__name__)


@dataclass
class FaceDataset:
    """Faces resized for one model with their targets.

    Attributes:
        images: (N, S, S, C) uint8 faces.
        labels: (N,) index of the hard label in ``EMOTIONS``.
        soft_labels: (N, 9) target distribution over the labels.
        affect: (N, 2) valence–arousal targets in [-1, 1].
        paths: the source file of each face.
    """

    images: NDArray[np.uint8]
    labels: NDArray[np.int64]
    soft_labels: NDArray[np.float32]
    affect: NDArray[np.float32]
    paths: list[str]

    def __post_init__(self) -> None:
        """Refuse what would train silently wrong: 0–1 float faces, parts of other lengths."""
        images = np.asarray(self.images)
        if images.dtype != np.uint8 or images.ndim != 4:
            raise DatasetError(
                f"FaceDataset.images must be (N, S, S, C) uint8 faces (0–255), got {images.dtype} of shape "
                f"{images.shape}; scale float faces with (x * 255).round().astype(np.uint8)"
            )
        sizes = {
            "images": len(images),
            "labels": len(self.labels),
            "soft_labels": len(self.soft_labels),
            "affect": len(self.affect),
            "paths": len(self.paths),
        }
        if len(set(sizes.values())) > 1:
            raise DatasetError(f"FaceDataset parts differ in length: {sizes}")
        if np.shape(self.soft_labels)[1:] != (len(EMOTIONS),) or np.shape(self.affect)[1:] != (2,):
            raise DatasetError(
                f"FaceDataset.soft_labels must be (N, {len(EMOTIONS)}) and affect (N, 2), got "
                f"{np.shape(self.soft_labels)} and {np.shape(self.affect)}"
            )

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, keep: NDArray[np.bool_] | NDArray[np.int64]) -> FaceDataset:
        """Return the faces selected by a boolean mask or index array."""
        index = np.flatnonzero(keep) if np.asarray(keep).dtype == bool else np.asarray(keep)
        return FaceDataset(
            self.images[index],
            self.labels[index],
            self.soft_labels[index],
            self.affect[index],
            [self.paths[i] for i in index],
        )

    @staticmethod
    def concatenate(parts: Iterable[FaceDataset]) -> FaceDataset:
        parts = list(parts)
        return FaceDataset(
            np.concatenate([p.images for p in parts]),
            np.concatenate([p.labels for p in parts]),
            np.concatenate([p.soft_labels for p in parts]),
            np.concatenate([p.affect for p in parts]),
            [path for p in parts for path in p.paths],
        )

    def class_counts(self) -> dict[str, int]:
        counts = np.bincount(self.labels, minlength=len(EMOTIONS))
        return {label: int(n) for label, n in zip(EMOTIONS, counts, strict=True)}


def list_image_folder(root: str | Path) -> list[tuple[Path, int]]:
    """List ``(image path, label index)`` in a folder-per-emotion tree.

    Folder names are matched to the labels with common synonyms (``angry``,
    ``happiness``, ``sadness`` …); an unknown folder name is an error that lists them.
    Each emotion folder is searched with its sub-folders (``happy/batch1/``), as
    ``facemotion analyze`` searches folders; hidden files and folders (``.ipynb_checkpoints``)
    are passed over, and images lying in ``root`` itself, in no emotion folder, are named in a warning.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root} is not a directory of emotion folders")
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    unknown = [p.name for p in folders if canonical_label(p.name) is None]
    if unknown:
        raise DatasetError(
            f"unknown emotion folder name(s) in {root}: {', '.join(unknown)}; "
            f"use one of {', '.join(EMOTIONS)} (or a common synonym such as 'angry', 'happiness')"
        )
    items = [
        (path, EMOTIONS.index(canonical_label(folder.name) or ""))
        for folder in folders
        for path in expand_inputs([folder]).files  # as `facemotion analyze` searches a folder
        if not any(part.startswith(".") for part in path.relative_to(folder).parts)
    ]
    items = _one_label_per_file(items)
    loose = [p.name for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    if loose:
        log.warning(
            "%d image(s) in %s itself are in no emotion folder and are not used: %s",
            len(loose),
            root,
            ", ".join(sorted(loose)[:3]) + (" …" if len(loose) > 3 else ""),
        )
    if not items:
        raise DatasetError(f"no images found under {root} (expected {root}/<emotion>/<image>)")
    return items


def _one_label_per_file(items: list[tuple[Path, int]]) -> list[tuple[Path, int]]:
    """Each file once: one reached twice (links, hard links) keeps its first place; one that links put under
    two emotions is left out, with a warning (it was trained on with both labels)."""
    keys = []
    for path, _ in items:
        info = path.stat()  # one call a file: (device, inode) names it through any link
        keys.append((info.st_dev, info.st_ino))
    labels: dict[tuple[int, int], set[int]] = {}
    for key, (_, label) in zip(keys, items, strict=True):
        labels.setdefault(key, set()).add(label)
    torn = {key for key, found in labels.items() if len(found) > 1}
    if torn:
        names = sorted(str(path) for key, (path, _) in zip(keys, items, strict=True) if key in torn)
        log.warning(
            "%d image(s) lie under two or more emotions (through links) and are not used: %s",
            len(torn),
            ", ".join(names[:3]) + (" …" if len(names) > 3 else ""),
        )
    seen: set[tuple[int, int]] = set()
    kept = []
    for key, item in zip(keys, items, strict=True):
        if key not in torn and key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def _load_faces(paths: list[Path], prep: Preprocessing, detect: bool) -> tuple[NDArray[np.uint8], list[int]]:
    """Read, optionally detect and crop, and resize; return faces and the indices kept."""
    from tqdm.auto import tqdm

    detector = None
    if detect:
        from facemotion.detection import get_detector

        detector = get_detector()
    faces: list[NDArray[Any]] = []
    kept: list[int] = []
    crowded: list[str] = []
    oblong = 0
    for i, path in enumerate(tqdm(paths, desc="reading images", unit="img", leave=False, disable=None)):
        try:
            image = read_image(path)
        except FacemotionError as err:
            log.warning("skipping %s: %s", path, err)
            continue
        if detector is not None:
            from facemotion.detection import crop_face

            found = detector.detect(image)
            if not found:
                log.warning("skipping %s: no face found", path)
                continue
            if len(found) > 1:
                crowded.append(path.name)
            image = crop_face(image, max(found, key=lambda f: f.box[2] * f.box[3]), prep.margin)
        else:
            oblong += max(image.shape[:2]) > 1.25 * min(image.shape[:2])
        faces.append(resize_faces([image], prep)[0])  # at once: a folder of 12-MP photos held whole needs ~36 MB each
        kept.append(i)
    if crowded:
        log.warning(
            "%d photo(s) show more than one face; the largest is used: %s",
            len(crowded),
            ", ".join(crowded[:3]) + (" …" if len(crowded) > 3 else ""),
        )
    if oblong > len(faces) / 2:  # whole photos given as crops are squashed into a square "face"
        log.warning(
            "%d of %d images looked at are far from square: if they are whole photos rather than face crops, "
            "add --detect (detect_faces=True; without it each image is squashed into a square face, background "
            "and all)",
            oblong,
            len(faces),
        )
    if not faces:
        return np.zeros((0, prep.input_size, prep.input_size, prep.channels), np.uint8), kept
    return np.stack(faces), kept


def load_image_folder(
    root: str | Path,
    prep: Preprocessing,
    *,
    detect_faces: bool = False,
    affect_spread: float = 0.1,
    seed: int = 0,
) -> FaceDataset:
    """Load a folder-per-emotion tree into a `FaceDataset`.

    Args:
        root: ``root/<emotion>/<image>`` with emotion folder names such as ``happy``.
        prep: the target model's preprocessing.
        detect_faces: detect the largest face in each (whole) photo and crop it;
            leave off when the images are already face crops.
        affect_spread: standard deviation of the valence–arousal targets around the
            anchor of each image's emotion (the reference study's synthetic targets).
        seed: seed of those targets.
    """
    items = list_image_folder(root)
    images, kept = _load_faces([p for p, _ in items], prep, detect_faces)
    labels = np.array([items[i][1] for i in kept], dtype=np.int64)
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)[labels]
    return FaceDataset(
        images, labels, one_hot, affect_near_anchor(labels, affect_spread, seed), [str(items[i][0]) for i in kept]
    )


def read_votes(votes_csv: str | Path) -> dict[str, NDArray[np.float32]]:
    """Read a FER+-style vote file: ``file`` column plus the ten vote columns → counts by file name."""
    from facemotion.training.targets import FERPLUS_VOTE_COLUMNS

    columns = [name for name, _ in FERPLUS_VOTE_COLUMNS]
    with open(votes_csv, newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", *columns} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(f"{votes_csv} lacks the column(s) {sorted(missing)}")
        return {row["file"]: np.array([float(row[c]) for c in columns], np.float32) for row in reader}


def load_vote_folder(
    root: str | Path, votes_csv: str | Path, prep: Preprocessing, *, hard_weight: float = 0.5
) -> FaceDataset:
    """Load a folder-per-emotion tree whose images have crowd votes (FER+).

    Soft labels blend the vote distribution with the folder's label
    (`facemotion.training.targets.soft_labels_from_votes`); valence–arousal targets
    are the vote-weighted mean of the anchors. Images without votes keep one-hot labels.
    """
    base = load_image_folder(root, prep)
    votes = read_votes(votes_csv)
    names = [Path(p).name for p in base.paths]
    raw = np.stack([votes.get(name, np.zeros(10, np.float32)) for name in names])
    counts = votes_to_label_counts(raw)
    missing = int((counts.sum(axis=1) == 0).sum())
    if missing:
        log.warning("%d of %d images in %s have no votes in %s", missing, len(names), root, votes_csv)
    soft = soft_labels_from_votes(counts, base.labels, hard_weight)
    dist = soft_labels_from_votes(counts, base.labels, 0.0)
    return FaceDataset(base.images, base.labels, soft, affect_from_votes(dist), base.paths)


def load_affect_csv(csv_path: str | Path, prep: Preprocessing, image_root: str | Path | None = None) -> FaceDataset:
    """Load real valence–arousal labels: a CSV with ``path,valence,arousal`` (and optional ``emotion``)."""
    root = Path(image_root) if image_root else Path(csv_path).parent
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"path", "valence", "arousal"} <= set(rows[0]):
        raise DatasetError(f"{csv_path} needs the columns path, valence, arousal")
    images, kept = _load_faces([root / r["path"] for r in rows], prep, detect=False)
    labels = np.array(
        [EMOTIONS.index(canonical_label(rows[i].get("emotion") or "uncertain") or "uncertain") for i in kept], np.int64
    )
    affect = np.clip(
        np.array([[float(rows[i]["valence"]), float(rows[i]["arousal"])] for i in kept], np.float32), -1, 1
    )
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)[labels]
    return FaceDataset(images, labels, one_hot, affect, [str(root / rows[i]["path"]) for i in kept])


#: CK+ file names: subject, sequence and frame numbers.
_CKPLUS_NAME = re.compile(r"(S\d{3})_\d{3}_\d+")


def identity_of(path: str | Path) -> str:
    """The person in a file named ``Name_Surname_0001.jpg`` (the name without its trailing number).

    CK+ frames (``S010_004_00000017.png``: subject, sequence, frame) belong to their subject.

    >>> identity_of("portraits/happy/Heidi_Klum_0004.jpg")
    'Heidi_Klum'
    >>> identity_of("ckplus48/train/anger/S010_004_00000017.png")
    'S010'
    """
    stem = Path(path).stem
    if ck := _CKPLUS_NAME.fullmatch(stem):
        return ck.group(1)
    head, _, tail = stem.rpartition("_")
    return head if head and tail.isdigit() else stem


def identity_split(paths: Sequence[str | Path], fraction: float = 0.2, salt: str = "facemotion") -> NDArray[np.bool_]:
    """Mark about ``fraction`` of the people (not images) as held out, stably across runs and machines.

    Every image of one person falls on the same side (see `identity_of`), so a
    model is never validated on a face it was trained on.

    >>> identity_split(["a/Ann_Lee_0001.jpg", "b/Ann_Lee_0002.jpg"], 0.5).tolist() in ([True, True], [False, False])
    True
    """
    import hashlib

    def held_out(name: str) -> bool:
        digest = hashlib.sha256(f"{salt}:{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < fraction

    return np.array([held_out(identity_of(p)) for p in paths], dtype=bool)


def sampling_weights(labels: NDArray[np.int64], power: float = 0.5) -> NDArray[np.float64]:
    """Per-image sampling probabilities ∝ class frequency ** -power (0: natural, 1: balanced)."""
    counts = np.bincount(labels, minlength=len(EMOTIONS)).astype(np.float64)
    weights = np.maximum(counts[labels], 1.0) ** -power
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def head_turns(data: FaceDataset) -> NDArray[np.float32]:
    """How far each face of ``data`` is turned (`facemotion.detection.head_turn`, absolute).

    Found by the default detector on each face; NaN where it finds none. Used to give
    turned faces, rare in FER+, more weight in training (the training script's ``--turned``).
    """
    from tqdm.auto import tqdm

    from facemotion.detection import get_detector, head_turn

    detector = get_detector()
    turns = np.full(len(data), np.nan, np.float32)
    for i, face in enumerate(tqdm(data.images, desc="head turns", unit="face", leave=False, disable=None)):
        found = detector.detect(face[..., 0] if face.shape[-1] == 1 else face)
        turn = head_turn(max(found, key=lambda f: f.score)) if found else None
        if turn is not None:
            turns[i] = abs(turn)
    return turns
