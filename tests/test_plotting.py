"""Figures refuse non-finite numbers, label log axes legibly and are written deterministically."""

import numpy as np
import pytest
import yaml
from pathlib import Path

from sal.plotting import log_axis, require_finite, save
from sal.plotting.principle import fig12
from sal.principle.experiments import proof

ROOT = Path(__file__).resolve().parents[1]


def _minor_labels(low, high):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [low, high])
    log_axis(ax)
    ax.set_ylim(low, high)
    fig.canvas.draw()
    labels = {round(t, 12): label.get_text() for t, label in zip(ax.get_yticks(minor=True), ax.get_yticklabels(minor=True))
              if low <= t <= high and label.get_text()}
    plt.close(fig)
    return labels


def test_log_axis_labels_few_minor_ticks_on_an_axis_of_about_a_decade():
    """0.025-0.9 (one decade tick): minor labels at 2 and 5 x 10^k only, not matplotlib's 3 and 4, which
    overlapped in fig S2; an axis with fewer than two such ticks keeps matplotlib's labels (3-9: 3, 4, 6)."""
    assert sorted(_minor_labels(0.025, 0.9)) == [0.05, 0.2, 0.5]
    assert sorted(_minor_labels(3.0, 9.0)) == [3.0, 4.0, 6.0]  # 5 alone would be one label: matplotlib's stand
    assert sorted(_minor_labels(1.5, 5.5)) == [2.0, 5.0]


def test_require_finite_names_the_figure():
    require_finite("ok", [1.0, 2.0])
    with pytest.raises(ValueError, match="fig9: 1 non-finite"):
        require_finite("fig9", [1.0, np.nan])


def test_figure_files_are_deterministic(tmp_path):
    params = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["principle"]["proof"]
    ds = proof(params)
    paths_a = save(fig12(ds)[0], tmp_path / "a")
    paths_b = save(fig12(ds)[0], tmp_path / "b")
    for a, b in zip(paths_a, paths_b):
        assert a.read_bytes() == b.read_bytes()


def test_nan_never_reaches_a_figure():
    params = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["principle"]["proof"]
    ds = proof(params)
    ds["Delta"][0, 5] = np.inf
    with pytest.raises(ValueError, match="fig12"):
        fig12(ds)
