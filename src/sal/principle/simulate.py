"""Seeded Monte-Carlo simulation of the two-neuron sampling system (spec principle §5).

The simulator runs exactly the chain of ``sal.principle.stdd`` with unsaturated counters: in step t
neuron i fires with probability sigma_tau(b_i + W_ij kappa(t - t_j_last)) if t - t_i_last >= min_isi
(min_isi = tau_ref as in the chain; tau_ref + 1 reproduces the official fig-2d simulator, whose
refractory test is ``t_last < t - tau``). A spike at t acts from t + 1 on, at ages 1, 2, ...

Spike-time differences are paired either per reference spike (the analytic definition) or by the
nearest-neighbour rule of the official analysis; the SAL epoch loop of fig 2d uses pair-based STDP
over the partner's last K spikes.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from numba import njit

from .. import checks
from ..kernels import PSP_SHAPES, _stdp_window, psp
from ..progress import Progress
from ..rng import generator
from ..store import provenance, spike_raster, time_base

#: milliseconds represented by tau_ref (spec principle §6, fig 2d: "tau_ref = 10 ms"; the config's
#: ``weight_evolution.ms_per_tau_ref``, default 10): one step is MS_PER_TAU_REF / tau_ref ms
MS_PER_TAU_REF = 10.0

NEVER = -(2**40)  # "last spike" of a neuron that has not fired: every kernel has decayed by then


def psp_table(psp_shape: str, tau_ref: int, tau_syn: float) -> np.ndarray:
    """kappa(age) for ages 0 .. L-1, with L where the kernel has decayed (ages >= L contribute 0)."""
    if psp_shape not in PSP_SHAPES:
        raise ValueError(f"psp must be one of {PSP_SHAPES}, got {psp_shape!r}")
    checks.integer("tau_ref", tau_ref, ge=2)
    checks.number("tau_syn", tau_syn, gt=0)
    length = tau_ref if psp_shape == "rect" else int(np.ceil(40 * tau_syn)) + 1
    return psp(psp_shape, np.arange(length), tau_ref=tau_ref, tau_syn=tau_syn)


@njit(cache=True)
def _simulate(n_steps, w_ji, w_ij, b_i, b_j, tau_ref, kappa, min_isi, rng, spikes_i, spikes_j):
    """Per-step Bernoulli simulation; fills spike-time buffers and returns the spike counts."""
    n_kappa = kappa.shape[0]
    last_i = NEVER
    last_j = NEVER
    n_i = 0
    n_j = 0
    for t in range(n_steps):
        age_i = t - last_i
        age_j = t - last_j
        fire_i = False
        fire_j = False
        if age_i >= min_isi:
            u_i = b_i + (w_ij * kappa[age_j] if age_j < n_kappa else 0.0)
            fire_i = rng.random() * (1.0 + tau_ref * np.exp(-u_i)) < 1.0
        if age_j >= min_isi:
            u_j = b_j + (w_ji * kappa[age_i] if age_i < n_kappa else 0.0)
            fire_j = rng.random() * (1.0 + tau_ref * np.exp(-u_j)) < 1.0
        if fire_i:
            spikes_i[n_i] = t
            n_i += 1
            last_i = t
        if fire_j:
            spikes_j[n_j] = t
            n_j += 1
            last_j = t
    return n_i, n_j


def simulate_spikes(w_ji, w_ij, b_i, b_j, n_steps, *, rng, psp_shape="rect", tau_ref, tau_syn,
                    min_isi=None):
    """Spike times (t_i, t_j) of one run of n_steps steps, drawn from the generator ``rng``."""
    if int(tau_ref) != tau_ref or tau_ref < 2:
        raise ValueError(f"tau_ref must be an integer >= 2, got {tau_ref!r}")
    for name, value in (("w_ji", w_ji), ("w_ij", w_ij), ("b_i", b_i), ("b_j", b_j)):
        checks.number(name, value)
    checks.integer("n_steps", n_steps, ge=1)
    checks.number("tau_syn", tau_syn, gt=0)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    min_isi = int(tau_ref if min_isi is None else checks.integer("min_isi", min_isi))
    if min_isi < 1:
        raise ValueError(f"min_isi must be >= 1, got {min_isi}")
    kappa = psp_table(psp_shape, int(tau_ref), tau_syn)
    capacity = n_steps // min_isi + 1
    spikes_i = np.empty(capacity, dtype=np.int64)
    spikes_j = np.empty(capacity, dtype=np.int64)
    n_i, n_j = _simulate(int(n_steps), float(w_ji), float(w_ij), float(b_i), float(b_j), float(tau_ref),
                         kappa, min_isi, rng, spikes_i, spikes_j)
    return spikes_i[:n_i], spikes_j[:n_j]


# --------------------------------------------------------------------------- pairing rules
@njit(cache=True)
def _lags_after_reference(ref, other, window, out):
    """Per-reference rule, one half: for each reference spike r, the first partner spike t > r,
    counted if t - r < window and the reference neuron did not fire in between (r, t)."""
    n = 0
    k = 0
    for idx in range(ref.shape[0]):
        r = ref[idx]
        while k < other.shape[0] and other[k] <= r:
            k += 1
        if k == other.shape[0]:
            break
        t = other[k]
        if idx + 1 < ref.shape[0] and ref[idx + 1] < t:
            continue  # the reference neuron fired alone before its partner
        if t - r < window:
            out[n] = t - r
            n += 1
    return n


def lags_per_reference(t_i, t_j, window):
    """Spike-time differences t_j - t_i by the per-reference rule (matches the analytic STDD)."""
    t_i, t_j = _spike_times(t_i, t_j)
    checks.integer("window", window, ge=2)
    right = np.empty(t_i.size, dtype=np.int64)
    left = np.empty(t_j.size, dtype=np.int64)
    n_r = _lags_after_reference(t_i, t_j, window, right)
    n_l = _lags_after_reference(t_j, t_i, window, left)
    return np.concatenate([-left[:n_l], right[:n_r]])


@njit(cache=True)
def _lags_nearest(t_i, t_j, out):
    """Nearest-neighbour rule of the official analysis: at each spike, the partner's last spike is
    paired if it is more recent than the spiking neuron's own previous spike (same-step pairs give
    lag 0, counted once, at the j spike)."""
    n = 0
    k = -1
    for idx in range(t_j.shape[0]):  # j spikes: partner i at or before t, lag >= 0
        while k + 1 < t_i.shape[0] and t_i[k + 1] <= t_j[idx]:
            k += 1
        if k >= 0 and (idx == 0 or t_i[k] > t_j[idx - 1]):
            out[n] = t_j[idx] - t_i[k]
            n += 1
    k = -1
    for idx in range(t_i.shape[0]):  # i spikes: partner j strictly before t, lag < 0
        while k + 1 < t_j.shape[0] and t_j[k + 1] < t_i[idx]:
            k += 1
        if k >= 0 and (idx == 0 or t_j[k] > t_i[idx - 1]):
            out[n] = t_j[k] - t_i[idx]
            n += 1
    return n


def lags_nearest(t_i, t_j):
    """Spike-time differences t_j - t_i by the nearest-neighbour rule of the official analysis."""
    t_i, t_j = _spike_times(t_i, t_j)
    out = np.empty(t_i.size + t_j.size, dtype=np.int64)
    return out[: _lags_nearest(t_i, t_j, out)]


def _spike_times(t_i, t_j):
    """Both spike trains as sorted 1-d int64 arrays (ValueError naming a bad one)."""
    out = []
    for name, t in (("t_i", t_i), ("t_j", t_j)):
        t = checks.array(name, t, ndim=1)
        if np.any(t != np.round(t)) or np.any(np.diff(t) < 0):
            raise ValueError(f"{name} must be sorted integer spike times")
        out.append(t.astype(np.int64))
    return out


def pair_lags(t_i, t_j, pairing, window):
    """Spike-time differences t_j - t_i under the named pairing rule."""
    checks.choice("pairing", pairing, ("per_reference", "nearest"))
    if pairing == "per_reference":
        return lags_per_reference(t_i, t_j, window)
    if pairing == "nearest":
        return lags_nearest(t_i, t_j)
    raise ValueError(f"pairing must be 'per_reference' or 'nearest', got {pairing!r}")


@njit(cache=True)
def _stdp_last_k(t_i, t_j, history, a_plus, a_minus, tau_plus, tau_minus):
    """Pair-based STDP sums over the partner's last ``history`` spikes (all-to-all if large).

    Every pair (t_i, t_j) is counted once, at the later spike; it adds K(t_j - t_i) to the synapse
    i -> j and K(t_i - t_j) to j -> i. Returns (stdp_ji, stdp_ij).
    """
    stdp_ji = 0.0
    stdp_ij = 0.0
    ki = 0  # number of i spikes at or before the current time
    kj = 0
    while ki < t_i.shape[0] or kj < t_j.shape[0]:
        take_i = kj == t_j.shape[0] or (ki < t_i.shape[0] and t_i[ki] <= t_j[kj])
        if take_i:
            t = t_i[ki]
            for m in range(max(0, kj - history), kj):
                d = t - t_j[m]
                stdp_ij += _stdp_window(d, a_plus, a_minus, tau_plus, tau_minus)
                stdp_ji += _stdp_window(-d, a_plus, a_minus, tau_plus, tau_minus)
            ki += 1
        else:
            t = t_j[kj]
            for m in range(max(0, ki - history), ki):
                d = t - t_i[m]
                stdp_ji += _stdp_window(d, a_plus, a_minus, tau_plus, tau_minus)
                stdp_ij += _stdp_window(-d, a_plus, a_minus, tau_plus, tau_minus)
            kj += 1
    return stdp_ji, stdp_ij


def stdd_histogram(lags, window):
    """Empirical STDD over lags -(window-1)..(window-1), each half normalised to 0.5; centre 0.

    Also returns the per-bin standard errors (multinomial, per half) for statistical comparisons.
    """
    checks.integer("window", window, ge=2)
    lags = checks.array("lags", lags, ndim=1)
    edges = np.arange(-(window - 1), window + 1) - 0.5
    counts = np.histogram(lags, bins=edges)[0].astype(np.float64)
    counts[window - 1] = 0.0
    p = np.zeros_like(counts)
    err = np.zeros_like(counts)
    for half in (slice(0, window - 1), slice(window, 2 * window - 1)):
        n = counts[half].sum()
        if n == 0:
            raise ValueError("no spike pairs in one half of the STDD: simulate longer")
        frac = counts[half] / n
        p[half] = 0.5 * frac
        err[half] = 0.5 * np.sqrt(frac * (1.0 - frac) / n)
    return np.arange(-(window - 1), window), p, err


# --------------------------------------------------------------------------- fig 2d: SAL epochs
def weight_evolution(params: dict, seed: int) -> xr.Dataset:
    """SAL learning of two reciprocal weights, epoch by epoch (spec principle §6, fig 2d).

    Each epoch is a fresh simulation of ``steps_per_epoch`` steps at the current weights; the STDP sums
    with the SAL window (A+ = -1, A- = +1, tau+- = tau_ref) give dW = stdp * tau_ref / steps_per_epoch
    and W <- W + learning_rate * dW for the plastic weights. Returns the weight trajectories, the
    spike rasters of the first and last epoch, parameters and seed.
    """
    p = dict(params)
    tau_ref = int(p["tau_ref"])
    steps, epochs = int(p["steps_per_epoch"]), int(p["epochs"])
    plastic = {"ji": "w_ji" in p["plastic"], "ij": "w_ij" in p["plastic"]}
    rng = generator(seed)
    w = np.array([p["w_ji"], p["w_ij"]], dtype=np.float64)
    traj = np.empty((epochs + 1, 2))
    traj[0] = w
    raster = {}
    progress = Progress(epochs, f"weight evolution (seed {seed})")
    for epoch in range(epochs):
        t_i, t_j = simulate_spikes(w[0], w[1], p["b_i"], p["b_j"], steps, rng=rng, psp_shape=p["psp"],
                                   tau_ref=tau_ref, tau_syn=p["tau_syn"], min_isi=p["min_isi"])
        if epoch in (0, epochs - 1):
            raster[epoch] = (np.concatenate([t_i, t_j]) + epoch * steps,
                             np.concatenate([np.zeros(t_i.size), np.ones(t_j.size)]))
        stdp = np.array(_stdp_last_k(t_i, t_j, int(p["stdp_history"]), -1.0, 1.0, float(tau_ref),
                                     float(tau_ref)))
        dw = stdp * tau_ref / steps
        w = w + p["learning_rate"] * dw * np.array([plastic["ji"], plastic["ij"]])
        if not np.all(np.isfinite(w)):
            raise FloatingPointError(f"weights diverged at epoch {epoch}: {w}")
        traj[epoch + 1] = w
        progress.update()
    times = np.concatenate([raster[e][0] for e in sorted(raster)])
    ids = np.concatenate([raster[e][1] for e in sorted(raster)])
    offsets = np.cumsum([0] + [raster[e][0].size for e in sorted(raster)])
    ds = xr.Dataset(
        {
            "w_ji": ("epoch", traj[:, 0], {"units": "1", "long_name": "weight i -> j (W_ji)"}),
            "w_ij": ("epoch", traj[:, 1], {"units": "1", "long_name": "weight j -> i (W_ij)"}),
            **spike_raster(times, ids, offsets),
            "segment_epoch": ("segment", np.array(sorted(raster)), {"long_name": "epoch of raster segment"}),
        },
        coords={"epoch": ("epoch", np.arange(epochs + 1), {"long_name": "epochs completed"})},
        attrs={**provenance("principle.weight_evolution", p, seed),
               **time_base(MS_PER_TAU_REF / tau_ref, f"spec principle §6: tau_ref ({tau_ref} steps) = "
                                                     f"{MS_PER_TAU_REF:g} ms")},
    )
    return ds
