"""Spiking feedback learning of the deep-network family (spec deepnet §2-§5): SAL sleep phase, RDD,
STDWI and the fig-7 / fig-9 experiments."""

import pickle

import numpy as np
import pytest
import xarray as xr

from sal.deepnet.rdd import RDDPhase, two_population
from sal.deepnet.salphase import SALPhase, alignment_angles
from sal.deepnet.experiments import salnet, weight_scatter
from sal.deepnet.params import quick_params_fig7, quick_params_fig9
from sal.deepnet.scatter import initial_weights_fig7
from sal.deepnet.stdwi import STDWI
from sal.deepnet.summaries import salnet_metrics

STACK = [30, 20, 10, 5]


def fc_stack(seed, sizes=STACK):
    """W, b, B of an FC stack in the fc layout (out, in), all ~ U(±1/√fan_in)."""
    rng = np.random.default_rng(seed)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    W = [rng.uniform(-1, 1, (o, i)) / np.sqrt(i) for i, o in pairs]
    B = [rng.uniform(-1, 1, (o, i)) / np.sqrt(i) for i, o in pairs]
    b = [rng.uniform(-1, 1, o) / np.sqrt(i) for i, o in pairs]
    return W, b, B


def reference_sal_block(W, b, B, sizes, batch, steps, eta, rng, refractory, tau=10, trace_len=20):
    """The official per-step semantics, dense and slow: z = spikes in the last τ steps, draws only for
    eligible neurons (copy, layer, neuron order), A_l += -s_l x_{l+1}ᵀ + x_l s_{l+1}ᵀ; one update."""
    b0 = rng.uniform(-1.0, 1.0, sizes[0]) / np.sqrt(sizes[0])  # as SALPhase: b_0 is the first draw
    hist = [np.zeros((batch, n, trace_len)) for n in sizes]  # newest spikes at index 0
    last = [np.full((batch, n), -10**9) for n in sizes]
    decay = np.exp(-np.arange(trace_len) / 10.0)
    A = [np.zeros((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]  # in fc layout: Aᵀ of the spec
    counts = [np.zeros(n, dtype=int) for n in sizes]
    for t in range(steps):
        z = [h[:, :, :tau].sum(axis=2) for h in hist]
        u = []
        for l in range(len(sizes)):
            ul = np.tile(b0 if l == 0 else b[l - 1], (batch, 1))
            if l > 0:
                ul = ul + z[l - 1] @ W[l - 1].T
            if l < len(sizes) - 1:
                ul = ul + z[l + 1] @ B[l]
            u.append(ul)
        s = [np.zeros((batch, n)) for n in sizes]
        for c in range(batch):
            for l, n in enumerate(sizes):
                for i in range(n):
                    if t - last[l][c, i] >= refractory and rng.random() * (1 + tau * np.exp(-u[l][c, i])) < 1:
                        s[l][c, i] = 1
                        last[l][c, i] = t
                        counts[l][i] += 1
        for l in range(len(sizes)):
            hist[l] = np.concatenate([s[l][:, :, None], hist[l][:, :, :-1]], axis=2)
        x = [h @ decay for h in hist]
        for l in range(len(sizes) - 1):
            A[l] += -x[l + 1].T @ s[l] + s[l + 1].T @ x[l]
    return [Bl + eta * Al / (batch * trace_len) for Bl, Al in zip(B, A)], np.concatenate(counts)


@pytest.mark.parametrize("official", [True, False])
def test_event_driven_sal_phase_matches_the_dense_reference(official):
    """Same seed, same draws: identical spikes and the same update (float32 weights/sums aside)."""
    sizes, batch, steps, eta = [6, 5, 4, 3], 2, 300, 0.5
    W, b, B = fc_stack(4, sizes)
    W, b, B = [3 * w for w in W], [2 * x for x in b], [3 * x for x in B]  # strong coupling
    expected, counts = reference_sal_block(W, b, B, sizes, batch, steps, eta, np.random.default_rng(6),
                                           refractory=11 if official else 10)
    phase = SALPhase(sizes, batch=batch, eta=eta, block_steps=steps, blocks_per_epoch=1,
                     rng=np.random.default_rng(6), official_refractory=official)
    phase.run(W, b, B)
    np.testing.assert_array_equal(phase.spike_count, counts)
    for got, want in zip(B, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_sal_phase_aligns_every_layer_of_a_small_stack():
    W, b, B = fc_stack(0)
    before = alignment_angles(W, B)
    phase = SALPhase(STACK, batch=16, rng=np.random.default_rng(1))
    for _ in range(4):
        phase.run(W, b, B)
    after = alignment_angles(W, B)
    assert np.all(before > 85) and np.all(after < before - 25)


def test_sal_drift_points_from_B_to_W_and_vanishes_at_the_fixed_point():
    """Spec §2: the drift of B (fc layout) is ∝ W - B; with B = W the expected drift vanishes."""
    W, b, B = fc_stack(3)
    B0 = [x.copy() for x in B]
    SALPhase(STACK, batch=32, eta=1e-3, block_steps=5000, blocks_per_epoch=1, rng=np.random.default_rng(2)).run(W, b, B)
    for k in range(3):
        drift, target = (B[k] - B0[k]).ravel(), (W[k] - B0[k]).ravel()
        assert np.corrcoef(drift, target)[0, 1] > 0.8
        assert np.mean(np.sign(drift) == np.sign(target)) > 0.8
    projection = {}
    for sign in (1, -1):  # drift along W when B = W (fixed point) and when B = -W (maximal asymmetry)
        W, b, _ = fc_stack(5)
        B = [sign * w.copy() for w in W]
        B0 = [x.copy() for x in B]
        SALPhase(STACK, batch=32, eta=1e-3, block_steps=5000, blocks_per_epoch=1,
                 rng=np.random.default_rng(2)).run(W, b, B)
        projection[sign] = np.array([np.sum((B[k] - B0[k]) * W[k]) / np.sum(W[k] ** 2) for k in range(3)])
    assert np.all(projection[-1] > 0)
    assert np.all(np.abs(projection[1]) < 0.1 * projection[-1])


@pytest.mark.parametrize("official", [True, False])
@pytest.mark.parametrize("u", [-1.0, 0.5])
def test_refractory_switch_sets_the_on_fraction(official, u):
    """One unconnected layer with constant bias u: the PSP is on a fraction 1/(1.1 + e^{-u}) of the
    time with the official off-by-one refractoriness, σ(u) without; within 4 s.e. over 200 neurons."""
    n, batch, steps = 200, 4, 10_000
    phase = SALPhase([1, n], batch=batch, block_steps=steps, blocks_per_epoch=1, rng=np.random.default_rng(7),
                     official_refractory=official)
    phase.run([np.zeros((n, 1))], [np.full(n, u)], [np.zeros((n, 1))])
    on = phase.spike_count[1:] * phase.tau_ref / (batch * steps)  # each spike holds the PSP on for τ steps
    expected = 1 / (1.1 + np.exp(-u)) if official else 1 / (1 + np.exp(-u))
    other = 1 / (1 + np.exp(-u)) if official else 1 / (1.1 + np.exp(-u))
    se = on.std(ddof=1) / np.sqrt(n)
    assert abs(on.mean() - expected) < 4 * se + 2e-3
    assert abs(on.mean() - other) > 10 * se


def test_sal_phase_is_bitwise_reproducible_and_resumable():
    """Same seed, same B; a phase pickled between epochs (as in a checkpoint) continues identically."""
    def final_b(seed, checkpoint=False):
        W, b, B = fc_stack(11)
        phase = SALPhase(STACK, batch=4, block_steps=500, blocks_per_epoch=2, rng=np.random.default_rng(seed))
        phase.run(W, b, B)
        if checkpoint:
            phase = pickle.loads(pickle.dumps(phase))
        phase.run(W, b, B)  # state carried across calls
        return B

    first, again, resumed, other = final_b(21), final_b(21), final_b(21, checkpoint=True), final_b(22)
    assert all(np.array_equal(x, y) and np.array_equal(x, z) for x, y, z in zip(first, again, resumed))
    assert not any(np.array_equal(x, y) for x, y in zip(first, other))


def reference_rdd(W, sizes, schedule, rng):
    """The official RDD layer semantics, dense (30-step histories, per-synapse R and R_pre); drives the
    layers as ``schedule`` = [(layer, steps), ...] with the same random draws as RDDPhase.drive."""
    kappa = np.array([(np.exp(-k / 10) - np.exp(-k / 3)) / 7 for k in range(30, 0, -1)])  # oldest first
    L = len(sizes)
    w_ff = [None] + [0.2 * sizes[k] * W[k] / W[k].std() for k in range(L - 1)]
    st = [dict(v=-np.ones(n), u=-np.ones(n), refr=np.zeros(n, int), hist=np.zeros((n, 30)), left=np.zeros(n, int),
               nsp=np.zeros(n), max_u=np.zeros(n)) for n in sizes]
    for k in range(L - 1):
        m = sizes[k + 1]
        st[k].update(R=np.zeros((sizes[k], m)), R_pre=np.zeros((sizes[k], m)), c=np.zeros((4, sizes[k], m)),
                     beta=np.zeros((sizes[k], m)))
    t = 0
    for driven, steps in schedule:
        n_d = sizes[driven]
        active = np.zeros(n_d, bool)
        active[rng.choice(n_d, int(0.2 * n_d), replace=False)] = True
        order = np.arange(n_d)
        drive_hist = np.zeros((n_d, 30))
        for _ in range(steps):
            if (t + 1) % 100 == 0:
                active[:] = False
                for a in range(int(0.2 * n_d)):
                    j = rng.integers(a, n_d)
                    order[a], order[j] = order[j], order[a]
                    active[order[a]] = True
            new = np.array([rng.poisson(0.2) if active[i] else 0 for i in range(n_d)])
            drive_hist = np.concatenate([drive_hist[:, 1:], new[:, None]], axis=1)
            for l in range(L):
                s, rdd = st[l], l < L - 1
                ending = s["left"] == 1
                if rdd:
                    grow = (s["left"] > 0) & (s["u"] > s["max_u"])
                    s["max_u"][grow] = s["u"][grow]
                s["refr"][s["refr"] > 0] -= 1
                if l == driven:
                    I = 4 * drive_hist @ kappa
                elif l > 0:
                    I = w_ff[l] @ (st[l - 1]["hist"] @ kappa)
                else:
                    I = np.zeros(sizes[l])
                s["v"] += 1e-3 * (-100 * s["v"] + 600 * (I - s["v"]))
                if rdd:
                    q = st[l + 1]["hist"] @ kappa
                    s["u"] += 1e-3 * (-100 * s["u"] + 600 * (I - s["u"]))
                    s["R"][s["left"] > 0] += q
                    s["R_pre"][s["left"] == 0] = q
                fired = (s["v"] >= 1) & (s["refr"] == 0)
                s["v"][fired] = -1
                s["refr"][fired] = 3
                if rdd:
                    if l == driven:
                        for i in np.flatnonzero(ending & (np.abs(s["max_u"] - 1) <= 10)):
                            y = s["R"][i] / 30 - s["R_pre"][i]
                            a, b = (2, 0) if s["nsp"][i] >= 1 else (3, 1)
                            err = s["c"][a, i] * s["max_u"][i] + s["c"][b, i] - y
                            s["c"][a, i] -= 1e-3 * err * s["max_u"][i]
                            s["c"][b, i] -= 1e-3 * err
                            s["beta"][i] = s["c"][2, i] + s["c"][0, i] - s["c"][3, i] - s["c"][1, i]
                    s["left"][s["left"] > 0] -= 1
                    s["u"][s["left"] == 0] = s["v"][s["left"] == 0]
                    s["left"][(np.abs(1 - s["u"]) <= 0.1) & (s["left"] == 0)] = 30
                    s["nsp"][(s["left"] > 0) & fired] += 1
                    s["nsp"][ending], s["R"][ending], s["max_u"][ending] = 0, 0, 0
                s["hist"] = np.concatenate([s["hist"][:, 1:], fired[:, None]], axis=1)
            t += 1
    return [st[k]["beta"].T for k in range(L - 1)]


def test_event_driven_rdd_matches_the_dense_reference():
    """Same draws: the recursions and prefix sums give the official β (layers 0 then 1 driven)."""
    sizes = [30, 20, 10]
    W, _, B = fc_stack(12, sizes)
    expected = reference_rdd(W, sizes, [(0, 1500), (1, 1500)], np.random.default_rng(13))
    phase = RDDPhase(sizes, rng=np.random.default_rng(13), update_seconds=None)
    phase.drive(0, 1.5, W, B)
    phase.drive(1, 1.5, W, B)
    for k, want in enumerate(expected):
        assert np.count_nonzero(want) > 0.5 * want.size
        np.testing.assert_allclose(phase.beta_matrix(k), want, rtol=1e-7, atol=1e-10)


def test_rdd_beta_correlates_with_the_forward_weights():
    W, B = initial_weights_fig7(50, 43)
    phase = RDDPhase([50, 50], rng=np.random.default_rng(4), update_seconds=None)
    phase.drive(0, 20.0, [W], [B])
    beta = phase.beta_matrix(0)
    assert np.count_nonzero(beta) > 0.9 * beta.size
    assert np.corrcoef(beta.ravel(), W.ravel())[0, 1] > 0.5


def test_rdd_epoch_rescales_the_feedback_of_the_driven_layers():
    """One (shortened) epoch on a 4-layer stack: each driven layer's B becomes β σ_B / std(β).

    (fc3 of this tiny stack barely drives its 5 outputs, whose input scale is 0.2 · 10 W / std(W),
    so only fc1 and fc2 must align within 2 s.)"""
    W, b, B = fc_stack(8)
    sigma = [x.std() for x in B]
    phase = RDDPhase(STACK, rng=np.random.default_rng(9), epoch_seconds=6.0, update_seconds=2.0)
    phase.run(W, b, B)
    for k in range(3):
        beta = phase.beta_matrix(k)
        assert np.count_nonzero(beta) > 0.5 * beta.size
        mask = beta != 0
        np.testing.assert_allclose(B[k][mask], beta[mask] * sigma[k] / beta[mask].std())
    assert np.all(alignment_angles(W[:2], B[:2]) < 75)


def test_two_population_rdd_without_updates_keeps_b():
    W, B = initial_weights_fig7(20, 1)
    times, traj = two_population(W, B, seconds=3, rng=np.random.default_rng(0), update_seconds=None)
    assert times.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert all(np.array_equal(b, B) for b in traj)


def reference_stdwi(W, B_hat, steps, rng, dt=0.25):
    """The official pipeline on whole spike trains: stimulus trains (same draws as STDWI), PSPs by
    convolution with the 280-step filter, LIF loops seeing the input of the previous step, traces,
    then the B̂ updates step by step."""
    n_out, n_in = W.shape
    stim = np.zeros((n_in, steps), bool)
    active, order = np.zeros(n_in, bool), np.arange(n_in)
    for t in range(steps):
        if t % 400 == 0:
            active[:] = False
            for a in range(int(0.2 * n_in)):
                j = rng.integers(a, n_in)
                order[a], order[j] = order[j], order[a]
                active[order[a]] = True
        for j in range(n_in):
            stim[j, t] = active[j] and rng.random() < 0.2 * dt
    lags = dt * np.arange(280)
    kernel = (np.exp(-lags / 10) - np.exp(-lags / 3)) / 7

    def psp(spikes):
        return np.array([np.convolve(row.astype(float), kernel)[:steps] for row in spikes])

    def lif(current):
        v, out = np.zeros(current.shape[0]), np.zeros(current.shape, bool)
        for t in range(1, steps):
            v += dt / 20 * (-v + (current[:, t - 1] - v))
            out[:, t] = v >= 1
            v[out[:, t]] = -1
        return out

    inp = lif(10 * psp(stim))
    out = lif(75 * W @ psp(inp))
    fast, slow = np.zeros(n_in), np.zeros(n_in)
    B_hat = B_hat.copy()
    for t in range(steps):
        fast = np.exp(-dt / 10) * fast + inp[:, t]
        slow = np.exp(-dt / 200) * slow + 0.05 * inp[:, t]
        for i in np.flatnonzero(out[:, t]):
            B_hat[i] += 0.02 * ((fast - slow) - 0.1 * B_hat[i])
    return B_hat, out.sum()


def test_online_stdwi_matches_the_official_pipeline():
    W, B = initial_weights_fig7(20, 43)
    expected, n_out_spikes = reference_stdwi(W, B, 8000, np.random.default_rng(3))
    B_hat = B.copy()
    STDWI(20, 20, rng=np.random.default_rng(3)).run(W, B_hat, 2.0)
    assert n_out_spikes > 50
    np.testing.assert_allclose(B_hat, expected, rtol=1e-9, atol=1e-12)


def test_stdwi_moves_the_estimate_towards_w():
    W, B = initial_weights_fig7(50, 43)
    B_hat = B.copy()
    STDWI(50, 50, rng=np.random.default_rng(5)).run(W, B_hat, 20.0)
    assert alignment_angles([W], [B_hat])[0] < alignment_angles([W], [B])[0] - 5


def test_reduced_fig7_sal_aligns_better_than_stdwi():
    params = {**quick_params_fig7(), "rdd_official_bug": True}
    ds = weight_scatter(params, seed=0)
    angle = ds["angle"]
    assert dict(ds.sizes) == {"algorithm": 3, "time": 21, "post": 50, "pre": 50}
    np.testing.assert_allclose(angle.isel(time=0).values, 91.4, atol=0.05)
    assert float(angle.sel(algorithm="sal")[-1]) < float(angle.sel(algorithm="stdwi")[-1]) < 89
    assert np.all(angle.sel(algorithm="rdd").values == angle.sel(algorithm="rdd").values[0])  # official bug: flat
    assert ds.attrs["sal_kind"] == "deepnet.weight_scatter" and ds.attrs["seed"] == 0


def test_salnet_records_the_angle_per_layer_and_epoch():
    params = {**quick_params_fig9(eta=0.08, seed=1), "epochs": 3}
    ds = salnet(params, seed=2)
    assert ds["angle"].dims == ("epoch", "layer") and ds["angle"].shape == (4, 3)
    assert ds["time"].values.tolist() == [0.0, 2.0, 4.0, 6.0]
    assert np.all(ds["angle"].values[-1] < ds["angle"].values[0])
    again = salnet(params, seed=2)
    assert np.array_equal(ds["angle"].values, again["angle"].values)


def test_salnet_resumes_from_its_checkpoint_bitwise(tmp_path, monkeypatch):
    import sal.deepnet.experiments as experiments
    from sal.progress import Progress

    params = {**quick_params_fig9(eta=0.08, seed=1), "epochs": 4}
    full = salnet(params, seed=2)
    path = tmp_path / "salnet.ckpt"
    monkeypatch.setattr(experiments, "SALNET_CHECKPOINT_INTERVAL", 0.0)
    original = Progress.update
    calls = []

    def interrupt(self, n=1):
        original(self, n)
        calls.append(n)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed right after epoch 2 was checkpointed

    monkeypatch.setattr(Progress, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        salnet(params, seed=2, checkpoint=path)
    monkeypatch.setattr(Progress, "update", original)
    assert pickle.loads(path.read_bytes())["epoch"] == 2
    resumed = salnet(params, seed=2, checkpoint=path)
    assert resumed["angle"].values.tobytes() == full["angle"].values.tobytes()
    with pytest.raises(ValueError, match="other parameters"):
        salnet(params, seed=3, checkpoint=path)


def test_salnet_runs_of_different_lengths_stack_and_read_off_alone():
    """``fig9.epochs`` per η: a shorter run is NaN after its last epoch in the summary, and its metrics, the
    figure's lines and the headline's scale come from its own epochs."""
    from sal.deepnet.summaries import salnet_headline_rows, salnet_summary
    from sal.plotting.deepnet import fig9

    short = salnet({**quick_params_fig9(eta=0.08), "epochs": 3}, seed=0)
    long = salnet({**quick_params_fig9(eta=0.04), "epochs": 6}, seed=0)
    summary = salnet_summary({(0.08, 0): short, (0.04, 0): long})
    assert summary.sizes["epoch"] == 7
    assert np.isnan(summary["angle"].sel(eta=0.08).isel(epoch=slice(4, None))).all()
    m, alone = salnet_metrics(summary), salnet_metrics(salnet_summary({(0.08, 0): short}))
    assert m["epochs"].sel(eta=[0.04, 0.08]).values.tolist() == [6, 3]
    for key in ("time_to_threshold", "floor", "drift"):
        np.testing.assert_array_equal(m[key].sel(eta=0.08).values, alone[key].sel(eta=0.08).values)
    fig, table = fig9(summary)
    assert len(table) == 3 * (4 + 7)
    assert dict(table.groupby("eta")["time_s"].max()) == {0.04: 12.0, 0.08: 6.0}
    scales = {row[-1] for row in salnet_headline_rows(summary)}
    assert scales == {"1 seed, 6 / 3 epochs (12 / 6 s)"}, scales


def test_salnet_metrics_read_speed_and_floor_off_known_curves():
    """An exponential approach 10° + 80° e^{-epoch/τ} (τ = 50 and 100 epochs, 2 s per epoch): the time to 45° is
    the first epoch past τ ln(80/35), the floor the tail's mean, the drift the curve's own slope there."""
    epochs = np.arange(401)
    tau = np.array([50.0, 100.0])
    curves = 10 + 80 * np.exp(-epochs[None, :] / tau[:, None])
    angle = np.repeat(curves[:, None, :, None], 2, axis=3)  # (eta, seed, epoch, layer): two identical layers
    ds = xr.Dataset({"angle": (("eta", "seed", "epoch", "layer"), angle)},
                    coords={"eta": [0.08, 0.04], "seed": [0], "epoch": epochs, "layer": ["fc1", "fc2"],
                            "time": ("epoch", 2.0 * epochs)})
    m = salnet_metrics(ds)
    first = np.ceil(tau * np.log(80 / 35))
    assert np.array_equal(m["time_to_threshold"].values, np.repeat(2 * first[:, None], 2, axis=1))
    tail = slice(-40, None)  # 10 % of the 401 recorded epochs
    assert np.allclose(m["floor"].values[:, 0], curves[:, tail].mean(1))
    assert np.allclose(m["drift"].values[:, 0], np.polyfit(epochs[tail] / 100, curves[:, tail].T, 1)[0])
    assert abs(float(m["drift"].sel(eta=0.08, layer="fc1"))) < 0.1  # a plateau
    assert float(m["drift"].sel(eta=0.04, layer="fc1")) < -1  # still falling
    never = salnet_metrics(ds, threshold=5.0)["time_to_threshold"]
    assert np.isinf(never).all()
