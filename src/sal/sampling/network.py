"""Boltzmann targets, initial draws and metrics of the spiking sampling network (spec sampling §2-3).

States are indexed with neuron 0 as the most significant bit. The draws follow the official draw
order exactly, so that a (distribution seed, init seed) pair gives the paper's targets and initial
networks.
"""

from __future__ import annotations

import numpy as np

from .. import checks


def all_states(dim: int) -> np.ndarray:
    """(2^dim, dim) array of binary states; row k is k in binary, neuron 0 the most significant bit."""
    k = np.arange(2**dim)[:, None]
    return (k >> np.arange(dim - 1, -1, -1)) & 1


def mirror_upper(a: np.ndarray) -> np.ndarray:
    """Symmetric matrix from the strict upper triangle of ``a`` (zero diagonal)."""
    upper = np.triu(a, k=1)
    return upper + upper.T


def boltzmann(W: np.ndarray, b: np.ndarray):
    """Exact distribution p(z) ∝ exp(½ zᵀWz + bᵀz) by enumeration, with its marginals and
    pairwise coactivations C_ij = p(z_i = 1, z_j = 1) (zero diagonal)."""
    z = all_states(b.size).astype(np.float64)
    log_w = 0.5 * np.einsum("si,ij,sj->s", z, W, z) + z @ b
    p = np.exp(log_w - log_w.max())
    p /= p.sum()
    coact = np.einsum("s,si,sj->ij", p, z, z)
    marginals = np.diagonal(coact).copy()
    np.fill_diagonal(coact, 0.0)
    return p, marginals, coact


def make_target(seed_distr: int, dim: int = 7, alpha: float = 1.0, beta: float = 1.0):
    """Target Boltzmann machine of the paper: (W*, b*, p*) with p* over the 2^dim states.

    W* = mirror(2 Beta(α, β) - 1) on the strict upper triangle, b* = 2 Beta(α, β) - 1, drawn in this
    order from ``default_rng(seed_distr)``.
    """
    checks.integer("seed_distr", seed_distr, ge=0)
    checks.integer("dim", dim, ge=1)
    if dim > 24:
        raise ValueError(f"dim must be <= 24 (p* enumerates the 2^dim states), got {dim}")
    checks.number("alpha", alpha, gt=0)
    checks.number("beta", beta, gt=0)
    rng = np.random.default_rng(seed_distr)
    W = mirror_upper(2.0 * rng.beta(alpha, beta, size=(dim, dim)) - 1.0)
    b = 2.0 * rng.beta(alpha, beta, size=dim) - 1.0
    return W, b, boltzmann(W, b)[0]


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
