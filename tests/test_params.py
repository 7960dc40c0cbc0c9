"""The typed parameter models (sal.params and each family's params.py): bad parameters fail naming the key,
the value and what is allowed; good ones come back unchanged (same content, same key order)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

from sal import config as sal_config
from sal.deepnet.params import Salnet, Train, WeightScatter, paper_params, paper_params_fig7, quick_params, \
    quick_params_fig9
from sal.microcircuit.params import Run
from sal.microcircuit.params import paper_params as microcircuit_params
from sal.principle.params import PhasePlane, Proof, PspShapes, StddExamples, StddVsSimulation, WeightEvolution
from sal.principle.params import run_params as principle_params
from sal.provenance import code_sources
from sal.registry import FAMILIES
from sal.sampling.params import EiGrid, NoiseRun
from sal.sampling.params import paper_params as sampling_params
from sal.sampling.params import run_params as sampling_run_params

ROOT = Path(__file__).resolve().parents[1]
CONFIG = sal_config.load([ROOT / "config" / "config.yaml"])
NAN, INF = math.nan, math.inf
DROP = object()  # as a value: remove the key


def _principle(experiment, **wc):
    return principle_params(CONFIG["principle"], experiment, **wc)


BASE = {
    "noise_run": (NoiseRun, lambda: sampling_params("syn_noise_sal", "B", 0)),
    "noise_run_A": (NoiseRun, lambda: sampling_params("syn_noise", "A", 0)),
    "ei_rates": (EiGrid, lambda: sampling_run_params(CONFIG["sampling"], "ei_rates")),
    "microcircuit": (Run, lambda: microcircuit_params("fa", 0)),
    "train": (Train, lambda: quick_params("sal", 0)),
    "train_paper": (Train, lambda: paper_params("cifar10", "kp", 0)),
    "weight_scatter": (WeightScatter, paper_params_fig7),
    "salnet": (Salnet, quick_params_fig9),
    "stdd_examples": (StddExamples, lambda: _principle("stdd_examples")),
    "phase_plane": (PhasePlane, lambda: _principle("phase_plane")),
    "psp_shapes": (PspShapes, lambda: _principle("psp_shapes")),
    "proof": (Proof, lambda: _principle("proof")),
    "weight_evolution": (WeightEvolution, lambda: _principle("weight_evolution", condition="both_plastic")),
    "stdd_vs_simulation": (StddVsSimulation, lambda: _principle("stdd_vs_simulation")),
}

# (base, path of the key to change, new value (DROP: remove it), text the message must name)
BAD = [
    # sampling
    ("noise_run", "epochs", 2.0, "'epochs'"),  # integer-valued float for an int key
    ("noise_run", "dim", True, "'dim'"),  # bool for an int key
    ("noise_run", "lr_w", NAN, "'lr_w'"),
    ("noise_run", "init_noise", -INF, "'init_noise'"),
    ("noise_run", "lr_kp", 1.0, "'lr_kp'"),  # out of [0, 1)
    ("noise_run", "protocol", "C", "'protocol'"),
    ("noise_run", "simulator", "gpu", "'simulator'"),
    ("noise_run", "lr_typo", 0.1, "'lr_typo'"),  # unknown key
    ("noise_run", "seed_sim", DROP, "'seed_sim'"),  # missing key
    ("noise_run_A", "lr_kp", 1e-4, "'lr_kp'"),  # relation: KP only in protocol B
    ("ei_rates", "n_steps", 10, "'n_steps'"),
    ("ei_rates", "w_min", -0.5, "'w_min'"),
    ("ei_rates", "w_max", NAN, "'w_max'"),
    # microcircuit
    ("microcircuit", "tau_syn", 20, "'tau_syn'"),  # relation: tau_syn <= tau_ref
    ("microcircuit", "learning_lag", 20000, "'learning_lag'"),  # relation: < steps_per_pattern
    ("microcircuit", "epochs", 150.0, "'epochs'"),
    ("microcircuit", "poisson_seed", False, "'poisson_seed'"),
    ("microcircuit", "lambda_nudge", INF, "'lambda_nudge'"),
    ("microcircuit", "lr_forward", [0.2, NAN], "'lr_forward[1]'"),
    ("microcircuit", "dims", [1, 0, 1], "'dims"),
    ("microcircuit", "lr_b", 0.01, "'lr_b'"),  # relation: fa has fixed B
    ("microcircuit", "init_limits_forward", [3.0, -3.0], "'init_limits_forward'"),
    ("microcircuit", "teacher_w10", 2.0, "'teacher_w10'"),  # renamed key
    ("microcircuit", "raster_patterns", DROP, "'raster_patterns'"),
    # deepnet
    ("train", "method", "adam", "'method'"),
    ("train", "batch_size", 0, "'batch_size'"),
    ("train", "lr", NAN, "'lr'"),
    ("train", "augment", 1, "'augment'"),
    ("train", "network.kernel", 3.0, "'network.kernel'"),
    ("train", "network.depth", 3, "'network.depth'"),
    ("train", "phase", {"eta": NAN}, "'phase.eta'"),  # NaN nested in a free mapping
    ("microcircuit", "inputs_validation", [0.5, INF], "'inputs_validation[1]'"),
    ("train_paper", "data_path", None, "'data_path'"),  # relation: None only for digits
    ("weight_scatter", "seconds", 100.0, "'seconds'"),
    ("weight_scatter", "record_seconds", 3.0, "'seconds'"),  # relation: seconds a multiple of record_seconds
    ("weight_scatter", "rdd_update_seconds", INF, "'rdd_update_seconds'"),
    ("salnet", "sizes", [100], "'sizes'"),
    ("salnet", "eta", 0.0, "'eta'"),
    ("salnet", "init_seed", -1, "'init_seed'"),
    # principle
    ("stdd_examples", "window", 25, "'window'"),  # relation: window > tau_ref (50)
    ("stdd_examples", "examples.excitatory.w_ji", NAN, "'examples.excitatory.w_ji'"),
    ("stdd_examples", "coincidence_restart", 1, "'coincidence_restart'"),
    ("phase_plane", "w_max", -3.0, "'w_max'"),  # relation: w_max > w_min
    ("phase_plane", "tau_ref", 15.0, "'tau_ref'"),
    ("psp_shapes", "kernels.1.psp", "gauss", "'kernels[1].psp'"),
    ("psp_shapes", "attractor.b_max", -2.0, "'attractor.b_max'"),
    ("psp_shapes", "stdd_row.bias_pairs", [[0.5, INF]], "'stdd_row.bias_pairs[0][1]'"),
    ("proof", "examples.inhibitory.epsilon", 0.0, "'examples.inhibitory.epsilon'"),
    ("proof", "coincidence_restart", True, "'coincidence_restart'"),  # not a key of the proof
    ("weight_evolution", "plastic", ["w_ji", "w_kk"], "'plastic[1]'"),
    ("weight_evolution", "epochs", DROP, "'epochs'"),
    ("stdd_vs_simulation", "n_steps", 2.0e5, "'n_steps'"),
    ("stdd_vs_simulation", "pairing", "all", "'pairing'"),
]
FAMILY_OF = {"noise_run": "sampling", "noise_run_A": "sampling", "ei_rates": "sampling", "microcircuit": "microcircuit",
             "train": "deepnet", "train_paper": "deepnet", "weight_scatter": "deepnet", "salnet": "deepnet"}


def _set(params: dict, path: str, value) -> dict:
    params = copy.deepcopy(params)
    *parents, last = path.split(".")
    node = params
    for name in parents:
        node = node[int(name)] if isinstance(node, list) else node[name]
    if value is DROP:
        del node[last]
    else:
        node[last] = value
    return params


def test_the_table_covers_every_family_and_model():
    families = {FAMILY_OF.get(base, "principle") for base, *_ in BAD}
    assert families == {"sampling", "microcircuit", "deepnet", "principle"}
    assert {BASE[base][0] for base, *_ in BAD} == {model for model, _ in BASE.values()}
    for family in families:
        assert sum(FAMILY_OF.get(base, "principle") == family for base, *_ in BAD) >= 6
    assert len(BAD) >= 25


@pytest.mark.parametrize("base, path, value, named", BAD, ids=[f"{b}:{p}={v!r}" for b, p, v, _ in BAD])
def test_bad_parameters_fail_naming_the_key(base, path, value, named):
    model, params = BASE[base]
    good = params()
    model.check(good)
    with pytest.raises(ValueError) as err:
        model.check(_set(good, path, value))
    message = str(err.value)
    assert named in message, message
    if value is not DROP and "unknown" not in message:
        assert "allowed:" in message, message
        if named == f"'{path}'":  # the key itself (not an item or a key it relates to): its value is named
            assert f"is {value!r}" in message, message


@pytest.mark.parametrize("name", sorted(BASE))
def test_good_parameters_come_back_unchanged(name):
    model, params = BASE[name]
    p = params()
    out = model.check(p)
    assert out == p and out is not p and list(out) == list(p) and json.dumps(out) == json.dumps(p)


def test_every_experiment_checks_the_runs_the_configs_make():
    for files in (["config.yaml"], ["config.yaml", "test.yaml"], ["config.yaml", "paper.yaml"]):
        config = sal_config.load([ROOT / "config" / f for f in files])
        for family in FAMILIES:
            assert all(e.check is not None for e in family.experiments), family.name
            family.check_runs(config[family.name])


def test_check_runs_checks_the_runs_that_are_products():
    principle = next(f for f in FAMILIES if f.name == "principle")
    block = copy.deepcopy(CONFIG["principle"])
    block["proof"]["examples"]["excitatory"]["w"] = NAN
    with pytest.raises(ValueError, match="'examples.excitatory.w' is nan"):
        principle.check_runs(block)


def test_integer_valued_floats_are_refused_with_a_hint():
    with pytest.raises(ValueError, match=r"sampling parameter 'dur' is 200\.0; allowed: .*\(write 200: a float is not"):
        NoiseRun.check({**sampling_params("syn_noise", "B", 0), "dur": 200.0})
    with pytest.raises(ValueError, match=r"microcircuit parameter 'epochs' is True; allowed: an integer >= 1 \(not a"):
        Run.check({**microcircuit_params("sal"), "epochs": True})


def test_the_code_hash_covers_the_model():
    sources = code_sources(NoiseRun.check)
    assert "sal.sampling.params.NoiseRun" in sources and "sal.params.Params" in sources
