"""Lazy attributes for packages: the module behind a name is imported when the name is first used."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``names[attr]`` on first access of ``attr``.

    >>> getattr_ = lazy_attributes("demo", {"sqrt": "math"})
    >>> getattr_("sqrt")(9.0)
    3.0
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
