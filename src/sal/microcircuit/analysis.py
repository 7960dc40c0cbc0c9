"""The read-out point of fig 6c (the alignment metric is ``sal.metrics.feedback_angle``)."""

from __future__ import annotations

import numpy as np


def final_pattern(ds) -> int:
    """Index of the pattern whose weights fig 6c shows as "final": the first pattern of the last epoch,
    as the official notebook reads them (B there is the value after the previous epoch's symmetrization;
    the official W10, W21 are means over that pattern, ours its end values)."""
    return int(np.flatnonzero(ds["pattern_epoch"].values == ds["pattern_epoch"].values[-1])[0])
