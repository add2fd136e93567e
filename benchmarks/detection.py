"""Face detection recall, spurious boxes and time: the default BlazeFace, without its tiles, and full range alone.

    python benchmarks/detection.py [--step 1]

Rows: ``blazeface`` (the default: full range + short range on a bordered canvas + full
range on tiles of large photos), the same without tiles (``min_face_size=None``), and full
range alone without tiles (the detector before issue 10), on: all 3,000 portraits (one
face each: found, and a second box), FER+ ``val`` faces given as photos, the 43 labelled
faces of the VOC group photos (in colour, turned black and white, and as one 3×3 mosaic
750, 1,000, 1,200, 1,500 and 3,000 px wide: faces of 19, 26, 31, 39 and 78 px), the faces found in the two
whitehouse photos (3 and 2 are there), and the median time per group photo resized to
640×480. ``--step N`` takes every
N-th portrait / FER+ face.

Issue 24's columns: images without a face that get one (200 generated 100-px images:
noise, smooth colour noise, stripes, gradients, flat colours; and 90 crops of
scikit-image's photos without people), selfie-like 640×480 views of the VOC photos in
which one labelled face is cut by an edge (`CUTS`: left / right: 40 % of it outside, top
and bottom: 35 %, half faces: 50 %, and the bottom-left corner; the face 45 % and 80 % of
the view's height) or fills 90 % of the height, and the
near-black "faces" in the shared clip's dark audience shot (1.6–2.6 s) against all faces
of the clip, and the faces found in dim light (`dim`: every 5th portrait and the VOC
photos at 30 %, 20 % and 12 % of their brightness, with sensor noise) and overexposed
(`washed_out`: each value's distance to white cut to 30 %).

Below the table, a crowd: the 1,500-px mosaic repeated 3×3 (4,500 px, 387 faces of 39 px),
with the default detector and with the tiles of its 2,048-px copy alone; and contact sheets
of portraits (`sheets`), with and without the short-range model's windows; and video-call
galleries (`galleries`), with and without the search panel by panel.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from facemotion.detection.base import DetectedFace, match_boxes
from facemotion.detection.blazeface_backend import TILED_MAX_SIDE, BlazeFaceDetector
from facemotion.io import read_image

SHARED = Path(__file__).resolve().parents[2] / "shared"


Box = tuple[float, float, float, float]


def counts(detector: BlazeFaceDetector, files: list[Path]) -> tuple[float, float]:
    n = np.array([len(detector.detect(read_image(f))) for f in files])
    return float((n >= 1).mean()), float((n >= 2).mean())


def matched(detector: BlazeFaceDetector, image: np.ndarray, truth: list[Box]) -> tuple[int, int]:
    """Labelled faces found (IoU > 0.3) and spurious boxes."""
    return match_boxes([f.box for f in detector.detect(image)], truth)


def truth_boxes(faces: list[dict[str, float]]) -> list[Box]:
    """The labelled boxes of one photo in ``voc_face_boxes.json`` as (x, y, w, h)."""
    return [(b["left"], b["top"], b["width"], b["height"]) for b in faces]


def found_when(
    detector: BlazeFaceDetector,
    transform: Callable[[np.ndarray], np.ndarray],
    portraits: list[Path],
    groups: Path,
    boxes: dict[str, list[dict[str, float]]],
) -> tuple[int, int]:
    """Portraits with a face found, and labelled VOC faces found, in the photos as ``transform`` makes them."""
    people = sum(bool(detector.detect(transform(read_image(p)))) for p in portraits)
    voc = sum(
        matched(detector, transform(read_image(groups / photo)), truth_boxes(faces))[0]
        for photo, faces in boxes.items()
    )
    return people, voc


def mosaic(groups: Path, boxes: dict[str, list[dict[str, float]]], width: int) -> tuple[np.ndarray, list[Box]]:
    """The VOC photos as one 3×3 mosaic ``width`` px wide (cells 4:3), with their face boxes."""
    cell_w, cell_h = width // 3, width // 4
    cells, truth = [], []
    for k, (photo, faces) in enumerate(boxes.items()):
        image = read_image(groups / photo)
        sx, sy = cell_w / image.shape[1], cell_h / image.shape[0]
        cells.append(cv2.resize(image, (cell_w, cell_h), interpolation=cv2.INTER_AREA))
        dx, dy = cell_w * (k % 3), cell_h * (k // 3)
        truth += [(b["left"] * sx + dx, b["top"] * sy + dy, b["width"] * sx, b["height"] * sy) for b in faces]
    return np.vstack([np.hstack(cells[r : r + 3]) for r in (0, 3, 6)]), truth


def textures(n: int) -> list[np.ndarray]:
    """``n`` generated 100-px images with no face, and crops of scikit-image photos without people."""

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:100, 0:100].astype(np.float32)
    out = []
    for k in range(n):
        kind = k % 5
        if kind == 0:
            out.append(rng.integers(0, 256, (100, 100, 3), dtype=np.uint8))
        elif kind == 1:
            grid = rng.integers(0, 256, (int(rng.integers(2, 12)),) * 2 + (3,), dtype=np.uint8)
            out.append(cv2.resize(grid, (100, 100), interpolation=cv2.INTER_CUBIC))
        elif kind == 2:
            angle, period = rng.uniform(0, np.pi), rng.uniform(2, 20)
            on = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / period) > 0
            out.append(np.where(on[..., None], rng.integers(0, 256, 3), rng.integers(0, 256, 3)).astype(np.uint8))
        elif kind == 3:
            slope = rng.uniform(-3, 3, (2, 3))
            ramp = rng.uniform(0, 255, 3) + xx[..., None] * slope[0] + yy[..., None] * slope[1]
            out.append(np.clip(ramp, 0, 255).astype(np.uint8))
        else:
            out.append(np.full((100, 100, 3), rng.integers(0, 256, 3), np.uint8))
    return out + [crop for _, crop in photo_crops(rng)]


#: scikit-image's photos without people (bricks, grass, gravel, text, a rocket, sky …).
NO_PEOPLE = ("brick", "grass", "gravel", "text", "rocket", "coffee", "hubble_deep_field", "page", "moon")


def photo_crops(rng: np.random.Generator, per_photo: int = 10) -> list[tuple[str, np.ndarray]]:
    """``(photo name, crop)``: ``per_photo`` random square crops of each `NO_PEOPLE` photo, resized to 100 px."""
    from skimage import data

    out = []
    for name in NO_PEOPLE:
        image = getattr(data, name)()
        image = np.dstack([image] * 3) if image.ndim == 2 else image[..., :3]
        height, width = image.shape[:2]
        for _ in range(per_photo):
            side = int(rng.integers(40, min(height, width)))
            y, x = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
            out.append((name, cv2.resize(np.ascontiguousarray(image[y : y + side, x : x + side]), (100, 100))))
    return out


#: Dim light: the photo's sRGB values times these gains (3–6 stops under in linear light).
DIM_GAINS = (0.3, 0.2, 0.12)


def dim(image: np.ndarray, gain: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` as a dim-light photo: sRGB values × ``gain``, sensor noise (σ 2 + 6 · (1 − gain)), JPEG quality 85.

    >>> dim(np.full((8, 8, 3), 200, np.uint8), 0.2, np.random.default_rng(0)).mean().round(-1)
    np.float64(40.0)
    """
    lit = image.astype(np.float32) * gain + rng.normal(0.0, 2.0 + 6.0 * (1.0 - gain), image.shape)
    ok, jpeg = cv2.imencode(".jpg", np.clip(lit, 0, 255).astype(np.uint8)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    return np.ascontiguousarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1])


def washed_out(image: np.ndarray, share: float) -> np.ndarray:
    """``image`` overexposed: each sRGB value's distance to white cut to ``share``.

    >>> washed_out(np.full((2, 2, 3), 55, np.uint8), 0.3).max()
    np.uint8(195)
    """
    return np.clip(255.0 - (255.0 - image.astype(np.float32)) * share, 0, 255).astype(np.uint8)


#: The edge-cut views: name → (share of the face's width cut at the left, at the right,
#: share of its height cut at the top, at the bottom; the face's share of the view's height).
CUTS: dict[str, tuple[float, float, float, float, float]] = {
    "left 45 %": (0.4, 0, 0, 0, 0.45),
    "right 45 %": (0, 0.4, 0, 0, 0.45),
    "top 45 %": (0, 0, 0.35, 0, 0.45),
    "left 80 %": (0.4, 0, 0, 0, 0.8),
    "right 80 %": (0, 0.4, 0, 0, 0.8),
    "top 80 %": (0, 0, 0.35, 0, 0.8),
    "whole 90 %": (0, 0, 0, 0, 0.9),
    "half left 45 %": (0.5, 0, 0, 0, 0.45),
    "half right 45 %": (0, 0.5, 0, 0, 0.45),
    "half right 80 %": (0, 0.5, 0, 0, 0.8),
    "bottom-left 45 %": (0.4, 0, 0, 0.35, 0.45),
    "bottom-left 80 %": (0.4, 0, 0, 0.35, 0.8),
}


def cut_views(
    groups: Path, boxes: dict[str, list[dict[str, float]]], cut: tuple[float, float, float, float, float]
) -> list[tuple[np.ndarray, Box]]:
    """640×480 views of the VOC photos in which one labelled face is cut by the edges as ``cut`` says (`CUTS`).

    Each view comes with that face's box clipped to the view; views that would leave the
    photo are not made.

    >>> len(cut_views(SHARED / "media" / "group_photos", {}, CUTS["left 45 %"]))
    0
    """
    left, right, top, bottom, share = cut
    views = []
    for photo, faces in boxes.items():
        image = read_image(groups / photo)
        for b in faces:
            x, y, w, h = b["left"], b["top"], b["width"], b["height"]
            view_h = h / share
            view_w = view_h * 4 / 3
            x0 = x + left * w if left else x + (1 - right) * w - view_w if right else x + w / 2 - view_w / 2
            y0 = y + top * h if top else y + (1 - bottom) * h - view_h if bottom else y + h / 2 - view_h * 0.45
            if x0 < 0 or y0 < 0 or x0 + view_w > image.shape[1] or y0 + view_h > image.shape[0]:
                continue
            s = 640 / view_w
            view = cv2.warpAffine(image, np.array([[s, 0, -x0 * s], [0, s, -y0 * s]]), (640, 480))
            fx0, fy0 = max(0.0, (x - x0) * s), max(0.0, (y - y0) * s)
            fx1, fy1 = min(640.0, (x + w - x0) * s), min(480.0, (y + h - y0) * s)
            views.append((np.asarray(view, np.uint8), (fx0, fy0, fx1 - fx0, fy1 - fy0)))
    return views


def clip_faces(detector: BlazeFaceDetector, video: Path) -> tuple[int, int]:
    """Near-black faces (mean grey < 40) at 1.6–2.6 s of the clip, and all faces in it."""
    capture = cv2.VideoCapture(str(video))
    fps, index, dark, total = capture.get(cv2.CAP_PROP_FPS), 0, 0, 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        faces = detector.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        total += len(faces)
        if 1.6 <= index / fps <= 2.6:
            dark += sum(grey[y : y + h, x : x + w].mean() < 40 for x, y, w, h in (f.box for f in faces))
        index += 1
    return dark, total


def crowd_photo(groups: Path, boxes: dict[str, list[dict[str, float]]]) -> tuple[np.ndarray, list[Box]]:
    """The 1,500-px `mosaic` repeated 3×3: a 4,500-px photo of 387 faces of 39 px, with their boxes."""
    image, truth = mosaic(groups, boxes, 1500)
    height, width = image.shape[:2]
    big = np.ascontiguousarray(np.tile(image, (3, 3, 1)))
    return big, [(x + width * j, y + height * i, w, h) for i in range(3) for j in range(3) for x, y, w, h in truth]


def copy_tiles_only() -> BlazeFaceDetector:
    """The default detector searching a large photo's tiles in its 2,048-px copy only (no crowd refinement)."""
    detector = BlazeFaceDetector()
    detector._tiled = lambda photo: detector._tile_pass(photo, TILED_MAX_SIDE / max(photo.shape[:2]))  # type: ignore[method-assign]
    return detector


def crowd(groups: Path, boxes: dict[str, list[dict[str, float]]]) -> str:
    """The 1,500-px mosaic repeated 3×3 (`crowd_photo`), default detector vs the tiles of its 2,048-px copy
    alone (`copy_tiles_only`: before the crowd refinement)."""
    big, truth = crowd_photo(groups, boxes)
    cells = []
    for detector in (BlazeFaceDetector(), copy_tiles_only()):
        start = time.perf_counter()
        found, spurious = matched(detector, big, truth)
        cells.append(f"{found}/{len(truth)} found, {spurious} spurious, {time.perf_counter() - start:.2f} s")
    return f"crowd, 4,500 px, faces of 39 px: default {cells[0]}; the 2,048-px copy's tiles alone {cells[1]}"


#: Contact sheets of portraits: (rows, columns, cell side in px, gap in px).
SHEETS = [(1, 2, 200, 0), (2, 3, 200, 10), (2, 3, 120, 4), (1, 6, 150, 0), (6, 1, 150, 0), (3, 3, 300, 0)]
SHEETS += [(4, 6, 250, 0), (4, 6, 100, 0), (5, 8, 128, 2), (2, 4, 400, 20), (3, 4, 64, 2)]


def sheets(portraits: Path) -> str:
    """Portraits side by side (`SHEETS`: rows, columns, grids of 2 to 40 tight faces of 64–400 px on white):
    cells whose face is found, with the default detector and without its windows (before them)."""
    files = sorted((portraits / "happy").iterdir())[:40:2] + sorted((portraits / "surprise").iterdir())[:8]
    cells = [cv2.resize(read_image(f), (256, 256), interpolation=cv2.INTER_AREA) for f in files]
    without = BlazeFaceDetector()
    without._window_side = lambda *args: 0  # type: ignore[method-assign]
    totals, layouts = [0, 0], []
    for rows, columns, side, gap in SHEETS:
        sheet = np.full((rows * (side + gap) + gap, columns * (side + gap) + gap, 3), 255, np.uint8)
        for k in range(rows * columns):
            y, x = gap + (k // columns) * (side + gap), gap + (k % columns) * (side + gap)
            sheet[y : y + side, x : x + side] = cv2.resize(cells[k % len(cells)], (side, side))
        found = []
        for detector in (BlazeFaceDetector(), without):
            centres = {
                ((fy + fh / 2) // (side + gap), (fx + fw / 2) // (side + gap))
                for fx, fy, fw, fh in (f.box for f in detector.detect(sheet))
            }
            found.append(len(centres))
        totals = [t + f for t, f in zip(totals, found, strict=True)]
        layouts.append(f"{rows}×{columns} of {side} px: {found[0]} ({found[1]})")
    faces = sum(r * c for r, c, _, _ in SHEETS)
    return f"contact sheets of portraits, faces found (without windows): {'; '.join(layouts)}; all {totals[0]} ({totals[1]}) of {faces}"


#: Video-call galleries: (columns, rows, width, height) of 16:9 tiles, 6 px apart.
GALLERIES = [(3, 3, 1280, 720), (4, 4, 1280, 720), (5, 5, 1280, 720), (6, 6, 1280, 720), (4, 4, 1920, 1080)]
GALLERIES += [(7, 7, 1920, 1080)]


def gallery(
    files: list[Path], columns: int, rows: int, size: tuple[int, int] = (1280, 720), gap: int = 6
) -> tuple[np.ndarray, list[Box]]:
    """A video call's gallery: 16:9 tiles on Zoom's flat #1f1f1f, each a portrait with its edges continued
    sideways (a webcam's picture), and the tiles (x, y, w, h)."""
    width, height = size
    tile_w = min((width - gap * (columns + 1)) // columns, (height - gap * (rows + 1)) // rows * 16 // 9)
    tile_h = tile_w * 9 // 16
    left = (width - columns * tile_w - gap * (columns - 1)) // 2
    top = (height - rows * tile_h - gap * (rows - 1)) // 2
    canvas = np.full((height, width, 3), 31, np.uint8)
    tiles = []
    for i, file in enumerate(files[: columns * rows]):
        face = cv2.resize(read_image(file), (tile_h, tile_h), interpolation=cv2.INTER_AREA)
        side = (tile_w - tile_h) // 2
        tile = cv2.copyMakeBorder(face, 0, 0, side, tile_w - tile_h - side, cv2.BORDER_REPLICATE)
        x, y = left + (i % columns) * (tile_w + gap), top + (i // columns) * (tile_h + gap)
        canvas[y : y + tile_h, x : x + tile_w] = tile
        tiles.append((x, y, tile_w, tile_h))
    return canvas, tiles


def per_tile(found: list[DetectedFace], tiles: list[Box]) -> tuple[list[int], int]:
    """How many faces' centres lie in each tile, and how many lie in none."""
    centres = [(f.box[0] + f.box[2] / 2, f.box[1] + f.box[3] / 2) for f in found]
    counts = [sum(x <= cx <= x + w and y <= cy <= y + h for cx, cy in centres) for x, y, w, h in tiles]
    return counts, len(centres) - sum(counts)


def galleries(portraits: Path) -> str:
    """Video-call galleries of portraits (`GALLERIES`, 9 to 49 faces), as PNG and as JPEG at quality 40: tiles
    whose face is found, spurious boxes (outside the tiles, or a tile's second) and the time, with the
    default detector and without its search panel by panel (before it)."""
    emotions = ("happy", "neutral", "sad", "surprise", "anger", "fear", "disgust")
    files = [sorted((portraits / e).iterdir())[k] for k in range(8) for e in emotions]
    without = BlazeFaceDetector()
    without._layout = lambda image: []  # type: ignore[method-assign]
    totals, layouts = np.zeros((2, 3)), []
    for columns, rows, width, height in GALLERIES:
        picture, tiles = gallery(files, columns, rows, (width, height))
        jpeg = cv2.imdecode(cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, 40])[1], cv2.IMREAD_UNCHANGED)
        cells = []
        for k, detector in enumerate((BlazeFaceDetector(), without)):
            for image in (picture, jpeg):
                start = time.perf_counter()
                counts, outside = per_tile(detector.detect(image), tiles)
                seconds = time.perf_counter() - start
                spurious = outside + sum(max(0, c - 1) for c in counts)
                totals[k] += (sum(c > 0 for c in counts), spurious, seconds)
                cells.append(f"{sum(c > 0 for c in counts)}" + (f" +{spurious}" if spurious else ""))
        layouts.append(f"{columns}×{rows} {width} px: {cells[0]}, {cells[1]} ({cells[2]}, {cells[3]})")
    faces = 2 * sum(c * r for c, r, _, _ in GALLERIES)
    (found, spurious, seconds), (found_0, spurious_0, seconds_0) = totals
    return (
        f"video-call galleries, faces found as PNG, JPEG 40 (+spurious) (without panels): {'; '.join(layouts)}; "
        f"all {found:.0f} ({found_0:.0f}) of {faces}, {spurious:.0f} ({spurious_0:.0f}) spurious, "
        f"{seconds / len(GALLERIES) / 2:.2f} s ({seconds_0 / len(GALLERIES) / 2:.2f} s) per gallery"
    )


def detectors() -> list[tuple[str, BlazeFaceDetector]]:
    """The rows of the table."""
    return [
        ("blazeface (default)", BlazeFaceDetector()),
        ("no tiles (`min_face_size=None`)", BlazeFaceDetector(min_face_size=None)),
        ("full range only, no tiles", BlazeFaceDetector(short_range=False, min_face_size=None)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=int, default=1)
    args = parser.parse_args()
    portraits = sorted((SHARED / "data" / "portraits").glob("*/*"))[:: args.step]
    fer = sorted((SHARED / "data" / "ferplus" / "val").glob("*/*.png"))[:: args.step]
    groups = SHARED / "media" / "group_photos"
    boxes = json.loads((groups / "voc_face_boxes.json").read_text())
    mosaics = [mosaic(groups, boxes, width) for width in (750, 1000, 1200, 1500, 3000)]
    print(f"{len(portraits)} portraits, {len(fer)} FER+ val faces as photos, {len(boxes)} VOC photos\n")
    non_faces = textures(200)
    views = {name: cut_views(groups, boxes, cut) for name, cut in CUTS.items()}
    print(
        "| detector | portraits: found / 2nd box | FER+ val as photos: found | VOC: labelled found, spurious |"
        " VOC black and white | VOC mosaic 750 px | 1,000 px | 1,200 px | 1,500 px | 3,000 px | whitehouse faces |"
        " ms per 640×480 photo | non-face images with a face | edge-cut / large faces: "
        + ", ".join(views)
        + " | clip: near-black faces at 1.6–2.6 s / all faces | dim light ×"
        + ", ×".join(map(str, DIM_GAINS))
        + f": portraits found (every 5th, {len(portraits[::5])}), VOC labelled faces found | washed out (distance to"
        " white × 0.3): the same |"
    )
    print("|" + "---|" * 17)
    for name, detector in detectors():
        found, second = counts(detector, portraits)
        fer_found, _ = counts(detector, fer)
        hit, spurious = np.zeros(2, int), np.zeros(2, int)
        labelled = 0
        times = []
        for photo, faces in boxes.items():
            image = read_image(groups / photo)
            truth = truth_boxes(faces)
            labelled += len(truth)
            grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            for k, version in enumerate((image, grey)):
                f, s = matched(detector, version, truth)
                hit[k] += f
                spurious[k] += s
            small = np.ascontiguousarray(cv2.resize(image, (640, 480)))
            for _ in range(3):
                detector.detect(small)
            runs = []
            for _ in range(15):
                start = time.perf_counter()
                detector.detect(small)
                runs.append(time.perf_counter() - start)
            times.append(statistics.median(runs))
        mosaic_hits = [matched(detector, image, truth) for image, truth in mosaics]
        white = [len(detector.detect(read_image(p))) for p in sorted(groups.glob("whitehouse_*.jpg"))]
        phantom = sum(bool(detector.detect(image)) for image in non_faces)
        cut = [sum(matched(detector, view, [truth])[0] for view, truth in v) for v in views.values()]
        dark, total = clip_faces(detector, SHARED / "media" / "video" / "short_hamilton_clip.mp4")
        dim_found = []
        for gain in DIM_GAINS:
            rng = np.random.default_rng(0)
            people, voc = found_when(detector, partial(dim, gain=gain, rng=rng), portraits[::5], groups, boxes)
            dim_found.append(f"{people}, {voc}/{labelled}")
        people, voc = found_when(detector, partial(washed_out, share=0.3), portraits[::5], groups, boxes)
        print(
            f"| {name} | {found:.1%} / {second:.1%} | {fer_found:.1%} | {hit[0]}/{labelled}, {spurious[0]} |"
            f" {hit[1]}/{labelled}, {spurious[1]} | "
            + " | ".join(f"{f}/{labelled}, {s}" for f, s in mosaic_hits)
            + f" | {white} | {statistics.median(times) * 1e3:.1f} | {phantom}/{len(non_faces)} | "
            + ", ".join(f"{c}/{len(v)}" for c, v in zip(cut, views.values(), strict=True))
            + f" | {dark} / {total} | "
            + "; ".join(dim_found)
            + f" | {people}, {voc}/{labelled} |",
            flush=True,
        )
    print("\n" + crowd(groups, boxes))
    print("\n" + sheets(SHARED / "data" / "portraits"))
    print("\n" + galleries(SHARED / "data" / "portraits"))


if __name__ == "__main__":
    main()
