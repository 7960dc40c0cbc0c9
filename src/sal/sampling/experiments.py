"""The sampling experiments' parameters: one noise run per (protocol, scenario, condition, noise level, run
index), the KP sweep's runs and the E-I system's panels (spec sampling §4-6)."""

from __future__ import annotations

from .paper import paper_params

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
        raise ValueError(f"unknown sampling experiment {experiment!r}; known: noise_run, ei_phase_plane, ei_rates")
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
