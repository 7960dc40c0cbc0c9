"""Summaries of the deep-network runs and the family's headline numbers."""

from __future__ import annotations

import xarray as xr

from ..store import combine

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
    """Fig-9 runs stacked over (eta, seed)."""
    return combine(runs, ("eta", "seed"), "deepnet.salnet_summary")


def headline_rows(weight_scatter, training):
    """(key, figure, quantity, ours, measured at) of the family's headline numbers."""
    ds, tr = weight_scatter, training
    final = ds["angle"].isel(time=-1)
    yield ("fig7_angles", "fig 7", "final angle(W, B) [deg]: " + " / ".join(a.upper() for a in ds["algorithm"].values),
           " / ".join(f"{v:.1f}" for v in final.values), f"{float(ds['time'][-1]):g} s")
    acc = final_accuracy(tr).mean("seed")
    scale = f"{tr.sizes['seed']} seeds, {tr.sizes['epoch']} epochs"
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
         "sal_angles": "falls toward 0 in every FC layer", "fa_angles": "stays near 90"}


