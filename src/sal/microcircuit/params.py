"""Parameters of the microcircuit runs of fig 6: the official configs, their seeds, and validation.

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

import numpy as np

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


REQUIRED = tuple(paper_params("sal"))
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
    raise ValueError(f"microcircuit parameter {key!r} = {value!r} is invalid: {allowed}")


def _finite_number(v) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float, np.number)) and bool(np.isfinite(v))


def _int(p, key, lo):
    v = p[key]
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
        _fail(key, v, f"an integer >= {lo}")
    return int(v)


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


def validate(params: dict) -> dict:
    """Check a parameter dict (naming the key, value and what is allowed on error); return a copy."""
    p = dict(params)
    for key in p:
        if key in RENAMED:
            _fail(key, p[key], f"no longer a parameter: use {RENAMED[key]!r} (one entry per layer)")
    unknown = sorted(set(p) - set(REQUIRED))
    if unknown:
        raise ValueError(f"unknown microcircuit parameters {unknown}; known: {sorted(REQUIRED)}")
    missing = [k for k in REQUIRED if k not in p]
    if missing:
        raise ValueError(f"microcircuit parameters lack {missing}")
    if p["condition"] not in CONDITIONS:
        _fail("condition", p["condition"], f"one of {CONDITIONS}")
    dims = p["dims"]
    if (not isinstance(dims, (list, tuple)) or len(dims) < 3
            or any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1 for d in dims)):
        _fail("dims", dims, "at least three positive integers [n_input, n_hidden_1, ..., n_output]")
    dims = [int(d) for d in dims]
    depth = len(dims) - 1
    tau_ref = _int(p, "tau_ref", 2)
    tau_syn = _int(p, "tau_syn", 1)
    if tau_syn > tau_ref:
        _fail("tau_syn", tau_syn, f"<= tau_ref = {tau_ref} (each neuron's PSP is that of its last spike)")
    steps = _int(p, "steps_per_pattern", 1)
    lag = _int(p, "learning_lag", 0)
    if lag >= steps:
        _fail("learning_lag", lag, f"< steps_per_pattern = {steps}")
    if lag >= _int(p, "teacher_steps_per_pattern", 1):
        _fail("learning_lag", lag, f"< teacher_steps_per_pattern = {p['teacher_steps_per_pattern']}")
    _int(p, "moving_average_steps", 1)
    _int(p, "epochs", 1)
    per_epoch = _int(p, "patterns_per_epoch", 1)
    if _int(p, "symmetrization_per_epoch", 0) >= per_epoch:
        _fail("symmetrization_per_epoch", p["symmetrization_per_epoch"], f"< patterns_per_epoch = {per_epoch}")
    for key in SEED_KEYS:
        _int(p, key, 0)
    for key in ("lambda_api", "lambda_nudge", "bias_hidden", "bias_output", "lr_b",
                "stdp_a_causal", "stdp_a_anticausal", "stdp_tau_causal", "stdp_tau_anticausal"):
        if not _finite_number(p[key]):
            _fail(key, p[key], "a finite number")
    for key in ("stdp_tau_causal", "stdp_tau_anticausal"):
        if p[key] <= 0:
            _fail(key, p[key], "> 0")
    if p["condition"] != "sal" and p["lr_b"] != 0:
        _fail("lr_b", p["lr_b"], f"0 for condition {p['condition']!r} (B is copied (bp) or fixed (fa))")
    for key in ("init_limits_forward", "init_limits_backward"):
        lim = p[key]
        if not isinstance(lim, (list, tuple)) or len(lim) != 2 or not lim[0] < lim[1]:
            _fail(key, lim, "[low, high] with low < high")
    lr = p["lr_forward"]
    if not isinstance(lr, (list, tuple)) or len(lr) != depth or not all(_finite_number(v) for v in lr):
        _fail("lr_forward", lr, f"a list of {depth} finite numbers, the learning rates of "
                                f"{', '.join(forward_names(depth))} for dims {dims}")
    patterns(p["inputs_training"], dims[0], "inputs_training")
    patterns(p["inputs_validation"], dims[0], "inputs_validation")
    teacher_weights(p, dims)
    if not isinstance(p["raster_patterns"], (list, tuple)) or any(
            isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in p["raster_patterns"]):
        _fail("raster_patterns", p["raster_patterns"], "a list of pattern indices (negative: from the end)")
    return p
