"""Summaries of the deep-network runs and the family's headline numbers."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..headline import counted
from ..store import combine, parameters

METRICS = ["train_accuracy", "test_accuracy", "test_loss", "angle", "initial_angle"]


def training_summary(runs: dict) -> xr.Dataset:
    """Fig-8 runs stacked over (dataset, method, seed), data sets in the config's order (the first one's
    curves are drawn).

    The layers' sizes differ between data sets (fc1 has 1024 inputs on 28×28 images, 1600 on 32×32), so
    they are not stacked: they stay in each run's parameters.
    """
    summary = combine({k: ds[METRICS].drop_vars(["layer_size_in", "layer_size_out"]) for k, ds in runs.items()},
                      ("dataset", "method", "seed"), "deepnet.training_summary")
    return summary.sel(dataset=list(dict.fromkeys(labels[0] for labels in runs)))


def final_accuracy(training: xr.Dataset) -> xr.DataArray:
    """Per dataset, method and seed of a training summary: test accuracy averaged over the last 5 epochs
    (the paper's bars and table; the headline table reads the same numbers)."""
    return training["test_accuracy"].isel(epoch=slice(-5, None)).mean("epoch")


def salnet_summary(runs: dict) -> xr.Dataset:
    """Fig-9 runs stacked over (eta, seed). Runs may differ in length (``fig9.epochs`` per η: a small η
    needs longer to reach its plateau); the shorter ones are NaN after their last epoch."""
    longest = max(runs.values(), key=lambda ds: ds.sizes["epoch"])
    return combine({k: ds.reindex(epoch=longest["epoch"]).assign_coords(time=longest["time"])
                    for k, ds in runs.items()}, ("eta", "seed"), "deepnet.salnet_summary")


#: fig 9's read-outs: the angle [deg] whose first crossing measures speed, and the final share of the epochs
#: whose mean is the noise floor
SALNET_THRESHOLD, SALNET_TAIL = 45.0, 0.1


def salnet_metrics(salnet: xr.Dataset, threshold: float = SALNET_THRESHOLD, tail: float = SALNET_TAIL) -> xr.Dataset:
    """Fig 9's speed and noise floor per η and FC layer, from the seed-mean angle: ``time_to_threshold``, the
    simulated time [s] at which the angle first falls below ``threshold`` degrees (inf if it never does);
    ``floor``, the mean angle over the last ``tail`` of the η's epochs (the noise floor once the angle has
    plateaued); ``drift``, the angle's least-squares slope over those epochs [deg per 100 epochs], near 0 on
    a plateau and clearly negative while the angle still falls; ``epochs``, how many epochs the η ran."""
    angle = salnet["angle"].mean("seed").transpose("eta", "layer", "epoch")
    t, epoch = salnet["time"].values, salnet["epoch"].values
    first, floor, drift, ran = [], [], [], []
    for curves in angle.values:  # per η: its own epochs (shorter runs are NaN at the end)
        n = int(np.isfinite(curves).all(0).sum())
        curves = curves[:, :n]
        below = curves < threshold
        first.append(np.where(below.any(-1), t[below.argmax(-1)], np.inf))
        last = max(2, int(round(tail * n)))
        floor.append(curves[:, -last:].mean(-1))
        drift.append(np.polyfit(epoch[n - last:n] / 100.0, curves[:, -last:].T, 1)[0])
        ran.append(int(epoch[n - 1]))
    dims = ("eta", "layer")
    return xr.Dataset({"time_to_threshold": (dims, np.array(first)), "floor": (dims, np.array(floor)),
                       "drift": (dims, np.array(drift)), "epochs": ("eta", ran)},
                      coords={k: angle[k] for k in dims})


def salnet_headline_rows(salnet):
    """(key, figure, quantity, ours, measured at) of fig 9: per η, how fast every FC layer aligns and the floor
    it reaches (the paper: larger η aligns faster, to a higher noise floor)."""
    m = salnet_metrics(salnet)
    etas = " / ".join(f"{e:g}" for e in m["eta"].values)
    layers = "/".join(str(v) for v in m["layer"].values)
    epochs = m["epochs"].values  # per η, or one number when every η ran as long
    if len(set(epochs)) == 1:
        epochs = epochs[:1]
    seconds = salnet["time"].values[epochs]
    scale = (f"{counted(salnet.sizes['seed'], 'seed')}, {' / '.join(map(str, epochs))} epochs "
             f"({' / '.join(f'{s:g}' for s in seconds)} s)")
    slowest = m["time_to_threshold"].max("layer")
    yield ("salnet_speed", "fig 9",
           f"simulated time until every FC layer is below {SALNET_THRESHOLD:g}° [s], η = {etas}",
           " / ".join("never" if np.isinf(v) else f"{v:g}" for v in slowest.values), scale)
    yield ("salnet_floor", "fig 9",
           f"final angle(W, B) {layers} [deg] (mean of the last {SALNET_TAIL * 100:g} % of each η's epochs; "
           f"steepest drift there per 100 epochs), η = {etas}",
           " · ".join(" / ".join(f"{a:.1f}" for a in m["floor"].sel(eta=e).values)
                      + f" ({float(m['drift'].sel(eta=e).min()):+.2f})" for e in m["eta"].values), scale)


#: the config keys of the two sweeps of the depth and width study
SWEEP_KEYS = ("depths", "depth_width", "width_depth", "widths")
#: the methods compared with BP in the depth and width study, in the order they are drawn and listed
SCALING_ORDER = ("fa", "scfa", "kp", "sal")


def scaling_shapes(block: dict) -> list[tuple[int, int]]:
    """(depth, width) of every network of the depth and width study (config ``deepnet.scaling``): the depth
    sweep at ``depth_width``, then the width sweep at ``width_depth`` (shapes in both are run once)."""
    shapes = [(d, block["depth_width"]) for d in block["depths"]]
    shapes += [(block["width_depth"], w) for w in block["widths"]]
    return list(dict.fromkeys(shapes))


def scaling_summary(runs: dict, depths, depth_width, width_depth, widths) -> xr.Dataset:
    """Scaling runs stacked over shape ("<depth>x<width>"), with coordinates depth, width and the sweeps each
    shape belongs to. The layers are fc1 … fc_{deepest + 1}: NaN where a network has fewer (the output layer
    is fc_{depth + 1}); layer sizes stay in each run's parameters."""
    n_layers = max(ds.sizes["layer"] for ds in runs.values())
    layers = [f"fc{k}" for k in range(1, n_layers + 1)]
    summary = combine({k: ds.drop_vars(["layer_size_in", "layer_size_out"]).reindex(layer=layers)
                       for k, ds in runs.items()}, ("shape",), "deepnet.scaling_summary")
    summary = summary.reindex(shape=[labels[0] for labels in runs], layer=layers)  # run order, not sorted
    p = [parameters(runs[(shape,)]) for shape in summary["shape"].values]
    depth, width = np.array([q["depth"] for q in p]), np.array([q["width"] for q in p])
    return summary.assign_coords(
        depth=("shape", depth, {"units": "1", "long_name": "hidden layers"}),
        width=("shape", width, {"units": "1", "long_name": "units per hidden layer"}),
        in_depth_sweep=("shape", np.isin(depth, depths) & (width == depth_width),
                        {"units": "1", "long_name": f"in the depth sweep (width {depth_width})"}),
        in_width_sweep=("shape", np.isin(width, widths) & (depth == width_depth),
                        {"units": "1", "long_name": f"in the width sweep (depth {width_depth})"}))


def scaling_metrics(scaling: xr.Dataset) -> xr.Dataset:
    """Per shape, method and seed of a scaling summary: the final test accuracy (``final_accuracy``), its gap
    to BP of the same seed (BP - method: the same initial W), the final angle(W, B) averaged over the feedback
    matrices the backward pass uses (fc2 … fc_{depth+1}; fc1's B sends no error anywhere) and the final angle
    between each hidden layer's weight gradient and backprop's averaged over the hidden layers (fc1 … fc_depth)."""
    accuracy = final_accuracy(scaling)
    index = xr.DataArray(np.arange(1, scaling.sizes["layer"] + 1), dims="layer")
    final = scaling.isel(epoch=-1)
    used = (index >= 2) & (index <= scaling["depth"] + 1)
    hidden = index <= scaling["depth"]
    return xr.Dataset({
        "accuracy": accuracy,
        "gap": accuracy.sel({"method": "bp"}) - accuracy,
        "feedback_angle": final["angle"].where(used).mean("layer"),
        "gradient_angle": final["gradient_angle"].where(hidden).mean("layer"),
    })


def sweep_shapes(metrics: xr.Dataset, sweep: str) -> xr.Dataset:
    """The shapes of one sweep ("depth" or "width"), ordered along it."""
    part = metrics.isel(shape=np.flatnonzero(metrics[f"in_{sweep}_sweep"].values))
    return part.sortby(sweep)


def scaling_headline_rows(scaling):
    """(key, figure, quantity, ours, measured at) of the depth and width study: per sweep, the accuracy gap to
    BP, the feedback angle and the gradient angle from the smallest to the largest network (mean over seeds)."""
    metrics = scaling_metrics(scaling)
    methods = [m for m in SCALING_ORDER if m in scaling["method"].values]
    names = " / ".join(m.upper() for m in methods)
    dataset = parameters(scaling)["runs"][str(scaling["shape"].values[0])]["dataset"]
    scale = f"{dataset}, {counted(scaling.sizes['seed'], 'seed')}, {scaling.sizes['epoch']} epochs"
    quantities = (("gap", "test-accuracy gap to BP [pp]", ".1f"), ("feedback_angle", "angle(W, B) [deg]", ".0f"),
                  ("gradient_angle", "gradient angle to BP [deg]", ".0f"))
    for sweep, other in (("depth", "width"), ("width", "depth")):
        part = sweep_shapes(metrics, sweep)
        if part.sizes["shape"] < 2:
            continue
        first, last = part.isel(shape=0), part.isel(shape=-1)
        at = f"{other} {int(first[other])}"
        for key, label, fmt in quantities:
            mean = part[key].mean("seed")
            ours = " / ".join(f"{float(mean.sel({'method': m}).isel(shape=0)):{fmt}} → "
                              f"{float(mean.sel({'method': m}).isel(shape=-1)):{fmt}}" for m in methods)
            yield (f"scaling_{sweep}_{key}", "fig S4",
                   f"{sweep} {int(first[sweep])} → {int(last[sweep])} ({at}): {label} {names}", ours, scale)


def headline_rows(weight_scatter, training):
    """(key, figure, quantity, ours, measured at) of the family's headline numbers."""
    ds, tr = weight_scatter, training
    final = ds["angle"].isel(time=-1)
    yield ("fig7_angles", "fig 7", "final angle(W, B) [deg]: " + " / ".join(a.upper() for a in ds["algorithm"].values),
           " / ".join(f"{v:.1f}" for v in final.values), f"{float(ds['time'][-1]):g} s")
    acc = final_accuracy(tr).mean("seed")
    scale = f"{counted(tr.sizes['seed'], 'seed')}, {tr.sizes['epoch']} epochs"
    methods = [m for m in ("bp", "bp_fa", "sal", "fa") if m in tr["method"].values]
    reference = "accuracy_vs_bp_fa" if {"sal", "bp_fa"} <= set(methods) else "accuracy_vs_bp"
    for d in tr["dataset"].values:
        if methods:
            names = " / ".join(m.upper() for m in methods)
            yield (f"{reference}_{d}" if f"{reference}_{d}" in PAPER else reference, "fig 8",
                   f"{d}: final test accuracy [%] (mean over seeds) {names}",
                   " / ".join(f"{float(acc.sel({'dataset': d, 'method': m})):.1f}" for m in methods), scale)
        for m in ("sal", "fa"):
            if m in tr["method"].values:
                angle = tr["angle"].sel({"dataset": d, "method": m}).isel(epoch=-1).mean("seed")
                yield (f"{m}_angles", "fig 8", f"{d}: {m.upper()} final angle(W, B) per FC layer [deg] (mean over seeds)",
                       " / ".join(f"{v:.0f}" for v in angle.values), scale)


#: the paper's values or claims (and the official code's, where we ran it) of the headline quantities
OFFICIAL_FASHION_MNIST = " (official reduced run, 6 epochs: BP 89.8, SAL 88.4, FA 87.3)"
PAPER = {"fig7_angles": "official code: SAL ≈ 14, RDD (fixed) ≈ 26, STDWI ≈ 54",
         "accuracy_vs_bp_fa": "SAL close to BP+FA", "accuracy_vs_bp": "SAL close to BP",
         "accuracy_vs_bp_fa_fashion_mnist": "SAL close to BP+FA" + OFFICIAL_FASHION_MNIST,
         "accuracy_vs_bp_fashion_mnist": "SAL close to BP" + OFFICIAL_FASHION_MNIST,
         "sal_angles": "falls toward 0 in every FC layer", "fa_angles": "stays near 90",
         "salnet_speed": "larger η aligns faster",
         "salnet_floor": "every layer aligns; larger η to a higher noise floor",
         "scaling_depth_gap": "not tested (claims FA 'scales poorly with network size and depth'); FA's gap "
                              "grows with depth (Bartunov et al. 2018)",
         "scaling_depth_feedback_angle": "not tested; SAL aligns every layer of frozen networks (fig 9)",
         "scaling_depth_gradient_angle": "not tested",
         "scaling_width_gap": "not tested (claims FA 'scales poorly with network size and depth')",
         "scaling_width_feedback_angle": "not tested",
         "scaling_width_gradient_angle": "not tested"}


