# The SAL principle (spec principle): figs 2c, 2d, 2e, 11, 12 and the analytic-vs-simulated check.
# analytic / simulate -> results/principle/<experiment>/...nc -> summary -> plot

from sal.principle.experiments import run_params

PR = config["principle"]
PRINCIPLE_CODE = code_version("principle", *SHARED_CODE)
ANALYTIC = ["stdd_examples", "phase_plane", "psp_shapes", "proof"]
WE = PR["weight_evolution"]
WE_RUNS = [(c, s) for c in WE["conditions"] for s in WE["seeds"]]
ANALYTIC_FILE = "results/principle/{experiment}/analytic.nc"


rule principle_analytic:
    """Exact (seedless) computations from the two-neuron chain."""
    output:
        ANALYTIC_FILE,
    log:
        "logs/principle/{experiment}.log",
    benchmark:
        "results/benchmarks/principle/{experiment}.tsv"
    wildcard_constraints:
        experiment="|".join(ANALYTIC),
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        family="principle",
        experiment=lambda wc: wc.experiment,
        params=lambda wc: run_params(PR, wc.experiment),
        code=PRINCIPLE_CODE,
    script:
        "../scripts/run_experiment.py"


rule principle_weight_evolution:
    """Fig 2d: one seeded run of SAL on two reciprocal weights."""
    output:
        "results/principle/weight_evolution/{condition}/seed~{seed}.nc",
    log:
        "logs/principle/weight_evolution/{condition}/seed~{seed}.log",
    benchmark:
        "results/benchmarks/principle/weight_evolution/{condition}/seed~{seed}.tsv"
    wildcard_constraints:
        condition="|".join(WE["conditions"]),
    threads: 1
    resources:
        mem_mb=500,
        runtime=30,
    params:
        family="principle",
        experiment="weight_evolution",
        params=lambda wc: run_params(PR, "weight_evolution", wc.condition),
        seed=lambda wc: int(wc.seed),
        code=PRINCIPLE_CODE,
    script:
        "../scripts/run_experiment.py"


rule principle_weight_evolution_summary:
    """Fig 2d: stack all runs over (condition, seed)."""
    input:
        [f"results/principle/weight_evolution/{c}/seed~{s}.nc" for c, s in WE_RUNS],
    output:
        "results/principle/weight_evolution/summary.nc",
    log:
        "logs/principle/weight_evolution/summary.log",
    params:
        family="principle",
        experiment="weight_evolution",
        labels=[[c, s] for c, s in WE_RUNS],
        options={"conditions": WE["conditions"], "ms_per_tau_ref": WE["ms_per_tau_ref"]},
        code=PRINCIPLE_CODE,
    script:
        "../scripts/summarize.py"


rule principle_stdd_vs_simulation:
    """Supplementary: analytic vs simulated STDDs of the two-neuron system."""
    output:
        "results/principle/stdd_vs_simulation/seed~{seed}.nc",
    log:
        "logs/principle/stdd_vs_simulation/seed~{seed}.log",
    benchmark:
        "results/benchmarks/principle/stdd_vs_simulation/seed~{seed}.tsv"
    threads: 1
    resources:
        mem_mb=1500,
        runtime=30,
    params:
        family="principle",
        experiment="stdd_vs_simulation",
        params=run_params(PR, "stdd_vs_simulation"),
        seed=lambda wc: int(wc.seed),
        code=PRINCIPLE_CODE,
    script:
        "../scripts/run_experiment.py"


WE_SUMMARY = "results/principle/weight_evolution/summary.nc"
PRINCIPLE_FIGURES = {
    "fig2c_stdd": {"stdd_examples": ANALYTIC_FILE.format(experiment="stdd_examples")},
    "fig2d_weight_evolution": {"weight_evolution": WE_SUMMARY},
    "fig2e_phase_plane": {
        "phase_plane": ANALYTIC_FILE.format(experiment="phase_plane"),
        "weight_evolution": WE_SUMMARY,
    },
    "fig11_psp_shapes": {"psp_shapes": ANALYTIC_FILE.format(experiment="psp_shapes")},
    "fig12_proof": {"proof": ANALYTIC_FILE.format(experiment="proof")},
    "figS1_stdd_vs_simulation": {
        "stdd_vs_simulation": f"results/principle/stdd_vs_simulation/seed~{PR['stdd_vs_simulation']['seed']}.nc"
    },
}

for _figure, _inputs in PRINCIPLE_FIGURES.items():

    rule:
        name:
            f"plot_{_figure}"
        input:
            **_inputs,
        output:
            pdf=report(
                f"results/figures/{_figure}.pdf",
                caption=f"../report/{_figure}.rst",
                category="SAL principle",
            ),
            png=f"results/figures/{_figure}.png",
            csv=f"results/tables/{_figure}.csv",
        log:
            f"logs/figures/{_figure}.log",
        params:
            family="principle",
            figure=_figure,
            code=PLOT_CODE,
        script:
            "../scripts/plot_figure.py"


ALL_FIGURES += [f for stem in PRINCIPLE_FIGURES for f in figure_files(stem)]
FIGURE_TARGETS.update(
    {
        "fig2c": ["fig2c_stdd"],
        "fig2d": ["fig2d_weight_evolution"],
        "fig2e": ["fig2e_phase_plane"],
        "fig2": ["fig2c_stdd", "fig2d_weight_evolution", "fig2e_phase_plane"],
        "fig11": ["fig11_psp_shapes"],
        "fig12": ["fig12_proof"],
        "figS1": ["figS1_stdd_vs_simulation"],
        "principle": list(PRINCIPLE_FIGURES),
    }
)
