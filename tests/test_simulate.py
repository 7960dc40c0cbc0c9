"""The two-neuron simulator: statistics against the analytic chain, pairing rules, SAL dynamics."""

import numpy as np
import pytest

from sal import store
from sal.principle import sal_update, stdd
from sal.principle.simulate import (
    _stdp_last_k,
    lags_nearest,
    lags_per_reference,
    simulate_spikes,
    stdd_histogram,
    weight_evolution,
)
from sal.rng import generator

WE = dict(psp="rect", tau_ref=25, tau_syn=25, min_isi=26, stdp_history=10, steps_per_epoch=1500,
          epochs=1000, learning_rate=0.03, w_ji=0.5, w_ij=1.5, b_i=-0.5, b_j=-0.2, plastic=["w_ji", "w_ij"])


@pytest.mark.parametrize(
    "w_ji, w_ij, b_i, b_j, seed",
    [(0.8, 0.4, -0.5, -0.5, 1), (-0.8, -0.4, -0.5, -0.5, 2), (1.2, -0.6, 0.3, -0.4, 3)],
)
def test_simulated_stdd_matches_analytic(w_ji, w_ij, b_i, b_j, seed):
    """Spec §5: 2e7 steps at tau = 10, per-reference pairing vs the first-passage STDD.

    Per-bin z < 5 (42 bins: a false alarm has probability < 1e-4), TV < 0.01, SAL within 5 %.
    The per-reference rule is the clean first-passage definition (no coincidence restart).
    """
    tau, window = 10, 22
    t_i, t_j = simulate_spikes(w_ji, w_ij, b_i, b_j, 20_000_000, rng=generator(seed), tau_ref=tau, tau_syn=tau)
    lags, p_sim, err = stdd_histogram(lags_per_reference(t_i, t_j, window), window)
    _, p_ana = stdd(w_ji, w_ij, b_i, b_j, tau_ref=tau, tau_syn=tau, window=window, fill_middle="zero",
                    coincidence_restart=False)
    ok = err > 0
    assert np.abs((p_sim - p_ana)[ok] / err[ok]).max() < 5
    assert 0.5 * np.abs(p_sim - p_ana).sum() < 0.01
    s_sim = sal_update(lags, p_sim, tau_plus=tau, tau_minus=tau)[0]
    s_ana = sal_update(lags, p_ana, tau_plus=tau, tau_minus=tau)[0]
    assert np.sign(s_sim) == np.sign(s_ana)
    assert abs(s_sim / s_ana - 1) < 0.05


def test_simulator_respects_refractoriness_and_rates():
    t_i, t_j = simulate_spikes(0.0, 0.0, 1.0, -1.0, 1_000_000, rng=generator(0), tau_ref=5, tau_syn=5)
    assert np.diff(t_i).min() >= 5 and np.diff(t_j).min() >= 5
    t_i2, _ = simulate_spikes(0.0, 0.0, 1.0, -1.0, 1_000_000, rng=generator(0), tau_ref=5, tau_syn=5, min_isi=6)
    assert np.diff(t_i2).min() >= 6
    # uncoupled neuron: ISI = tau + geometric(p) with p = sigma_tau(b); mean ISI = tau - 1 + 1 / p
    p = 1 / (1 + 5 * np.exp(-1.0))
    assert np.diff(t_i).mean() == pytest.approx(5 - 1 + 1 / p, rel=0.01)


def test_per_reference_pairing_by_hand():
    t_i = np.array([0, 10, 12, 30])
    t_j = np.array([5, 20, 30, 40])
    # right (reference i): 0 -> 5 (+5); 10 dropped (i fires alone at 12 before j at 20); 12 -> 20 (+8);
    # 30 -> 40 (+10). Left (reference j): 5 -> 10 (-5); 20 -> 30 (-10: coincident with j at 30, counts).
    assert sorted(lags_per_reference(t_i, t_j, window=11).tolist()) == [-10, -5, 5, 8, 10]
    assert sorted(lags_per_reference(t_i, t_j, window=10).tolist()) == [-5, 5, 8]


def test_nearest_neighbour_pairing_by_hand():
    t_i = np.array([0, 10, 30])
    t_j = np.array([4, 6, 30, 35])
    # j@4: last i 0 (after j's none) -> 4; j@6: last i 0 not after j@4 -> skip; j@30: i@30 > j@6 -> 0;
    # j@35: i@30 not after j@30 -> skip. i@10: last j before 10 is 6 > i@0 -> 6 - 10 = -4;
    # i@30: last j strictly before is 6, not after i@10 -> skip; i@0: none.
    assert sorted(lags_nearest(t_i, t_j).tolist()) == [-4, 0, 4]


def test_stdp_pairs_each_spike_pair_once():
    t_i = np.array([0, 30], dtype=np.int64)
    t_j = np.array([10], dtype=np.int64)
    k = lambda d: -np.exp(-d / 25) if d > 0 else (np.exp(d / 25) if d < 0 else 0.0)  # noqa: E731
    ji, ij = _stdp_last_k(t_i, t_j, 10, -1.0, 1.0, 25.0, 25.0)
    assert ji == pytest.approx(k(10) + k(-20))  # pairs (i0, j10) causal and (j10, i30) anti-causal
    assert ij == pytest.approx(-ji)
    ji1, _ = _stdp_last_k(np.array([0, 5], dtype=np.int64), t_j, 1, -1.0, 1.0, 25.0, 25.0)
    assert ji1 == pytest.approx(k(5))  # history 1: only the partner's last spike


def test_weight_evolution_conserves_sum_and_closes_asymmetry():
    ds = weight_evolution(WE, seed=3)
    total = ds["w_ji"].values + ds["w_ij"].values
    assert np.abs(total - 2.0).max() < 1e-12
    gap = np.abs(ds["w_ji"].values - ds["w_ij"].values)
    assert gap[-1] < 0.15 * gap[0]


def test_weight_evolution_with_fixed_weight():
    ds = weight_evolution({**WE, "plastic": ["w_ji"]}, seed=3)
    assert (ds["w_ij"].values == 1.5).all()
    assert ds["w_ji"].values[-1] > 1.3


def test_seeded_runs_are_bitwise_reproducible(tmp_path):
    small = {**WE, "epochs": 20}
    a, b, c = weight_evolution(small, 11), weight_evolution(small, 11), weight_evolution(small, 12)
    store.write(a, tmp_path / "a.nc")
    store.write(b, tmp_path / "b.nc")
    assert (tmp_path / "a.nc").read_bytes() == (tmp_path / "b.nc").read_bytes()
    assert not np.array_equal(a["w_ji"].values, c["w_ji"].values)
    back = store.read(tmp_path / "a.nc", kind="principle.weight_evolution")
    t, ids = store.segment_spikes(back, 1)
    assert (t >= 19 * small["steps_per_epoch"]).all() and set(ids.tolist()) <= {0, 1}
    assert store.parameters(back)["epochs"] == 20 and back.attrs["seed"] == 11
