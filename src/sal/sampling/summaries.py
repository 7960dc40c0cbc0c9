"""Summaries of the sampling runs (spec sampling §4-5) and the family's headline numbers."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..store import combine, parameters

QUANTILES = (0.25, 0.5, 0.75)


def noise_sweep_summary(runs: dict, scenario: str, highlight: float) -> xr.Dataset:
    """Runs stacked over (condition, level, run) with quartiles over runs per validation point.

    Quartiles of D_KL treat an infinite D_KL (a target state never sampled) as larger than any
    finite value; ``dkl_infinite`` counts such runs. ``highlight`` is the noise level whose
    trajectories the figure shows.
    """
    ds = combine(runs, ("condition", "level", "run"), "sampling.noise_sweep_summary")
    ds = _with_quartiles(ds[["dkl", "dkl_missing_states", "asymmetry"]], ("dkl", "asymmetry"))
    ds["dkl_infinite"] = np.isinf(ds["dkl"]).sum("run")
    ds["dkl_infinite"].attrs["long_name"] = "runs whose D_KL is infinite (unsampled target states)"
    ds["scenario"] = scenario
    ds["highlight_level"] = float(highlight)
    return ds.assign_coords(quantile=list(QUANTILES))


def _with_quartiles(ds: xr.Dataset, names) -> xr.Dataset:
    """``ds`` with ``<name>_quartiles`` (dims quantile + the variable's without run) for every name."""
    for var in names:
        q = np.quantile(ds[var].values, QUANTILES, axis=ds[var].get_axis_num("run"), method="inverted_cdf")
        dims = ("quantile", *(d for d in ds[var].dims if d != "run"))
        ds[f"{var}_quartiles"] = (dims, q, {"long_name": f"quartiles over runs of {var}"})
    return ds


LARGE_VARIABLES = ("asymmetry", "mean_error", "coact_error", "probe_error", "mean_error_noise", "coact_error_noise",
                   "probe_error_noise")


def large_network_summary(runs: dict) -> xr.Dataset:
    """Large-network runs stacked over (size, condition, run): their per-cycle errors and asymmetry with
    quartiles over runs (the networks' weights differ in size and are left out)."""
    ds = combine({k: v[list(LARGE_VARIABLES)] for k, v in runs.items()}, ("size", "condition", "run"),
                 "sampling.large_network_summary")
    ds = _with_quartiles(ds, LARGE_VARIABLES)
    for var in LARGE_VARIABLES:
        ds[f"{var}_quartiles"].attrs["units"] = "1"
    return ds.assign_coords(quantile=list(QUANTILES))


def kp_sweep_summary(runs: dict) -> xr.Dataset:
    """KP supplementary sweep stacked over (level, kp_rate, run), final values only."""
    ds = combine(runs, ("level", "kp_rate", "run"), "sampling.kp_sweep_summary")
    return ds[["dkl", "asymmetry", "dkl_missing_states"]].isel(iteration=-1)


def best_kp_rate(kp_sweep: xr.Dataset, level: float) -> float:
    """The decay rate of a KP sweep (fig S2) whose median final D_KL over runs is lowest at ``level``."""
    median = kp_sweep["dkl"].sel(level=level).median("run")
    return float(median["kp_rate"][int(median.argmin("kp_rate"))])


def kp_rate(ds: xr.Dataset, condition: str) -> float:
    """The KP decay rate of ``condition``'s runs in a noise-sweep summary (as run: rate_scale included)."""
    rates = {p["lr_kp"] for key, p in parameters(ds)["runs"].items() if key.split("/")[0] == condition}
    if len(rates) != 1:
        raise ValueError(f"condition {condition!r} has KP rates {sorted(rates)} in this summary, not one")
    return rates.pop()


def headline_rows(syn_noise, plast_noise):
    """(key, figure, quantity, ours, measured at) of the family's headline numbers (protocol B)."""
    for label, ds in (("fig 4", syn_noise), ("fig 5", plast_noise)):
        final = ds.isel(iteration=-1)
        hl = float(ds["highlight_level"])
        med = lambda var, cond, lvl: float(final[var].sel(condition=cond, level=lvl).median("run"))  # noqa: E731
        base = med("dkl", "none", ds["level"].values[0])
        scale = f"{ds.sizes['run']} runs, {ds['iteration'].values[-1] + 1} cycles"
        yield "baseline_dkl", label, "final D_KL, noise-free baseline (median)", base, scale
        yield ("highlight_dkl", label, f"final D_KL at noise {hl:g}: no SAL / SAL",
               f"{med('dkl', 'none', hl):.4f} / {med('dkl', 'sal', hl):.4f}", scale)
        yield ("asymmetry_ratio", label, f"final asymmetry at noise {hl:g}: no SAL / SAL",
               med("asymmetry", "none", hl) / med("asymmetry", "sal", hl), scale)


def _kp_row(label, ds, best):
    """KP at the official rate and at the best rate of fig S2, at the highlighted noise level."""
    hl = float(ds["highlight_level"])
    med = lambda d, cond: float(d["dkl"].isel(iteration=-1).sel(condition=cond, level=hl).median("run"))  # noqa: E731
    scale = f"{ds.sizes['run']} runs, {ds['iteration'].values[-1] + 1} cycles"
    yield ("kp_dkl", label, f"final D_KL at noise {hl:g}: KP at rate {kp_rate(ds, 'kp'):g} (official) / "
           f"{kp_rate(best, 'kp_best'):g} (best of fig S2)", f"{med(ds, 'kp'):.4f} / {med(best, 'kp_best'):.4f}", scale)


def kp_rows_syn_noise(syn_noise, kp_best_syn_noise):
    """Fig 4's KP row (a headline of its own: it needs only synaptic noise's sweeps)."""
    yield from _kp_row("fig 4", syn_noise, kp_best_syn_noise)


def kp_rows_plast_noise(plast_noise, kp_best_plast_noise):
    """Fig 5's KP row."""
    yield from _kp_row("fig 5", plast_noise, kp_best_plast_noise)


#: the paper's values or claims of the headline quantities
PAPER = {"baseline_dkl": "≈ 5–6e-3 (paper scale)", "highlight_dkl": "no SAL above baseline; SAL back at baseline",
         "asymmetry_ratio": "2–3 orders of magnitude", "kp_dkl": "KP near SAL (fig 4: ≈ 8e-3 at noise 0.8)"}


