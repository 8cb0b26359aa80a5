"""Random streams per EV: the same EV gets the same draws whatever else is in the fleet."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

__all__ = ["ev_generators"]


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def ev_generators(
    rng: np.random.Generator, ev_ids: Iterable, stage: str
) -> list[np.random.Generator]:
    """One generator per EV, seeded from one draw of ``rng``, the stage name and the ``ev_id``.

    ``rng`` advances by exactly one draw whatever the fleet size, and an EV's stream depends only
    on that draw, ``stage`` and its id: with the same seed, an EV keeps its car and its driving
    when other EVs are added or removed (common random numbers across share levels).
    """
    base = int(rng.integers(0, 2**63 - 1))
    salt = _key(stage)
    return [np.random.default_rng([base, salt, _key(str(e))]) for e in ev_ids]
