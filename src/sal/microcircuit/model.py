"""The spiking cortical microcircuit (spec microcircuit §1-3) as one compiled loop over patterns and steps.

Populations and neuron ids, in the order in which every step draws its uniform numbers: input
(0 .. n0-1), hidden pyramidal, interneuron (one per output neuron), output pyramidal. Each neuron is a
discrete-time neural-sampling unit: it spikes if U < phi(u of the previous step) and its last spike is
at least tau_ref steps back; its PSP is rectangular (tau_syn steps, from the spike's own step), so with
tau_syn = tau_ref it contributes its sampling state z in {0, 1}.

Step order (as the official code): spikes -> potentials (hidden, interneuron, output; then the
2000-step sliding means) -> forward (Urbanczik-Senn) plasticity, copy of B for BP and the
self-predicting state -> SAL STDP of B (symmetrization patterns only) -> recording.
The state (spike times, potentials, sliding means, weights, clock) is never reset between patterns.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .params import matrix, validate

NEVER = -(2**40)  # last spike of a neuron that has not fired yet
TRAINING, SYMMETRIZATION, VALIDATION = 0, 1, 2  # pattern phases
BP, FA, SAL = 0, 1, 2  # feedback: weight transport, fixed random B, spike-based alignment learning
FEEDBACK = {"bp": BP, "fa": FA, "sal": SAL}


@njit(cache=True)
def _phi(u, log_tau_ref):
    """Hazard of a neural-sampling neuron, 1 / (1 + tau_ref exp(-u)), written as the official logistic."""
    return 1.0 / (1.0 + np.exp(log_tau_ref - u))


@njit(cache=True)
def _present(x, y, nudged, phase, steps, lag, feedback,
             w10, w21, b, w_ip, w_pi,
             last, u, ring, ring_sum, clock,
             tau_ref, tau_syn, bias_h, bias_o, lambda_api, lambda_nudge, lr_w10, lr_w21, lr_b,
             a_causal, a_anticausal, tau_causal, tau_anticausal, rng,
             rec_w10, rec_w21, rec_b, rec_w_ip, rec_w_pi, rec_mean, rec_u_out, rec_count,
             raster_on, raster_t, raster_id, raster_n):
    """Present patterns p = 0 .. P-1 (input x[p], target y[p] if nudged[p]) for ``steps`` steps each.

    Weights and state arrays are updated in place; per-pattern records go to the rec_* arrays and the
    spikes of patterns with raster_on[p] to raster_t/raster_id (raster_n[0] entries used so far).
    Sliding means: ring buffer of the last ``window`` values (slot 0 starts as the initial 0) with
    running sums that are recomputed exactly at every wrap, so no rounding drift accumulates.
    """
    n1, n0 = w10.shape
    n2 = w21.shape[0]
    n_neurons = last.shape[0]
    i_h, i_i, i_o = n0, n0 + n1, n0 + n1 + n2
    c_uh, c_vh, c_uo, c_vo = 0, n1, 2 * n1, 2 * n1 + n2  # sliding-mean columns
    window, n_cols = ring.shape
    log_tau = np.log(tau_ref)
    capacity = raster_t.shape[0]
    z = np.zeros(n_neurons)
    row = np.zeros(n_cols)
    v_api = np.zeros(n1)
    d_h = np.zeros(n1)
    d_o = np.zeros(n2)
    sums = np.zeros(rec_mean.shape[1])  # u_h, v_api, u_i, u_o over the pattern
    sum_out = np.zeros(n2)  # u_o after the learning lag

    for p in range(x.shape[0]):
        symm = phase[p] == SYMMETRIZATION
        lam = 1.0 if symm else lambda_api
        if symm:  # interneuron pathway off during symmetrization
            w_ip[:, :] = 0.0
            w_pi[:, :] = 0.0
        forward_on = phase[p] == TRAINING and nudged[p]
        stdp_on = symm and feedback == SAL
        sums[:] = 0.0
        sum_out[:] = 0.0
        for s in range(steps):
            t = clock[0]
            # --- spikes from the previous step's potentials (every neuron draws, refractory or not)
            for i in range(n_neurons):
                r = rng.random()
                if t - last[i] >= tau_ref and r < _phi(u[i], log_tau):
                    last[i] = t
                    rec_count[p, i] += 1
                    if raster_on[p] and raster_n[0] < capacity:
                        raster_t[raster_n[0]] = t
                        raster_id[raster_n[0]] = i
                        raster_n[0] += 1
            for i in range(n_neurons):
                z[i] = 1.0 if t - last[i] < tau_syn else 0.0
            # --- potentials
            count = clock[2]
            for k in range(n0):
                u[k] = x[p, k]
            for a in range(n1):
                v_bas = 0.0
                for k in range(n0):
                    v_bas += w10[a, k] * z[k]
                top_down = 0.0
                lateral = 0.0
                for c in range(n2):
                    top_down += b[a, c] * z[i_o + c]
                    lateral += w_pi[a, c] * z[i_i + c]
                v_api[a] = top_down + lateral
                u[i_h + a] = bias_h + v_bas + lam * v_api[a]
                row[c_uh + a] = u[i_h + a]
                row[c_vh + a] = v_bas
            for c in range(n2):
                v_inn = 0.0
                v_bas = 0.0
                for a in range(n1):
                    v_inn += w_ip[c, a] * z[i_h + a]
                    v_bas += w21[c, a] * z[i_h + a]
                u[i_i + c] = bias_o + v_inn
                if nudged[p]:  # the nudge uses the sliding mean before this step
                    v_nudge = y[p, c] - ring_sum[c_vo + c] / count - bias_o
                    u[i_o + c] = bias_o + v_bas + lambda_nudge * v_nudge
                else:
                    u[i_o + c] = bias_o + v_bas
                row[c_uo + c] = u[i_o + c]
                row[c_vo + c] = v_bas
            # --- sliding means over the last `window` steps
            pos = clock[1]
            if count < window:
                count += 1
            else:
                for j in range(n_cols):
                    ring_sum[j] -= ring[pos, j]
            for j in range(n_cols):
                ring[pos, j] = row[j]
                ring_sum[j] += row[j]
            pos += 1
            if pos == window:
                pos = 0
                ring_sum[:] = 0.0
                for r_ in range(window):
                    for j in range(n_cols):
                        ring_sum[j] += ring[r_, j]
            clock[1] = pos
            clock[2] = count
            # --- forward plasticity (presynaptic factor: spike in the previous step)
            if forward_on and s >= lag:
                w21_changed = False
                computed = False
                for k in range(n0):
                    if last[k] == t - 1:
                        if not computed:
                            for a in range(n1):
                                d_h[a] = (_phi(ring_sum[c_uh + a] / count, log_tau)
                                          - _phi(ring_sum[c_vh + a] / count + bias_h, log_tau))
                            computed = True
                        for a in range(n1):
                            w10[a, k] += lr_w10 * d_h[a]
                for a in range(n1):
                    if last[i_h + a] == t - 1:
                        if not w21_changed:
                            for c in range(n2):
                                d_o[c] = (_phi(ring_sum[c_uo + c] / count, log_tau)
                                          - _phi(ring_sum[c_vo + c] / count + bias_o, log_tau))
                            w21_changed = True
                        for c in range(n2):
                            w21[c, a] += lr_w21 * d_o[c]
                if w21_changed:  # BP weight transport, then the self-predicting state
                    for a in range(n1):
                        for c in range(n2):
                            if feedback == BP:
                                b[a, c] = w21[c, a]
                            w_ip[c, a] = w21[c, a]
                            w_pi[a, c] = -b[a, c]
            # --- SAL: nearest-neighbour STDP of B (post = hidden a, pre = output c); same-step pairs ignored
            if stdp_on:
                for a in range(n1):
                    if last[i_h + a] == t:
                        for c in range(n2):
                            if last[i_o + c] != t:
                                b[a, c] += lr_b * (a_causal * np.exp(-(t - last[i_o + c]) / tau_causal))
                for c in range(n2):
                    if last[i_o + c] == t:
                        for a in range(n1):
                            if last[i_h + a] != t:
                                b[a, c] += lr_b * (a_anticausal * np.exp(-(t - last[i_h + a]) / tau_anticausal))
            # --- recording
            for a in range(n1):
                sums[a] += u[i_h + a]
                sums[n1 + a] += v_api[a]
            for c in range(n2):
                sums[2 * n1 + c] += u[i_i + c]
                sums[2 * n1 + n2 + c] += u[i_o + c]
                if s >= lag:
                    sum_out[c] += u[i_o + c]
            clock[0] = t + 1
        if symm:  # re-impose the self-predicting state with the new B
            for a in range(n1):
                for c in range(n2):
                    w_ip[c, a] = w21[c, a]
                    w_pi[a, c] = -b[a, c]
        for j in range(sums.shape[0]):
            rec_mean[p, j] = sums[j] / steps
        for c in range(n2):
            rec_u_out[p, c] = sum_out[c] / (steps - lag)
        rec_w10[p] = w10
        rec_w21[p] = w21
        rec_b[p] = b
        rec_w_ip[p] = w_ip
        rec_w_pi[p] = w_pi


class Microcircuit:
    """State of one circuit (weights, spike times, potentials, sliding means, clock) and its parameters.

    ``present`` advances the circuit through a sequence of patterns in one compiled call; state carries
    over between calls exactly as between patterns. Weights are numbers (filled) or matrices W10 (n1, n0),
    W21 (n2, n1), B (n1, n2); ``feedback`` ("bp", "fa", "sal") defaults to the params' condition;
    spiking noise comes only from ``rng``.
    """

    def __init__(self, params: dict, weights: dict, rng: np.random.Generator, feedback: str | None = None):
        self.p = params = validate(params)
        n0, n1, n2 = (int(d) for d in params["dims"])
        self.dims = (n0, n1, n2)
        self.feedback = FEEDBACK[params["condition"] if feedback is None else feedback]
        self.w10 = matrix(weights["W10"], (n1, n0), "W10")
        self.w21 = matrix(weights["W21"], (n2, n1), "W21")
        self.b = matrix(weights["B"], (n1, n2), "B")
        if self.feedback == BP:
            self.b[:] = self.w21.T
        self.w_ip = self.w21.copy()  # self-predicting state
        self.w_pi = -self.b
        n_neurons = n0 + n1 + 2 * n2
        self.last = np.full(n_neurons, NEVER, dtype=np.int64)
        self.u = np.zeros(n_neurons)
        window = int(params["moving_average_steps"])
        self.ring = np.zeros((window, 2 * (n1 + n2)))  # slot 0 holds the initial value 0
        self.ring_sum = np.zeros(2 * (n1 + n2))
        self.clock = np.array([0, 1 % window, 1], dtype=np.int64)  # step t, ring position, ring fill
        self.rng = rng

    def weights(self) -> dict:
        """Copies of the current weights W10, W21, B and interneuron weights W_IP, W_PI."""
        return {"W10": self.w10.copy(), "W21": self.w21.copy(), "B": self.b.copy(),
                "W_IP": self.w_ip.copy(), "W_PI": self.w_pi.copy()}

    def present(self, x, y, nudged, phase, steps: int, raster=None) -> dict:
        """Present P patterns for ``steps`` steps each; return per-pattern records.

        x: (P, n0) input potentials; y: (P, n2) targets (used where ``nudged``); phase: TRAINING,
        SYMMETRIZATION or VALIDATION per pattern; raster: bool per pattern, record its spikes.
        """
        n0, n1, n2 = self.dims
        # writable C-contiguous copies: one compiled specialisation for every caller
        x = np.array(x, dtype=np.float64).reshape(-1, n0)
        n_pat = x.shape[0]
        y = np.array(np.broadcast_to(np.asarray(y, dtype=np.float64), (n_pat, n2)))
        nudged = np.array(np.broadcast_to(np.asarray(nudged, dtype=np.bool_), (n_pat,)))
        phase = np.array(np.broadcast_to(np.asarray(phase, dtype=np.int64), (n_pat,)))
        raster = np.array(np.broadcast_to(np.asarray(False if raster is None else raster, dtype=np.bool_), (n_pat,)))
        lag = int(self.p["learning_lag"])
        steps = int(steps)
        if not 0 <= lag < steps:
            raise ValueError(f"learning_lag = {lag} must be < steps per pattern = {steps}")
        n_neurons = self.last.size
        capacity = int(raster.sum()) * n_neurons * (steps // int(self.p["tau_ref"]) + 1)
        rec = {
            "W10": np.empty((n_pat, n1, n0)), "W21": np.empty((n_pat, n2, n1)), "B": np.empty((n_pat, n1, n2)),
            "W_IP": np.empty((n_pat, n2, n1)), "W_PI": np.empty((n_pat, n1, n2)),
            "mean": np.empty((n_pat, 2 * n1 + 2 * n2)), "u_output_after_lag": np.empty((n_pat, n2)),
            "spike_count": np.zeros((n_pat, n_neurons), dtype=np.int64),
        }
        raster_t = np.empty(capacity, dtype=np.int64)
        raster_id = np.empty(capacity, dtype=np.int32)
        raster_n = np.zeros(1, dtype=np.int64)
        p = self.p
        _present(x, y, nudged, phase, steps, lag, self.feedback,
                 self.w10, self.w21, self.b, self.w_ip, self.w_pi,
                 self.last, self.u, self.ring, self.ring_sum, self.clock,
                 int(p["tau_ref"]), int(p["tau_syn"]), float(p["bias_hidden"]), float(p["bias_output"]),
                 float(p["lambda_api"]), float(p["lambda_nudge"]),
                 float(p["lr_w10"]), float(p["lr_w21"]), float(p["lr_b"]),
                 float(p["stdp_a_causal"]), float(p["stdp_a_anticausal"]),
                 float(p["stdp_tau_causal"]), float(p["stdp_tau_anticausal"]), self.rng,
                 rec["W10"], rec["W21"], rec["B"], rec["W_IP"], rec["W_PI"], rec["mean"],
                 rec["u_output_after_lag"], rec["spike_count"], raster, raster_t, raster_id, raster_n)
        mean = rec.pop("mean")
        rec["u_hidden"] = mean[:, :n1]
        rec["v_apical"] = mean[:, n1:2 * n1]
        rec["u_interneuron"] = mean[:, 2 * n1:2 * n1 + n2]
        rec["u_output"] = mean[:, 2 * n1 + n2:]
        rec["raster_time"] = raster_t[: raster_n[0]]
        rec["raster_neuron"] = raster_id[: raster_n[0]]
        return rec
