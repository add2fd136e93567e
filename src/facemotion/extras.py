"""Optional parts of facemotion and the pip extra that installs each.

`pip install facemotion` is inference only (LiteRT, OpenCV, numpy, Pillow, SciPy,
Matplotlib, Jinja2). Training, the Keras runtime, some detectors, Parquet output and Ray
need an extra (``train``, ``mtcnn``, ``retinaface``, ``batch``, ``heic``, ``ray``, ``pandas``);
`require` imports such a module or says in one line which extra to install.

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
    """Import ``module``, or raise `MissingExtraError` naming ``pip install "facemotion[extra]"``.

    A module that is there but misses one of its own dependencies (Keras without TensorFlow)
    names that dependency; a facemotion module that fails to import is a bug and is not hidden.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        missing = err.name or module
        if missing.split(".")[0] == "facemotion":
            raise
        raise MissingExtraError(
            f'this needs {missing}, which facemotion\'s core install does not include: pip install "facemotion[{extra}]"'
        ) from err
