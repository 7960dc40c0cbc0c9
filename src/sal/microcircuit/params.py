"""Parameters of the microcircuit runs: the official configs of fig 6, their seeds, the width and depth
study's runs, the runs built from the ``microcircuit`` config block and the typed parameter model.

The official study (``scripts/microcircuits/{sal,bp,fa}/*.yaml`` of ``unibe-cns/sal-code``) runs 20
seeds per condition; run i uses the base seeds of its config + i + 1 for the student's weights,
spiking noise ("poisson") and pattern order, while the teacher's noise seed is never incremented.
Times are in simulation steps (the official ``t_pattern`` is in units of tau_ref = 10 steps).

Circuits of any depth: ``dims`` = [n0, n1, ..., nL] (L >= 2; the paper's is [1, 1, 1]). Per-layer
quantities are lists over the forward weights W10, W21, ..., W_{L,L-1} (``lr_forward``,
``teacher_forward``) or over the hidden layers 1 .. L-1 (``teacher_backward``: their feedback B1 ..
B_{L-1}); ``forward_names`` / ``backward_names`` give the names used everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..params import Params, key

CONDITIONS = ("sal", "bp", "fa")
N_RUNS = 20
SEED_KEYS = ("weights_init_seed", "poisson_seed", "training_seed", "teacher_poisson_seed")
BASE_SEEDS = {
    "sal": dict(zip(SEED_KEYS, (355445, 649854, 915344, 423433))),
    "bp": dict(zip(SEED_KEYS, (375635, 654560, 936544, 426534))),
    "fa": dict(zip(SEED_KEYS, (354535, 645360, 918344, 423433))),
}
# official teacher t_pattern: 2000 tau_ref for SAL, 20 000 tau_ref for BP and FA (an asymmetry of the configs)
TEACHER_T_PATTERN = {"sal": 2000, "bp": 20000, "fa": 20000}


def paper_params(condition: str, run_index: int = 0) -> dict:
    """Official parameters and seeds of run ``run_index`` (0-19) of condition "sal", "bp" or "fa".

    A plain JSON-serialisable dict; shrink a run for quick studies by overriding e.g. ``epochs``,
    ``steps_per_pattern`` or ``teacher_steps_per_pattern``.
    """
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")
    if isinstance(run_index, bool) or not isinstance(run_index, (int, np.integer)) or not 0 <= run_index < N_RUNS:
        raise ValueError(f"run_index must be an integer in 0..{N_RUNS - 1}, got {run_index!r}")
    tau_ref = 10
    seeds = {key: base + (0 if key == "teacher_poisson_seed" else int(run_index) + 1)
             for key, base in BASE_SEEDS[condition].items()}
    return {
        "condition": condition,
        "run_index": int(run_index),
        "dims": [1, 1, 1],
        "tau_ref": tau_ref,
        "tau_syn": 10,
        "lambda_api": 0.02,
        "lambda_nudge": 0.6,
        "learning_lag": 2000,
        "moving_average_steps": 2000,
        "bias_hidden": -1.0,
        "bias_output": -1.0,
        "lr_forward": [0.2, 0.003],  # official lr_w10, lr_w21
        "lr_b": 0.001 if condition == "sal" else 0.0,
        "stdp_a_causal": -1.0,
        "stdp_a_anticausal": 1.0,
        "stdp_tau_causal": 10.0,
        "stdp_tau_anticausal": 10.0,
        "init_limits_forward": [-3.0, 3.0],
        "init_limits_backward": [-3.0, 3.0],
        "inputs_training": [-3.0, -2.5, -2.0, -0.8, 0.8, 2.0, 2.5, 3.0],
        "inputs_validation": [-2.7, -1.8, -0.5, 0.5, 1.8, 2.7],
        "epochs": 150,
        "patterns_per_epoch": 20,
        "symmetrization_per_epoch": 5,
        "steps_per_pattern": 2000 * tau_ref,
        "teacher_steps_per_pattern": TEACHER_T_PATTERN[condition] * tau_ref,
        "teacher_forward": [2.0, 2.0],  # W10, W21
        "teacher_backward": [0.0],  # B1
        **seeds,
        "raster_patterns": [0, -1],
    }


#: keys of earlier versions, refused with a pointer to their replacement
RENAMED = {"lr_w10": "lr_forward", "lr_w21": "lr_forward", "teacher_w10": "teacher_forward",
           "teacher_w21": "teacher_forward", "teacher_b": "teacher_backward"}


def forward_names(depth: int) -> list[str]:
    """Names of the forward weights W_{l,l-1}, l = 1 .. depth: W10, W21, W32, ..."""
    return [f"W{l}{l - 1}" for l in range(1, depth + 1)]


def backward_names(depth: int) -> list[str]:
    """Names of the feedback weights B_l into hidden layer l = 1 .. depth-1 (from layer l+1): B1, B2, ..."""
    return [f"B{l}" for l in range(1, depth)]


def _fail(key, value, allowed):
    raise ValueError(f"microcircuit parameter {key!r} is {value!r}; allowed: {allowed}")


def patterns(values, n_inputs: int, key: str) -> np.ndarray:
    """Input patterns as an array (n_patterns, n_inputs); scalar patterns only for one input neuron."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1 and n_inputs == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[1] != n_inputs or arr.shape[0] == 0 or not np.all(np.isfinite(arr)):
        _fail(key, values, f"a non-empty list of finite patterns, each of {n_inputs} input values")
    return arr


def matrix(value, shape, key: str) -> np.ndarray:
    """A weight matrix from a scalar (filled) or a nested list of the given shape."""
    try:
        arr = np.broadcast_to(np.asarray(value, dtype=np.float64), shape).copy()
    except ValueError:
        _fail(key, value, f"a number or a matrix of shape {shape}")
    if not np.all(np.isfinite(arr)):
        _fail(key, value, "finite weights")
    return arr


def teacher_weights(p: dict, dims) -> dict:
    """The teacher's weight matrices {W10: ..., B1: ...} from ``teacher_forward`` and ``teacher_backward``
    (one number or matrix per layer), checked against ``dims``."""
    depth = len(dims) - 1
    out = {}
    for key, names, shape in (
            ("teacher_forward", forward_names(depth), lambda l: (dims[l + 1], dims[l])),
            ("teacher_backward", backward_names(depth), lambda l: (dims[l + 1], dims[l + 2]))):
        value = p[key]
        if not isinstance(value, (list, tuple)) or len(value) != len(names):
            _fail(key, value, f"a list of {len(names)} weights ({', '.join(names)}) for dims {list(dims)}, "
                              "each a number or a matrix")
        for l, (name, v) in enumerate(zip(names, value)):
            out[name] = matrix(v, shape(l), f"{key}[{l}] ({name})")
    return out


SEED = dict(ge=0, le=2**32 - 1)


@dataclass(frozen=True, kw_only=True)
class Run(Params):
    """One teacher-student run (fig 6 and the width and depth study): ``experiments.run``."""

    label: ClassVar[str] = "microcircuit"
    renamed: ClassVar[dict] = RENAMED
    condition: str = key(choices=CONDITIONS)
    run_index: int = key(ge=0)
    dims: list[int] = key(min_length=3, ge=1,
                          allowed="at least three positive integers [n_input, n_hidden_1, ..., n_output]")
    tau_ref: int = key(ge=2)
    tau_syn: int = key(ge=1)
    lambda_api: float = key()
    lambda_api_hidden: list[float] | None = key(None, ge=0)  # per hidden layer; default: lambda_api in every one
    lambda_nudge: float = key()
    learning_lag: int = key(ge=0)
    moving_average_steps: int = key(ge=1)
    bias_hidden: float = key()
    bias_output: float = key()
    lr_forward: list[float] = key()
    lr_b: float = key()
    stdp_a_causal: float = key()
    stdp_a_anticausal: float = key()
    stdp_tau_causal: float = key(gt=0)
    stdp_tau_anticausal: float = key(gt=0)
    init_limits_forward: list[float] = key(length=2)
    init_limits_backward: list[float] = key(length=2)
    inputs_training: list = key(min_length=1)
    inputs_validation: list = key(min_length=1)
    epochs: int = key(ge=1)
    patterns_per_epoch: int = key(ge=1)
    symmetrization_per_epoch: int = key(ge=0)
    steps_per_pattern: int = key(ge=1)
    teacher_steps_per_pattern: int = key(ge=1)
    teacher_forward: list = key()
    teacher_backward: list = key()
    weights_init_seed: int = key(**SEED)
    poisson_seed: int = key(**SEED)
    training_seed: int = key(**SEED)
    teacher_poisson_seed: int = key(**SEED)
    raster_patterns: list[int] = key(allowed="a list of pattern indices (negative: from the end)")
    validation_nudged: bool = key(True)  # False: validation patterns run free (no target, no nudge)

    def relations(self):
        if self.tau_syn > self.tau_ref:
            yield "tau_syn", self.tau_syn, f"<= tau_ref = {self.tau_ref} (each neuron's PSP is that of its last spike)"
        if self.learning_lag >= self.steps_per_pattern:
            yield "learning_lag", self.learning_lag, f"< steps_per_pattern = {self.steps_per_pattern}"
        if self.learning_lag >= self.teacher_steps_per_pattern:
            yield "learning_lag", self.learning_lag, f"< teacher_steps_per_pattern = {self.teacher_steps_per_pattern}"
        if self.symmetrization_per_epoch >= self.patterns_per_epoch:
            yield ("symmetrization_per_epoch", self.symmetrization_per_epoch,
                   f"< patterns_per_epoch = {self.patterns_per_epoch}")
        if self.condition != "sal" and self.lr_b != 0:
            yield "lr_b", self.lr_b, f"0 for condition {self.condition!r} (B is copied (bp) or fixed (fa))"
        for name in ("init_limits_forward", "init_limits_backward"):
            low, high = getattr(self, name)
            if not low < high:
                yield name, getattr(self, name), "[low, high] with low < high"
        dims = [int(d) for d in self.dims]
        depth = len(dims) - 1
        if self.lambda_api_hidden is not None and len(self.lambda_api_hidden) != depth - 1:
            yield "lambda_api_hidden", self.lambda_api_hidden, (f"null or a list of {depth - 1} numbers >= 0, one per "
                                                                f"hidden layer, for dims {dims}")
        if len(self.lr_forward) != depth:
            yield "lr_forward", self.lr_forward, (f"a list of {depth} finite numbers, the learning rates of "
                                                  f"{', '.join(forward_names(depth))} for dims {dims}")
        patterns(self.inputs_training, dims[0], "inputs_training")
        patterns(self.inputs_validation, dims[0], "inputs_validation")
        teacher_weights({"teacher_forward": self.teacher_forward, "teacher_backward": self.teacher_backward}, dims)


#: conditions of the width and depth study: the three feedbacks and the control "out" (output-only learning)
SCALING_CONDITIONS = ("sal", "fa", "bp", "out")
#: the scaling block's keys that set the task and the learning (see ``scaling_params``)
SCALING_TASK = ("teacher_scale", "patterns_training", "patterns_validation", "lambda_api", "lr_output", "lr_gain",
                "steps_per_pattern", "teacher_steps_per_pattern")


def run_params(config: dict, experiment: str, *, condition: str, run, width=None) -> dict:
    """Parameters of one run from the ``microcircuit`` config block.

    run: the official run ``run`` of ``condition`` with the config's ``overrides``.
    scaling_run: our width and depth study (spec §6) at dims ``width`` ("n0xn1x...xnL", e.g. "5x10x5"
    or, with two hidden layers, "5x10x10x5"), see ``scaling_params``.
    """
    if experiment == "scaling_run":
        s = config["scaling"]
        return scaling_params(condition, int(run), parse_width(width), s["epochs"], s["teacher_seed"],
                              **{k: s[k] for k in SCALING_TASK if k in s})
    if experiment != "run":
        raise ValueError(f"unknown microcircuit experiment {experiment!r}; known: run, scaling_run")
    return {**paper_params(condition, int(run)), **(config["overrides"] or {})}


def parse_width(width) -> list[int]:
    """Dims [n0, n1, ..., nL] of a scaling-study label "n0xn1x...xnL" (at least three positive sizes)."""
    try:
        dims = [int(n) for n in str(width).split("x")]
    except ValueError:
        dims = []
    if len(dims) < 3 or min(dims) < 1:
        raise ValueError(f"microcircuit scaling width {width!r} is invalid: n0xn1x...xnL with at least "
                         "three positive sizes, e.g. '5x10x5' or '5x10x10x5'")
    return dims


def hidden_rates(lr_output: float, lr_gain: float, lambda_api: list[float]) -> list[float]:
    """Learning rates of the hidden layers 1 .. L-1 that compensate the apical attenuation of the error.

    The error reaching hidden layer l has passed the apical coupling of every hidden layer k >= l (each
    hidden layer's soma sees its apical error scaled by lambda_api[k], and only that deviation reaches
    the layer below), so it is smaller than the output's by prod_{k >= l} lambda_api[k]; hidden layer l
    learns at lr_gain * lr_output / prod_{k >= l} lambda_api[k]. The paper's circuit is the case
    0.2 = (4/3) 0.003 / 0.02.
    """
    lam = [float(v) for v in lambda_api]
    if min(lam, default=1.0) <= 0:
        raise ValueError(f"microcircuit scaling lambda_api is {lambda_api!r}; allowed: numbers > 0 "
                         "(the hidden learning rates divide by them)")
    return [lr_gain * lr_output / float(np.prod(lam[l:])) for l in range(len(lam))]


def scaling_params(condition: str, run: int, dims, epochs: int, teacher_seed: int, *, teacher_scale: float = 2.0,
                   patterns_training: int = 8, patterns_validation: int = 6, lambda_api: float = 0.02,
                   lr_output: float = 0.003, lr_gain: float | None = None, steps_per_pattern: int | None = None,
                   teacher_steps_per_pattern: int | None = None) -> dict:
    """A teacher-student task of any width and depth (beyond the paper, spec §6).

    The official protocol of run ``run``, with dims [n0, n1, ..., nL]; ``patterns_training`` training and
    ``patterns_validation`` validation inputs ~ U(-3, 3)^n0 (the official 8 and 6 by default: too few for
    a hidden layer of >= 8 units, whose random features let the output layer interpolate them) and a
    teacher with forward weights W10, W21, ... ~ U(-s, s) / sqrt(fan-in), s = ``teacher_scale``, and no
    feedback, all drawn in this order from default_rng(teacher_seed + run); student weights ~ U(-1, 1).
    The metric is the angle between B_l and W_{l+1,l}ᵀ of every hidden layer l.

    Condition "out" is the control: the BP circuit with every hidden layer frozen (learning rate 0), so
    only the output layer learns; it measures what learning below the top layer adds.

    Defaults (``lr_gain`` None) keep the first version of the study: the student seeds of ``condition``'s
    official run, its teacher duration, the paper's W10 rate (0.2) for every hidden layer and its W21
    rate for the output, lambda_api 0.02, nudged validation. With ``lr_gain`` the study is the one that
    makes hidden learning matter: every condition uses the student and teacher seeds of the official SAL
    run ``run`` (paired: the same initial forward weights, noise seeds, pattern order and targets), every
    hidden layer has apical coupling ``lambda_api`` and the compensated rate of ``hidden_rates``, the
    output learns at ``lr_output``, validation patterns run free (the loss is the circuit's own error, not
    one reduced by nudging), and ``steps_per_pattern`` / ``teacher_steps_per_pattern`` (None: official)
    set the durations.
    """
    if condition not in SCALING_CONDITIONS:
        raise ValueError(f"microcircuit scaling condition must be one of {SCALING_CONDITIONS}, got {condition!r}")
    dims = [int(n) for n in dims]
    depth = len(dims) - 1
    rng = np.random.default_rng(teacher_seed + run)
    feedback = "bp" if condition == "out" else condition
    paper = paper_params(feedback, run)
    x_train = rng.uniform(-3, 3, (int(patterns_training), dims[0])).tolist()
    x_val = rng.uniform(-3, 3, (int(patterns_validation), dims[0])).tolist()
    teacher = [(rng.uniform(-teacher_scale, teacher_scale, (dims[l], dims[l - 1])) / np.sqrt(dims[l - 1])).tolist()
               for l in range(1, depth + 1)]
    out = {**paper, "dims": dims, "epochs": int(epochs), "inputs_training": x_train, "inputs_validation": x_val,
           "teacher_forward": teacher, "teacher_backward": [0.0] * (depth - 1),
           "init_limits_forward": [-1.0, 1.0], "init_limits_backward": [-1.0, 1.0]}
    if lr_gain is None:
        lr_hidden = [paper["lr_forward"][0]] * (depth - 1)
    else:
        sal = paper_params("sal", run)
        out.update({k: sal[k] for k in SEED_KEYS}, lambda_api_hidden=[float(lambda_api)] * (depth - 1),
                   validation_nudged=False)
        lr_hidden = hidden_rates(lr_output, lr_gain, out["lambda_api_hidden"])
        for k, v in (("steps_per_pattern", steps_per_pattern), ("teacher_steps_per_pattern", teacher_steps_per_pattern)):
            if v is not None:
                out[k] = int(v)
    out["lr_forward"] = [0.0 if condition == "out" else lr for lr in lr_hidden] + [float(lr_output)]
    return out
