"""Spiking sampling networks: Hebbian wake-sleep learning of a Boltzmann target ± SAL ± Kolen-Pollack, from the
paper's 7 neurons (exact target, D_KL) to sparse networks of thousands (moments; ``run_large``)."""

from .learning import run, run_large, simulate
from .network import make_target
from .params import paper_params

__all__ = ["make_target", "simulate", "paper_params", "run", "run_large"]
