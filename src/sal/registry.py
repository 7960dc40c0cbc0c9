"""Every model family's contract (``sal.contract.Family``), in the order the study presents them."""

from .deepnet.registry import FAMILY as DEEPNET
from .microcircuit.registry import FAMILY as MICROCIRCUIT
from .principle.registry import FAMILY as PRINCIPLE
from .sampling.registry import FAMILY as SAMPLING

FAMILIES = (PRINCIPLE, SAMPLING, MICROCIRCUIT, DEEPNET)


def family(name: str):
    """The contract of family ``name``."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ValueError(f"unknown model family {name!r}; known: {[f.name for f in FAMILIES]}")
