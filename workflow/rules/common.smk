# Shared by the generated rules: config validation, the families' plans, input and parameter functions.
# Every list of runs, figures and targets comes from the families' contracts (sal.registry).

import os
import re
import sys
from pathlib import Path

RULES_DIR = Path(workflow.current_basedir)
# The workflow runs the package of its own checkout (also in a per-rule conda environment, as a module
# of another workflow, or with --directory elsewhere): this process and every job import it from src/.
SRC = RULES_DIR.parents[1] / "src"
if (SRC / "sal").is_dir():
    sys.path.insert(0, str(SRC))
    os.environ.update(
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(SRC), os.environ.get("PYTHONPATH")])
        )
    )

import dataclasses

import sal.config
from sal import archive, headline, pipeline, provenance
from sal.registry import FAMILIES

ENV = "../../environment.yml"  # the one software environment of every rule (mirrors pyproject.toml)

# A bad config fails here, before any job starts, naming the key, the value and the rule.
sal.config.validate(config, RULES_DIR.parent / "schemas" / "config.schema.yaml")

# With `archive:` (config/archive.yaml) figures and headline tables are drawn from the archived summaries
# of a paper-scale study, and only those whose inputs are all archived: no simulation runs.
ARCHIVE = config.get("archive")
if ARCHIVE:
    ARCHIVE = (
        RULES_DIR.parents[1] / ARCHIVE
    )  # relative to the checkout (absolute paths stay)
    ARCHIVED = set(archive.read_manifest(ARCHIVE))
    # the archived figures are those of the study that made them (its sweeps, declared rates, data sets)
    if config.get("archive_study"):
        _study = sal.config.load(
            [
                RULES_DIR.parents[1] / f
                for f in ["config/config.yaml", *config["archive_study"]]
            ]
        )
        config.update({_f.name: _study[_f.name] for _f in FAMILIES})


def available(files):
    """``files`` ({name: path}) as this study reads them (from the archive in archive mode), or None."""
    if not ARCHIVE:
        return files
    if not set(files.values()) <= ARCHIVED:
        return None
    return {name: str(ARCHIVE / path) for name, path in files.items()}


if not ARCHIVE:
    for _family in FAMILIES:
        _family.check_runs(config[_family.name])

FIGURE_JOBS = {}
for _family in FAMILIES:
    for _job in _family.figure_jobs(config[_family.name]):
        # a figure needs its required inputs; it draws its optional ones where the study (archive) has them
        _inputs = available(
            {_n: _f for _n, _f in _job.inputs.items() if _n in _job.figure.required}
        )
        if _inputs is not None:
            for _n in set(_job.inputs) - set(_job.figure.required):
                _inputs.update(available({_n: _job.inputs[_n]}) or {})
            FIGURE_JOBS[_job.stem] = dataclasses.replace(_job, inputs=_inputs)
HEADLINE_INPUTS = {}  # table -> {family__product: file}
for _family in FAMILIES:
    _products = _family.products(config[_family.name]).get("", {})
    # each headline's rows need all of its inputs (in archive mode: archived ones)
    for _h in _family.headline:
        if not set(_h.inputs) <= set(_products):
            continue
        _files = available({_n: _products[_n] for _n in _h.inputs}) or {}
        for _name, _file in _files.items():
            HEADLINE_INPUTS.setdefault(_h.table, {})[f"{_family.name}__{_name}"] = _file

TARGETS = {}  # short target name (fig2c, fig2, principle, ...) -> files
for _job in FIGURE_JOBS.values():
    for _target in (*_job.figure.targets, _job.family):
        TARGETS.setdefault(_target, []).extend(_job.files)
ALL_OUTPUTS = [f for job in FIGURE_JOBS.values() for f in job.files] + [
    f"results/tables/{table}.csv" for table in HEADLINE_INPUTS
]


def one_of(names):
    """A wildcard regex matching exactly ``names`` (none: a regex that never matches)."""
    return "|".join(map(str, names)) or "(?!)"


def group(family, name):
    """SLURM group of a family's jobs (`None`: submitted alone); the slurm profile sizes the groups."""
    return None if name is None else f"{family.name}_{name}"


def log_of(family, pattern, suffix=".log"):
    return f"logs/{family.name}/{Path(pattern).with_suffix(suffix)}"


def run_params(family, experiment):
    return lambda wc: experiment.parameters(config[family.name], **wc)


def run_seed(experiment):
    return (lambda wc: int(wc.seed)) if experiment.seeded else None


def run_checkpoint(experiment):
    return (
        (lambda wc, output: f"{output[0]}.checkpoint")
        if experiment.checkpoint
        else None
    )


def run_dataset(experiment):
    """The retrieved dataset folder a run reads (none for runs without data or on bundled digits)."""
    if experiment.dataset is None:
        return lambda wc: {}
    return lambda wc: (
        {}
        if experiment.dataset(wc) == "digits"
        else {"dataset": f"resources/datasets/{experiment.dataset(wc)}"}
    )


def summary_runs(family, summary):
    """(labels, run files) of the runs a summary stacks, for its wildcards."""
    return lambda wc: family.summary_inputs(summary.name, config[family.name], **wc)


def summary_constraints(family, summary):
    constraints = family.experiment(summary.experiment).constraints
    return {k: v for k, v in constraints.items() if f"{{{k}}}" in summary.output}


def figure_stems(family):
    return [stem for stem, job in FIGURE_JOBS.items() if job.family == family.name]


def caption(wc):
    return (
        RULES_DIR.parent / "report" / f"{FIGURE_JOBS[wc.stem].figure.stem}.rst"
    ).read_text()


def figure_label(wc):
    """The report's label of a figure: its caption's bold title ("Fig 2c — ..."), else its stem."""
    title = re.match(r"\*\*(.+?)\.?\*\*", caption(wc), re.S)
    return {"Figure": " ".join(title.group(1).split()) if title else wc.stem}


def table_label(wc):
    return {"Table": wc.table.replace("_", " ").capitalize()}


def report_provenance(configfiles):
    """The commit, the config files (relative to the checkout) and the mode, for report/workflow.rst."""
    root = RULES_DIR.parents[1]

    def shown(path):
        path = Path(path).resolve()
        return str(path.relative_to(root) if path.is_relative_to(root) else path)

    return {
        "commit": provenance.git_commit() or "unknown (not a git checkout)",
        "configfiles": sorted(  # the default study first, then the overlays in their order
            map(shown, configfiles), key=lambda f: f != "config/config.yaml"
        ),
        "archive": shown(ARCHIVE) if ARCHIVE else "",
    }
