"""Dale's law: SAL in a 4-neuron E-I system (spec sampling §6, fig 10); its panels are run by
``experiments.ei_phase_plane`` and ``experiments.ei_rates``.

Two excitatory neurons e1, e2 excite each other directly (plastic, >= 0) and inhibit each other through
one interneuron each (e1 -> i1 -> e2, e2 -> i2 -> e1). All four are sampling neurons of the SSN model
(τ_ref = τ_syn = 25). SAL, measured by nearest-neighbour pair STDP on the excitatory spikes only,
symmetrises the *effective* weights W_eff = W_EE + W_EI σ(W_IE r + b_I) / r (mean field, r = σ(b_E)),
not the raw excitatory ones — compatible with Dale's law.
Neurons are ordered (e1, e2, i1, i2); W[post, pre].
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..kernels import stdp_window
from ..principle.simulate import lags_nearest
from .sampler import sleep_phase

E1, E2, I1, I2 = range(4)


def ei_parameters(seed: int = 97) -> dict:
    """Interneuron weights and biases drawn as in the paper: six normal draws from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    return {"w_i1e1": rng.normal(4.0, 0.2), "w_i2e2": rng.normal(4.0, 0.2), "w_e2i1": rng.normal(-1.0, 0.1),
            "w_e1i2": rng.normal(-1.0, 0.1), "b_i1": rng.normal(-2.0, 0.2), "b_i2": rng.normal(-2.0, 0.2),
            "b_e": 0.0}


def ei_network(w_e2e1: float, w_e1e2: float, q: dict, pathway: str = "both"):
    """(W, b) of the E-I system. pathway "both": the full system; "e1_to_e2": only e1's pathways onto e2
    (direct and via i1; e2 -> e1 removed); "direct": e1 -> e2 directly only (no inhibitory path)."""
    W = np.zeros((4, 4))
    W[E2, E1], W[E1, E2] = w_e2e1, w_e1e2
    W[I1, E1], W[I2, E2] = q["w_i1e1"], q["w_i2e2"]
    W[E2, I1], W[E1, I2] = q["w_e2i1"], q["w_e1i2"]
    if pathway in ("e1_to_e2", "direct"):
        W[E1, E2] = W[E1, I2] = 0.0
    if pathway == "direct":
        W[E2, I1] = 0.0
    elif pathway not in ("both", "e1_to_e2"):
        raise ValueError(f"pathway must be 'both', 'e1_to_e2' or 'direct', got {pathway!r}")
    b = np.array([q["b_e"], q["b_e"], q["b_i1"], q["b_i2"]])
    return W, b


def effective_offsets(q: dict) -> tuple[float, float]:
    """W_eff - W_EE of the synapses e1 -> e2 and e2 -> e1 (pure shifts): W_EI σ(W_IE r + b_I) / r."""
    r = expit(q["b_e"])
    off_21 = q["w_e2i1"] * expit(q["w_i1e1"] * r + q["b_i1"]) / r
    off_12 = q["w_e1i2"] * expit(q["w_i2e2"] * r + q["b_i2"]) / r
    return float(off_21), float(off_12)


def _free_run(W, b, n_steps, rng, tau):
    ones = np.ones_like(W)
    return sleep_phase(W, b, n_steps, rng, ones, ones, tau=tau, tau_syn=tau, record_steps=n_steps,
                       max_recorded=n_steps * b.size // (tau + 1) + b.size)


def sal_drift(W, b, n_steps, rng, tau=25):
    """SAL drift (dW_e2e1, dW_e1e2) from nearest-neighbour pairs of the excitatory spikes, × τ/T."""
    out = _free_run(W, b, n_steps, rng, tau)
    t, ids = out["spike_time"], out["neuron_id"]
    lags = lags_nearest(t[ids == E1], t[ids == E2])  # t_e2 - t_e1
    k = dict(a_plus=-1.0, a_minus=1.0, tau_plus=tau, tau_minus=tau)
    return (float(stdp_window(lags, **k).sum() * tau / n_steps),
            float(stdp_window(-lags, **k).sum() * tau / n_steps))
