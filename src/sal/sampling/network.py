"""Boltzmann targets, initial draws and metrics of the spiking sampling network (spec sampling §2-3).

States are indexed with neuron 0 as the most significant bit. The draws follow the official draw
order exactly, so that a (distribution seed, init seed) pair gives the paper's targets and initial
networks. Exact targets enumerate the 2^n states and exist only up to ``MAX_EXACT_DIM`` neurons;
the sparse networks beyond (``sparse_target``, ``sparse_initial_network``; issue 11) are described by
their moments (``moments``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import checks
from .moments import pattern, upper_pairs
from .sampler import MAX_JOINT_STATES_DIM

#: default limit of everything that enumerates the 2^n states (exact targets, D_KL, the joint-state
#: histogram of ``sleep_phase``): one limit for all of them
MAX_EXACT_DIM = MAX_JOINT_STATES_DIM


def check_exact(dim: int, max_exact_dim: int = MAX_EXACT_DIM) -> None:
    """ValueError unless ``dim`` neurons are within the exact limit (an exact target has 2^dim states)."""
    if dim > max_exact_dim:
        raise ValueError(
            f"dim = {dim} is above the exact limit max_exact_dim = {max_exact_dim}: the exact target enumerates "
            "the 2^dim states. Above it use target moments from a Gibbs chain (sal.sampling.moments.gibbs_moments) and "
            "errors of means and coactivations instead of D_KL (the sampling large_network experiment)")


def all_states(dim: int) -> np.ndarray:
    """(2^dim, dim) array of binary states; row k is k in binary, neuron 0 the most significant bit."""
    k = np.arange(2**dim)[:, None]
    return (k >> np.arange(dim - 1, -1, -1)) & 1


def mirror_upper(a: np.ndarray) -> np.ndarray:
    """Symmetric matrix from the strict upper triangle of ``a`` (zero diagonal)."""
    upper = np.triu(a, k=1)
    return upper + upper.T


def boltzmann(W: np.ndarray, b: np.ndarray, *, max_exact_dim: int = MAX_EXACT_DIM):
    """Exact distribution p(z) ∝ exp(½ zᵀWz + bᵀz) by enumeration, with its marginals and
    pairwise coactivations C_ij = p(z_i = 1, z_j = 1) (zero diagonal); only up to ``max_exact_dim``."""
    check_exact(b.size, max_exact_dim)
    z = all_states(b.size).astype(np.float64)
    log_w = 0.5 * np.einsum("si,ij,sj->s", z, W, z) + z @ b
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    coact = np.einsum("s,si,sj->ij", p, z, z)
    marginals = np.diagonal(coact).copy()
    np.fill_diagonal(coact, 0.0)
    return p, marginals, coact


def make_target(seed_distr: int, dim: int = 7, alpha: float = 1.0, beta: float = 1.0, *,
                max_exact_dim: int = MAX_EXACT_DIM):
    """Target Boltzmann machine of the paper: (W*, b*, p*) with p* over the 2^dim states.

    W* = mirror(2 Beta(α, β) - 1) on the strict upper triangle, b* = 2 Beta(α, β) - 1, drawn in this
    order from ``default_rng(seed_distr)``. Only up to ``max_exact_dim`` neurons (ValueError beyond).
    """
    checks.integer("seed_distr", seed_distr, ge=0)
    checks.integer("dim", dim, ge=1)
    check_exact(dim, max_exact_dim)
    _check_beta(alpha, beta)
    rng = np.random.default_rng(seed_distr)
    W = mirror_upper(2.0 * rng.beta(alpha, beta, size=(dim, dim)) - 1.0)
    b = 2.0 * rng.beta(alpha, beta, size=dim) - 1.0
    return W, b, boltzmann(W, b, max_exact_dim=max_exact_dim)[0]


def _check_beta(alpha, beta):
    checks.number("alpha", alpha, gt=0)
    checks.number("beta", beta, gt=0)


def random_pattern(rng, n: int, partners: int) -> sp.csr_matrix:
    """Symmetric connectivity without self-connections: every neuron picks ``partners`` others uniformly
    (without replacement, neurons in order), then every picked pair is connected both ways (degree
    >= partners, mean ≈ 2 partners). A CSR matrix of ones with sorted indices."""
    picks = np.array([rng.choice(n - 1, size=partners, replace=False) for _ in range(n)], dtype=np.int64)
    rows = np.repeat(np.arange(n), partners)
    cols = picks.ravel()
    cols = cols + (cols >= rows)  # skip the neuron itself
    a = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    a = (a + a.T).tocsr()
    a.data[:] = 1.0
    a.sort_indices()
    return a


def _mirrored(values_upper: np.ndarray, upper: np.ndarray, transpose: np.ndarray) -> np.ndarray:
    """Per-entry values of a symmetric pattern from one value per pair (the entries i < l, in order)."""
    out = np.empty(upper.size)
    out[upper] = values_upper
    out[~upper] = out[transpose[~upper]]
    return out


def sparse_target(seed_distr: int, dim: int, partners: int, alpha: float = 1.0, beta: float = 1.0):
    """Sparse Boltzmann target of any size: (W*, b*), W* a symmetric CSR matrix.

    From ``default_rng(seed_distr)`` in this order: the pattern (``random_pattern``), then, as the
    paper's target on its pairs, W*_il = W*_li = 2 Beta(α, β) - 1 per connected pair (i < l, in CSR
    order) and b* = 2 Beta(α, β) - 1. With ``partners`` = 3 a neuron has ≈ 6 partners, as in the
    paper's 7-neuron network, so its input statistics are the paper's at every size.
    """
    checks.integer("seed_distr", seed_distr, ge=0)
    checks.integer("dim", dim, ge=2)
    checks.integer("partners", partners, ge=1)
    if partners > dim - 1:
        raise ValueError(f"partners must be <= dim - 1 = {dim - 1}, got {partners}")
    _check_beta(alpha, beta)
    rng = np.random.default_rng(seed_distr)
    W = random_pattern(rng, dim, partners)
    ptr, idx, transpose = pattern(W)
    upper = upper_pairs(ptr, idx)
    W.data = _mirrored(2.0 * rng.beta(alpha, beta, size=int(upper.sum())) - 1.0, upper, transpose)
    b = 2.0 * rng.beta(alpha, beta, size=dim) - 1.0
    return W, b


def truncated_normal(rng, sigma: float, shape) -> np.ndarray:
    """N(0, σ²) truncated to [-1.5σ, 1.5σ] by redrawing only the out-of-range entries (flattened
    order), as the official code does; σ = 0 still consumes one draw per entry."""
    x = rng.normal(0.0, sigma, size=int(np.prod(shape)))
    bad = (x < -1.5 * sigma) | (x > 1.5 * sigma)
    while bad.any():
        x[bad] = rng.normal(0.0, sigma, size=int(bad.sum()))
        bad = (x < -1.5 * sigma) | (x > 1.5 * sigma)
    return x.reshape(shape)


def amplitude_pattern(forward: np.ndarray, backward: np.ndarray) -> np.ndarray:
    """Plasticity amplitudes per synapse: ``forward`` on the strict upper triangle, then ``backward``
    on ``tril_indices(k=1)`` (which overwrites the first superdiagonal: an official quirk)."""
    a = np.empty_like(forward)
    upper = np.triu_indices(a.shape[0], k=1)
    a[upper] = forward[upper]
    lower = np.tril_indices(a.shape[0], k=1)
    a[lower] = backward[lower]
    return a


def initial_network(seed_init: int, dim: int, weight_init: float, bias_init: float, init_noise: float,
                    sigma_p: float, clip_amplitudes: bool):
    """Initial weights, biases and the wake-sleep / SAL amplitude matrices, in the official draw order.

    W0 = mirror(N(0, weight_init)) + N(0, init_noise) (the synaptic noise, on every entry);
    b0 = N(0, bias_init); then four truncated-normal draws: ws forward, ws backward, SAL forward, SAL
    backward. Amplitudes are A = 1 + ε (protocol B: max(A, 0)).
    """
    rng = np.random.default_rng(seed_init)
    W = mirror_upper(rng.normal(0.0, weight_init, size=(dim, dim)))
    W = W + rng.normal(0.0, init_noise, size=(dim, dim))
    b = rng.normal(0.0, bias_init, size=dim)
    draws = [1.0 + truncated_normal(rng, sigma_p, (dim, dim)) for _ in range(4)]
    if clip_amplitudes:
        draws = [np.maximum(d, 0.0) for d in draws]
    a_ws = amplitude_pattern(draws[0], draws[1])
    a_sal = amplitude_pattern(draws[2], draws[3])
    return W, b, a_ws, a_sal


def with_probes(W_star: sp.csr_matrix, seed_distr: int, probes: int) -> sp.csr_matrix:
    """The evaluation pattern: W* (CSR) plus explicit zeros on unconnected "probe" pairs, which the
    network cannot learn directly; their coactivations test statistics beyond the learnt ones. Every
    neuron picks ``probes`` unconnected others uniformly, from ``default_rng((seed_distr, 1))`` (a
    stream apart from the target's draws), and the picks are symmetrised."""
    n = W_star.shape[0]
    checks.integer("probes", probes, ge=0)
    rng = np.random.default_rng((seed_distr, 1))
    rows, cols = [], []
    for i in range(n):
        others = np.setdiff1d(np.arange(n), [i, *W_star.indices[W_star.indptr[i]:W_star.indptr[i + 1]]])
        if others.size < probes:
            raise ValueError(f"probes = {probes} exceeds the {others.size} unconnected partners of neuron {i}")
        cols.append(rng.choice(others, size=probes, replace=False))
        rows.append(np.full(probes, i))
    rows, cols = np.concatenate(rows).astype(np.int64), np.concatenate(cols).astype(np.int64)
    probe = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    probe = ((probe + probe.T) > 0).astype(np.float64).tocoo()
    coo = W_star.tocoo()
    out = sp.csr_matrix((np.concatenate([coo.data, np.zeros(probe.nnz)]),
                         (np.concatenate([coo.row, probe.row]), np.concatenate([coo.col, probe.col]))), shape=(n, n))
    out.sort_indices()
    return out


def sparse_initial_network(seed_init: int, dim: int, upper, transpose, weight_init: float, bias_init: float,
                           init_noise: float, sigma_p: float):
    """Initial network on a symmetric pattern (per-entry vectors; ``upper`` marks the entries i < l and
    ``transpose`` maps entry (i, l) to (l, i)), with protocol B's conventions, from
    ``default_rng(seed_init)`` in this order: a symmetric part N(0, weight_init) per pair, the synaptic
    noise N(0, init_noise) on every synapse (both directions independently), b0 = N(0, bias_init),
    then the wake-sleep and the SAL amplitudes, max(1 + ε, 0) with ε truncated normal (σ_p) per synapse:
    the paper's draws restricted to the connected synapses (without the official superdiagonal quirk).
    """
    rng = np.random.default_rng(seed_init)
    W = _mirrored(rng.normal(0.0, weight_init, size=int(upper.sum())), upper, transpose)
    W = W + rng.normal(0.0, init_noise, size=upper.size)
    b = rng.normal(0.0, bias_init, size=dim)
    a_ws, a_sal = (np.maximum(1.0 + truncated_normal(rng, sigma_p, upper.size), 0.0) for _ in range(2))
    return W, b, a_ws, a_sal
