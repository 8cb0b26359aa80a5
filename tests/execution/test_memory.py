"""keep_freed_memory: big temporary arrays reuse heap pages instead of being mapped afresh."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from gridv2x.execution.memory import keep_freed_memory
    if sys.argv[1] == "tuned":
        assert keep_freed_memory()
    rng = np.random.default_rng(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    alive = []
    for _ in range(200):  # temporaries of 0.5-33 MB, a few alive at a time, as in a study
        alive.append(np.ones((int(rng.integers(1, 60)) * 8760, 8)))
        if len(alive) > 3:
            alive.pop(0)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def _run(script: str, policy: str, *args: str) -> list[str]:
    """The words ``script`` prints, run in a fresh Python with allocator ``policy``."""
    env = {**os.environ, "GRIDV2X_MALLOC": policy}
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.split()


def _page_faults(mode: str) -> int:
    return int(_run(SCRIPT, "keep", mode)[0])  # keep: every allocation from the heap


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_freed_arrays_are_reused_without_page_faults():
    default, tuned = _page_faults("default"), _page_faults("tuned")
    assert tuned < default / 3  # pages are faulted in once, then reused


RETAIN = textwrap.dedent(
    """
    import numpy as np
    from gridv2x.execution.memory import after_task, keep_freed_memory, resident_bytes
    assert keep_freed_memory()
    alive = [np.ones((1000, 1000)) for _ in range(100)]  # 0.8 GB of 8 MB arrays, as in a task
    del alive[::2]  # the heap is fragmented: its top is still in use
    before = resident_bytes()
    del alive
    freed = resident_bytes()
    returned = after_task()
    print(before, freed, resident_bytes(), returned)
    """
)


def _retained(policy: str) -> tuple[int, int, int, bool]:
    before, freed, after, returned = _run(RETAIN, policy)
    return int(before), int(freed), int(after), returned == "True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_keep_trim_returns_a_finished_tasks_memory_and_keep_holds_it():
    before, freed, after, returned = _retained("keep")
    assert not returned and after > 0.9 * before > 0.7e9  # kept for the next task (< 1 GiB)
    before, freed, after, returned = _retained("keep-trim")
    assert returned and after < 0.2 * before  # returned at the end of the task


MAP_LARGE = textwrap.dedent(
    """
    import numpy as np
    from gridv2x.execution.memory import keep_freed_memory, resident_bytes
    assert keep_freed_memory()
    small, large = [], []
    for _ in range(40):  # interleaved: 8 MB arrays (below 16 MiB) and 24 MB ones (above)
        small.append(np.ones((1000, 1000)))
        large.append(np.ones((3000, 1000)))
    alive = resident_bytes()
    del large
    after_large = resident_bytes()
    del small
    print(alive - after_large, after_large - resident_bytes())
    """
)


def _returned(policy: str) -> tuple[float, float]:
    large, small = _run(MAP_LARGE, policy)
    return int(large) / 960e6, int(small) / 320e6  # shares of the arrays' bytes returned


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_map_large_returns_large_arrays_and_keeps_small_ones():
    large, small = _returned("map-large")
    assert large > 0.9 and small < 0.1  # large arrays unmapped at once, small ones kept
    large, _ = _returned("keep")
    assert large < 0.1  # kept in the heap (below the small arrays still alive)


TRIM_ABOVE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from gridv2x.execution import memory
    assert memory.keep_freed_memory()
    memory.TRIM_ABOVE_BYTES = int(sys.argv[1])
    alive = [np.ones((1000, 1000)) for _ in range(60)]  # 8 MB arrays: kept in the heap
    del alive[::2]
    del alive
    before = memory.resident_bytes()
    print(memory.after_task(), before - memory.resident_bytes())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
@pytest.mark.parametrize("above, trimmed", [(0, True), (10**12, False)])
def test_map_large_trims_after_a_task_only_above_its_threshold(above, trimmed):
    returned, freed = _run(TRIM_ABOVE, "map-large", str(above))
    assert (returned == "True") is trimmed
    assert (int(freed) > 300e6) is trimmed  # the 480 MB of freed arrays go back, or stay


def test_the_default_policy_is_map_large(monkeypatch):
    from gridv2x.execution import memory

    monkeypatch.delenv(memory.MALLOC_ENV, raising=False)
    assert memory.policy() == memory.DEFAULT_POLICY == "map-large"


def test_an_unknown_policy_is_refused(monkeypatch):
    from gridv2x.execution import memory

    monkeypatch.setenv(memory.MALLOC_ENV, "jemalloc")
    with pytest.raises(ValueError, match="GRIDV2X_MALLOC='jemalloc': not one of map-large, keep"):
        memory.policy()
    monkeypatch.setenv(memory.MALLOC_ENV, "keep-trim")
    assert memory.policy() == "keep-trim"


def test_worker_environ_gives_one_arena_except_under_glibc(monkeypatch):
    from gridv2x.execution import memory

    monkeypatch.delenv(memory.MALLOC_ENV, raising=False)
    expected = {"MALLOC_ARENA_MAX": "1"} if sys.platform.startswith("linux") else {}
    assert memory.worker_environ() == expected
    monkeypatch.setenv(memory.MALLOC_ENV, "glibc")
    assert memory.worker_environ() == {}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_local_cluster_workers_start_with_one_malloc_arena(monkeypatch):
    from gridv2x.execution import memory
    from gridv2x.execution.cluster import local_cluster

    monkeypatch.delenv(memory.MALLOC_ENV, raising=False)
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    with local_cluster(1) as client:
        seen = client.run(lambda: os.environ.get("MALLOC_ARENA_MAX"))
    assert list(seen.values()) == ["1"]
