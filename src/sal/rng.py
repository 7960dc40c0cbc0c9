"""Seeding: every stochastic computation draws from an explicit ``numpy.random.Generator``.

Generators are PCG64 streams built from ``numpy.random.SeedSequence``; Numba kernels receive the
Generator object itself (Numba draws the same numbers as NumPy from it), never the global state.
Independent sub-streams (e.g. one per epoch or per grid point) come from ``SeedSequence.spawn`` so
that results do not depend on the order or number of threads that consume them.
"""

from __future__ import annotations

import numpy as np


def generator(seed: int) -> np.random.Generator:
    """The Generator of one seeded run."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed))))


def substreams(seed: int, n: int) -> list[np.random.Generator]:
    """n independent Generators derived from one seed (stable under reordering of their use)."""
    children = np.random.SeedSequence(int(seed)).spawn(n)
    return [np.random.Generator(np.random.PCG64(child)) for child in children]
