"""Augmentation as Keras layers, run inside the compiled training step on any Keras backend.

Geometric changes use Keras's own image layers; random erasing and the camera-like
degradations are small layers written with ``keras.ops`` and ``keras.random``, so the
whole step compiles on JAX (GPU) as on TensorFlow (CPU). `mixup` blends faces and
their targets alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
from keras import ops


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied to training faces (set a field to 0 to turn it off).

    Rotation is in degrees; shift and scale are fractions of the face size; erasing is
    the probability of blanking one random rectangle (random erasing, Zhong et al. 2020).
    ``photometric`` is the probability of each real-camera degradation (see
    `Photometric`): dim light and gamma, low resolution and blur, sensor noise.
    ``mixup`` is the α of mixup's Beta(α, α) blend of two faces and their targets
    (Zhang et al. 2018; 0 = off, see `mixup`).

    >>> len(Augmentation().layers()), len(Augmentation(rotation=0, erasing=0).layers())
    (7, 5)
    """

    flip: bool = True
    rotation: float = 10.0
    shift: float = 0.08
    scale: float = 0.1
    brightness: float = 0.2
    contrast: float = 0.3
    erasing: float = 0.4
    photometric: float = 0.0
    mixup: float = 0.0

    def layers(self, seed: int = 0) -> list[keras.layers.Layer]:
        """The layers that augment a float batch of pixel values (0–255), in order."""
        out: list[keras.layers.Layer] = []
        if self.flip:
            out.append(keras.layers.RandomFlip("horizontal", seed=seed))
        if self.rotation:
            out.append(keras.layers.RandomRotation(self.rotation / 360.0, fill_mode="reflect", seed=seed + 1))
        if self.shift:
            out.append(keras.layers.RandomTranslation(self.shift, self.shift, fill_mode="reflect", seed=seed + 2))
        if self.scale:
            out.append(keras.layers.RandomZoom(self.scale, fill_mode="reflect", seed=seed + 3))
        if self.brightness:
            out.append(keras.layers.RandomBrightness(self.brightness, value_range=(0, 255), seed=seed + 4))
        if self.contrast:
            out.append(keras.layers.RandomContrast(self.contrast, value_range=(0, 255), seed=seed + 5))
        if self.photometric:
            out.append(Photometric(self.photometric, seed=seed + 6))
        if self.erasing:
            out.append(RandomErasing(self.erasing, seed=seed + 7))
        for layer in out:
            layer.dtype_policy = keras.DTypePolicy("float32")  # pixel values keep their precision under bf16
        if keras.backend.backend() == "jax":
            # Keras marks its geometric layers as not jit-safe, which silently turns JAX
            # compilation off for the whole step (about 1000x slower); they trace fine on JAX.
            for layer in out:
                layer.supports_jit = True
        return out


class RandomErasing(keras.layers.Layer):  # type: ignore[misc]
    """Blank one random rectangle (10 %–``max_fraction`` of each side) per image with ``probability``.

    The rectangle takes the image's mean value.

    >>> x = np.full((4, 8, 8, 1), 200.0, np.float32); x[:, 0] = 0.0
    >>> y = keras.ops.convert_to_numpy(RandomErasing(1.0, seed=1)(x, training=True))
    >>> bool((y != x).any()), y.shape
    (True, (4, 8, 8, 1))
    """

    def __init__(self, probability: float, max_fraction: float = 0.3, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.probability = probability
        self.max_fraction = max_fraction
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_jit = True

    def call(self, images: Any, training: bool = False) -> Any:
        if not training:
            return images
        n, h, w = ops.shape(images)[0], images.shape[1], images.shape[2]
        size = keras.random.uniform((n, 2), 0.1, self.max_fraction, seed=self.seed_generator)
        start = keras.random.uniform((n, 2), seed=self.seed_generator) * (1.0 - size)
        ys = ops.reshape(ops.arange(h, dtype="float32") / h, (1, h, 1))
        xs = ops.reshape(ops.arange(w, dtype="float32") / w, (1, 1, w))
        y0, x0 = ops.reshape(start[:, 0], (-1, 1, 1)), ops.reshape(start[:, 1], (-1, 1, 1))
        y1, x1 = y0 + ops.reshape(size[:, 0], (-1, 1, 1)), x0 + ops.reshape(size[:, 1], (-1, 1, 1))
        inside = (ys >= y0) & (ys < y1) & (xs >= x0) & (xs < x1)
        apply = ops.reshape(keras.random.uniform((n,), seed=self.seed_generator) < self.probability, (-1, 1, 1))
        mask = ops.expand_dims(ops.cast(inside & apply, images.dtype), -1)
        mean = ops.mean(images, axis=(1, 2, 3), keepdims=True)
        return images * (1.0 - mask) + mean * mask


class Photometric(keras.layers.Layer):  # type: ignore[misc]
    """Camera-like degradations of a float batch (0–255), each applied with ``probability``.

    Gamma in [0.5, 2] with a gain in [0.4, 1] (dim or harsh light), down-up scaling to
    30 %, 55 % or 80 % of the side (low resolution, defocus and motion blur, video stills),
    and Gaussian sensor noise (σ up to 12 grey levels).

    >>> x = np.random.default_rng(0).uniform(0, 255, (8, 16, 16, 1)).astype(np.float32)
    >>> y = keras.ops.convert_to_numpy(Photometric(1.0, seed=0)(x, training=True))
    >>> bool(0 <= y.min() and y.max() <= 255 and abs(y - x).mean() > 5)
    True
    """

    FACTORS = (0.3, 0.55, 0.8)

    def __init__(self, probability: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.probability = probability
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_jit = True

    def _chosen(self, n: Any, dtype: Any) -> Any:
        picked = keras.random.uniform((n, 1, 1, 1), seed=self.seed_generator) < self.probability
        return ops.cast(picked, dtype)

    def call(self, images: Any, training: bool = False) -> Any:
        if not training:
            return images
        n, h, w = ops.shape(images)[0], images.shape[1], images.shape[2]
        gamma = ops.exp(keras.random.uniform((n, 1, 1, 1), np.log(0.5), np.log(2.0), seed=self.seed_generator))
        gain = keras.random.uniform((n, 1, 1, 1), 0.4, 1.0, seed=self.seed_generator)
        lit = 255.0 * gain * ops.power(ops.clip(images / 255.0, 1e-6, 1.0), gamma)
        pick = self._chosen(n, images.dtype)
        images = pick * lit + (1.0 - pick) * images
        # Static sizes (JAX needs them): each face takes one of the blurred versions at random.
        blurred = [
            ops.image.resize(
                ops.image.resize(
                    images, (max(1, round(h * f)), max(1, round(w * f))), interpolation="bilinear", antialias=True
                ),
                (h, w),
                interpolation="bilinear",
            )
            for f in self.FACTORS
        ]
        which = keras.random.randint((n,), 0, len(self.FACTORS), seed=self.seed_generator)
        choice = ops.reshape(ops.one_hot(which, len(self.FACTORS), dtype=images.dtype), (-1, 1, 1, 1, len(blurred)))
        blurred_one = ops.sum(ops.stack(blurred, axis=-1) * choice, axis=-1)
        pick = self._chosen(n, images.dtype)
        images = pick * blurred_one + (1.0 - pick) * images
        sigma = keras.random.uniform((n, 1, 1, 1), 0.0, 12.0, seed=self.seed_generator)
        noise = keras.random.normal(ops.shape(images), seed=self.seed_generator) * sigma
        pick = self._chosen(n, images.dtype)
        return ops.clip(images + pick * noise, 0.0, 255.0)


def mixup(
    images: Any, targets: dict[str, Any], alpha: float, seed: keras.random.SeedGenerator | int | None = None
) -> tuple[Any, dict[str, Any]]:
    """Blend each face of a batch with another of the same batch, targets alike.

    Each face gets its own weight λ ~ Beta(α, α).

    >>> x, y = mixup(np.zeros((4, 2, 2, 1), np.float32), {"emotion": np.eye(4, dtype=np.float32)}, 0.4, seed=0)
    >>> np.allclose(keras.ops.convert_to_numpy(y["emotion"]).sum(axis=1), 1.0)
    True
    """
    n = ops.shape(images)[0]
    lam = keras.random.beta((n,), alpha, alpha, seed=seed)
    partner = keras.random.shuffle(ops.arange(n), seed=seed)

    def blend(x: Any) -> Any:
        weight = ops.reshape(ops.cast(lam, x.dtype), (-1,) + (1,) * (len(x.shape) - 1))
        return weight * x + (1.0 - weight) * ops.take(x, partner, axis=0)

    return blend(images), {k: blend(v) for k, v in targets.items()}
