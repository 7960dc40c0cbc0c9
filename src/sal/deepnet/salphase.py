"""The SAL sleep phase: a data-free spiking copy of the FC stack aligns the feedback matrices (spec §2).

Layers l = 0..L-1 of Bernoulli neurons with a rectangular PSP of ``tau_ref`` steps; ``batch``
independent copies share the weights. The fc convention is kept: ``W_list[k]`` and ``B_list[k]`` are
the (out, in) matrices of fc_{k+1}, so the spiking layer l receives W_list[l-1] z_{l-1} bottom-up and
B_list[l]ᵀ z_{l+1} top-down, plus its bias (b_list[l-1]; layer 0 gets a random b_0 drawn once).
Per step: spike iff ξ < σ(u - ln τ) and the neuron is not refractory, then pair STDP with 20-step
exponential traces, A_l += -s_l x_{l+1}ᵀ + x_l s_{l+1}ᵀ (pre before post depresses the feedback
weight, post before pre potentiates), whose drift is ∝ W - B. Every block B += η Aᵀ / (batch · 20).

The kernel is event-driven: with rectangular PSPs, u(t + 1) = u(t) + D(t) - D(t - τ), where D(s) is
the sum of the outgoing weight rows of the neurons that spiked in step s (kept for τ + 1 steps). Each
spike thus costs one weight row for the potentials and one accumulator row for STDP (the traces of a
neuron follow from its last two spike times), instead of the dense matrix-vector products of the
official PyTorch phase (0.77 s per step); rows are processed neuron by neuron over the copies that
spiked, so each is fetched once per step. Weights and STDP sums are float32 (as officially).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import checks
from ..metrics import angle

NEVER = -(2**40)
STEP_SECONDS = 1e-3  # simulated time of one step of one copy of the network (the official convention)


def simulated_seconds(steps: int, batch: int) -> float:
    """Simulated time of ``steps`` steps of ``batch`` parallel copies (``STEP_SECONDS`` per copy-step): the time
    axis of figs 8 and 9."""
    return steps * batch * STEP_SECONDS


@njit(cache=True)
def _add_row(dst, d0, src, s0, n):
    """dst[d0 : d0 + n] += src[s0 : s0 + n] (on views, so that the loop vectorizes)."""
    d = dst[d0: d0 + n]
    r = src[s0: s0 + n]
    for k in range(n):
        d[k] += r[k]


@njit(cache=True)
def _add_rows_of_spikes(dst, spikes, n_spk, layer_of, sizes, offsets, blk_off, up_w, down_b):
    """dst += the output rows of every spiking neuron: its W_lᵀ row into layer l + 1 and its B_{l-1} row
    (a column of the spiking top-down matrix) into layer l - 1."""
    n_layers = sizes.shape[0]
    for s in range(n_spk):
        g = spikes[s]
        layer = layer_of[g]
        i = g - offsets[layer]
        if layer < n_layers - 1:
            n = sizes[layer + 1]
            _add_row(dst, offsets[layer + 1], up_w, blk_off[layer] + i * n, n)
        if layer > 0:
            n = sizes[layer - 1]
            _add_row(dst, offsets[layer - 1], down_b, blk_off[layer - 1] + i * n, n)


@njit(cache=True)
def recompute_potentials(t, sizes, offsets, layer_of, blk_off, up_w, down_b, bias, ring, ring_count, tau_ref,
                         delta, u):
    """Rebuild the input increments D(s) of the last τ steps and u(t) = bias + Σ_{s=t-τ}^{t-1} D(s).

    Needed whenever the weights changed: D(s) holds the summed weight rows of the spikes of step s.
    """
    batch, n_total = u.shape
    slots = ring.shape[0]
    for c in range(batch):
        for g in range(n_total):
            u[c, g] = bias[g]
        for s in range(t - tau_ref, t):
            d = delta[s % slots, c]
            d[:] = 0.0
            if s >= 0:
                _add_rows_of_spikes(d, ring[s % slots, c], ring_count[s % slots, c], layer_of, sizes, offsets,
                                    blk_off, up_w, down_b)
            for g in range(n_total):
                u[c, g] += d[g]


@njit(cache=True)
def simulate_block(n_steps, t0, sizes, offsets, layer_of, blk_off, up_w, down_b, u, delta, last, ring, ring_count,
                   x, spikers, trace_table, tau_ref, refractory, a_neg, a_pos, spike_count, rng):
    """Simulate steps t0 .. t0 + n_steps - 1 of all copies; accumulate STDP into a_neg / a_pos.

    State: u (batch, N) potentials of the current step; last (batch, K, N) the last K spike times
    (most recent first); ring (τ + 1, batch, N) / ring_count (τ + 1, batch) the spikes of the last
    τ + 1 steps and delta (τ + 1, batch, N) their summed input rows D(s): with rectangular PSPs
    u(t + 1) = u(t) + D(t) - D(t - τ), one weight row per spike. a_neg (layout of W_lᵀ) collects
    s_l x_{l+1}ᵀ and a_pos (layout of B_l) collects s_{l+1} x_lᵀ, so that Aᵀ = a_pos - a_negᵀ; the
    rows are updated neuron by neuron over the copies that spiked (a row is fetched once per step).
    A neuron may fire iff t - L >= ``refractory`` (official τ + 1, clean τ), w.p. 1 / (1 + τ e^{-u}).
    trace_table[d] = e^{-d/τ_trace} for d < trace_len, 0 beyond. Scratch: x (batch, N) traces, spikers
    (N + 1 + batch · N). spike_count (N,) counts spikes.
    """
    batch, n_total = u.shape
    n_layers = sizes.shape[0]
    k_hist = last.shape[1]
    trace_len = trace_table.shape[0] - 1  # the table ends with a 0 for all older spikes
    slots = ring.shape[0]
    first = spikers[: n_total + 1]  # CSR over neurons of the copies that spiked in this step
    members = spikers[n_total + 1:]
    for step in range(n_steps):
        t = t0 + step
        slot = t % slots
        first[:] = 0
        for c in range(batch):
            spikes = ring[slot, c]
            n_spk = 0
            for g in range(n_total):  # spikes of step t from u(t), i.e. from the spikes before t
                if t - last[c, 0, g] >= refractory:
                    if rng.random() * (1.0 + tau_ref * math.exp(-u[c, g])) < 1.0:
                        spikes[n_spk] = g
                        n_spk += 1
            ring_count[slot, c] = n_spk
            for s in range(n_spk):
                g = spikes[s]
                for k in range(k_hist - 1, 0, -1):
                    last[c, k, g] = last[c, k - 1, g]
                last[c, 0, g] = t
                spike_count[g] += 1
                first[g + 1] += 1
            xc = x[c]  # traces x(t) = Σ_{k < 20} s(t - k) e^{-k/10}, this step's spikes included
            xc[:] = 0.0
            for k in range(k_hist):
                lk = last[c, k]
                for g in range(n_total):
                    xc[g] += trace_table[min(t - lk[g], trace_len)]
        for g in range(n_total):
            first[g + 1] += first[g]
        for c in range(batch):
            for s in range(ring_count[slot, c]):
                g = ring[slot, c, s]
                members[first[g]] = c
                first[g] += 1
        d_now = delta[slot]
        d_now[:] = 0.0
        lo = 0
        for g in range(n_total):  # neuron by neuron over the copies it spiked in (first[g]: end of its list)
            hi = first[g]
            if hi > lo:
                layer = layer_of[g]
                i = g - offsets[layer]
                if layer < n_layers - 1:  # pair STDP with g as post, the layer above pre; g's W row
                    n = sizes[layer + 1]
                    for m in range(lo, hi):
                        _add_row(a_neg, blk_off[layer] + i * n, x[members[m]], offsets[layer + 1], n)
                    for m in range(lo, hi):
                        _add_row(d_now[members[m]], offsets[layer + 1], up_w, blk_off[layer] + i * n, n)
                if layer > 0:  # pair STDP with g as post, the layer below pre; g's B row
                    n = sizes[layer - 1]
                    for m in range(lo, hi):
                        _add_row(a_pos, blk_off[layer - 1] + i * n, x[members[m]], offsets[layer - 1], n)
                    for m in range(lo, hi):
                        _add_row(d_now[members[m]], offsets[layer - 1], down_b, blk_off[layer - 1] + i * n, n)
            lo = hi
        for c in range(batch):
            d_new = d_now[c]
            d_old = delta[(t - tau_ref) % slots, c]
            uc = u[c]
            for g in range(n_total):  # PSPs of step t start, those of step t - τ end
                uc[g] += d_new[g] - d_old[g]


def alignment_angles(W_list, B_list) -> np.ndarray:
    """Angle (degrees, ``sal.metrics.angle``) between each W and its feedback matrix B, both flattened."""
    return np.array([angle(W, B) for W, B in zip(W_list, B_list)])


class SALPhase:
    """The SAL sleep phase of a stack of FC layers (spec §2), state carried across blocks and calls.

    ``run(W_list, b_list, B_list)`` simulates ``blocks_per_epoch`` blocks of ``block_steps`` steps and
    updates every B_list[k] in place after each block: B += η Aᵀ / (batch · trace_len). The spikes,
    the traces' history and the random input-layer bias b_0 ~ U(±1/√n_0) persist. The official
    refractoriness lets a neuron fire again only more than τ steps after its last spike (on-fraction
    1/(1.1 + e^{-u})); ``official_refractory=False`` allows it after τ steps (on-fraction σ(u)).
    """

    def __init__(self, sizes, *, batch=32, eta=0.04, block_steps=2000, blocks_per_epoch=5, tau_ref=10,
                 trace_len=20, tau_trace=10.0, rng, official_refractory=True):
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer sizes, got {sizes}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy.random.Generator")
        for name, value in (("batch", batch), ("block_steps", block_steps), ("blocks_per_epoch", blocks_per_epoch),
                            ("tau_ref", tau_ref), ("trace_len", trace_len)):
            if int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        checks.number("eta", eta, gt=0)
        checks.number("tau_trace", tau_trace, gt=0)
        self.sizes = np.array(sizes, dtype=np.int64)
        self.batch, self.eta = int(batch), float(eta)
        self.block_steps, self.blocks_per_epoch = int(block_steps), int(blocks_per_epoch)
        self.tau_ref, self.trace_len = int(tau_ref), int(trace_len)
        self.refractory = self.tau_ref + 1 if official_refractory else self.tau_ref
        self.rng = rng
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        n_total = int(self.offsets[-1])
        self.layer_of = np.repeat(np.arange(len(sizes)), sizes).astype(np.int64)
        blocks = self.sizes[:-1] * self.sizes[1:]
        self.blk_off = np.concatenate([[0], np.cumsum(blocks)]).astype(np.int64)
        # weights and STDP sums in float32 (as the official phase): the row updates are memory-bound. One
        # buffer, so that it is large enough for NumPy to ask for transparent huge pages (fewer TLB misses)
        n_blk = int(blocks.sum())
        rows = np.zeros(4 * n_blk, dtype=np.float32)
        self.up_w = rows[:n_blk]  # W_lᵀ rows: pre i of layer l -> l + 1
        self.down_b = rows[n_blk: 2 * n_blk]  # B_l rows: pre j of layer l + 1 -> layer l
        self.a_neg = rows[2 * n_blk: 3 * n_blk]
        self.a_pos = rows[3 * n_blk:]
        self.b0 = rng.uniform(-1.0, 1.0, sizes[0]) / math.sqrt(sizes[0])
        self.trace_table = np.append(np.exp(-np.arange(self.trace_len) / float(tau_trace)), 0.0).astype(np.float32)
        k_hist = -(-self.trace_len // self.tau_ref)  # spikes that fit into one trace window
        self.u = np.zeros((self.batch, n_total))
        self.last = np.full((self.batch, k_hist, n_total), NEVER, dtype=np.int64)
        self.ring = np.zeros((self.tau_ref + 1, self.batch, n_total), dtype=np.int64)
        self.ring_count = np.zeros((self.tau_ref + 1, self.batch), dtype=np.int64)
        self.delta = np.zeros((self.tau_ref + 1, self.batch, n_total))
        self.x = np.zeros((self.batch, n_total), dtype=np.float32)
        self.spikers = np.zeros(n_total + 1 + self.batch * n_total, dtype=np.int64)
        self.bias = np.zeros(n_total)
        self.spike_count = np.zeros(n_total, dtype=np.int64)  # spikes per neuron, all copies, all calls
        self.t = 0

    def _load(self, W_list, b_list, B_list):
        n = len(self.sizes) - 1
        if not (len(W_list) == len(b_list) == len(B_list) == n):
            raise ValueError(f"expected {n} weight matrices, biases and feedback matrices")
        self.bias[: self.sizes[0]] = self.b0
        for k in range(n):
            shape = (int(self.sizes[k + 1]), int(self.sizes[k]))
            if np.shape(W_list[k]) != shape or np.shape(B_list[k]) != shape or np.shape(b_list[k]) != shape[:1]:
                raise ValueError(f"fc{k + 1}: W and B must have shape {shape} and b shape {shape[:1]}")
            if not (isinstance(B_list[k], np.ndarray) and B_list[k].dtype == np.float64 and B_list[k].flags.writeable):
                raise TypeError(f"fc{k + 1}: B must be a writeable float64 array (it is updated in place)")
            lo, hi = self.blk_off[k], self.blk_off[k + 1]
            self.up_w[lo:hi] = np.asarray(W_list[k], dtype=np.float64).T.ravel()
            self.down_b[lo:hi] = B_list[k].ravel()
            self.bias[self.offsets[k + 1]: self.offsets[k + 2]] = b_list[k]

    def run(self, W_list, b_list, B_list) -> None:
        """One epoch's sleep phase: ``blocks_per_epoch`` blocks, B_list updated in place after each."""
        self._load(W_list, b_list, B_list)
        scale = self.eta / (self.batch * self.trace_len)
        for _ in range(self.blocks_per_epoch):
            recompute_potentials(self.t, self.sizes, self.offsets, self.layer_of, self.blk_off, self.up_w,
                                 self.down_b, self.bias, self.ring, self.ring_count, self.tau_ref, self.delta, self.u)
            self.a_neg[:] = 0.0
            self.a_pos[:] = 0.0
            simulate_block(self.block_steps, self.t, self.sizes, self.offsets, self.layer_of, self.blk_off,
                           self.up_w, self.down_b, self.u, self.delta, self.last, self.ring, self.ring_count, self.x,
                           self.spikers, self.trace_table, self.tau_ref, self.refractory, self.a_neg, self.a_pos,
                           self.spike_count, self.rng)
            self.t += self.block_steps
            for k, B in enumerate(B_list):  # Bᵀ_spiking += η A / (batch · trace_len), in fc layout
                n_out, n_in = B.shape
                lo, hi = self.blk_off[k], self.blk_off[k + 1]
                B += scale * (self.a_pos[lo:hi].reshape(n_out, n_in).astype(np.float64)
                              - self.a_neg[lo:hi].reshape(n_in, n_out).T)
                self.down_b[lo:hi] = B.ravel()
