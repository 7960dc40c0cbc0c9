"""Hebbian wake-sleep learning of a Boltzmann target ± SAL ± Kolen-Pollack (spec sampling §3).

One iteration: a free sleep phase from an empty network gives spike counts and pair-STDP sums; the
wake term uses the target moments; then optional Kolen-Pollack decay, the SAL update, clipping.
Protocol "A" is arXiv v1/v2 (wake term unscaled), "B" the later revision (wake term scaled by the
plasticity amplitudes, amplitudes clipped at 0, KP, diagonal zeroed).

``run`` is the paper's 7-neuron network (exact target, D_KL); ``run_large`` a sparse network of any
size (issue 11, beyond the paper) whose target and evaluation are moments (``moments``): nothing
there holds the 2^n states.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import xarray as xr

from .. import checks
from ..metrics import asymmetry, kl_divergence
from ..progress import Progress
from ..rng import generator
from ..store import provenance, spike_raster, time_base
from .moments import gibbs_moments, moment_errors, pair_asymmetry, pattern, state_moments, upper_pairs
from .network import (all_states, boltzmann, initial_network, make_target, sparse_initial_network, sparse_target,
                      with_probes)
from .params import PROTOCOLS, LargeNetworkRun, NoiseRun  # noqa: F401 (PROTOCOLS: the name of earlier versions)
from .sampler import sleep_phase

#: milliseconds represented by tau_ref. The sampling spec gives times in steps only; we assume the
#: paper's convention of fig 2d (tau_ref = 10 ms, spec principle §6), so a step is 10 / tau_ref ms
MS_PER_TAU_REF = 10.0
STEP_SOURCE = "assumption: tau_ref = 10 ms as in fig 2d (spec principle §6); the sampling spec gives steps only"


def update(W, b, wake, m_star, stdp_ws, stdp_sal, counts, scale, p):
    """One wake-sleep update (spec §3.1) from a sleep phase's statistics, ``scale`` = τ / T_n:
    Hebbian wake-sleep, then Kolen-Pollack decay, SAL, clipping. W, the wake term and the STDP sums are
    dense matrices or per-synapse vectors of one pattern (the arithmetic is elementwise)."""
    W = W + p["lr_w"] * (wake - stdp_ws * scale)
    b = b + p["lr_b"] * (m_star - counts * scale)
    if p["lr_kp"]:
        W = (1.0 - p["lr_kp"]) * W
    W = W + p["lr_sal"] * stdp_sal * scale
    return np.clip(W, -p["max_w"], p["max_w"]), np.clip(b, -p["max_b"], p["max_b"])


def _check_finite(W, b, it):
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        raise FloatingPointError(f"weights diverged at iteration {it}")


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
        W, b = update(W, b, wake, m_star, out["stdp_ws"], out["stdp_sal"], out["counts"], tau / steps, p)
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
        _check_finite(W, b, it)
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


def _target_moments(E, b_star, p):
    """Target means and coactivations (per entry of the evaluation pattern E) with their standard
    errors: exact enumeration (``target: exact``, within the exact limit only) or a seeded Gibbs chain."""
    ptr, idx, _ = pattern(E)
    if p["target"] == "exact":
        _, m, C = boltzmann(E.toarray(), b_star)
        rows = np.repeat(np.arange(b_star.size), np.diff(ptr))
        return {"means": m, "coact": C[rows, idx], "means_se": np.zeros(m.size), "coact_se": np.zeros(idx.size)}
    return gibbs_moments(E, b_star, p["gibbs_sweeps"], p["seed_gibbs"], burn_in=p["gibbs_burn_in"])


def _positions(E, ptr, idx) -> np.ndarray:
    """Position in the CSR pattern of E of every entry (rows from ptr, columns idx) of a sub-pattern."""
    rows = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
    at = sp.csr_matrix((np.arange(1, E.nnz + 1, dtype=np.float64), E.indices, E.indptr), shape=E.shape)
    return np.asarray(at[rows, idx], dtype=np.int64).ravel() - 1


def run_large(params: dict) -> xr.Dataset:
    """Train a sparse sampling network of ``dim`` neurons on a sparse Boltzmann target (issue 11).

    Protocol B's rules (wake term A_ws ⊙ C*, amplitudes clipped at 0, optional KP) on the synapses of
    the target's pattern, which is also the network's connectivity. The wake term uses the target's
    coactivations on those pairs and its means (Gibbs chain or exact); learning uses the sleep phase's
    spike counts and pair-STDP sums only. Every ``val_step`` cycles a phase ``val_factor`` times longer
    (which also learns) is evaluated: the RMS errors against the target of the sampled means, of the
    coactivations of connected pairs (learnt) and of ``probes`` unconnected pairs per neuron (not learnt
    directly: they see what the learnt moments miss), with states read every τ/2 steps as the
    joint-state histogram reads them; the RMS of their standard errors (the part of an error that is
    sampling noise); after the update, the asymmetry over the connected pairs.
    """
    p = LargeNetworkRun.check(params)
    n, tau = int(p["dim"]), int(p["tau_ref"])
    W_star, b_star = sparse_target(p["seed_distr"], n, p["partners"], p["alpha"], p["beta"])
    ptr, idx, transpose = pattern(W_star)
    upper = upper_pairs(ptr, idx)
    E = with_probes(W_star, p["seed_distr"], p["probes"])
    e_ptr, e_idx, _ = pattern(E)
    e_upper = upper_pairs(e_ptr, e_idx)
    synapse = _positions(E, ptr, idx)  # entry of E of every synapse
    probe = np.ones(e_idx.size, dtype=bool)
    probe[synapse] = False
    target = _target_moments(E, b_star, p)
    W, b, a_ws, a_sal = sparse_initial_network(p["seed_init"], n, upper, transpose, p["weight_init"],
                                               p["bias_init"], p["init_noise"], p["sigma_p"])
    wake = a_ws * target["coact"][synapse]
    rng = generator(p["seed_sim"])
    val_iters = np.arange(0, p["epochs"], p["val_step"])
    names = ("mean_error", "coact_error", "probe_error", "mean_noise", "coact_noise", "probe_noise", "asym", "W", "b")
    rec = {k: [] for k in names}
    progress = Progress(p["epochs"], f"sampling large network n={n} {p.get('name', '')}".strip())
    for it in range(int(p["epochs"])):
        validation = it % p["val_step"] == 0
        steps = p["dur"] * tau * (p["val_factor"] if validation else 1)
        out = sleep_phase(sp.csr_matrix((W, idx, ptr), shape=(n, n)), b, steps, rng, 1.0, 1.0, tau=tau,
                          tau_syn=p["tau_syn"], record_steps=steps if validation else 0,
                          max_recorded=steps * n // (tau + 1) + n, joint_states=False)
        unit_ws, unit_sal = out["stdp_ws"], out["stdp_sal"]  # unit amplitudes: the amplitudes act below
        if not (np.array_equal(unit_ws.indptr, ptr) and np.array_equal(unit_ws.indices, idx)):
            raise RuntimeError("sleep_phase returned the pair-STDP sums on another pattern than the network's")
        if validation:
            q = state_moments(out["spike_time"], out["neuron_id"], n, steps, tau, e_ptr, e_idx)
            values = []
            for pairs in (e_upper & ~probe, e_upper & probe):
                values.append(moment_errors(q["means"], q["coact"], target["means"], target["coact"], pairs))
            errors = (values[0][0], values[0][1], values[1][1])
            noise = (np.sqrt(np.mean(q["means_se"] ** 2)), *(np.sqrt(np.mean(q["coact_se"][e_upper & sel] ** 2))
                                                              for sel in (~probe, probe)))
        W, b = update(W, b, wake, target["means"], a_ws * unit_ws.data, a_sal * unit_sal.data, out["counts"],
                      tau / steps, p)
        _check_finite(W, b, it)
        if validation:
            for key, value in zip(names, (*errors, *noise, pair_asymmetry(W, transpose, upper), W.copy(), b.copy())):
                rec[key].append(value)
        progress.update()
    rows = np.repeat(np.arange(n), np.diff(ptr))
    one = {"units": "1"}
    per_it = lambda key, long_name: ("iteration", np.array(rec[key]), {**one, "long_name": long_name})  # noqa: E731
    return xr.Dataset(
        {
            "mean_error": per_it("mean_error", "RMS error of the sampled means p(z_i = 1) vs the target"),
            "coact_error": per_it("coact_error", "RMS error of the sampled coactivations p(z_i = 1, z_j = 1) "
                                                 "of connected pairs vs the target"),
            "probe_error": per_it("probe_error", "RMS error of the sampled coactivations of unconnected probe "
                                                 "pairs vs the target"),
            "mean_error_noise": per_it("mean_noise", "RMS standard error of the sampled means (sampling noise)"),
            "coact_error_noise": per_it("coact_noise", "RMS standard error of the sampled coactivations"),
            "probe_error_noise": per_it("probe_noise", "RMS standard error of the probe pairs' coactivations"),
            "asymmetry": per_it("asym", "Var(W_ij - W_ji) over connected pairs i < j"),
            "W": (("iteration", "synapse"), np.array(rec["W"]), {**one, "long_name": "weight pre -> post"}),
            "b": (("iteration", "neuron"), np.array(rec["b"]), {**one, "long_name": "bias"}),
            "W_target": ("synapse", W_star[rows, idx].A1, {**one, "long_name": "target weight"}),
            "b_target": ("neuron", b_star, {**one, "long_name": "target bias"}),
            "means_target": ("neuron", target["means"], {**one, "long_name": "target means p*(z_i = 1)"}),
            "coact_target": ("synapse", target["coact"][synapse],
                             {**one, "long_name": "target coactivation of post, pre"}),
            "means_target_se": ("neuron", target["means_se"],
                                {**one, "long_name": "standard error of the target means"}),
            "coact_target_se": ("synapse", target["coact_se"][synapse],
                                {**one, "long_name": "standard error of the target coactivations"}),
        },
        coords={
            "iteration": ("iteration", val_iters, {**one, "long_name": "wake-sleep cycle"}),
            "neuron": ("neuron", np.arange(n), {**one, "long_name": "neuron"}),
            "synapse": ("synapse", np.arange(idx.size), {**one, "long_name": "synapse (CSR order of post, pre)"}),
            "post": ("synapse", rows, {**one, "long_name": "postsynaptic neuron"}),
            "pre": ("synapse", idx, {**one, "long_name": "presynaptic neuron"}),
        },
        attrs=provenance("sampling.run_large", p, p["seed_sim"]),
    )
