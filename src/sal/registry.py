"""Every model family's contract (``sal.contract.Family``), in the order the study presents them.

A contract is imported when it is first asked for: a Snakemake job is a fresh process that runs one
family's step, and importing the other three families (their models, plotting, scipy) would add about a
second to the start-up of each of the thousands of jobs of a paper-scale sweep."""

from importlib import import_module

NAMES = ("principle", "sampling", "microcircuit", "deepnet")


def family(name: str):
    """The contract of family ``name``."""
    if name not in NAMES:
        raise ValueError(f"unknown model family {name!r}; known: {list(NAMES)}")
    return import_module(f".{name}.registry", __package__).FAMILY


def __getattr__(attr: str):
    """``FAMILIES``: every family's contract, in study order (imports them all)."""
    if attr == "FAMILIES":
        return tuple(family(name) for name in NAMES)
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
