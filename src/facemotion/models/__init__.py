"""Network builders (no I/O): the compact default network, ResNet-18 for 48-px faces, VGGFace ResNet-50, heads."""

from facemotion.labels import EMOTION_OUTPUT, VA_OUTPUT
from facemotion.models.compact import build_compact
from facemotion.models.heads import attach_heads
from facemotion.models.resnet import build_resnet18
from facemotion.models.vggface import build_vggface_resnet50

__all__ = [
    "EMOTION_OUTPUT",
    "VA_OUTPUT",
    "attach_heads",
    "build_compact",
    "build_resnet18",
    "build_vggface_resnet50",
]
