"""Optional parts of facemotion and the pip extra that installs each.

`pip install facemotion` is inference only (LiteRT, OpenCV, numpy). Training, the Keras
runtime and some detectors need an extra; `require` imports such a module or says which
extra to install.

>>> require("math", "train").sqrt(4.0)
2.0
>>> require("no_such_module_xyz", "train")
Traceback (most recent call last):
facemotion.errors.MissingExtraError: this needs no_such_module_xyz, which facemotion's core install does not include: pip install "facemotion[train]"
"""

from __future__ import annotations

import importlib
from types import ModuleType

from facemotion.errors import MissingExtraError


def require(module: str, extra: str) -> ModuleType:
    """Import ``module``, or raise `MissingExtraError` naming ``pip install "facemotion[extra]"``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        if err.name is not None and err.name.split(".")[0] != top:
            raise  # the module is there but one of its own imports failed: show that error
        raise MissingExtraError(
            f'this needs {module}, which facemotion\'s core install does not include: pip install "facemotion[{extra}]"'
        ) from None
