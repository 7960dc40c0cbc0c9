"""The sampling networks' contract (see ``sal.contract``): noise sweeps per protocol (figs 4, 5), the
Kolen-Pollack decay-rate sweep (fig S2), Dale's law in the E-I system (fig 10) and the large sparse
networks (beyond the paper, issue 11)."""

from ..contract import Experiment, Family, Headline, Summary, figures
from ..plotting.sampling import FIGURES
from . import summaries
from .experiments import ei_phase_plane, ei_rates, run, run_large
from .params import (EiGrid, LargeNetworkRun, NoiseRun, kp_best_labels, kp_labels, large_labels, run_params,
                     sweep_labels)

RUN_CONSTRAINTS = {"protocol": "A|B", "scenario": "syn_noise|plast_noise", "condition": "none|sal|kp",
                   "level": r"[0-9.]+", "run": r"\d+", "kp_rate": r"[0-9.e+-]+"}


def _sweep_runs(block, protocol, scenario):
    return [((c, lvl, r), {"protocol": protocol, "scenario": scenario, "condition": c, "level": f"{lvl:g}", "run": r})
            for c, lvl, r in sweep_labels(block["protocols"][protocol], scenario)]


def _kp_wildcards(protocol, scenario, level, rate, run):
    return {"protocol": protocol, "scenario": scenario, "level": f"{level:g}", "kp_rate": f"{rate:g}", "run": run}


def _kp_runs(block, protocol, scenario):
    return [((lvl, rate, r), _kp_wildcards(protocol, scenario, lvl, rate, r))
            for lvl, rate, r in kp_labels(block["protocols"][protocol], scenario)]


def _kp_best_runs(block, protocol, scenario):
    """KP at the declared best rate at every level: the KP sweep's files where the levels coincide."""
    return [(("kp_best", lvl, r), _kp_wildcards(protocol, scenario, lvl, rate, r))
            for lvl, rate, r in kp_best_labels(block["protocols"][protocol], scenario)]


def _sweep_options(block, protocol, scenario):
    return {"scenario": scenario, "highlight": block["protocols"][protocol]["scenarios"][scenario]["highlight"]}


def _large_runs(block):
    return [((n, c, r), {"size": n, "condition": c, "run": r}) for n, c, r in large_labels(block["large_network"])]


def _products(block):
    """Protocol B (the paper's current revision) is the main study; another protocol's figures get a suffix."""
    seed = block["dales_law"]["seed"]
    out = {"": {p: f"results/sampling/dales_law/{p}/seed~{seed}.nc" for p in ("ei_phase_plane", "ei_rates")}}
    for protocol, pb in block["protocols"].items():
        products = out.setdefault("" if protocol == "B" else f"_protocol{protocol}", {})
        for scenario, sc in pb["scenarios"].items():
            products[scenario] = f"results/sampling/{protocol}/{scenario}/summary.nc"
            if sc.get("kp_best_rate") is not None:
                products[f"kp_best_{scenario}"] = f"results/sampling/{protocol}/{scenario}/kp_best/summary.nc"
        for scenario in (pb.get("kp_sweep") or {}).get("rates", {}):
            products[f"kp_{scenario}"] = f"results/sampling/{protocol}/{scenario}/kp_sweep/summary.nc"
    if block.get("large_network"):
        out[""]["large_network"] = "results/sampling/large_network/summary.nc"
    return out


def _ei(name, function):
    return Experiment(name, function, f"dales_law/{name}/seed~{{seed}}.nc", lambda block, seed: run_params(block, name),
                      seeded=True, check=EiGrid.check, resources={"mem_mb": 1000, "runtime": 60}, group="exact")


FAMILY = Family(
    name="sampling",
    title="Spiking sampling networks",
    experiments=(
        Experiment("noise_run", run, "{protocol}/{scenario}/{condition}/noise~{level}/run~{run}.nc",
                   lambda block, **wc: run_params(block, "noise_run", **wc), check=NoiseRun.check,
                   constraints=RUN_CONSTRAINTS, resources={"mem_mb": 500, "runtime": 240}, kind="sampling.run"),
        Experiment("kp_run", run, "{protocol}/{scenario}/kp_sweep/noise~{level}/rate~{kp_rate}/run~{run}.nc",
                   lambda block, **wc: run_params(block, "noise_run", condition="kp", **wc), check=NoiseRun.check,
                   constraints=RUN_CONSTRAINTS, resources={"mem_mb": 500, "runtime": 240}, kind="sampling.run"),
        Experiment("large_network_run", run_large, "large_network/n~{size}/{condition}/run~{run}.nc",
                   lambda block, **wc: run_params(block, "large_network_run", **wc), check=LargeNetworkRun.check,
                   constraints={"size": r"\d+", "condition": "baseline|none|sal|kp", "run": r"\d+"},
                   resources={"mem_mb": 2000, "runtime": 600}, group="large", kind="sampling.run_large"),
        _ei("ei_phase_plane", ei_phase_plane),
        _ei("ei_rates", ei_rates),
    ),
    summaries=(
        Summary("noise_sweep", summaries.noise_sweep_summary, "noise_run", "{protocol}/{scenario}/summary.nc",
                _sweep_runs, _sweep_options),
        # KP at the best rate of fig S2 (issue 12): a noise sweep of one condition, made of KP-sweep runs
        Summary("kp_best", summaries.noise_sweep_summary, "kp_run", "{protocol}/{scenario}/kp_best/summary.nc",
                _kp_best_runs, _sweep_options, kind="sampling.noise_sweep_summary"),
        Summary("kp_sweep", summaries.kp_sweep_summary, "kp_run", "{protocol}/{scenario}/kp_sweep/summary.nc",
                _kp_runs),
        Summary("large_network", summaries.large_network_summary, "large_network_run", "large_network/summary.nc",
                _large_runs),
    ),
    figures=figures(FIGURES),
    products=_products,
    headline=(Headline("headline_numbers", summaries.headline_rows, summaries.PAPER),
              Headline("headline_numbers", summaries.kp_rows_syn_noise, summaries.PAPER),
              Headline("headline_numbers", summaries.kp_rows_plast_noise, summaries.PAPER)),
)
