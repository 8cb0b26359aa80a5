"""keep_freed_memory: big temporary arrays reuse heap pages instead of being mapped afresh."""

from __future__ import annotations

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


def _page_faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_freed_arrays_are_reused_without_page_faults():
    default, tuned = _page_faults("default"), _page_faults("tuned")
    assert tuned < default / 3  # pages are faulted in once, then reused
