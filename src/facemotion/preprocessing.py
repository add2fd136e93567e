"""Turning face crops into model input: the one place where this happens.

Training and inference both call `resize_faces` then `normalize`, driven
by the model's `Preprocessing` config, so they can never preprocess differently.
Images are RGB ``uint8`` arrays of shape (H, W, 3) or grey (H, W).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

#: VGGFace (ResNet-50 / SENet-50) channel means, in B, G, R order.
VGGFACE_BGR_MEAN = (91.4953, 103.8827, 131.0912)

ColorMode = Literal["grayscale", "rgb"]
Normalization = Literal["unit", "vggface"]
ArrayT = TypeVar("ArrayT")


@dataclass(frozen=True)
class Preprocessing:
    """How a model wants its faces.

    Attributes:
        input_size: side of the square input in pixels.
        color_mode: ``"grayscale"`` (1 channel) or ``"rgb"`` (3 channels).
        normalization: ``"unit"`` divides by 255; ``"vggface"`` turns RGB into BGR and
            subtracts the VGGFace channel means (no scaling).
        margin: extra border around a detected face box, as a fraction of its size per side
            (0: the crop is the box's longer side, which matches FER2013's framing).
    """

    input_size: int = 48
    color_mode: ColorMode = "grayscale"
    normalization: Normalization = "unit"
    margin: float = 0.0

    @property
    def channels(self) -> int:
        return 1 if self.color_mode == "grayscale" else 3

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preprocessing:
        prep = cls(**data)
        if prep.color_mode not in ("grayscale", "rgb") or prep.normalization not in ("unit", "vggface"):
            raise ValueError(f"unsupported preprocessing {data}")
        if prep.normalization == "vggface" and prep.color_mode != "rgb":
            raise ValueError("vggface normalization needs color_mode 'rgb'")
        return prep


def to_uint8_rgb(image: NDArray[Any]) -> NDArray[np.uint8]:
    """Convert a grey, RGB or RGBA array of any integer/float dtype to RGB uint8 (pixel values by the
    rules of `facemotion.io.to_uint8`, the same for a crop as for a photo)."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        from facemotion.io import to_uint8  # io builds on this module

        array = to_uint8(array, "the face crop")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        return np.asarray(cv2.cvtColor(array, cv2.COLOR_GRAY2RGB), dtype=np.uint8)
    if array.ndim == 3 and array.shape[2] == 4:
        return np.asarray(cv2.cvtColor(array, cv2.COLOR_RGBA2RGB), dtype=np.uint8)
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    raise ValueError(f"expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {array.shape}")


def resize_faces(faces: list[NDArray[Any]], prep: Preprocessing) -> NDArray[np.uint8]:
    """Resize face crops (any size, grey or colour) to a (N, S, S, C) uint8 batch."""
    size = prep.input_size
    out = np.empty((len(faces), size, size, prep.channels), dtype=np.uint8)
    for i, face in enumerate(faces):
        rgb = to_uint8_rgb(face)
        if rgb.shape[0] < 1 or rgb.shape[1] < 1:
            raise ValueError("a face crop is empty")
        interpolation = cv2.INTER_AREA if min(rgb.shape[:2]) > size else cv2.INTER_LINEAR
        resized = cv2.resize(rgb, (size, size), interpolation=interpolation)
        if prep.channels == 1:
            out[i, :, :, 0] = cv2.cvtColor(resized, cv2.COLOR_RGB2GRAY)
        else:
            out[i] = resized
    return out


def normalize(batch: ArrayT, prep: Preprocessing) -> ArrayT:
    """Map a float batch of pixel values (0–255) to the model's input range.

    Written with plain operators so that it works on numpy arrays and on
    TensorFlow tensors inside a ``tf.data`` pipeline alike.

    >>> import numpy as np
    >>> normalize(np.full((1, 2, 2, 1), 255.0, np.float32), Preprocessing()).max()
    np.float32(1.0)
    """
    x: Any = batch
    if prep.normalization == "unit":
        return x * (1.0 / 255.0)  # type: ignore[no-any-return]
    mean = np.asarray(VGGFACE_BGR_MEAN, dtype=np.float32)
    return x[..., ::-1] - mean  # type: ignore[no-any-return]


def to_model_input(faces: list[NDArray[Any]], prep: Preprocessing) -> NDArray[np.float32]:
    """Resize and normalize face crops into a float32 model batch."""
    return normalize(resize_faces(faces, prep).astype(np.float32), prep)
