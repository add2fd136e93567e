"""What the CPU can do fast, to pick the faster of a model's LiteRT exports."""

from __future__ import annotations

import functools
import os
from pathlib import Path

#: At most this many interpreter threads: a batch of 48-px faces is little work to split further.
MAX_THREADS = 8

#: Instruction sets with an int8 dot product, which make int8 LiteRT kernels several times faster.
INT8_DOT_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "amx_int8", "asimddp"})


@functools.cache
def has_int8_dot_product() -> bool:
    """Whether this CPU has int8 dot-product instructions (x86 VNNI/AMX, Arm dotprod).

    Read from ``/proc/cpuinfo`` on Linux; Apple silicon has them; unknown CPUs are taken
    to have them (the int8 export is then used, as before this check existed).

    >>> isinstance(has_int8_dot_product(), bool)
    True
    """
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        try:
            text = cpuinfo.read_text()
        except OSError:
            return True
        for line in text.splitlines():
            if line.startswith(("flags", "Features")):
                return bool(INT8_DOT_FLAGS & set(line.split(":", 1)[1].split()))
        return True
    return True  # macOS and Windows: Apple silicon and recent x86 have them; unknown: keep int8


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one).

    >>> usable_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Interpreter threads for the emotion model: every usable core, at most `MAX_THREADS`."""
    return min(usable_cores(), MAX_THREADS)
