"""The steps the Snakemake rules (and the ``sal`` CLI) run: compute/simulate, summarise, plot.

Each step receives the registry entry it runs (``sal.contract``), so that the code hash of a step
(``*_code``) covers exactly the code it executes; workflow scripts are thin adapters that look the
entry up in ``sal.registry`` and pass the rule's params, inputs and outputs.
"""

from __future__ import annotations

import inspect
import json
from contextlib import contextmanager
import logging
import time
from pathlib import Path

from . import provenance, store
from .contract import Experiment, Summary

log = logging.getLogger("sal")


def setup_logging(path=None) -> None:
    """Log to ``path`` (a rule's log file) or stderr, with timestamps; capture Python warnings."""
    handler = logging.FileHandler(path, mode="w") if path else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


@contextmanager
def job(log_path):
    """Run a workflow step with logging to its rule's log file; a failure's message and traceback go into
    that log too (the file Snakemake points to), then the error propagates."""
    setup_logging(log_path)
    try:
        yield
    except BaseException:
        log.exception("the job failed")
        raise


def experiment_code(experiment: Experiment) -> str:
    """Hash of the code a run of ``experiment`` executes (its rule's ``code`` param, its files' ``sal_code``)."""
    return provenance.code_hash(run_experiment, Experiment.run, experiment.function, experiment.check)


def summary_code(summary: Summary) -> str:
    """Hash of the code a summary executes."""
    return provenance.code_hash(summarize, summary.function)


def figure_code(function) -> str:
    """Hash of the code a figure executes."""
    return provenance.code_hash(plot, function)


def run_experiment(experiment: Experiment, params: dict, output, seed: int | None = None, checkpoint=None,
                   labels: dict | None = None) -> Path:
    """Run one experiment (a seeded run if the experiment is stochastic) and store its dataset.

    With ``checkpoint`` (a path) a long run saves its state there and resumes from it after an
    interruption; the checkpoint is removed once the result is written. ``labels`` (the wildcards that
    name the run) are stored with the code provenance, so that a summary can check what it stacks.
    """
    start = time.perf_counter()
    log.info("%s seed=%s params=%s", experiment.name, seed, params)
    ds = experiment.run(params, seed=seed, checkpoint=checkpoint)
    log.info("computed in %.2f s; writing %s", time.perf_counter() - start, output)
    ds.attrs.update(provenance.attributes(experiment_code(experiment)))
    ds.attrs["sal_labels"] = json.dumps({k: str(v) for k, v in (labels or {}).items()}, sort_keys=True)
    path = store.write(ds, output)
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    return path


def summarize(summary: Summary, runs: dict, output, **options) -> Path:
    """Stack per-run files ({labels: path}) with the summary's function and store it."""
    datasets = {labels: store.read(path) for labels, path in runs.items()}
    ds = summary.function(datasets, **options)
    ds.attrs.update(provenance.attributes(summary_code(summary)))
    return store.write(ds, output)


def plot(function, inputs: dict, stem, table) -> list[Path]:
    """Build a figure from its stored datasets inside the package style; write stem.pdf and stem.png (saved
    inside the style too: its dpi and TrueType fonts) and the plotted numbers as CSV. Text that is clipped
    or overlaps other text is logged as a warning."""
    from .plotting import save, style, text_problems

    expected = set(inspect.signature(function).parameters)
    if set(inputs) != expected:
        raise ValueError(f"figure {Path(stem).name} needs datasets {sorted(expected)}, got {sorted(inputs)}")
    with style():
        fig, numbers = function(**{name: store.read(path) for name, path in inputs.items()})
        for problem in text_problems(fig):
            log.warning("figure %s: %s", Path(stem).name, problem)
    Path(table).parent.mkdir(parents=True, exist_ok=True)
    numbers.to_csv(table, index=False, float_format="%.10g")
    return save(fig, stem)
