"""The steps the Snakemake rules (and the ``sal`` CLI) run: compute/simulate, summarise, plot.

Workflow scripts are thin adapters that call these functions with the rule's params, inputs and
outputs; all science stays in the model families.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import time
from pathlib import Path

from . import store

log = logging.getLogger("sal")

FAMILIES = ("principle", "sampling", "microcircuit", "deepnet")


def _family(family: str, module: str):
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {FAMILIES}")
    return importlib.import_module(f"sal.{module}.{family}" if module == "plotting" else f"sal.{family}.{module}")


def setup_logging(path=None) -> None:
    """Log to ``path`` (a rule's log file) or stderr, with timestamps; capture Python warnings."""
    handler = logging.FileHandler(path, mode="w") if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


def run_experiment(family: str, experiment: str, params: dict, output, seed: int | None = None,
                   checkpoint=None) -> Path:
    """Run one experiment (a seeded run if the experiment is stochastic) and store its dataset.

    With ``checkpoint`` (a path) a long run saves its state there and resumes from it after an
    interruption; the checkpoint is removed once the result is written.
    """
    experiments = _family(family, "experiments").EXPERIMENTS
    if experiment not in experiments:
        raise ValueError(f"unknown {family} experiment {experiment!r}; known: {sorted(experiments)}")
    fn, seeded = experiments[experiment]
    if seeded and seed is None:
        raise ValueError(f"{family}.{experiment} is stochastic: give a seed")
    start = time.perf_counter()
    log.info("%s.%s seed=%s params=%s", family, experiment, seed, params)
    args = (params, seed) if seeded else (params,)
    ds = fn(*args, checkpoint=checkpoint) if checkpoint else fn(*args)
    log.info("computed in %.2f s; writing %s", time.perf_counter() - start, output)
    path = store.write(ds, output)
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    return path


def summarize(family: str, experiment: str, runs: dict, output, **options) -> Path:
    """Stack per-run files ({labels: path}) with the family's summary function and store it."""
    fn = _family(family, "experiments").SUMMARIES[experiment]
    datasets = {labels: store.read(path) for labels, path in runs.items()}
    return store.write(fn(datasets, **options), output)


def plot(family: str, figure: str, inputs: dict, stem, table) -> list[Path]:
    """Build a figure from its stored datasets; write stem.pdf, stem.png and the plotted numbers as CSV."""
    from .plotting import save

    fn = _family(family, "plotting").FIGURES[figure]
    expected = set(inspect.signature(fn).parameters)
    if set(inputs) != expected:
        raise ValueError(f"figure {figure} needs datasets {sorted(expected)}, got {sorted(inputs)}")
    fig, numbers = fn(**{name: store.read(path) for name, path in inputs.items()})
    Path(table).parent.mkdir(parents=True, exist_ok=True)
    numbers.to_csv(table, index=False, float_format="%.10g")
    return save(fig, stem)
