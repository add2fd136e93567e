"""Output heads shared by every backbone.

A model has one or both named outputs: ``emotion`` (9 logits, label order of
`facemotion.labels.EMOTIONS`) and ``valence_arousal`` (2 values).
"""

from __future__ import annotations

from typing import Literal

import keras
from keras import layers

from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT

HeadStyle = Literal["reference", "pooled"]


def attach_heads(
    backbone: keras.Model,
    *,
    tasks: tuple[str, ...] = (EMOTION_OUTPUT, VA_OUTPUT),
    style: HeadStyle = "reference",
    num_classes: int = 9,
    dropout: float = 0.25,
    hidden: int = 512,
    name: str = "facemotion",
) -> keras.Model:
    """Put the emotion and/or valence–arousal heads on a feature backbone.

    ``reference`` is the study's head: Flatten → Dense(hidden, ReLU) →
    Dropout(0.25) → 9 logits, and a 2-unit linear valence–arousal output.
    ``pooled`` (compact network) uses global average pooling and dropout, then
    9 logits and a ``tanh`` valence–arousal output that stays within [-1, 1].

    >>> from facemotion.models import build_compact
    >>> model = attach_heads(build_compact(width=4), style="pooled")
    >>> [o.name for o in model.outputs]  # doctest: +SKIP
    ['emotion', 'valence_arousal']
    """
    unknown = set(tasks) - {EMOTION_OUTPUT, VA_OUTPUT}
    if unknown or not tasks:
        raise ValueError(f"tasks must be a non-empty subset of emotion/valence_arousal, got {tasks}")
    x = backbone.output
    if style == "reference":
        x = layers.Flatten(name="head_flatten")(x)
        x = layers.Dense(hidden, activation="relu", name="head_dense")(x)
        x = layers.Dropout(dropout, name="head_dropout")(x)
        va_activation = None
    else:
        x = layers.GlobalAveragePooling2D(name="head_pool")(x)
        x = layers.Dropout(dropout, name="head_dropout")(x)
        va_activation = "tanh"
    outputs = {}
    # Under mixed precision the outputs are computed in float32 (logits and the loss need the range).
    dtype = "float32" if keras.config.dtype_policy().name.startswith("mixed") else None
    if EMOTION_OUTPUT in tasks:
        outputs[EMOTION_OUTPUT] = layers.Dense(num_classes, name=EMOTION_OUTPUT, dtype=dtype)(x)
    if VA_OUTPUT in tasks:
        outputs[VA_OUTPUT] = layers.Dense(2, activation=va_activation, name=VA_OUTPUT, dtype=dtype)(x)
    return keras.Model(backbone.input, outputs, name=name)
