"""Pictures for the HTML reports, as ``data:`` URIs (one offline file): frames, face crops, figures."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


def image_uri(image: NDArray[np.uint8], quality: int | None = None) -> str:
    """An RGB image as a ``data:`` URI: PNG, or JPEG at ``quality`` (photos and video frames: far smaller).

    >>> image_uri(np.zeros((2, 2, 3), np.uint8))[:22]
    'data:image/png;base64,'
    """
    bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    if quality is None:
        ok, data = cv2.imencode(".png", bgr)
        kind = "png"
    else:
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
        kind = "jpeg"
    if not ok:  # pragma: no cover - encoding an in-memory array does not fail
        raise ValueError("could not encode an image")
    return f"data:image/{kind};base64," + base64.b64encode(data.tobytes()).decode()


def figure_uri(fig: Any, dpi: int = 100) -> str:
    """A matplotlib figure as a PNG ``data:`` URI; the figure is closed afterwards."""
    from facemotion.draw import _pyplot

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    _pyplot().close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def read_frames(
    path: str | Path, indices: Iterable[int], times: Mapping[int, float] | None = None
) -> Iterator[tuple[int, NDArray[np.uint8]]]:
    """Yield ``(index, RGB frame)`` for the frames ``indices`` of a video as it was analysed, in order, one at a time.

    The frames are those `facemotion.apps.frames.iter_frames` numbered (`facemotion.apps.frames.frames_at`:
    right in a variable-frame-rate or unindexed video too, where seeking by number lands on
    another frame); ``times`` (``{index: time analysed}``) lets it seek far ahead where the
    frame's time checks out. Frames that cannot be decoded, and every frame of a video that
    cannot be opened any more (moved, deleted), are left out. Keep what you need of each
    frame (a crop, an encoded picture), not the frame: a 4K frame is 25 MB.
    """
    from facemotion.apps.frames import frames_at
    from facemotion.errors import VideoReadError

    try:
        yield from frames_at(path, indices, times)
    except VideoReadError:
        return


def face_crop(
    image: NDArray[np.uint8], box: tuple[int, int, int, int], side: int = 96, margin: float = 0.15
) -> NDArray[np.uint8]:
    """A square crop round ``box`` (``margin`` of the box added each side), resized to ``side`` pixels.

    >>> face_crop(np.zeros((100, 100, 3), np.uint8), (10, 10, 30, 30)).shape
    (96, 96, 3)
    """
    x, y, w, h = box
    half = max(w, h) * (0.5 + margin)
    cx, cy = x + w / 2, y + h / 2
    x0, y0, x1, y1 = (round(v) for v in (cx - half, cy - half, cx + half, cy + half))
    top, left = max(0, -y0), max(0, -x0)
    padded = cv2.copyMakeBorder(
        image, top, max(0, y1 - image.shape[0]), left, max(0, x1 - image.shape[1]), cv2.BORDER_CONSTANT
    )
    crop = padded[y0 + top : y1 + top, x0 + left : x1 + left]
    if not crop.size:
        return np.zeros((side, side, 3), np.uint8)
    return np.asarray(cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA), np.uint8)
