"""``tf.data`` pipelines with augmentation and the model's own normalization."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.preprocessing import Preprocessing, normalize
from facemotion.training.datasets import FaceDataset, sampling_weights


@dataclass(frozen=True)
class Augmentation:
    """Random changes applied to training faces (set a field to 0 to turn it off).

    Rotation is in degrees; shift and scale are fractions of the face size; erasing is
    the probability of blanking one random rectangle (random erasing, Zhong et al. 2020).
    ``photometric`` is the probability of each real-camera degradation (see
    `photometric`): dim light and gamma, low resolution and blur, sensor noise.
    ``mixup`` is the α of mixup's Beta(α, α) blend of two faces and their targets
    (Zhang et al. 2018; 0 = off, see `mixup`).
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

    def layers(self, seed: int = 0) -> list[Any]:
        import keras

        out: list[Any] = []
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
        return out


def random_erasing(images: tf.Tensor, probability: float, max_fraction: float = 0.3) -> tf.Tensor:
    """Blank one random rectangle (up to ``max_fraction`` of each side) per image, with the image mean."""
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    eh = tf.cast(tf.random.uniform([n], 0.1, max_fraction) * hf, tf.int32)
    ew = tf.cast(tf.random.uniform([n], 0.1, max_fraction) * wf, tf.int32)
    y0 = tf.cast(tf.random.uniform([n]) * tf.cast(h - eh, tf.float32), tf.int32)
    x0 = tf.cast(tf.random.uniform([n]) * tf.cast(w - ew, tf.float32), tf.int32)
    ys = tf.range(h)[None, :, None]
    xs = tf.range(w)[None, None, :]
    inside = (
        (ys >= y0[:, None, None])
        & (ys < (y0 + eh)[:, None, None])
        & (xs >= x0[:, None, None])
        & (xs < (x0 + ew)[:, None, None])
    )
    apply = tf.random.uniform([n]) < probability
    mask = tf.cast(inside & apply[:, None, None], images.dtype)[..., None]
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return images * (1.0 - mask) + mean * mask


def photometric(images: tf.Tensor, probability: float) -> tf.Tensor:
    """Camera-like degradations of a float batch (0–255), each applied with ``probability``.

    Gamma in [0.5, 2] with a gain in [0.4, 1] (dim or harsh light), down-up scaling to
    30–80 % of the side (low resolution, defocus and motion blur, video stills), and
    Gaussian sensor noise (σ up to 12 grey levels).
    """
    shape = tf.shape(images)
    n, h, w = shape[0], shape[1], shape[2]

    def chosen() -> tf.Tensor:
        return tf.cast(tf.random.uniform([n, 1, 1, 1]) < probability, images.dtype)

    gamma = tf.exp(tf.random.uniform([n, 1, 1, 1], np.log(0.5), np.log(2.0)))
    gain = tf.random.uniform([n, 1, 1, 1], 0.4, 1.0)
    lit = 255.0 * gain * tf.pow(tf.clip_by_value(images / 255.0, 1e-6, 1.0), gamma)
    pick = chosen()
    images = pick * lit + (1.0 - pick) * images
    factor = tf.random.uniform([], 0.3, 0.8)
    small = tf.cast(tf.cast(tf.stack([h, w]), tf.float32) * factor, tf.int32)
    blurred = tf.image.resize(tf.image.resize(images, small, method="area"), tf.stack([h, w]), method="bilinear")
    pick = chosen()
    images = pick * blurred + (1.0 - pick) * images
    noise = tf.random.normal(shape, 0.0, 1.0) * tf.random.uniform([n, 1, 1, 1], 0.0, 12.0)
    pick = chosen()
    return tf.clip_by_value(images + pick * noise, 0.0, 255.0)


def mixup(images: tf.Tensor, targets: dict[str, tf.Tensor], alpha: float) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """Blend each face of a batch with another of the same batch, targets alike.

    Each face gets its own weight λ ~ Beta(α, α), drawn as a ratio of Gamma variables.
    """
    n = tf.shape(images)[0]
    a = tf.random.gamma([n], alpha)
    lam = a / (a + tf.random.gamma([n], alpha))
    partner = tf.random.shuffle(tf.range(n))

    def blend(x: tf.Tensor) -> tf.Tensor:
        w = tf.reshape(lam, tf.concat([[n], tf.ones([tf.rank(x) - 1], tf.int32)], 0))
        return w * x + (1.0 - w) * tf.gather(x, partner)

    return blend(images), {k: blend(v) for k, v in targets.items()}


def teacher_view_probabilities(teachers: Sequence[Any], images: tf.Tensor, *, turns: bool = False) -> tf.Tensor:
    """Mean emotion probabilities of ``teachers`` on a normalized batch and its mirror image.

    Every teacher sees both (two passes each); with ``turns`` they take turns instead (the
    1st, 3rd, … see the batch, the 2nd, 4th, … its mirror image), so that two teachers
    still cover both views at half the cost.
    """
    views = (images, tf.reverse(images, axis=[2]))
    probs = []
    for k, teacher in enumerate(teachers):
        for view in views[k % 2 : k % 2 + 1] if turns else views:
            out = teacher(view, training=False)
            probs.append(tf.nn.softmax(out[EMOTION_OUTPUT] if isinstance(out, dict) else out, axis=-1))
    return tf.add_n(probs) / len(probs)


def make_tf_dataset(
    data: FaceDataset,
    prep: Preprocessing,
    *,
    batch_size: int = 128,
    training: bool = False,
    augmentation: Augmentation | None = None,
    balance: float = 0.0,
    tasks: tuple[str, ...] = (EMOTION_OUTPUT, VA_OUTPUT),
    seed: int = 0,
    teachers: Sequence[Any] = (),
    teacher_weight: float = 0.5,
    teacher_turns: bool = False,
) -> tf.data.Dataset:
    """Batches of ``(normalized images, {"emotion": soft labels, "valence_arousal": targets})``.

    With ``training=True`` an epoch draws ``len(data)`` faces with probabilities ∝ class
    frequency ** -``balance`` (0 = plain shuffle, 1 = balanced classes) and augments them.
    With ``teachers`` (trained Keras models) the emotion targets of each augmented batch
    become ``(1 - teacher_weight) · labels + teacher_weight · teachers`` (their mean
    probabilities on that very batch and its mirror image): *consistent teaching*, where
    the student matches its teachers on every view it is shown (Beyer et al. 2022),
    rather than on the clean faces only (`facemotion.training.distill_targets`);
    ``teacher_turns`` as ``turns`` in `teacher_view_probabilities`.
    """
    if teachers and not 0.0 <= teacher_weight <= 1.0:
        raise ValueError(f"teacher_weight must be in [0, 1], got {teacher_weight}")
    images = tf.constant(data.images)
    targets = {EMOTION_OUTPUT: tf.constant(data.soft_labels), VA_OUTPUT: tf.constant(data.affect)}
    targets = {k: v for k, v in targets.items() if k in tasks}
    n = len(data)
    if training:
        logits = tf.constant(np.log(sampling_weights(data.labels, balance)), tf.float32)[None, :]
        steps = max(1, n // batch_size)
        index_ds = tf.data.Dataset.range(steps).map(
            lambda _: tf.random.categorical(logits, batch_size, dtype=tf.int32, seed=seed)[0]
        )
    else:
        index_ds = tf.data.Dataset.range(n).batch(batch_size).map(lambda i: tf.cast(i, tf.int32))
    augment = (augmentation or Augmentation()).layers(seed) if training else []
    erasing = (augmentation or Augmentation()).erasing if training else 0.0
    degrade = (augmentation or Augmentation()).photometric if training else 0.0
    mix = (augmentation or Augmentation()).mixup if training else 0.0

    def gather(index: tf.Tensor) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        x = tf.cast(tf.gather(images, index), tf.float32)
        for layer in augment:
            x = layer(x, training=True)
        if degrade:
            x = photometric(tf.clip_by_value(x, 0.0, 255.0), degrade)
        if erasing:
            x = random_erasing(x, erasing)
        x = normalize(tf.clip_by_value(x, 0.0, 255.0), prep)
        y = {k: tf.gather(v, index) for k, v in targets.items()}
        if teachers and EMOTION_OUTPUT in y:
            taught = teacher_view_probabilities(teachers, x, turns=teacher_turns)
            y[EMOTION_OUTPUT] = (1.0 - teacher_weight) * y[EMOTION_OUTPUT] + teacher_weight * taught
        return mixup(x, y, mix) if mix else (x, y)

    return index_ds.map(gather, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
