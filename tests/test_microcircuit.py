"""The spiking microcircuit (spec microcircuit): neural sampling, teacher, learning rules, protocol, API."""

import json
from pathlib import Path

import numpy as np
import pytest

from sal import store
from sal.config import load
from sal.microcircuit import (
    Microcircuit,
    alignment_angle,
    initial_weights,
    paper_params,
    pattern_schedule,
    run,
    teacher_targets,
)
from sal.microcircuit.model import SYMMETRIZATION, TRAINING, VALIDATION
from sal.rng import generator

ROOT = Path(__file__).resolve().parents[1]


def short(condition, run_index=0, **override):
    """A paper run shrunk to a few epochs of short patterns (official lag and sliding-mean window)."""
    return {**paper_params(condition, run_index), "epochs": 3, "steps_per_pattern": 5000,
            "teacher_steps_per_pattern": 5000, **override}


@pytest.fixture(scope="module")
def short_runs():
    return {c: run(short(c)) for c in ("sal", "bp", "fa")}


# --------------------------------------------------------------------------- parameters and protocol
@pytest.mark.parametrize("condition, seeds", [
    ("sal", (355445, 649854, 915344, 423433)),
    ("bp", (375635, 654560, 936544, 426534)),
    ("fa", (354535, 645360, 918344, 423433)),
])
def test_paper_params_official_seeds(condition, seeds):
    weights, poisson, training, teacher = seeds
    for i in (0, 19):
        p = paper_params(condition, i)
        assert (p["weights_init_seed"], p["poisson_seed"], p["training_seed"]) == (
            weights + i + 1, poisson + i + 1, training + i + 1)
        assert p["teacher_poisson_seed"] == teacher  # never incremented
        assert json.loads(json.dumps(p)) == p
    p = paper_params(condition, 0)
    assert p["teacher_steps_per_pattern"] == (20_000 if condition == "sal" else 200_000)
    assert p["epochs"] * (p["patterns_per_epoch"] + len(p["inputs_validation"])) * p["steps_per_pattern"] == 78_000_000
    assert (p["lr_forward"], p["lr_b"]) == ([0.2, 0.003], 0.001 if condition == "sal" else 0.0)
    with pytest.raises(ValueError, match="run_index"):
        paper_params(condition, 20)


def test_invalid_parameters_name_the_key():
    with pytest.raises(ValueError, match="'learning_lag'"):
        run(short("sal", steps_per_pattern=1000))
    with pytest.raises(ValueError, match="'lr_b'"):
        run(short("fa", lr_b=0.001))
    with pytest.raises(ValueError, match="'inputs_training'"):
        run(short("sal", dims=[2, 1, 1]))
    with pytest.raises(ValueError, match="'dims'"):
        run(short("sal", dims=[1, 1]))
    with pytest.raises(ValueError, match="'lr_forward'.*W10, W21, W32"):
        run(short("sal", dims=[1, 1, 1, 1]))  # one learning rate per forward weight
    with pytest.raises(ValueError, match="'teacher_forward'"):
        run(short("sal", dims=[1, 1, 1, 1], lr_forward=[0.2, 0.2, 0.003]))
    with pytest.raises(ValueError, match="'teacher_backward'"):
        run(short("sal", dims=[1, 1, 1, 1], lr_forward=[0.2, 0.2, 0.003], teacher_forward=[2.0, 2.0, 2.0]))
    with pytest.raises(ValueError, match="'lr_w10'.*'lr_forward'"):
        run(short("sal", lr_w10=0.1))  # renamed key: refused, not silently ignored
    with pytest.raises(ValueError, match="unknown microcircuit parameters \\['lr_typo'\\]"):
        run(short("sal", lr_typo=0.1))


def test_initial_weights_and_schedule_follow_the_official_draw_order():
    p = paper_params("sal", 3)
    rng = np.random.default_rng(p["weights_init_seed"])
    expected = [rng.uniform(-3, 3, size=(1, 1)) for _ in range(3)]  # W10, B, W21 in this order
    w = initial_weights(p)
    np.testing.assert_array_equal([w["W10"], w["B1"], w["W21"]], expected)
    rng = np.random.default_rng(p["training_seed"])
    first_two = [rng.choice(8, 20) for _ in range(2)]
    np.testing.assert_array_equal(pattern_schedule({**p, "epochs": 2}), first_two)


# --------------------------------------------------------------------------- neurons and nudging
def test_on_fraction_is_sigma_of_a_constant_potential():
    """Neural sampling (spec §1): with tau_syn = tau_ref the on-fraction of z is sigma(u) exactly.

    Zero weights make every potential constant (inputs x, hidden b_h, interneuron and output b_o).
    On-fraction = tau * N / T with renewal cycles C = tau + Geometric(phi(u)); its standard error
    follows from the renewal CLT, tau * sqrt(Var C / (E[C]^3 T)); all 6 neurons within 4.5 SE.
    """
    tau, steps = 10, 1_000_000
    x = np.array([-1.5, 0.3, 2.0])
    p = {**paper_params("sal"), "dims": [3, 1, 1], "bias_hidden": 0.5, "bias_output": -1.2,
         "inputs_training": [x.tolist()], "inputs_validation": [x.tolist()]}
    net = Microcircuit(p, {"W10": 0.0, "W21": 0.0, "B1": 0.0}, generator(11))
    rec = net.present(x[None, :], 0.0, False, VALIDATION, steps, raster=[True])
    u = np.concatenate([x, [0.5, -1.2, -1.2]])
    for i, u_i in enumerate(u):
        t = rec["raster_time"][rec["raster_neuron"] == i]
        assert np.diff(t).min() >= tau  # refractoriness: PSPs never overlap
        on = np.minimum(tau, steps - t).sum() / steps
        q = 1 / (1 + tau * np.exp(-u_i))
        mean_c, var_c = tau + (1 - q) / q, (1 - q) / q**2
        se = tau * np.sqrt(var_c / (mean_c**3 * steps))
        assert abs(on - 1 / (1 + np.exp(-u_i))) < 4.5 * se
        assert rec["spike_count"][0, i] == t.size


@pytest.mark.parametrize("lambda_nudge", [1.0, 0.6])
def test_nudging_pulls_the_output_mean_to_the_target(lambda_nudge):
    """u_o = b_o + v + lambda (y - <v> - b_o): after the 2000-step lag the mean output is
    (1 - lambda)(b_o + mean v) + lambda y, i.e. exactly y for lambda = 1 (spec §2)."""
    p = {**paper_params("sal"), "lambda_nudge": lambda_nudge}
    w21, y = 0.5, 1.0
    net = Microcircuit(p, {"W10": 1.0, "W21": w21, "B1": 0.3}, generator(5))
    rec = net.present([[0.8], [-0.8]], y, True, VALIDATION, 200_000)
    z_h = rec["spike_count"][:, 1] * p["tau_ref"] / 200_000  # mean hidden state
    expected = (1 - lambda_nudge) * (p["bias_output"] + w21 * z_h) + lambda_nudge * y
    np.testing.assert_allclose(rec["u_output_after_lag"][:, 0], expected, atol=0.02)
    free = p["bias_output"] + w21 * z_h
    assert np.all(np.abs(free - y) > 1.5)  # the target is far from the free output: the test can fail


def test_nudge_lags_by_the_2000_step_sliding_mean():
    """With lambda = 1, u_o = y + v - <v>, where <v> is the mean of the last 2000 steps. Alternating
    high/low inputs in 4000-step patterns: during the first 2000 steps <v> still moves from the
    previous pattern's mean, so the whole-pattern mean minus the after-lag mean is +-(v_cur - v_prev)/4;
    between high and low patterns it differs by (v_hi - v_lo)/2 (0 if the nudge used v itself)."""
    p = {**paper_params("sal"), "lambda_nudge": 1.0}
    w21, steps = 2.0, 4000
    net = Microcircuit(p, {"W10": 3.0, "W21": w21, "B1": 0.0}, generator(8))
    net.present([[3.0]], 0.5, True, VALIDATION, steps)  # start from a high pattern
    rec = net.present(np.tile([[-3.0], [3.0]], (40, 1)), 0.5, True, VALIDATION, steps)
    d = rec["u_output"][:, 0] - rec["u_output_after_lag"][:, 0]
    v = w21 * rec["spike_count"][:, 1] * p["tau_ref"] / steps  # mean w21 z_h per pattern
    half_gap = (v[1::2].mean() - v[0::2].mean()) / 2
    assert half_gap > 0.3
    assert abs(d[1::2].mean() - d[0::2].mean() - half_gap) < 0.05
    assert abs(rec["u_output_after_lag"].mean() - 0.5) < 0.03  # after the lag the output sits at y


# --------------------------------------------------------------------------- teacher
def exact_teacher_output(x, tau, b_h, b_o, w10, w21):
    """Stationary mean of u_o = b_o + w21 z_h for the 1-1-1 teacher (B = 0) and the asymptotic
    variance of its time average, from the exact Markov chain over (input age, hidden age)."""
    n = tau + 1  # ages 0 .. tau-1 (z = 1), tau = ready (z = 0)

    def single(q):
        m = np.zeros((n, n))
        m[np.arange(tau - 1), np.arange(1, tau)] = 1.0
        m[tau - 1:, 0], m[tau - 1:, tau] = q, 1 - q
        return m

    phi = lambda u: 1 / (1 + tau * np.exp(-u))  # noqa: E731
    m_in = single(phi(x))
    m_h = [single(phi(b_h)), single(phi(b_h + w10))]  # hidden hazard given the input's state z_in
    P = np.zeros((n * n, n * n))
    for a in range(n):
        for h in range(n):
            P[a * n + h] = np.kron(m_in[a], m_h[int(a < tau)][h])
    A = np.vstack([P.T - np.eye(n * n), np.ones(n * n)])
    pi = np.linalg.lstsq(A, np.r_[np.zeros(n * n), 1.0], rcond=None)[0]
    f = w21 * np.tile(np.arange(n) < tau, n)
    fbar = f - pi @ f
    Z = np.linalg.inv(np.eye(n * n) - P + np.outer(np.ones(n * n), pi))
    return b_o + pi @ f, 2 * pi @ (fbar * (Z @ fbar)) - pi @ fbar**2


def test_teacher_targets_match_the_exact_chain_and_are_reproducible():
    p = {**paper_params("sal"), "teacher_steps_per_pattern": 100_000}
    y = teacher_targets(p)
    x = np.r_[p["inputs_training"], p["inputs_validation"]]
    got = np.r_[y["training"][:, 0], y["validation"][:, 0]]
    for xi, yi in zip(x, got):
        mean, var = exact_teacher_output(xi, 10, -1.0, -1.0, 2.0, 2.0)
        assert abs(yi - mean) < 4.5 * np.sqrt(var / (100_000 - 2000))
    assert np.all(np.diff(y["training"][:, 0]) > -0.05)  # increasing in x up to noise
    again = teacher_targets(p)
    np.testing.assert_array_equal(again["training"], y["training"])
    np.testing.assert_array_equal(again["validation"], y["validation"])
    other = teacher_targets({**p, "teacher_poisson_seed": p["teacher_poisson_seed"] + 1})
    assert not np.array_equal(other["training"], y["training"])


# --------------------------------------------------------------------------- learning rules
def test_self_predicting_state_holds_after_every_plastic_step():
    """One-step patterns record the weights after every step: W_IP = W21 and W_PI = -B always
    outside symmetrization, and the interneuron pathway is off (u_i = b_i) during symmetrization."""
    p = {**paper_params("sal"), "learning_lag": 0, "lr_forward": [0.2, 0.05]}
    net = Microcircuit(p, {"W10": 2.0, "W21": -1.0, "B1": 0.5}, generator(2))
    rec = net.present(np.full((5000, 1), 1.5), 0.8, True, TRAINING, 1)
    assert np.count_nonzero(np.diff(rec["W21"].ravel())) > 50  # W21 did learn
    np.testing.assert_array_equal(rec["W_IP1"], rec["W21"])
    np.testing.assert_array_equal(rec["W_PI1"], -rec["B1"])
    symm = net.present(np.full((20, 1), 1.5), 0.8, True, SYMMETRIZATION, 2000)
    assert not np.array_equal(symm["B1"][0], symm["B1"][-1])  # SAL changed B
    np.testing.assert_array_equal(symm["u_interneuron1"], p["bias_output"])
    np.testing.assert_array_equal(symm["W_IP1"], symm["W21"])
    np.testing.assert_array_equal(symm["W_PI1"], -symm["B1"])


def test_bp_keeps_b_equal_to_w21_transposed(short_runs):
    ds = short_runs["bp"]
    np.testing.assert_array_equal(ds["B1"].values, np.swapaxes(ds["W21"].values, 1, 2))
    np.testing.assert_array_equal(ds["B1_init"].values, ds["W21_init"].values.T)
    assert np.ptp(ds["B1"].values) > 0.01  # B moved with W21
    assert np.all(ds["alignment_angle"].values == 0.0)


def test_fa_never_changes_b(short_runs):
    ds = short_runs["fa"]
    np.testing.assert_array_equal(ds["B1"].values, np.broadcast_to(ds["B1_init"].values, ds["B1"].shape))
    assert np.ptp(ds["W21"].values) > 0.01


@pytest.mark.parametrize("w21", [2.0, -2.0])
def test_sal_drives_b_to_the_sign_of_w21(w21):
    """Symmetrization patterns only (W21 fixed): from B = -W21, SAL's STDP moves B through zero."""
    p = paper_params("sal")
    net = Microcircuit(p, {"W10": 2.0, "W21": w21, "B1": -w21}, generator(3))
    rec = net.present(np.tile(p["inputs_training"], 4)[:, None], 0.3, True, SYMMETRIZATION, 20_000)
    b = rec["B1"].ravel()
    assert np.all(rec["W21"] == w21)
    assert np.sign(b[-1]) == np.sign(w21) and abs(b[-1]) > 0.2
    assert np.sign(b[7] - b[0]) == np.sign(w21)  # the early drift already points toward W21


def test_sal_run_learns_the_sign_of_b():
    """Official run 17 of SAL starts with B < 0 < W21; within 3 epochs B has W21's sign."""
    ds = run({**paper_params("sal", 17), "epochs": 3})
    assert ds["B1_init"].item() < 0 < ds["W21_init"].item()
    assert ds["B1"].values[-1].item() > 0 and ds["W21"].values[-1].item() > 0
    assert ds["alignment_angle"].values[0, 0] == 180.0 and ds["alignment_angle"].values[-1, 0] == 0.0
    assert ds["alignment_angle_per_epoch"].values[-1, 0] == 0.0
    symm = ds["symmetrization"].values
    b = ds["B1"].values.ravel()
    assert np.all(np.diff(b)[~symm[1:]] == 0)  # B learns only in symmetrization patterns


# --------------------------------------------------------------------------- runs
def test_run_is_bitwise_reproducible_and_seeded(tmp_path, short_runs):
    a = short_runs["sal"]
    b = run(short("sal"))
    for name in a.variables:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert a.attrs == b.attrs and store.parameters(a)["poisson_seed"] == 649855
    c = run({**short("sal"), "poisson_seed": 1})
    assert not np.array_equal(a["W21"].values, c["W21"].values)
    np.testing.assert_array_equal(a["y_training"].values, c["y_training"].values)  # same teacher
    back = store.read(store.write(a, tmp_path / "run.nc"), kind="microcircuit.run")
    np.testing.assert_array_equal(back["W10"].values, a["W10"].values)
    np.testing.assert_array_equal(back["symmetrization"].values, a["symmetrization"].values)


def test_run_records_and_validation_loss(short_runs):
    ds = short_runs["sal"]
    per_epoch = 26
    assert ds.sizes["pattern"] == 3 * per_epoch and ds.sizes["epoch"] == 3
    assert ds["symmetrization"].values[:per_epoch].tolist() == [False] * 15 + [True] * 5 + [False] * 6
    assert ds["validation"].values[:per_epoch].tolist() == [False] * 20 + [True] * 6
    val = ds["validation"].values
    np.testing.assert_array_equal(ds["input_index"].values[val][:6], np.arange(6))
    err = (ds["u_output_after_lag"] - ds["target"]).values[val, 0] ** 2
    np.testing.assert_allclose(ds["validation_loss"].values, err.reshape(3, 6).mean(axis=1))
    assert set(np.unique(ds["alignment_angle"].values)) <= {0.0, 180.0}
    # rasters of the first and last pattern, within their time windows
    assert ds["segment_pattern"].values.tolist() == [0, ds.sizes["pattern"] - 1]
    for k, pat in enumerate(ds["segment_pattern"].values):
        t, ids = store.segment_spikes(ds, k)
        start = ds["pattern_start"].values[pat]
        assert t.min() >= start and t.max() < start + 5000
        np.testing.assert_allclose(np.bincount(ids, minlength=4) * 10 / 5000,
                                      [ds[f"rate_{n}"].values[pat, 0] for n in
                                       ("input", "hidden1", "interneuron1", "output")])
    assert ds["neuron_population"].values.tolist() == ["input", "hidden1", "interneuron1", "output"]


def test_general_dims_run_with_finite_outputs():
    rng = np.random.default_rng(0)
    p = short("sal", dims=[2, 3, 2], epochs=2, inputs_training=rng.uniform(-2, 2, (5, 2)).tolist(),
              inputs_validation=rng.uniform(-2, 2, (3, 2)).tolist(), patterns_per_epoch=6,
              symmetrization_per_epoch=2)
    ds = run(p)
    n_pat = 2 * (6 + 3)
    assert ds["W10"].shape == (n_pat, 3, 2) and ds["W21"].shape == (n_pat, 2, 3) and ds["B1"].shape == (n_pat, 3, 2)
    assert ds["y_training"].shape == (5, 2) and ds["validation_loss"].shape == (2,)
    assert ds["rate_interneuron1"].shape == (n_pat, 2)
    for name in ds.data_vars:
        if ds[name].dtype.kind == "f":
            assert np.all(np.isfinite(ds[name].values)), name
    assert np.all((ds["alignment_angle"] >= 0) & (ds["alignment_angle"] <= 180))
    assert ds["neuron_id"].values.max() < 2 + 3 + 2 + 2


def test_alignment_angle():
    w21 = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    assert alignment_angle(3 * w21.T, w21) == pytest.approx(0.0, abs=1e-6)
    assert alignment_angle(-w21.T, w21) == pytest.approx(180.0)
    ortho = np.array([[2.0, 0.0], [-1.0, 0.0], [0.0, 0.0]])  # tr(B^T W21^T) = 2 - 2 = 0
    assert alignment_angle(ortho, w21) == pytest.approx(90.0)
    stacked = alignment_angle(np.array([[[0.5]], [[-0.2]]]), np.array([[[1.5]], [[1.5]]]))
    np.testing.assert_array_equal(stacked, [0.0, 180.0])


def test_sal_aligns_feedback_in_a_wider_circuit():
    """Width study (spec §6): in a [4, 6, 4] circuit SAL rotates B toward W21ᵀ within a few epochs,
    while the fixed random B of FA stays far from alignment."""
    from sal.microcircuit.params import run_params

    config = {"scaling": {"epochs": 4, "teacher_seed": 1000}}
    angles = {}
    for cond in ("sal", "fa"):
        ds = run(run_params(config, "scaling_run", condition=cond, run=0, width="4x6x4"))
        angles[cond] = ds["alignment_angle"].values[:, 0]
    assert angles["sal"][-1] < angles["sal"][0] - 20
    assert angles["fa"][-1] > 60


# --------------------------------------------------------------------------- deeper circuits
def deep(condition, run_index=0, dims=(3, 4, 4, 2), **override):
    """A random-teacher task with two hidden layers (the scaling study's parameters), shrunk."""
    from sal.microcircuit.params import scaling_params

    return {**scaling_params(condition, run_index, list(dims), 2, 1000), "steps_per_pattern": 5000,
            "teacher_steps_per_pattern": 5000, **override}


@pytest.fixture(scope="module")
def deep_runs():
    return {c: run(deep(c)) for c in ("sal", "bp", "fa")}


def test_two_hidden_layer_circuit_runs(deep_runs):
    ds = deep_runs["sal"]
    n_pat = 2 * 26
    shapes = {"W10": (4, 3), "W21": (4, 4), "W32": (2, 4), "B1": (4, 4), "B2": (4, 2), "W_IP1": (4, 4),
              "W_PI1": (4, 4), "W_IP2": (2, 4), "W_PI2": (4, 2), "u_hidden1": (4,), "u_hidden2": (4,),
              "v_apical2": (4,), "u_interneuron1": (4,), "u_interneuron2": (2,), "u_output": (2,)}
    for name, shape in shapes.items():
        assert ds[name].shape == (n_pat, *shape), name
    assert ds["W32"].dims == ("pattern", "output", "hidden2") and ds["B1"].dims == ("pattern", "hidden1", "hidden2")
    assert ds["alignment_angle"].shape == (n_pat, 2) and ds["alignment_angle_per_epoch"].shape == (2, 2)
    assert ds["hidden_layer"].values.tolist() == [1, 2]
    # draw order and neuron ids: input, hidden 1, interneurons 1, hidden 2, interneurons 2, output
    pops = (["input"] * 3 + ["hidden1"] * 4 + ["interneuron1"] * 4 + ["hidden2"] * 4 + ["interneuron2"] * 2
            + ["output"] * 2)
    assert ds["neuron_population"].values.tolist() == pops
    for name in ds.data_vars:
        if ds[name].dtype.kind == "f":
            assert np.all(np.isfinite(ds[name].values)), name
    for name in ("W10", "W21", "W32"):  # every forward weight is plastic (moves; not a test of learning)
        assert np.abs(ds[name].values[-1] - ds[f"{name}_init"].values).max() > 1e-3, name
    np.testing.assert_array_equal(ds["alignment_angle_per_epoch"].values, ds["alignment_angle"].values[[25, 51]])


def test_initial_weights_of_a_deep_circuit_follow_the_layer_order():
    p = deep("sal", dims=(2, 3, 4, 5, 2))
    rng = np.random.default_rng(p["weights_init_seed"])
    shapes = {"W10": (3, 2), "B1": (3, 4), "W21": (4, 3), "B2": (4, 5), "W32": (5, 4), "B3": (5, 2), "W43": (2, 5)}
    w = initial_weights(p)
    assert list(w) == list(shapes)  # drawn in this order
    for name, shape in shapes.items():
        np.testing.assert_array_equal(w[name], rng.uniform(-1, 1, size=shape), err_msg=name)


def test_bp_keeps_every_b_equal_to_the_transposed_forward_weights(deep_runs):
    ds = deep_runs["bp"]
    for b, w in (("B1", "W21"), ("B2", "W32")):
        np.testing.assert_array_equal(ds[b].values, np.swapaxes(ds[w].values, 1, 2), err_msg=b)
        np.testing.assert_array_equal(ds[f"{b}_init"].values, ds[f"{w}_init"].values.T)
        assert np.abs(ds[b].values[-1] - ds[f"{b}_init"].values).max() > 1e-3  # B moved with W
    assert np.all(ds["alignment_angle"].values < 1e-5)


def test_fa_never_changes_any_b(deep_runs):
    ds = deep_runs["fa"]
    for b in ("B1", "B2"):
        np.testing.assert_array_equal(ds[b].values, np.broadcast_to(ds[f"{b}_init"].values, ds[b].shape), err_msg=b)
    assert np.ptp(ds["W32"].values) > 0.01 and np.ptp(ds["W21"].values) > 0.005  # W stays plastic under FA


def test_self_predicting_state_holds_in_every_layer():
    """One-step patterns in a [2, 3, 3, 2] circuit: W_IP_l = W_{l+1,l} and W_PI_l = -B_l after every
    plastic step for both hidden layers; in symmetrization the interneurons sit at the bias of the layer
    above (hidden for layer 1, output for layer 2) and SAL changes both B."""
    p = {**deep("sal", dims=(2, 3, 3, 2)), "learning_lag": 0, "lr_forward": [0.2, 0.2, 0.05],
         "bias_hidden": -0.5, "bias_output": -1.5}
    net = Microcircuit(p, initial_weights(p), generator(2))
    rec = net.present(np.full((5000, 2), 1.5), 0.8, True, TRAINING, 1)
    for l, w in ((1, "W21"), (2, "W32")):
        assert np.count_nonzero(np.diff(rec[w][:, 0, 0])) > 20, w  # W learned
        np.testing.assert_array_equal(rec[f"W_IP{l}"], rec[w])
        np.testing.assert_array_equal(rec[f"W_PI{l}"], -rec[f"B{l}"])
    symm = net.present(np.full((10, 2), 1.5), 0.8, True, SYMMETRIZATION, 2000)
    np.testing.assert_array_equal(symm["u_interneuron1"], p["bias_hidden"])
    np.testing.assert_array_equal(symm["u_interneuron2"], p["bias_output"])
    for l, w in ((1, "W21"), (2, "W32")):
        assert not np.array_equal(symm[f"B{l}"][0], symm[f"B{l}"][-1])
        np.testing.assert_array_equal(symm[f"W_IP{l}"], symm[w])
        np.testing.assert_array_equal(symm[f"W_PI{l}"], -symm[f"B{l}"])


def test_sal_aligns_both_hidden_layers_of_a_deep_circuit():
    """[5, 10, 10, 5], 3 epochs of the scaling protocol: SAL's STDP rotates B1 toward W21ᵀ and B2 toward
    W32ᵀ from about 90° (random), and changes every B only in symmetrization patterns."""
    from sal.microcircuit.params import run_params

    ds = run(run_params({"scaling": {"epochs": 3, "teacher_seed": 1000}}, "scaling_run", condition="sal", run=0,
                        width="5x10x10x5"))
    start, end = ds["alignment_angle"].values[0], ds["alignment_angle_per_epoch"].values[-1]
    assert np.all(np.abs(start - 90) < 15)
    assert np.all(end < start - 30), (start, end)  # both layers, the upper one included
    symm = ds["symmetrization"].values
    for b in ("B1", "B2"):
        change = np.abs(np.diff(ds[b].values, axis=0)).reshape(len(symm) - 1, -1).max(axis=1)
        assert np.all(change[~symm[1:]] == 0) and np.all(change[symm[1:]] > 0), b


def test_deep_run_is_bitwise_reproducible(deep_runs):
    a = deep_runs["sal"]
    b = run(deep("sal"))
    for name in a.variables:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    c = run({**deep("sal"), "poisson_seed": 1})
    assert not np.array_equal(a["W32"].values, c["W32"].values)


def test_scaling_summary_stacks_circuits_of_different_depth(deep_runs):
    from sal.microcircuit.summaries import scaling_summary

    shallow = run(deep("sal", dims=(3, 4, 2)))
    summary = scaling_summary({("3x4x2", "sal", 0): shallow, ("3x4x4x2", "sal", 0): deep_runs["sal"]})
    angle = summary["alignment_angle"]
    assert angle.dims == ("width", "condition", "run", "epoch", "hidden_layer")
    np.testing.assert_array_equal(angle.sel(width="3x4x4x2", condition="sal", run=0).values,
                                  deep_runs["sal"]["alignment_angle_per_epoch"].values)
    assert np.all(np.isnan(angle.sel(width="3x4x2", hidden_layer=2).values))
    assert np.all(np.isfinite(angle.sel(width="3x4x2", hidden_layer=1).values))


# --------------------------------------------------------------------------- learning below the top layer
#: the width and depth study as the default study runs it (config/config.yaml microcircuit.scaling)
STUDY = load([ROOT / "config" / "config.yaml"])["microcircuit"]


def study(condition, run_index, width, epochs, **override):
    """Parameters of run ``run_index`` of the default study's circuit ``width``, ``epochs`` long."""
    from sal.microcircuit.params import run_params

    block = {**STUDY, "scaling": {**STUDY["scaling"], "epochs": epochs}}
    return {**run_params(block, "scaling_run", condition=condition, run=run_index, width=width), **override}


def test_study_rates_compensate_the_apical_attenuation():
    from sal.microcircuit.params import hidden_rates, scaling_params

    assert STUDY["scaling"]["lambda_api"] == 0.02  # the paper's coupling
    assert hidden_rates(0.003, 4 / 3, [0.02]) == pytest.approx([0.2])  # the paper's W10 rate
    assert hidden_rates(0.01, 4 / 3, [0.5, 0.5]) == pytest.approx([4 / 3 * 0.01 / 0.25, 4 / 3 * 0.01 / 0.5])
    p = {c: study(c, 2, "2x3x3x2", 1) for c in ("sal", "fa", "bp", "out")}
    assert p["out"]["lr_forward"] == [0.0, 0.0, 0.01] and p["out"]["condition"] == "bp"
    assert p["bp"]["lr_forward"] == pytest.approx([4 / 3 * 0.01 / 0.02 ** 2, 4 / 3 * 0.01 / 0.02, 0.01])
    for c in ("fa", "bp", "out"):  # paired: same student, noise and pattern seeds, inputs and teacher
        for k in ("weights_init_seed", "poisson_seed", "training_seed", "teacher_poisson_seed", "teacher_forward",
                  "inputs_training"):
            assert p[c][k] == p["sal"][k], (c, k)
    assert p["sal"]["validation_nudged"] is False and p["sal"]["lambda_api_hidden"] == [0.02, 0.02]
    assert np.shape(p["sal"]["inputs_training"]) == (STUDY["scaling"]["patterns_training"], 2)
    assert np.shape(p["sal"]["inputs_validation"]) == (STUDY["scaling"]["patterns_validation"], 2)
    with pytest.raises(ValueError, match="'lambda_api_hidden'"):
        run({**p["sal"], "lambda_api_hidden": [0.5]})
    with pytest.raises(ValueError, match="scaling condition"):
        scaling_params("kp", 0, [1, 1, 1], 1, 1000)


#: paired runs of the control test (each ~8 CPU-s)
RUNS = (0, 1)


@pytest.fixture(scope="module")
def control_runs():
    """BP and the output-only control in the default study's 5-10-5 circuit, 2 paired runs of 20 epochs."""
    return {(c, r): run(study(c, r, "5x10x5", 20)) for c in ("bp", "out") for r in RUNS}


def test_bp_beats_output_only_learning(control_runs):
    """The control of the study: with frozen hidden weights (only W21 learns; same start, noise and patterns)
    the final validation loss is at least twice BP's in every paired run. Measured: BP / output-only 0.09
    and 0.15 after 20 epochs (with the official 8 training patterns or lambda_api = 0.5 it was 0.27-1.8)."""
    for r in RUNS:
        bp, out = control_runs["bp", r], control_runs["out", r]
        np.testing.assert_array_equal(out["W10"].values, np.broadcast_to(out["W10_init"].values, out["W10"].shape))
        np.testing.assert_array_equal(bp["W10_init"].values, out["W10_init"].values)  # paired
        assert np.abs(bp["W10"].values[-1] - bp["W10_init"].values).mean() > 0.05  # BP's hidden layer learns
        assert bp["validation_loss"].values[-1] < 0.5 * out["validation_loss"].values[-1], r


def test_hidden_layer_learns_the_error_not_the_apical_noise(control_runs):
    """With the teacher set to the student's own initial weights there is (up to the teacher's sampling noise)
    no error, and what the hidden layer still learns is noise in its apical potential. At the study's
    lambda_api = 0.02 this drift of W10 is < 30 % of its drift under the task in every run (measured 15 % and
    16 % after 20 epochs, 10-12 % after 40; at lambda_api = 0.5 it was 28-76 %, why the study no longer uses 0.5)."""
    for r in RUNS:
        p = study("bp", r, "5x10x5", 20)
        w = initial_weights(p)
        drift0 = run({**p, "teacher_forward": [w["W10"].tolist(), w["W21"].tolist()]})
        task = control_runs["bp", r]
        moved = {name: float(np.abs(ds["W10"].values[-1] - ds["W10_init"].values).mean())
                 for name, ds in (("zero error", drift0), ("task", task))}
        assert moved["zero error"] < 0.3 * moved["task"], (r, moved)


@pytest.mark.parametrize("width", ["5x10x5", "5x10x10x5"])
def test_study_task_rewards_hidden_learning_in_the_rate_limit(width):
    """The task, apart from the spikes: in the circuit's mean field with exact gradients, learning every layer
    ends at < 0.5 x the loss of learning only the output layer, with one hidden layer and with two (measured
    after 20 000 full-batch steps: 0.0012 / 0.027 and 0.0015 / 0.0092 for 5-10-5, 0.0006 / 0.018 and
    0.0006 / 0.011 for 5-10-10-5). So where the spiking two-hidden-layer circuit's BP does no better than
    its control (fig S3), the fault is the error's transport through the apical compartments, not the task."""
    from sal.microcircuit.analysis import rate_limit_loss

    for r in RUNS:
        p = study("bp", r, width, 1)
        depth = len(p["dims"]) - 1
        every, top = rate_limit_loss(p, list(range(depth))), rate_limit_loss(p, [depth - 1])
        assert every < 0.5 * top, (width, r, every, top)
