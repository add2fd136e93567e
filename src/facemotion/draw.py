"""Pictures: faces annotated on the image, the valence–arousal plane, emotion shares.

`annotate` uses OpenCV only; the plots use matplotlib (a dependency, imported on first use).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.io import ImageLike, read_image_reduced
from facemotion.labels import ANCHORS, EMOTIONS
from facemotion.results import FaceAffect, FaceEmotion, scaled_box

#: One colour (RGB) per label, colour-blind friendly (Okabe–Ito plus two greys).
COLORS: dict[str, tuple[int, int, int]] = {
    "anger": (213, 94, 0),
    "contempt": (204, 121, 167),
    "disgust": (0, 158, 115),
    "fear": (86, 180, 233),
    "happy": (240, 228, 66),
    "neutral": (190, 190, 190),
    "sad": (0, 114, 178),
    "surprise": (230, 159, 0),
    "uncertain": (120, 120, 120),
}
#: Font scales of a face's label (OpenCV's Hershey font: 0.4 is about 9 px tall): never below the
#: legend's, and up to ``LABEL_MAX_SMALL`` for a large face in an image under 900 px (a portrait's
#: label was 0.35, smaller than the legend's text, above a face of 350 px).
LABEL_MIN_SCALE = 0.4
LABEL_MAX_SMALL = 0.6
#: `annotate` draws a smaller image (a thumbnail, a 48-px face) enlarged to at least this longer side.
MIN_DRAWN_SIDE = 400


def percent(score: float) -> str:
    """A model's probability as a whole percentage that never claims certainty: 99 % at most (an int8
    model's probability saturates at 1.0 well short of certainty), under 1 % for anything above 0.

    >>> percent(0.996), percent(1.0), percent(0.005), percent(0.5)
    ('99%', '99%', '<1%', '50%')
    """
    text = f"{score:.0%}"
    if text == "100%":
        return "99%"
    if text == "0%" and score > 0.0:
        return "<1%"
    return text


def _label_box(shape: tuple[int, ...], text: str, org: tuple[int, int], scale: float) -> tuple[int, int, int, int]:
    """Where `_text` draws ``text`` at ``org`` (its baseline's left end) in an image of ``shape``: x0, y0, x1, y1."""
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, round(scale * 2)))
    x = min(max(0, org[0]), max(0, shape[1] - tw - 4))
    y = min(max(th + 4, org[1]), shape[0] - base)
    return x, y - th - 4, x + tw + 4, y + base


def _text(img: NDArray[np.uint8], text: str, org: tuple[int, int], scale: float, color: tuple[int, int, int]) -> None:
    thickness = max(1, round(scale * 2))
    x, top, right, bottom = _label_box(img.shape, text, org, scale)
    y = bottom - cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)[1]
    cv2.rectangle(img, (x, top), (right, bottom), color, -1)
    dark = sum(color) > 380
    cv2.putText(
        img,
        text,
        (x + 2, y - 2),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (0, 0, 0) if dark else (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )


def annotate(
    image: NDArray[np.uint8],
    faces: Sequence[FaceEmotion | FaceAffect],
    numbered: bool = False,
    legend: bool = True,
) -> NDArray[np.uint8]:
    """Draw each face's box, its emotion and confidence, and a small valence–arousal mark.

    The mark is a square under the box (beside it where that would cover another face, as in
    a video call's gallery): the dot's horizontal position is valence (left negative, right
    positive) and its height arousal (up is excited); with ``legend=True`` (default) a key in
    a corner says so, left out where it would hide a face. Text, lines and
    marks grow with the image, so they stay readable on large photos, and labels are kept
    near their face's width, so a crowd's labels do not cover each other. With
    ``numbered=True`` each label starts with the face's number (as in `plot_affect_plane`).
    An image with faces whose longer side is under `MIN_DRAWN_SIDE` pixels (a thumbnail, a
    48-px face) is drawn enlarged a whole number of times, so its labels can be read.

    >>> import numpy as np
    >>> annotate(np.zeros((60, 80, 3), np.uint8), []).shape
    (60, 80, 3)
    >>> annotate(np.zeros((48, 48, 3), np.uint8), [FaceAffect(0.5, 0.2, box=(0, 0, 48, 48))]).shape
    (432, 432, 3)
    """
    out = np.ascontiguousarray(image.copy())
    if faces and max(out.shape[:2]) < MIN_DRAWN_SIDE:
        out, faces = _enlarged(out, faces)
    longest = max(out.shape[:2])
    scale = max(0.4, longest / 900)
    boxed = [
        (number, face, face.box, COLORS.get(getattr(face, "label", None) or "neutral", (255, 255, 255)))
        for number, face in enumerate(faces, 1)
        if face.box is not None
    ]
    thickness = max(2, round(scale * 2))
    for _, _, (x, y, w, h), color in boxed:  # a dark edge first: a light grey box shows on a light background too
        cv2.rectangle(out, (x, y), (x + w, y + h), (30, 30, 30), thickness + 2)
        cv2.rectangle(out, (x, y), (x + w, y + h), color, thickness)
    marks: list[tuple[int, int, int, int]] = []
    faces_xyxy = np.array([(x, y, x + w, y + h) for _, _, (x, y, w, h), _ in boxed], np.int64).reshape(-1, 4)
    for _, _, (x, y, w, h), _ in boxed:
        # Readable on a large photo, but never wider than its face: a crowd's marks would cover the next faces.
        side = max(10, round(min(w, longest / 12, max(w / 2, longest / 45))))
        corner = _mark_place(out.shape, (x, y, x + w, y + h), side, faces_xyxy, marks)
        marks.append((*corner, corner[0] + side, corner[1] + side))
    key = (
        _affect_legend(out, scale, marks, [(x, y, x + w, y + h) for _, _, (x, y, w, h), _ in boxed])
        if legend and boxed
        else None
    )
    if key is not None:  # drawn before the marks: where it cannot avoid one, the mark stays on top
        _draw_affect_legend(out, key, scale)
    for (_, face, _, _), (mx, my, mx1, _) in zip(boxed, marks, strict=True):
        _affect_square(out, (mx, my), mx1 - mx, face)
    marks += [key] if key else []
    labels = []
    for i, (number, face, (_, _, w, _), _) in enumerate(boxed):
        label = getattr(face, "label", None)
        text = (
            f"{label} {percent(face.score)}"
            if isinstance(face, FaceEmotion)
            else f"v{face.valence:+.2f} a{face.arousal:+.2f}"
        )
        # Text grows with its face (up to LABEL_MAX_SMALL on a small image, more on a large one) but not past
        # about 1.5× its face's width, so the labels of a crowd stay apart.
        labels.append(
            (
                i,
                f"{number} {text}" if numbered else text,
                max(LABEL_MIN_SCALE, min(max(scale * 0.6, LABEL_MAX_SMALL), w / 130)),
            )
        )
    owns = [(x, y, x + w, y + h) for _, _, (x, y, w, h), _ in boxed]
    where = _place_labels(out.shape, labels, owns, [m[3] for m in marks], marks)
    for i, text, text_scale in labels:  # labels last: no box or mark covers one
        _text(out, text, where[i], text_scale, boxed[i][3])
    return out


def _enlarged(
    image: NDArray[np.uint8], faces: Sequence[FaceEmotion | FaceAffect]
) -> tuple[NDArray[np.uint8], list[FaceEmotion | FaceAffect]]:
    """``image`` enlarged a whole number of times to a longer side of at least `MIN_DRAWN_SIDE`, boxes alike."""
    factor = -(-MIN_DRAWN_SIDE // max(image.shape[:2]))
    big = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    moved = [dataclasses.replace(f, box=scaled_box(f.box, factor)) if f.box else f for f in faces]
    return np.ascontiguousarray(big), moved


def _place_labels(
    shape: tuple[int, ...],
    labels: Sequence[tuple[int, str, float]],
    owns: Sequence[tuple[int, int, int, int]],
    belows: Sequence[int],
    obstacles: Sequence[tuple[int, int, int, int]],
) -> dict[int, tuple[int, int]]:
    """Each label's text origin, ``labels`` being ``(face index, text, scale)`` in the order they are
    placed: each where it covers least of the faces (``owns``, x0, y0, x1, y1), the ``obstacles``
    and the labels placed before it (`_label_place`; ``belows``: where each face's mark ends)."""
    faces = np.array(owns, np.int64).reshape(-1, 4)
    fixed = np.array(obstacles, np.int64).reshape(-1, 4)
    placed: list[tuple[int, int, int, int]] = []
    where: dict[int, tuple[int, int]] = {}
    for i, text, scale in labels:
        taken = np.array(placed, np.int64).reshape(-1, 4)
        where[i] = _label_place(shape, text, scale, owns[i], belows[i], faces, fixed, taken)
        placed.append(_label_box(shape, text, where[i], scale))
    return where


def _label_place(
    shape: tuple[int, ...],
    text: str,
    scale: float,
    own: tuple[int, int, int, int],
    below: int,
    faces: NDArray[np.int64],
    marks: NDArray[np.int64],
    placed: NDArray[np.int64],
) -> tuple[int, int]:
    """Where a label goes (its text's origin) for the face whose box is ``own`` (x0, y0, x1, y1;
    its mark ends at ``below``): above the box if that covers nothing, else the place among
    above-right, under the mark, beside the box and inside the box's top that covers least of
    the other ``faces``, the labels ``placed`` so far, the ``marks`` (and legend) and its own face.
    The obstacles are (K, 4) arrays of x0, y0, x1, y1, so a crowd of hundreds stays fast.

    >>> faces = np.array([(10, 40, 70, 140), (40, 0, 140, 38)])  # a face just below another one's chin
    >>> none = np.zeros((0, 4), np.int64)
    >>> _label_place((200, 200, 3), "happy 99%", 0.4, (10, 40, 70, 140), 140, faces, none, none)[1] > 100
    True
    """
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, max(1, round(scale * 2)))
    x0, y0, x1, y1 = own
    height = th + 4 + base
    candidates = [
        (x0, y0 - 2),  # above, as usual
        (x1 - tw - 4, y0 - 2),  # above, right-aligned
        (x0, max(y1, below) + 2 + th + 4),  # under its valence–arousal mark
        (x0 - tw - 6, y0 + th + 4),  # left of the box
        (x1 + 2, y0 + th + 4),  # right of the box
        (x0, y0 + height + 2),  # inside the top of its own box
    ]
    inside = np.array([(x0, y0 + base, x1, y1)])  # its own face, below the strip "above" may touch
    whole = np.array([own])
    costs = []
    for org in candidates:
        box = _label_box(shape, text, org, scale)
        others = _covered(box, faces) - _covered(box, whole)
        costs.append(4 * others + 8 * _covered(box, placed) + _covered(box, marks) + 2 * _covered(box, inside))
    return candidates[costs.index(min(costs))]


def _mark_place(
    shape: tuple[int, ...],
    own: tuple[int, int, int, int],
    side: int,
    faces: NDArray[np.int64],
    placed: Sequence[tuple[int, int, int, int]],
) -> tuple[int, int]:
    """The top-left corner of a face's valence–arousal mark (``side`` px): under its box (x0, y0, x1, y1) if
    that covers nothing, else where it covers least of the other ``faces`` (four times), the marks
    ``placed`` so far and its own face: beside the box (right, left) or inside its bottom-right corner. In a video call's gallery a mark under a face fell on the face in the tile below.

    >>> faces = np.array([(40, 10, 100, 70), (40, 80, 100, 140)])  # a face right under another
    >>> _mark_place((200, 200, 3), (40, 10, 100, 70), 20, faces, [])  # beside it, not on the face below
    (104, 50)
    """
    x0, _, x1, y1 = own
    height, width = shape[:2]
    candidates = [
        ((x0 + x1 - side) // 2, y1 + 4),  # under the box, as usual
        (x1 + 4, y1 - side),  # right of the box, at its bottom
        (x0 - side - 4, y1 - side),  # left of it
        (x1 - side - 2, y1 - side - 2),  # inside its bottom-right corner (above the box is the label's)
    ]
    others = np.array([f for f in faces.tolist() if tuple(f) != own], np.int64).reshape(-1, 4)
    marks = np.array(placed, np.int64).reshape(-1, 4)
    costs = []
    for x, y in candidates:  # kept inside the image (under a face at the bottom edge: over its chin)
        x, y = min(max(0, x), width - side - 1), min(max(0, y), height - side - 1)
        box = (x, y, x + side, y + side)
        costs.append((4 * _covered(box, others) + _covered(box, marks) + _covered(box, np.array([own])), (x, y)))
    return min(costs, key=lambda cost: cost[0])[1]


def _covered(box: tuple[int, int, int, int], rects: NDArray[np.int64]) -> int:
    """Area of ``box`` shared with each of ``rects`` (x0, y0, x1, y1 rows), summed."""
    if not len(rects):
        return 0
    w = np.minimum(box[2], rects[:, 2]) - np.maximum(box[0], rects[:, 0])
    h = np.minimum(box[3], rects[:, 3]) - np.maximum(box[1], rects[:, 1])
    return int((np.clip(w, 0, None) * np.clip(h, 0, None)).sum())


def annotate_source(
    source: ImageLike, faces: Sequence[FaceEmotion | FaceAffect], numbered: bool = False, legend: bool = True
) -> NDArray[np.uint8]:
    """`annotate` ``source`` (a path, array or PIL image) as ``predict`` reads it, with ``faces`` from ``predict``.

    ``faces`` have their boxes in ``source``'s own pixels. An image over
    `facemotion.io.MAX_DECODED_PIXELS` is drawn reduced, as it was analysed (a JPEG is never
    decoded at full size), with the boxes scaled onto it.

    >>> from facemotion.results import FaceAffect
    >>> big = np.zeros((6000, 5000, 3), np.uint8)  # 30 megapixels
    >>> drawn = annotate_source(big, [FaceAffect(0.5, 0.2, box=(1000, 1000, 800, 800))])
    >>> drawn.shape, drawn[1000, 1000:1100].any(), drawn[500, 500:600].any()
    ((3000, 2500, 3), np.False_, np.True_)
    """
    image, scale = read_image_reduced(source)
    if scale != 1.0:
        faces = [dataclasses.replace(f, box=scaled_box(f.box, 1 / scale)) if f.box else f for f in faces]
    return annotate(image, faces, numbered=numbered, legend=legend)


def _affect_square(
    img: NDArray[np.uint8], corner: tuple[int, int], side: int, face: FaceEmotion | FaceAffect | None
) -> None:
    """The small valence–arousal square; the dot is ``face``'s place (none for the legend)."""
    mx, my = corner
    line = max(1, side // 40)
    cv2.rectangle(img, (mx, my), (mx + side, my + side), (255, 255, 255), -1)
    cv2.rectangle(img, (mx, my), (mx + side, my + side), (60, 60, 60), line)
    cv2.line(img, (mx + side // 2, my), (mx + side // 2, my + side), (170, 170, 170), line)
    cv2.line(img, (mx, my + side // 2), (mx + side, my + side // 2), (170, 170, 170), line)
    if face is not None:
        px = int(mx + (face.valence + 1) / 2 * side)
        py = int(my + (1 - (face.arousal + 1) / 2) * side)
        cv2.circle(img, (px, py), max(2, side // 8), (220, 20, 60), -1)


LEGEND_LINES = ("dot in the square:", "right = pleasant (valence)", "up = excited (arousal)")


def _legend_layout(scale: float) -> tuple[float, int, int, int, int, int]:
    """The key's font size, square side, padding, line thickness, text height and width, for an image's ``scale``."""
    size = max(0.4, 0.45 * scale)  # readable on a photo of 900 px or less too
    side = round(28 * size / 0.45)
    pad = round(6 * size / 0.45)
    thick = max(1, round(scale))
    (tw, th), _ = cv2.getTextSize(max(LEGEND_LINES, key=len), cv2.FONT_HERSHEY_SIMPLEX, size, thick)
    return size, side, pad, thick, th, tw


def _affect_legend(
    img: NDArray[np.uint8],
    scale: float,
    marks: Sequence[tuple[int, int, int, int]] = (),
    faces: Sequence[tuple[int, int, int, int]] = (),
) -> tuple[int, int, int, int] | None:
    """Where the key goes (x0, y0, x1, y1; ``None``: no room): the corner of the image where it covers least
    of the faces' valence–arousal ``marks`` and their boxes (``faces``), bottom-left when it covers none.
    Where every corner would hide a quarter of a face or more (a video call's gallery), there is no key.

    >>> image = np.zeros((400, 600, 3), np.uint8)
    >>> _affect_legend(image, 0.67)[:2], _affect_legend(image, 0.67, faces=[(0, 250, 300, 400)])[:2]
    ((5, 337), (409, 337))
    """
    _, side, pad, _, th, tw = _legend_layout(scale)
    width = side + tw + 3 * pad
    height = max(side, len(LEGEND_LINES) * (th + pad)) + 2 * pad
    H, W = img.shape[:2]
    if width + 2 * pad > W or height + 2 * pad > H:
        return None  # too small an image for a key
    corners = [(pad, H - height - pad), (W - width - pad, H - height - pad), (pad, pad), (W - width - pad, pad)]
    boxes = [(x, y, x + width, y + height) for x, y in corners]
    marked, boxed = np.array(marks, np.int64).reshape(-1, 4), np.array(faces, np.int64).reshape(-1, 4)
    areas = np.maximum((boxed[:, 2] - boxed[:, 0]) * (boxed[:, 3] - boxed[:, 1]), 1)
    costs = [
        (4 * _covered(box, marked) + _covered(box, boxed), box)
        for box in boxes
        if all(_covered(box, face[None]) < 0.25 * area for face, area in zip(boxed, areas, strict=True))
    ]
    return min(costs, key=lambda cost: cost[0])[1] if costs else None


def _draw_affect_legend(img: NDArray[np.uint8], where: tuple[int, int, int, int], scale: float) -> None:
    """Draw the key at ``where`` (from `_affect_legend`): what the square under each face means."""
    size, side, pad, thick, th, _ = _legend_layout(scale)
    x0, y0, x1, y1 = where
    cv2.rectangle(img, (x0, y0), (x1, y1), (255, 255, 255), -1)
    _affect_square(img, (x0 + pad, y0 + (y1 - y0 - side) // 2), side, None)
    for i, text in enumerate(LEGEND_LINES):
        org = (x0 + side + 2 * pad, y0 + pad + (i + 1) * (th + pad) - pad // 2)
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, (40, 40, 40), thick, cv2.LINE_AA)


def save_image(image: NDArray[np.uint8], path: str | Path) -> Path:
    """Write an RGB image (PNG or JPEG by suffix)."""
    path = Path(path)
    try:
        ok, data = cv2.imencode(path.suffix or ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    except cv2.error:
        ok = False
    if not ok:
        raise OSError(f"could not write {path}: OpenCV cannot encode {path.suffix or 'this'} images")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.tobytes())  # Python writes any file name (OpenCV crashes on one that is not UTF-8)
    return path


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise ImportError("plots need matplotlib: pip install matplotlib") from None
    return plt


# Where each anchor's name goes (points, alignment), so that close anchors stay readable.
_LABEL_OFFSETS: dict[str, tuple[int, int, str]] = {
    "anger": (-7, -3, "right"),
    "fear": (6, 5, "left"),
    "disgust": (-7, -9, "right"),
    "uncertain": (6, -11, "left"),
    "contempt": (6, -11, "left"),
    "sad": (-7, -4, "right"),
    "neutral": (6, -4, "left"),
    "happy": (-4, 7, "right"),
    "surprise": (-6, 7, "right"),
}


def plot_affect_plane(faces: Sequence[FaceEmotion | FaceAffect], ax: Any = None, title: str = "Valence–arousal") -> Any:
    """Plot each face as a point on the valence–arousal plane with the nine anchors labelled."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 5.5), layout="constrained")  # the axis labels inside the picture
    ax.axhline(0, color="0.8", lw=1)
    ax.axvline(0, color="0.8", lw=1)
    ax.add_patch(plt.Circle((0, 0), 1, fill=False, color="0.85", lw=1))
    for label, (v, a) in zip(EMOTIONS, ANCHORS, strict=True):
        rgb = np.array(COLORS[label]) / 255
        ax.scatter([v], [a], marker="s", s=50, color=rgb, edgecolor="k", zorder=2)
        dx, dy, align = _LABEL_OFFSETS.get(label, (6, 4, "left"))
        ax.annotate(label, (v, a), textcoords="offset points", xytext=(dx, dy), ha=align, fontsize=9, color="0.2")
    if faces:
        colors = [np.array(COLORS.get(getattr(f, "label", "neutral"), (0, 0, 0))) / 255 for f in faces]
        ax.scatter(
            [f.valence for f in faces], [f.arousal for f in faces], c=colors, s=70, edgecolor="k", lw=1.2, zorder=3
        )
        for i, f in enumerate(faces):  # numbers placed round their dot in turn, so that close faces stay readable
            angle = np.deg2rad(-90 + 45 * i)
            offset = (10 * np.cos(angle) - 3, 10 * np.sin(angle) - 3)
            ax.annotate(str(i + 1), (f.valence, f.arousal), textcoords="offset points", xytext=offset, fontsize=8)
    ax.set(
        xlim=(-1.1, 1.1),
        ylim=(-1.1, 1.1),
        xlabel="valence (unpleasant → pleasant)",
        ylabel="arousal (calm → excited)",
        title=title,
    )
    ax.set_aspect("equal")
    return ax


def plot_emotion_shares(shares: Mapping[str, float], ax: Any = None, title: str = "Emotion shares") -> Any:
    """Bar chart of the share of faces per emotion."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
    values = [shares.get(label, 0.0) for label in EMOTIONS]
    ax.bar(EMOTIONS, values, color=[np.array(COLORS[label]) / 255 for label in EMOTIONS], edgecolor="k", lw=0.5)
    ax.set(ylim=(0, max(0.05, max(values)) * 1.15), ylabel="share of faces", title=title)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.tick_params(axis="x", rotation=35)
    for i, v in enumerate(values):
        if v > 0:
            ax.text(i, v, f"{v:.0%}", ha="center", va="bottom", fontsize=8)
    return ax


def group_figure(image: NDArray[np.uint8], faces: Sequence[FaceEmotion], shares: Mapping[str, float]) -> Any:
    """One figure: the annotated photo, its faces on the plane, and the emotion shares."""
    plt = _pyplot()
    fig, (ax_img, ax_plane, ax_bars) = plt.subplots(
        1, 3, figsize=(17, 5.4), width_ratios=[1.5, 1, 1], layout="constrained"
    )
    ax_img.imshow(annotate(image, faces, numbered=True))
    ax_img.set_axis_off()
    ax_img.set_title(f"{len(faces)} face{'s' if len(faces) != 1 else ''}")
    plot_affect_plane(faces, ax_plane, title="Faces on the valence–arousal plane")
    plot_emotion_shares(shares, ax_bars)
    return fig


def outline_faces(
    image: NDArray[np.uint8],
    faces: Sequence[tuple[tuple[int, int, int, int], str, str | None]],
    width: int = 1280,
) -> NDArray[np.uint8]:
    """``image`` resized to ``width`` pixels with ``faces`` outlined: ``(box, text, label)`` each.

    A face with an emotion ``label`` gets a thick box in that emotion's colour and ``text``
    (e.g. ``"1 happy 85%"``) in large type above it; a face with ``label=None`` (one the
    reader should not look at first, e.g. left out of the figures) a thin grey box and
    ``text`` in small type. Drawn after resizing, so text stays sharp on small videos.

    >>> outline_faces(np.zeros((90, 160, 3), np.uint8), [((10, 10, 30, 30), "1 happy 85%", "happy")]).shape
    (720, 1280, 3)
    """
    scale = width / image.shape[1]
    out = np.ascontiguousarray(
        cv2.resize(image, (width, round(image.shape[0] * scale)), interpolation=cv2.INTER_CUBIC), np.uint8
    )
    unit = width / 1280
    order = sorted(range(len(faces)), key=lambda i: faces[i][2] is not None)  # the faces to look at last, on top
    boxes = [tuple(round(v * scale) for v in box) for box, _, _ in faces]
    for i in order:
        x, y, w, h = boxes[i]
        strong = faces[i][2] is not None
        color = COLORS.get(faces[i][2] or "", (200, 200, 200))
        cv2.rectangle(out, (x, y), (x + w, y + h), (0, 0, 0), round((6 if strong else 3) * unit))
        cv2.rectangle(out, (x, y), (x + w, y + h), color, round((4 if strong else 1.5) * unit) or 1)
    owns = [(x, y, x + w, y + h) for x, y, w, h in boxes]
    # The labels of the faces to look at placed first, where they cover least, and drawn last, on top.
    labels = [(i, faces[i][1], (1.4 if faces[i][2] is not None else 0.8) * unit) for i in order[::-1] if faces[i][1]]
    where = _place_labels(out.shape, labels, owns, [y1 for _, _, _, y1 in owns], [])
    for i, text, size in labels[::-1]:
        _text(out, text, where[i], size, COLORS.get(faces[i][2] or "", (200, 200, 200)))
    return out
