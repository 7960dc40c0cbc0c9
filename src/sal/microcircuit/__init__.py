"""Spiking cortical microcircuits learning a teacher with BP, FA or SAL feedback (paper fig 6)."""

from ..metrics import feedback_angle as alignment_angle  # the name of earlier versions
from .experiments import initial_weights, pattern_schedule, run, teacher_targets
from .model import Microcircuit
from .params import paper_params

__all__ = ["paper_params", "run", "alignment_angle", "teacher_targets", "initial_weights", "pattern_schedule",
           "Microcircuit"]
