"""Reading images safely: any path, array or PIL image becomes an RGB uint8 array.

Files are decoded with Pillow, turned upright by their EXIF orientation, and refused
before decoding when they claim more pixels than `MAX_PIXELS` (a decompression
bomb guard; set ``facemotion.io.MAX_PIXELS`` or pass ``max_pixels``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from facemotion.errors import ImageReadError
from facemotion.preprocessing import to_uint8_rgb

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

#: Largest image accepted, in pixels (default 100 megapixels).
MAX_PIXELS = 100_000_000

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif"})

#: Anything accepted as one image: a path, an (H, W[, C]) array, or a PIL image.
ImageLike: TypeAlias = "str | os.PathLike[str] | NDArray[Any] | PILImage"


def read_image(source: ImageLike, *, max_pixels: int | None = None) -> NDArray[np.uint8]:
    """Return ``source`` as an upright RGB uint8 array of shape (H, W, 3).

    Arrays are taken as RGB (or grey / RGBA); 16-bit and float arrays are rescaled.

    >>> read_image(np.zeros((4, 5), np.uint8)).shape
    (4, 5, 3)
    """
    limit = MAX_PIXELS if max_pixels is None else max_pixels
    if isinstance(source, (str, os.PathLike)):
        return _read_file(Path(source), limit)
    if isinstance(source, np.ndarray):
        return _check_array(source, limit, "the array")
    if hasattr(source, "convert") and hasattr(source, "size"):  # a PIL image
        return _from_pil(source, limit, "the PIL image")
    raise ImageReadError(
        f"cannot read an image from a {type(source).__name__}; pass a path, a numpy array or a PIL image"
    )


#: The EXIF tag that says how a camera photo is turned.
EXIF_ORIENTATION = 0x0112


def _check_array(array: NDArray[Any], limit: int, what: str) -> NDArray[np.uint8]:
    if array.ndim not in (2, 3) or array.shape[0] < 1 or array.shape[1] < 1:
        raise ImageReadError(f"{what} has shape {array.shape}; expected (H, W), (H, W, 3) or (H, W, 4)")
    if array.shape[0] * array.shape[1] > limit:
        raise ImageReadError(f"{what} has {array.shape[0] * array.shape[1]:,} pixels, over the limit of {limit:,}")
    try:
        return to_uint8_rgb(array)
    except ValueError as err:
        raise ImageReadError(f"{what}: {err}") from None


def _from_pil(image: Any, limit: int, what: str) -> NDArray[np.uint8]:
    from PIL import ImageOps

    width, height = image.size
    if width * height > limit:
        raise ImageReadError(f"{what} is {width}×{height} pixels, over the limit of {limit:,} pixels")
    if image.getexif().get(EXIF_ORIENTATION, 1) != 1:  # exif_transpose copies even when nothing turns
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.uint32)
        return _check_array((array >> 8).clip(0, 255).astype(np.uint8), limit, what)
    return _check_array(np.asarray(image if image.mode == "RGB" else image.convert("RGB")), limit, what)


def _read_file(path: Path, limit: int) -> NDArray[np.uint8]:
    from PIL import Image, UnidentifiedImageError

    if not path.exists():
        raise ImageReadError(f"{path}: no such file")
    if path.is_dir():
        raise ImageReadError(f"{path} is a directory, not an image")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > limit:
                raise ImageReadError(
                    f"{path} is {width}×{height} pixels, over the limit of {limit:,} "
                    "(raise facemotion.io.MAX_PIXELS if it is genuine)"
                )
            image.load()
            return _from_pil(image, limit, str(path))
    except ImageReadError:
        raise
    except Image.DecompressionBombError as err:
        raise ImageReadError(
            f"{path} is refused as a decompression bomb: over the limit of Pillow's pixel guard ({err})"
        ) from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{path} is not an image file Pillow can read") from None
    except (OSError, ValueError, SyntaxError) as err:
        raise ImageReadError(f"{path} is corrupt or truncated: {err}") from None
