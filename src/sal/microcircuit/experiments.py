"""One teacher-student run of fig 6 as params -> xarray.Dataset (spec microcircuit §4).

The teacher (fixed weights) is simulated once over the training and validation inputs to produce the
targets; the student then learns for ``epochs`` epochs of ``patterns_per_epoch`` training patterns
(the last ``symmetrization_per_epoch`` of them are symmetrization patterns) followed by the validation
patterns in fixed order, with nudging in every pattern. Seeds and draw orders are the official ones.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..progress import Progress
from ..rng import generator
from ..store import combine, provenance, spike_raster
from .analysis import alignment_angle
from .model import SYMMETRIZATION, TRAINING, VALIDATION, Microcircuit
from .params import matrix, paper_params, patterns, validate

POPULATIONS = ("input", "hidden", "interneuron", "output")


def initial_weights(params: dict) -> dict:
    """Student weights W10, B, W21 ~ U(limits), drawn in this order from default_rng(weights_init_seed).

    (For BP the circuit replaces B by W21ᵀ when it is built.)
    """
    n0, n1, n2 = params["dims"]
    rng = generator(params["weights_init_seed"])
    lo, hi = params["init_limits_forward"]
    lo_b, hi_b = params["init_limits_backward"]
    w10 = rng.uniform(lo, hi, size=(n1, n0))
    b = rng.uniform(lo_b, hi_b, size=(n1, n2))
    w21 = rng.uniform(lo, hi, size=(n2, n1))
    return {"W10": w10, "B": b, "W21": w21}


def pattern_schedule(params: dict) -> np.ndarray:
    """Training-input indices (epochs, patterns_per_epoch): ``rng.choice(n_train, per_epoch)`` per epoch
    from one default_rng(training_seed); validation patterns are not shuffled (no draws)."""
    rng = generator(params["training_seed"])
    n_train = len(params["inputs_training"])
    return np.array([rng.choice(n_train, params["patterns_per_epoch"]) for _ in range(params["epochs"])])


def teacher_targets(params: dict) -> dict:
    """Targets y (n_patterns, n_output) of the training and validation inputs from a teacher simulation.

    The teacher (W10, W21, B of the ``teacher_*`` keys, no plasticity, no nudging, noise from
    default_rng(teacher_poisson_seed)) sees each training input, then each validation input, for
    ``teacher_steps_per_pattern`` steps; y is the mean output potential after the learning lag.
    """
    p = validate(params)
    n0, n1, n2 = p["dims"]
    x_train = patterns(p["inputs_training"], n0, "inputs_training")
    x_val = patterns(p["inputs_validation"], n0, "inputs_validation")
    weights = {"W10": matrix(p["teacher_w10"], (n1, n0), "teacher_w10"),
               "W21": matrix(p["teacher_w21"], (n2, n1), "teacher_w21"),
               "B": matrix(p["teacher_b"], (n1, n2), "teacher_b")}
    teacher = Microcircuit(p, weights, generator(p["teacher_poisson_seed"]), feedback="fa")
    phase = [TRAINING] * len(x_train) + [VALIDATION] * len(x_val)
    rec = teacher.present(np.vstack([x_train, x_val]), 0.0, False, phase, p["teacher_steps_per_pattern"])
    y = rec["u_output_after_lag"]
    return {"training": y[: len(x_train)], "validation": y[len(x_train):]}


def _raster_patterns(p, n_patterns):
    out = set()
    for i in p["raster_patterns"]:
        if not -n_patterns <= i < n_patterns:
            raise ValueError(f"microcircuit parameter 'raster_patterns' has {i}: "
                             f"outside a run of {n_patterns} patterns")
        out.add(i % n_patterns)
    return sorted(out)


def _var(dims, data, long_name, units="1"):
    return xr.Variable(dims, data, {"units": units, "long_name": long_name})


def run(params: dict) -> xr.Dataset:
    """Simulate teacher and student of one run; return losses, weight trajectories, records and rasters.

    Per pattern (end-of-pattern weights; means over the pattern): W10, W21, B, W_IP, W_PI, the
    alignment angle between B and W21ᵀ, mean potentials, rates, the nudged output mean after the lag.
    Per epoch: the validation loss (mean over validation patterns of the mean squared (ū_out - y)).
    Spike rasters of the patterns in ``raster_patterns`` (default first and last).
    """
    p = validate(params)
    n0, n1, n2 = (int(d) for d in p["dims"])
    x_train = patterns(p["inputs_training"], n0, "inputs_training")
    x_val = patterns(p["inputs_validation"], n0, "inputs_validation")
    targets = teacher_targets(p)
    y_train, y_val = targets["training"], targets["validation"]
    schedule = pattern_schedule(p)
    epochs, n_learn, n_symm = p["epochs"], p["patterns_per_epoch"], p["symmetrization_per_epoch"]
    n_val = len(x_val)
    per_epoch = n_learn + n_val
    n_patterns = epochs * per_epoch
    phase = np.array([TRAINING] * (n_learn - n_symm) + [SYMMETRIZATION] * n_symm + [VALIDATION] * n_val)
    raster = np.zeros(n_patterns, dtype=bool)
    raster[_raster_patterns(p, n_patterns)] = True
    x = np.concatenate([np.vstack([x_train[idx], x_val]) for idx in schedule])
    y = np.concatenate([np.vstack([y_train[idx], y_val]) for idx in schedule])

    net = Microcircuit(p, initial_weights(p), generator(p["poisson_seed"]))
    init = net.weights()
    records = []
    progress = Progress(epochs, f"microcircuit {p['condition']} run {p['run_index']}")
    for epoch in range(epochs):
        now = slice(epoch * per_epoch, (epoch + 1) * per_epoch)
        rec = net.present(x[now], y[now], True, phase, p["steps_per_pattern"], raster=raster[now])
        if not all(np.all(np.isfinite(rec[k])) for k in ("W10", "W21", "B")):
            raise FloatingPointError(f"weights diverged in epoch {epoch}: {net.weights()}")
        records.append(rec)
        progress.update()
    rec = {k: np.concatenate([r[k] for r in records]) for k in records[0]}

    pattern_phase = np.tile(phase, epochs)
    validation = pattern_phase == VALIDATION
    sq_err = np.mean((rec["u_output_after_lag"] - y) ** 2, axis=1)
    validation_loss = sq_err[validation].reshape(epochs, n_val).mean(axis=1)
    input_index = np.concatenate([np.r_[idx, np.arange(n_val)] for idx in schedule])
    steps = p["steps_per_pattern"]
    rate = rec["spike_count"] * (p["tau_ref"] / steps)
    bounds = np.cumsum([0, n0, n1, n2, n2])
    rate_dims = ("input", "hidden", "output", "output")
    raster_offsets = np.r_[0, np.cumsum(rec["spike_count"][raster].sum(axis=1))]
    pat = ("pattern",)
    data = {
        "validation_loss": _var("epoch", validation_loss, "validation loss: mean over validation patterns of the "
                                "mean squared error of the nudged output mean after the lag"),
        "W10": _var(pat + ("hidden", "input"), rec["W10"], "input -> hidden weights W10"),
        "W21": _var(pat + ("output", "hidden"), rec["W21"], "hidden -> output weights W21"),
        "B": _var(pat + ("hidden", "output"), rec["B"], "feedback weights B (output -> hidden apical)"),
        "W_IP": _var(pat + ("output", "hidden"), rec["W_IP"], "hidden -> interneuron weights"),
        "W_PI": _var(pat + ("hidden", "output"), rec["W_PI"], "interneuron -> hidden apical weights"),
        "W10_init": _var(("hidden", "input"), init["W10"], "initial W10"),
        "W21_init": _var(("output", "hidden"), init["W21"], "initial W21"),
        "B_init": _var(("hidden", "output"), init["B"], "initial B"),
        "alignment_angle": _var(pat, alignment_angle(rec["B"], rec["W21"]),
                                "angle between B and W21 transposed", "degree"),
        "u_input": _var(pat + ("input",), x, "input potential x (clamped)"),
        "target": _var(pat + ("output",), y, "teacher target y used for nudging"),
        "u_hidden": _var(pat + ("hidden",), rec["u_hidden"], "mean hidden somatic potential"),
        "v_apical": _var(pat + ("hidden",), rec["v_apical"], "mean hidden apical potential"),
        "u_interneuron": _var(pat + ("output",), rec["u_interneuron"], "mean interneuron potential"),
        "u_output": _var(pat + ("output",), rec["u_output"], "mean output potential"),
        "u_output_after_lag": _var(pat + ("output",), rec["u_output_after_lag"],
                                   "nudged output mean after the learning lag"),
        **{f"rate_{name}": _var(pat + (dim,), rate[:, lo:hi], f"{name} spikes per tau_ref (= mean state z)",
                                "1/tau_ref")
           for name, dim, lo, hi in zip(POPULATIONS, rate_dims, bounds[:-1], bounds[1:])},
        "input_index": xr.Variable(pat, input_index, {"long_name": "index into inputs_training (training and "
                                                       "symmetrization patterns) or inputs_validation"}),
        "x_training": _var(("training_input", "input"), x_train, "training inputs"),
        "y_training": _var(("training_input", "output"), y_train, "teacher targets of the training inputs"),
        "x_validation": _var(("validation_input", "input"), x_val, "validation inputs"),
        "y_validation": _var(("validation_input", "output"), y_val, "teacher targets of the validation inputs"),
        **spike_raster(rec["raster_time"], rec["raster_neuron"], raster_offsets),
        "segment_pattern": xr.Variable("segment", np.flatnonzero(raster), {"long_name": "pattern of the segment"}),
        "neuron_population": xr.Variable("neuron", np.repeat(np.array(POPULATIONS), [n0, n1, n2, n2]),
                                         {"long_name": "population of each neuron id"}),
    }
    coords = {
        "epoch": ("epoch", np.arange(epochs), {"long_name": "epoch"}),
        "pattern": ("pattern", np.arange(n_patterns), {"long_name": "pattern presentation"}),
        "pattern_epoch": ("pattern", np.repeat(np.arange(epochs), per_epoch), {"long_name": "epoch of the pattern"}),
        "pattern_start": ("pattern", np.arange(n_patterns) * steps,
                          {"units": "steps", "long_name": "first step of the pattern"}),
        "symmetrization": ("pattern", pattern_phase == SYMMETRIZATION, {"long_name": "symmetrization pattern"}),
        "validation": ("pattern", validation, {"long_name": "validation pattern"}),
    }
    return xr.Dataset(data, coords=coords, attrs=provenance("microcircuit.run", p, p["weights_init_seed"]))


def run_params(config: dict, experiment: str, *, condition: str, run, width=None) -> dict:
    """Parameters of one run from the ``microcircuit`` config block.

    run: the official run ``run`` of ``condition`` with the config's ``overrides``.
    scaling_run: our width study (spec §6) at dims ``width`` ("n0x n1 x n2", e.g. "5x10x5"), see
    ``scaling_params``.
    """
    if experiment == "scaling_run":
        s = config["scaling"]
        dims = [int(n) for n in str(width).split("x")]
        return scaling_params(condition, int(run), dims, s["epochs"], s["teacher_seed"])
    if experiment != "run":
        raise ValueError(f"unknown microcircuit experiment {experiment!r}; known: {sorted(EXPERIMENTS)}")
    return {**paper_params(condition, int(run)), **(config["overrides"] or {})}


def scaling_params(condition: str, run: int, dims, epochs: int, teacher_seed: int) -> dict:
    """A teacher-student task of any width (beyond the paper, spec §6).

    The official protocol and seeds of run ``run``, with dims [n0, n1, n2]; 8 training and 6 validation
    inputs ~ U(-3, 3)^n0 and a teacher with weights ~ U(-2, 2) / sqrt(fan-in), all drawn from
    default_rng(teacher_seed + run) (for n = 1 the task has the paper's scale); student weights
    ~ U(-1, 1). The metric is the angle between B and W21ᵀ.
    """
    n0, n1, n2 = (int(n) for n in dims)
    rng = np.random.default_rng(teacher_seed + run)
    return {**paper_params(condition, run), "dims": [n0, n1, n2], "epochs": int(epochs),
            "inputs_training": rng.uniform(-3, 3, (8, n0)).tolist(),
            "inputs_validation": rng.uniform(-3, 3, (6, n0)).tolist(),
            "teacher_w10": (rng.uniform(-2, 2, (n1, n0)) / np.sqrt(n0)).tolist(),
            "teacher_w21": (rng.uniform(-2, 2, (n2, n1)) / np.sqrt(n1)).tolist(),
            "teacher_b": 0.0, "init_limits_forward": [-1.0, 1.0], "init_limits_backward": [-1.0, 1.0]}


def teacher_student_summary(runs: dict) -> xr.Dataset:
    """Runs stacked over (condition, run): validation loss per epoch, weights and alignment per pattern."""
    keep = ["validation_loss", "W10", "W21", "B", "alignment_angle"]
    runs = {labels: ds[keep] for labels, ds in runs.items()}
    return combine(runs, ("condition", "run"), "microcircuit.teacher_student_summary")


def scaling_summary(runs: dict) -> xr.Dataset:
    """Width-study runs stacked over (width, condition, run): validation loss and the B-W21ᵀ angle
    at the end of every epoch (the matrices differ in size across widths and are left out)."""
    per_epoch = {}
    for labels, ds in runs.items():
        last = ds["pattern"].groupby(ds["pattern_epoch"]).max().values
        angle = ds["alignment_angle"].values[last]
        per_epoch[labels] = xr.Dataset(
            {"validation_loss": ds["validation_loss"],
             "alignment_angle": ("epoch", angle, {"units": "degree", "long_name": "angle(B, W21ᵀ), end of epoch"})},
            coords={"epoch": ds["epoch"]}, attrs=ds.attrs)
    return combine(per_epoch, ("width", "condition", "run"), "microcircuit.scaling_summary")


#: experiment name -> (function, takes a seed): a run's seeds are part of its parameters
EXPERIMENTS = {"run": (run, False), "scaling_run": (run, False)}
SUMMARIES = {"teacher_student": teacher_student_summary, "scaling": scaling_summary}
