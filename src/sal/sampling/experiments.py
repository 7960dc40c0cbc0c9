"""The sampling experiments as pipeline steps: one run per (scenario, condition, noise level, run index),
and the summaries the figures read (spec sampling §4-5)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..store import combine
from .eisystem import phase_plane, rate_comparison
from .learning import run
from .paper import paper_params

QUANTILES = (0.25, 0.5, 0.75)
RATES = ("lr_w", "lr_b", "lr_sal", "lr_kp")


def run_params(config: dict, experiment: str, **labels) -> dict:
    """Parameters of one run from the ``sampling`` config block.

    noise_run (labels protocol, scenario, condition, level, run[, kp_rate]): the official parameters of
    that run at the noise ``level``, with the protocol block's ``overrides`` (e.g. shorter phases for
    the quick study), every learning rate multiplied by ``rate_scale`` and, for the KP sweep, the decay
    rate ``kp_rate``. ei_phase_plane / ei_rates: the ``dales_law`` block's settings of that panel.
    """
    if experiment in ("ei_phase_plane", "ei_rates"):
        d = config["dales_law"]
        return {"param_seed": d["param_seed"], "tau_ref": d["tau_ref"],
                **d["phase_plane" if experiment == "ei_phase_plane" else "rates"]}
    if experiment != "noise_run":
        raise ValueError(f"unknown sampling experiment {experiment!r}; known: {sorted(EXPERIMENTS)}")
    return _noise_run_params(config, **labels)


def _noise_run_params(config, *, protocol, scenario, condition, level, run, kp_rate=None):
    block = config["protocols"][protocol]
    name = scenario if condition == "none" else f"{scenario}_{condition}"
    p = paper_params(name, protocol, int(run), noise=float(level))
    p.update(block["overrides"] or {})
    p.update(block["scenarios"][scenario].get("overrides") or {})
    for key in RATES:
        p[key] = p[key] * block["rate_scale"]
    if kp_rate is not None:
        p["lr_kp"] = float(kp_rate) * block["rate_scale"]
    return p


def sweep_labels(block: dict, scenario: str) -> list:
    """[condition, level, run] of every run of one noise sweep of a protocol block."""
    sc = block["scenarios"][scenario]
    return [[c, lvl, r] for c in sc["conditions"] for lvl in sc["levels"] for r in block["runs"]]


def kp_labels(block: dict, scenario: str) -> list:
    """[level, kp_rate, run] of every run of one KP decay-rate sweep of a protocol block."""
    kp = block["kp_sweep"]
    return [[lvl, rate, r] for lvl in kp["levels"] for rate in kp["rates"][scenario] for r in kp["runs"]]


def noise_sweep_summary(runs: dict, scenario: str, highlight: float) -> xr.Dataset:
    """Runs stacked over (condition, level, run) with quartiles over runs per validation point.

    Quartiles of D_KL treat an infinite D_KL (a target state never sampled) as larger than any
    finite value; ``dkl_infinite`` counts such runs. ``highlight`` is the noise level whose
    trajectories the figure shows.
    """
    ds = combine(runs, ("condition", "level", "run"), "sampling.noise_sweep_summary")
    ds = ds[["dkl", "dkl_missing_states", "asymmetry"]]
    for var in ("dkl", "asymmetry"):
        q = np.quantile(ds[var].values, QUANTILES, axis=ds[var].get_axis_num("run"), method="inverted_cdf")
        ds[f"{var}_quartiles"] = (("quantile", "condition", "level", "iteration"), q,
                                  {"long_name": f"quartiles over runs of {var}"})
    ds["dkl_infinite"] = np.isinf(ds["dkl"]).sum("run")
    ds["dkl_infinite"].attrs["long_name"] = "runs whose D_KL is infinite (unsampled target states)"
    ds["scenario"] = scenario
    ds["highlight_level"] = float(highlight)
    return ds.assign_coords(quantile=list(QUANTILES))


def kp_sweep_summary(runs: dict) -> xr.Dataset:
    """KP supplementary sweep stacked over (level, kp_rate, run), final values only."""
    ds = combine(runs, ("level", "kp_rate", "run"), "sampling.kp_sweep_summary")
    return ds[["dkl", "asymmetry", "dkl_missing_states"]].isel(iteration=-1)


#: experiment name -> (function, takes a seed); a noise run's seeds are part of its parameters
EXPERIMENTS = {"noise_run": (run, False), "ei_phase_plane": (phase_plane, True), "ei_rates": (rate_comparison, True)}
SUMMARIES = {"noise_sweep": noise_sweep_summary, "kp_sweep": kp_sweep_summary}
