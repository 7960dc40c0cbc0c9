"""Hebbian wake-sleep learning of a Boltzmann target ± SAL ± Kolen-Pollack (spec sampling §3).

One iteration: a free sleep phase from an empty network gives spike counts and pair-STDP sums; the
wake term uses the exact target moments; then optional Kolen-Pollack decay, the SAL update, clipping.
Protocol "A" is arXiv v1/v2 (wake term unscaled), "B" the later revision (wake term scaled by the
plasticity amplitudes, amplitudes clipped at 0, KP, diagonal zeroed).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import checks
from ..progress import Progress
from ..rng import generator
from ..store import provenance, spike_raster, time_base

#: milliseconds represented by tau_ref. The sampling spec gives times in steps only; we assume the
#: paper's convention of fig 2d (tau_ref = 10 ms, spec principle §6), so a step is 10 / tau_ref ms
MS_PER_TAU_REF = 10.0
STEP_SOURCE = "assumption: tau_ref = 10 ms as in fig 2d (spec principle §6); the sampling spec gives steps only"
from ..metrics import asymmetry, kl_divergence
from .network import all_states, boltzmann, initial_network, make_target
from .params import PROTOCOLS, NoiseRun  # noqa: F401 (PROTOCOLS: the name of earlier versions)
from .sampler import sleep_phase

def run(params: dict) -> xr.Dataset:
    """Train the sampling network; return D_KL, asymmetry, W, b and q at every validation point.

    D_KL is measured on the validation phase's samples before that iteration's update; W, b and the
    asymmetry are recorded after it. A spike raster of the first ``record_steps`` steps of the first
    and of the last validation phase is kept.
    """
    p = NoiseRun.check(params)
    dim, tau = int(p["dim"]), int(p["tau_ref"])
    w_star, b_star, p_star = make_target(p["seed_distr"], dim, p["alpha"], p["beta"])
    _, m_star, c_star = boltzmann(w_star, b_star)
    W, b, a_ws, a_sal = initial_network(p["seed_init"], dim, p["weight_init"], p["bias_init"],
                                        p["init_noise"], p["sigma_p"], clip_amplitudes=p["protocol"] == "B")
    wake = c_star * (a_ws if p["protocol"] == "B" else 1.0)
    rng = generator(p["seed_sim"])
    val_iters = np.arange(0, p["epochs"], p["val_step"])
    rec = {k: [] for k in ("dkl", "missing", "asym", "W", "b", "q")}
    rasters = []
    progress = Progress(p["epochs"], f"sampling {p.get('name', '')} seed_init={p['seed_init']}".strip())
    for it in range(int(p["epochs"])):
        validation = it % p["val_step"] == 0
        steps = p["dur"] * tau * (p["val_factor"] if validation else 1)
        keep = validation and it in (val_iters[0], val_iters[-1])
        out = sleep_phase(W, b, steps, rng, a_ws, a_sal, tau=tau, tau_syn=p["tau_syn"], simulator=p["simulator"],
                          record_steps=p["record_steps"] if keep else 0)
        scale = tau / steps
        W = W + p["lr_w"] * (wake - out["stdp_ws"] * scale)
        b = b + p["lr_b"] * (m_star - out["counts"] * scale)
        if p["lr_kp"]:
            W = (1.0 - p["lr_kp"]) * W
        W = W + p["lr_sal"] * out["stdp_sal"] * scale
        W = np.clip(W, -p["max_w"], p["max_w"])
        b = np.clip(b, -p["max_b"], p["max_b"])
        if p["protocol"] == "B":
            np.fill_diagonal(W, 0.0)
        if validation:
            q = out["hist"] / out["hist"].sum()
            dkl, missing = kl_divergence(p_star, q)
            for key, value in (("dkl", dkl), ("missing", missing), ("asym", asymmetry(W)), ("W", W.copy()),
                               ("b", b.copy()), ("q", q)):
                rec[key].append(value)
            if keep:
                rasters.append((out["spike_time"], out["neuron_id"]))
        if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
            raise FloatingPointError(f"weights diverged at iteration {it}")
        progress.update()
    times = np.concatenate([r[0] for r in rasters])
    ids = np.concatenate([r[1] for r in rasters])
    offsets = np.cumsum([0] + [r[0].size for r in rasters])
    nrn = {"long_name": "neuron"}
    return xr.Dataset(
        {
            "dkl": ("iteration", np.array(rec["dkl"]), {"long_name": "D_KL(target || sampled)", "units": "nat"}),
            "dkl_missing_states": ("iteration", np.array(rec["missing"], dtype=np.int64),
                                   {"long_name": "target states never sampled (D_KL = inf if > 0)"}),
            "asymmetry": ("iteration", np.array(rec["asym"]), {"units": "1", "long_name": "Var(W_ij - W_ji), i < j"}),
            "W": (("iteration", "post", "pre"), np.array(rec["W"]), {"units": "1", "long_name": "weight pre -> post"}),
            "b": (("iteration", "neuron"), np.array(rec["b"]), {"units": "1", "long_name": "bias"}),
            "q": (("iteration", "state"), np.array(rec["q"]), {"long_name": "sampled distribution"}),
            "p_target": ("state", p_star, {"long_name": "target distribution"}),
            "W_target": (("post", "pre"), w_star),
            "b_target": ("neuron", b_star),
            "states": (("state", "neuron"), all_states(dim).astype(np.int8),
                       {"long_name": "binary state (neuron 0 = most significant bit)"}),
            **spike_raster(times, ids, offsets),
            "segment_iteration": ("segment", [int(val_iters[0]), int(val_iters[-1])][: len(rasters)]),
        },
        coords={
            "iteration": ("iteration", val_iters, {"long_name": "wake-sleep cycle"}),
            "post": ("post", np.arange(dim), nrn),
            "pre": ("pre", np.arange(dim), nrn),
            "neuron": ("neuron", np.arange(dim), nrn),
        },
        attrs={**provenance("sampling.run", p, p["seed_sim"]), **time_base(MS_PER_TAU_REF / tau, STEP_SOURCE)},
    )


def simulate(W, b, n_steps, *, tau_ref=50, tau_syn=50, seed, simulator="event") -> xr.Dataset:
    """Free run of a sampling network from an empty state: the flat spike raster of all n_steps.

    Official per-step semantics (the event-driven simulator draws from the same distribution; pass
    simulator="per_step" for the literal per-step Bernoulli loop).
    """
    b = checks.array("b", b, ndim=1)
    if b.size == 0:
        raise ValueError("b must hold one bias per neuron, got an empty array")
    W = checks.array("W", W, shape=(b.size, b.size))
    n_steps = checks.integer("n_steps", n_steps, ge=1)
    tau_ref = checks.integer("tau_ref", tau_ref, ge=1)
    checks.number("tau_syn", tau_syn, gt=0)
    checks.integer("seed", seed, ge=0)
    checks.choice("simulator", simulator, ("event", "per_step"))
    ones = np.ones_like(W)
    out = sleep_phase(W, b, int(n_steps), generator(seed), ones, ones, tau=tau_ref, tau_syn=tau_syn,
                      simulator=simulator, record_steps=int(n_steps),
                      max_recorded=int(n_steps) * b.size // (tau_ref + 1) + b.size)
    params = {"W": W, "b": b, "n_steps": int(n_steps), "tau_ref": tau_ref, "tau_syn": tau_syn,
              "simulator": simulator}
    return xr.Dataset(
        {**spike_raster(out["spike_time"], out["neuron_id"]),
         "spike_count": ("neuron", out["counts"], {"units": "1", "long_name": "spikes per neuron"})},
        coords={"neuron": np.arange(b.size)},
        attrs={**provenance("sampling.simulate", params, seed), **time_base(MS_PER_TAU_REF / tau_ref, STEP_SOURCE)},
    )
