"""Figures refuse non-finite numbers and are written deterministically."""

import numpy as np
import pytest
import yaml
from pathlib import Path

from sal.plotting import require_finite, save
from sal.plotting.principle import fig12
from sal.principle.experiments import proof

ROOT = Path(__file__).resolve().parents[1]


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
