"""Phase planes, attractor lines ("where SAL stops") and the proof quantities (spec principle §6)."""

from __future__ import annotations

import warnings

import numpy as np
from scipy.interpolate import CubicSpline, RegularGridInterpolator

from .stdd import check_chain_parameters, sal_update, stdd


def sal_grid(weights, b_i, b_j, *, psp="rect", tau_ref, tau_syn, window, coincidence_restart=True):
    """SAL drift over a square weight grid.

    Returns an array g[k, l, :] = (dW_ji, dW_ij) at W_ji = weights[k], W_ij = weights[l], with the SAL
    window (A+ = -1, A- = +1, tau+- = tau_ref) applied to the analytic STDD (centre bin zero).
    """
    check_chain_parameters(psp, tau_ref, window)
    weights = np.asarray(weights, dtype=np.float64)
    grid = np.empty((weights.size, weights.size, 2))
    for k, w_ji in enumerate(weights):
        for l, w_ij in enumerate(weights):
            lags, p = stdd(w_ji, w_ij, b_i, b_j, psp=psp, tau_ref=tau_ref, tau_syn=tau_syn,
                           window=window, coincidence_restart=coincidence_restart, fill_middle="zero")
            grid[k, l] = sal_update(lags, p, tau_plus=tau_ref, tau_minus=tau_ref)
    return grid


def attractor_line(weights, dw_ji, upscale=100):
    """The line where SAL stops: for each W_ij, the W_ji at which dW_ji = 0.

    ``dw_ji[k, l]`` is the drift of W_ji at (W_ji = weights[k], W_ij = weights[l]). As in the paper,
    the grid is first upscaled to ``upscale`` points per axis by cubic interpolation; then a cubic
    spline along W_ji gives the roots for every W_ij. Returns an (n, 2) array of (W_ij, W_ji) points
    (several roots per W_ij are all kept).
    """
    weights = np.asarray(weights, dtype=np.float64)
    fine = np.linspace(weights[0], weights[-1], upscale)
    interp = RegularGridInterpolator((weights, weights), dw_ji, method="cubic")
    kk, ll = np.meshgrid(fine, fine, indexing="ij")
    fine_grid = interp((kk, ll))
    points = []
    for l, w_ij in enumerate(fine):
        for root in CubicSpline(fine, fine_grid[:, l], extrapolate=False).roots():
            points.append((w_ij, root))
    return np.array(points).reshape(-1, 2)


def deviation_from_diagonal(line):
    """Mean relative deviation of an attractor line from the diagonal W_ji = W_ij.

    d = |x - y| / |x + y| along the line (x = W_ij, y = W_ji), averaged over x by the trapezoid rule
    (the paper's metric; it weighs deviations near the origin strongly).
    """
    x, y = line[:, 0], line[:, 1]
    if x.size < 2:
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.abs(x - y) / np.abs(x + y)
    return float(np.trapezoid(d, x) / abs(x[-1] - x[0]))


def proof_curves(base, perturbed, b_i, b_j, *, tau_ref, window, psp="rect", tau_syn=None):
    """delta(t) and Delta(t) of the symmetrisation proof (spec principle §6, fig 12).

    delta(t) = [p_eps(t) - p_0(t)] - [p_eps(-t) - p_0(-t)] for t = 0 .. window-1 (delta(0) = 0) and
    Delta(t) = trapezoid integral of delta over [0, t]. Delta >= 0 everywhere together with an odd,
    monotonically decaying window gives dW_ji < 0 whenever W_ji > W_ij.
    ``base`` and ``perturbed`` are (W_ji, W_ij) pairs.
    """
    tau_syn = tau_ref if tau_syn is None else tau_syn
    kw = dict(psp=psp, tau_ref=tau_ref, tau_syn=tau_syn, window=window, fill_middle="smooth")
    lags, p0 = stdd(base[0], base[1], b_i, b_j, **kw)
    _, p1 = stdd(perturbed[0], perturbed[1], b_i, b_j, **kw)
    diff = p1 - p0
    centre = window - 1
    delta = diff[centre:] - diff[centre::-1]
    big_delta = np.concatenate([[0.0], np.cumsum(0.5 * (delta[1:] + delta[:-1]))])
    return lags[centre:], delta, big_delta
