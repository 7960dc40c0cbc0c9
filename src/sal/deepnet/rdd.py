"""RDD feedback learning (Guerguiev, Kording & Richards 2020) as in the official code (spec §3).

Two-compartment LIF layers with the FC sizes, dt = 1 ms: v ← v + dt[-g_L v + g_D (I - v)] with
g_L = 100/s, g_D = 600/s, spike at 1, reset -1, 3 refractory steps. Inputs are PSP sums
p(t) = Σ_{k<30} s(t - k) κ(k + 1), κ(k) = (e^{-k/10} - e^{-k/3}) / 7. A driven layer gets I = 4 p of
Poisson drive (0.2 per step to a random 20 % of its neurons, re-chosen every 100 steps) and ignores
its bottom-up input; the layers above get I = W̃ p of the layer below, W̃ = 0.2 n_in W / std(W).
Layers are updated in order 0 → L-1 within a step (a layer sees the lower layer's spikes of the same
step and the upper layer's of the previous step).

Each neuron i of a layer with feedback opens a 30-step window whenever its drive u (the voltage
without resets) comes within 0.1 of threshold. At the window's end the driven layer regresses
y_ij = mean of the upper PSP q_j over the window minus q_j just before it, against the window's
max u, with one linear fit for windows with and one for windows without a spike (online, lr 0.001);
β_ij = the jump between the fits at threshold ∝ W_ji. Every 10 s: B = β σ_B / std(β) where β ≠ 0.

Event-driven: κ is a difference of exponentials cut at 30 steps, so every PSP and input current
follows an exact two-term recursion that adds a weight row per spike and removes it 30 steps later;
the window sums of q come from prefix sums. Cost is O(spikes · fan-out + neurons) per step.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import checks

DT = 1e-3  # s
G_L = 0.1 / DT
G_D = 0.6 / DT
THRESHOLD = 1.0
V_RESET = -1.0
REFRACTORY = 3  # steps
MEM = 30  # PSP history (steps)
DECAY_L = math.exp(-1.0 / 10.0)  # τ_L = 10 ms
DECAY_S = math.exp(-1.0 / 3.0)  # τ_s = 3 ms
KAPPA_NORM = 10.0 - 3.0
DROP_L = DECAY_L ** (MEM + 1)  # weight with which s(t - 30) leaves the recursions
DROP_S = DECAY_S ** (MEM + 1)
WINDOW = 30  # RDD integration window (steps)
INIT_WINDOW = 0.1  # a window opens when |1 - u| <= 0.1
U_WINDOW = 10.0  # windows with |max u - 1| <= 10 enter the regression
ETA = 1e-3
ALPHA = 4.0  # drive gain
DRIVE_RATE = 0.2  # Poisson spikes per step
DRIVE_FRACTION = 0.2
RESAMPLE_STEPS = 100
SLOTS = MEM + 1


@njit(cache=True)
def _advance_psp(fa, fb, k, new, old):
    """One step of Σ_{k<30} κ(k + 1) s(t - k) as (F_L - F_S) / 7: decay, add s(t), drop s(t - 30)."""
    fa[k] = DECAY_L * (fa[k] + new) - DROP_L * old
    fb[k] = DECAY_S * (fb[k] + new) - DROP_S * old


@njit(cache=True)
def _estimate(row, m, mu, spiked, s_now, s_start, r_pre, c0, c1, c2, c3, beta):
    """Online regression at the end of a window (official ``update_RDD_estimate``); row: the neuron's
    block row, s_now - s_start: the sums of the upper PSPs over the window."""
    if abs(mu - THRESHOLD) > U_WINDOW:
        return
    for j in range(m):
        y = (s_now[j] - s_start[j]) / WINDOW - r_pre[row + j]
        if spiked:
            err = c2[row + j] * mu + c0[row + j] - y
            c2[row + j] -= ETA * err * mu
            c0[row + j] -= ETA * err
        else:
            err = c3[row + j] * mu + c1[row + j] - y
            c3[row + j] -= ETA * err * mu
            c1[row + j] -= ETA * err
        beta[row + j] = (c2[row + j] * THRESHOLD + c0[row + j]) - (c3[row + j] * THRESHOLD + c1[row + j])


@njit(cache=True)
def simulate(n_steps, t0, driven, sizes, offsets, blk_off, w_ff, v, u, refr, spike_ring, psp_l, psp_s,
             cur_ring, cur_l, cur_s, drive_ring, drv_l, drv_s, active, perm, window_left, window_spikes, max_u,
             q_sum, q_sum_ring, r_pre, c0, c1, c2, c3, beta, spike_count, rng):
    """Steps t0 .. t0 + n_steps - 1 (t counts from the last reset) with layer ``driven`` driven.

    Neuron-wise state over all layers (flat, ``offsets``): v, u, refr, window_left, window_spikes,
    max_u; own PSP recursions psp_l/psp_s with the spikes of the last 31 steps in spike_ring; input
    current recursions cur_l/cur_s with the summed weight rows per step in cur_ring; drive counts,
    their PSP recursions, the active drive set; prefix sums of the upper PSPs q (q_sum, per step in
    q_sum_ring). Per layer pair (blocks at ``blk_off``, rows = lower neuron): W̃ᵀ rows w_ff, the
    regression state r_pre, c0..c3 and β. Only the driven layer updates its regression.
    """
    n_layers = sizes.shape[0]
    d_lo = offsets[driven]
    n_drv = sizes[driven]
    n_active = int(DRIVE_FRACTION * n_drv)
    act, order = active[d_lo: d_lo + n_drv], perm[d_lo: d_lo + n_drv]
    dl, ds = drv_l[d_lo: d_lo + n_drv], drv_s[d_lo: d_lo + n_drv]
    for step in range(n_steps):
        t = t0 + step
        slot = t % SLOTS
        old = (t - MEM) % SLOTS  # the step whose contribution leaves the 30-step history
        start_slot = (t - WINDOW) % SLOTS
        if (t + 1) % RESAMPLE_STEPS == 0:  # a new random 20 % of the driven layer is active
            act[:] = False
            for a in range(n_active):
                j = rng.integers(a, n_drv)
                order[a], order[j] = order[j], order[a]
                act[order[a]] = True
        d_new, d_old = drive_ring[slot, d_lo: d_lo + n_drv], drive_ring[old, d_lo: d_lo + n_drv]
        for i in range(n_drv):
            d_new[i] = rng.poisson(DRIVE_RATE) if act[i] else 0
            _advance_psp(dl, ds, i, d_new[i], d_old[i])
        for layer in range(n_layers):
            lo = offsets[layer]
            n = sizes[layer]
            vv, uu, rr = v[lo: lo + n], u[lo: lo + n], refr[lo: lo + n]
            fired, fired_old = spike_ring[slot, lo: lo + n], spike_ring[old, lo: lo + n]
            if layer > 0:  # bottom-up current W̃ p_{l-1}: rows of this step's spikes in the layer below
                below = spike_ring[slot, offsets[layer - 1]: lo]
                cur, cur_old = cur_ring[slot, lo: lo + n], cur_ring[old, lo: lo + n]
                cl, cs = cur_l[lo: lo + n], cur_s[lo: lo + n]
                cur[:] = 0.0
                for j in range(below.shape[0]):
                    if below[j]:
                        row = w_ff[blk_off[layer - 1] + j * n: blk_off[layer - 1] + (j + 1) * n]
                        for i in range(n):
                            cur[i] += row[i]
                for i in range(n):
                    _advance_psp(cl, cs, i, cur[i], cur_old[i])
            if layer < n_layers - 1:  # max u over the window, from u before this step's update
                wl, ws, mu = window_left[lo: lo + n], window_spikes[lo: lo + n], max_u[lo: lo + n]
                for i in range(n):
                    if wl[i] > 0 and uu[i] > mu[i]:
                        mu[i] = uu[i]
            for i in range(n):
                if rr[i] > 0:
                    rr[i] -= 1
            for i in range(n):  # the basal input: the drive, the layer below's PSPs, or nothing
                if layer == driven:
                    drive = ALPHA * (dl[i] - ds[i]) / KAPPA_NORM
                elif layer > 0:
                    drive = (cl[i] - cs[i]) / KAPPA_NORM
                else:
                    drive = 0.0
                vv[i] += DT * (-G_L * vv[i] + G_D * (drive - vv[i]))
                fired[i] = vv[i] >= THRESHOLD and rr[i] == 0
                if layer < n_layers - 1:
                    uu[i] += DT * (-G_L * uu[i] + G_D * (drive - uu[i]))
            for i in range(n):
                if fired[i]:
                    vv[i] = V_RESET
                    rr[i] = REFRACTORY
                    spike_count[lo + i] += 1
            if layer < n_layers - 1:
                up = offsets[layer + 1]
                m = sizes[layer + 1]
                q_l, q_s = psp_l[up: up + m], psp_s[up: up + m]  # the upper layer's PSPs, still of step t - 1
                qs = q_sum[up: up + m]
                qs_now, qs_start = q_sum_ring[slot, up: up + m], q_sum_ring[start_slot, up: up + m]
                for j in range(m):
                    qs[j] += (q_l[j] - q_s[j]) / KAPPA_NORM
                    qs_now[j] = qs[j]
                for i in range(n):
                    ending = wl[i] == 1
                    in_window = wl[i] > 0
                    row = blk_off[layer] + i * m
                    if ending and layer == driven:
                        _estimate(row, m, mu[i], ws[i] >= 1, qs_now, qs_start, r_pre, c0, c1, c2, c3, beta)
                    if in_window:
                        wl[i] -= 1
                    if wl[i] == 0:
                        uu[i] = vv[i]
                        if abs(THRESHOLD - uu[i]) <= INIT_WINDOW:
                            wl[i] = WINDOW
                            if not in_window:  # q just before the window (kept for back-to-back windows)
                                for j in range(m):
                                    r_pre[row + j] = (q_l[j] - q_s[j]) / KAPPA_NORM
                    if wl[i] > 0 and fired[i]:
                        ws[i] += 1
                    if ending:
                        ws[i] = 0
                        mu[i] = 0.0
            pl, ps = psp_l[lo: lo + n], psp_s[lo: lo + n]
            for i in range(n):  # own PSP including this step's spikes
                _advance_psp(pl, ps, i, 1.0 if fired[i] else 0.0, 1.0 if fired_old[i] else 0.0)


class RDDPhase:
    """The RDD phase of a stack of FC layers (spec §3), regression state carried across calls.

    ``run(W_list, b_list, B_list)`` is one training epoch's phase: the spiking state is reset,
    layers 0 .. L-2 are driven in turn for ``epoch_seconds / (L - 1)`` each, and every
    ``update_seconds`` of the epoch B = β σ_B / std(β) (where β ≠ 0) is written into B_list in place
    (σ_B: std of the B first seen). ``drive(layer, seconds, W_list, B_list)`` continues the
    simulation without a reset (the two-population run of fig 7). Biases are not used (as
    officially). ``update_seconds=None`` never updates B (the official fig-7 notebook's bug: its update
    counter restarts every simulated second and cannot reach 10 s).
    """

    def __init__(self, sizes, *, rng, epoch_seconds=90.0, update_seconds=10.0):
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        checks.number("epoch_seconds", epoch_seconds, gt=0)
        if update_seconds is not None:  # None: no updates
            checks.number("update_seconds", update_seconds, gt=0)
        self.sizes = np.array(sizes, dtype=np.int64)
        self.rng = rng
        self.epoch_steps = int(round(epoch_seconds / DT))
        if self.epoch_steps % (len(sizes) - 1):
            raise ValueError(f"epoch_seconds={epoch_seconds} cannot be split evenly over {len(sizes) - 1} layers")
        self.update_steps = None if update_seconds is None else int(round(update_seconds / DT))
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        blocks = self.sizes[:-1] * self.sizes[1:]
        self.blk_off = np.concatenate([[0], np.cumsum(blocks)]).astype(np.int64)
        n_total, n_blk = int(self.offsets[-1]), int(blocks.sum())
        self.w_ff = np.zeros(n_blk)
        self.c = np.zeros((4, n_blk))  # regression coefficients: intercepts/slopes with and without spike
        self.beta = np.zeros(n_blk)
        self.r_pre = np.zeros(n_blk)
        self.sigma_b = None
        self.perm = np.concatenate([np.arange(n) for n in sizes]).astype(np.int64)
        self.spike_count = np.zeros(n_total, dtype=np.int64)  # spikes per neuron since construction
        self._n_total = n_total
        self.reset()

    def reset(self) -> None:
        """Official ``rdd_net.reset()``: fresh spiking state and drive; regression state is kept."""
        n = self._n_total
        self.v = np.full(n, V_RESET)
        self.u = np.full(n, V_RESET)
        self.refr = np.zeros(n, dtype=np.int64)
        self.spike_ring = np.zeros((SLOTS, n), dtype=np.bool_)
        self.psp = np.zeros((2, n))
        self.cur_ring = np.zeros((SLOTS, n))
        self.cur = np.zeros((2, n))
        self.drive_ring = np.zeros((SLOTS, n), dtype=np.int64)
        self.drv = np.zeros((2, n))
        self.active = np.zeros(n, dtype=np.bool_)
        self.window_left = np.zeros(n, dtype=np.int64)
        self.window_spikes = np.zeros(n, dtype=np.int64)
        self.max_u = np.zeros(n)
        self.q_sum = np.zeros(n)
        self.q_sum_ring = np.zeros((SLOTS, n))
        self.r_pre[:] = 0.0
        self.t = 0
        self.driven = -1

    def _load(self, W_list, B_list):
        n = len(self.sizes) - 1
        if not (len(W_list) == len(B_list) == n):
            raise ValueError(f"expected {n} weight and feedback matrices")
        for k in range(n):
            shape = (int(self.sizes[k + 1]), int(self.sizes[k]))
            if np.shape(W_list[k]) != shape or np.shape(B_list[k]) != shape:
                raise ValueError(f"fc{k + 1}: W and B must have shape {shape}")
            W = np.asarray(W_list[k], dtype=np.float64)
            self.w_ff[self.blk_off[k]: self.blk_off[k + 1]] = (0.2 * shape[1] * W / W.std()).T.ravel()
        if self.sigma_b is None:
            self.sigma_b = [float(np.std(B)) for B in B_list]

    def update_feedback(self, B_list) -> None:
        """B = β σ_B / std(β) on the entries with β ≠ 0 (official ``update_fb_weights``)."""
        for k, B in enumerate(B_list):
            beta = self.beta[self.blk_off[k]: self.blk_off[k + 1]].reshape(B.shape[1], B.shape[0]).T
            mask = beta != 0
            if mask.sum() > 1 and beta[mask].std() > 0:
                B[mask] = beta[mask] * self.sigma_b[k] / beta[mask].std()

    def beta_matrix(self, k: int) -> np.ndarray:
        """Current β of fc_{k+1} in W's (out, in) layout (its entries are ∝ W_list[k])."""
        n_in, n_out = int(self.sizes[k]), int(self.sizes[k + 1])
        return self.beta[self.blk_off[k]: self.blk_off[k + 1]].reshape(n_in, n_out).T.copy()

    def drive(self, layer: int, seconds: float, W_list, B_list) -> None:
        """Continue the simulation for ``seconds`` with ``layer`` driven; B updated on the update clock."""
        if not 0 <= layer < len(self.sizes) - 1:
            raise ValueError(f"only layers 0..{len(self.sizes) - 2} have feedback weights, got {layer}")
        self._load(W_list, B_list)
        if layer != self.driven:  # a layer's drive history starts empty when its drive begins
            lo, hi = self.offsets[layer], self.offsets[layer + 1]
            self.drive_ring[:, lo:hi] = 0
            self.drv[:, lo:hi] = 0.0
            self.active[lo:hi] = False
            k = int(DRIVE_FRACTION * self.sizes[layer])
            self.active[lo + self.rng.choice(int(self.sizes[layer]), k, replace=False)] = True
            self.driven = layer
        remaining = int(round(seconds / DT))
        while remaining > 0:
            chunk = remaining
            if self.update_steps is not None:
                chunk = min(chunk, self.update_steps - self.t % self.update_steps)
            simulate(chunk, self.t, layer, self.sizes, self.offsets, self.blk_off, self.w_ff, self.v, self.u,
                     self.refr, self.spike_ring, self.psp[0], self.psp[1], self.cur_ring, self.cur[0], self.cur[1],
                     self.drive_ring, self.drv[0], self.drv[1], self.active, self.perm, self.window_left,
                     self.window_spikes, self.max_u, self.q_sum, self.q_sum_ring, self.r_pre, self.c[0], self.c[1],
                     self.c[2], self.c[3], self.beta, self.spike_count, self.rng)
            self.t += chunk
            remaining -= chunk
            if self.update_steps is not None and self.t % self.update_steps == 0:
                self.update_feedback(B_list)

    def run(self, W_list, b_list, B_list) -> None:
        """One epoch's RDD phase: reset, then layers 0 .. L-2 driven in turn; B_list updated in place."""
        self.reset()
        seconds = self.epoch_steps * DT / (len(self.sizes) - 1)
        for layer in range(len(self.sizes) - 1):
            self.drive(layer, seconds, W_list, B_list)


def two_population(W, B, *, seconds, rng, update_seconds=10.0, record_seconds=1.0):
    """Fig 7's RDD run: the lower of two populations is driven for ``seconds``; returns B over time.

    W (n_out, n_in) is fixed; B (same shape) starts at the given matrix. Returns (times, B_t) with
    B_t[k] = B after k · record_seconds (k = 0 .. seconds / record_seconds).
    """
    W = checks.array("W", W, ndim=2)
    B = np.array(checks.array("B", B, shape=W.shape))
    checks.number("seconds", seconds, gt=0)
    checks.number("record_seconds", record_seconds, gt=0)
    phase = RDDPhase([W.shape[1], W.shape[0]], rng=rng, update_seconds=update_seconds)
    n_rec = int(round(seconds / record_seconds))
    out = np.empty((n_rec + 1,) + B.shape)
    out[0] = B
    for k in range(n_rec):
        phase.drive(0, record_seconds, [W], [B])
        out[k + 1] = B
    return np.arange(n_rec + 1) * record_seconds, out
