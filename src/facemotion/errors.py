"""The one exception hierarchy of facemotion.

>>> issubclass(ImageReadError, FacemotionError)
True
"""

from __future__ import annotations


class FacemotionError(Exception):
    """Base class of every error facemotion raises on purpose."""


class OptionError(FacemotionError, ValueError):
    """An argument or option was given a value it does not take (a batch size of 0, a bool for a number)."""


class OutputError(FacemotionError):
    """Results cannot be written where asked (an existing file, a folder that holds a model, no permission)."""


class ImageReadError(FacemotionError, ValueError):
    """An input could not be read as an image (missing, corrupt, too large, wrong type)."""


class VideoReadError(FacemotionError, ValueError):
    """A file could not be opened or decoded as a video."""


class ModelLoadError(FacemotionError):
    """A model artifact is missing, malformed, unsafe or incompatible."""


class HubError(FacemotionError):
    """The Hugging Face Hub could not take a model: offline, not logged in, no rights, or refused."""


class DatasetError(FacemotionError, ValueError):
    """A training or evaluation dataset is laid out wrongly."""


class DetectorError(FacemotionError):
    """A face detector backend is unavailable or failed."""


class MissingExtraError(FacemotionError, ImportError):
    """A feature needs an optional dependency: the message names the ``pip install`` extra."""
