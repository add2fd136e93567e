"""Checks of argument values shared by the public API and the training configuration.

>>> is_whole_number(3, minimum=1), is_whole_number(True, minimum=0), is_whole_number(2.0, minimum=1)
(True, False, False)
>>> is_real_number(0.5), is_real_number(float("nan")), is_real_number(False)
(True, False, False)
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def is_whole_number(value: object, minimum: int) -> bool:
    """An ``int`` or numpy integer of at least ``minimum`` (a bool is not a number here: ``True`` is no batch size)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)) and int(value) >= minimum


def is_real_number(value: object) -> bool:
    """A finite real number (numpy floats and ints too), never a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(float(value))
