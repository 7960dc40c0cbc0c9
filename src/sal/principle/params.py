"""The SAL-principle experiments' parameters: the run parameters built from the ``principle`` config block
and the typed parameter model of each experiment (the rules of workflow/schemas/config.schema.yaml and
of ``sal.config``'s relations, so that ``sal run`` with any parameters is held to the same rules)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..params import Params, grid_step, key

PSPS = ("rect", "alpha", "exp")
NAME = r"[A-Za-z0-9_]+"
TAU_REF = dict(ge=2)  # refractory period in steps (the chain's time unit)
WINDOW = dict(ge=3, le=1000)  # STDD window / chain size M (> tau_ref)
BIAS = dict(ge=-20, le=20)
WEIGHT = dict(ge=-20, le=20)


def run_params(config: dict, experiment: str, condition: str | None = None) -> dict:
    """The parameters one run of ``experiment`` receives, taken from the ``principle`` config block.

    The Snakemake rules and the ``sal run`` command both use this, so they run the same thing.
    """
    block = config[experiment]
    if experiment == "weight_evolution":
        if condition not in block["conditions"]:
            raise ValueError(f"weight_evolution needs a condition, one of {sorted(block['conditions'])}")
        return {**block["params"], "plastic": block["conditions"][condition]}
    if experiment == "stdd_vs_simulation":
        return {k: v for k, v in block.items() if k != "seed"}
    return block


def _window(p):
    if p.window <= p.tau_ref:
        yield "window", p.window, f"> tau_ref = {p.tau_ref}"


def _range(p, low, high):
    if getattr(p, low) >= getattr(p, high):
        yield high, getattr(p, high), f"> {low} = {getattr(p, low)}"


def _saturated(items, *, psp, tau_ref, tau_syn, window):
    """(key, value, reason) for each (key, value, w_ji, w_ij, b_i, b_j) in ``items`` that the exact solve cannot
    resolve on the chain (a saturated neuron, see ``stdd.check_drive``): the schema bounds weights and biases
    one by one, this bounds their drive. Checked once the window itself is valid."""
    from .stdd import check_drive

    if window <= tau_ref:
        return
    for name, value, w_ji, w_ij, b_i, b_j in items:
        try:
            check_drive(w_ji, w_ij, b_i, b_j, psp=psp, tau_ref=tau_ref, tau_syn=tau_syn, window=window)
        except ValueError as err:
            yield name, value, f"weights and biases that do not saturate a neuron ({err})"


@dataclass(frozen=True, kw_only=True)
class ChainKeys(Params):
    """The keys of a two-neuron chain that every analytic block has."""

    label: ClassVar[str] = "principle"
    psp: str = key(choices=PSPS)
    tau_ref: int = key(**TAU_REF)
    tau_syn: float = key(gt=0)
    window: int = key(**WINDOW)
    b_i: float = key(**BIAS)
    b_j: float = key(**BIAS)

    def relations(self):
        yield from _window(self)

    def saturated(self, pairs):
        """``_saturated`` on this chain for each (key, value, w_ji, w_ij) in ``pairs``, at its biases."""
        yield from _saturated([(name, value, w_ji, w_ij, self.b_i, self.b_j) for name, value, w_ji, w_ij in pairs],
                              psp=self.psp, tau_ref=self.tau_ref, tau_syn=self.tau_syn, window=self.window)


@dataclass(frozen=True, kw_only=True)
class Chain(ChainKeys):
    """The two-neuron chain of the analytic STDDs."""

    coincidence_restart: bool = key()


@dataclass(frozen=True, kw_only=True)
class WeightPair(Params):
    label: ClassVar[str] = "principle stdd_examples"
    w_ji: float = key(**WEIGHT)
    w_ij: float = key(**WEIGHT)
    w_sym: float = key(**WEIGHT)


@dataclass(frozen=True, kw_only=True)
class StddExamples(Chain):
    """Fig 2c: ``experiments.stdd_examples``."""

    label: ClassVar[str] = "principle stdd_examples"
    examples: dict[str, WeightPair] = key(min_length=1)

    def relations(self):
        yield from super().relations()
        for name, ex in self.examples.items():
            yield from self.saturated([(f"examples.{name}", ex, ex["w_ji"], ex["w_ij"]),
                                       (f"examples.{name}.w_sym", ex["w_sym"], ex["w_sym"], ex["w_sym"])])


@dataclass(frozen=True, kw_only=True)
class PhasePlane(Chain):
    """Fig 2e: ``experiments.phase_plane``."""

    label: ClassVar[str] = "principle phase_plane"
    w_min: float = key(**WEIGHT)
    w_max: float = key(**WEIGHT)
    w_step: float = key(gt=0)

    def relations(self):
        yield from super().relations()
        yield from _range(self, "w_min", "w_max")
        yield from grid_step(self, "w_min", "w_max", "w_step")
        # the drive grows with each weight: the grid's corners bound it
        yield from self.saturated([("w_min", self.w_min, self.w_min, self.w_min),
                                   ("w_max", self.w_max, self.w_max, self.w_max)])


@dataclass(frozen=True, kw_only=True)
class Kernel(Params):
    label: ClassVar[str] = "principle psp_shapes"
    name: str = key(pattern=NAME)
    psp: str = key(choices=PSPS)
    tau_syn_factor: float = key(gt=0, allowed="a finite number > 0 (tau_syn / tau_ref)")


@dataclass(frozen=True, kw_only=True)
class KernelPlot(Params):
    label: ClassVar[str] = "principle psp_shapes"
    tau_ref: int = key(**TAU_REF)
    t_min: float = key()
    t_max: float = key()

    def relations(self):
        yield from _range(self, "t_min", "t_max")


@dataclass(frozen=True, kw_only=True)
class StddRow(Params):
    label: ClassVar[str] = "principle psp_shapes"
    tau_ref: int = key(**TAU_REF)
    window: int = key(**WINDOW)
    w: float = key(**WEIGHT)
    bias_pairs: list[list[float]] = key(min_length=1, **BIAS,
                                        allowed="a non-empty list of [b_i, b_j] pairs, each bias in [-20, 20]")

    def relations(self):
        yield from _window(self)
        for k, pair in enumerate(self.bias_pairs):
            if len(pair) != 2:
                yield f"bias_pairs[{k}]", pair, "a pair [b_i, b_j]"


@dataclass(frozen=True, kw_only=True)
class Attractor(Params):
    label: ClassVar[str] = "principle psp_shapes"
    tau_ref: int = key(**TAU_REF)
    window: int = key(**WINDOW)
    w_min: float = key(**WEIGHT)
    w_max: float = key(**WEIGHT)
    w_num: int = key(ge=4, le=200)
    b_min: float = key(**BIAS)
    b_max: float = key(**BIAS)
    b_step: float = key(gt=0)
    upscale: int = key(ge=4, le=2000)

    def relations(self):
        yield from _window(self)
        yield from _range(self, "w_min", "w_max")
        yield from _range(self, "b_min", "b_max")
        yield from grid_step(self, "b_min", "b_max", "b_step")


@dataclass(frozen=True, kw_only=True)
class PspShapes(Params):
    """Fig 11: ``experiments.psp_shapes``."""

    label: ClassVar[str] = "principle psp_shapes"
    kernels: list[Kernel] = key(min_length=1)
    kernel_plot: KernelPlot = key()
    stdd_row: StddRow = key()
    attractor: Attractor = key()

    def relations(self):
        row, grid = self.stdd_row, self.attractor
        # the drive grows with each weight and bias: the attractor grid's largest weight and bias bound it
        # (its biases: numpy.arange(b_min, b_max + b_step / 2, b_step) in experiments.psp_shapes)
        n_biases = math.ceil((grid["b_max"] + 0.5 * grid["b_step"] - grid["b_min"]) / grid["b_step"])
        b_top = round(grid["b_min"] + (n_biases - 1) * grid["b_step"], 12)
        for k in self.kernels:
            yield from _saturated([(f"stdd_row.bias_pairs[{n}]", pair, row["w"], row["w"], *pair)
                                   for n, pair in enumerate(row["bias_pairs"])],
                                  psp=k["psp"], tau_ref=row["tau_ref"], tau_syn=k["tau_syn_factor"] * row["tau_ref"],
                                  window=row["window"])
            yield from _saturated([("attractor", {"w_max": grid["w_max"], "b_max": grid["b_max"]}, grid["w_max"],
                                    grid["w_max"], b_top, b_top)],
                                  psp=k["psp"], tau_ref=grid["tau_ref"],
                                  tau_syn=k["tau_syn_factor"] * grid["tau_ref"], window=grid["window"])


@dataclass(frozen=True, kw_only=True)
class ProofExample(Params):
    label: ClassVar[str] = "principle proof"
    w: float = key(**WEIGHT)
    epsilon: float = key(gt=0, le=5)


@dataclass(frozen=True, kw_only=True)
class Proof(ChainKeys):
    """Fig 12: ``experiments.proof``."""

    label: ClassVar[str] = "principle proof"
    examples: dict[str, ProofExample] = key(min_length=1)

    def relations(self):
        yield from super().relations()
        for name, ex in self.examples.items():
            w_hi, w_lo = ex["w"] + ex["epsilon"], ex["w"] - ex["epsilon"]
            yield from self.saturated([(f"examples.{name}", ex, w_hi, w_hi), (f"examples.{name}", ex, w_lo, w_lo)])


@dataclass(frozen=True, kw_only=True)
class WeightEvolution(Params):
    """Fig 2d, one condition: ``simulate.weight_evolution`` (``plastic``: the condition's plastic weights)."""

    label: ClassVar[str] = "principle weight_evolution"
    psp: str = key(choices=PSPS)
    tau_ref: int = key(**TAU_REF)
    tau_syn: float = key(gt=0)
    min_isi: int = key(ge=1, allowed="an integer >= 1 (minimum inter-spike interval in steps)")
    stdp_history: int = key(ge=1, le=1000)
    steps_per_epoch: int = key(ge=1, le=100_000_000)
    epochs: int = key(ge=1, le=10_000_000)
    learning_rate: float = key(ge=0, le=100)
    w_ji: float = key(**WEIGHT)
    w_ij: float = key(**WEIGHT)
    b_i: float = key(**BIAS)
    b_j: float = key(**BIAS)
    plastic: list[str] = key(choices=("w_ji", "w_ij"), unique=True)


@dataclass(frozen=True, kw_only=True)
class Case(Params):
    label: ClassVar[str] = "principle stdd_vs_simulation"
    w_ji: float = key(**WEIGHT)
    w_ij: float = key(**WEIGHT)
    b_i: float = key(**BIAS)
    b_j: float = key(**BIAS)


@dataclass(frozen=True, kw_only=True)
class StddVsSimulation(Params):
    """Analytic vs simulated STDDs (spec principle §5): ``experiments.stdd_vs_simulation`` (the seed is the
    run's, not a parameter)."""

    label: ClassVar[str] = "principle stdd_vs_simulation"
    tau_ref: int = key(**TAU_REF)
    window: int = key(**WINDOW)
    n_steps: int = key(ge=10_000, le=100_000_000_000)
    pairing: str = key(choices=("per_reference", "nearest"))
    coincidence_restart: bool = key()
    cases: dict[str, Case] = key(min_length=1)

    def relations(self):
        yield from _window(self)
        # experiments.stdd_vs_simulation solves each case on the rect chain with tau_syn = tau_ref
        yield from _saturated([(f"cases.{name}", c, c["w_ji"], c["w_ij"], c["b_i"], c["b_j"])
                               for name, c in self.cases.items()],
                              psp="rect", tau_ref=self.tau_ref, tau_syn=self.tau_ref, window=self.window)
