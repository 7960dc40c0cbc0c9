"""The official sweeps of the sampling experiments (spec sampling §4): parameters and seeds per run."""

from __future__ import annotations

import itertools

# 20 runs per point: distribution seeds x initialisation seeds. 4235 is an official typo for 4325,
# kept so that our targets are the paper's targets.
DISTR_SEEDS = (4321, 4322, 4323, 4324, 4235)
INIT_SEEDS = (9002, 9003, 9004, 9005)
RUNS = tuple(itertools.product(DISTR_SEEDS, INIT_SEEDS))

COMMON = dict(dim=7, tau_ref=50, tau_syn=50, dur=1000, weight_init=0.2, bias_init=0.2, max_w=2.0, max_b=2.0,
              alpha=1.0, beta=1.0, simulator="event", record_steps=2000)

# experiment -> protocol -> (scenario settings, condition settings)
SCENARIOS = {
    "A": {
        "syn_noise": dict(epochs=20001, val_step=500, val_factor=1000, lr_w=0.01, lr_b=0.01, sigma_p=0.0,
                          noise_key="init_noise", levels=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), highlight=0.8),
        "plast_noise": dict(epochs=150001, val_step=2000, val_factor=1000, lr_w=0.001, lr_b=0.001,
                            init_noise=0.2, noise_key="sigma_p", levels=(0.0, 0.01, 0.02, 0.03, 0.04, 0.05),
                            highlight=0.05),
    },
    "B": {
        "syn_noise": dict(epochs=20001, val_step=500, val_factor=100, lr_w=0.01, lr_b=0.01, sigma_p=0.0,
                          noise_key="init_noise", levels=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), highlight=0.8),
        "plast_noise": dict(epochs=20001, val_step=1000, val_factor=100, lr_w=0.01, lr_b=0.01, init_noise=0.2,
                            noise_key="sigma_p", levels=(0.0, 0.2, 0.4, 0.6, 0.8), highlight=0.8),
    },
}
CONDITIONS = {  # condition -> protocol -> (lr_sal, lr_kp)
    "none": {"A": {"syn_noise": (0.0, 0.0), "plast_noise": (0.0, 0.0)},
             "B": {"syn_noise": (0.0, 0.0), "plast_noise": (0.0, 0.0)}},
    "sal": {"A": {"syn_noise": (0.01, 0.0), "plast_noise": (0.002, 0.0)},
            "B": {"syn_noise": (0.01, 0.0), "plast_noise": (0.01, 0.0)}},
    "kp": {"B": {"syn_noise": (0.0, 1.6e-4), "plast_noise": (0.0, 4e-5)}},
}
# KP supplementary sweep (protocol B): decay rates at noise 0.4 and 0.8
KP_SWEEP = {
    "syn_noise": tuple(1e-6 * x for x in (1, 2, 4, 8, 16, 32, 64, 120, 240, 480)),
    "plast_noise": tuple(1e-5 * 2.0**k for k in range(-3, 5)),
}
KP_SWEEP_LEVELS = (0.4, 0.8)


def paper_params(experiment: str, protocol: str, run_index: int, *, noise: float | None = None) -> dict:
    """Parameters and seeds of run ``run_index`` (0-19) of an official experiment.

    ``experiment`` is "<scenario>" or "<scenario>_<condition>" with scenario "syn_noise" or
    "plast_noise" and condition "sal" or "kp" (none: no symmetrisation), as the official sweep
    folders are named. ``noise`` is the swept level (default: the level the paper highlights).
    The simulation seed is ours (the official runs were unseeded): 4444 + run_index.
    """
    if protocol not in SCENARIOS:
        raise ValueError(f"protocol must be 'A' or 'B', got {protocol!r}")
    scenario, _, condition = experiment.partition("_noise")
    scenario += "_noise"
    condition = condition.lstrip("_") or "none"
    if scenario not in SCENARIOS[protocol] or protocol not in CONDITIONS.get(condition, {}):
        raise ValueError(f"no experiment {experiment!r} in protocol {protocol}")
    if not 0 <= run_index < len(RUNS):
        raise ValueError(f"run_index must be in 0..{len(RUNS) - 1}, got {run_index}")
    s = dict(SCENARIOS[protocol][scenario])
    level = s["highlight"] if noise is None else float(noise)
    lr_sal, lr_kp = CONDITIONS[condition][protocol][scenario]
    seed_distr, seed_init = RUNS[run_index]
    params = {**COMMON, "protocol": protocol, "name": f"{experiment}", "init_noise": s.get("init_noise", 0.0),
              "sigma_p": s.get("sigma_p", 0.0), "epochs": s["epochs"], "val_step": s["val_step"],
              "val_factor": s["val_factor"], "lr_w": s["lr_w"], "lr_b": s["lr_b"], "lr_sal": lr_sal,
              "lr_kp": lr_kp, "seed_distr": seed_distr, "seed_init": seed_init, "seed_sim": 4444 + run_index}
    params[s["noise_key"]] = level
    return params
