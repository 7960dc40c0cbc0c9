"""The deep-network experiments as run functions (spec deepnet): fig 7 (weight scatter), fig 8 (CNN training
per method and seed, checkpointed: ``train.train``, the training loop), fig 9 (SALNet) and the depth and width
study of fully connected networks (fig S4: ``scaling_run``), as params -> xarray.Dataset. Their parameters
are built and checked in ``params``."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import xarray as xr

from ..checkpoint import Checkpoint
from ..progress import Progress
from ..rng import generator, substreams
from ..store import provenance
from .data import load_dataset
from .network import CNN
from .params import Salnet, ScalingRun, SGDKeys, WeightScatter
from .rdd import RDDPhase
from .salphase import SALPhase, alignment_angles, simulated_seconds
from .scatter import ALGORITHMS, initial_salnet, initial_weights_fig7
from .stdwi import STDWI
from .train import fit, train

__all__ = ["weight_scatter", "train", "salnet", "scaling_run"]

SALNET_CHECKPOINT = "sal.deepnet.salnet checkpoint"
SALNET_CHECKPOINT_INTERVAL = 60.0  # seconds between checkpoints of a fig 9 run (its phase pickles to ~25 MB)

#: the per-epoch results of ``train.fit`` a scaling run keeps
SCALING_VARIABLES = ["train_loss", "train_accuracy", "test_loss", "test_accuracy", "angle", "initial_angle",
                     "gradient_angle", "initial_gradient_angle"]


def _var(dims, data, long_name, units="1"):
    return xr.Variable(dims, data, {"units": units, "long_name": long_name})


def weight_scatter(params: dict, seed: int) -> xr.Dataset:
    """Fig 7: B over time for SAL, RDD and STDWI aligning with one fixed W; angle(W, B) per algorithm.

    W and the initial B come from ``weights_seed`` (43, official); ``seed`` drives the three simulations
    (independent sub-streams) and the SAL net's upper-layer bias.
    """
    p = WeightScatter.check(params)
    n, seconds = int(p["n"]), int(p["seconds"])
    record = float(p["record_seconds"])
    n_rec = int(round(seconds / record))
    steps_per_record = int(p["sal_steps_per_second"]) * record
    W, B0 = initial_weights_fig7(n, p["weights_seed"])
    rng_sal, rng_rdd, rng_stdwi = substreams(seed, 3)
    b1 = rng_sal.uniform(-1.0, 1.0, n) / np.sqrt(n)  # the upper layer's bias (the lower one: b_0 of SALPhase)
    sal = SALPhase([n, n], batch=int(p["sal_batch"]), eta=float(p["sal_eta"]),
                   block_steps=int(steps_per_record), blocks_per_epoch=1, rng=rng_sal,
                   official_refractory=bool(p["sal_official_refractory"]))
    rdd_update = None if p["rdd_official_bug"] else float(p["rdd_update_seconds"])
    rdd = RDDPhase([n, n], rng=rng_rdd, update_seconds=rdd_update)
    stdwi = STDWI(n, n, rng=rng_stdwi)
    B = {a: B0.copy() for a in ALGORITHMS}
    traj = np.empty((len(ALGORITHMS), n_rec + 1, n, n))
    traj[:, 0] = B0
    progress = Progress(n_rec, "fig 7 weight scatter")
    for k in range(n_rec):
        sal.run([W], [b1], [B["sal"]])
        rdd.drive(0, record, [W], [B["rdd"]])
        stdwi.run(W, B["stdwi"], record)
        for i, a in enumerate(ALGORITHMS):
            traj[i, k + 1] = B[a]
        progress.update()
    if not np.all(np.isfinite(traj)):
        raise FloatingPointError("a feedback matrix diverged in the fig-7 run")
    angle = np.array([[alignment_angles([W], [b])[0] for b in traj[i]] for i in range(len(ALGORITHMS))])
    rdd_note = ("never (official notebook: its update counter cannot fire)" if p["rdd_official_bug"]
                else f"every {float(p['rdd_update_seconds']):g} s (official update-counter bug fixed)")
    data = {
        "W": _var(("post", "pre"), W, "fixed forward weights W"),
        "B": _var(("algorithm", "time", "post", "pre"), traj, "feedback weights B (W's layout) after each interval"),
        "angle": _var(("algorithm", "time"), angle, "angle between W and B (flattened)", "degree"),
    }
    coords = {
        "algorithm": ("algorithm", list(ALGORITHMS), {"long_name": "feedback alignment algorithm"}),
        "time": ("time", np.arange(n_rec + 1) * record, {"units": "s", "long_name": "simulated time"}),
        "post": ("post", np.arange(n), {"long_name": "upper (output) population neuron"}),
        "pre": ("pre", np.arange(n), {"long_name": "lower (input) population neuron"}),
    }
    attrs = provenance("deepnet.weight_scatter", p, seed)
    attrs["rdd_feedback_updates"] = rdd_note
    return xr.Dataset(data, coords=coords, attrs=attrs)


def salnet(params: dict, seed: int, checkpoint=None) -> xr.Dataset:
    """Fig 9: pure SAL on frozen random weights; the angle per FC layer after every epoch.

    The weights come from ``init_seed`` (a parameter), the spiking noise from ``seed``. With
    ``checkpoint`` (a path) the phase (its Generator included), B and the angles so far are saved there
    at most every minute and the run resumes from it, bitwise equal to an uninterrupted run.
    """
    p = Salnet.check(params)
    sizes = [int(n) for n in p["sizes"]]
    epochs, batch, steps = (int(p[k]) for k in ("epochs", "batch", "steps"))
    W, b, B = initial_salnet(sizes, p["init_seed"])
    phase = SALPhase(sizes, batch=batch, eta=float(p["eta"]), block_steps=steps, blocks_per_epoch=1,
                     tau_ref=int(p["tau_ref"]), rng=generator(seed),
                     official_refractory=bool(p["official_refractory"]))
    angle = np.empty((epochs + 1, len(sizes) - 1))
    angle[0] = alignment_angles(W, B)
    saver = Checkpoint(checkpoint, SALNET_CHECKPOINT, {**p, "seed": seed}, SALNET_CHECKPOINT_INTERVAL)
    state = saver.load()
    done = 0 if state is None else state["epoch"]
    if state is not None:
        phase, B = state["phase"], state["B"]
        angle[: done + 1] = state["angle"]
    progress = Progress(epochs - done, f"fig 9 SALNet eta={p['eta']:g}")
    for epoch in range(done, epochs):
        phase.run(W, b, B)
        angle[epoch + 1] = alignment_angles(W, B)
        saver.save(epoch + 1, {"phase": phase, "B": B, "angle": angle[: epoch + 2]})
        progress.update()
    if not np.all(np.isfinite(angle)):
        raise FloatingPointError("a feedback matrix diverged in the SALNet run")
    seconds = simulated_seconds(np.arange(epochs + 1) * steps, batch)
    data = {"angle": _var(("epoch", "layer"), angle, "angle between W and B of each FC layer", "degree")}
    coords = {
        "epoch": ("epoch", np.arange(epochs + 1), {"long_name": "SAL epoch (one block, then one B update)"}),
        "layer": ("layer", [f"fc{k + 1}" for k in range(len(sizes) - 1)], {"long_name": "FC layer"}),
        "time": ("epoch", seconds, {"units": "s", "long_name": "simulated time (steps x copies x 1 ms)"}),
    }
    return xr.Dataset(data, coords=coords, attrs=provenance("deepnet.salnet", p, seed))


def scaling_run(params: dict, checkpoint=None) -> xr.Dataset:
    """Depth and width study: one fully connected network (``depth`` hidden layers of ``width`` units, a
    ``CNN`` without conv blocks) trained by ``train.fit`` with every method and seed of ``params``, stacked
    over (method, seed).

    One seed gives every method the same initial W (the draw order does not depend on the method). SAL runs
    its phase (``sal_phase``: ``SALPhase`` keyword arguments) before every epoch, as in fig 8; KP has
    ``kp_weight_decay`` on W and B, the others none. With ``checkpoint`` (a path), each (method, seed) run
    checkpoints to ``<checkpoint>.<method>~<seed>`` and resumes from it; those files are removed at the end.
    """
    p = json.loads(json.dumps(ScalingRun.check(params)))
    data = load_dataset(p["dataset"], p["data_path"])
    hidden = [p["width"]] * p["depth"]
    shared = {k: p[k] for k in SGDKeys.keys()}  # what every (method, seed) run shares
    runs, checkpoints = [], []
    for method in p["methods"]:
        parts = []
        for seed in p["seeds"]:
            decay = p["kp_weight_decay"] if method == "kp" else 0.0
            run = {**shared, "method": method, "seed": seed, "hidden": hidden, "weight_decay": decay,
                   "phase": p["sal_phase"] if method == "sal" else {}}
            path = None if checkpoint is None else Path(f"{checkpoint}.{method}~{seed}")
            checkpoints.append(path)
            build = partial(CNN, method, data.input_shape, channels=(), hidden=hidden, weight_decay=decay)
            ds = fit(run, data, build, path, gradient_batch=p["gradient_batch"])
            parts.append(ds[SCALING_VARIABLES])
        runs.append(xr.concat(parts, "seed"))
    ds = xr.concat(runs, "method").assign_coords(
        method=("method", p["methods"], {"long_name": "feedback method"}),
        seed=("seed", p["seeds"], {"long_name": "initialisation and training seed"}))
    for path in checkpoints:
        if path is not None:
            path.unlink(missing_ok=True)
    ds.attrs = provenance("deepnet.scaling_run", p)
    return ds
