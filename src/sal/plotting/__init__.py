"""Figures: one function per figure (datasets in, Figure out), a package style, deterministic files."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

STYLE = Path(__file__).with_name("sal.mplstyle")


@contextmanager
def style():
    """Apply the package style while building a figure."""
    with plt.style.context(STYLE):
        yield


def require_finite(name: str, *arrays) -> None:
    """Refuse to plot NaN or infinite values: a figure never hides a broken number."""
    for a in arrays:
        a = np.asarray(a, dtype=np.float64)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}: {np.count_nonzero(~np.isfinite(a))} non-finite values would be plotted")


def save(fig, stem) -> list[Path]:
    """Write ``stem``.pdf and ``stem``.png with deterministic metadata (no timestamps)."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = [stem.with_suffix(".pdf"), stem.with_suffix(".png")]
    fig.savefig(paths[0], metadata={"CreationDate": None, "ModDate": None, "Creator": "sal", "Producer": "sal"})
    fig.savefig(paths[1], metadata={"Software": None})
    plt.close(fig)
    return paths
