"""Reading images safely: any path, array or PIL image becomes an RGB uint8 array.

Rules (every one of them is a guarantee, see ``docs/robustness.md``):

- Files are decoded with Pillow and turned upright by their EXIF orientation. Only regular
  files are opened: a directory, FIFO, socket or device is refused from ``os.stat``, so a
  named pipe can never hang a read.
- A file whose header claims more than `MAX_PIXELS` pixels is refused before decoding (a
  decompression bomb guard; set the ``FACEMOTION_MAX_PIXELS`` environment variable or
  ``facemotion.io.MAX_PIXELS``, or pass ``max_pixels``). A JPEG read reduced (what the API
  analyses) is judged by the pixels it is decoded to, so a 200-megapixel camera JPEG is
  read. Pillow's own bomb guard is replaced by this check.
- `read_image_reduced` (what the API analyses) keeps any input within `MAX_DECODED_PIXELS`:
  JPEGs are decoded at 1/2, 1/4 or 1/8 size (JPEG draft mode, which never holds the full
  image), other images are box-filtered down after decoding, and it returns the factor
  that maps its pixels back to the source's.
- Pixel values: ``uint8`` is taken as is. Other integer types (uint16, int32, int64, ...
  and 16-bit / 32-bit TIFF and PNG files) are scaled by their bit depth, taken as the
  smallest of 8, 10, 12, 14 or 16 bits that holds the largest value (so 12-bit data in a
  uint16 array fills 0..255). Floats in 0..1 are scaled to 0..255; floats in 0..255 are
  taken as is (a float image whose largest value is at most 2 counts as 0..1, values over 1
  clipped: a cubic resize or a brightening overshoots 1, and read as 0..255 it would be
  black; a 0..255 image that dark, nothing over 2 of 255, shows nothing either way). Booleans,
  NaN, infinities, negative values and values beyond 16 bits (or 255.0 for floats) are
  refused with an `ImageReadError`: an image is never silently turned black or white.
- Shapes: (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA; anything else is refused.
"""

from __future__ import annotations

import logging
import math
import os
import re
import stat
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from facemotion.errors import ImageReadError, OptionError
from facemotion.preprocessing import to_uint8_rgb

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

log = logging.getLogger(__name__)


#: Largest image accepted, in pixels (default 100 megapixels), checked from the file header; a JPEG
#: read reduced is judged by the pixels it is decoded to. The ``FACEMOTION_MAX_PIXELS`` environment
#: variable, when set, wins (`pixel_limit`).
MAX_PIXELS = 100_000_000
#: Pillow's formats of JPEG files (a phone's or camera's JPEG with a second image is ``MPO``).
JPEG_FORMATS = ("JPEG", "MPO")
#: A JPEG read reduced is judged by the pixels it decodes to, but its header may claim at most this
#: many times the limit: its whole data is still Huffman-decoded (65,535² would pass at 1/8).
JPEG_HEADER_TIMES = 8
#: What an over-limit message says to do.
RAISE_LIMIT = "set FACEMOTION_MAX_PIXELS (or facemotion.io.MAX_PIXELS in Python) higher if it is genuine"
#: Largest image analysed at full size by `read_image_reduced` (24 megapixels: about 0.7 GB
#: through detection); larger inputs are analysed reduced.
MAX_DECODED_PIXELS = 24_000_000

#: HEIF photos (an iPhone's default format), read through pillow-heif: the ``heic`` extra.
HEIF_SUFFIXES = frozenset({".heic", ".heif", ".hif"})
IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".png", ".bmp", ".webp", ".avif", ".tif", ".tiff", ".gif", ".jp2", ".j2k"}
    | HEIF_SUFFIXES
)
#: Files analysed as videos (`facemotion.inputs.is_video` adds animated GIFs).
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"})

#: Anything accepted as one image: a path, an (H, W[, C]) array, or a PIL image.
ImageLike: TypeAlias = "str | os.PathLike[str] | NDArray[Any] | PILImage"

#: A float image whose largest value is at most this is taken as 0..1 (values over 1 clipped).
FLOAT_UNIT_RANGE_MAX = 2.0

#: What the error messages say is accepted.
ACCEPTED = "a path (str or os.PathLike), a numpy array (H×W×3 RGB, H×W grey or H×W×4 RGBA) or a PIL image"

#: The EXIF tag that says how a camera photo is turned.
EXIF_ORIENTATION = 0x0112
#: How each EXIF orientation is turned upright (the table of ``PIL.ImageOps.exif_transpose``).
_TURNS = {
    2: "FLIP_LEFT_RIGHT",
    3: "ROTATE_180",
    4: "FLIP_TOP_BOTTOM",
    5: "TRANSPOSE",
    6: "ROTATE_270",
    7: "TRANSVERSE",
    8: "ROTATE_90",
}
#: Bit depths an integer image may have; the smallest holding its largest value is used.
BIT_DEPTHS = (8, 10, 12, 14, 16)


def pixel_limit(max_pixels: int | None = None) -> int:
    """The largest image read: ``max_pixels`` if given, else ``FACEMOTION_MAX_PIXELS`` if set, else `MAX_PIXELS`.

    >>> pixel_limit(), pixel_limit(5)
    (100000000, 5)
    """
    if max_pixels is not None:
        return max_pixels
    text = os.environ.get("FACEMOTION_MAX_PIXELS", "").strip()
    if not text:
        return MAX_PIXELS
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit <= 0:
        raise OptionError(f"FACEMOTION_MAX_PIXELS must be a whole number of pixels over 0, got {text!r}")
    return limit


def read_image(source: ImageLike, *, max_pixels: int | None = None) -> NDArray[np.uint8]:
    """Return ``source`` as an upright RGB uint8 array of shape (H, W, 3), at full size.

    >>> read_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    >>> int(read_image(np.full((2, 2), 4095, np.uint16))[0, 0, 0])  # 12-bit data: white
    255
    >>> int(read_image(np.full((2, 2), 0.5))[0, 0, 0])  # floats in 0..1
    128
    >>> read_image(np.array([[0.5, 1.05]]))[0, :, 0].tolist()  # 0..1, overshooting a little: clipped
    [128, 255]
    """
    return _read(source, pixel_limit(max_pixels), None)[0]


def read_image_reduced(
    source: ImageLike, *, max_pixels: int | None = None, max_decoded: int | None = None
) -> tuple[NDArray[np.uint8], float]:
    """Like `read_image`, but at most ``max_decoded`` pixels (`MAX_DECODED_PIXELS`), and the scale.

    The scale maps the returned image's pixels to the source's (1.0 when nothing was reduced):
    multiply a box found in the returned image by it.

    >>> image, scale = read_image_reduced(np.zeros((40, 60), np.uint8), max_decoded=600)
    >>> image.shape, scale
    ((20, 30, 3), 2.0)
    """
    limit = pixel_limit(max_pixels)
    return _read(source, limit, MAX_DECODED_PIXELS if max_decoded is None else max_decoded)


def _read(source: ImageLike, limit: int, max_decoded: int | None) -> tuple[NDArray[np.uint8], float]:
    if isinstance(source, (str, os.PathLike)):
        return _read_file(_file_path(source), limit, max_decoded)
    if isinstance(source, np.ndarray):
        return _reduce_array(_check_array(source, limit, "the array"), max_decoded)
    if hasattr(source, "convert") and hasattr(source, "size"):  # a PIL image
        try:
            if source.size[0] * source.size[1] <= limit:  # a larger one is refused by _from_pil, undecoded
                with _PIL_LOAD_LOCK:  # one image opened lazily and shared by threads is decoded once
                    source.load()
            return _from_pil(source, limit, "the PIL image", max_decoded)
        except ImageReadError:
            raise
        except Exception as err:  # closed, truncated, or a mode Pillow cannot convert
            raise ImageReadError(f"the PIL image cannot be read: {type(err).__name__}: {err}") from None
    raise ImageReadError(
        f"cannot read an image from {type(source).__name__} {_short(source)}; pass {ACCEPTED}{input_hint(source)}"
    )


def input_hint(value: object) -> str:
    """What to do instead, for the inputs people pass by mistake ("" for others).

    >>> input_hint(None)
    ' (None is what cv2.imread gives for a file it cannot read)'
    """
    if value is None:
        return " (None is what cv2.imread gives for a file it cannot read)"
    if isinstance(value, (bytes, bytearray, memoryview)) or hasattr(value, "read"):
        return " (for encoded image bytes or a file object: PIL.Image.open(io.BytesIO(data)) or PIL.Image.open(file))"
    return ""


def _file_path(source: str | os.PathLike[str]) -> Path:
    """``source`` as a path; an empty one (an unset variable) or a URL is refused, not read as ``.``."""
    text = str(os.fspath(source))
    if not text:
        raise ImageReadError("an empty path was given (an unset variable?); give an image file")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]+://", text):
        raise ImageReadError(f"{text} is a URL: facemotion reads files, download the image first")
    return Path(text)


@contextmanager
def opencv_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """``path`` as a name OpenCV can open, for the time of the ``with`` block.

    OpenCV takes file names as UTF-8. A name that is not (bytes of another encoding, such
    as Latin-1 names from an old share or camera, which Python holds as surrogates) crashes
    it, so such a file is reached through a symbolic link with a plain name.

    >>> with opencv_path("clip.mp4") as name:
    ...     name
    'clip.mp4'
    """
    text = os.fspath(path)
    if _utf8(text):
        yield text
        return
    with tempfile.TemporaryDirectory(prefix="facemotion-") as folder:
        suffix = Path(text).suffix
        link = os.path.join(folder, "input" + (suffix if _utf8(suffix) else ""))
        os.symlink(os.path.abspath(text), link)
        yield link


def readable(name: str) -> str:
    """``name`` as valid UTF-8 text, for a page, a plot or a table: the bytes of a file name that
    are not UTF-8 (which Python holds as surrogates) are written as ``\\xNN``.

    >>> print(readable("caf\\udce9.jpg"))
    caf\\xe9.jpg
    """
    try:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that stands for no byte (a Windows name, JSON)
        return name.encode("utf-8", "backslashreplace").decode("utf-8")


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_array(array: NDArray[Any], limit: int, what: str) -> NDArray[np.uint8]:
    shape = array.shape
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (1, 3, 4)):
        raise ImageReadError(f"{what} has shape {shape}; expected (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA")
    if shape[0] < 1 or shape[1] < 1:
        raise ImageReadError(f"{what} has shape {shape}: it holds no pixels")
    if shape[0] * shape[1] > limit:
        raise ImageReadError(
            f"{what} has {shape[0] * shape[1]:,} pixels, over the limit of {limit:,} (resize it, or {RAISE_LIMIT})"
        )
    return to_uint8_rgb(to_uint8(array, what))


def to_uint8(array: NDArray[Any], what: str = "the array") -> NDArray[np.uint8]:
    """Pixel values of any integer or float dtype as uint8, by the rules of this module.

    >>> to_uint8(np.array([[0, 1023]], np.uint16)).tolist()  # 10-bit data
    [[0, 255]]
    >>> to_uint8(np.array([[0.0, 1.0]])).tolist()
    [[0, 255]]
    >>> to_uint8(np.array([[-1, 3]]))
    Traceback (most recent call last):
    facemotion.errors.ImageReadError: the array has negative values (down to -1); expected 0..255 or 0..65535
    """
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array.astype(np.uint8, copy=False)
    if kind == "b":
        raise ImageReadError(f"{what} is boolean; convert it to uint8 (0 and 255) if it is a black-and-white image")
    if kind in "ui":
        return _integer_to_uint8(array, what)
    if kind == "f":
        return _float_to_uint8(array, what)
    raise ImageReadError(f"{what} has dtype {array.dtype}; expected unsigned integers (uint8, uint16) or floats")


def _integer_to_uint8(array: NDArray[Any], what: str) -> NDArray[np.uint8]:
    low, high = int(array.min()), int(array.max())
    if low < 0:
        raise ImageReadError(f"{what} has negative values (down to {low}); expected 0..255 or 0..65535")
    bits = next((b for b in BIT_DEPTHS if high < 1 << b), None)
    if bits is None:
        raise ImageReadError(f"{what} has values up to {high:,}, beyond 16 bits; expected 0..255 or 0..65535")
    if bits == 8:
        return array.astype(np.uint8)
    table = np.rint(np.arange(1 << bits) * (255.0 / ((1 << bits) - 1))).astype(np.uint8)
    return table[array]  # type: ignore[no-any-return]


def _float_to_uint8(array: NDArray[Any], what: str) -> NDArray[np.uint8]:
    """Floats as uint8: 0..255 as is, 0..1 scaled. A largest value up to `FLOAT_UNIT_RANGE_MAX` counts as
    0..1 with values over 1 clipped (a cubic resize or a brightening overshoots; read as 0..255 such an
    image would be black)."""
    if not np.isfinite(array).all():
        raise ImageReadError(f"{what} holds NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < 0:
        raise ImageReadError(
            f"{what} has negative values (down to {low:g}); expected floats in 0..1 or 0..255 (a normalised "
            "image? give its pixel values; a cubic resize undershoots: np.clip it)"
        )
    if high > 255:
        raise ImageReadError(f"{what} has values up to {high:g}; expected floats in 0..1 or 0..255")
    values = array.astype(np.float32, copy=False)  # float64 and longdouble: half the memory, precision to spare
    scaled: NDArray[Any] = np.minimum(values, 1.0) * 255.0 if high <= FLOAT_UNIT_RANGE_MAX else values
    out: NDArray[np.uint8] = np.rint(scaled).astype(np.uint8)
    return out


def _reduce_array(image: NDArray[np.uint8], max_decoded: int | None) -> tuple[NDArray[np.uint8], float]:
    height, width = image.shape[:2]
    if max_decoded is None or height * width <= max_decoded:
        return image, 1.0
    import cv2

    factor = _reduction(width, height, max_decoded)
    size = (max(1, width // factor), max(1, height // factor))
    reduced = np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    return reduced, width / size[0]


def _reduction(width: int, height: int, max_decoded: int) -> int:
    """The smallest whole factor (2 or more) that brings width × height within ``max_decoded``."""
    factor = max(2, math.floor(math.sqrt(width * height / max(1, max_decoded))))
    while math.ceil(width / factor) * math.ceil(height / factor) > max_decoded:
        factor += 1
    return factor


def _from_pil(image: Any, limit: int, what: str, max_decoded: int | None) -> tuple[NDArray[np.uint8], float]:
    from PIL import Image

    width, height = image.size
    if width * height > limit:
        raise ImageReadError(f"{what} is {width}×{height} pixels, over the limit of {limit:,} ({RAISE_LIMIT})")
    scale = 1.0
    if max_decoded is not None and width * height > max_decoded:
        factor = _reduction(width, height, max_decoded)
        if image.mode not in ("L", "RGB", "RGBA", "I", "F"):
            image = image.convert("I" if image.mode.startswith("I;16") else "RGB")
        image = image.reduce(factor)
        scale = width / image.size[0]
    turn = _TURNS.get(image.getexif().get(EXIF_ORIENTATION, 1))  # ImageOps.exif_transpose re-parses the EXIF
    if turn is not None:
        image = image.transpose(Image.Transpose[turn])
    if image.mode.startswith("I") or image.mode in ("F", "L", "RGB"):
        array = np.asarray(image)
    else:
        array = np.asarray(image.convert("RGB"))
    return _check_array(array, limit, what), scale


def _read_file(path: Path, limit: int, max_decoded: int | None) -> tuple[NDArray[np.uint8], float]:
    from PIL import Image, UnidentifiedImageError

    _check_regular_file(path)
    if path.suffix.lower() in HEIF_SUFFIXES:
        _read_heif(path)
    try:
        with _open(path, limit, max_decoded) as image:
            scale = _draft(image, max_decoded)
            try:
                image.load()
            except Image.DecompressionBombError:  # TIFF checks again when loading: under the same raised guard
                with _pillow_guard(limit):
                    image.load()
            array, more = _from_pil(image, limit, str(path), max_decoded)
            return array, scale * more
    except ImageReadError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageReadError(
            f"{path} is refused as a decompression bomb: over the limit of Pillow's pixel guard ({err})"
        ) from None
    except UnidentifiedImageError:
        suffix = path.suffix.lower()
        hint = (
            " (Pillow reads no TIFF of 3 or 4 float channels: save it as 8- or 16-bit)"
            if suffix in (".tif", ".tiff")
            else " (a video: facemotion.apps.video.analyze_video or `facemotion video`)"
            if suffix in VIDEO_SUFFIXES
            else ""
        )
        raise ImageReadError(f"{path} is not an image file Pillow can read{hint}") from None
    except PermissionError:
        raise ImageReadError(f"{path} cannot be read: permission denied") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageReadError(f"{path} is corrupt or truncated: {err}") from None
    except Exception as err:  # a Pillow plugin's own failure (RuntimeError: a damaged AVIF, NotImplementedError)
        raise ImageReadError(f"{path} cannot be decoded: {type(err).__name__}: {err}") from None


#: Held while a PIL image handed in is loaded: Pillow's lazy ``load()`` is not thread-safe, and
#: one ``Image.open`` result shared by threads gave other boxes or false "truncated" errors.
_PIL_LOAD_LOCK = threading.Lock()
#: Held while Pillow parses a header: `warnings.catch_warnings` changes process-wide state,
#: so two reads must not interleave there (decoding itself runs in parallel).
_HEADER_LOCK = threading.Lock()


def _open(path: Path, limit: int, max_decoded: int | None) -> Any:
    """Open ``path`` with Pillow (header and EXIF parsed, nothing decoded), its warnings as one log line.

    An image over ``limit`` pixels is refused from its header, before anything else is read (a
    PNG's EXIF may lie past its pixel data); a JPEG that `_draft` will decode reduced (with
    ``max_decoded``) is judged by the pixels it decodes to, and its header may claim up to
    `JPEG_HEADER_TIMES` the limit (the whole file is still Huffman-decoded). This replaces
    Pillow's own bomb guard (a warning over 89 megapixels, an error over 179), raised for the
    open (`_pillow_guard`). Other warnings (damaged TIFF tags, corrupt EXIF) are logged.
    """
    from PIL import Image

    with _pillow_guard(limit), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        image = Image.open(path)
        width, height = image.size
        jpeg = image.format in JPEG_FORMATS and max_decoded is not None
        factor = _draft_factor(width, height, max_decoded) if jpeg else 1
        decoded = math.ceil(width / factor) * math.ceil(height / factor)
        if decoded > limit or width * height > (JPEG_HEADER_TIMES if jpeg else 1) * limit:
            image.close()
            raise ImageReadError(f"{path} is {width}×{height} pixels, over the limit of {limit:,} ({RAISE_LIMIT})")
        try:
            image.getexif()  # parsed (and cached) here, so a corrupt EXIF block warns here
        except Exception:
            image.close()
            raise
    if caught:
        log.warning("%s: read despite damaged metadata (%s)", path, caught[0].message)
    return image


def _read_heif(path: Path) -> None:
    """Let Pillow open HEIF photos (pillow-heif's opener, registered once), or say which extra to install."""
    from facemotion.errors import MissingExtraError
    from facemotion.extras import require

    try:
        require("pillow_heif", "heic").register_heif_opener()
    except MissingExtraError as err:
        raise ImageReadError(f"{path} is a HEIF photo (an iPhone's HEIC): {err}") from None


@contextmanager
def _pillow_guard(limit: int) -> Iterator[None]:
    """Pillow's bomb guard raised, while held, to let through what `_open`'s rules allow (never lowered, never
    off: another thread's ``Image.open`` meanwhile keeps a finite guard); `_HEADER_LOCK` is held."""
    from PIL import Image

    with _HEADER_LOCK:
        guard = Image.MAX_IMAGE_PIXELS
        if guard is not None:  # Pillow errs over twice the guard: our check speaks first
            Image.MAX_IMAGE_PIXELS = max(guard, JPEG_HEADER_TIMES * limit)
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = guard


def _check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file from ``os.stat``, before anything opens it."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ImageReadError(f"{path}: no such file") from None
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise ImageReadError(f"{str(path)!r} cannot be read: {getattr(err, 'strerror', None) or err}") from None
    if stat.S_ISDIR(mode):
        raise ImageReadError(f"{path} is a directory, not an image")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
        raise ImageReadError(f"{path} is {kind}, not a regular file; not opened")


def _draft(image: Any, max_decoded: int | None) -> float:
    """Make a JPEG over ``max_decoded`` pixels decode at 1/2, 1/4 or 1/8 size; the scale it gives."""
    width, height = image.size
    factor = _draft_factor(width, height, max_decoded) if image.format in JPEG_FORMATS else 1
    if factor == 1:
        return 1.0
    image.draft(image.mode, (width // factor, height // factor))
    return float(width / image.size[0])


def _draft_factor(width: int, height: int, max_decoded: int | None) -> int:
    """1, 2, 4 or 8: the reduction a JPEG of ``width`` × ``height`` is decoded at to stay within ``max_decoded``.

    >>> _draft_factor(4000, 3000, None), _draft_factor(4000, 3000, 24_000_000), _draft_factor(16320, 12240, 24_000_000)
    (1, 1, 4)
    """
    if max_decoded is None or width * height <= max_decoded:
        return 1
    return next((k for k in (2, 4, 8) if math.ceil(width / k) * math.ceil(height / k) <= max_decoded), 8)
