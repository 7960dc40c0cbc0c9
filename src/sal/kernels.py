"""PSP shapes and STDP windows shared by every model family.

Times are in integer simulation steps. All PSP kernels have area ``tau_ref`` (so that the
rectangular kernel of neural sampling and the alpha kernels are comparable, spec principle §2).
"""

from __future__ import annotations

import numpy as np
from numba import vectorize

PSP_SHAPES = ("rect", "alpha", "exp")


def psp(shape: str, age, *, tau_ref: int, tau_syn: float) -> np.ndarray:
    """PSP kernel kappa(age) for ages in steps since the presynaptic spike.

    rect:  1 for 0 <= age < tau_ref (tau_syn ignored), the neural-sampling kernel.
    alpha: (tau_ref / tau_syn**2) * age * exp(-age / tau_syn) for age > 0; peak at tau_syn.
    exp:   A * exp(-age / tau_syn) for age >= 0, A chosen so the area over [0, tau_ref] is tau_ref.
    """
    age = np.asarray(age, dtype=np.float64)
    if shape == "rect":
        return ((age >= 0) & (age < tau_ref)).astype(np.float64)
    if tau_syn <= 0:
        raise ValueError(f"tau_syn must be > 0 for the {shape!r} PSP, got {tau_syn}")
    if shape == "alpha":
        return np.where(age > 0, tau_ref / tau_syn**2 * age * np.exp(-age / tau_syn), 0.0)
    if shape == "exp":
        amp = (tau_ref / tau_syn) / (1.0 - np.exp(-tau_ref / tau_syn))
        return np.where(age >= 0, amp * np.exp(-age / tau_syn), 0.0)
    raise ValueError(f"psp shape must be one of {PSP_SHAPES}, got {shape!r}")


@vectorize(["float64(float64, float64, float64, float64, float64)"], cache=True)
def _stdp_window(dt, a_plus, a_minus, tau_plus, tau_minus):
    if dt > 0:
        return a_plus * np.exp(-dt / tau_plus)
    if dt < 0:
        return a_minus * np.exp(dt / tau_minus)
    return 0.0


def stdp_window(dt, *, a_plus: float, a_minus: float, tau_plus: float, tau_minus: float):
    """Exponential pair-based STDP window K(dt) with dt = t_post - t_pre; K(0) = 0.

    K = a_plus * exp(-dt / tau_plus) for dt > 0 and a_minus * exp(dt / tau_minus) for dt < 0.
    SAL is the odd, anti-Hebbian choice a_plus = -1, a_minus = +1, tau_plus = tau_minus = tau_ref.
    Inside Numba kernels call the ufunc ``_stdp_window`` with positional arguments.
    """
    return _stdp_window(np.asarray(dt, dtype=np.float64), a_plus, a_minus, tau_plus, tau_minus)
