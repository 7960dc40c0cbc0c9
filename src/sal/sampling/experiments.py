"""The sampling experiments as run functions (spec sampling §3-6): the noise runs and the KP sweep's runs
(``learning.run``, the training loop), the large sparse networks (``learning.run_large``, issue 11) and
the two panels of the E-I system (fig 10), as params -> xarray.Dataset. Their parameters are built and
checked in ``params``."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..progress import Progress
from ..rng import substreams
from ..store import provenance
from .eisystem import E2, _free_run, effective_offsets, ei_network, ei_parameters, sal_drift
from .learning import run, run_large
from .params import EiGrid

__all__ = ["run", "run_large", "ei_phase_plane", "ei_rates"]


def ei_phase_plane(p: dict, seed: int) -> xr.Dataset:
    """Fig 10a: SAL drift over a grid of raw excitatory weights, with the effective-weight offsets."""
    EiGrid.check(p)
    q = ei_parameters(p["param_seed"])
    w = np.round(np.arange(p["w_min"], p["w_max"] + 0.5 * p["w_step"], p["w_step"]), 12)
    streams = substreams(seed, w.size**2)
    drift = np.empty((w.size, w.size, 2))
    progress = Progress(w.size**2, "E-I phase plane")
    for a, w21 in enumerate(w):
        for c, w12 in enumerate(w):
            W, b = ei_network(w21, w12, q)
            drift[a, c] = sal_drift(W, b, p["n_steps"], streams[a * w.size + c], p["tau_ref"])
            progress.update()
    off_21, off_12 = effective_offsets(q)
    raw = {"long_name": "raw excitatory weight"}
    return xr.Dataset(
        {
            "dw_e2e1": (("w_e2e1", "w_e1e2"), drift[..., 0], {"long_name": "SAL drift of e1 -> e2"}),
            "dw_e1e2": (("w_e2e1", "w_e1e2"), drift[..., 1], {"long_name": "SAL drift of e2 -> e1"}),
            "offset_e2e1": ((), off_21, {"long_name": "W_eff - W_EE of e1 -> e2"}),
            "offset_e1e2": ((), off_12, {"long_name": "W_eff - W_EE of e2 -> e1"}),
        },
        coords={"w_e2e1": ("w_e2e1", w, raw), "w_e1e2": ("w_e1e2", w, raw)},
        attrs=provenance("sampling.ei_phase_plane", {**p, "interneuron_parameters": q}, seed),
    )


def ei_rates(p: dict, seed: int) -> xr.Dataset:
    """Fig 10b: e2's rate × τ_ref with only e1's pathways onto e2 (direct + via i1) against a direct
    connection with the effective weight W_eff(w)."""
    EiGrid.check(p)
    q = ei_parameters(p["param_seed"])
    off_21, _ = effective_offsets(q)
    w = np.round(np.arange(p["w_min"], p["w_max"] + 0.5 * p["w_step"], p["w_step"]), 12)
    streams = substreams(seed, 2 * w.size)
    rates = np.empty((2, w.size))
    for k, w21 in enumerate(w):
        for s, (pathway, weight) in enumerate((("e1_to_e2", w21), ("direct", w21 + off_21))):
            W, b = ei_network(weight, 0.0, q, pathway)
            out = _free_run(W, b, p["n_steps"], streams[2 * k + s], p["tau_ref"])
            rates[s, k] = out["counts"][E2] * p["tau_ref"] / p["n_steps"]
    return xr.Dataset(
        {"rate_e2": (("system", "w"), rates, {"long_name": "e2 spikes per tau_ref"}),
         "w_effective": ("w", w + off_21, {"long_name": "effective weight e1 -> e2"})},
        coords={"system": ["e_i_system", "direct"], "w": ("w", w, {"long_name": "raw weight e1 -> e2"})},
        attrs=provenance("sampling.ei_rates", {**p, "interneuron_parameters": q}, seed),
    )
