"""STDWI (spike-timing-dependent weight inference, Ahmad et al. 2020), two populations (spec §4).

As in the official fig-7 notebook (dt = 0.25 ms): gated Bernoulli sources (200 Hz, a random 20 % of
them active per 100 ms) drive the input LIF neurons one-to-one with weight 10; the inputs drive the
outputs with weights 75 W. Every synapse carries a double-exponential PSP (τ 10 ms and 3 ms,
amplitude 1/7, cut at 70 ms) that reaches the next neuron one step later. LIF:
v ← v + (dt/20)[-v + (I - v)], spike at 1, reset to -1, no refractory period.
At every output spike i the estimate of row i moves towards the input traces:
B̂_i += 0.02 [(x_fast - x_slow) - 0.1 B̂_i], with x_fast (τ 10 ms, amplitude 1) and x_slow
(τ 200 ms, amplitude 10/200) all-to-all traces of the input spikes. B̂ is in W's (out, in) layout.

Simulated online with exact recursions of the truncated PSPs (the official code precomputes whole
spike trains and convolves them); cost O(neurons + spikes · fan-out) per step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import checks

DT = 0.25  # ms
TAU_MEM = 20.0
TAU_PSP_SLOW, TAU_PSP_FAST = 10.0, 3.0
PSP_STEPS = int(7 * TAU_PSP_SLOW / DT)  # 280: the official filter length
STIM_RATE = 0.2  # spikes per ms
STIM_FRACTION = 0.2
STIM_PERIOD = int(100 / DT)  # steps between re-draws of the active sources
STIM_WEIGHT = 10.0
WEIGHT_SCALE = 75.0
TAU_FAST, TAU_SLOW = 10.0, 200.0
LR = 0.02
DECAY_WEIGHTING = 0.1
SLOTS = PSP_STEPS + 1


@njit(cache=True)
def _lif(v, current):
    """One Euler step of the official LIF (rest 0, reset -1, threshold 1): (new v, spiked)."""
    v += (DT / TAU_MEM) * (-v + (current - v))
    return (-1.0, True) if v >= 1.0 else (v, False)


@njit(cache=True)
def simulate(n_steps, t0, w_rows, b_hat, active, order, stim_ring, stim_psp, v_in, in_ring, out_cur, v_out,
             x_fast, x_slow, rng):
    """Steps t0 .. t0 + n_steps - 1 of the STDWI protocol; updates b_hat (n_out, n_in) in place.

    stim_psp (2, n_in) and out_cur (2, n_out) hold the slow/fast exponential parts of the PSP sums
    (stimulus → inputs, inputs → outputs), stim_ring / in_ring the spikes of the last 281 steps.
    w_rows (n_in, n_out) holds 75 Wᵀ / 7: the rows an input spike adds to the outputs' current.
    """
    n_in, n_out = w_rows.shape
    a_slow, a_fast = math.exp(-DT / TAU_PSP_SLOW), math.exp(-DT / TAU_PSP_FAST)
    drop_slow, drop_fast = a_slow ** PSP_STEPS, a_fast ** PSP_STEPS
    d_fast, d_slow = math.exp(-DT / TAU_FAST), math.exp(-DT / TAU_SLOW)
    amp_slow = TAU_FAST / TAU_SLOW
    p_stim = STIM_RATE * DT
    n_active = int(STIM_FRACTION * n_in)
    for step in range(n_steps):
        t = t0 + step
        slot = t % SLOTS
        old = (t - PSP_STEPS) % SLOTS
        if t % STIM_PERIOD == 0:
            active[:] = False
            for a in range(n_active):
                j = rng.integers(a, n_in)
                order[a], order[j] = order[j], order[a]
                active[order[a]] = True
        for j in range(n_in):  # input neurons see the stimulus PSP of step t - 1
            v_in[j], spiked = _lif(v_in[j], STIM_WEIGHT * (stim_psp[0, j] - stim_psp[1, j])
                                   / (TAU_PSP_SLOW - TAU_PSP_FAST))
            in_ring[slot, j] = spiked
            x_fast[j] = d_fast * x_fast[j] + (1.0 if spiked else 0.0)
            x_slow[j] = d_slow * x_slow[j] + (amp_slow if spiked else 0.0)
        for i in range(n_out):  # outputs see the input PSPs of step t - 1
            v_out[i], spiked = _lif(v_out[i], out_cur[0, i] - out_cur[1, i])
            if spiked:
                row = b_hat[i]
                for j in range(n_in):
                    row[j] += LR * ((x_fast[j] - x_slow[j]) - DECAY_WEIGHTING * row[j])
        for j in range(n_in):  # stimulus spikes of step t and their PSPs (value 0 at lag 0)
            s_new = active[j] and rng.random() < p_stim
            s_old = stim_ring[old, j]
            stim_psp[0, j] = a_slow * stim_psp[0, j] + (1.0 if s_new else 0.0) - (drop_slow if s_old else 0.0)
            stim_psp[1, j] = a_fast * stim_psp[1, j] + (1.0 if s_new else 0.0) - (drop_fast if s_old else 0.0)
            stim_ring[slot, j] = s_new
        for i in range(n_out):  # decay the outputs' current, then add this step's input spikes
            out_cur[0, i] *= a_slow
            out_cur[1, i] *= a_fast
        for j in range(n_in):
            if in_ring[slot, j] or in_ring[old, j]:
                add = (1.0 if in_ring[slot, j] else 0.0)
                row = w_rows[j]
                for i in range(n_out):
                    out_cur[0, i] += row[i] * (add - (drop_slow if in_ring[old, j] else 0.0))
                    out_cur[1, i] += row[i] * (add - (drop_fast if in_ring[old, j] else 0.0))


class STDWI:
    """The STDWI estimator B̂ of fixed weights W (n_out, n_in); state carried across ``run`` calls."""

    def __init__(self, n_in, n_out, *, rng):
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        self.n_in, self.n_out = checks.integer("n_in", n_in, ge=1), checks.integer("n_out", n_out, ge=1)
        self.rng = rng
        self.active = np.zeros(self.n_in, dtype=np.bool_)
        self.order = np.arange(self.n_in)
        self.stim_ring = np.zeros((SLOTS, self.n_in), dtype=np.bool_)
        self.stim_psp = np.zeros((2, self.n_in))
        self.v_in = np.zeros(self.n_in)
        self.in_ring = np.zeros((SLOTS, self.n_in), dtype=np.bool_)
        self.out_cur = np.zeros((2, self.n_out))
        self.v_out = np.zeros(self.n_out)
        self.x_fast = np.zeros(self.n_in)
        self.x_slow = np.zeros(self.n_in)
        self.t = 0

    def run(self, W, B_hat, seconds: float) -> None:
        """Continue the protocol for ``seconds`` with input → output weights 75 W; B_hat updated in place."""
        W = np.asarray(W, dtype=np.float64)
        if W.shape != (self.n_out, self.n_in) or B_hat.shape != W.shape:
            raise ValueError(f"W and B_hat must have shape {(self.n_out, self.n_in)}")
        w_rows = np.ascontiguousarray(WEIGHT_SCALE * W.T / (TAU_PSP_SLOW - TAU_PSP_FAST))
        n_steps = int(round(seconds * 1e3 / DT))
        work = np.ascontiguousarray(B_hat, dtype=np.float64)
        simulate(n_steps, self.t, w_rows, work, self.active, self.order, self.stim_ring, self.stim_psp, self.v_in,
                 self.in_ring, self.out_cur, self.v_out, self.x_fast, self.x_slow, self.rng)
        if work is not B_hat:
            B_hat[...] = work
        self.t += n_steps
