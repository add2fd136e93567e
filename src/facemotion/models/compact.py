"""The compact default network: a small ResNet for 48×48 grey faces.

About 0.5 M parameters and 60 MFLOP per face; it trains on two CPU cores in
about an hour on FER+ and runs thousands of faces per second.
"""

from __future__ import annotations

import keras
from keras import layers


def _conv_bn_relu(x: keras.KerasTensor, filters: int, stride: int, name: str) -> keras.KerasTensor:
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def _residual(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
    y = _conv_bn_relu(x, filters, 1, f"{name}_a")
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_b_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_b_bn")(y)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([x, y]))


def build_compact(input_size: int = 48, channels: int = 1, width: int = 24) -> keras.Model:
    """Build the compact backbone (no head): image → 3×3×(8·width) feature map.

    >>> build_compact(width=4).output.shape
    (None, 3, 3, 32)
    """
    inputs = keras.Input((input_size, input_size, channels), name="image")
    x = _conv_bn_relu(inputs, width, 1, "stem")
    x = _conv_bn_relu(x, width, 2, "down1")
    x = _residual(x, width, "block1")
    x = _conv_bn_relu(x, 2 * width, 2, "down2")
    x = _residual(x, 2 * width, "block2")
    x = _conv_bn_relu(x, 4 * width, 2, "down3")
    x = _residual(x, 4 * width, "block3a")
    x = _residual(x, 4 * width, "block3b")
    x = _conv_bn_relu(x, 8 * width, 2, "down4")
    return keras.Model(inputs, x, name="compact")
