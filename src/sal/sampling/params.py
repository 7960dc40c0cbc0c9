"""The sampling experiments' parameters (spec sampling §4-6): the official sweeps, the parameters and seeds
of every run built from the ``sampling`` config block, and the typed parameter model of each experiment."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import ClassVar

from ..params import Params, grid_step, key
from .network import MAX_EXACT_DIM

# 20 runs per point: distribution seeds x initialisation seeds. 4235 is an official typo for 4325,
# kept so that our targets are the paper's targets.
DISTR_SEEDS = (4321, 4322, 4323, 4324, 4235)
INIT_SEEDS = (9002, 9003, 9004, 9005)
RUNS = tuple(itertools.product(DISTR_SEEDS, INIT_SEEDS))

PROTOCOLS = ("A", "B")
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
    if experiment == "large_network_run":
        return _large_network_params(config["large_network"], **labels)
    if experiment != "noise_run":
        raise ValueError(f"unknown sampling experiment {experiment!r}; known: noise_run, large_network_run, "
                         "ei_phase_plane, ei_rates")
    return _noise_run_params(config, **labels)


# Large networks (issue 11, beyond the paper): run r of a size uses these seeds + r. The learning rule
# and the network's constants are protocol B's (COMMON); the target and the network are sparse.
LARGE_SEEDS = dict(seed_distr=4321, seed_init=9002, seed_sim=4444, seed_gibbs=8888)
LARGE_CONDITIONS = ("baseline", "none", "sal", "kp")  # baseline: noise-free, no symmetrisation
LARGE_KEYS = ("partners", "probes", "dur", "epochs", "val_step", "val_factor", "lr_w", "lr_b", "gibbs_sweeps",
              "gibbs_burn_in", "target")


def _large_network_params(block, *, size, condition, run):
    """Parameters of one large-network run: ``size`` neurons, ``condition`` (baseline: no noise and no
    symmetrisation; none, sal, kp: the block's noise, with SAL at ``lr_sal`` or KP at ``lr_kp``)."""
    if condition not in LARGE_CONDITIONS:
        raise ValueError(f"condition must be one of {list(LARGE_CONDITIONS)}, got {condition!r}")
    noisy = condition != "baseline"
    common = {k: v for k, v in COMMON.items() if k not in ("dim", "record_steps", "simulator")}
    return {**common, "dim": int(size), "name": f"large_network_{condition}", **{k: block[k] for k in LARGE_KEYS},
            "init_noise": block["init_noise"] if noisy else 0.0, "sigma_p": block["sigma_p"] if noisy else 0.0,
            "lr_sal": block["lr_sal"] if condition == "sal" else 0.0,
            "lr_kp": block["lr_kp"] if condition == "kp" else 0.0,
            **{k: v + int(run) for k, v in LARGE_SEEDS.items()}}


def large_labels(block: dict) -> list:
    """[size, condition, run] of every run of the large-network study."""
    return [[n, c, r] for n in block["sizes"] for c in block["conditions"] for r in block["runs"]]


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


def kp_best_labels(block: dict, scenario: str) -> list:
    """[level, kp_rate, run] of the KP runs at the decay rate a scenario declares best (``kp_best_rate``,
    chosen from the fig S2 sweep), at every level of its noise sweep; [] if it declares none."""
    sc = block["scenarios"][scenario]
    rate = sc.get("kp_best_rate")
    return [] if rate is None else [[lvl, rate, r] for lvl in sc["levels"] for r in block["runs"]]


def sweep_labels(block: dict, scenario: str) -> list:
    """[condition, level, run] of every run of one noise sweep of a protocol block."""
    sc = block["scenarios"][scenario]
    return [[c, lvl, r] for c in sc["conditions"] for lvl in sc["levels"] for r in block["runs"]]


def kp_labels(block: dict, scenario: str) -> list:
    """[level, kp_rate, run] of every run of one KP decay-rate sweep of a protocol block."""
    kp = block["kp_sweep"]
    return [[lvl, rate, r] for lvl in kp["levels"] for rate in kp["rates"][scenario] for r in kp["runs"]]


SEED = dict(ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class WakeSleepKeys(Params):
    """The keys every wake-sleep training run shares (spec sampling §3): neuron and phase lengths,
    initial draws, clipping, noise, schedule, learning rates and the target / init / simulation seeds."""

    tau_ref: int = key(ge=1)
    tau_syn: int = key(ge=1)
    dur: int = key(ge=1, allowed="a positive integer (sleep phase in tau_ref)")
    weight_init: float = key(ge=0)
    bias_init: float = key(ge=0)
    max_w: float = key(gt=0)
    max_b: float = key(gt=0)
    alpha: float = key(gt=0)
    beta: float = key(gt=0)
    name: str = key()
    init_noise: float = key(ge=0)
    sigma_p: float = key(ge=0)
    epochs: int = key(ge=1)
    val_step: int = key(ge=1)
    val_factor: int = key(ge=1)
    lr_w: float = key(ge=0)
    lr_b: float = key(ge=0)
    lr_sal: float = key(ge=0)
    lr_kp: float = key(ge=0, lt=1)
    seed_distr: int = key(**SEED)
    seed_init: int = key(**SEED)
    seed_sim: int = key(**SEED)


@dataclass(frozen=True, kw_only=True)
class NoiseRun(WakeSleepKeys):
    """One noise run (and one run of the KP sweep): ``sampling.learning.run``."""

    label: ClassVar[str] = "sampling"
    dim: int = key(ge=1)
    simulator: str = key(choices=("event", "per_step"))
    record_steps: int = key(ge=0)
    protocol: str = key(choices=PROTOCOLS)

    def relations(self):
        if self.dim > MAX_EXACT_DIM:
            yield "dim", self.dim, (f"<= {MAX_EXACT_DIM}: D_KL needs the exact target over the 2^dim states (larger "
                                    "networks: the large_network experiment, which reports moment errors)")
        if self.protocol == "A" and self.lr_kp != 0:
            yield "lr_kp", self.lr_kp, "0 in protocol A (Kolen-Pollack decay exists only in protocol B)"


@dataclass(frozen=True, kw_only=True)
class EiGrid(Params):
    """One panel of the E-I system (fig 10): ``experiments.ei_phase_plane`` / ``ei_rates``."""

    label: ClassVar[str] = "sampling dales_law"
    param_seed: int = key(**SEED)
    tau_ref: int = key(ge=2)
    w_min: float = key(ge=0, le=20, allowed="a number in [0, 20] (raw excitatory weights are >= 0: Dale)")
    w_max: float = key(ge=0, le=20)
    w_step: float = key(gt=0)
    n_steps: int = key(ge=1000)

    def relations(self):
        if self.w_max < self.w_min:
            yield "w_max", self.w_max, f">= w_min = {self.w_min}"
        yield from grid_step(self, "w_min", "w_max", "w_step")


@dataclass(frozen=True, kw_only=True)
class LargeNetworkRun(WakeSleepKeys):
    """One run of the large sparse network (issue 11): ``sampling.learning.run_large``."""

    label: ClassVar[str] = "sampling large_network"
    dim: int = key(ge=2, le=100_000)
    partners: int = key(ge=1)
    probes: int = key(ge=1)
    target: str = key(choices=("gibbs", "exact"))
    gibbs_sweeps: int = key(ge=10)
    gibbs_burn_in: int = key(ge=0)
    seed_gibbs: int = key(**SEED)

    def relations(self):
        if self.partners > self.dim - 1:
            yield "partners", self.partners, f"<= dim - 1 = {self.dim - 1}"
        if 2 * self.partners + self.probes > self.dim - 1:
            yield "probes", self.probes, f"<= dim - 1 - 2 partners = {self.dim - 1 - 2 * self.partners} (unconnected)"
        if self.target == "exact" and self.dim > MAX_EXACT_DIM:
            yield "target", self.target, (f"'gibbs' for dim = {self.dim} > {MAX_EXACT_DIM} (the exact target "
                                          "enumerates the 2^dim states)")
