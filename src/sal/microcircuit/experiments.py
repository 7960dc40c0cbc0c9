"""One teacher-student run of fig 6 as params -> xarray.Dataset (spec microcircuit §4).

The teacher (fixed weights) is simulated once over the training and validation inputs to produce the
targets; the student then learns for ``epochs`` epochs of ``patterns_per_epoch`` training patterns
(the last ``symmetrization_per_epoch`` of them are symmetrization patterns) followed by the validation
patterns in fixed order, with nudging in every pattern. Seeds and draw orders are the official ones.

Circuits of any depth [n0, n1, ..., nL] (see ``model``); the run Dataset names the forward weights
W10, W21, ..., W_{L,L-1}, the feedback into hidden layer l B<l>, the interneuron weights W_IP<l>, W_PI<l>,
and the layers' dimensions input, hidden1, ..., hidden<L-1>, output.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..progress import Progress
from ..rng import generator
from ..store import provenance, spike_raster, time_base

#: milliseconds represented by tau_ref. The microcircuit spec gives times in steps only (tau_ref = 10
#: steps); we assume tau_ref = 10 ms as in fig 2d (spec principle §6), i.e. 1 ms per step
MS_PER_TAU_REF = 10.0
from ..metrics import feedback_angle
from .model import SYMMETRIZATION, TRAINING, VALIDATION, Microcircuit
from .params import Run, backward_names, forward_names, patterns, teacher_weights


def layer_dims(depth: int) -> list[str]:
    """Dimension names of layers 0 .. depth: input, hidden1, ..., hidden<depth-1>, output."""
    return ["input"] + [f"hidden{l}" for l in range(1, depth)] + ["output"]


def populations(depth: int) -> list[tuple[str, str]]:
    """(population, dimension) in neuron-id order: input, hidden1, interneuron1, hidden2, ..., output
    (the interneurons of hidden layer l have one neuron per neuron of layer l+1)."""
    dim = layer_dims(depth)
    out = [("input", dim[0])]
    for l in range(1, depth):
        out += [(f"hidden{l}", dim[l]), (f"interneuron{l}", dim[l + 1])]
    return out + [("output", dim[depth])]


def initial_weights(params: dict) -> dict:
    """Student weights ~ U(limits), drawn from default_rng(weights_init_seed) in the order
    W10, B1, W21, B2, W32, ... (for [n0, n1, n2] the official W10, B, W21).

    (For BP the circuit replaces every B_l by W_{l+1,l}ᵀ when it is built.)
    """
    dims = [int(d) for d in params["dims"]]
    depth = len(dims) - 1
    rng = generator(params["weights_init_seed"])
    lo, hi = params["init_limits_forward"]
    lo_b, hi_b = params["init_limits_backward"]
    w_names, b_names = forward_names(depth), backward_names(depth)
    out = {w_names[0]: rng.uniform(lo, hi, size=(dims[1], dims[0]))}
    for l in range(1, depth):
        out[b_names[l - 1]] = rng.uniform(lo_b, hi_b, size=(dims[l], dims[l + 1]))
        out[w_names[l]] = rng.uniform(lo, hi, size=(dims[l + 1], dims[l]))
    return out


def pattern_schedule(params: dict) -> np.ndarray:
    """Training-input indices (epochs, patterns_per_epoch): ``rng.choice(n_train, per_epoch)`` per epoch
    from one default_rng(training_seed); validation patterns are not shuffled (no draws)."""
    rng = generator(params["training_seed"])
    n_train = len(params["inputs_training"])
    return np.array([rng.choice(n_train, params["patterns_per_epoch"]) for _ in range(params["epochs"])])


def teacher_targets(params: dict) -> dict:
    """Targets y (n_patterns, n_output) of the training and validation inputs from a teacher simulation.

    The teacher (``teacher_forward``, ``teacher_backward`` weights, no plasticity, no nudging, noise from
    default_rng(teacher_poisson_seed)) sees each training input, then each validation input, for
    ``teacher_steps_per_pattern`` steps; y is the mean output potential after the learning lag.
    """
    p = Run.check(params)
    n0 = p["dims"][0]
    x_train = patterns(p["inputs_training"], n0, "inputs_training")
    x_val = patterns(p["inputs_validation"], n0, "inputs_validation")
    weights = teacher_weights(p, p["dims"])
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

    Per pattern (end-of-pattern weights; means over the pattern): W10, W21, ..., B1, ..., W_IP<l>,
    W_PI<l>, the alignment angle of every hidden layer l between B_l and W_{l+1,l}ᵀ, mean potentials,
    rates, the nudged output mean after the lag. Per epoch: the validation loss (mean over validation
    patterns of the mean squared (ū_out - y); with ``validation_nudged`` False the validation patterns run
    free, without target) and the alignment angles at the end of the epoch.
    Spike rasters of the patterns in ``raster_patterns`` (default first and last).
    """
    p = Run.check(params)
    dims = [int(d) for d in p["dims"]]
    depth = len(dims) - 1
    n0 = dims[0]
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

    nudged = phase != VALIDATION if p.get("validation_nudged") is False else True  # False: free validation
    net = Microcircuit(p, initial_weights(p), generator(p["poisson_seed"]))
    w_names, b_names = forward_names(depth), backward_names(depth)
    init = net.weights()
    records = []
    progress = Progress(epochs, f"microcircuit {p['condition']} run {p['run_index']}")
    for epoch in range(epochs):
        now = slice(epoch * per_epoch, (epoch + 1) * per_epoch)
        rec = net.present(x[now], y[now], nudged, phase, p["steps_per_pattern"], raster=raster[now])
        if not all(np.all(np.isfinite(rec[k])) for k in w_names + b_names):
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
    pops = populations(depth)
    dim = layer_dims(depth)
    size = dict(zip(dim, dims))
    bounds = np.cumsum([0] + [size[d] for _, d in pops])  # neuron ids of each population
    raster_offsets = np.r_[0, np.cumsum(rec["spike_count"][raster].sum(axis=1))]
    angle = np.stack([feedback_angle(rec[b_names[l]], rec[w_names[l + 1]]) for l in range(depth - 1)], axis=1)
    end_of_epoch = np.arange(1, epochs + 1) * per_epoch - 1
    pat = ("pattern",)
    weights = {}
    for l, name in enumerate(w_names, start=1):
        weights[name] = _var(pat + (dim[l], dim[l - 1]), rec[name], f"{dim[l - 1]} -> {dim[l]} weights {name}")
        weights[f"{name}_init"] = _var((dim[l], dim[l - 1]), init[name], f"initial {name}")
    for l, name in enumerate(b_names, start=1):
        weights[name] = _var(pat + (dim[l], dim[l + 1]), rec[name],
                             f"feedback weights {name} ({dim[l + 1]} -> {dim[l]} apical)")
        weights[f"{name}_init"] = _var((dim[l], dim[l + 1]), init[name], f"initial {name}")
        weights[f"W_IP{l}"] = _var(pat + (dim[l + 1], dim[l]), rec[f"W_IP{l}"],
                                   f"{dim[l]} -> interneuron{l} weights")
        weights[f"W_PI{l}"] = _var(pat + (dim[l], dim[l + 1]), rec[f"W_PI{l}"],
                                   f"interneuron{l} -> {dim[l]} apical weights")
    potentials = {}
    for l in range(1, depth):
        potentials[f"u_hidden{l}"] = _var(pat + (dim[l],), rec[f"u_hidden{l}"], f"mean {dim[l]} somatic potential")
        potentials[f"v_apical{l}"] = _var(pat + (dim[l],), rec[f"v_apical{l}"], f"mean {dim[l]} apical potential")
        potentials[f"u_interneuron{l}"] = _var(pat + (dim[l + 1],), rec[f"u_interneuron{l}"],
                                               f"mean interneuron{l} potential")
    data = {
        "validation_loss": _var("epoch", validation_loss, "validation loss: mean over validation patterns of the "
                                f"mean squared error of the {'nudged' if nudged is True else 'free'} output mean "
                                "after the lag"),
        **weights,
        "alignment_angle": _var(pat + ("hidden_layer",), angle,
                                "angle between B_l and W_{l+1,l} transposed, hidden layer l", "degree"),
        "alignment_angle_per_epoch": _var(("epoch", "hidden_layer"), angle[end_of_epoch],
                                          "angle between B_l and W_{l+1,l} transposed at the end of the epoch",
                                          "degree"),
        "u_input": _var(pat + ("input",), x, "input potential x (clamped)"),
        "target": _var(pat + ("output",), y, "teacher target y used for nudging"),
        **potentials,
        "u_output": _var(pat + ("output",), rec["u_output"], "mean output potential"),
        "u_output_after_lag": _var(pat + ("output",), rec["u_output_after_lag"],
                                   "nudged output mean after the learning lag"),
        **{f"rate_{name}": _var(pat + (d,), rate[:, lo:hi], f"{name} spikes per tau_ref (= mean state z)",
                                "1/tau_ref")
           for (name, d), lo, hi in zip(pops, bounds[:-1], bounds[1:])},
        "input_index": xr.Variable(pat, input_index, {"long_name": "index into inputs_training (training and "
                                                       "symmetrization patterns) or inputs_validation"}),
        "x_training": _var(("training_input", "input"), x_train, "training inputs"),
        "y_training": _var(("training_input", "output"), y_train, "teacher targets of the training inputs"),
        "x_validation": _var(("validation_input", "input"), x_val, "validation inputs"),
        "y_validation": _var(("validation_input", "output"), y_val, "teacher targets of the validation inputs"),
        **spike_raster(rec["raster_time"], rec["raster_neuron"], raster_offsets),
        "segment_pattern": xr.Variable("segment", np.flatnonzero(raster), {"long_name": "pattern of the segment"}),
        "neuron_population": xr.Variable("neuron", np.repeat(np.array([name for name, _ in pops]), np.diff(bounds)),
                                         {"long_name": "population of each neuron id"}),
    }
    coords = {
        "epoch": ("epoch", np.arange(epochs), {"long_name": "epoch"}),
        "hidden_layer": ("hidden_layer", np.arange(1, depth), {"long_name": "hidden layer l (feedback B_l)"}),
        "pattern": ("pattern", np.arange(n_patterns), {"long_name": "pattern presentation"}),
        "pattern_epoch": ("pattern", np.repeat(np.arange(epochs), per_epoch), {"long_name": "epoch of the pattern"}),
        "pattern_start": ("pattern", np.arange(n_patterns) * steps,
                          {"units": "steps", "long_name": "first step of the pattern"}),
        "symmetrization": ("pattern", pattern_phase == SYMMETRIZATION, {"long_name": "symmetrization pattern"}),
        "validation": ("pattern", validation, {"long_name": "validation pattern"}),
    }
    attrs = {**provenance("microcircuit.run", p, p["weights_init_seed"]),
             **time_base(MS_PER_TAU_REF / p["tau_ref"], "assumption: tau_ref = 10 ms as in fig 2d (spec principle §6); "
                         "the microcircuit spec gives steps only")}
    return xr.Dataset(data, coords=coords, attrs=attrs)
