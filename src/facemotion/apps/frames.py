"""Reading a video's frames: sampling, decoding in order or by seeking, the container's rate and length.

`iter_frames` yields the sampled frames of a file (or of a chunk of it), `frames_at` finds
given frames again for a report's pictures, `video_info` says a file's rate and length,
and `open_source` opens a camera or stream. Every function here decodes through OpenCV
and turns what it cannot open into a `facemotion.errors.VideoReadError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from facemotion.apps.containers import file_is_whole
from facemotion.errors import OptionError, VideoReadError
from facemotion.io import opencv_path
from facemotion.options import is_real_number

#: The largest `sample_step`: a ``sample_fps`` so small that one frame is taken (1e-307 overflowed).
MAX_SAMPLE_STEP = 1 << 62


def sample_step(fps: float, sample_fps: float) -> int:
    """Frames from one sampled frame to the next for ``sample_fps`` of a ``fps`` video.

    >>> sample_step(29.97, 5), sample_step(25, 100)
    (6, 1)
    """
    if not (is_real_number(sample_fps) and sample_fps > 0):
        raise OptionError(f"sample_fps must be a finite number above 0, got {sample_fps!r}")
    ratio = fps / sample_fps
    return max(1, round(ratio)) if ratio < MAX_SAMPLE_STEP else MAX_SAMPLE_STEP


def rate_warning(name: str, fps: float, step: int, asked: float) -> list[str]:
    """A warning when every ``step``-th frame of a ``fps`` video is far (over 10 %) from the rate ``asked``.

    >>> rate_warning("clip.mp4", 29.97, 1, 20.0)
    ['clip.mp4: sampled at 30 frames a second (every frame of this 29.97-fps video), the nearest to the 20 asked']
    >>> rate_warning("clip.mp4", 29.97, 6, 5.0)
    []
    """
    got = fps / step
    if abs(got - asked) <= 0.1 * asked:
        return []
    every = "every frame" if step == 1 else f"one frame in {step}"
    return [
        f"{name}: sampled at {got:.3g} frames a second ({every} of this {fps:.4g}-fps video), the nearest to the {asked:g} asked"
    ]


def sampled_frame_count(total_frames: int, step: int, start: int = 0, stop: int | None = None) -> int:
    """How many frames ``start <= index < stop`` (of ``total_frames``) are sampled every ``step`` frames.

    >>> sampled_frame_count(275, 6), sampled_frame_count(275, 6, start=100, stop=200)
    (46, 17)
    """
    end = total_frames if stop is None else min(stop, total_frames)
    first = -(-start // step) * step
    return max(0, -(-(end - first) // step))


def iter_frames(
    path: str | Path, sample_fps: float, start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, float, NDArray[np.uint8] | None]]:
    """Yield ``(frame index, time, RGB frame or None if broken)`` at about ``sample_fps``.

    ``start``/``stop`` limit it to frames ``start <= index < stop`` (a chunk of a long
    video; never a frame before ``start``, even where seeking lands earlier); the sampled
    frames are those of the whole video, whatever the chunking. Times are the decoder's
    (`frame_time`: right in a variable-frame-rate video too); frames come upright as the
    file's rotation (a phone's portrait video) says.
    Raises `VideoReadError` when the file cannot be opened as a video.
    """
    with _capture(path) as cap:
        fps, total = rate_and_count(cap)
        every = sample_step(fps, sample_fps)
        index, failures = 0, 0
        last: tuple[int, float] | None = None  # (index, time) of the last frame read
        if start > 0:
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            index = int(cap.get(cv2.CAP_PROP_POS_FRAMES))  # may land earlier (a cut file): read on to start
        while stop is None or index < stop:
            ok = cap.grab()
            if not ok:
                if total and index < total and failures < MAX_FAILED_GRABS:
                    failures += 1
                    if index >= start and index % every == 0:
                        yield index, frame_time(math.nan, index, fps, last), None
                    index += 1
                    continue
                break
            failures = 0
            last = (index, frame_time(cap.get(cv2.CAP_PROP_POS_MSEC), index, fps, last))
            if index >= start and index % every == 0:
                ok, frame = cap.retrieve()
                rgb = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), np.uint8) if ok and frame is not None else None
                yield index, last[1], rgb
            index += 1


#: Failed grabs in a row, before the stated end, that count as damaged frames (more: the video ends there).
MAX_FAILED_GRABS = 25
#: Frames ahead beyond which `frames_at` tries a seek (checked by the frame's time) before decoding on.
SEEK_AHEAD = 600


def frames_at(
    path: str | Path, indices: Iterable[int], times: Mapping[int, float] | None = None
) -> Iterator[tuple[int, NDArray[np.uint8]]]:
    """Yield ``(index, RGB frame)`` for the frames ``indices`` (numbered as `iter_frames` numbers them), in order.

    OpenCV seeks by the average frame rate, so in a variable-frame-rate video (a phone's)
    or one without an index (a browser's WebM) ``CAP_PROP_POS_FRAMES`` lands on another
    frame, and a report's face boxes would be drawn on the wrong picture. So the video is
    decoded forward; with ``times`` (each frame's time as analysed, `FrameFace.time`) a
    frame over `SEEK_AHEAD` frames ahead is sought and kept only if its timestamp is the
    one analysed (after the first miss, the rest is decoded forward). One frame is held at
    a time; frames that cannot be decoded are left out.
    """
    wanted = sorted(set(indices))
    done = 0
    if times is not None and wanted:
        with _capture(path) as cap:
            _, total = rate_and_count(cap)
            index, failures = 0, 0
            for target in wanted:
                if target - index > SEEK_AHEAD and target in times:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, target)
                    if not (cap.grab() and abs(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000 - times[target]) < 5e-4):
                        break  # seeking misses in this file
                    grabbed, failures = True, 0
                else:
                    step = _decode_to(cap, target, index, total, failures)
                    if step is None:
                        return
                    grabbed, failures = step
                index, done = target + 1, done + 1
                frame = _retrieved(cap) if grabbed else None
                if frame is not None:
                    yield target, frame
    if done == len(wanted):
        return
    with _capture(path) as cap:
        _, total = rate_and_count(cap)
        index, failures = 0, 0
        for target in wanted[done:]:
            step = _decode_to(cap, target, index, total, failures)
            if step is None:
                return
            (grabbed, failures), index = step, target + 1
            frame = _retrieved(cap) if grabbed else None
            if frame is not None:
                yield target, frame


def _decode_to(cap: Any, target: int, index: int, total: int, failures: int) -> tuple[bool, int] | None:
    """Grab frames ``index`` to ``target`` as `iter_frames` counts them: whether ``target`` was grabbed, and the
    failed grabs in a row; ``None`` at the end of the video.

    A frame that cannot be grabbed before the stated end counts as one damaged frame (up to
    `MAX_FAILED_GRABS` in a row), so the frames after it keep their numbers.
    """
    grabbed = False
    while index <= target:
        grabbed = bool(cap.grab())
        if grabbed:
            failures = 0
        elif total and index < total and failures < MAX_FAILED_GRABS:
            failures += 1
        else:
            return None
        index += 1
    return grabbed, failures


def _retrieved(cap: Any) -> NDArray[np.uint8] | None:
    """The grabbed frame as RGB, or ``None`` when it cannot be decoded."""
    ok, frame = cap.retrieve()
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), np.uint8) if ok and frame is not None else None


def frame_time(msec: float, index: int, fps: float, previous: tuple[int, float] | None = None) -> float:
    """The time (s) of frame ``index``: ``index / fps`` unless the decoder's timestamp ``msec`` says otherwise.

    A variable-frame-rate video (a phone's, a screen recording) states its average rate,
    so ``index / fps`` drifts from the real time; its frames' timestamps do not. A
    timestamp within a microsecond of ``index / fps`` gives ``index / fps`` (a
    constant-rate video's times, exactly); one that is missing or does not follow ``previous``
    (``(index, time)`` of the last frame read, if any) gives ``previous`` time plus the
    frames between over ``fps``.

    >>> frame_time(5005.005005005006, 150, 29.97) == 150 / 29.97  # constant rate
    True
    >>> frame_time(2000.0, 150, 30.0, (149, 1.9))  # variable: frame 150 at 2 s, not 5 s
    2.0
    >>> frame_time(0.0, 150, 30.0, (149, 4.9))  # no timestamp
    4.933333333333334
    """
    nominal = index / fps
    if not math.isfinite(msec) or (previous is not None and msec / 1000 <= previous[1]):
        return nominal if previous is None else previous[1] + (index - previous[0]) / fps
    return nominal if abs(msec / 1000 - nominal) < 1e-6 else msec / 1000


def video_info(path: str | Path) -> tuple[float, float]:
    """``(fps, duration in seconds)`` of a video; a missing file or a still image is a `VideoReadError`."""
    fps, total = stated_frames(path)
    return fps, total / fps


def stated_frames(path: str | Path) -> tuple[float, int]:
    """``(fps, frame count stated by the container)``."""
    from facemotion.io import IMAGE_SUFFIXES

    suffix = Path(path).suffix.lower()
    if Path(path).is_file() and suffix in IMAGE_SUFFIXES and not (suffix == ".gif" and animated(path)):
        if suffix != ".gif" and _pillow_image(path) in (("WEBP", False), ("PNG", False)):
            raise VideoReadError(
                f"{path} is an animated {suffix[1:].upper()}: facemotion reads video files and animated GIFs; "
                "convert it to one of these (`facemotion analyze` reads its first frame)"
            )
        raise VideoReadError(f"{path} is a still image, not a video; use `facemotion analyze` for photos")
    image_format, still = _pillow_image(path) if Path(path).is_file() else (None, False)
    if still and image_format in ("JPEG", "PNG", "BMP", "TIFF", "WEBP"):
        raise VideoReadError(
            f"{path} is a {image_format} image named like a video, not a video; use `facemotion analyze` for photos"
        )
    with _capture(path) as cap:  # a missing file: "no such file"
        return rate_and_count(cap)


def _pillow_image(path: str | Path) -> tuple[str | None, bool]:
    """``(format, still)`` of a file as Pillow reads its header whatever its name (``("JPEG", True)`` for a
    photo renamed ``x.mp4``; ``("WEBP", False)`` for an animated WebP); ``(None, False)`` for what Pillow
    cannot open (a video, or something OpenCV will judge)."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return str(image.format), int(getattr(image, "n_frames", 1)) == 1
    except Exception:
        return None, False


def animated(path: str | Path) -> bool:
    """Whether a GIF holds more than one frame (an animated GIF is read as a video)."""
    with opencv_path(path) as name:
        cap = cv2.VideoCapture(name)
        try:
            return bool(cap.isOpened() and cap.grab() and cap.grab())
        finally:
            cap.release()


#: The highest frame rate a file is believed to state (high-speed cameras reach tens of thousands).
MAX_STATED_FPS = 100_000.0
#: The highest frame rate a camera or stream is believed to state: FFmpeg gives some RTSP streams'
#: 90 kHz clock (90,000 fps for a 15-fps camera), which would sample a frame every ten minutes.
MAX_STREAM_FPS = 1000.0


def rate_and_count(cap: Any, max_fps: float = MAX_STATED_FPS) -> tuple[float, int]:
    """``(fps, frame count)`` a capture states; 30 fps and 0 (unknown) where it states nothing sensible.

    A WebM written as it was recorded (a browser's ``MediaRecorder``, a stream) has no
    length: OpenCV then gives a negative frame count. A high-speed camera's rate (1,200 fps)
    is kept; with a rate that is no rate (0, NaN, over ``max_fps``: `MAX_STATED_FPS` for a file,
    `MAX_STREAM_FPS` for a camera or stream) the count is unknown too, so the length comes
    from the frames' own times, never from count / 30.
    """
    fps, count = cap.get(cv2.CAP_PROP_FPS), cap.get(cv2.CAP_PROP_FRAME_COUNT)
    if not (math.isfinite(fps) and 0 < fps <= max_fps):
        return 30.0, 0
    return fps, int(count) if math.isfinite(count) and 0 < count < 1e10 else 0


@contextmanager
def _capture(path: str | Path) -> Iterator[Any]:
    """An open ``cv2.VideoCapture`` of a video file, released afterwards; a `VideoReadError` if it cannot be."""
    path = Path(path)
    if path.is_dir():
        raise VideoReadError(f"{path} is a folder; give one video file (`facemotion batch` analyses folders)")
    if path.exists() and not path.is_file():
        raise VideoReadError(f"{path} is not a regular file (a FIFO, socket or device); it was not opened")
    if not path.is_file():
        raise VideoReadError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise VideoReadError(f"{path} is empty (0 bytes)")
    with opencv_path(path) as name:
        cap = cv2.VideoCapture(name)
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)  # a phone's portrait video upright (OpenCV's default; said here)
        try:
            if not cap.isOpened() and file_is_whole(path) is False:
                raise VideoReadError(
                    f"{path} is cut short (its container runs past the end of the file: a copy or download broken "
                    "off) and OpenCV cannot open what is left"
                )
            if not cap.isOpened():  # whole, or a container that cannot tell
                raise VideoReadError(
                    f"{path} is not a video OpenCV can decode: it holds no video (a sound file?), a codec OpenCV "
                    "lacks, or it is damaged (an MP4 cut short before its index, which MP4s often keep at the end)"
                )
            yield cap
        finally:
            cap.release()


def open_source(source: str | int) -> Any:
    """An OpenCV capture of a camera index (``0`` or ``"0"``), a stream URL, or a file."""
    if isinstance(source, str) and source.isdigit() and not Path(source).is_file():
        source = int(source)
    if isinstance(source, int):
        cap = cv2.VideoCapture(source)
    else:
        with opencv_path(source) as name:  # the capture holds the file open once made
            cap = cv2.VideoCapture(name)
    if not cap.isOpened():
        cap.release()
        raise VideoReadError(f"cannot open {source!r}: not a camera, stream or video OpenCV can read")
    return cap
