"""The SAL principle's contract (see ``sal.contract``): figs 2c, 2d, 2e, 11, 12 and the analytic-vs-simulated
check, from exact computations on the two-neuron chain and seeded two-neuron simulations."""

from ..contract import Experiment, Family, Headline, Summary, figures
from ..plotting.principle import FIGURES
from . import experiments, summaries
from .params import PhasePlane, Proof, PspShapes, StddExamples, StddVsSimulation, WeightEvolution, run_params


def _analytic(name, function, model, mem_mb=1000):
    return Experiment(name, function, f"{name}/analytic.nc", lambda block: run_params(block, name),
                      check=model.check, resources={"mem_mb": mem_mb, "runtime": 30}, group="exact")


def _weight_evolution_runs(block):
    we = block["weight_evolution"]
    return [((c, s), {"condition": c, "seed": s}) for c in we["conditions"] for s in we["seeds"]]


def _products(block):
    analytic = {name: f"results/principle/{name}/analytic.nc"
                for name in ("stdd_examples", "phase_plane", "psp_shapes", "proof")}
    seed = block["stdd_vs_simulation"]["seed"]
    return {"": {**analytic, "weight_evolution": "results/principle/weight_evolution/summary.nc",
                 "stdd_vs_simulation": f"results/principle/stdd_vs_simulation/seed~{seed}.nc"}}


FAMILY = Family(
    name="principle",
    title="SAL principle",
    experiments=(
        _analytic("stdd_examples", experiments.stdd_examples, StddExamples),
        _analytic("phase_plane", experiments.phase_plane, PhasePlane),
        _analytic("psp_shapes", experiments.psp_shapes, PspShapes),
        _analytic("proof", experiments.proof, Proof),
        Experiment("weight_evolution", experiments.weight_evolution, "weight_evolution/{condition}/seed~{seed}.nc",
                   lambda block, condition, seed: run_params(block, "weight_evolution", condition),
                   seeded=True, check=WeightEvolution.check, resources={"mem_mb": 500, "runtime": 30}),
        Experiment("stdd_vs_simulation", experiments.stdd_vs_simulation, "stdd_vs_simulation/seed~{seed}.nc",
                   lambda block, seed: run_params(block, "stdd_vs_simulation"), seeded=True,
                   check=StddVsSimulation.check,
                   resources={"mem_mb": 1500, "runtime": 30}, group="exact"),
    ),
    summaries=(
        Summary("weight_evolution", summaries.weight_evolution_summary, "weight_evolution",
                "weight_evolution/summary.nc", lambda block: _weight_evolution_runs(block),
                lambda block: {k: block["weight_evolution"][k] for k in ("conditions", "ms_per_tau_ref")}),
    ),
    figures=figures(FIGURES),
    products=_products,
    headline=(Headline("headline_numbers", summaries.headline_rows, summaries.PAPER),),
)
