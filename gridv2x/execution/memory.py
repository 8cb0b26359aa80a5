"""Memory-allocator settings for the numpy-heavy stages of a study (glibc only).

A year at 15 minutes makes arrays of tens of MB (steps x EVs, steps x buses) that each stage
allocates and frees again. glibc's malloc serves every allocation above 32 MB (and, with dask's
default ``MALLOC_TRIM_THRESHOLD_``, every one above 128 kB) with a fresh ``mmap`` and returns it
with ``munmap`` when freed, so each such array is faulted into memory page by page, again and
again. Keeping all allocations in malloc's heap and not trimming it lets the next task reuse the
pages: measured on 12 hosting-capacity tasks in one process, 557,000 page faults -> 69,000,
system time 9.8 -> 1.4 s and wall time 50 -> 40 s. The price is that a process keeps its
high-water mark of memory: 2.5-2.8 GB per worker over the 360 per-phase feeder-years of the
first round of ``scenarios/hosting-capacity.yaml`` (stop 14), where one task alone peaks at
1.2-1.6 GB.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

__all__ = ["keep_freed_memory"]

M_TRIM_THRESHOLD = -1  # glibc mallopt parameter numbers (malloc.h)
M_MMAP_MAX = -4
TRIM_THRESHOLD_BYTES = 1 << 30
"""Free memory at the top of the heap that is kept rather than returned to the OS [bytes]."""

_applied = False


def keep_freed_memory() -> bool:
    """Serve every allocation from malloc's heap and keep freed memory for reuse.

    Calls glibc's ``mallopt(M_MMAP_MAX, 0)`` and ``mallopt(M_TRIM_THRESHOLD, 1 GiB)`` for the
    whole process (once). gridv2x calls it in its dask workers and in the ``gridv2x run``
    process, not in a Python session that merely imports it.

    Returns
    -------
    bool
        Whether the settings are in force (False off Linux/glibc).
    """
    global _applied
    if _applied:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    _applied = mallopt(M_MMAP_MAX, 0) == 1 and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    return _applied
