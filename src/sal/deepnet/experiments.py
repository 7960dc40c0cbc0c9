"""The deep-network experiments as pipeline steps (spec deepnet): fig 7 (weight scatter), fig 8 (CNN
training per method and seed, checkpointed), fig 9 (SALNet), and the summaries the figures read."""

from __future__ import annotations

import xarray as xr

from ..store import combine
from .scatter import paper_params_fig7, paper_params_fig9, quick_params_fig7, salnet, weight_scatter
from .train import paper_params, quick_params, train

METRICS = ["train_accuracy", "test_accuracy", "test_loss", "angle", "initial_angle"]


def run_params(config: dict, experiment: str, **labels) -> dict:
    """Parameters of one run from the ``deepnet`` config block.

    weight_scatter: the paper's fig-7 setting (``fig7.scale: paper``) or the quick one.
    train (labels dataset, method, seed): ``quick_params`` for digits, else ``paper_params``, with the
    block's ``epochs`` and dataset path. salnet (labels eta, seed): fig 9, paper or quick sizes.
    """
    if experiment == "weight_scatter":
        return paper_params_fig7() if config["fig7"]["scale"] == "paper" else quick_params_fig7()
    if experiment == "train":
        f8, ds, method, seed = config["fig8"], labels["dataset"], labels["method"], int(labels["seed"])
        p = quick_params(method, seed) if ds == "digits" else paper_params(ds, method, seed)
        p["epochs"] = f8["epochs"]
        if f8["data_paths"].get(ds):
            p["data_path"] = f8["data_paths"][ds]
        return p
    if experiment == "salnet":
        f9 = config["fig9"]
        p = paper_params_fig9(float(labels["eta"]), int(labels["seed"]))
        return {**p, **{k: f9[k] for k in ("sizes", "epochs", "batch", "steps") if f9.get(k) is not None}}
    raise ValueError(f"unknown deepnet experiment {experiment!r}; known: {sorted(EXPERIMENTS)}")


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


#: experiment name -> (function, takes a seed); a training run's seed is part of its parameters
EXPERIMENTS = {"weight_scatter": (weight_scatter, True), "train": (train, False), "salnet": (salnet, True)}
SUMMARIES = {"training": training_summary, "salnet": salnet_summary}
