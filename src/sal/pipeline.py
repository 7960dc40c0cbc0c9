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
    path = store.write(ds, output, strict=True)  # every variable with units and long_name
    if checkpoint:
        Path(checkpoint).unlink(missing_ok=True)
    return path


def _normalized(value):
    return json.loads(json.dumps(store._jsonable(value), sort_keys=True))


def check_file(path, ds, expected: dict) -> None:
    """Check a stored dataset against what its reader expects (``expected``: any of ``kind``, ``labels`` (the
    wildcards naming the run), ``parameters`` (those given must be stored, with these values) and ``seed``);
    ResultFileError naming the file and the mismatch. A file written before runs recorded their labels (no
    ``sal_labels`` attribute, or none recorded) is checked on the rest."""
    problems = []
    kind = expected.get("kind")
    if kind is not None and ds.attrs.get("sal_kind") != kind:
        problems.append(f"holds {ds.attrs.get('sal_kind')!r}, expected {kind!r}")
    labels = expected.get("labels")
    stored_labels = json.loads(ds.attrs.get("sal_labels") or "{}")
    if labels is not None and stored_labels:
        want = {k: str(v) for k, v in labels.items()}
        if stored_labels != want:
            diff = sorted(k for k in set(want) | set(stored_labels) if want.get(k) != stored_labels.get(k))
            problems.append("is the run " + ", ".join(f"{k}={stored_labels.get(k)!r}" for k in diff)
                            + ", expected " + ", ".join(f"{k}={want.get(k)!r}" for k in diff))
    if "seed" in expected and int(ds.attrs.get("seed", -1)) != int(expected["seed"]):
        problems.append(f"has seed {ds.attrs.get('seed')}, expected {expected['seed']}")
    if expected.get("parameters") is not None:
        try:
            stored = store.parameters(ds)
        except (KeyError, ValueError):
            stored = None
        want = _normalized(expected["parameters"])
        if not isinstance(stored, dict):
            problems.append("has no readable parameters")
        else:
            stored = _normalized(stored)
            diff = sorted(k for k in want if k not in stored or stored[k] != want[k])
            if diff:
                problems.append(f"has other parameters (hash {provenance_hash(stored)}, expected "
                                f"{provenance_hash(want)}): differing keys {diff}")
    if problems:
        raise store.ResultFileError(f"{path}: " + "; ".join(problems))


def provenance_hash(params: dict) -> str:
    """A short hash of a parameter dict (as stored: JSON with sorted keys)."""
    import hashlib

    return hashlib.sha256(json.dumps(_normalized(params), sort_keys=True).encode()).hexdigest()[:12]


def summarize(summary: Summary, runs: dict, output, *, expected: dict | None = None, **options) -> Path:
    """Stack per-run files ({labels: path}) with the summary's function and store it.

    ``expected`` ({labels: what that run's file must hold}, see ``check_file``; the workflow passes
    ``Family.summary_expected``) is checked file by file first: a run file of another kind, run, seed or
    parameters stops the summary with a message naming the file and the mismatch.
    """
    if expected is not None:
        missing = [labels for labels in runs if labels not in expected]
        if missing:
            raise ValueError(f"summary {summary.name!r}: no expectation for the runs {missing}")
    datasets = {}
    for labels, path in runs.items():
        datasets[labels] = store.read(path)
        if expected is not None:
            check_file(path, datasets[labels], expected[labels])
    ds = summary.function(datasets, **options)
    ds.attrs.update(provenance.attributes(summary_code(summary)))
    return store.write(ds, output, strict=True)


def plot(function, inputs: dict, stem, table, kinds: dict | None = None) -> list[Path]:
    """Build a figure from its stored datasets inside the package style; write stem.pdf and stem.png (saved
    inside the style too: its dpi and TrueType fonts) and the plotted numbers as CSV. Text that is clipped
    or overlaps other text is logged as a warning. ``kinds`` ({input name: sal_kind}, ``FigureJob.kinds``)
    are checked first: an input file of another kind stops the figure with a message naming it."""
    from .plotting import save, style, text_problems

    signature = inspect.signature(function).parameters
    required = {n for n, p in signature.items() if p.default is p.empty}
    if not required <= set(inputs) <= set(signature):
        raise ValueError(f"figure {Path(stem).name} needs datasets {sorted(required)} (may also take "
                         f"{sorted(set(signature) - required)}), got {sorted(inputs)}")
    datasets = {}
    for name, path in inputs.items():
        datasets[name] = store.read(path)
        if kinds and name in kinds:
            try:
                check_file(path, datasets[name], {"kind": kinds[name]})
            except store.ResultFileError as err:
                raise store.ResultFileError(f"figure {Path(stem).name}, input {name!r}: {err}") from None
    with style():
        fig, numbers = function(**datasets)
        for problem in text_problems(fig):
            log.warning("figure %s: %s", Path(stem).name, problem)
    Path(table).parent.mkdir(parents=True, exist_ok=True)
    numbers.to_csv(table, index=False, float_format="%.10g")
    return save(fig, stem)
