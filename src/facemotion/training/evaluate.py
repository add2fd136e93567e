"""Evaluation: accuracy, macro-F1, per-class precision/recall, confusion matrix, and
valence–arousal RMSE / Pearson / CCC."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from facemotion.errors import FacemotionError
from facemotion.labels import EMOTIONS

if TYPE_CHECKING:
    from facemotion.api import EmotionClassifier

log = logging.getLogger(__name__)


def concordance_cc(pred: NDArray[np.floating], true: NDArray[np.floating]) -> float:
    """Lin's concordance correlation coefficient.

    >>> concordance_cc(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    1.0
    """
    pm, tm = pred.mean(), true.mean()
    cov = ((pred - pm) * (true - tm)).mean()
    denom = pred.var() + true.var() + (pm - tm) ** 2
    return float(2 * cov / denom) if denom > 0 else 0.0


def affect_metrics(pred: NDArray[np.floating], true: NDArray[np.floating]) -> dict[str, dict[str, float]]:
    """RMSE, Pearson r and CCC for valence (column 0) and arousal (column 1)."""
    out = {}
    for i, name in enumerate(("valence", "arousal")):
        p, t = np.asarray(pred[:, i], np.float64), np.asarray(true[:, i], np.float64)
        r = float(np.corrcoef(p, t)[0, 1]) if p.std() > 0 and t.std() > 0 else 0.0
        out[name] = {"rmse": float(np.sqrt(np.mean((p - t) ** 2))), "pearson": r, "ccc": concordance_cc(p, t)}
    return out


@dataclass
class EvaluationReport:
    """Classification metrics over the labels present in the ground truth.

    ``accuracy``, ``macro_f1`` and ``per_class`` cover the faces that were found. With
    detection, ``no_face`` images gave no face; the ``end_to_end_*`` figures count each of
    them as wrong, as a user sees it (``found_rate`` = found / all images).
    """

    labels: tuple[str, ...]
    confusion: NDArray[np.int64]
    accuracy: float
    macro_f1: float
    n: int
    per_class: dict[str, dict[str, float]]
    accuracy_8: float | None = None
    no_face: int = 0
    affect: dict[str, dict[str, float]] = field(default_factory=dict)
    end_to_end_accuracy: float | None = None
    end_to_end_macro_f1: float | None = None

    @property
    def found_rate(self) -> float:
        return self.n / max(1, self.n + self.no_face)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "accuracy_8": self.accuracy_8,
            "n": self.n,
            "no_face": self.no_face,
            "found_rate": self.found_rate,
            "end_to_end_accuracy": self.end_to_end_accuracy,
            "end_to_end_macro_f1": self.end_to_end_macro_f1,
            "labels": list(self.labels),
            "per_class": self.per_class,
            "confusion": self.confusion.tolist(),
            "affect": self.affect,
        }

    def summary(self) -> str:
        lines = [f"n={self.n}  accuracy={self.accuracy:.4f}  macro-F1={self.macro_f1:.4f}"]
        if self.accuracy_8 is not None:
            lines[0] += f"  8-class accuracy={self.accuracy_8:.4f}"
        if self.end_to_end_accuracy is not None:
            lines.append(
                f"end to end: {self.n + self.no_face} images, face found in {self.found_rate:.1%}, "
                f"accuracy {self.end_to_end_accuracy:.4f}, macro-F1 {self.end_to_end_macro_f1:.4f} "
                "(no face = wrong); the figures above cover the found faces"
            )
        lines.append(f"{'label':<10} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}")
        for label, m in self.per_class.items():
            lines.append(
                f"{label:<10} {m['precision']:>9.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {int(m['support']):>8}"
            )
        for name, m in self.affect.items():
            lines.append(f"{name}: RMSE {m['rmse']:.3f}  Pearson {m['pearson']:.3f}  CCC {m['ccc']:.3f}")
        return "\n".join(lines)

    def plot_confusion(self, path: str | Path, normalize: bool = True) -> Path:
        """Draw the confusion matrix (rows: true label, normalised per row) as a PNG."""
        from facemotion.draw import _pyplot

        plt = _pyplot()
        present = [EMOTIONS.index(label) for label in self.per_class]
        matrix = self.confusion[present].astype(np.float64)
        if normalize:
            matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        fig, ax = plt.subplots(figsize=(7.5, 6.5), layout="constrained")
        im = ax.imshow(matrix, cmap="Blues", vmin=0, vmax=1 if normalize else None)
        ax.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=40, ha="right")
        ax.set_yticks(range(len(present)), list(self.per_class))
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(
                j,
                i,
                f"{v:.2f}" if normalize else str(int(v)),
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 0.5 * matrix.max() else "black",
            )
        ax.set(xlabel="predicted", ylabel="true", title=f"Confusion (accuracy {self.accuracy:.3f}, n={self.n})")
        fig.colorbar(im, cax=ax.inset_axes((1.03, 0.0, 0.04, 1.0)))  # exactly as tall as the matrix
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=110)
        plt.close(fig)
        return path


def expected_calibration_error(probabilities: NDArray[np.floating], true: NDArray[np.integer], bins: int = 15) -> float:
    """Expected calibration error: the mean gap between confidence and accuracy over ``bins`` equal-width bins.

    >>> expected_calibration_error(np.array([[0.9, 0.1], [0.9, 0.1]]), np.array([0, 1]))
    0.4
    """
    probs = np.asarray(probabilities, np.float64)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == np.asarray(true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap += inside.mean() * abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
    return round(float(gap), 10)


def apply_temperature(probabilities: NDArray[np.floating], temperature: float) -> NDArray[np.float64]:
    """Probabilities sharpened (T < 1) or softened (T > 1): ``p ** (1 / T)``, renormalised.

    For one model pass this is exactly ``softmax(logits / T)``.
    """
    logp = np.log(np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)) / temperature
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    return np.asarray(p / p.sum(axis=1, keepdims=True), np.float64)


def fit_temperature(probabilities: NDArray[np.floating], true: NDArray[np.integer]) -> float:
    """The temperature minimising the negative log-likelihood of ``true`` (temperature scaling, Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    labels = np.asarray(true)

    def nll(log_t: float) -> float:
        p = apply_temperature(probabilities, float(np.exp(log_t)))
        return float(-np.mean(np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, 1.0))))

    best = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(best.x))


def _f1(precision: float, recall: float) -> float:
    return float(2 * precision * recall / max(1e-12, precision + recall))


def classification_report(
    probabilities: NDArray[np.floating],
    true: NDArray[np.integer],
    missed: NDArray[np.integer] | None = None,
) -> EvaluationReport:
    """Metrics for predicted probabilities (N, 9) against true label indices (N,).

    Predictions range over all nine labels; per-class figures and macro-F1 cover the
    labels that occur in ``true``. ``accuracy_8`` scores the images whose label is not
    ``uncertain`` with the most probable of the eight emotions (the FER+ protocol).
    ``missed`` holds the true labels of images where no face was found: given, the report
    also has end-to-end accuracy and macro-F1 that count them as wrong.

    >>> r = classification_report(np.eye(9)[[4, 5]], np.array([4, 6]), missed=np.array([4, 4]))
    >>> r.accuracy, r.end_to_end_accuracy, r.found_rate
    (0.5, 0.25, 0.5)
    """
    true = np.asarray(true, np.int64)
    pred = np.asarray(probabilities).argmax(axis=1)
    k = len(EMOTIONS)
    confusion = np.zeros((k, k), np.int64)
    np.add.at(confusion, (true, pred), 1)
    per_class = {}
    for c in sorted(set(true.tolist())):
        tp = confusion[c, c]
        precision = tp / max(1, confusion[:, c].sum())
        recall = tp / max(1, confusion[c].sum())
        f1 = _f1(precision, recall)
        per_class[EMOTIONS[c]] = {
            "precision": float(precision),
            "recall": float(recall),
            "f1": float(f1),
            "support": int(confusion[c].sum()),
        }
    unc = EMOTIONS.index("uncertain")
    emotional = true != unc
    acc8 = None
    if emotional.any():
        pred8 = np.asarray(probabilities)[emotional][:, :unc].argmax(axis=1)
        acc8 = float((pred8 == true[emotional]).mean())
    report = EvaluationReport(
        labels=EMOTIONS,
        confusion=confusion,
        accuracy=float((pred == true).mean()) if len(true) else 0.0,
        macro_f1=float(np.mean([m["f1"] for m in per_class.values()])) if per_class else 0.0,
        n=len(true),
        per_class=per_class,
        accuracy_8=acc8,
    )
    if missed is not None:
        missed = np.asarray(missed, np.int64)
        lost = np.bincount(missed, minlength=k)
        report.no_face = len(missed)
        report.end_to_end_accuracy = float(np.trace(confusion) / max(1, len(true) + len(missed)))
        f1s = []
        for c in sorted(set(true.tolist()) | set(missed.tolist())):
            precision = confusion[c, c] / max(1, confusion[:, c].sum())
            recall = confusion[c, c] / max(1, confusion[c].sum() + lost[c])
            f1s.append(_f1(precision, recall))
        report.end_to_end_macro_f1 = float(np.mean(f1s))
    return report


def evaluate_folder(
    classifier: EmotionClassifier, root: str | Path, *, crops: bool = False, batch: int = 256
) -> EvaluationReport:
    """Evaluate on a folder-per-emotion tree; with ``crops=False`` the largest face of each photo is used."""
    from facemotion.io import ImageLike, read_image
    from facemotion.training.datasets import list_image_folder

    items = list_image_folder(root)
    probs: list[NDArray[np.float32]] = []
    true: list[int] = []
    missed: list[int] = []
    unreadable = 0
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        if not crops:  # predict reads one photo at a time (reduced when large) and keeps only its face crops
            for found, (_, label) in zip(classifier.predict([p for p, _ in chunk], errors="skip"), chunk, strict=True):
                if found.error is not None:
                    log.warning("left out: %s", found.error)
                    unreadable += 1
                elif not found:
                    missed.append(label)
                else:
                    face = max(found, key=lambda f: (f.box[2] * f.box[3]) if f.box else 0)
                    probs.append(np.array(list(face.probabilities.values()), np.float32))
                    true.append(label)
            continue
        images: list[ImageLike] = []
        for path, label in chunk:
            try:
                images.append(read_image(path))
                true.append(label)
            except FacemotionError as err:
                log.warning("skipping %s: %s", path, err)
                unreadable += 1
        probs.extend(np.array([list(f.probabilities.values()) for f in classifier.predict_faces(images)], np.float32))
    if not true:
        raise FacemotionError(f"no face could be evaluated under {root}")
    if unreadable:
        log.warning("%d unreadable image(s) under %s were left out", unreadable, root)
    return classification_report(np.stack(probs), np.array(true), None if crops else np.array(missed, np.int64))


def save_report(report: EvaluationReport, path: str | Path) -> None:
    Path(path).write_text(json.dumps(report.to_dict(), indent=2))
