"""Spiking sampling networks: Hebbian wake-sleep learning of a Boltzmann target ± SAL ± Kolen-Pollack."""

from .learning import run, simulate
from .network import make_target
from .params import paper_params

__all__ = ["make_target", "simulate", "paper_params", "run"]
