"""Fig 7 (weight scatter: SAL vs RDD vs STDWI on two populations) and fig 9 (pure SAL in SALNet).

Fig 7 (spec §4): W (50×50) and B ~ U(±√(3/50)) from default_rng(43), drawn in the order W, B
(initial angle 91.4°); each method aligns its own copy of B with the fixed W for 100 "seconds".
SAL: the 2-layer SAL net, 1250 steps of batch 8 per second, one B update per second. RDD: the lower
population driven, B = β σ_B/std(β) every 10 s (the official notebook never updates B: its update
counter restarts every second; ``rdd_official_bug=True`` reproduces that flat curve). STDWI: the
protocol of Ahmad et al. as in the official notebook.

Fig 9 (spec §5): SALNet [1600, 384, 192, 10] with frozen random W, biases and B; each epoch is one
block of ``steps`` steps of ``batch`` copies followed by one B update; the angle per FC layer per epoch.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..progress import Progress
from ..rng import generator, substreams
from ..store import provenance
from .rdd import RDDPhase
from .salphase import SALPhase, alignment_angles
from .stdwi import STDWI

ALGORITHMS = ("sal", "rdd", "stdwi")  # dimension "algorithm" ("method" would clash with .sel(method=))
FC_SIZES = [1600, 384, 192, 10]


def paper_params_fig7() -> dict:
    """Fig 7 as in the official notebook (100 s; RDD with the update counter fixed)."""
    return {"n": 50, "weights_seed": 43, "seconds": 100, "record_seconds": 1.0, "sal_eta": 0.05, "sal_batch": 8,
            "sal_steps_per_second": 1250, "sal_official_refractory": True, "rdd_update_seconds": 10.0,
            "rdd_official_bug": False}


def quick_params_fig7() -> dict:
    """A reduced fig 7: 20 s, RDD updates every 5 s (seconds on a laptop)."""
    return {**paper_params_fig7(), "seconds": 20, "rdd_update_seconds": 5.0}


def paper_params_fig9(eta: float, seed: int) -> dict:
    """Fig 9 run of one learning rate η and initialisation seed: 2000 epochs of 1000 steps at batch 64."""
    return {"sizes": list(FC_SIZES), "eta": float(eta), "epochs": 2000, "batch": 64, "steps": 1000,
            "init_seed": int(seed), "tau_ref": 10, "official_refractory": True}


def quick_params_fig9(eta: float = 0.04, seed: int = 0) -> dict:
    """A reduced fig 9: layers [100, 40, 20, 10], 20 epochs of 250 steps at batch 8."""
    return {**paper_params_fig9(eta, seed), "sizes": [100, 40, 20, 10], "epochs": 20, "batch": 8, "steps": 250}


def _check_keys(p: dict, expected: dict, what: str) -> dict:
    """A copy of p; fails naming the missing or unknown keys (expected: a paper parameter dict)."""
    missing, unknown = sorted(set(expected) - set(p)), sorted(set(p) - set(expected))
    if missing or unknown:
        raise ValueError(f"{what} parameters: missing {missing}, unknown {unknown}; expected keys {sorted(expected)}")
    return dict(p)


def _positive_int(p, key):
    value = p[key]
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"parameter {key!r} must be a positive integer, got {value!r}")
    return int(value)


def _var(dims, data, long_name, units="1"):
    return xr.Variable(dims, data, {"units": units, "long_name": long_name})


def initial_weights_fig7(n: int, weights_seed: int):
    """W (post, pre) and B (post, pre) ~ U(±√(3/n)) from default_rng(weights_seed), W drawn first.

    The notebook draws B in the spiking layout (pre, post); we store its transpose, as for every B.
    """
    rng = np.random.default_rng(weights_seed)
    bound = np.sqrt(3.0 / n)
    W = rng.uniform(-bound, bound, size=(n, n))
    B = rng.uniform(-bound, bound, size=(n, n)).T.copy()
    return W, B


def weight_scatter(params: dict, seed: int) -> xr.Dataset:
    """Fig 7: B over time for SAL, RDD and STDWI aligning with one fixed W; angle(W, B) per algorithm.

    W and the initial B come from ``weights_seed`` (43, official); ``seed`` drives the three simulations
    (independent sub-streams) and the SAL net's upper-layer bias.
    """
    p = _check_keys(params, paper_params_fig7(), "fig-7")
    n, seconds = _positive_int(p, "n"), _positive_int(p, "seconds")
    record = float(p["record_seconds"])
    n_rec = int(round(seconds / record))
    if n_rec < 1 or abs(n_rec * record - seconds) > 1e-9:
        raise ValueError(f"seconds={seconds} must be a positive multiple of record_seconds={record}")
    steps_per_record = _positive_int(p, "sal_steps_per_second") * record
    if steps_per_record != int(steps_per_record):
        raise ValueError("sal_steps_per_second * record_seconds must be an integer")
    W, B0 = initial_weights_fig7(n, p["weights_seed"])
    rng_sal, rng_rdd, rng_stdwi = substreams(seed, 3)
    b1 = rng_sal.uniform(-1.0, 1.0, n) / np.sqrt(n)  # the upper layer's bias (the lower one: b_0 of SALPhase)
    sal = SALPhase([n, n], batch=_positive_int(p, "sal_batch"), eta=float(p["sal_eta"]),
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


def initial_salnet(sizes, init_seed: int):
    """Frozen W_l ~ U(±1/√n_{l-1}) (fc_l: (n_l, n_{l-1})), B_l ~ U(±1/√n_l) in the same layout (the
    spiking top-down weights of layer l-1, fan-in n_l), biases b_l ~ U(±1/√n_l); drawn in this order."""
    rng = generator(init_seed)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    W = [rng.uniform(-1.0, 1.0, (n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in pairs]
    B = [rng.uniform(-1.0, 1.0, (n_out, n_in)) / np.sqrt(n_out) for n_in, n_out in pairs]
    b = [rng.uniform(-1.0, 1.0, n_out) / np.sqrt(n_out) for _, n_out in pairs]
    return W, b, B


def salnet(params: dict, seed: int) -> xr.Dataset:
    """Fig 9: pure SAL on frozen random weights; the angle per FC layer after every epoch.

    The weights come from ``init_seed`` (a parameter), the spiking noise from ``seed``.
    """
    p = _check_keys(params, paper_params_fig9(0.04, 0), "fig-9")
    sizes = [int(n) for n in p["sizes"]]
    epochs, batch, steps = (_positive_int(p, k) for k in ("epochs", "batch", "steps"))
    W, b, B = initial_salnet(sizes, p["init_seed"])
    phase = SALPhase(sizes, batch=batch, eta=float(p["eta"]), block_steps=steps, blocks_per_epoch=1,
                     tau_ref=_positive_int(p, "tau_ref"), rng=generator(seed),
                     official_refractory=bool(p["official_refractory"]))
    angle = np.empty((epochs + 1, len(sizes) - 1))
    angle[0] = alignment_angles(W, B)
    progress = Progress(epochs, f"fig 9 SALNet eta={p['eta']:g}")
    for epoch in range(epochs):
        phase.run(W, b, B)
        angle[epoch + 1] = alignment_angles(W, B)
        progress.update()
    if not np.all(np.isfinite(angle)):
        raise FloatingPointError("a feedback matrix diverged in the SALNet run")
    seconds = np.arange(epochs + 1) * batch * steps * 1e-3  # one step of one copy = 1 ms
    data = {"angle": _var(("epoch", "layer"), angle, "angle between W and B of each FC layer", "degree")}
    coords = {
        "epoch": ("epoch", np.arange(epochs + 1), {"long_name": "SAL epoch (one block, then one B update)"}),
        "layer": ("layer", [f"fc{k + 1}" for k in range(len(sizes) - 1)], {"long_name": "FC layer"}),
        "time": ("epoch", seconds, {"units": "s", "long_name": "simulated time (steps x copies x 1 ms)"}),
    }
    return xr.Dataset(data, coords=coords, attrs=provenance("deepnet.salnet", p, seed))
