"""Sleep phase of the spiking sampling network: simulation with streamed statistics (spec sampling §1, §3).

Neuron model (official per-step semantics): in step s neuron i fires with probability
p_i = 1 / (1 + τ e^{-u_i}), u_i = b_i + Σ_k W_ik PSP_k(s), if s - L_i > τ (L_i its last spike), where
PSP_k(s) = 1 iff 1 <= s - L_k <= τ_syn - 1. Its sampling state is z_i(s) = 1 iff 1 <= s - L_i <= τ,
read every τ/2 steps. Spikes of one step are processed in neuron order.

Two simulators produce the same statistics (tested):
- ``per_step``: the literal reference, one Bernoulli draw per neuron and step and every potential
  recomputed from scratch in every step (as the official code; O(n^2) per step).
- ``event``: event-driven and exact in distribution. Small networks (by default up to 10 neurons, the
  paper's 7 included) tabulate the hazards of all 2^n sets of PSPs (``simulate_events_table``: no
  thinning, one random number per spike); larger ones bound the hazards and thin, and the cost of an
  event is the fan-out of the neuron that causes it (``simulate_events``; dense weights or sparse CSR
  connectivity).

Both stream what learning needs (spike counts, pair-STDP sums for the wake-sleep and SAL amplitude
matrices, the histogram of sampled joint states) and record spikes only in a bounded window, so
memory does not grow with the phase length. The pair-STDP sums are kept as exact integers
Q[i, k] = Σ (τ - d) over pairs "k fired d steps before i, 0 < d < τ" and turned into
stdp_ws = A_ws ⊙ (Q + Qᵀ) / τ, stdp_sal = A_sal ⊙ (Qᵀ - Q) / τ at the end (the same sums as the
per-pair rule of spec §3.2, without rounding drift and independent of the order of the pairs).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

NEVER = -(2**40)
FAR = 2**62
LEVEL = 0.25  # grid of the thinning bounds on the potential (a power of 2: levels are exact)
LEVEL_MARGIN = 2  # a bound is set LEVEL_MARGIN - 1 .. LEVEL_MARGIN grid steps above the potential
TABLE_LO = -200  # bound levels with a cached hazard: u in [-50, 50]
TABLE_HI = 200
MAX_JOINT_STATES_DIM = 20  # default: joint-state histogram only up to 2^20 states
HAZARD_TABLE_DIM = 10  # default: the event-driven sampler tabulates the hazards up to 10 neurons
MAX_HAZARD_TABLE_DIM = 16  # two tables of n 2^n entries: 16 MiB at 16 neurons
ULPS = 4.5e-16  # s < s + max(x, ULPS s + 1e-300) <= s + 1 for every step 0 <= s <= 2^50 (> 2 ulp)


# --------------------------------------------------------------------------- shared book-keeping
@njit(cache=True)
def _finish_stdp(Q, tau, a_ws, a_sal, stdp_ws, stdp_sal):
    """stdp_ws += A_ws ⊙ (Q + Qᵀ) / τ and stdp_sal += A_sal ⊙ (Qᵀ - Q) / τ.

    Q[i, k] = Σ (τ - d) over the pairs in which i fired d steps after k (0 < d < τ): the causal
    triangle for W_ik. The anti-causal term of W_ki in spec §3.2 is the same pair seen from k.
    """
    n = Q.shape[0]
    for i in range(n):
        for k in range(n):
            if Q[i, k] == 0 and Q[k, i] == 0:
                continue
            stdp_ws[i, k] += a_ws[i, k] * ((Q[i, k] + Q[k, i]) / tau)
            stdp_sal[i, k] += a_sal[i, k] * ((Q[k, i] - Q[i, k]) / tau)


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
def _record(i, s, rec_t, rec_id, n_rec, record_until):
    if s < record_until and n_rec < rec_t.shape[0]:
        rec_t[n_rec] = s
        rec_id[n_rec] = i
        n_rec += 1
    return n_rec


# --------------------------------------------------------------------------- literal per-step reference
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

    The literal model: every potential recomputed from all PSPs in every step, one uniform number per
    neuron and step (as the official simulator). ``hist`` of size 0 skips the joint-state histogram.
    Returns n_recorded.
    """
    n = b.shape[0]
    last = np.full(n, NEVER, dtype=np.int64)
    Q = np.zeros((n, n), dtype=np.int64)
    u = np.empty(n)
    fire = np.zeros(n, dtype=np.bool_)
    use_hist = hist.shape[0] > 0
    n_rec = 0
    for s in range(n_steps):
        if use_hist and s % sample_every == 0:
            hist[_state_index(last, s, tau)] += 1
        _potentials(W, b, last, s, tau_syn, u)
        for i in range(n):
            x = rng.random()
            fire[i] = x * (1.0 + tau * np.exp(-u[i])) < 1.0 and s - last[i] > tau
        for i in range(n):
            if fire[i]:
                for k in range(n):
                    d = s - last[k]
                    if k != i and 0 < d < tau:
                        Q[i, k] += tau - d
                counts[i] += 1
                n_rec = _record(i, s, rec_t, rec_id, n_rec, record_until)
                last[i] = s
    _finish_stdp(Q, tau, a_ws, a_sal, stdp_ws, stdp_sal)
    return n_rec


# --------------------------------------------------------------------------- event-driven sampler
# The hot loop is one function on purpose: every call of a Numba function with array arguments costs
# atomic reference-count updates of those arrays, which dominated the run time of a factored version.
@njit(cache=True, error_model="numpy")
def _events_core(sparse, WT, out_ptr, out_idx, out_w, pair_ptr, pair_idx, b, n_steps, tau, tau_syn,
                 sample_every, rng, Q, Qs, counts, hist, rec_t, rec_id, record_until):
    """Event-driven simulation (see ``simulate_events``); dense (WT[k, i] = W[i, k], the weights out of
    k; integer pair sums added to Q[i, k]) or sparse (CSR of Wᵀ: out_ptr, out_idx, out_w; pair sums
    over the symmetric neighbour lists pair_ptr / pair_idx, added to Qs[entry]). Returns n_recorded."""
    n = b.shape[0]
    inv_level = 1.0 / LEVEL
    last = np.full(n, NEVER, dtype=np.int64)
    u = b.copy()  # potentials, updated incrementally
    ubar = np.full(n, np.inf)  # bound on u of an eligible neuron; +inf while refractory
    lam = np.zeros(n)  # hazard of the bound
    pbar = np.zeros(n)  # firing probability of the bound, 1 - e^{-lam}
    budget = np.zeros(n)  # unspent Exp(1) budget at step since[i]
    since = np.zeros(n, dtype=np.int64)
    cand = np.full(n + 1, FAR, dtype=np.int64)  # candidate step; cand[n]: sentinel of padding leaves
    psp_on = np.zeros(n, dtype=np.bool_)
    pend = np.empty(n, dtype=np.int64)  # neurons to (re)schedule at step t_pend
    in_pend = np.zeros(n, dtype=np.bool_)
    n_lev = TABLE_HI - TABLE_LO + 1
    lam_tab = np.full(n_lev, np.nan)  # hazards of the bound levels, filled on first use
    pbar_tab = np.full(n_lev, np.nan)
    # tournament tree over cand: tree[1] = neuron with the earliest candidate (ties: lowest index)
    P = 1
    while P < n:
        P *= 2
    tree = np.full(2 * P, n, dtype=np.int64)
    for i in range(n):
        tree[P + i] = i
    # spikes in time order, read by three heads: PSP starts (s + 1), PSP ends (s + τ_syn) and
    # refractory ends = on-state ends (s + τ + 1). A neuron spikes at most once per τ + 1 steps.
    psp = tau_syn >= 2
    span = max(tau_syn, tau + 1) + 1
    cap = 1
    while cap < n * (span // (tau + 1) + 2):
        cap *= 2
    mask = cap - 1
    fifo_t = np.zeros(cap, dtype=np.int64)
    fifo_id = np.zeros(cap, dtype=np.int64)
    tail = 0
    h_start = 0
    h_end = 0
    h_ref = 0
    use_hist = hist.shape[0] > 0
    idx = 0  # joint state z (neuron 0 = most significant bit)
    next_sample = 0
    refresh_every = 16 * n + 64
    n_changes = 0
    n_rec = 0
    for i in range(n):  # everybody is eligible at step 0 with a fresh budget
        budget[i] = rng.standard_exponential()
        pend[i] = i
        in_pend[i] = True
    n_pend = n
    t_pend = 0
    while True:
        # (re)schedule: bound u_i by a grid level ū above u_i + LEVEL (LEVEL_MARGIN - 1); spend the
        # budget used since the last change at the old hazard (memoryless); next candidate step
        for q in range(n_pend):
            i = pend[q]
            in_pend[i] = False
            if t_pend > since[i]:
                rest = budget[i] - lam[i] * (t_pend - since[i])
                budget[i] = rest if rest > 0.0 else 5e-324
            since[i] = t_pend
            m = np.int64(np.floor(u[i] * inv_level)) + LEVEL_MARGIN
            ubar[i] = m * LEVEL
            j = m - TABLE_LO
            if 0 <= j < n_lev:
                if np.isnan(lam_tab[j]):
                    lam_tab[j] = np.log1p(np.exp(m * LEVEL) / tau)
                    pbar_tab[j] = -np.expm1(-lam_tab[j])
                lam[i] = lam_tab[j]
                pbar[i] = pbar_tab[j]
            else:
                lam[i] = np.log1p(np.exp(m * LEVEL) / tau)
                pbar[i] = -np.expm1(-lam[i])
            steps = budget[i] / lam[i]
            cand[i] = t_pend + max(np.int64(np.ceil(steps)) - 1, 0) if steps < 1e18 else FAR
            j = (P + i) >> 1
            while j >= 1:
                a = tree[2 * j]
                w = tree[2 * j + 1]
                if cand[a] <= cand[w]:
                    w = a
                if tree[j] == w and w != i:
                    break
                tree[j] = w
                j >>= 1
        n_pend = 0
        e = FAR  # next step at which the state changes
        if h_start < tail:
            e = fifo_t[h_start & mask] + 1
        if psp and h_end < tail:
            e = min(e, fifo_t[h_end & mask] + tau_syn)
        if h_ref < tail:
            e = min(e, fifo_t[h_ref & mask] + tau + 1)
        c = cand[tree[1]]
        if c < e:
            if c >= n_steps:
                break
            # every candidate of step c in neuron order; the state is that of step c throughout
            while cand[tree[1]] == c:
                i = tree[1]
                if rng.random() * pbar[i] * (1.0 + tau * np.exp(-u[i])) < 1.0:  # accept: p(u) / p(ū)
                    if sparse:
                        for j in range(pair_ptr[i], pair_ptr[i + 1]):
                            k = pair_idx[j]
                            d = c - last[k]
                            if 0 < d < tau:
                                Qs[j] += tau - d
                    else:  # dense: the other neurons' spikes of the last τ steps
                        pos = tail - 1
                        while pos >= h_ref and fifo_t[pos & mask] > c - tau:
                            d = c - fifo_t[pos & mask]
                            if d > 0:
                                Q[i, fifo_id[pos & mask]] += tau - d
                            pos -= 1
                    counts[i] += 1
                    n_rec = _record(i, c, rec_t, rec_id, n_rec, record_until)
                    last[i] = c
                    fifo_t[tail & mask] = c
                    fifo_id[tail & mask] = i
                    tail += 1
                    ubar[i] = np.inf
                else:  # thinned: a fresh budget from the next step
                    budget[i] = rng.standard_exponential()
                    since[i] = c + 1
                    pend[n_pend] = i
                    in_pend[i] = True
                    n_pend += 1
                cand[i] = FAR
                j = (P + i) >> 1
                while j >= 1:
                    a = tree[2 * j]
                    w = tree[2 * j + 1]
                    if cand[a] <= cand[w]:
                        w = a
                    if tree[j] == w and w != i:
                        break
                    tree[j] = w
                    j >>= 1
            t_pend = c + 1
            continue
        if e >= n_steps:
            break
        if use_hist:
            while next_sample < e:
                hist[idx] += 1
                next_sample += sample_every
        # all changes of step e, then the affected neurons are rescheduled (top of the loop)
        while h_start < tail and fifo_t[h_start & mask] + 1 == e:
            k = fifo_id[h_start & mask]
            h_start += 1
            if use_hist:
                idx |= 1 << (n - 1 - k)
            if psp and not psp_on[k]:  # PSP of k starts: its targets' potentials rise by W[:, k]
                psp_on[k] = True
                n_changes += 1
                if sparse:
                    for j in range(out_ptr[k], out_ptr[k + 1]):
                        i = out_idx[j]
                        u[i] += out_w[j]
                        if u[i] > ubar[i] and not in_pend[i]:
                            pend[n_pend] = i
                            in_pend[i] = True
                            n_pend += 1
                else:
                    for i in range(n):
                        u[i] += WT[k, i]
                        if u[i] > ubar[i] and not in_pend[i]:
                            pend[n_pend] = i
                            in_pend[i] = True
                            n_pend += 1
        while psp and h_end < tail and fifo_t[h_end & mask] + tau_syn == e:
            k = fifo_id[h_end & mask]
            h_end += 1
            if last[k] + tau_syn == e:  # PSP of k ends (unless k fired again meanwhile)
                psp_on[k] = False
                n_changes += 1
                if sparse:
                    for j in range(out_ptr[k], out_ptr[k + 1]):
                        i = out_idx[j]
                        u[i] -= out_w[j]
                        if u[i] > ubar[i] and not in_pend[i]:
                            pend[n_pend] = i
                            in_pend[i] = True
                            n_pend += 1
                else:
                    for i in range(n):
                        u[i] -= WT[k, i]
                        if u[i] > ubar[i] and not in_pend[i]:
                            pend[n_pend] = i
                            in_pend[i] = True
                            n_pend += 1
        while h_ref < tail and fifo_t[h_ref & mask] + tau + 1 == e:
            k = fifo_id[h_ref & mask]  # refractory and on-state of k end: eligible, fresh budget
            h_ref += 1
            if use_hist:
                idx &= ~(1 << (n - 1 - k))
            budget[k] = rng.standard_exponential()
            since[k] = e
            if not in_pend[k]:
                pend[n_pend] = k
                in_pend[k] = True
                n_pend += 1
        if n_changes >= refresh_every:  # recompute every potential (bounds the rounding drift)
            n_changes = 0
            for i in range(n):
                u[i] = b[i]
            for k in range(n):
                if psp_on[k]:
                    if sparse:
                        for j in range(out_ptr[k], out_ptr[k + 1]):
                            u[out_idx[j]] += out_w[j]
                    else:
                        for i in range(n):
                            u[i] += WT[k, i]
            for i in range(n):
                if u[i] > ubar[i] and not in_pend[i]:
                    pend[n_pend] = i
                    in_pend[i] = True
                    n_pend += 1
        t_pend = e
    if use_hist:
        while next_sample < n_steps:
            hist[idx] += 1
            next_sample += sample_every
    return n_rec


@njit(cache=True)
def simulate_events(W, b, n_steps, tau, tau_syn, sample_every, rng, a_ws, a_sal,
                    stdp_ws, stdp_sal, counts, hist, rec_t, rec_id, record_until):
    """Event-driven simulation, exact in distribution (the same law as ``simulate_per_step``).

    Thinning of a per-neuron Bernoulli process (next-reaction form): every eligible neuron i carries an
    upper bound ū_i >= u_i on a fixed grid and an Exp(1) budget spent at the hazard
    λ̄ = -log(1 - p(ū)); where the budget runs out is a candidate step, accepted with probability
    p(u_i) / p(ū_i). In every step a neuron thus fires with probability exactly p(u_i). Potentials are
    updated incrementally by the weights of the neuron whose PSP starts or ends (its fan-out), and a
    neuron is re-bounded (budget carried over, memoryless) only when its potential rises above its
    bound; a thinned candidate re-bounds tightly from a fresh budget. PSP starts and ends and
    refractory ends come from one time-ordered queue of spikes; the earliest candidate from a
    tournament tree. Cost per spike: O(fan-out + log n), no work between events.
    ``hist`` of size 0 skips the joint-state histogram. Returns n_recorded.
    """
    n = b.shape[0]
    WT = np.ascontiguousarray(W.T)
    Q = np.zeros((n, n), dtype=np.int64)
    no_i = np.zeros(0, dtype=np.int64)
    n_rec = _events_core(False, WT, no_i, no_i, np.zeros(0), no_i, no_i, b, n_steps, tau, tau_syn,
                         sample_every, rng, Q, np.zeros(0, dtype=np.int64), counts, hist, rec_t, rec_id,
                         record_until)
    _finish_stdp(Q, tau, a_ws, a_sal, stdp_ws, stdp_sal)
    return n_rec


def pair_pattern(W):
    """Symmetric CSR pattern of the pairs connected in either direction (stored entries of W and Wᵀ,
    explicit zeros included, no diagonal; indices sorted): (ptr, idx, transpose) where entry
    transpose[j] is the position of (k, i) for entry j = (i, k)."""
    coo = sp.coo_matrix(W)
    rows = np.concatenate([coo.row, coo.col])
    cols = np.concatenate([coo.col, coo.row])
    keep = rows != cols
    n = W.shape[0]
    pattern = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(n, n))
    pattern.sum_duplicates()
    pattern.sort_indices()
    pattern.data = np.arange(pattern.nnz, dtype=np.float64)
    transpose = pattern.T.tocsr()
    transpose.sort_indices()  # the same (symmetric) pattern: its data are the transposed positions
    return (pattern.indptr.astype(np.int64), pattern.indices.astype(np.int64),
            transpose.data.astype(np.int64))


def _values_at(a, rows, cols):
    """Entries a[rows, cols] of a dense array, a scipy.sparse matrix or a scalar."""
    if np.isscalar(a) or np.ndim(a) == 0:
        return np.full(rows.size, float(a))
    return np.asarray(a[rows, cols], dtype=np.float64).ravel()


def simulate_events_sparse(W, b, n_steps, tau, tau_syn, sample_every, rng, a_ws, a_sal, counts, hist,
                           rec_t, rec_id, record_until):
    """``simulate_events`` for sparse connectivity: W any scipy.sparse matrix (W[post, pre]).

    The same law and, for the same weights, bitwise the same spikes as the dense path (it consumes
    the random numbers identically). Cost per spike O(fan-out + fan-in + log n); memory O(n + nnz).
    Pair-STDP sums exist only for connected pairs (a synapse in either direction): returns
    (n_recorded, stdp_ws, stdp_sal) with the two sums as CSR matrices on that pattern; a_ws, a_sal
    may be dense, sparse or scalars.
    """
    n = b.shape[0]
    WT = sp.csr_matrix(sp.csr_matrix(W, dtype=np.float64).T)
    WT.sum_duplicates()
    WT.sort_indices()
    pair_ptr, pair_idx, transpose = pair_pattern(W)
    Qs = np.zeros(pair_idx.size, dtype=np.int64)
    n_rec = _events_core(True, np.zeros((0, 0)), WT.indptr.astype(np.int64), WT.indices.astype(np.int64),
                         WT.data.astype(np.float64), pair_ptr, pair_idx, b, n_steps, tau, tau_syn,
                         sample_every, rng, np.zeros((0, 0), dtype=np.int64), Qs, counts, hist, rec_t,
                         rec_id, record_until)
    rows = np.repeat(np.arange(n), np.diff(pair_ptr))
    q, qt = Qs, Qs[transpose]
    ws = _values_at(a_ws, rows, pair_idx) * ((q + qt) / tau)  # the arithmetic of _finish_stdp
    sal = _values_at(a_sal, rows, pair_idx) * ((qt - q) / tau)
    shape = (n, n)
    return (n_rec, sp.csr_matrix((ws, pair_idx, pair_ptr), shape=shape),
            sp.csr_matrix((sal, pair_idx, pair_ptr), shape=shape))


# --------------------------------------------------------------------------- small networks: hazard tables
@njit(cache=True)
def _hazard_table(W, b, tau, self_psp):
    """lam[m * n + i] = -log(1 - p(u_i)) = log(1 + e^{u_i} / τ), the hazard of neuron i while exactly the
    neurons of the bit set m (bit k: neuron k) have their PSP on, in [1e-300, ∞); u_i = b_i + Σ_{k ∈ m} W_ik
    is summed in neuron order, bitwise the potential of the per-step reference. Unless ``self_psp`` (a
    PSP that outlasts the refractory period), i's own PSP never meets i eligible: sets holding i get
    the hazard of the set without i."""
    n = b.shape[0]
    n_sets = 1 << n
    lam = np.empty(n_sets * n)
    u = np.empty(n_sets)
    for i in range(n):
        u[0] = b[i]
        for k in range(n):  # sets whose highest neuron is k: that set without k, plus W_ik
            low = 1 << k
            for m in range(low, 2 * low):
                u[m] = u[m - low] + W[i, k]
        for m in range(n_sets):
            if self_psp or not (m >> i) & 1:
                x = u[m] - np.log(tau)  # log(1 + e^x) without overflow
                lam[m * n + i] = max(np.log1p(np.exp(x)) if x < 30.0 else x + np.log1p(np.exp(-x)), 1e-300)
            else:
                lam[m * n + i] = lam[(m ^ (1 << i)) * n + i]
    return lam


@njit(cache=True)
def _later(s, x):
    """s + x, strictly after s despite rounding (a budget that runs out in step s, not before)."""
    return s + max(x, ULPS * s + 1e-300)


@njit(cache=True, error_model="numpy")
def simulate_events_table(W, b, n_steps, tau, tau_syn, sample_every, rng, a_ws, a_sal,
                          stdp_ws, stdp_sal, counts, hist, rec_t, rec_id, record_until):
    """Event-driven simulation for small networks, exact in distribution (the law of ``simulate_per_step``).

    The potentials take at most 2^n values, one per set of neurons with their PSP on, so the hazards
    λ_i = -log(1 - p(u_i)) are tabulated once per phase (``_hazard_table``). Every neuron holds one
    Exp(1) budget per refractory period, drawn when it fires and spent from the end of that period
    on; ``cand`` is the real step at which it runs out at the current hazard, and the neuron fires in
    step ceil(cand) - 1: with probability exactly p(u_i) in every eligible step (next-reaction form, no
    thinning, one random number per spike). The only events besides spikes are PSP starts and ends
    (from a time-ordered queue of spikes): they change the set, and every neuron's remaining budget is
    rescaled by λ_old / λ_new (memoryless). Spikes of one step are taken in neuron order. Joint states
    and pair sums are read from the last spike times (inter-spike intervals exceed τ). The exponentials
    are drawn 64 at a time. Returns n_recorded.
    """
    n = b.shape[0]
    Q = np.zeros((n, n), dtype=np.int64)
    lam_tab = _hazard_table(W, b, tau, tau_syn - 1 > tau)
    inv_tab = 1.0 / lam_tab
    last = np.full(n, NEVER, dtype=np.int64)
    since = np.zeros(n)  # the budget is spent from this step on (the end of the refractory period)
    cand = np.empty(n)  # real step at which the budget runs out; > since (guarded against rounding)
    psp = tau_syn >= 2
    cap = 1
    while cap < n * (tau_syn // (tau + 1) + 2):
        cap *= 2
    mask = cap - 1
    fifo_t = np.zeros(cap, dtype=np.int64)  # spikes whose PSP has not ended, in time order
    fifo_id = np.zeros(cap, dtype=np.int64)
    tail = 0
    h_start = 0
    h_end = 0
    use_hist = hist.shape[0] > 0
    on = 0  # set of neurons with their PSP on (bit k: neuron k)
    next_sample = 0
    n_rec = 0
    exps = np.empty(64)
    n_exps = 0
    for i in range(n):  # everybody is eligible at step 0
        cand[i] = _later(0.0, rng.standard_exponential() * inv_tab[i])
    while True:
        cf = np.inf
        for k in range(n):
            cf = min(cf, cand[k])
        e = FAR  # next step at which the set of PSPs changes
        if psp and h_start < tail:
            e = fifo_t[h_start & mask] + 1
        if psp and h_end < tail:
            e = min(e, fifo_t[h_end & mask] + tau_syn)
        if cf <= e:  # a spike in step c = ceil(cf) - 1 < e (the state is that of step c)
            if cf > n_steps:
                break
            c = np.int64(np.ceil(cf)) - 1
            i = 0
            while cand[i] > c + 1:  # the lowest neuron firing in step c
                i += 1
            while use_hist and next_sample <= c:
                hist[_state_index(last, next_sample, tau)] += 1
                next_sample += sample_every
            for k in range(n):  # pairs with the other neurons' last spikes (at most one in τ steps)
                d = c - last[k]
                Q[i, k] += max(tau - d, 0) * (d > 0)
            counts[i] += 1
            n_rec = _record(i, c, rec_t, rec_id, n_rec, record_until)
            last[i] = c
            if psp:
                fifo_t[tail & mask] = c
                fifo_id[tail & mask] = i
                tail += 1
            if n_exps == 0:  # refill the exponentials
                for j in range(exps.size):
                    exps[j] = rng.standard_exponential()
                n_exps = exps.size
            n_exps -= 1
            since[i] = c + tau + 1  # the next budget, spent after the refractory period
            cand[i] = _later(since[i], exps[n_exps] * inv_tab[on * n + i])
            continue
        if e >= n_steps:
            break
        before = on
        while h_start < tail and fifo_t[h_start & mask] + 1 == e:
            on |= 1 << fifo_id[h_start & mask]
            h_start += 1
        while h_end < tail and fifo_t[h_end & mask] + tau_syn == e:
            k = fifo_id[h_end & mask]
            h_end += 1
            if last[k] + tau_syn == e:  # PSP of k ends (unless k fired again meanwhile)
                on &= ~(1 << k)
        if on != before:  # hazards change from step e on: rescale the budgets not yet spent
            row = on * n
            old = before * n
            for k in range(n):
                s = max(np.float64(e), since[k])
                x = (cand[k] - s) * (lam_tab[old + k] * inv_tab[row + k])
                since[k] = s
                cand[k] = _later(s, x)
    while use_hist and next_sample < n_steps:
        hist[_state_index(last, next_sample, tau)] += 1
        next_sample += sample_every
    _finish_stdp(Q, tau, a_ws, a_sal, stdp_ws, stdp_sal)
    return n_rec


SIMULATORS = {"event": simulate_events, "per_step": simulate_per_step}


def _square(a, n):
    """A dense, sparse or scalar amplitude as a C-contiguous float64 (n, n) array (as is if it is one)."""
    if isinstance(a, np.ndarray) and a.shape == (n, n) and a.dtype == np.float64 and a.flags.c_contiguous:
        return a
    return np.ascontiguousarray(np.broadcast_to(a.toarray() if sp.issparse(a) else a, (n, n)), dtype=np.float64)


def sleep_phase(W, b, n_steps, rng, a_ws, a_sal, *, tau=50, tau_syn=50, simulator="event", record_steps=0,
                max_recorded=100_000, joint_states=None, hazard_table=None):
    """Run one free sleep phase from an empty network and return its streamed statistics.

    Returns a dict with ``counts`` (spikes per neuron), ``stdp_ws`` and ``stdp_sal`` (pair-STDP sums,
    unnormalised), ``hist`` (counts of sampled joint states, every τ/2 steps; None when
    ``joint_states`` is False, by default for more than 20 neurons) and the spikes of the first
    ``record_steps`` steps (``spike_time``, ``neuron_id``; at most ``max_recorded``).

    ``W`` may be a scipy.sparse matrix (sparse connectivity). The event-driven simulator then works on
    its CSR form, and ``stdp_ws``/``stdp_sal`` are CSR matrices holding the connected pairs only (a
    synapse in either direction); a_ws and a_sal may then also be sparse or scalars. The per-step
    reference and the hazard tables densify W and return the same pattern.

    ``hazard_table`` (default: up to 10 neurons; at most 16) makes the event-driven simulator tabulate
    the hazards of all 2^n sets of PSPs (``simulate_events_table``, the cheapest for small networks)
    instead of bounding them and thinning (``simulate_events``); both have the law of the reference.
    """
    if simulator not in SIMULATORS:
        raise ValueError(f"simulator must be one of {sorted(SIMULATORS)}, got {simulator!r}")
    n = b.size
    if hazard_table is None:
        hazard_table = n <= HAZARD_TABLE_DIM
    if hazard_table and n > MAX_HAZARD_TABLE_DIM:
        raise ValueError(f"hazard_table needs at most {MAX_HAZARD_TABLE_DIM} neurons (n 2^n entries), got {n}")
    if joint_states is None:
        joint_states = n <= MAX_JOINT_STATES_DIM
    if joint_states and n > 62:
        raise ValueError(f"the joint-state histogram needs at most 62 neurons, got {n}")
    counts = np.zeros(n, dtype=np.int64)
    hist = np.zeros(2**n if joint_states else 0, dtype=np.int64)
    capacity = min(max_recorded, record_steps * n // (tau + 1) + n) if record_steps > 0 else 0
    rec_t = np.zeros(capacity, dtype=np.int64)
    rec_id = np.zeros(capacity, dtype=np.int32)
    b = np.ascontiguousarray(b, dtype=np.float64)
    args = (int(n_steps), int(tau), int(tau_syn), int(tau) // 2, rng)
    sparse = sp.issparse(W)
    table = hazard_table and simulator == "event"
    if sparse and simulator == "event" and not table:
        n_rec, stdp_ws, stdp_sal = simulate_events_sparse(W, b, *args, a_ws, a_sal, counts, hist, rec_t,
                                                          rec_id, int(record_steps))
    else:
        W_dense = np.ascontiguousarray(W.toarray() if sparse else W, dtype=np.float64)
        amplitudes = [_square(a, n) for a in (a_ws, a_sal)]
        stdp_ws, stdp_sal = np.zeros((n, n)), np.zeros((n, n))
        simulate = simulate_events_table if table else SIMULATORS[simulator]
        n_rec = simulate(W_dense, b, *args, *amplitudes, stdp_ws, stdp_sal, counts, hist, rec_t, rec_id,
                         int(record_steps))
        if sparse:  # the pattern of the sparse event-driven path
            ptr, idx, _ = pair_pattern(W)
            rows = np.repeat(np.arange(n), np.diff(ptr))
            stdp_ws, stdp_sal = (sp.csr_matrix((x[rows, idx], idx, ptr), shape=(n, n)) for x in (stdp_ws, stdp_sal))
    return {"counts": counts, "stdp_ws": stdp_ws, "stdp_sal": stdp_sal, "hist": hist if joint_states else None,
            "spike_time": rec_t[:n_rec], "neuron_id": rec_id[:n_rec]}
