"""Trust at every boundary (issue 14): bad arguments of the public entry points, bad config values, result
files that are not what a summary or a figure expects, and the extremes of the analytic solver."""

import copy
import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sal import pipeline, store
from sal.config import load
from sal.registry import family
from sal.rng import generator
from test_config import validation_error

ROOT = Path(__file__).resolve().parents[1]
NAN, INF = float("nan"), float("inf")


# --------------------------------------------------------------------------- API calls
def _stdd(**kw):
    from sal.principle.stdd import stdd

    args = dict(w_ji=0.5, w_ij=0.5, b_i=-0.5, b_j=-0.5, tau_ref=10, tau_syn=10, window=30) | kw
    return stdd(args.pop("w_ji"), args.pop("w_ij"), args.pop("b_i"), args.pop("b_j"), **args)


def _sal_update(**kw):
    from sal.principle.stdd import sal_update

    lags = np.arange(-9, 10)
    args = dict(lags=lags, p=np.full(19, 1 / 18), tau_plus=5, tau_minus=5) | kw
    return sal_update(args.pop("lags"), args.pop("p"), **args)


def _spikes(**kw):
    from sal.principle.simulate import simulate_spikes

    args = dict(w_ji=0.5, w_ij=0.5, b_i=0.0, b_j=0.0, n_steps=1000, rng=generator(0), tau_ref=5, tau_syn=5) | kw
    return simulate_spikes(args.pop("w_ji"), args.pop("w_ij"), args.pop("b_i"), args.pop("b_j"),
                           args.pop("n_steps"), **args)


def _pair_lags(**kw):
    from sal.principle.simulate import pair_lags

    args = dict(t_i=np.array([1, 10, 20]), t_j=np.array([5, 12]), pairing="nearest", window=10) | kw
    return pair_lags(**args)


def _histogram(**kw):
    from sal.principle.simulate import stdd_histogram

    args = dict(lags=np.array([-3, -1, 2, 4]), window=5) | kw
    return stdd_histogram(**args)


def _psp_table(**kw):
    from sal.principle.simulate import psp_table

    return psp_table(**(dict(psp_shape="alpha", tau_ref=5, tau_syn=5.0) | kw))


def _simulate(**kw):
    from sal.sampling.learning import simulate

    W = np.zeros((3, 3))
    args = dict(W=W, b=np.zeros(3), n_steps=500, seed=0) | kw
    return simulate(args.pop("W"), args.pop("b"), args.pop("n_steps"), **args)


def _make_target(**kw):
    from sal.sampling.network import make_target

    return make_target(**(dict(seed_distr=1, dim=4) | kw))


def _microcircuit(**kw):
    from sal.microcircuit.experiments import initial_weights
    from sal.microcircuit.model import Microcircuit
    from sal.microcircuit.params import run_params

    config = load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])["microcircuit"]
    params = run_params(config, "run", condition="sal", run=0)
    rng = kw.pop("rng", generator(0))
    circuit = Microcircuit(params, initial_weights(params), rng, feedback=kw.pop("feedback", None))
    n0, n_out = circuit.dims[0], circuit.dims[-1]
    args = dict(x=np.zeros((2, n0)), y=np.zeros((2, n_out)), nudged=False, phase=0, steps=2100) | kw
    return circuit.present(args.pop("x"), args.pop("y"), args.pop("nudged"), args.pop("phase"), args.pop("steps"))


def _cnn(**kw):
    from sal.deepnet.network import CNN

    args = dict(method="bp", input_shape=(8, 8, 1), rng=generator(0), channels=(2, 2), kernel=3, padding=1,
                hidden=(4,)) | kw
    return CNN(**args)


def _two_population(**kw):
    from sal.deepnet.rdd import two_population

    args = dict(W=np.full((2, 3), 0.1), B=np.zeros((2, 3)), seconds=1.0, rng=generator(0)) | kw
    return two_population(args.pop("W"), args.pop("B"), **args)


def _salphase(**kw):
    from sal.deepnet.salphase import SALPhase

    return SALPhase(**(dict(sizes=[4, 3, 2], rng=generator(0)) | kw))


API = [
    # (entry point, bad keyword arguments, the argument the message must name)
    (_stdd, dict(w_ji=NAN), "w_ji"),
    (_stdd, dict(w_ij=INF), "w_ij"),
    (_stdd, dict(b_i=-INF), "b_i"),
    (_stdd, dict(b_j="0.5"), "b_j"),
    (_stdd, dict(tau_syn=0.0), "tau_syn"),
    (_stdd, dict(tau_ref=1), "tau_ref"),
    (_stdd, dict(window=10), "window"),
    (_stdd, dict(w_ji=50.0, w_ij=50.0), "w_ij"),  # saturated: the chain locks (see test_solver_extremes)
    (_sal_update, dict(tau_plus=0.0), "tau_plus"),
    (_sal_update, dict(tau_minus=-5.0), "tau_minus"),
    (_sal_update, dict(tau_plus=NAN), "tau_plus"),
    (_sal_update, dict(a_plus=INF), "a_plus"),
    (_sal_update, dict(p=np.full(7, 0.1)), "p"),
    (_spikes, dict(w_ji=NAN), "w_ji"),
    (_spikes, dict(b_j=INF), "b_j"),
    (_spikes, dict(n_steps=-5), "n_steps"),
    (_spikes, dict(n_steps=100.5), "n_steps"),
    (_spikes, dict(tau_syn=-1.0), "tau_syn"),
    (_spikes, dict(rng=0), "rng"),
    (_pair_lags, dict(pairing="all"), "pairing"),
    (_pair_lags, dict(t_i=np.array([5.0, NAN])), "t_i"),
    (_pair_lags, dict(t_j=np.array([9, 3])), "t_j"),
    (_pair_lags, dict(pairing="per_reference", window=0), "window"),
    (_histogram, dict(window=1), "window"),
    (_histogram, dict(lags=np.array([[1, 2]])), "lags"),
    (_psp_table, dict(tau_syn=0), "tau_syn"),
    (_psp_table, dict(tau_ref=1.5), "tau_ref"),
    (_simulate, dict(W=np.full((3, 3), NAN)), "W"),
    (_simulate, dict(W=np.zeros((2, 3))), "W"),
    (_simulate, dict(b=np.array([0.0, INF, 0.0])), "b"),
    (_simulate, dict(n_steps=-10), "n_steps"),
    (_simulate, dict(tau_ref=0), "tau_ref"),
    (_simulate, dict(tau_syn=0.0), "tau_syn"),
    (_simulate, dict(simulator="gpu"), "simulator"),
    (_make_target, dict(dim=0), "dim"),
    (_make_target, dict(alpha=0.0), "alpha"),
    (_make_target, dict(beta=NAN), "beta"),
    (_make_target, dict(seed_distr=-1), "seed_distr"),
    (_microcircuit, dict(x=np.zeros((2, 99))), "x"),
    (_microcircuit, dict(x=np.full((2, 1), NAN)), "x"),
    (_microcircuit, dict(y=np.zeros((3, 7))), "y"),
    (_microcircuit, dict(steps=0), "steps"),
    (_microcircuit, dict(phase=5), "phase"),
    (_microcircuit, dict(rng=1), "rng"),
    (_microcircuit, dict(feedback="rdd"), "feedback"),
    (_cnn, dict(input_shape=(8, 8)), "input_shape"),
    (_cnn, dict(kernel=0), "kernel"),
    (_cnn, dict(weight_decay=-0.1), "weight_decay"),
    (_cnn, dict(n_classes=1), "n_classes"),
    (_cnn, dict(method="hebb"), "method"),
    (_two_population, dict(W=np.full((2, 3), NAN)), "W"),
    (_two_population, dict(B=np.zeros((3, 2))), "B"),
    (_two_population, dict(seconds=0.0), "seconds"),
    (_two_population, dict(record_seconds=-1.0), "record_seconds"),
    (_salphase, dict(eta=0.0), "eta"),
    (_salphase, dict(tau_trace=INF), "tau_trace"),
    (_salphase, dict(batch=0), "batch"),
]


def test_the_api_table_is_large_enough():
    assert len(API) >= 20


@pytest.mark.parametrize("call, bad, argument", API,
                         ids=[f"{c.__name__.strip('_')}-{'-'.join(b)}" for c, b, _ in API])
def test_api_rejects_bad_arguments_naming_them(call, bad, argument):
    with pytest.raises(ValueError) as err:
        call(**bad)
    assert argument in str(err.value), str(err.value)


def test_the_good_calls_of_the_table_work():
    """The table's base calls are valid: each bad case fails because of its one bad argument."""
    _stdd(), _sal_update(), _spikes(), _pair_lags(), _histogram(), _psp_table(), _simulate(), _make_target()
    _microcircuit(), _cnn(), _salphase()
    assert _two_population()[1].shape == (2, 2, 3)


# --------------------------------------------------------------------------- config overlays
CONFIG = [
    # (key, bad value, part of the message); cases beyond tests/test_config.py's, in all four families
    ("principle.phase_plane.b_i", 25.0, "greater than the maximum"),
    ("principle.psp_shapes.attractor.w_num", 3, "less than the minimum"),
    ("principle.weight_evolution.params.stdp_history", 0, "less than the minimum"),
    ("principle.weight_evolution.params.min_isi", 0, "less than the minimum"),
    ("principle.proof.window", 1001, "greater than the maximum"),
    ("principle.stdd_examples.tau_syn", 0, "less than or equal to the minimum"),
    ("sampling.dales_law.phase_plane.w_min", -0.5, "less than the minimum"),
    ("sampling.dales_law.phase_plane.n_steps", 10, "less than the minimum"),
    ("sampling.dales_law.rates.w_step", 0, "less than or equal to the minimum"),
    ("sampling.protocols.B.overrides.simulator", "gpu", "is not one of"),
    ("sampling.protocols.B.kp_sweep.rates.syn_noise", [1.5], "greater than or equal to the maximum"),
    ("sampling.protocols.B.scenarios.syn_noise.kp_best_rate", 0.0, "less than or equal to the minimum"),
    ("sampling.protocols.B.overrides.record_steps", -1, "less than the minimum"),
    ("sampling.protocols.B.rate_scale", NAN, "must be a finite number"),
    ("microcircuit.scaling.conditions", ["sal", "rdd"], "is not one of"),
    ("microcircuit.scaling.epochs", 0, "less than the minimum"),
    ("microcircuit.scaling.patterns_training", 0, "less than the minimum"),
    ("microcircuit.scaling.patterns_validation", 2.5, "not of type 'integer'"),
    ("microcircuit.overrides", {"steps_per_pattern": 10}, "less than the minimum"),
    ("microcircuit.overrides", {"lr_b": -1.0}, "less than the minimum"),
    ("microcircuit.overrides", {"epochs": 2.0}, "not of type 'integer'"),
    ("deepnet.fig8.datasets", ["mnist"], "is not one of"),
    ("deepnet.fig8.methods", ["backprop"], "is not one of"),
    ("deepnet.fig8.epochs", 0, "less than the minimum"),
    ("deepnet.fig9.etas", [0], "less than or equal to the minimum"),
    ("deepnet.fig9.batch", 0, "less than the minimum"),
    ("deepnet.fig7.scale", "huge", "is not one of"),
    ("deepnet.fig9.steps", INF, ""),
    ("deepnet.fig9.epochs", [2000, 400], "must be one number, or one per η of etas"),
    ("deepnet.fig9.epochs", [0], "less than the minimum"),
    # the remaining examples of issue 14: empty blocks, the user's own key, E-I grids, dataset folders
    ("principle.stdd_examples.examples", {}, "should be non-empty"),
    ("principle.proof.examples", {}, "should be non-empty"),
    ("principle.stdd_vs_simulation.cases", {}, "should be non-empty"),
    ("principle.psp_shapes.kernels", [], "should be non-empty"),
    ("sampling.protocols", {}, "should be non-empty"),
    ("sampling.protocols.B.scenarios", {}, "should be non-empty"),
    ("microcircuit.overrides", {"dims": [2, 1, 1]}, "dims = [2, 1, 1]: must start with 1, the input size"),
    ("microcircuit.overrides", {"dims": [1, 0, 1]}, "dims.1 = 0: 0 is less than the minimum of 1"),
    ("microcircuit.overrides", {"dims": [1, 1]}, "dims = [1, 1]: [1, 1] is too short"),
    ("microcircuit.overrides", {"dims": [1.0, 1, 1]}, "dims.0 = 1.0: 1.0 is not of type 'integer'"),
    ("sampling.dales_law.phase_plane", {"w_min": 5.0, "w_max": 2.0, "w_step": 0.1, "n_steps": 10000},
     "phase_plane.w_max = 2.0: must be >= w_min = 5.0"),
    ("sampling.dales_law.rates", {"w_min": 5.0, "w_max": 2.0, "w_step": 0.25, "n_steps": 10000},
     "rates.w_max = 2.0: must be >= w_min = 5.0"),
    ("deepnet.fig8.data_paths", {"fashion_mnist": "/no/such/folder"},
     "data_paths.fashion_mnist = '/no/such/folder': no such folder"),
    ("deepnet.fig8.data_paths", {"cifar10": "no/such/folder"}, "no such folder (relative to the working directory"),
]


def test_the_config_table_is_large_enough():
    assert len(CONFIG) >= 15
    assert {key.split(".")[0] for key, _, _ in CONFIG} == {"principle", "sampling", "microcircuit", "deepnet"}


@pytest.mark.parametrize("key, value, message", CONFIG, ids=[f"{k}={v!r}" for k, v, _ in CONFIG])
def test_bad_config_values_are_rejected_with_the_key(key, value, message):
    text = validation_error(key, value)
    assert message in text, text
    assert key in text, text


RUNS = [
    # (key, bad value, the parameter the message names): valid for the schema, refused by the experiment's
    # typed parameters before any job (each family's check_runs in workflow/rules/common.smk)
    ("principle.phase_plane.b_i", 20.0, "principle phase_plane parameter 'w_min'"),  # issue 14: biases 20
    ("principle.stdd_examples.examples.excitatory", {"w_ji": 20.0, "w_ij": 20.0, "w_sym": 0.6},
     "principle stdd_examples parameter 'examples.excitatory'"),
    ("principle.proof.b_j", 20.0, "principle proof parameter 'examples.excitatory'"),
    ("principle.psp_shapes.attractor.b_max", 20.0, "principle psp_shapes parameter 'attractor'"),
    ("principle.psp_shapes.attractor.w_max", 20.0, "principle psp_shapes parameter 'attractor'"),
    ("principle.psp_shapes.stdd_row.w", 20.0, "principle psp_shapes parameter 'stdd_row.bias_pairs[0]'"),
    ("principle.psp_shapes.stdd_row.bias_pairs", [[0.0, 0.0], [20.0, 0.0]],
     "principle psp_shapes parameter 'stdd_row.bias_pairs[1]'"),
    ("principle.stdd_vs_simulation.cases.mixed", {"w_ji": 20.0, "w_ij": -0.6, "b_i": 0.3, "b_j": 1.0},
     "principle stdd_vs_simulation parameter 'cases.mixed'"),
    ("principle.stdd_vs_simulation.cases.mixed", {"w_ji": 0.0, "w_ij": 0.0, "b_i": 17.5, "b_j": 0.0},
     "principle stdd_vs_simulation parameter 'cases.mixed'"),
]


GRIDS = [
    # (key, a step too small for its range, the parameter the message names): a typo, not a study of 10^6 points
    ("principle.phase_plane.w_step", 1e-6, "principle phase_plane parameter 'w_step'"),
    ("principle.psp_shapes.attractor.b_step", 1e-6, "principle psp_shapes parameter 'attractor.b_step'"),
    ("sampling.dales_law.phase_plane.w_step", 1e-6, "sampling dales_law parameter 'w_step'"),
]


@pytest.mark.parametrize("key, value, named", GRIDS, ids=[f"{k}={v!r}" for k, v, _ in GRIDS])
def test_grid_steps_too_small_for_their_range_are_refused_before_any_job(key, value, named):
    text = validation_error(key, value, runs=True)
    assert named in text and "at most 1000 grid points" in text, text


@pytest.mark.parametrize("key, value, named", RUNS, ids=[f"{k}={v!r}" for k, v, _ in RUNS])
def test_saturating_config_values_are_refused_before_any_job(key, value, named):
    text = validation_error(key, value, runs=True)
    assert named in text and "saturate neuron" in text and "lower the weight or the bias" in text, text


def test_the_attractor_check_uses_the_grid_s_largest_bias():
    """experiments.psp_shapes' biases run to b_max + b_step / 2: a grid whose last bias passes b_max is refused
    when that bias saturates (b_max itself would not), exactly where the solve at that bias fails."""
    from sal.principle.stdd import stdd

    grid = dict(tau_ref=10, window=20, w_max=1.9, b_min=-0.5, b_max=15.0, b_step=2.0)  # biases -0.5 .. 15.5
    biases = np.arange(grid["b_min"], grid["b_max"] + grid["b_step"] / 2, grid["b_step"])
    assert biases[-1] == 15.5
    chain = dict(psp="rect", tau_ref=10, tau_syn=10.0, window=20)
    stdd(1.9, 1.9, 15.0, 15.0, **chain)
    with pytest.raises(ValueError, match="saturate"):
        stdd(1.9, 1.9, 15.5, 15.5, **chain)
    assert "b_i = 15.5" in validation_error("principle.psp_shapes.attractor", grid, runs=True, merge=True)
    validation_error("principle.psp_shapes.attractor", {**grid, "b_step": 5.0}, runs=True, merge=True, valid=True)


@pytest.mark.slow
@pytest.mark.parametrize("overlay, message", [
    ("deepnet:\n  fig8:\n    data_paths: {svhn: no/such/folder}\n",
     "deepnet.fig8.data_paths.svhn = 'no/such/folder': no such folder"),
    ("principle:\n  stdd_vs_simulation:\n    cases: {x: {w_ji: 20.0, w_ij: 20.0, b_i: 0.0, b_j: 0.0}}\n",
     "principle stdd_vs_simulation parameter 'cases.x'"),
])
def test_the_workflow_refuses_them_before_any_job(tmp_path, copy_workflow, overlay, message):
    work = copy_workflow(tmp_path)
    (work / "bad.yaml").write_text(overlay)
    run = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", "config/test.yaml",
                          "bad.yaml"], cwd=work, capture_output=True, text=True, timeout=600)
    assert run.returncode != 0 and message in run.stdout + run.stderr, run.stderr[-3000:]
    assert "rule " not in run.stdout and "Job stats" not in run.stdout + run.stderr  # no job was planned


# --------------------------------------------------------------------------- result files
@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two tiny weight-evolution runs (seeds 0 and 1 of one condition), one analytic file, as the workflow
    writes them, with the expectations of their summary."""
    tmp = tmp_path_factory.mktemp("runs")
    fam = family("principle")
    config = load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])
    block = copy.deepcopy(config["principle"])
    block["weight_evolution"]["params"].update(epochs=3, steps_per_epoch=200)
    condition = next(iter(block["weight_evolution"]["conditions"]))
    block["weight_evolution"]["conditions"] = {condition: block["weight_evolution"]["conditions"][condition]}
    exp = fam.experiment("weight_evolution")
    files = {}
    for seed in (0, 1):
        wc = {"condition": condition, "seed": seed}
        files[seed] = pipeline.run_experiment(exp, exp.parameters(block, **wc), tmp / f"seed~{seed}.nc", seed=seed,
                                              labels=wc)
    analytic = fam.experiment("stdd_examples")
    files["stdd_examples"] = pipeline.run_experiment(analytic, analytic.parameters(block), tmp / "analytic.nc")
    summary = fam.summary("weight_evolution")
    expected = dict(zip([tuple(labels) for labels in fam.summary_inputs("weight_evolution", block)[0]],
                        fam.summary_expected("weight_evolution", block)))
    options = summary.options(block)
    return dict(tmp=tmp, files=files, summary=summary, expected=expected, options=options, condition=condition)


def _summarize(runs, mapping, name="summary.nc"):
    labels = {(runs["condition"], seed): path for seed, path in mapping.items()}
    return pipeline.summarize(runs["summary"], labels, runs["tmp"] / name, expected=runs["expected"],
                              **runs["options"])


def test_the_right_files_are_summarized(runs):
    path = _summarize(runs, {0: runs["files"][0], 1: runs["files"][1]})
    assert store.read(path).attrs["sal_kind"] == "principle.weight_evolution_summary"


def test_swapped_run_files_are_refused(runs):
    with pytest.raises(store.ResultFileError) as err:
        _summarize(runs, {0: runs["files"][1], 1: runs["files"][0]})
    text = str(err.value)
    assert str(runs["files"][1]) in text and "seed='1', expected seed='0'" in text, text
    assert "has seed 1, expected 0" in text, text


def test_a_file_of_another_kind_is_refused(runs):
    with pytest.raises(store.ResultFileError) as err:
        _summarize(runs, {0: runs["files"][0], 1: runs["files"]["stdd_examples"]})
    text = str(err.value)
    assert str(runs["files"]["stdd_examples"]) in text
    assert "holds 'principle.stdd_examples', expected 'principle.weight_evolution'" in text, text


def test_a_run_with_other_parameters_is_refused(runs):
    path = runs["tmp"] / "edited.nc"
    ds = store.read(runs["files"][1])
    params = store.parameters(ds)
    params["learning_rate"] = params["learning_rate"] * 2 + 1
    ds.attrs["parameters"] = json.dumps(params, sort_keys=True)
    store.write(ds, path)
    with pytest.raises(store.ResultFileError) as err:
        _summarize(runs, {0: runs["files"][0], 1: path})
    assert str(path) in str(err.value) and "differing keys ['learning_rate']" in str(err.value)


def test_a_file_without_labels_is_checked_on_kind_and_parameters(runs):
    """Files written before runs recorded their labels are accepted when kind, seed and parameters fit."""
    path = runs["tmp"] / "old.nc"
    ds = store.read(runs["files"][1])
    del ds.attrs["sal_labels"]
    store.write(ds, path)
    _summarize(runs, {0: runs["files"][0], 1: path}, "old_summary.nc")
    shutil.copy(path, runs["tmp"] / "old_as_seed0.nc")
    with pytest.raises(store.ResultFileError, match="has seed 1, expected 0"):
        _summarize(runs, {0: runs["tmp"] / "old_as_seed0.nc", 1: path})


def test_a_figure_refuses_an_input_of_another_kind(runs, tmp_path):
    fam = family("principle")
    fig = fam.figure("fig2c_stdd")
    with pytest.raises(store.ResultFileError) as err:
        pipeline.plot(fig.function, {"stdd_examples": runs["files"][0]}, tmp_path / "fig2c_stdd",
                      tmp_path / "fig2c_stdd.csv", kinds={"stdd_examples": "principle.stdd_examples"})
    text = str(err.value)
    assert "fig2c_stdd" in text and "'stdd_examples'" in text and str(runs["files"][0]) in text, text
    assert "expected 'principle.stdd_examples'" in text


def test_figure_jobs_know_the_kinds_of_their_inputs():
    config = load([ROOT / "config" / "config.yaml"])
    from sal.registry import FAMILIES

    for fam in FAMILIES:
        for job in fam.figure_jobs(config[fam.name]):
            assert set(job.kinds) == set(job.inputs), job.stem


# --------------------------------------------------------------------------- the solver's extremes
EXTREMES = [-20.0, -10.0, 0.0, 10.0, 20.0]  # the schema's weights and biases: [-20, 20]


@pytest.mark.parametrize("psp, tau_ref, tau_syn, window", [("rect", 2, 2, 3), ("rect", 10, 10, 50),
                                                          ("alpha", 10, 5, 40), ("exp", 5, 20, 30)])
def test_solver_extremes(psp, tau_ref, tau_syn, window):
    """Over the schema's extreme weights and biases the exact solve returns a finite, normalised STDD, or
    ValueError says why (a saturated neuron); the typed parameters reject the same values up front, and
    the solve is accurate right up to the limit (a symmetric chain gives a symmetric STDD)."""
    from sal.principle.params import PhasePlane
    from sal.principle.stdd import stdd

    solved = refused = 0
    for w, b_i, b_j in itertools.product(EXTREMES, EXTREMES, EXTREMES):
        kw = dict(psp=psp, tau_ref=tau_ref, tau_syn=tau_syn, window=window)
        # a phase plane over [-20, w] with these biases: its corners are (-20, -20) and (w, w)
        params = dict(kw, b_i=b_i, b_j=b_j, coincidence_restart=True, w_min=-20.0, w_max=max(w, -19.0), w_step=1.0)
        try:
            for w_ji, w_ij in ((w, w), (w, -w), (-20.0, w)):
                lags, p = stdd(w_ji, w_ij, b_i, b_j, **kw)
                side = np.delete(p, window - 1)
                assert np.all(np.isfinite(side)) and np.all(side >= -1e-9), (w_ji, w_ij, b_i, b_j)
                assert p[: window - 1].sum() == pytest.approx(0.5) and p[window:].sum() == pytest.approx(0.5)
                if w_ji == w_ij and b_i == b_j:
                    assert np.allclose(p[: window - 1], p[window:][::-1], rtol=1e-6, atol=1e-12)
        except ValueError as err:
            assert "saturate" in str(err) or "not numerically resolvable" in str(err), str(err)
            refused += 1
            if "saturate" in str(err) and w >= 0:
                with pytest.raises(ValueError, match="saturate"):
                    PhasePlane.check(params)
        else:
            solved += 1
            if w >= 0:
                PhasePlane.check(params)
    assert solved and refused


def test_stdd_of_the_issue_fails_with_the_reason():
    with pytest.raises(ValueError, match=r"w_ij = 50 saturate neuron i"):
        _stdd(w_ji=50, w_ij=50, b_i=-0.5, b_j=-0.5)
