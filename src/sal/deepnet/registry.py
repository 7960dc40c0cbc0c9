"""The deep networks' contract (see ``sal.contract``): weight estimation from spikes (fig 7), CNN training
with seven feedback methods (fig 8), SALNet (fig 9) and the depth and width study of fully connected
networks (fig S4, beyond the paper)."""

from ..contract import Experiment, Family, Headline, Summary, figures
from ..plotting.deepnet import FIGURES
from . import summaries
from .experiments import salnet, scaling_run, train, weight_scatter
from .params import Salnet, ScalingRun, Train, WeightScatter, run_params


def _training_runs(block):
    f8 = block["fig8"]
    return [((d, m, s), {"dataset": d, "method": m, "seed": s})
            for d in f8["datasets"] for m in f8["methods"] for s in f8["seeds"]]


def _salnet_runs(block):
    f9 = block["fig9"]
    return [((e, s), {"eta": f"{e:g}", "seed": s}) for e in f9["etas"] for s in f9["seeds"]]


def _scaling_runs(block, dataset):
    """One run per network shape: the depth sweep, then the widths of the width sweep not in it."""
    return [((f"{d}x{w}",), {"dataset": dataset, "depth": d, "width": w})
            for d, w in summaries.scaling_shapes(block["scaling"])]


def _scaling_options(block, dataset):
    return {k: block["scaling"][k] for k in summaries.SWEEP_KEYS}


FAMILY = Family(
    name="deepnet",
    title="Deep networks",
    experiments=(
        Experiment("weight_scatter", weight_scatter, "weight_scatter/seed~{seed}.nc",
                   lambda block, seed: run_params(block, "weight_scatter"), seeded=True, check=WeightScatter.check,
                   resources={"mem_mb": 1000, "runtime": 60}, group=None),
        Experiment("train", train, "training/{dataset}/{method}/seed~{seed}.nc",
                   lambda block, **wc: run_params(block, "train", **wc), checkpoint=True, check=Train.check,
                   constraints={"dataset": "digits|fashion_mnist|cifar10|svhn",
                                "method": "bp|fa|bp_fa|kp|scfa|sal|rdd", "seed": r"\d+"},
                   resources={"mem_mb": 4000, "runtime": 600}, group=None,
                   dataset=lambda wildcards: wildcards["dataset"]),
        Experiment("salnet", salnet, "salnet/eta~{eta}/seed~{seed}.nc",
                   lambda block, **wc: run_params(block, "salnet", **wc), seeded=True, checkpoint=True,
                   check=Salnet.check,
                   resources={"mem_mb": 2000, "runtime": 600}, group=None),
        Experiment("scaling_run", scaling_run, "scaling/{dataset}/hidden~{depth}x{width}.nc",
                   lambda block, **wc: run_params(block, "scaling_run", **wc), checkpoint=True, check=ScalingRun.check,
                   constraints={"dataset": "digits|fashion_mnist|cifar10|svhn", "depth": r"\d+", "width": r"\d+"},
                   resources={"mem_mb": 2000, "runtime": 600}, group="scaling_runs",
                   dataset=lambda wildcards: wildcards["dataset"]),
    ),
    summaries=(
        Summary("training", summaries.training_summary, "train", "training/summary.nc", _training_runs),
        Summary("salnet", summaries.salnet_summary, "salnet", "salnet/summary.nc", _salnet_runs),
        Summary("scaling", summaries.scaling_summary, "scaling_run", "scaling/{dataset}/summary.nc", _scaling_runs,
                _scaling_options),
    ),
    figures=figures(FIGURES),
    products=lambda block: {"": {
        "weight_scatter": f"results/deepnet/weight_scatter/seed~{block['fig7']['seed']}.nc",
        "training": "results/deepnet/training/summary.nc",
        "salnet": "results/deepnet/salnet/summary.nc",
        "scaling": f"results/deepnet/scaling/{block['scaling']['dataset']}/summary.nc"}},
    headline=(Headline("headline_numbers_deepnet", summaries.headline_rows, summaries.PAPER),
              Headline("headline_numbers_deepnet", summaries.salnet_headline_rows, summaries.PAPER),
              Headline("headline_numbers_deepnet", summaries.scaling_headline_rows, summaries.PAPER)),
)
