"""ResNet-18 for 48×48 faces: the teacher-class network of the GPU recipe.

He et al.'s ResNet-18 (four stages of two basic blocks) with the small-image stem: one
3×3 convolution at stride 1 and no max-pooling, so the 48-px face keeps its detail
(stages at 48, 24, 12 and 6 px). ``width`` 64 is the original (11.2 M parameters,
about 2.5 GFLOP per face); the GPU script's default teacher uses 48 so that it fits a
16 MiB file in float16.
"""

from __future__ import annotations

import keras
from keras import layers


def _basic_block(x: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_1_conv")(x)
    y = layers.BatchNormalization(name=f"{name}_1_bn")(y)
    y = layers.ReLU(name=f"{name}_1_relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(y)
    y = layers.BatchNormalization(gamma_initializer="zeros", name=f"{name}_2_bn")(y)  # each block starts as identity
    if stride != 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_proj_bn")(x)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([x, y]))


def build_resnet18(input_size: int = 48, channels: int = 1, width: int = 64) -> keras.Model:
    """Build the ResNet-18 backbone (no head): image → (input_size / 8)² × 8·width feature map.

    >>> build_resnet18(width=4).output.shape
    (None, 6, 6, 32)
    """
    inputs = keras.Input((input_size, input_size, channels), name="image")
    x = layers.Conv2D(width, 3, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.ReLU(name="stem_relu")(x)
    for stage, mult in enumerate((1, 2, 4, 8), start=1):
        for block in (1, 2):
            stride = 2 if stage > 1 and block == 1 else 1
            x = _basic_block(x, width * mult, stride, f"stage{stage}_{block}")
    return keras.Model(inputs, x, name="resnet18")
