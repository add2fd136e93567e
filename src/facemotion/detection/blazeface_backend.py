"""BlazeFace (MediaPipe), the fast offline default: two models for faces of every size.

Both model files ship in the wheel (MediaPipe, Apache License 2.0, see ``data/NOTICE``)
and run in the LiteRT interpreter (``ai-edge-litert``):

- **full range** (192×192, 2304 anchors): faces that are small in the frame (groups,
  crowds). It misses faces that fill the frame.
- **short range** (128×128, 896 anchors): large faces, run on the photo placed in a
  canvas with a border of half its side (``SHORT_RANGE_PAD``). The border lets it find
  faces that fill the whole frame (portraits, pre-cropped 48-px faces) and faces cut by
  the frame's edge.

The full-range model also sees the photo with its border mirrored (`edge_padded`)
and shrunk into a grey canvas: large faces and faces cut by the frame's edge. In photos
over 512 px it also runs on overlapping tiles (`tiles`), which finds the small faces of a
crowd. Grey photos are tinted first (`tint_grey`). The candidates of all passes are
merged by MediaPipe's weighted non-maximum suppression; a box lying mostly inside a
stronger one (a face part seen as a face) is dropped. Short-range boxes are first mapped
to the full-range framing, then every box is scaled to the framing the emotion model was
trained on (FER2013's crops). Large faces side by side (a contact sheet) are also looked
for by the short-range model in windows of their size (`windows`), and each panel of a
video call's gallery is searched as a photo of its own (`panels`). Last, a box with almost
no contrast (`contrast`, a near-black corner) is dropped, and a weak box must pass a second
look (`BlazeFaceDetector.verify`): noise, stripes, gradients and textures are not faces.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.detection.base import DetectedFace, check_detector_options, clip_box
from facemotion.detection.panels import panels
from facemotion.io import read_image
from facemotion.runtime_lite import load_interpreter

DATA = Path(__file__).parent / "data"
MODEL_PATH = DATA / "face_detection_full_range_sparse.tflite"
SHORT_RANGE_PATH = DATA / "face_detection_short_range.tflite"
#: Border added on each side, as a fraction of the photo's longer side, before the short-range pass.
SHORT_RANGE_PAD = 0.5
# BlazeFace boxes are square and tight around eyes and mouth. Scaled by BOX_SCALE and moved
# up by BOX_SHIFT of their side they frame a face like MTCNN's boxes and like FER2013's
# crops (measured on 300 FER+ faces and on the shared group photos), so that every
# detector gives the emotion model the framing it was trained on.
BOX_SCALE = 1.13
BOX_SHIFT = 0.053
# The short-range model's boxes are 3.4 % smaller and sit 6.2 % of their side lower than the
# full-range model's on the same face (median over 824 faces found by both: portraits,
# FER+ faces, group photos); they are mapped to the full-range framing before merging.
SHORT_RANGE_SCALE = 1 / 0.966
SHORT_RANGE_SHIFT = 0.062
#: A box whose area lies this much inside a stronger box is a face part, not a face.
CONTAINED = 0.6
#: Least score of a short-range box. On video frames with only small faces the short-range
#: model's false boxes reach 0.64; its true frame-filling faces score 0.71 or more in 99 %
#: of the portraits.
SHORT_RANGE_MIN_SCORE = 0.7
#: The full-range model finds faces down to about 1/16 of the side it sees (12 px of its 192).
#: Smaller faces (a crowd in a large photo) are looked for in tiles of ``FACES_PER_TILE``
#: times the smallest face wanted, overlapping by a quarter of their side.
FACES_PER_TILE = 16
#: Photos larger than this are shrunk for the tiles (as MTCNN shrinks to 1,024 px), so a
#: 12-MP photo needs 26 tiles; faces of ``min_face_size`` px in the shrunk copy are found there.
TILED_MAX_SIDE = 2048
#: A crowd: when faces found in the tiles (of the shrunk copy of a large photo) are less than
#: ``REFINE_BELOW`` times ``min_face_size``, smaller faces are likely, and the photo's own
#: pixels (up to ``FINE_MAX_SIDE``) are searched again in smaller tiles
#: (``FINE_FACES_PER_TILE``). A 4,500-px photo of 387 faces of 39 px: 39 found in the copy
#: alone, 379 with this. In a photo of up to ``TILED_MAX_SIDE`` one such face is enough
#: (``REFINE_MIN_FACES``) and the second search looks for faces down to ``FINE_SHARE`` of
#: ``min_face_size`` (20 px by default): the VOC group photos as a 750-px mosaic (faces of
#: 19 px) 6 → 42 of 43, as a 1,000-px one (26 px) 29 → 42, a small group 5 faces of 22–35
#: px in a 1,000-px photo 2 → 5, none spurious, the shared video's frames unchanged (with
#: three faces and tiles for 24 px: 6, 29, 2). A larger photo needs three
#: (``REFINE_MIN_FACES_SHRUNK``; one small false box in a 4,000-px photo would cost a second
#: search of hundreds of tiles) and searches for faces of ``min_face_size`` in the photo's
#: own pixels. Photos whose faces are larger (portraits, most groups) cost nothing more.
REFINE_BELOW = 1.2
REFINE_MIN_FACES = 1
REFINE_MIN_FACES_SHRUNK = 3
FINE_SHARE = 0.625
FINE_MAX_SIDE = 6144
#: The second search's tiles are 12 (not 16) times the face size it looks for: its faces are
#: at the tiles' limit by construction, and the full-range model finds them surely only a
#: little above it (the 4,500-px crowd: 312 of 387 faces with 16, 379 with 12, none spurious).
FINE_FACES_PER_TILE = 12
#: Least score of a box found in a tile. Tiles show backgrounds in more detail than the
#: whole photo: their false boxes (hands, faces in pictures) reach 0.64 while true faces of
#: 77 px and more score 0.67 or more (VOC group photos as a 3×3 mosaic, 1,500–4,000 px wide).
TILE_MIN_SCORE = 0.6
#: Boxes smaller than this (pixels a side) are dropped: no expression can be read in them,
#: and in 48-px photos they are specks at the edge.
MIN_BOX_SIDE = 8
#: BlazeFace learned faces in colour: in black-and-white photos the full-range model finds
#: 32 of the 43 labelled group-photo faces. Grey photos are tinted with the median
#: R:G:B of those faces' skin (relative to its mean) before detection, which finds 39.
SKIN_TINT = np.array([1.286, 0.923, 0.799], np.float32)
#: A photo whose channels differ by less than this (mean absolute grey levels) is grey.
GREY_TOLERANCE = 2.0
#: The full-range model also sees the photo shrunk into a grey canvas with a border of
#: ``SHRUNK_PAD`` of its longer side, after mirroring ``MIRROR_PAD`` of it around the
#: photo: large faces, and faces cut by the frame's edge, which it misses at full size (a
#: face cut near its middle is continued by its own mirror image, a whole face). In 640×480
#: views of the VOC photos with one face cut by an edge (`benchmarks/detection.py`), this
#: and `verify`'s replicated border (``EDGE_PAD``) find 407 of 454 faces (382 with this
#: border replicated too), faces cut in half at the right edge 28 of 33 (20), see
#: docs/detection.md. Without the short-range model the border is replicated: that pass
#: alone then finds the faces that fill the frame, and their mirror images beside them
#: hide them (portraits found 85.7 % mirrored, 96.8 % replicated).
SHRUNK_PAD = 0.5
MIRROR_PAD = 0.15
EDGE_PAD = 0.05
#: A face whose box lies less than this in the photo (of its width or of its height) is
#: dropped: the mirror image of a face beside the edge, in the mirrored border.
MIN_VISIBLE = 0.25
#: Only large faces are taken from that pass (box side at least this fraction of the
#: photo's longer side): its boxes of small faces are coarse, and merged with the
#: full-size pass's they moved the boxes of the black-and-white group photos off their faces.
SHRUNK_MIN_FACE = 0.15
#: Boxes scoring below this are looked at again (`verify`): random textures, noise and
#: dark corners reach 0.81, true faces of the group photos score 0.64–0.92.
VERIFY_BELOW = 0.8
#: The second look: the box centred in a crop ``VERIFY_CONTEXT`` times its side (beyond
#: the replicated border: grey, ``VERIFY_FILL``), resized to the short-range model's 128
#: px, seen as it is and mirrored. The two views' scores of a face at the centre must
#: average ``VERIFY_MIN_SCORE`` or more.
VERIFY_CONTEXT = 2.5
VERIFY_MIN_SCORE = 0.65
VERIFY_FILL = (128, 128, 128)
#: A box whose crop's grey levels vary less than this (standard deviation) holds no
#: readable face. With the second look (`verify`) the only box of the shared clip's dark
#: audience shot under it is a real face at 5.6–5.7, read with flat probabilities (23 %
#: neutral, 19 % happy for a smile). Photos darkened to 20 % keep their faces above it
#: (portraits' crops median 9.4; at 12 only 19 of 238 were found, at 6 all; see
#: docs/detection.md, "Dim light").
MIN_CONTRAST = 6.0
#: Without the short-range model there is no second look, and contrast is the only check
#: on dark boxes: at 6 the full-range model alone kept 23 near-black boxes in the clip's
#: dark shot, at 12 two.
MIN_CONTRAST_UNVERIFIED = 12.0
#: A washed-out photo (even its darkest 1 % of grey levels above ``WASHED_OUT``) is seen
#: by the detector through a gamma curve that brings its mean to ``EXPOSED_MEAN``
#: (`exposed`): portraits with their distance to white cut to 30 % were found in 128 of
#: 200, now 199. Judged by the dark end, not the mean: a portrait on a white background is
#: bright on average, and the curve made its face near-black (9 of 30 lost). Dark photos
#: keep their levels: brightened, their noise hid faces (VOC faces at 20 % brightness
#: 32 → 12 found).
WASHED_OUT = 150.0
EXPOSED_MEAN = 110.0
#: Photos of large faces side by side (a contact sheet, a collage of portraits, a photo-booth
#: strip): the full-range model misses some of them, and the short-range model sees them too
#: small in the whole photo. When three confident faces (``VERIFY_BELOW`` or more; one in a
#: strip, a photo ``WINDOW_STRIP`` times longer than wide) are at least
#: ``WINDOW_MIN_SHARE`` of the photo's shorter side, the short-range model also looks at
#: square windows ``WINDOW_FACES`` times their median side, overlapping by half (`windows`,
#: at most ``MAX_WINDOWS``; bordered by ``WINDOW_PAD``), and adds the faces no other pass
#: found. 11 sheets of 2–40 tight portraits (143 faces, `benchmarks/detection.py`): 128 →
#: 135 found (a column of six: 4 → 6); none of the shared group photos is searched so (with
#: two faces enough, a 500-px photo took 25 ms instead of 10 and gained nothing).
WINDOW_MIN_SHARE = 0.2
WINDOW_MIN_FACES = 3
WINDOW_STRIP = 2.0
WINDOW_FACES = 2.5
WINDOW_PAD = 0.25
MAX_WINDOWS = 40
#: A video's frames are cut into panels (`panels`) every this many frames, the layout kept in between:
#: a call's gallery changes when someone joins or leaves, while cutting every frame of a film
#: (its dark frames have many flat lines) cost 15 % of the video's time.
LAYOUT_EVERY = 10
#: In a gallery (`panels`), a box of the whole photo covering this share of the boxes of two faces
#: found in the panels is those two faces seen as one (stacked in neighbouring tiles).
COVERS = 0.5


def is_grey(image: NDArray[np.uint8]) -> bool:
    """Whether an RGB photo is black and white (sampled every 4th pixel; JPEG chroma noise allowed).

    >>> is_grey(np.full((8, 8, 3), 90, np.uint8)), is_grey(np.dstack([np.full((8, 8), v, np.uint8) for v in (90, 60, 40)]))
    (True, False)
    """
    sample = image[::4, ::4].astype(np.int16)
    chroma = np.abs(sample[..., 0] - sample[..., 1]) + np.abs(sample[..., 1] - sample[..., 2])
    return bool(chroma.mean() < GREY_TOLERANCE)


def tint_grey(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A grey photo in skin tones (``SKIN_TINT``), which BlazeFace detects far better; colour photos unchanged."""
    if not is_grey(image):
        return image
    tinted: NDArray[np.uint8] = np.clip(image.astype(np.float32) * SKIN_TINT, 0, 255).astype(np.uint8)
    return tinted


def exposed(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A washed-out photo (its darkest 1 % over ``WASHED_OUT``) through a gamma curve; others unchanged.

    The curve takes the photo's mean grey level to ``EXPOSED_MEAN``.

    >>> exposed(np.full((8, 8, 3), 230, np.uint8)).mean(), exposed(np.full((8, 8, 3), 120, np.uint8)).mean()
    (np.float64(110.0), np.float64(120.0))
    """
    grey = cv2.cvtColor(np.ascontiguousarray(image[::4, ::4]), cv2.COLOR_RGB2GRAY)
    if np.percentile(grey, 1) <= WASHED_OUT:
        return image
    mean = float(grey.mean())
    gamma = np.log(EXPOSED_MEAN / 255.0) / np.log(min(mean, 254.0) / 255.0)
    curve = np.round(255.0 * (np.arange(256) / 255.0) ** gamma).astype(np.uint8)
    return np.asarray(cv2.LUT(np.ascontiguousarray(image), curve), np.uint8)


def edge_padded(
    image: NDArray[np.uint8], share: float = EDGE_PAD, mode: int = cv2.BORDER_REPLICATE
) -> tuple[NDArray[np.uint8], int]:
    """The photo with ``share`` of its longer side replicated (or, with ``cv2.BORDER_REFLECT``, mirrored) around it,
    and that border in pixels.

    >>> padded, pad = edge_padded(np.zeros((40, 20, 3), np.uint8))
    >>> padded.shape, pad
    ((44, 24, 3), 2)
    """
    pad = round(share * max(image.shape[:2]))
    return np.asarray(cv2.copyMakeBorder(image, pad, pad, pad, pad, mode), np.uint8), pad


def visible(clipped: tuple[int, int, int, int], full: tuple[float, float, float, float]) -> bool:
    """Whether enough of a face's box lies in the photo (``MIN_VISIBLE`` of its width and of its height).

    A face in the mirrored border (`edge_padded`) is the mirror image of one inside, and
    only a sliver of its box reaches into the photo.

    >>> visible((0, 10, 30, 100), (-70.0, 10.0, 100.0, 100.0)), visible((0, 10, 2, 100), (-98.0, 10.0, 100.0, 100.0))
    (True, False)
    """
    return clipped[2] >= MIN_VISIBLE * full[2] and clipped[3] >= MIN_VISIBLE * full[3]


def contrast(grey: NDArray[np.uint8], box: tuple[int, int, int, int]) -> float:
    """Standard deviation of the grey levels in ``box`` (x, y, w, h): how much there is to see.

    >>> contrast(np.full((20, 20), 9, np.uint8), (0, 0, 10, 10))
    0.0
    """
    x, y, w, h = box
    return float(grey[y : y + h, x : x + w].std())


def tiles(
    width: int, height: int, min_face_size: int, below: float = float("inf"), per_tile: int = FACES_PER_TILE
) -> list[tuple[int, int, int]]:
    """Square tiles (x0, y0, side) in which faces of ``min_face_size`` px and up are large enough to be found.

    Each level's tiles are twice the side of the one below, starting at
    ``per_tile · min_face_size`` (``FACES_PER_TILE``), and overlap by a quarter, so a face up
    to a quarter of a tile lies whole in one of them; the whole-photo pass covers the levels
    above. Only tiles of a side under ``below`` are listed.

    >>> tiles(500, 375, 32)
    []
    >>> len(tiles(1500, 1125, 32)), tiles(1500, 1125, 32)[0]
    (16, (0, 0, 512))
    >>> tiles(640, 480, 32)
    [(0, 0, 512), (128, 0, 512)]
    >>> tiles(1500, 1125, 32, below=1024) == [t for t in tiles(1500, 1125, 32) if t[2] == 512]
    True
    """
    out: list[tuple[int, int, int]] = []
    side = per_tile * min_face_size
    while side < min(max(width, height), below):
        step = 3 * side // 4
        out += [(x, y, side) for y in _starts(height, side, step) for x in _starts(width, side, step)]
        side *= 2
    return out


def windows(width: int, height: int, side: int) -> list[tuple[int, int]]:
    """Top-left corners of square windows of ``side`` px covering the photo, overlapping by half.

    >>> windows(300, 100, 100)
    [(0, 0), (50, 0), (100, 0), (150, 0), (200, 0)]
    """
    step = max(1, side // 2)
    return [(x, y) for y in _starts(height, side, step) for x in _starts(width, side, step)]


def _starts(length: int, side: int, step: int) -> list[int]:
    """Start positions every ``step`` along ``length``, the last one moved back to end at the photo's edge."""
    return sorted({min(x, max(0, length - side)) for x in range(0, max(1, length - side + step), step)})


def _cut_inside(boxes: NDArray[np.float64], x0: int, y0: int, side: int, width: int, height: int) -> NDArray[np.bool_]:
    """Boxes (x0, y0, x1, y1 in a tile at ``x0, y0`` of ``side`` px) touching an edge of the tile that is not
    the photo's edge: faces cut there, which lie whole in a neighbouring tile."""
    x1, y1, margin = min(x0 + side, width), min(y0 + side, height), 0.01 * side
    return np.asarray(
        ((boxes[:, 0] < margin) & (x0 > 0))
        | ((boxes[:, 1] < margin) & (y0 > 0))
        | ((boxes[:, 2] > x1 - x0 - margin) & (x1 < width))
        | ((boxes[:, 3] > y1 - y0 - margin) & (y1 < height)),
        bool,
    )


def _anchors(input_size: int, layers: tuple[tuple[int, int], ...]) -> NDArray[np.float32]:
    """SSD anchor centres (fixed size) for ``(stride, anchors per cell)`` layers, MediaPipe's order."""
    out = []
    for stride, per_cell in layers:
        grid = input_size // stride
        centers = (np.arange(grid, dtype=np.float32) + 0.5) / grid
        xs, ys = np.meshgrid(centers, centers)
        out.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), per_cell, axis=0))
    return np.concatenate(out)


@dataclass
class Candidates:
    """Raw detections in image pixels: boxes (N, 4) as x0, y0, x1, y1, scores (N,), points (N, 6, 2)."""

    boxes: NDArray[np.float64]
    scores: NDArray[np.float64]
    points: NDArray[np.float64]


class _BlazeFaceModel:
    """One BlazeFace network: letterbox the photo (with an optional border), run, decode."""

    def __init__(self, path: Path, input_size: int, layers: tuple[tuple[int, int], ...], threads: int) -> None:
        self.size = input_size
        self._interpreter = load_interpreter(path, threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = self._interpreter.get_output_details()
        self._boxes = next(o["index"] for o in outputs if o["shape"][-1] == 16)
        self._scores = next(o["index"] for o in outputs if o["shape"][-1] == 1)
        self._anchors = _anchors(input_size, layers)
        self._lock = threading.Lock()

    def candidates(self, image: NDArray[np.uint8], pad: float, min_score: float) -> Candidates:
        height, width = image.shape[:2]
        size = self.size
        scale = size / (max(height, width) * (1.0 + 2.0 * pad))
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        pad_x, pad_y = (size - new_w) // 2, (size - new_h) // 2
        canvas = np.zeros((size, size, 3), np.float32)
        resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized.astype(np.float32) / 127.5 - 1.0
        with self._lock:
            self._interpreter.set_tensor(self._input, canvas[None])
            self._interpreter.invoke()
            raw = np.array(self._interpreter.get_tensor(self._boxes)[0], np.float64)
            logits = np.array(self._interpreter.get_tensor(self._scores)[0, :, 0], np.float64)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))
        keep = scores >= min_score
        raw, scores, anchors = raw[keep] / size, scores[keep], self._anchors[keep]
        centers = raw[:, :2] + anchors
        half = raw[:, 2:4] / 2
        offset = np.array([pad_x, pad_y], np.float64)
        boxes = (np.concatenate([centers - half, centers + half], axis=1) * size - np.tile(offset, 2)) / scale
        points = ((raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]) * size - offset) / scale
        return Candidates(boxes, scores, points)


def weighted_nms(
    boxes: NDArray[np.floating],
    scores: NDArray[np.floating],
    points: NDArray[np.floating],
    threshold: float = 0.3,
    contained: float = 1.0,
) -> list[tuple[NDArray[np.floating], float, NDArray[np.floating]]]:
    """MediaPipe's weighted NMS: overlapping boxes (IoU > ``threshold``) are averaged by score.

    A weaker box with more than ``contained`` of its area inside the kept box is dropped
    without being averaged in. ``boxes`` are (N, 4) as x0, y0, x1, y1; ``points`` (N, K, 2).
    """
    order = np.argsort(-scores)
    boxes, scores, points = boxes[order], scores[order], points[order]
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    remaining = np.ones(len(scores), bool)
    out = []
    for i in range(len(scores)):
        if not remaining[i]:
            continue
        x0 = np.maximum(boxes[i, 0], boxes[:, 0])
        y0 = np.maximum(boxes[i, 1], boxes[:, 1])
        x1 = np.minimum(boxes[i, 2], boxes[:, 2])
        y1 = np.minimum(boxes[i, 3], boxes[:, 3])
        inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
        iou = inter / np.maximum(area[i] + area - inter, 1e-9)
        group = remaining & (iou > threshold)
        group[i] = True
        weights = scores[group][:, None]
        box = (boxes[group] * weights).sum(0) / weights.sum()
        pts = (points[group] * weights[:, :, None]).sum(0) / weights.sum()
        out.append((box, float(scores[i]), pts))
        remaining &= ~group & ~(inter / np.maximum(area, 1e-9) > contained)
    return out


def _intersections(boxes: NDArray[np.float64], others: NDArray[np.float64]) -> NDArray[np.float64]:
    """Intersection areas of each of ``boxes`` with each of ``others`` (x0, y0, x1, y1 rows), shape (N, M)."""
    a, b = boxes[:, None, :], others[None, :, :]
    w = np.clip(np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0]), 0, None)
    h = np.clip(np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1]), 0, None)
    return np.asarray(w * h, np.float64)


def _area(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]), np.float64)


def _overlaps_any(boxes: NDArray[np.float64], others: NDArray[np.float64], iou_min: float = 0.3) -> NDArray[np.bool_]:
    """Which of ``boxes`` (x0, y0, x1, y1 rows) overlap one of ``others`` by ``iou_min`` or more.

    >>> _overlaps_any(np.array([[0, 0, 10, 10], [50, 50, 60, 60]], float), np.array([[1, 1, 11, 11]], float))
    array([ True, False])
    """
    if not len(boxes) or not len(others):
        return np.zeros(len(boxes), bool)
    inter = _intersections(boxes, others)
    union = _area(boxes)[:, None] + _area(others)[None, :] - inter
    return np.asarray((inter / np.maximum(union, 1e-9) >= iou_min).any(axis=1))


def _contains_any(
    boxes: NDArray[np.float64], others: NDArray[np.float64], share: float = CONTAINED
) -> NDArray[np.bool_]:
    """Which of ``boxes`` (x0, y0, x1, y1 rows) hold ``share`` or more of the area of one of ``others``.

    >>> _contains_any(np.array([[0, 0, 100, 100], [50, 50, 60, 60]], float), np.array([[10, 10, 30, 30]], float))
    array([ True, False])
    """
    if not len(boxes) or not len(others):
        return np.zeros(len(boxes), bool)
    inside = _intersections(boxes, others) / np.maximum(_area(others)[None, :], 1e-9)
    return np.asarray((inside >= share).any(axis=1))


def _corners(boxes: list[tuple[int, int, int, int]]) -> NDArray[np.float64]:
    """``(x, y, w, h)`` boxes as (x0, y0, x1, y1) rows."""
    xywh = np.array(boxes, np.float64).reshape(-1, 4)
    return np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)


def _shifted(face: DetectedFace, dx: int, dy: int) -> DetectedFace:
    """A face found in a panel at ``(dx, dy)``, in the photo's pixels."""
    x, y, w, h = face.box
    full = face.full_box and (face.full_box[0] + dx, face.full_box[1] + dy, face.full_box[2], face.full_box[3])
    marks = {k: (px + dx, py + dy) for k, (px, py) in face.landmarks.items()} if face.landmarks else None
    return DetectedFace((x + dx, y + dy, w, h), face.score, marks, full)


def _joined(parts: list[Candidates]) -> Candidates:
    """The candidates of several passes as one."""
    return Candidates(
        np.concatenate([c.boxes for c in parts]),
        np.concatenate([c.scores for c in parts]),
        np.concatenate([c.points for c in parts]),
    )


def _reframe(boxes: NDArray[np.float64], scale: float, shift: float) -> NDArray[np.float64]:
    """Square boxes scaled by ``scale`` about their centre and moved up by ``shift`` of their side."""
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    cy = (boxes[:, 1] + boxes[:, 3]) / 2 - shift * side
    half = side * scale / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], axis=1)


class BlazeFaceDetector:
    """Detect faces of every size with MediaPipe's BlazeFace (full and short range, a few ms per photo).

    Finds small faces in group photos, faces that fill the frame (portraits, selfies,
    pre-cropped faces) and faces cut by the frame's edge (their box is clipped to the
    image; the crop keeps the face's full square, the missing part padded). Photos larger
    than 16 · ``min_face_size`` are also searched in tiles for small faces (crowds).

    Args:
        min_score: faces below this confidence are dropped.
        threads: CPU threads of the interpreters.
        short_range: also run the short-range model (large and edge-cut faces).
        min_face_size: side in pixels of the smallest faces to look for in photos larger than
            16 times that (in tiles, see `tiles`; photos over ``TILED_MAX_SIDE`` are
            shrunk first); ``None`` runs the full-range model once on the whole photo, which
            finds faces down to about 1/16 of the photo's longer side.
    """

    name = "blazeface"

    def __init__(
        self, min_score: float = 0.5, threads: int = 2, short_range: bool = True, min_face_size: int | None = 32
    ) -> None:
        check_detector_options(min_score, min_face_size=(min_face_size, 0), threads=(threads, 1))
        self.min_score = min_score
        self.video = False
        self._frames = 0
        self._last_layout: list[tuple[int, int, int, int]] = []
        self.min_face_size = min_face_size
        self._full = _BlazeFaceModel(MODEL_PATH, 192, ((4, 1),), threads)
        self._short = _BlazeFaceModel(SHORT_RANGE_PATH, 128, ((8, 2), (16, 6)), threads) if short_range else None

    def for_video(self) -> BlazeFaceDetector:
        """This detector for a video's frames (it shares the models): one small face does not start the second
        search, and that search looks for faces of ``min_face_size``, as in a photo over 2,048 px.

        A frame is one of many: a face a frame misses, later ones find as it moves or comes
        closer, while the second search costs every frame that has a small face (a 1080p frame
        with a group of 25-px faces: 0.64 s instead of 0.18 s, 2 faces instead of 5).
        """
        twin = copy.copy(self)
        twin.video = True
        twin._frames = 0  # frames seen, and the gallery layout of the last one looked at (`LAYOUT_EVERY`)
        twin._last_layout = []
        return twin

    def _tiled(self, image: NDArray[np.uint8]) -> list[Candidates]:
        """Full-range detections in the tiles of a photo (shrunk to ``TILED_MAX_SIDE``), in photo pixels.

        When those tiles find faces near the smallest size they can see (a crowd), the
        photo's own pixels are searched again in smaller tiles (``REFINE_BELOW``).
        """
        if not self.min_face_size:
            return []
        longest = max(image.shape[:2])
        scale = min(1.0, TILED_MAX_SIDE / longest)
        out = self._tile_pass(image, scale)
        if not out:
            return out
        found = _joined(out)
        small = (found.boxes[:, 2] - found.boxes[:, 0]) * scale < REFINE_BELOW * self.min_face_size
        faces = weighted_nms(found.boxes[small], found.scores[small], found.points[small])  # a face's boxes as one
        photo = scale == 1.0 and not self.video  # a video's frames keep the cheaper crowd search
        if len(faces) >= (REFINE_MIN_FACES if photo else REFINE_MIN_FACES_SHRUNK):
            fine = min(1.0, FINE_MAX_SIDE / longest)
            below = FACES_PER_TILE * self.min_face_size * fine / scale  # the copy's smallest tile, in these pixels
            smallest = max(MIN_BOX_SIDE, round(FINE_SHARE * self.min_face_size)) if photo else None
            out += self._tile_pass(image, fine, below, FINE_FACES_PER_TILE, smallest)
        return out

    def _tile_pass(
        self,
        image: NDArray[np.uint8],
        scale: float,
        below: float = float("inf"),
        per_tile: int = FACES_PER_TILE,
        smallest: int | None = None,
    ) -> list[Candidates]:
        """Full-range detections in the tiles (sides under ``below``, see `tiles`) of ``image`` resized by
        ``scale``, for faces of ``smallest`` px and up (default ``min_face_size``)."""
        assert self.min_face_size
        height, width = image.shape[:2]
        if scale < 1.0:
            width, height = max(1, round(width * scale)), max(1, round(height * scale))
            image = np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), np.uint8)
        out = []
        for x0, y0, side in tiles(width, height, smallest or self.min_face_size, below, per_tile):
            found = self._full.candidates(
                image[y0 : y0 + side, x0 : x0 + side], 0.0, max(self.min_score, TILE_MIN_SCORE)
            )
            # A face cut by a tile's inner edge lies whole in a neighbouring tile or level.
            cut = _cut_inside(found.boxes, x0, y0, side, width, height)
            offset = np.array([x0, y0], np.float64)
            out.append(
                Candidates(
                    (found.boxes[~cut] + np.tile(offset, 2)) / scale,
                    found.scores[~cut],
                    (found.points[~cut] + offset) / scale,
                )
            )
        return out

    def verify(self, padded: NDArray[np.uint8], pad: int, box: tuple[float, float, float, float]) -> float:
        """Score of a second look at ``box`` (x, y, w, h): the short-range model on the face centred in its context.

        ``padded`` is the photo with its border replicated (`edge_padded`, ``pad`` pixels),
        so that a face cut by the frame's edge looks as it did when it was found. Returns
        the mean of the two views' scores (the crop and its mirror image, see
        ``VERIFY_CONTEXT``); 1.0 without a short-range model.
        """
        if self._short is None:
            return 1.0
        size = self._short.size
        x, y, w, h = box
        x, y = x + pad, y + pad
        scale = size / (VERIFY_CONTEXT * max(w, h))
        matrix = np.array([[scale, 0, size / 2 - (x + w / 2) * scale], [0, scale, size / 2 - (y + h / 2) * scale]])
        crop = np.asarray(
            cv2.warpAffine(
                padded,
                matrix,
                (size, size),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=VERIFY_FILL,
            ),
            np.uint8,
        )
        scores = []
        for view in (crop, np.ascontiguousarray(crop[:, ::-1])):
            found = self._short.candidates(view, 0.0, 0.1)
            centres = (found.boxes[:, :2] + found.boxes[:, 2:]) / 2
            near = np.hypot(*(centres - size / 2).T) < size / VERIFY_CONTEXT / 2
            scores.append(float(found.scores[near].max()) if near.any() else 0.0)
        return (scores[0] + scores[1]) / 2

    def _shrunk(self, image: NDArray[np.uint8]) -> Candidates:
        """Large faces (``SHRUNK_MIN_FACE``) found by the full-range model in the photo with its border mirrored
        (``MIRROR_PAD``; replicated without the short-range model) and shrunk into a grey canvas
        (``SHRUNK_PAD``), in photo pixels."""
        mode = cv2.BORDER_REFLECT if self._short is not None else cv2.BORDER_REPLICATE
        copy, border = edge_padded(image, MIRROR_PAD, mode)
        found = self._full.candidates(copy, SHRUNK_PAD, self.min_score)
        large = found.boxes[:, 2] - found.boxes[:, 0] >= SHRUNK_MIN_FACE * max(image.shape[:2])
        return Candidates(found.boxes[large] - border, found.scores[large], found.points[large] - border)

    def candidates(self, image: NDArray[np.uint8]) -> Candidates:
        """All passes' raw detections, in photo pixels and the full-range model's framing.

        ``image`` is the photo as `detect` prepared it (`tint_grey`). Full range on the
        photo, on its mirrored-border copy shrunk (`_shrunk`) and on tiles; short range on a
        bordered canvas.
        """
        shrunk = self._shrunk(image)
        parts = [self._full.candidates(image, 0.0, self.min_score), *self._tiled(image)]
        if self._short is not None:
            short = self._short.candidates(image, SHORT_RANGE_PAD, max(self.min_score, SHORT_RANGE_MIN_SCORE))
            short.boxes = _reframe(short.boxes, SHORT_RANGE_SCALE, SHORT_RANGE_SHIFT)
            parts.append(short)
        found = np.concatenate([c.boxes for c in parts])
        # The shrunk pass only adds faces the others missed, never a box around faces they found.
        new = ~_overlaps_any(shrunk.boxes, found) & ~_contains_any(shrunk.boxes, found)
        parts.append(Candidates(shrunk.boxes[new], shrunk.scores[new], shrunk.points[new]))
        joined = _joined(parts)
        side = self._window_side(joined, *image.shape[:2])
        if side:
            near = self._windowed(image, side)
            new = ~_overlaps_any(near.boxes, joined.boxes)
            joined = _joined([joined, Candidates(near.boxes[new], near.scores[new], near.points[new])])
        return joined

    def _window_side(self, found: Candidates, height: int, width: int) -> int:
        """The side of the windows to search a sheet of large faces in (see ``WINDOW_MIN_SHARE``), or 0."""
        if self._short is None or self.video:
            return 0
        sides = found.boxes[:, 2] - found.boxes[:, 0]
        large = (found.scores >= VERIFY_BELOW) & (sides >= WINDOW_MIN_SHARE * min(width, height))
        least = 1 if max(width, height) >= WINDOW_STRIP * min(width, height) else WINDOW_MIN_FACES
        if large.sum() < least:
            return 0
        faces = weighted_nms(found.boxes[large], found.scores[large], found.points[large])
        if len(faces) < least:
            return 0
        side = round(WINDOW_FACES * float(np.median([box[2] - box[0] for box, _, _ in faces])))
        return side if side < max(width, height) and len(windows(width, height, side)) <= MAX_WINDOWS else 0

    def _windowed(self, image: NDArray[np.uint8], side: int) -> Candidates:
        """Short-range detections in the `windows` of ``side`` px, in photo pixels and the full-range framing;
        a face cut by a window's inner edge lies whole in a neighbouring window."""
        assert self._short is not None
        # Each window reaches the model at about 85 px: the photo is shrunk once to twice that.
        scale = min(1.0, 2 * self._short.size / ((1 + 2 * WINDOW_PAD) * side))
        if scale < 1.0:
            size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
            image = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.uint8)
            side = max(1, round(side * scale))
        height, width = image.shape[:2]
        out = []
        for x0, y0 in windows(width, height, side):
            found = self._short.candidates(
                image[y0 : y0 + side, x0 : x0 + side], WINDOW_PAD, max(self.min_score, SHORT_RANGE_MIN_SCORE)
            )
            boxes = _reframe(found.boxes, SHORT_RANGE_SCALE, SHORT_RANGE_SHIFT)
            cut = _cut_inside(boxes, x0, y0, side, width, height)
            offset = np.array([x0, y0], np.float64)
            out.append(
                Candidates(
                    (boxes[~cut] + np.tile(offset, 2)) / scale,
                    found.scores[~cut],
                    (found.points[~cut] + offset) / scale,
                )
            )
        return _joined(out)

    def detect(self, image: NDArray[np.uint8]) -> list[DetectedFace]:
        """The faces of a photo. In a gallery of panels (a video call, see `panels`), each panel is also searched
        as a photo of its own: its faces the whole photo missed are added, and a box of the whole photo
        covering two faces found in the panels (two faces in neighbouring tiles seen as one) is dropped."""
        image = read_image(image)  # any input `predict` takes, by the same rules; RGB uint8 is not copied
        faces = self._faces(image)
        layout = self._layout(image)
        if not layout:
            return faces
        found = [_shifted(face, x, y) for x, y, w, h in layout for face in self._faces(image[y : y + h, x : x + w])]
        inside, boxes = _corners([f.box for f in found]), _corners([f.box for f in faces])
        kept = (_intersections(boxes, inside) >= COVERS * _area(inside)).sum(axis=1) < 2
        faces, boxes = [face for face, keep in zip(faces, kept, strict=True) if keep], boxes[kept]
        shared = _intersections(inside, boxes)  # a face found twice: overlapping, or one box inside the other
        again = (
            _overlaps_any(inside, boxes)
            | (shared >= CONTAINED * _area(inside)[:, None]).any(axis=1)
            | (shared >= CONTAINED * _area(boxes)[None, :]).any(axis=1)
        )
        return faces + [face for face, twice in zip(found, again, strict=True) if not twice]

    def _layout(self, image: NDArray[np.uint8]) -> list[tuple[int, int, int, int]]:
        """The panels of a gallery (`panels`), searched one by one; none without the short-range model. A video's
        frames are looked at every `LAYOUT_EVERY` frames, the layout kept in between."""
        if self._short is None:
            return []
        if self.video:
            self._frames += 1
            if (self._frames - 1) % LAYOUT_EVERY:
                return self._last_layout
        layout = panels(np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), np.uint8))
        if self.video:
            self._last_layout = layout
        return layout

    def _faces(self, image: NDArray[np.uint8]) -> list[DetectedFace]:
        """The faces all passes find in a photo (or a panel of it), checked (contrast, second look)."""
        image = exposed(image)
        height, width = image.shape[:2]
        if min(height, width) < MIN_BOX_SIDE:  # no box we would keep fits
            return []
        grey = np.asarray(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), np.uint8)
        min_contrast = MIN_CONTRAST if self._short is not None else MIN_CONTRAST_UNVERIFIED
        image = tint_grey(image)
        found = self.candidates(image)
        padded, pad = edge_padded(image)  # for `verify`
        if not len(found.scores):
            return []
        faces = []
        for box, score, pts in weighted_nms(found.boxes, found.scores, found.points, contained=CONTAINED):
            x0, y0, x1, y1 = _reframe(np.asarray(box, np.float64)[None], BOX_SCALE, BOX_SHIFT)[0]
            if min(x1 - x0, y1 - y0) < MIN_BOX_SIDE:
                continue
            full = (float(x0), float(y0), float(x1 - x0), float(y1 - y0))
            clipped = clip_box(full, width, height)
            if clipped is None or not visible(clipped, full) or contrast(grey, clipped) < min_contrast:
                continue
            if score < VERIFY_BELOW and self.verify(padded, pad, full) < VERIFY_MIN_SCORE:
                continue
            eyes = sorted([(float(pts[0, 0]), float(pts[0, 1])), (float(pts[1, 0]), float(pts[1, 1]))])
            landmarks = {
                "left_eye": eyes[0],
                "right_eye": eyes[1],
                "nose": (float(pts[2, 0]), float(pts[2, 1])),
                "mouth": (float(pts[3, 0]), float(pts[3, 1])),
            }
            faces.append(DetectedFace(clipped, score, landmarks, full_box=full))
        return faces
