"""The contract of a model family: what the workflow, the CLI, the report and the tests need to know.

Each family declares one ``Family`` in its ``registry`` module: its experiments (a run function and the
files it writes), its summaries (which runs they stack, into which file), its figures (a plot function,
where its inputs come from, its short target names) and its headline rows (with the paper's values as
data). The Snakemake workflow generates its rules, ``rule all``, the named targets, the SLURM groups and
the report from these declarations; nothing about a family is written anywhere else.

Paths are relative to the working directory and always start with ``results/<family>/``.
"""

from __future__ import annotations

import inspect
import re
import string
from dataclasses import dataclass, field
from typing import Callable

ROOT = "results"


def _formatter_fields(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


@dataclass(frozen=True)
class Experiment:
    """One kind of run: ``run(params, *, seed=None, checkpoint=None)`` → Dataset, stored at ``output``.

    ``output`` is a pattern relative to ``results/<family>/``; its ``{wildcards}`` label one run
    (``seed`` is the simulation seed when ``seeded``). ``params(block, **wildcards)`` builds the
    run's parameters from the family's config block; ``check`` validates them (raises ValueError).
    """

    name: str
    function: Callable
    output: str
    params: Callable
    seeded: bool = False
    checkpoint: bool = False
    check: Callable | None = None
    constraints: dict = field(default_factory=dict)
    resources: dict = field(default_factory=lambda: {"mem_mb": 1000, "runtime": 60})
    group: str | None = "runs"  # SLURM group suffix (None: every job submitted alone)
    dataset: Callable | None = None  # wildcards -> name of a dataset the run reads (retrieved first)
    kind: str | None = None  # the ``sal_kind`` of its files (None: "<family>.<name>")

    def run(self, params: dict, *, seed: int | None = None, checkpoint=None):
        """Run it: the one signature of every experiment of every family."""
        if self.seeded and seed is None:
            raise ValueError(f"experiment {self.name!r} is stochastic: give a seed")
        if not self.seeded and seed is not None:
            raise ValueError(f"experiment {self.name!r} takes its seeds from its parameters, not a seed")
        if self.check is not None:
            self.check(params)
        kwargs = {"seed": seed} if self.seeded else {}
        if checkpoint is not None:
            if not self.checkpoint:
                raise ValueError(f"experiment {self.name!r} does not checkpoint")
            kwargs["checkpoint"] = checkpoint
        return self.function(params, **kwargs)

    @property
    def wildcards(self) -> list[str]:
        return _formatter_fields(self.output)

    def parameters(self, block: dict, **wildcards) -> dict:
        """The parameters of the run named by ``wildcards`` (those of ``output``), from the family's config
        block; ValueError naming any wildcard that is missing or unknown."""
        missing = [w for w in self.wildcards if w not in wildcards]
        unknown = [w for w in wildcards if w not in self.wildcards]
        if missing or unknown:
            raise ValueError(f"experiment {self.name!r} is named by the wildcards {self.wildcards}: "
                             + "; ".join(filter(None, [missing and f"missing {missing}",
                                                       unknown and f"unknown {unknown}"])))
        return self.params(block, **wildcards)


@dataclass(frozen=True)
class Summary:
    """Stacks runs of ``experiment`` into ``output`` with ``function(runs, **options)``.

    ``runs(block, **wildcards)`` lists (labels, run wildcards) of the runs it stacks, in order;
    ``options(block, **wildcards)`` gives the function's keyword arguments.
    """

    name: str
    function: Callable
    experiment: str
    output: str
    runs: Callable
    options: Callable = lambda block, **wildcards: {}
    kind: str | None = None  # the ``sal_kind`` of its file (None: "<family>.<name>_summary")


@dataclass(frozen=True)
class Figure:
    """A figure: ``function(**datasets)`` → (Figure, DataFrame of what it plots).

    Its inputs are the family's products named by the function's parameters; it is built for every
    product set (see ``Family.products``) that has them all. ``stem`` names its files; ``targets`` are
    the short names that build it (``snakemake fig2``).
    """

    stem: str
    function: Callable
    targets: tuple[str, ...] = ()

    @property
    def inputs(self) -> list[str]:
        """Every dataset it can draw (its function's parameters)."""
        return list(inspect.signature(self.function).parameters)

    @property
    def required(self) -> list[str]:
        """The datasets it cannot be drawn without (parameters without a default; the others are drawn
        when the study has them)."""
        return [n for n, p in inspect.signature(self.function).parameters.items() if p.default is p.empty]


@dataclass(frozen=True)
class Headline:
    """Rows of a headline table: ``rows(**datasets)`` yields (figure, quantity, ours, measured at);
    the paper's value of each quantity is data (``paper``: quantity → value or claim)."""

    table: str
    rows: Callable
    paper: dict

    @property
    def inputs(self) -> list[str]:
        return list(inspect.signature(self.rows).parameters)


@dataclass(frozen=True)
class FigureJob:
    """One figure of one study: its file stem, plot function, caption and input files."""

    stem: str
    family: str
    figure: Figure
    inputs: dict
    kinds: dict = field(default_factory=dict)  # input name -> the sal_kind its file must hold

    @property
    def files(self) -> list[str]:
        return [f"{ROOT}/figures/{self.stem}.pdf", f"{ROOT}/figures/{self.stem}.png", f"{ROOT}/tables/{self.stem}.csv"]


@dataclass(frozen=True)
class Family:
    """A model family's contract (see the module docstring).

    ``products(block)`` maps a stem suffix ("" for the main study, e.g. "_protocolA" for a variant) to the
    files figures and headline rows can read, by name.
    """

    name: str
    title: str
    experiments: tuple[Experiment, ...]
    summaries: tuple[Summary, ...]
    figures: tuple[Figure, ...]
    products: Callable
    headline: tuple[Headline, ...] = ()

    def experiment(self, name: str) -> Experiment:
        for e in self.experiments:
            if e.name == name:
                return e
        raise ValueError(f"unknown {self.name} experiment {name!r}; known: {[e.name for e in self.experiments]}")

    def summary(self, name: str) -> Summary:
        for s in self.summaries:
            if s.name == name:
                return s
        raise ValueError(f"unknown {self.name} summary {name!r}; known: {[s.name for s in self.summaries]}")

    def figure(self, name: str) -> Figure:
        for f in self.figures:
            if f.stem == name:
                return f
        raise ValueError(f"unknown {self.name} figure {name!r}; known: {[f.stem for f in self.figures]}")

    def path(self, pattern: str, **wildcards) -> str:
        return f"{ROOT}/{self.name}/{pattern.format(**wildcards)}"

    def output_pattern(self, pattern: str) -> str:
        return f"{ROOT}/{self.name}/{pattern}"

    def run_file(self, experiment: str, **wildcards) -> str:
        return self.path(self.experiment(experiment).output, **wildcards)

    def summary_file(self, summary: str, **wildcards) -> str:
        return self.path(self.summary(summary).output, **wildcards)

    def experiment_kind(self, name: str) -> str:
        """The ``sal_kind`` of the files of experiment ``name``."""
        return self.experiment(name).kind or f"{self.name}.{name}"

    def summary_kind(self, name: str) -> str:
        """The ``sal_kind`` of the file of summary ``name``."""
        return self.summary(name).kind or f"{self.name}.{name}_summary"

    def product_kind(self, path: str) -> str | None:
        """The ``sal_kind`` of a file of this family (a summary's or a run's), None if no output matches."""
        for s in self.summaries:
            if _match_all(self.output_pattern(s.output), [path]):
                return self.summary_kind(s.name)
        for e in self.experiments:
            if _match_all(self.output_pattern(e.output), [path]):
                return self.experiment_kind(e.name)
        return None

    def summary_expected(self, summary: str, block: dict, **wildcards) -> list[dict]:
        """What each run file a summary stacks must hold (in the order of ``summary_inputs``): its kind, the
        wildcards naming it, its parameters and (for a seeded experiment) its seed."""
        s = self.summary(summary)
        exp = self.experiment(s.experiment)
        kind = self.experiment_kind(exp.name)
        out = []
        for _, wc in s.runs(block, **wildcards):
            expected = {"kind": kind, "labels": {k: str(v) for k, v in wc.items()},
                        "parameters": exp.parameters(block, **wc)}
            if exp.seeded and "seed" in wc:
                expected["seed"] = int(wc["seed"])
            out.append(expected)
        return out

    def summary_inputs(self, summary: str, block: dict, **wildcards) -> tuple[list, list[str]]:
        """(labels, run files) of the runs a summary stacks."""
        s = self.summary(summary)
        runs = s.runs(block, **wildcards)
        return [list(labels) for labels, _ in runs], [self.run_file(s.experiment, **wc) for _, wc in runs]

    def figure_jobs(self, block: dict) -> list[FigureJob]:
        """Every figure this study builds, with its input files."""
        jobs = []
        for suffix, products in self.products(block).items():
            for fig in self.figures:
                if set(fig.required) <= set(products):
                    inputs = {n: products[n] for n in fig.inputs if n in products}
                    kinds = {n: self.product_kind(path) for n, path in inputs.items()}
                    jobs.append(FigureJob(fig.stem + suffix, self.name, fig, inputs,
                                          {n: k for n, k in kinds.items() if k is not None}))
        return jobs

    def headline_inputs(self, block: dict, table: str) -> dict:
        """{name: file} of the products the family's rows of ``table`` read (empty if the study lacks one)."""
        products = self.products(block).get("", {})
        out = {}
        for h in self.headline:
            if h.table == table and set(h.inputs) <= set(products):
                out.update({n: products[n] for n in h.inputs})
        return out

    def check_runs(self, block: dict) -> None:
        """Build and check the parameters of every run the study's summaries and figures need (the runs the
        summaries stack and the runs that are products themselves)."""
        for s in self.summaries:
            exp = self.experiment(s.experiment)
            if exp.check is None:
                continue
            for wc in self.summary_instances(s, block):
                for _, run_wc in s.runs(block, **wc):
                    exp.check(exp.parameters(block, **run_wc))
        wanted = set()
        for products in self.products(block).values():
            wanted.update(products.values())
        for exp in self.experiments:
            if exp.check is not None:
                for wc in _match_all(self.output_pattern(exp.output), wanted):
                    exp.check(exp.parameters(block, **wc))

    def summary_instances(self, summary: Summary, block: dict) -> list[dict]:
        """Wildcards of every file of ``summary`` that the study's figures or tables read."""
        wanted = set()
        for products in self.products(block).values():
            wanted.update(products.values())
        pattern = self.output_pattern(summary.output)
        return [wc for wc in _match_all(pattern, wanted)]


def _match_all(pattern: str, files) -> list[dict]:
    """Wildcards of each file in ``files`` that matches ``pattern`` ({name} matches one path segment)."""
    regex = re.escape(pattern)
    for name in _formatter_fields(pattern):
        regex = regex.replace(re.escape("{" + name + "}"), f"(?P<{name}>[^/]+)", 1)
    out = []
    for f in sorted(files):
        m = re.fullmatch(regex, f)
        if m:
            out.append(m.groupdict())
    return out


def figures(plots: dict) -> tuple[Figure, ...]:
    """Figures of a plotting module's ``FIGURES`` ({stem: function}), with their short targets: the stem's
    first part ("fig1b" of "fig1b_name") and its paper figure ("fig1" of "fig1b")."""
    out = []
    for stem, function in plots.items():
        short = stem.split("_")[0]
        paper = re.match(r"fig\d+", short)
        targets = (short,) + ((paper.group(),) if paper and paper.group() != short else ())
        out.append(Figure(stem, function, targets))
    return tuple(out)
