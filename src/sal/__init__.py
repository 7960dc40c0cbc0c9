"""Spike-based alignment learning (SAL): simulations and analyses of Gierlich et al. (arXiv 2503.02642)."""

__version__ = "0.1.0"
