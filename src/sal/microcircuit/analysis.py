"""Analysis of microcircuit runs: the read-out point of fig 6c and the rate limit of a teacher-student task
(the alignment metric is ``sal.metrics.feedback_angle``)."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from .experiments import initial_weights
from .params import forward_names


def final_pattern(ds) -> int:
    """Index of the pattern whose weights fig 6c shows as "final": the first pattern of the last epoch,
    as the official notebook reads them (B there is the value after the previous epoch's symmetrization;
    the official W10, W21 are means over that pattern, ours its end values)."""
    return int(np.flatnonzero(ds["pattern_epoch"].values == ds["pattern_epoch"].values[-1])[0])


def rate_limit_loss(params: dict, learning: list[int], steps: int = 20000, lr: float = 0.05) -> float:
    """Validation loss a teacher-student task allows in the rate limit, learning only the layers ``learning``.

    The circuit's mean field (on-fraction sigma(u) of every neuron, the input clamped at x, potentials
    u_l = b + W_l r_{l-1}, the output's mean potential the prediction) with the task's teacher, inputs and
    initial student weights, trained by full-batch gradient descent with exact gradients (no spikes, no
    apical attenuation). It separates the task from the spiking error transport: if learning every layer
    does not beat learning the top one here, no feedback rule can make hidden learning pay in the circuit.
    """
    def forward(ws, x):
        rates = [expit(x)]
        for w in ws[:-1]:
            rates.append(expit(params["bias_hidden"] + rates[-1] @ w.T))
        return rates, params["bias_output"] + rates[-1] @ ws[-1].T

    depth = len(params["dims"]) - 1
    x, x_val = np.asarray(params["inputs_training"]), np.asarray(params["inputs_validation"])
    teacher = [np.asarray(w, dtype=np.float64) for w in params["teacher_forward"]]
    y, y_val = forward(teacher, x)[1], forward(teacher, x_val)[1]
    start = initial_weights(params)
    ws = [start[name].copy() for name in forward_names(depth)]
    for _ in range(steps):
        rates, u = forward(ws, x)
        delta = (u - y) / len(x)
        for l in range(depth - 1, -1, -1):
            grad = delta.T @ rates[l]
            if l:
                delta = (delta @ ws[l]) * rates[l] * (1 - rates[l])
            if l in learning:
                ws[l] -= lr * grad
    return float(np.mean((forward(ws, x_val)[1] - y_val) ** 2))
