"""The deep-network experiments as pipeline steps (spec deepnet): fig 7 (weight scatter), fig 8 (CNN
training per method and seed, checkpointed), fig 9 (SALNet), and the summaries the figures read."""

from __future__ import annotations

from .scatter import paper_params_fig7, paper_params_fig9, quick_params_fig7, salnet, weight_scatter
from .train import paper_params, quick_params, train

def run_params(config: dict, experiment: str, **labels) -> dict:
    """Parameters of one run from the ``deepnet`` config block.

    weight_scatter: the paper's fig-7 setting (``fig7.scale: paper``) or the quick one.
    train (labels dataset, method, seed): ``quick_params`` for digits, else ``paper_params``, with the
    block's ``epochs``; the data set is read from its retrieved folder (``data.default_path``).
    salnet (labels eta, seed): fig 9, paper or quick sizes.
    """
    if experiment == "weight_scatter":
        return paper_params_fig7() if config["fig7"]["scale"] == "paper" else quick_params_fig7()
    if experiment == "train":
        f8, ds, method, seed = config["fig8"], labels["dataset"], labels["method"], int(labels["seed"])
        p = quick_params(method, seed) if ds == "digits" else paper_params(ds, method, seed)
        p["epochs"] = f8["epochs"]
        return p
    if experiment == "salnet":
        f9 = config["fig9"]
        p = paper_params_fig9(float(labels["eta"]), int(labels["seed"]))
        return {**p, **{k: f9[k] for k in ("sizes", "epochs", "batch", "steps") if f9.get(k) is not None}}
    raise ValueError(f"unknown deepnet experiment {experiment!r}; known: weight_scatter, train, salnet")
