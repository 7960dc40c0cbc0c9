"""Argument checks of the public entry points (the Python wrappers around the compiled loops): each raises
ValueError naming the argument, its value and what is allowed, before any loop runs."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:75] + " ...]"


def number(name: str, value, *, gt=None, ge=None, le=None) -> float:
    """A finite real number (not bool) within the bounds, as float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a finite number, got {_show(value)}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {_show(value)}")
    if gt is not None and not value > gt:
        raise ValueError(f"{name} must be > {gt}, got {_show(value)}")
    if ge is not None and not value >= ge:
        raise ValueError(f"{name} must be >= {ge}, got {_show(value)}")
    if le is not None and not value <= le:
        raise ValueError(f"{name} must be <= {le}, got {_show(value)}")
    return float(value)


def integer(name: str, value, *, ge=None) -> int:
    """An integer (an int or an integer-valued NumPy integer, not bool, not a float), >= ``ge``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer, got {_show(value)}")
    if ge is not None and value < ge:
        raise ValueError(f"{name} must be an integer >= {ge}, got {_show(value)}")
    return int(value)


def array(name: str, value, *, ndim=None, shape=None, dtype=np.float64) -> np.ndarray:
    """A finite numeric array (of ``ndim`` dimensions / of ``shape``, None entries free)."""
    try:
        out = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a numeric array, got {_show(value)}") from None
    if ndim is not None and out.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {out.shape}")
    if shape is not None and (out.ndim != len(shape)
                              or any(s is not None and s != n for s, n in zip(shape, out.shape))):
        want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} must have shape {want}, got {out.shape}")
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} must be finite, got {np.count_nonzero(~np.isfinite(out))} NaN or inf entries")
    return out


def choice(name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {_show(value)}")
