"""Sleep phase of the spiking sampling network: simulation with streamed statistics (spec sampling §1, §3).

Neuron model (official per-step semantics): in step s neuron i fires with probability
p_i = 1 / (1 + τ e^{-u_i}), u_i = b_i + Σ_k W_ik PSP_k(s), if s - L_i > τ (L_i its last spike), where
PSP_k(s) = 1 iff 1 <= s - L_k <= τ_syn - 1. Its sampling state is z_i(s) = 1 iff 1 <= s - L_i <= τ,
read every τ/2 steps. Spikes of one step are processed in neuron order.

Two simulators produce the same statistics (tested):
- ``per_step``: one Bernoulli draw per neuron and step, as the official code.
- ``event``: between events (a spike, a PSP ending, a refractory period ending) every firing
  probability is constant, so each neuron's next spike is a geometric waiting time; by
  memorylessness the waiting times are redrawn whenever a probability changes. Cost scales with the
  number of spikes, not steps.

Both stream what learning needs (spike counts, pair-STDP sums for the wake-sleep and SAL amplitude
matrices, the histogram of sampled joint states) and record spikes only in a bounded window, so
memory does not grow with the phase length.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NEVER = -(2**40)
FAR = 2**62


@njit(cache=True)
def _on_spike(i, s, last, tau, a_ws, a_sal, stdp_ws, stdp_sal, counts, rec_t, rec_id, n_rec, record_until):
    """Book-keeping of one spike of neuron i at step s: triangular pair STDP with every other neuron's
    last spike (0 < d < τ), spike count, bounded recording; then L_i = s. Returns the new n_rec."""
    for k in range(last.shape[0]):
        if k == i:
            continue
        d = s - last[k]
        if 0 < d < tau:
            tri = 1.0 - d / tau
            stdp_ws[i, k] += a_ws[i, k] * tri  # k before i: causal for W_ik
            stdp_ws[k, i] += a_ws[k, i] * tri  # anti-causal for W_ki
            stdp_sal[i, k] -= a_sal[i, k] * tri  # SAL: causal pairs depress ...
            stdp_sal[k, i] += a_sal[k, i] * tri  # ... anti-causal pairs potentiate
    counts[i] += 1
    if s < record_until and n_rec < rec_t.shape[0]:
        rec_t[n_rec] = s
        rec_id[n_rec] = i
        n_rec += 1
    last[i] = s
    return n_rec


@njit(cache=True)
def _state_index(last, s, tau):
    """Index of the joint state z(s) (neuron 0 = most significant bit)."""
    n = last.shape[0]
    idx = 0
    for i in range(n):
        idx <<= 1
        if 1 <= s - last[i] <= tau:
            idx |= 1
    return idx


@njit(cache=True)
def _potentials(W, b, last, s, tau_syn, u):
    n = b.shape[0]
    for i in range(n):
        acc = b[i]
        for k in range(n):
            if 1 <= s - last[k] <= tau_syn - 1:
                acc += W[i, k]
        u[i] = acc


@njit(cache=True)
def simulate_per_step(W, b, n_steps, tau, tau_syn, sample_every, rng, a_ws, a_sal,
                      stdp_ws, stdp_sal, counts, hist, rec_t, rec_id, record_until):
    """Per-step Bernoulli simulation from an empty network; accumulates into the given arrays.

    Draws one uniform number per neuron and step (as the official simulator). Returns n_recorded.
    """
    n = b.shape[0]
    last = np.full(n, NEVER, dtype=np.int64)
    u = np.empty(n)
    fire = np.zeros(n, dtype=np.bool_)
    n_rec = 0
    for s in range(n_steps):
        if s % sample_every == 0:
            hist[_state_index(last, s, tau)] += 1
        _potentials(W, b, last, s, tau_syn, u)
        for i in range(n):
            x = rng.random()
            fire[i] = x * (1.0 + tau * np.exp(-u[i])) < 1.0 and s - last[i] > tau
        for i in range(n):
            if fire[i]:
                n_rec = _on_spike(i, s, last, tau, a_ws, a_sal, stdp_ws, stdp_sal, counts, rec_t, rec_id,
                                  n_rec, record_until)
    return n_rec


@njit(cache=True)
def _samples_in(lo, hi, every):
    """Number of multiples of ``every`` in [lo, hi)."""
    if hi <= lo:
        return 0
    return (hi - 1) // every - (lo - 1) // every if lo > 0 else (hi - 1) // every + 1


@njit(cache=True)
def simulate_events(W, b, n_steps, tau, tau_syn, sample_every, rng, a_ws, a_sal,
                    stdp_ws, stdp_sal, counts, hist, rec_t, rec_id, record_until):
    """Event-driven simulation, statistically identical to ``simulate_per_step``.

    In a step with hazard λ = -log(1 - p) = log(1 + e^u / τ) a neuron fires with probability p, so it
    fires in the first step where its accumulated hazard exceeds an Exp(1) budget drawn when it
    became eligible (the next-reaction method). Between boundaries (a PSP ends at L + τ_syn; a
    refractory period and on-state end at L + τ + 1) every λ is constant and the firing step of each
    neuron follows in closed form; at a boundary or a spike only the λ's are recomputed and the
    unspent budgets carry over. The earliest firing step, if before the next boundary, is executed
    (every neuron firing in it, in neuron order); otherwise time jumps to the boundary.
    Returns n_recorded.
    """
    n = b.shape[0]
    last = np.full(n, NEVER, dtype=np.int64)
    exp_b = np.exp(b)
    exp_w = np.exp(W)
    lam = np.zeros(n)  # hazard per step in the current segment
    budget = np.zeros(n)  # unspent Exp(1) budget at step since[i]
    since = np.zeros(n, dtype=np.int64)
    eligible = np.zeros(n, dtype=np.bool_)
    fire_at = np.full(n, FAR, dtype=np.int64)
    n_rec = 0
    t = 0
    stale = True  # potentials changed: recompute every hazard
    while t < n_steps:
        for i in range(n):
            if t - last[i] <= tau:
                eligible[i] = False
                fire_at[i] = FAR
                continue
            if not eligible[i]:  # just became eligible: a fresh budget
                eligible[i] = True
                budget[i] = -np.log(1.0 - rng.random())
                since[i] = t
            elif stale:  # spend the budget used since the last change at the old hazard
                budget[i] -= lam[i] * (t - since[i])
                since[i] = t
            else:
                continue
            eu = exp_b[i]
            for k in range(n):
                if 1 <= t - last[k] <= tau_syn - 1:
                    eu *= exp_w[i, k]
            lam[i] = np.log1p(eu / tau)
            steps = np.ceil(budget[i] / lam[i])
            fire_at[i] = t + max(np.int64(steps) - 1, 0) if steps < FAR / 4 else FAR
        boundary = n_steps  # next PSP end or refractory end after t
        for k in range(n):
            e1 = last[k] + tau_syn
            e2 = last[k] + tau + 1
            if t < e1 < boundary:
                boundary = e1
            if t < e2 < boundary:
                boundary = e2
        first = FAR
        for i in range(n):
            if fire_at[i] < first:
                first = fire_at[i]
        if first < boundary:
            # z is constant on [t, first]; it changes at first + 1 for the spikers
            hist[_state_index(last, t, tau)] += _samples_in(t, first + 1, sample_every)
            for i in range(n):
                if fire_at[i] == first:
                    n_rec = _on_spike(i, first, last, tau, a_ws, a_sal, stdp_ws, stdp_sal, counts,
                                      rec_t, rec_id, n_rec, record_until)
            t = first + 1
            stale = True
        else:
            hist[_state_index(last, t, tau)] += _samples_in(t, boundary, sample_every)
            # a PSP end changes potentials; a refractory end only makes its neuron eligible
            stale = False
            for k in range(n):
                if last[k] + tau_syn == boundary:
                    stale = True
            t = boundary
    return n_rec


SIMULATORS = {"event": simulate_events, "per_step": simulate_per_step}


def sleep_phase(W, b, n_steps, rng, a_ws, a_sal, *, tau=50, tau_syn=50, simulator="event", record_steps=0,
                max_recorded=100_000):
    """Run one free sleep phase from an empty network and return its streamed statistics.

    Returns a dict with ``counts`` (spikes per neuron), ``stdp_ws`` and ``stdp_sal`` (pair-STDP sums,
    unnormalised), ``hist`` (counts of sampled joint states, every τ/2 steps) and the spikes of the
    first ``record_steps`` steps (``spike_time``, ``neuron_id``; at most ``max_recorded``).
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
    n = b.size
    out = {
        "counts": np.zeros(n, dtype=np.int64),
        "stdp_ws": np.zeros((n, n)),
        "stdp_sal": np.zeros((n, n)),
        "hist": np.zeros(2**n, dtype=np.int64),
    }
    capacity = min(max_recorded, record_steps * n // (tau + 1) + n) if record_steps > 0 else 0
    rec_t = np.zeros(capacity, dtype=np.int64)
    rec_id = np.zeros(capacity, dtype=np.int32)
    n_rec = SIMULATORS[simulator](
        np.ascontiguousarray(W, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64), int(n_steps),
        int(tau), int(tau_syn), int(tau) // 2, rng, np.ascontiguousarray(a_ws, dtype=np.float64),
        np.ascontiguousarray(a_sal, dtype=np.float64), out["stdp_ws"], out["stdp_sal"], out["counts"],
        out["hist"], rec_t, rec_id, int(record_steps),
    )
    out["spike_time"] = rec_t[:n_rec]
    out["neuron_id"] = rec_id[:n_rec]
    return out
