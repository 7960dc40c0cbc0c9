"""Event-driven sampler at larger n (issue 11): exact in distribution against the literal per-step
simulator on moments, sparse (CSR) connectivity bitwise equal to the dense path, cost ∝ fan-out.
n = 7 runs the hazard-table path (the default up to 10 neurons), n = 20 and 100 the thinning path.

Statistical verdict (``verdict``): S seeds per simulator, Welch z-scores of the seed means of
(a) three aggregates (total rate, total pair coactivation, weight-weighted coactivation): |z| < 4;
(b) every neuron's rate: max |z| < 4.5; (c) every pair's STDP coactivation (Q + Qᵀ)/T: max |z| < 5.5.
With S = 32 (t with ~60 degrees of freedom) the chance that a correct sampler fails is < 1 % over all
tests; the seeds are fixed, so the outcome is deterministic. Each test also checks its own power:
deliberately wrong event samplers (refractory period one step too long or short, PSP one step too
long or short) must fail the same verdict against the same reference.
"""

import functools
import time

import numpy as np
import pytest
import scipy.sparse as sp

from sal.rng import generator
from sal.sampling.sampler import _later, sleep_phase

SEEDS = 32
LIMITS = {"aggregate": 4.0, "rates": 4.5, "pairs": 5.5}


def network(n, weight_scale, seed=None):
    """Random asymmetric weights (std weight_scale / sqrt(n)), zero diagonal, biases in [-1.5, 0.5]."""
    rng = np.random.default_rng(n if seed is None else seed)
    W = rng.normal(0.0, weight_scale / np.sqrt(n), (n, n))
    np.fill_diagonal(W, 0.0)
    return W, rng.uniform(-1.5, 0.5, n)


def moments(W, b, steps, seed, simulator, tau=50, tau_syn=50):
    """Rates and pair coactivations (upper triangle) of one sleep phase, both in units of τ_ref/T."""
    n = b.size
    ones = np.ones((n, n))
    o = sleep_phase(W, b, steps, generator(seed), ones, ones, simulator=simulator, tau=tau, tau_syn=tau_syn,
                    joint_states=False)
    return np.concatenate([o["counts"] * 50 / steps, o["stdp_ws"][np.triu_indices(n, 1)] * 50 / steps])


@functools.lru_cache(maxsize=None)
def reference(n, weight_scale, steps):
    W, b = network(n, weight_scale)
    return np.array([moments(W, b, steps, s, "per_step") for s in range(SEEDS)])


def welch_z(x, y):
    se = np.sqrt(x.var(axis=0, ddof=1) / len(x) + y.var(axis=0, ddof=1) / len(y))
    d = x.mean(axis=0) - y.mean(axis=0)
    return np.where(se > 0, d / np.where(se > 0, se, 1.0), 0.0)


def verdict(n, weight_scale, steps, **event_kw):
    """Max |z| of each statistic group, event-driven sampler (with event_kw) against the reference."""
    W, b = network(n, weight_scale)
    ref = reference(n, weight_scale, steps)
    ev = np.array([moments(W, b, steps, 10_000 + s, "event", **event_kw) for s in range(SEEDS)])
    iu = np.triu_indices(n, 1)
    contrast = W[iu] + W.T[iu]

    def aggregates(m):
        return np.stack([m[:, :n].sum(1), m[:, n:].sum(1), (m[:, n:] * contrast).sum(1)], axis=1)

    return {"aggregate": np.abs(welch_z(aggregates(ev), aggregates(ref))).max(),
            "rates": np.abs(welch_z(ev[:, :n], ref[:, :n])).max(),
            "pairs": np.abs(welch_z(ev[:, n:], ref[:, n:])).max()}


def passes(v):
    return all(v[k] < LIMITS[k] for k in LIMITS)


# (n, weight scale, steps per seed, wrong samplers that must be caught)
CASES = {
    7: (6.0, 300_000, [dict(tau=51), dict(tau=49), dict(tau_syn=49), dict(tau_syn=51)]),
    20: (3.0, 100_000, [dict(tau=51), dict(tau=49), dict(tau_syn=49), dict(tau_syn=51)]),
    100: (1.5, 10_000, [dict(tau=51), dict(tau=49)]),
}


@pytest.mark.parametrize("n", sorted(CASES))
def test_event_sampler_matches_per_step_moments(n):
    scale, steps, wrong = CASES[n]
    v = verdict(n, scale, steps)
    assert passes(v), v
    for kw in wrong:  # power: an off-by-one refractory period or PSP length is detected
        bad = verdict(n, scale, steps, **kw)
        assert not passes(bad), (kw, bad)


@pytest.mark.parametrize("hazard_table", [True, False])
@pytest.mark.parametrize("tau, tau_syn", [(10, 25), (10, 1), (6, 3)])
def test_unusual_time_constants_match_per_step(tau, tau_syn, hazard_table):
    """PSP longer than the refractory period (re-firing during a PSP), no PSP at all, short PSP; strong
    weights, 4 neurons: rates, pair sums and the joint-state histogram agree (same verdict), for both
    event-driven paths."""
    W, b = network(4, 4.0, seed=7)
    stats = {}
    for sim in ("event", "per_step"):
        runs = []
        for s in range(SEEDS):
            o = sleep_phase(W, b, 20_000, generator(100 * (sim == "event") + s), np.ones((4, 4)), np.ones((4, 4)),
                            simulator=sim, tau=tau, tau_syn=tau_syn, hazard_table=hazard_table)
            runs.append(np.concatenate([o["counts"], o["stdp_ws"][np.triu_indices(4, 1)],
                                        o["hist"] / o["hist"].sum()]))
        stats[sim] = np.array(runs)
    z = welch_z(stats["event"], stats["per_step"])
    assert np.abs(z).max() < 4.5, np.round(z, 2)


@pytest.mark.parametrize("hazard_table", [True, False])
def test_saturated_and_silent_neurons(hazard_table):
    """Potentials far beyond exp's range: a neuron at u = 800 fires at the first step of every eligible
    period (ISI exactly τ + 1), one at u = -800 never fires, and neither disturbs the other."""
    W = np.zeros((2, 2))
    out = sleep_phase(W, np.array([800.0, -800.0]), 10_000, generator(0), W, W, record_steps=10_000,
                      hazard_table=hazard_table)
    np.testing.assert_array_equal(out["spike_time"], np.arange(0, 10_000, 51))
    assert out["counts"][1] == 0


def test_budget_runs_out_strictly_after_its_start():
    """The rounding guard of the hazard-table path: a spent budget still fires in step s, never before,
    however late the step (the paper's longest phases have 5e7 steps; a study may have far more)."""
    for s in (0.0, 1.0, 51.0, 5e7 + 1, 2.0**50 + 3):
        assert s < _later(s, 0.0) <= s + 1 and np.ceil(_later(s, 0.0)) - 1 == s


def test_sparse_connectivity_is_bitwise_the_dense_path():
    """Same weights as a dense array and as CSR: identical spikes and counts; the sparse pair sums are
    the dense ones on the connected pairs (either direction), as CSR matrices."""
    n = 60
    rng = np.random.default_rng(1)
    W = rng.normal(0, 0.8, (n, n)) * (rng.random((n, n)) < 0.1)
    np.fill_diagonal(W, 0.0)
    b = rng.uniform(-1.0, 0.5, n)
    a_ws, a_sal = rng.uniform(0.5, 1.5, (n, n)), rng.uniform(0.5, 1.5, (n, n))
    kw = dict(record_steps=200_000, max_recorded=10**6)
    dense = sleep_phase(W, b, 200_000, generator(3), a_ws, a_sal, **kw)
    sparse = sleep_phase(sp.csr_matrix(W), b, 200_000, generator(3), a_ws, a_sal, **kw)
    assert dense["counts"].sum() > 10_000
    for key in ("spike_time", "neuron_id", "counts"):
        np.testing.assert_array_equal(dense[key], sparse[key])
    connected = (W != 0) | (W.T != 0)
    for key in ("stdp_ws", "stdp_sal"):
        assert sp.issparse(sparse[key])
        np.testing.assert_array_equal(np.where(connected, dense[key], 0.0), sparse[key].toarray())
    # the per-step reference accepts the sparse matrix too and returns the same pattern
    ref = sleep_phase(sp.csr_matrix(W), b, 2_000, generator(3), a_ws, a_sal, simulator="per_step")
    assert (ref["stdp_ws"] != 0).nnz <= connected.sum() and ref["stdp_ws"].shape == (n, n)


@pytest.mark.parametrize("hazard_table", [True, False])
def test_sparse_joint_state_histogram_and_scalar_amplitudes(hazard_table):
    n = 8
    W, b = network(n, 3.0, seed=2)
    W[np.abs(W) < 0.5] = 0.0
    dense = sleep_phase(W, b, 100_000, generator(5), np.ones((n, n)), np.ones((n, n)), hazard_table=hazard_table)
    sparse = sleep_phase(sp.csr_matrix(W), b, 100_000, generator(5), 1.0, 1.0, hazard_table=hazard_table)
    np.testing.assert_array_equal(dense["hist"], sparse["hist"])
    assert sparse["hist"].sum() == 100_000 // 25


def test_joint_states_only_for_small_networks():
    W, b = network(30, 1.0)
    out = sleep_phase(W, b, 1_000, generator(0), np.ones((30, 30)), np.ones((30, 30)))
    assert out["hist"] is None and out["counts"].sum() > 0
    with pytest.raises(ValueError, match="62"):
        sleep_phase(np.zeros((63, 63)), np.zeros(63), 10, generator(0), 1.0, 1.0, joint_states=True)
    with pytest.raises(ValueError, match="hazard_table needs at most 16"):
        sleep_phase(np.zeros((17, 17)), np.zeros(17), 10, generator(0), 1.0, 1.0, hazard_table=True)


def test_event_sampler_is_seeded_and_reproducible():
    W, b = network(50, 1.5)
    ones = np.ones((50, 50))
    a, c = (sleep_phase(W, b, 50_000, generator(9), ones, ones, record_steps=50_000) for _ in range(2))
    other = sleep_phase(W, b, 50_000, generator(10), ones, ones, record_steps=50_000)
    np.testing.assert_array_equal(a["spike_time"], c["spike_time"])
    np.testing.assert_array_equal(a["stdp_ws"], c["stdp_ws"])
    assert not np.array_equal(a["counts"], other["counts"])


def _ns_per_spike_and_synapse(W, b, steps, fan_out):
    sleep_phase(W, b, 100, generator(0), 1.0, 1.0, joint_states=False)  # compiled / loaded
    times = []
    for k in range(3):
        start = time.perf_counter()
        out = sleep_phase(W, b, steps, generator(k), 1.0, 1.0, joint_states=False)
        times.append(time.perf_counter() - start)
    return 1e9 * np.median(times) / (out["counts"].sum() * fan_out)


def test_cost_grows_with_events_times_fan_out():
    """Loose timing check (benchmarks/sampling.py measures properly): the cost per spike and synapse
    does not grow from n = 50 to n = 400 (dense), nor from 500 to 4000 neurons at 20 synapses each."""
    W50, b50 = network(50, 1.5)
    W400, b400 = network(400, 1.5)
    small = _ns_per_spike_and_synapse(W50, b50, 200_000, 50)
    large = _ns_per_spike_and_synapse(np.asarray(W400), b400, 25_000, 400)
    assert large < 3 * small, (small, large)

    def sparse_net(n, k=20):
        rng = np.random.default_rng(n)
        rows, cols = np.repeat(np.arange(n), k), rng.integers(0, n, n * k)
        W = sp.csr_matrix((rng.normal(0, 1.5 / np.sqrt(k), n * k), (rows, cols)), shape=(n, n))
        W.setdiag(0)
        W.eliminate_zeros()
        return W, rng.uniform(-1.5, 0.5, n)

    small = _ns_per_spike_and_synapse(*sparse_net(500), 40_000, 20)
    large = _ns_per_spike_and_synapse(*sparse_net(4000), 5_000, 20)
    assert large < 3 * small, (small, large)
