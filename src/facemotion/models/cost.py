"""What a network costs per face."""

from __future__ import annotations

import math

import keras


def flops(model: keras.Model) -> int:
    """Floating-point operations per face of the convolutions and dense layers (2 per multiply-add).

    The figure the docs quote: the compact network at width 32 is 112.8 MFLOP.

    >>> from facemotion.models import attach_heads, build_compact
    >>> round(flops(attach_heads(build_compact(width=32), style="pooled")) / 1e6, 1)
    112.8
    """
    total = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            total += math.prod(layer.output.shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Dense):
            total += math.prod(layer.kernel.shape)
    return 2 * total
