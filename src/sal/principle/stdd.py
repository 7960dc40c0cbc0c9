"""Exact spike-time-difference distribution (STDD) of two neural-sampling neurons (spec principle §2-4).

The chain lives on states (a, b) = steps since the last spike of neuron i and of neuron j (0 = spiked
in this step, saturating at M - 1). All probability vectors are kept as 2-D arrays P[a, b]; one step of
the chain costs O(M^2) and needs no sparse matrices.

Stationary distribution: between spikes a state moves deterministically along a diagonal
(a, b) -> (a+1, b+1), so the chain is fully described by the 2M - 1 "somebody just spiked" boundary
states {a = 0} u {b = 0}. We solve the embedded boundary chain (a dense (2M-1)^2 system) and fill the
interior by walking the diagonals: exact, O(M^2) plus one small solve.

Conventions (spec §1): W_ji is the synapse i -> j, W_ij is j -> i; the STDD is over
dt = t_j - t_i with lags -(M-1) .. (M-1).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..kernels import PSP_SHAPES, psp, stdp_window
from ..kernels import psp as psp_kernel

FILL_MIDDLE = ("nan", "zero", "smooth")


# --------------------------------------------------------------------------- chain primitives
def firing_probabilities(w_ji, w_ij, b_i, b_j, *, psp_shape, tau_ref, tau_syn, window):
    """Per-state firing probabilities of a non-refractory neuron, as two vectors.

    p_i(a, b) = PI[b] if a >= tau_ref - 1 else 0,   PI[b] = sigma_tau(b_i + W_ij kappa(n(b)))
    p_j(a, b) = PJ[a] if b >= tau_ref - 1 else 0,   PJ[a] = sigma_tau(b_j + W_ji kappa(n(a)))
    with n(x) = min(x + 1, M - 1) and sigma_tau(u) = 1 / (1 + tau_ref exp(-u)).
    """
    M = window
    ages = np.minimum(np.arange(M) + 1, M - 1)  # n(x): the PSP acts from the step after the spike
    kappa = psp(psp_shape, ages, tau_ref=tau_ref, tau_syn=tau_syn)
    PI = 1.0 / (1.0 + tau_ref * np.exp(-(b_i + w_ij * kappa)))
    PJ = 1.0 / (1.0 + tau_ref * np.exp(-(b_j + w_ji * kappa)))
    return PI, PJ


@njit(cache=True)
def propagate(P, PI, PJ, tau_ref, out, keep_single, keep_both):
    """out = T P for the two-neuron chain; optionally drop single-spike or coincident transitions.

    keep_single=keep_both=True is the full chain T. keep_single=False gives the killed chain of the
    first-passage computation; keep_both decides whether a coincident spike restarts at (0, 0).
    """
    M = P.shape[0]
    out[:, :] = 0.0
    for a in range(M):
        na = min(a + 1, M - 1)
        for b in range(M):
            m = P[a, b]
            if m == 0.0:
                continue
            nb = min(b + 1, M - 1)
            pi = PI[b] if a >= tau_ref - 1 else 0.0
            pj = PJ[a] if b >= tau_ref - 1 else 0.0
            out[na, nb] += m * (1.0 - pi) * (1.0 - pj)
            if keep_both:
                out[0, 0] += m * pi * pj
            if keep_single:
                out[0, nb] += m * pi * (1.0 - pj)
                out[na, 0] += m * (1.0 - pi) * pj


@njit(cache=True)
def _boundary_index(a, b, M):
    """Index of a boundary state (a == 0 or b == 0): (0, b) -> b, (a, 0) -> M - 1 + a."""
    return b if a == 0 else M - 1 + a


@njit(cache=True)
def _walk_diagonal(a, b, PI, PJ, tau_ref, R, col, visits, weight):
    """Follow the spike-free path from boundary state (a, b) until it is absorbed by a spike.

    Adds to R[:, col] the probability of each boundary state the excursion ends in, and (if weight is
    non-zero) weight * survival to visits[a, b] along the path. Returns the mean excursion length.
    """
    M = PI.shape[0]
    survive = 1.0
    length = 0.0
    while True:
        pi = PI[b] if a >= tau_ref - 1 else 0.0
        pj = PJ[a] if b >= tau_ref - 1 else 0.0
        na = min(a + 1, M - 1)
        nb = min(b + 1, M - 1)
        stay = (1.0 - pi) * (1.0 - pj)
        if a == M - 1 and b == M - 1:  # absorbing corner: geometric number of repeats
            repeats = 1.0 / (1.0 - stay)
        else:
            repeats = 1.0
        mass = survive * repeats
        length += mass
        if weight != 0.0:
            visits[a, b] += weight * mass
        R[0, col] += mass * pi * pj
        R[_boundary_index(0, nb, M), col] += mass * pi * (1.0 - pj)
        R[_boundary_index(na, 0, M), col] += mass * (1.0 - pi) * pj
        if a == M - 1 and b == M - 1:
            return length
        survive *= stay
        a, b = na, nb


@njit(cache=True)
def _boundary_chain(PI, PJ, tau_ref):
    """Embedded chain on the boundary states and the mean excursion length from each of them."""
    M = PI.shape[0]
    nb = 2 * M - 1
    R = np.zeros((nb, nb))
    lengths = np.zeros(nb)
    dummy = np.zeros((1, 1))
    for k in range(nb):
        a, b = (0, k) if k < M else (k - M + 1, 0)
        lengths[k] = _walk_diagonal(a, b, PI, PJ, tau_ref, R, k, dummy, 0.0)
    return R, lengths


@njit(cache=True)
def _fill_interior(x, PI, PJ, tau_ref):
    """Stationary 2-D distribution from the boundary entry rates x (visits of every excursion)."""
    M = PI.shape[0]
    pi2d = np.zeros((M, M))
    scratch = np.zeros((2 * M - 1, 1))
    for k in range(2 * M - 1):
        if x[k] == 0.0:
            continue
        a, b = (0, k) if k < M else (k - M + 1, 0)
        scratch[:, 0] = 0.0
        _walk_diagonal(a, b, PI, PJ, tau_ref, scratch, 0, pi2d, x[k])
    return pi2d


@njit(cache=True)
def _solve(A, rhs):
    """x with A x = rhs by Gaussian elimination with partial pivoting (overwrites A and rhs).

    Our own compiled solve instead of LAPACK: its cost (~1 ms for the 203 x 203 boundary system at
    M = 102) and its result do not depend on the BLAS library or its thread settings; a threaded BLAS
    on a busy machine made np.linalg.solve 10-100x slower than this.
    """
    n = A.shape[0]
    for k in range(n):
        p = k
        big = abs(A[k, k])
        for r in range(k + 1, n):
            if abs(A[r, k]) > big:
                big = abs(A[r, k])
                p = r
        if big == 0.0:
            raise ValueError("singular boundary system")
        if p != k:
            for c in range(k, n):
                A[k, c], A[p, c] = A[p, c], A[k, c]
            rhs[k], rhs[p] = rhs[p], rhs[k]
        inv = 1.0 / A[k, k]
        for r in range(k + 1, n):
            f = A[r, k] * inv
            if f != 0.0:
                for c in range(k + 1, n):
                    A[r, c] -= f * A[k, c]
                rhs[r] -= f * rhs[k]
    x = np.empty(n)
    for k in range(n - 1, -1, -1):
        acc = rhs[k]
        for c in range(k + 1, n):
            acc -= A[k, c] * x[c]
        x[k] = acc / A[k, k]
    return x


def stationary(PI, PJ, tau_ref):
    """Stationary distribution pi[a, b] of the full chain (sums to 1)."""
    R, lengths = _boundary_chain(PI, PJ, tau_ref)
    n = R.shape[0]
    A = R - np.eye(n)
    A[0, :] = lengths  # replace one balance equation by the normalisation sum_s pi(s) = 1
    rhs = np.zeros(n)
    rhs[0] = 1.0
    x = _solve(A, rhs)
    pi2d = _fill_interior(x, PI, PJ, tau_ref)
    return pi2d / pi2d.sum()


@njit(cache=True)
def _first_passage(q0, PI, PJ, tau_ref, coincidence_restart):
    """Unnormalised right half r[d], d = 0..M-1, of the STDD from the post-spike distribution q0.

    M + 1 readouts: one from q0, then M times (propagate the killed chain, read). The readout at lag d
    is the probability that j fires from a state with a = d - 1 (alone or together with i).
    """
    M = PI.shape[0]
    r = np.zeros(M)
    P = q0.copy()
    nxt = np.empty_like(P)
    for t in range(M + 1):
        if t > 0:
            propagate(P, PI, PJ, tau_ref, nxt, False, coincidence_restart)
            P, nxt = nxt, P
        for a in range(M - 1):  # nothing is read from the saturated row a = M - 1
            acc = 0.0
            for b in range(tau_ref - 1, M):
                acc += P[a, b]
            r[a + 1] += acc * PJ[a]
    return r


def _half_from(pi2d, PI, PJ, tau_ref, coincidence_restart):
    """Right half p(+d), d = 1..M-1, normalised to 0.5 (j fires d steps after i), from the stationary
    distribution pi2d of the chain with firing probabilities PI, PJ."""
    q0 = np.zeros_like(pi2d)
    q0[0, :] = pi2d[0, :] / pi2d[0, :].sum()
    r = _first_passage(q0, PI, PJ, tau_ref, coincidence_restart)[1:]
    return 0.5 * r / r.sum()


def _half(w_ji, w_ij, b_i, b_j, psp_shape, tau_ref, tau_syn, window, coincidence_restart):
    """Right half p(+d), d = 1..M-1, normalised to 0.5 (j fires d steps after i)."""
    PI, PJ = firing_probabilities(
        w_ji, w_ij, b_i, b_j, psp_shape=psp_shape, tau_ref=tau_ref, tau_syn=tau_syn, window=window
    )
    return _half_from(stationary(PI, PJ, tau_ref), PI, PJ, tau_ref, coincidence_restart)


def check_chain_parameters(psp_shape, tau_ref, window, fill_middle="nan"):
    """Raise ValueError naming the argument if the chain parameters are outside the model."""
    if psp_shape not in PSP_SHAPES:
        raise ValueError(f"psp must be one of {PSP_SHAPES}, got {psp_shape!r}")
    if int(tau_ref) != tau_ref or tau_ref < 2:
        raise ValueError(f"tau_ref must be an integer >= 2, got {tau_ref!r}")
    if int(window) != window or window <= tau_ref:
        raise ValueError(f"window must be an integer > tau_ref = {tau_ref}, got {window!r}")
    if fill_middle not in FILL_MIDDLE:
        raise ValueError(f"fill_middle must be one of {FILL_MIDDLE}, got {fill_middle!r}")


SATURATION = 15.0  # largest drive u - ln(tau_ref) the solve resolves: a firing probability 1 - P >= ~3e-7


def _finite_number(name, value):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")


def check_drive(w_ji, w_ij, b_i, b_j, *, psp="rect", tau_ref, tau_syn, window):
    """Raise ValueError naming the arguments if the chain is outside what its exact solve resolves: weights
    and biases must be finite, ``tau_syn`` positive, and no neuron may be driven into saturation.

    A neuron whose drive u = b + W kappa exceeds ln(tau_ref) + SATURATION fires with probability
    1 - P < ~2e-9 whenever it can: the two neurons lock into a deterministic rhythm, the chain's stationary
    distribution is (numerically) not unique and the boundary system is singular.
    """
    for name, value in (("w_ji", w_ji), ("w_ij", w_ij), ("b_i", b_i), ("b_j", b_j), ("tau_syn", tau_syn)):
        _finite_number(name, value)
    if tau_syn <= 0:
        raise ValueError(f"tau_syn must be > 0, got {tau_syn!r}")
    ages = np.minimum(np.arange(int(window)) + 1, int(window) - 1)
    kappa = psp_kernel(psp, ages, tau_ref=tau_ref, tau_syn=tau_syn)
    limit = np.log(tau_ref) + SATURATION
    for neuron, b, w, wname, bname in (("i", b_i, w_ij, "w_ij", "b_i"), ("j", b_j, w_ji, "w_ji", "b_j")):
        drive = float(np.max(b + w * kappa))
        if drive > limit:
            raise ValueError(
                f"{bname} = {b!r} and {wname} = {w!r} saturate neuron {neuron}: its drive {bname} + {wname}·kappa "
                f"reaches {drive:.3g} > ln(tau_ref) + {SATURATION:g} = {limit:.3g} (psp {psp!r}, tau_syn {tau_syn!r}); "
                "it then fires whenever it can, the chain locks and its stationary distribution is not "
                "resolvable: lower the weight or the bias")


def stdd(
    w_ji: float,
    w_ij: float,
    b_i: float,
    b_j: float,
    *,
    psp: str = "rect",
    tau_ref: int,
    tau_syn: float,
    window: int,
    coincidence_restart: bool = True,
    fill_middle: str = "nan",
):
    """Analytic nearest-neighbour STDD p(dt), dt = t_j - t_i, of the two-neuron sampling chain.

    Returns (lags, p) with lags -(window-1) .. (window-1); each half sums to 0.5. The centre bin is
    NaN, 0 or the mean of its neighbours (fill_middle "nan" / "zero" / "smooth"). With
    coincidence_restart=True (the official engine) a coincident spike is counted at its lag and its
    mass restarts from (0, 0); False is the clean first-passage definition.
    """
    check_chain_parameters(psp, tau_ref, window, fill_middle)
    tau_ref = int(tau_ref)
    window = int(window)
    check_drive(w_ji, w_ij, b_i, b_j, psp=psp, tau_ref=tau_ref, tau_syn=tau_syn, window=window)
    PI, PJ = firing_probabilities(
        w_ji, w_ij, b_i, b_j, psp_shape=psp, tau_ref=tau_ref, tau_syn=tau_syn, window=window
    )
    pi2d = stationary(PI, PJ, tau_ref)
    right = _half_from(pi2d, PI, PJ, tau_ref, coincidence_restart)
    # the left half is the right half of the chain with the roles of i and j exchanged: its firing
    # probabilities are (PJ, PI) and its stationary distribution is the transpose (one solve, not two)
    left = _half_from(np.ascontiguousarray(pi2d.T), PJ, PI, tau_ref, coincidence_restart)[::-1]
    if not (np.all(np.isfinite(left)) and np.all(np.isfinite(right))) or min(left.min(), right.min()) < -1e-9:
        raise ValueError(f"w_ji = {w_ji!r}, w_ij = {w_ij!r}, b_i = {b_i!r}, b_j = {b_j!r}: the chain's STDD is not "
                         "numerically resolvable (a neuron practically never fires, or fires nearly always while "
                         "its partner nearly never does): move the weights or biases towards 0")
    middle = {"nan": np.nan, "zero": 0.0, "smooth": 0.5 * (left[-1] + right[0])}[fill_middle]
    lags = np.arange(-(window - 1), window)
    return lags, np.concatenate([left, [middle], right])


def sal_update(lags, p, *, a_plus=-1.0, a_minus=1.0, tau_plus, tau_minus):
    """Expected weight drift (dW_ji, dW_ij) = (sum p K(dt), sum p K(-dt)) of an STDD.

    K is the STDP window of ``sal.kernels.stdp_window``; the centre bin is ignored (K(0) = 0).
    """
    for name, value in (("a_plus", a_plus), ("a_minus", a_minus), ("tau_plus", tau_plus), ("tau_minus", tau_minus)):
        _finite_number(name, value)
    for name, value in (("tau_plus", tau_plus), ("tau_minus", tau_minus)):
        if value <= 0:
            raise ValueError(f"{name} must be > 0, got {value!r}")
    lags = np.asarray(lags)
    if lags.ndim != 1 or np.shape(p) != lags.shape:
        raise ValueError(f"lags and p must be 1-d arrays of one length, got shapes {lags.shape} and {np.shape(p)}")
    if not np.all(np.isfinite(lags)):
        raise ValueError("lags must be finite")
    p = np.where(lags == 0, 0.0, np.asarray(p, dtype=np.float64))
    if not np.all(np.isfinite(p)):
        raise ValueError("STDD contains non-finite values outside the centre bin")
    k = dict(a_plus=a_plus, a_minus=a_minus, tau_plus=tau_plus, tau_minus=tau_minus)
    return float(np.sum(p * stdp_window(lags, **k))), float(np.sum(p * stdp_window(-lags, **k)))
