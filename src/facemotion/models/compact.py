"""The compact default network: a small ResNet for 48×48 grey faces.

Four stride-2 stages (width, 2·, 4·, 8·width channels) with residual blocks between
them. ``blocks="conv"`` (the bundled model's design) uses full 3×3 convolutions in the
residual blocks: 113 MFLOP per face at width 32. ``blocks="separable"`` uses
depthwise-separable ones: 39 MFLOP, about 2.5× the faces per second on a CPU, but 98
epochs of distilled training (four runs) brought it to only 0.820 FER+ 8-class accuracy,
levelling off, against the bundled model's 0.851. ``inner=0.25`` keeps a quarter of the
channels inside each residual block (49 MFLOP, about 2× the speed); pruned from the bundled
model and trained for 24 epochs it reached 0.819 (docs/models.md, "Experiments not shipped").
"""

from __future__ import annotations

from typing import Literal, get_args

import keras
from keras import layers

Blocks = Literal["conv", "separable"]


def _conv_bn(
    x: keras.KerasTensor, filters: int, stride: int, name: str, *, separable: bool = False, zero_gamma: bool = False
) -> keras.KerasTensor:
    # Separable layers have names of their own, so no weights of a full convolution land in them.
    if separable:
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
        x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
        x = layers.ReLU(name=f"{name}_dw_relu")(x)
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
        return layers.BatchNormalization(gamma_initializer="zeros" if zero_gamma else "ones", name=f"{name}_pw_bn")(x)
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


def _conv_bn_relu(
    x: keras.KerasTensor, filters: int, stride: int, name: str, *, separable: bool = False
) -> keras.KerasTensor:
    return layers.ReLU(name=f"{name}_relu")(_conv_bn(x, filters, stride, name, separable=separable))


def _residual(
    x: keras.KerasTensor, filters: int, name: str, *, separable: bool, inner_filters: int
) -> keras.KerasTensor:
    y = _conv_bn_relu(x, inner_filters, 1, f"{name}_a", separable=separable)
    # A separable block starts as the identity (its last scale is zero), so it can be added to a trained network.
    y = _conv_bn(y, filters, 1, f"{name}_b", separable=separable, zero_gamma=separable)
    return layers.ReLU(name=f"{name}_out")(layers.Add(name=f"{name}_add")([x, y]))


def build_compact(
    input_size: int = 48, channels: int = 1, width: int = 24, blocks: Blocks = "conv", inner: float = 1.0
) -> keras.Model:
    """Build the compact backbone (no head): image → 3×3×(8·width) feature map.

    The stem and the four downsampling convolutions are full 3×3 convolutions in both
    designs and keep their layer names, so weights carry over between them
    (`facemotion.training.transfer.copy_matching_weights`). ``inner`` is the fraction
    of channels kept between the two convolutions of each residual block (1: all of them;
    `facemotion.training.transfer.prune_residual_blocks` starts such a network from a
    trained one).

    >>> build_compact(width=4).output.shape
    (None, 3, 3, 32)
    >>> build_compact(width=4, blocks="separable").count_params() < build_compact(width=4).count_params()
    True
    """
    if blocks not in get_args(Blocks):
        raise ValueError(f"blocks must be one of {get_args(Blocks)}, got {blocks!r}")
    if not 0.0 < inner <= 1.0:
        raise ValueError(f"inner must be in (0, 1], got {inner}")
    sep = blocks == "separable"

    def block(x: keras.KerasTensor, filters: int, name: str) -> keras.KerasTensor:
        return _residual(x, filters, name, separable=sep, inner_filters=max(1, round(inner * filters)))

    inputs = keras.Input((input_size, input_size, channels), name="image")
    x = _conv_bn_relu(inputs, width, 1, "stem")
    x = _conv_bn_relu(x, width, 2, "down1")
    x = block(x, width, "block1")
    x = _conv_bn_relu(x, 2 * width, 2, "down2")
    x = block(x, 2 * width, "block2")
    x = _conv_bn_relu(x, 4 * width, 2, "down3")
    x = block(x, 4 * width, "block3a")
    x = block(x, 4 * width, "block3b")
    x = _conv_bn_relu(x, 8 * width, 2, "down4")
    return keras.Model(inputs, x, name="compact")
