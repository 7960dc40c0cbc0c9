# SAL in deep networks (spec deepnet): figs 7 (weight scatter), 8 (CNN training), 9 (SALNet).

from sal.deepnet.experiments import run_params as deepnet_run_params

DN = config["deepnet"]
DEEPNET_CODE = code_version("deepnet", *SHARED_CODE)
F8 = DN["fig8"]
F8_RUNS = [
    (d, m, s) for d in F8["datasets"] for m in F8["methods"] for s in F8["seeds"]
]
F9 = DN["fig9"]
F9_RUNS = [(e, s) for e in F9["etas"] for s in F9["seeds"]]


rule deepnet_weight_scatter:
    """Fig 7: SAL, RDD and STDWI estimate the same random W from spikes."""
    output:
        "results/deepnet/weight_scatter/seed~{seed}.nc",
    log:
        "logs/deepnet/weight_scatter/seed~{seed}.log",
    benchmark:
        "results/benchmarks/deepnet/weight_scatter/seed~{seed}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        family="deepnet",
        experiment="weight_scatter",
        params=deepnet_run_params(DN, "weight_scatter"),
        seed=lambda wc: int(wc.seed),
        code=DEEPNET_CODE,
    script:
        "../scripts/run_experiment.py"


rule deepnet_train:
    """Fig 8: one CNN training run; checkpointed every epoch, so an interrupted run resumes."""
    output:
        "results/deepnet/training/{dataset}/{method}/seed~{seed}.nc",
    log:
        "logs/deepnet/training/{dataset}/{method}/seed~{seed}.log",
    benchmark:
        "results/benchmarks/deepnet/training/{dataset}/{method}/seed~{seed}.tsv"
    wildcard_constraints:
        dataset="digits|fashion_mnist|cifar10|svhn",
        method="bp|fa|bp_fa|kp|scfa|sal|rdd",
    threads: 1
    resources:
        mem_mb=4000,
        runtime=600,
    params:
        family="deepnet",
        experiment="train",
        params=lambda wc: deepnet_run_params(DN, "train", **wc),
        checkpoint=lambda wc, output: f"{output[0]}.checkpoint",
        code=DEEPNET_CODE,
    script:
        "../scripts/run_experiment.py"


rule deepnet_salnet:
    """Fig 9: pure SAL with frozen random forward weights, one learning rate and seed."""
    output:
        "results/deepnet/salnet/eta~{eta}/seed~{seed}.nc",
    log:
        "logs/deepnet/salnet/eta~{eta}/seed~{seed}.log",
    benchmark:
        "results/benchmarks/deepnet/salnet/eta~{eta}/seed~{seed}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=600,
    params:
        family="deepnet",
        experiment="salnet",
        params=lambda wc: deepnet_run_params(DN, "salnet", **wc),
        seed=lambda wc: int(wc.seed),
        code=DEEPNET_CODE,
    script:
        "../scripts/run_experiment.py"


rule deepnet_training_summary:
    input:
        [f"results/deepnet/training/{d}/{m}/seed~{s}.nc" for d, m, s in F8_RUNS],
    output:
        "results/deepnet/training/summary.nc",
    log:
        "logs/deepnet/training/summary.log",
    params:
        family="deepnet",
        experiment="training",
        labels=[[d, m, s] for d, m, s in F8_RUNS],
        options={},
        code=DEEPNET_CODE,
    script:
        "../scripts/summarize.py"


rule deepnet_salnet_summary:
    input:
        [f"results/deepnet/salnet/eta~{e:g}/seed~{s}.nc" for e, s in F9_RUNS],
    output:
        "results/deepnet/salnet/summary.nc",
    log:
        "logs/deepnet/salnet/summary.log",
    params:
        family="deepnet",
        experiment="salnet",
        labels=[[e, s] for e, s in F9_RUNS],
        options={},
        code=DEEPNET_CODE,
    script:
        "../scripts/summarize.py"


DEEPNET_FIGURES = {
    "fig7_weight_scatter": {
        "weight_scatter": f"results/deepnet/weight_scatter/seed~{DN['fig7']['seed']}.nc"
    },
    "fig8_cnn_training": {"training": "results/deepnet/training/summary.nc"},
    "fig8_methods_datasets": {"training": "results/deepnet/training/summary.nc"},
    "fig9_salnet": {"salnet": "results/deepnet/salnet/summary.nc"},
}

for _figure, _inputs in DEEPNET_FIGURES.items():

    rule:
        name:
            f"plot_{_figure}"
        input:
            **_inputs,
        output:
            pdf=report(
                f"results/figures/{_figure}.pdf",
                caption=f"../report/{_figure}.rst",
                category="Deep networks",
            ),
            png=f"results/figures/{_figure}.png",
            csv=f"results/tables/{_figure}.csv",
        log:
            f"logs/figures/{_figure}.log",
        params:
            family="deepnet",
            figure=_figure,
            code=PLOT_CODE,
        script:
            "../scripts/plot_figure.py"


ALL_FIGURES += [f for stem in DEEPNET_FIGURES for f in figure_files(stem)]
FIGURE_TARGETS.update(
    {
        "fig7": ["fig7_weight_scatter"],
        "fig8": ["fig8_cnn_training", "fig8_methods_datasets"],
        "fig9": ["fig9_salnet"],
        "deepnet": list(DEEPNET_FIGURES),
    }
)
