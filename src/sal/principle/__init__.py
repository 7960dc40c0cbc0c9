"""The SAL principle: analytic STDDs of two sampling neurons, phase planes, proof plots, simulator."""

from .stdd import sal_update, stdd

__all__ = ["stdd", "sal_update"]
