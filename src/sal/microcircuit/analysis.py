"""Alignment metric of the feedback weights (spec microcircuit §6) and the read-out point of fig 6c."""

from __future__ import annotations

import numpy as np


def alignment_angle(b, w21) -> np.ndarray:
    """Angle in degrees between B (..., n1, n2) and W21ᵀ (W21: ..., n2, n1), over the last two axes.

    arccos(tr(Bᵀ W21ᵀ) / (‖B‖_F ‖W21‖_F)), as in PAL (Max et al., arXiv 2212.10249): 0° means B points
    along W21ᵀ (weight transport), 90° unrelated, 180° opposite. For a 1-1-1 circuit it is 0° or 180°
    (the sign agreement). NaN where B or W21 is all zero (the angle is undefined there).
    """
    b = np.asarray(b, dtype=np.float64)
    w21_t = np.swapaxes(np.asarray(w21, dtype=np.float64), -1, -2)
    if b.shape[-2:] != w21_t.shape[-2:]:
        raise ValueError(f"B has shape {b.shape}, W21 {np.shape(w21)}: B must be (n1, n2) and W21 (n2, n1)")
    dot = np.sum(b * w21_t, axis=(-2, -1))
    norm = np.linalg.norm(b, axis=(-2, -1)) * np.linalg.norm(w21_t, axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.where(norm > 0, dot / norm, np.nan)
    return np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))


def final_pattern(ds) -> int:
    """Index of the pattern whose weights fig 6c shows as "final": the first pattern of the last epoch,
    as the official notebook reads them (B there is the value after the previous epoch's symmetrization;
    the official W10, W21 are means over that pattern, ours its end values)."""
    return int(np.flatnonzero(ds["pattern_epoch"].values == ds["pattern_epoch"].values[-1])[0])
