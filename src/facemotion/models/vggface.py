"""VGGFace ResNet-50 (Cao et al. 2018, as packaged by keras-vggface) for Keras 3.

Layer order and names follow ``keras_vggface.models.RESNET50`` with ``/`` written
as ``_`` (Keras 3 refuses ``/`` in layer names). Because the order is the same, the
original ``rcmalli_vggface_tf_notop_resnet50.h5`` loads topologically::

    model = build_vggface_resnet50()
    model.load_weights("rcmalli_vggface_tf_notop_resnet50.h5")  # not by_name

Inputs are 224×224 BGR images with the VGGFace channel means subtracted; see
`facemotion.preprocessing`.
"""

from __future__ import annotations

import keras
from keras import layers


def _block(
    x: keras.KerasTensor,
    filters: tuple[int, int, int],
    stage: int,
    block: int,
    strides: int | None,
) -> keras.KerasTensor:
    """Bottleneck block; ``strides=None`` is an identity block, else a projection block."""
    f1, f2, f3 = filters
    base = f"conv{stage}_{block}"
    shortcut = x
    y = layers.Conv2D(f1, 1, strides=strides or 1, use_bias=False, name=f"{base}_1x1_reduce")(x)
    y = layers.BatchNormalization(name=f"{base}_1x1_reduce_bn")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f2, 3, padding="same", use_bias=False, name=f"{base}_3x3")(y)
    y = layers.BatchNormalization(name=f"{base}_3x3_bn")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(f3, 1, use_bias=False, name=f"{base}_1x1_increase")(y)
    y = layers.BatchNormalization(name=f"{base}_1x1_increase_bn")(y)
    if strides is not None:
        shortcut = layers.Conv2D(f3, 1, strides=strides, use_bias=False, name=f"{base}_1x1_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{base}_1x1_proj_bn")(shortcut)
    y = layers.add([y, shortcut])
    return layers.Activation("relu")(y)


def build_vggface_resnet50(input_size: int = 224) -> keras.Model:
    """Build the VGGFace ResNet-50 backbone without its top: image → 1×1×2048.

    >>> model = build_vggface_resnet50()  # doctest: +SKIP
    >>> model.output.shape  # doctest: +SKIP
    (None, 1, 1, 2048)
    """
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="conv1_7x7_s2")(inputs)
    x = layers.BatchNormalization(name="conv1_7x7_s2_bn")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2)(x)
    stages = ((2, (64, 64, 256), 3), (3, (128, 128, 512), 4), (4, (256, 256, 1024), 6), (5, (512, 512, 2048), 3))
    for stage, filters, blocks in stages:
        for block in range(1, blocks + 1):
            strides = (1 if stage == 2 else 2) if block == 1 else None
            x = _block(x, filters, stage, block, strides)
    x = layers.AveragePooling2D(input_size // 32, name="avg_pool")(x)
    return keras.Model(inputs, x, name="vggface_resnet50")


def unfreeze_last(model: keras.Model, count: int = 13) -> keras.Model:
    """Freeze every layer of ``model`` but the last ``count`` (the reference recipe: 13)."""
    for layer in model.layers[:-count]:
        layer.trainable = False
    for layer in model.layers[-count:]:
        layer.trainable = True
    return model
