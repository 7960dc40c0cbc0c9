"""Benchmark of the microcircuit engine: µs per simulated step and the cost of a paper run.

    python benchmarks/microcircuit.py

Reference cost (design.md, official NumPy code): ≈ 87 µs per step, ≈ 1.9 CPU-hours per run of
78 M steps (150 epochs × 26 patterns × 20 000 steps), ≈ 115 CPU-hours for fig 6 (60 runs).
Target: ≤ 0.2 µs per step for dims [1, 1, 1] on one core. Also reported: a circuit of the width and
depth study with two hidden layers, [5, 10, 10, 5].
"""

import statistics
import time

import numpy as np

from sal.microcircuit import Microcircuit, initial_weights, paper_params, run, teacher_targets
from sal.microcircuit.params import scaling_params
from sal.microcircuit.model import SYMMETRIZATION, TRAINING, VALIDATION
from sal.rng import generator

PAPER_STEPS = 150 * 26 * 20_000


def epoch_inputs(p):
    """One epoch of the official protocol (fixed pattern order, placeholder targets)."""
    x = np.r_[np.resize(p["inputs_training"], 20), p["inputs_validation"]][:, None]
    phase = [TRAINING] * 15 + [SYMMETRIZATION] * 5 + [VALIDATION] * 6
    return x, np.tanh(x), phase


def seconds_per_step(p, x, y, phase, steps=20_000, repeats=5):
    """Median over ``repeats`` epochs of one circuit of params ``p`` (after a warm-up that compiles or
    loads the cached kernel), per simulated step."""
    net = Microcircuit(p, initial_weights(p), generator(p["poisson_seed"]))
    net.present(x[:2], y[:2] if np.ndim(y) else y, True, phase[:2], 3000)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        net.present(x, y, True, phase, steps)
        times.append(time.perf_counter() - start)
    return statistics.median(times) / (len(x) * steps)


def main():
    p = paper_params("sal", 0)
    x, y, phase = epoch_inputs(p)
    per_step = seconds_per_step(p, x, y, phase)
    print(f"microcircuit [1,1,1], one epoch of 26 x 20000 steps: {1e6 * per_step:6.3f} µs/step "
          f"(median of 5; target <= 0.2 µs; official ~87 µs)")
    print(f"projected paper run ({PAPER_STEPS / 1e6:.0f} M steps): {PAPER_STEPS * per_step:6.1f} s "
          f"(official ~1.9 CPU-h); fig 6 (60 runs): {60 * PAPER_STEPS * per_step / 60:5.1f} CPU-min")

    q = scaling_params("sal", 0, [5, 10, 10, 5], 1, 1000)
    xq = np.resize(np.asarray(q["inputs_training"]), (26, 5))
    print(f"microcircuit [5,10,10,5] (two hidden layers), one epoch: "
          f"{1e6 * seconds_per_step(q, xq, 0.0, phase, repeats=3):6.3f} µs/step (median of 3)")

    for condition in ("sal", "bp"):
        q = paper_params(condition, 0)
        start = time.perf_counter()
        teacher_targets(q)
        t_teacher = time.perf_counter() - start
        q = {**q, "epochs": 5}
        start = time.perf_counter()
        ds = run(q)
        t_run = time.perf_counter() - start
        n_student = ds.sizes["pattern"] * q["steps_per_pattern"]
        n_teacher = 14 * q["teacher_steps_per_pattern"]
        print(f"reduced {condition} run (5 epochs, {n_student / 1e6:.2f} M student + {n_teacher / 1e6:.2f} M "
              f"teacher steps): {t_run:5.2f} s incl. teacher {t_teacher:4.2f} s "
              f"({1e6 * t_run / (n_student + n_teacher):.3f} µs/step overall); final validation loss "
              f"{ds['validation_loss'].values[-1]:.4f}")


if __name__ == "__main__":
    main()
