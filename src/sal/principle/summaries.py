"""Summaries of the SAL-principle runs and the family's headline numbers."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..store import combine, parameters


def weight_evolution_summary(runs: dict, conditions: dict, ms_per_tau_ref: float) -> xr.Dataset:
    """Fig-2d runs stacked over (condition, seed), with the epoch axis in seconds.

    ``runs`` maps (condition, seed) to the dataset of ``weight_evolution``; ``conditions`` maps each
    condition to its list of plastic weights. tau_ref steps are taken as ``ms_per_tau_ref`` ms.
    """
    ds = combine(runs, ("condition", "seed"), "principle.weight_evolution_summary")
    first = parameters(next(iter(runs.values())))
    seconds_per_epoch = first["steps_per_epoch"] / first["tau_ref"] * ms_per_tau_ref / 1000.0
    ds = ds.assign_coords(time=("epoch", ds["epoch"].values * seconds_per_epoch,
                                {"units": "s", "long_name": f"tau_ref = {ms_per_tau_ref:g} ms"}))
    ds["plastic"] = ("condition", [",".join(conditions[c]) for c in ds["condition"].values])
    return ds


def headline_rows(stdd_examples, weight_evolution, proof):
    """(key, figure, quantity, ours, measured at) of the family's headline numbers."""
    for name in ("excitatory", "inhibitory"):
        yield (f"dw_{name}", "fig 2c", f"ΔW_ji, {name} pair", float(stdd_examples["dw_ji"].sel(example=name)),
               "exact")
    lags, tau = stdd_examples["lag"].values, parameters(stdd_examples)["tau_ref"]
    plateau = stdd_examples["p_sym"].sel(example="excitatory").values[(lags >= 1) & (lags <= tau - 1)]
    yield "plateau", "fig 2c", "symmetric plateau p (W = 0.6/0.6)", float(np.median(plateau)), "exact"
    final = weight_evolution.isel(epoch=-1).sel(condition="both_plastic")
    yield ("final_weights", "fig 2d", "final W_ji, W_ij (both plastic; median over seeds)",
           f"{float(final['w_ji'].median()):.3f} / {float(final['w_ij'].median()):.3f}",
           f"{weight_evolution.sizes['seed']} seeds")
    yield ("min_Delta", "fig 12", "min over t of Δ(t) (exc., inh.)",
           " / ".join(f"{v:.1e}" for v in proof["Delta"].min("t").values), "exact")


#: the paper's values (via our specs) of the headline quantities
PAPER = {"dw_excitatory": -0.028886, "dw_inhibitory": 0.025385, "plateau": 0.0076381,
         "final_weights": "meet near 1.0 / 1.0", "min_Delta": "≥ 0"}
