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

Much of that was two heaps, not one: a dask worker runs its tasks in a thread, and glibc gives
that thread a malloc arena of its own beside the main thread's (which (de)serialises the data),
each holding its own high-water mark. Local-cluster workers are therefore started with
``MALLOC_ARENA_MAX=1`` (:func:`worker_environ`): one heap per worker. The rest is
fragmentation: a heap that keeps everything grows wherever a freed hole is too small for the
next big array. The default policy, ``map-large``, keeps the heap for arrays below
:data:`MMAP_THRESHOLD_BYTES` and maps the larger ones afresh, returning them when freed.
Measured with bench/bench_worker_memory.py (72 full-year per-phase tasks, shares 0.25-0.75,
2 workers, 2026-12-07, one run each, the machine otherwise idle):

=====================  ======  ===================  ===========  ======================
policy                 wall    peak RSS per worker  page faults  system time per worker
=====================  ======  ===================  ===========  ======================
keep                   112 s   1.88 / 1.64 GB       350-390 k    10-11 s
keep, 1 arena          108 s   1.59 / 1.58 GB       116-117 k    3 s
map-large, untrimmed   119 s   1.50 / 1.46 GB       1.1 M        15-16 s
keep-trim, 1 arena     112 s   1.59 / 1.50 GB       0.81-0.87 M  15-16 s
glibc                  154 s   1.46 / 1.45 GB       6.7-7.7 M    42-46 s
glibc, 1 arena         166 s   1.42 / 1.37 GB       7.9-8.1 M    48-51 s
=====================  ======  ===================  ===========  ======================

Also tried, not better: a mapping threshold of 4 MiB (145 s, 1.50 / 1.42 GB), a heap trimmed
from the top above 64 or 256 MiB (108 / 121 s, 1.56 / 1.55 and 1.60 / 1.58 GB). On the shipped
``scenarios/hosting-capacity.yaml`` (430 feeder-years, whole ``gridv2x run`` on 2 workers, the
same machine idle otherwise):

====================================  ======  ===================
policy                                wall    peak RSS per worker
====================================  ======  ===================
keep, 1 arena                         385 s   1.57 / 1.55 GB
map-large, never trimmed              429 s   1.54 / 1.44 GB
map-large, trimmed above 1.2 GB       476 s   1.47 / 1.44 GB
map-large, trimmed after every task   529 s   1.45 / 1.43 GB
glibc                                 584 s   1.34 / 1.34 GB
====================================  ======  ===================

The default is ``map-large`` trimmed above :data:`TRIM_ABOVE_BYTES`: the fastest within 1.5 GB
per worker.

Policies (:data:`POLICIES`; ``GRIDV2X_MALLOC`` chooses one for a process and the dask workers
it starts, for bench/bench_worker_memory.py; default :data:`DEFAULT_POLICY`):

``map-large``
    ``mallopt(M_MMAP_THRESHOLD, 16 MiB)`` and ``M_TRIM_THRESHOLD`` 1 GiB: arrays below 16 MiB
    from the heap, kept for reuse; larger ones mapped afresh; after a task that leaves the
    worker above :data:`TRIM_ABOVE_BYTES`, ``malloc_trim``; local-cluster workers with one
    arena.
``keep``
    ``mallopt(M_MMAP_MAX, 0)`` and ``M_TRIM_THRESHOLD`` 1 GiB: every allocation from the heap,
    freed memory kept for the next task; local-cluster workers with one arena.
``keep-trim``
    ``keep`` (one arena too), and after each task ``malloc_trim`` returns the free pages to the
    system: the pages are reused within a task, faulted in afresh once per task.
``glibc``
    glibc's own settings (as dask starts its workers: ``MALLOC_TRIM_THRESHOLD_`` 64 kB, an
    arena per thread).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

__all__ = [
    "keep_freed_memory",
    "after_task",
    "policy",
    "worker_environ",
    "resident_bytes",
    "POLICIES",
    "DEFAULT_POLICY",
    "MALLOC_ENV",
]

M_TRIM_THRESHOLD = -1  # glibc mallopt parameter numbers (malloc.h)
M_MMAP_MAX = -4
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD_BYTES = 1 << 30
"""Free memory at the top of the heap that is kept rather than returned to the OS [bytes]."""

MALLOC_ENV = "GRIDV2X_MALLOC"
"""Environment variable naming the policy (inherited by the workers of a local cluster)."""

MMAP_THRESHOLD_BYTES = 16 << 20
"""Policy ``map-large``: allocations of this size or more are mapped afresh and returned when
freed [bytes] (a year at 15 min is 35,040 steps: a float64 array of 60 columns; measured best of
4, 16 MiB and no mapping, table above)."""

TRIM_ABOVE_BYTES = 1_200_000_000
"""Policy ``map-large``: a worker whose resident memory exceeds this after a task returns its
free heap pages [bytes] (most tasks stay below and keep their pages for the next; after a heavy
one, the next task starts from its live data, not from the heavy task's high-water mark)."""

POLICIES = ("map-large", "keep", "keep-trim", "glibc")
"""Allocator policies (module docstring)."""

DEFAULT_POLICY = "map-large"
"""The policy without ``GRIDV2X_MALLOC``."""

WORKER_ARENAS = 1
"""malloc arenas of a local-cluster worker under every policy but ``glibc`` [-]."""

_applied = False
_libc: Any = None


def policy() -> str:
    """The allocator policy of this process (``GRIDV2X_MALLOC`` or :data:`DEFAULT_POLICY`).

    Raises
    ------
    ValueError
        For a name not in :data:`POLICIES`.
    """
    name = os.environ.get(MALLOC_ENV, DEFAULT_POLICY).strip() or DEFAULT_POLICY
    if name not in POLICIES:
        raise ValueError(f"{MALLOC_ENV}={name!r}: not one of {', '.join(POLICIES)}")
    return name


def worker_environ() -> dict[str, str]:
    """Environment for the worker processes of a local cluster, set before they start (dask's
    ``distributed.nanny.pre-spawn-environ``; glibc reads it when the process starts).

    Returns
    -------
    dict
        ``{"MALLOC_ARENA_MAX": "1"}`` on Linux unless the policy is ``glibc``, empty
        otherwise. A ``MALLOC_ARENA_MAX`` already in the environment wins (dask's rule).
    """
    if not sys.platform.startswith("linux") or policy() == "glibc":
        return {}
    return {"MALLOC_ARENA_MAX": str(WORKER_ARENAS)}


def _glibc() -> Any:
    """glibc, or None off Linux/glibc."""
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            libc.mallopt.restype = ctypes.c_int
            libc.malloc_trim.argtypes = [ctypes.c_size_t]
            libc.malloc_trim.restype = ctypes.c_int
            _libc = libc
        except (OSError, AttributeError):
            _libc = False
    return _libc or None


def keep_freed_memory() -> bool:
    """Keep freed memory in malloc's heap for reuse (all of it, or below the mapping threshold).

    Calls glibc's ``mallopt(M_MMAP_THRESHOLD, 16 MiB)`` (policy ``map-large``) or
    ``mallopt(M_MMAP_MAX, 0)`` (``keep``, ``keep-trim``), and ``mallopt(M_TRIM_THRESHOLD,
    1 GiB)``, for the whole process (once), unless the policy (:func:`policy`) is ``glibc``.
    gridv2x calls it in its dask workers and in the ``gridv2x run`` process, not in a Python
    session that merely imports it.

    Returns
    -------
    bool
        Whether the settings are in force (False off Linux/glibc and with policy ``glibc``).
    """
    global _applied
    if _applied:
        return True
    libc = _glibc()
    name = policy()
    if libc is None or name == "glibc":
        return False
    if name == "map-large":
        mapped = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    else:
        mapped = libc.mallopt(M_MMAP_MAX, 0) == 1
    _applied = mapped and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    return _applied


def after_task() -> bool:
    """End of a task in a worker: return the free heap pages to the system (``malloc_trim(0)``)
    after every task with policy ``keep-trim``, with ``map-large`` only where the process's
    resident memory exceeds :data:`TRIM_ABOVE_BYTES`.

    Returns
    -------
    bool
        Whether memory was returned.
    """
    libc = _glibc()
    if libc is None or not _applied:
        return False
    name = policy()
    if name == "keep-trim" or (name == "map-large" and resident_bytes() > TRIM_ABOVE_BYTES):
        return bool(libc.malloc_trim(0))
    return False


def resident_bytes() -> int:
    """Resident memory of this process [bytes] (``/proc/self/statm``; 0 where there is none)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0
