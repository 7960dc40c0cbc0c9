"""The metrics every family reports: the angle between weights and their feedback, D_KL and asymmetry.

One definition each, so that "the angle between W and B" means the same number in the microcircuit, the
deep networks and the weight-estimation figure.
"""

from __future__ import annotations

import numpy as np


def _unit(x, axis):
    norm = np.linalg.norm(x) if axis is None else np.linalg.norm(x, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / norm, np.asarray(norm)


def angle(a, b, axis=None):
    """Angle in degrees between ``a`` and ``b`` taken as vectors: flattened (``axis=None``, a float) or over
    ``axis`` (an int or a tuple of axes, e.g. (-2, -1) for stacks of matrices; an array).

    arccos(⟨a, b⟩ / (‖a‖ ‖b‖)), evaluated as 2·atan2(‖â − b̂‖, ‖â + b̂‖), which stays exact near 0° and
    180° where arccos loses half the digits. 0° means b points along a, 90° unrelated, 180° opposite.
    NaN where a or b is all zero (the angle is undefined there).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"angle: shapes {a.shape} and {b.shape} differ")
    if axis is None:
        a, b = a.ravel(), b.ravel()
    u, na = _unit(a, axis)
    v, nb = _unit(b, axis)
    keep = {} if axis is None else {"axis": axis}
    out = np.degrees(2 * np.arctan2(np.linalg.norm(u - v, **keep), np.linalg.norm(u + v, **keep)))
    undefined = (na == 0) | (nb == 0)
    if axis is not None:
        undefined = np.squeeze(undefined, axis=axis)
    out = np.where(undefined, np.nan, out)
    return float(out) if axis is None else out


def feedback_angle(B, W):
    """Angle in degrees between feedback weights B (..., n_l, n_{l+1}) and Wᵀ (W: ..., n_{l+1}, n_l) over the
    last two axes: how far B is from weight transport (as PAL, Max et al., arXiv 2212.10249)."""
    B = np.asarray(B, dtype=np.float64)
    W_t = np.swapaxes(np.asarray(W, dtype=np.float64), -1, -2)
    if B.shape[-2:] != W_t.shape[-2:]:
        raise ValueError(f"B has shape {B.shape}, W {np.shape(W)}: B must be (n_l, n_l+1) and W (n_l+1, n_l)")
    return angle(B, W_t, axis=(-2, -1))


def kl_divergence(p, q) -> tuple[float, int]:
    """D_KL(p ‖ q) = Σ p log(p / q) (natural log) and the number of target states never sampled.

    A state with p > 0 and q = 0 makes the divergence +inf: returned as inf together with the count,
    never as NaN. States with p = 0 contribute 0.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    support = p > 0
    missing = int(np.count_nonzero(support & (q <= 0)))
    if missing:
        return float("inf"), missing
    return float(np.sum(p[support] * np.log(p[support] / q[support]))), 0


def asymmetry(W) -> float:
    """Var({W_ij - W_ji : i < j}) with ddof 0: zero exactly when W is symmetric."""
    W = np.asarray(W)
    d = W - W.T
    return float(np.var(d[np.triu_indices(W.shape[0], k=1)]))
