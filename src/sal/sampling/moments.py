"""First and second moments of binary networks without the 2^n states (issue 11 item 2).

Above the exact limit (``network.MAX_EXACT_DIM`` neurons) neither the target p*(z) nor the sampled
distribution can be held as a table over the 2^n states. What wake-sleep learning needs, and what the
evaluation compares, are the means m_i = p(z_i = 1) and the coactivations C_ij = p(z_i = 1, z_j = 1)
on the connected pairs (on those pairs they are the sufficient statistics of a Boltzmann machine:
matching them matches the distribution). Here they come from

- a long seeded Gibbs chain for p(z) ∝ exp(½ zᵀWz + bᵀz) (the target, ``gibbs_moments``),
- binary data (``data_moments``), or
- the sampled states z(s) of a sleep phase, read from its spike raster every τ/2 steps exactly as the
  joint-state histogram reads them (``state_moments``),

each with a standard error from batch means, and ``moment_errors`` compares two sets of moments.
Pairs are the stored entries of a symmetric CSR pattern (``sampler.pair_pattern``, the pattern on
which ``sleep_phase`` returns the pair-STDP sums), so every per-pair vector here is aligned with them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from .. import checks
from ..rng import generator
from .sampler import NEVER, pair_pattern

REFRESH_SWEEPS = 16  # Gibbs: fields recomputed from scratch this often (bounds the rounding drift)


def pattern(W):
    """(ptr, idx, transpose) of the pairs of ``W`` (dense or sparse; see ``sampler.pair_pattern``)."""
    return pair_pattern(sp.csr_matrix(W) if not sp.issparse(W) else W)


def _batch_stats(acc: np.ndarray, samples: np.ndarray):
    """Mean and standard error (of the mean) over the batches of accumulated sums (batches, m)."""
    means = acc / samples[:, None]
    k = means.shape[0]
    return means.mean(axis=0), means.std(axis=0, ddof=1) / np.sqrt(k)


def _symmetrised(per_entry: np.ndarray, transpose: np.ndarray) -> np.ndarray:
    return 0.5 * (per_entry + per_entry[..., transpose])


@njit(cache=True)
def _gibbs(ptr, idx, w, b, z, burn_in, sweeps, batches, rng, m_acc, c_acc):
    """Systematic-scan Gibbs sampling; Rao-Blackwellised sums per batch: m_acc[k, i] += σ(u_i) and
    c_acc[k, j] += σ(u_i) z_l for entry j = (i, l), taken just before z_i is redrawn (the state is then
    stationary, so E[σ(u_i) z_l] = p(z_i = 1, z_l = 1))."""
    n = b.shape[0]
    u = np.empty(n)
    per = sweeps // batches
    for s in range(burn_in + sweeps):
        if s % REFRESH_SWEEPS == 0:
            for i in range(n):
                acc = b[i]
                for j in range(ptr[i], ptr[i + 1]):
                    acc += w[j] * z[idx[j]]
                u[i] = acc
        k = (s - burn_in) // per if s >= burn_in else -1
        for i in range(n):
            p = 1.0 / (1.0 + np.exp(-u[i]))
            if k >= 0:
                m_acc[k, i] += p
                for j in range(ptr[i], ptr[i + 1]):
                    c_acc[k, j] += p * z[idx[j]]
            new = 1 if rng.random() < p else 0
            if new != z[i]:
                d = new - z[i]
                z[i] = new
                for j in range(ptr[i], ptr[i + 1]):
                    u[idx[j]] += d * w[j]


def gibbs_moments(W, b, sweeps: int, seed: int, *, burn_in: int = 1000, batches: int = 10):
    """Means and coactivations of p(z) ∝ exp(½ zᵀWz + bᵀz) from one seeded Gibbs chain.

    ``W`` symmetric with a zero diagonal, dense or scipy.sparse (its stored entries are the pairs).
    ``sweeps`` (after ``burn_in``) are split into ``batches`` batches: returns a dict with ``means``
    (n,), ``coact`` (per pair of ``pattern(W)``), and their standard errors ``means_se``,
    ``coact_se`` from the spread of the batch means (valid when a batch is much longer than the
    chain's correlation time), and the pattern itself (``ptr``, ``idx``).
    """
    b = checks.array("b", b, ndim=1)
    sweeps = checks.integer("sweeps", sweeps, ge=1)
    burn_in = checks.integer("burn_in", burn_in, ge=0)
    batches = checks.integer("batches", batches, ge=2)
    if sweeps < batches:
        raise ValueError(f"sweeps must be >= batches = {batches}, got {sweeps}")
    n = b.size
    Wc = sp.csr_matrix(W, dtype=np.float64)
    if Wc.shape != (n, n):
        raise ValueError(f"W must be ({n}, {n}) for {n} biases, got {Wc.shape}")
    if abs(Wc - Wc.T).max() > 0 or np.any(Wc.diagonal() != 0):
        raise ValueError("W must be symmetric with a zero diagonal (a Boltzmann machine)")
    ptr, idx, transpose = pattern(Wc)
    rows = np.repeat(np.arange(n), np.diff(ptr))
    w = np.asarray(Wc[rows, idx], dtype=np.float64).ravel()
    rng = generator(seed)
    z = (rng.random(n) < 0.5).astype(np.int64)
    per = sweeps // batches
    m_acc, c_acc = np.zeros((batches, n)), np.zeros((batches, idx.size))
    _gibbs(ptr, idx, w, np.ascontiguousarray(b, dtype=np.float64), z, burn_in, per * batches, batches, rng,
           m_acc, c_acc)
    samples = np.full(batches, float(per))
    means, means_se = _batch_stats(m_acc, samples)
    coact, coact_se = _batch_stats(_symmetrised(c_acc, transpose), samples)
    return {"means": means, "coact": coact, "means_se": means_se, "coact_se": coact_se, "ptr": ptr, "idx": idx}


def data_moments(z, ptr, idx):
    """Means and coactivations on the pairs (ptr, idx) of binary data ``z`` (samples, n)."""
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[0] == 0 or not np.isin(z, (0, 1)).all():
        raise ValueError(f"z must be a non-empty (samples, n) array of 0/1, got shape {z.shape}")
    zf = z.astype(np.float64)
    rows = np.repeat(np.arange(z.shape[1]), np.diff(ptr))
    return zf.mean(axis=0), np.einsum("sj,sj->j", zf[:, rows], zf[:, idx]) / z.shape[0]


@njit(cache=True)
def _state_counts(times, ids, n, n_steps, tau, every, ptr, idx, batches, on, co, samples):
    """Counts of z_i(s) = 1 and z_i(s) z_l(s) = 1 at s = 0, every, 2 every, ... < n_steps, per batch of
    consecutive samples; z_i(s) = 1 iff i spiked at some t with 1 <= s - t <= τ (spikes sorted by time)."""
    last = np.full(n, NEVER, dtype=np.int64)
    active = np.zeros(n, dtype=np.bool_)
    n_samples = (n_steps + every - 1) // every
    q = 0
    for r in range(n_samples):
        s = r * every
        k = r * batches // n_samples
        samples[k] += 1
        while q < times.shape[0] and times[q] < s:
            last[ids[q]] = times[q]
            q += 1
        for i in range(n):
            active[i] = 1 <= s - last[i] <= tau
            if active[i]:
                on[k, i] += 1
        for i in range(n):
            if active[i]:
                for j in range(ptr[i], ptr[i + 1]):
                    if active[idx[j]]:
                        co[k, j] += 1


def state_moments(spike_time, neuron_id, n: int, n_steps: int, tau: int, ptr, idx, *, batches: int = 2):
    """Means and coactivations (on the pairs ptr, idx) of the states sampled every τ/2 steps of a phase
    of ``n_steps`` from its complete spike raster (time order), with batch-mean standard errors.

    The states are those of the joint-state histogram of ``sleep_phase``, so for n <= 20 these moments
    are the histogram's moments exactly.
    """
    times = np.asarray(spike_time, dtype=np.int64)
    if times.size and np.any(np.diff(times) < 0):
        raise ValueError("spike_time must be sorted in time")
    every = int(tau) // 2
    if (n_steps + every - 1) // every < batches:
        raise ValueError(f"n_steps = {n_steps} gives fewer samples than batches = {batches}")
    on = np.zeros((batches, n), dtype=np.int64)
    co = np.zeros((batches, idx.size), dtype=np.int64)
    samples = np.zeros(batches, dtype=np.int64)
    _state_counts(times, np.asarray(neuron_id, dtype=np.int64), n, int(n_steps), int(tau), every, ptr, idx,
                  batches, on, co, samples)
    total = samples.sum()
    means_se = _batch_stats(on, samples)[1]
    coact_se = _batch_stats(co, samples)[1]
    return {"means": on.sum(axis=0) / total, "coact": co.sum(axis=0) / total, "means_se": means_se,
            "coact_se": coact_se}


def upper_pairs(ptr, idx) -> np.ndarray:
    """Mask of the pattern entries (i, l) with i < l: each unordered pair once."""
    rows = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
    return rows < idx


def moment_errors(means, coact, means_ref, coact_ref, upper) -> tuple[float, float]:
    """RMS errors of the means over the neurons and of the coactivations over the pairs (``upper``)."""
    d_m = np.asarray(means) - np.asarray(means_ref)
    d_c = (np.asarray(coact) - np.asarray(coact_ref))[upper]
    return float(np.sqrt(np.mean(d_m**2))), float(np.sqrt(np.mean(d_c**2)))


def pair_asymmetry(w, transpose, upper) -> float:
    """``metrics.asymmetry`` over the connected pairs: Var(W_il - W_li) over the entries i < l of a
    pattern (per-entry weights ``w``); for a dense pattern the same number."""
    w = np.asarray(w)
    return float(np.var((w - w[transpose])[upper]))
