# Spiking cortical microcircuits (spec microcircuit): fig 6.
# one teacher-student run per (condition, run index) -> summary -> plot

from sal.microcircuit.experiments import run_params as microcircuit_run_params
from sal.microcircuit.params import validate as validate_microcircuit_params

MC = config["microcircuit"]
MICROCIRCUIT_CODE = code_version("microcircuit", *SHARED_CODE)
MC_RUNS = [(c, r) for c in MC["conditions"] for r in MC["runs"]]
for _c, _r in MC_RUNS:  # bad overrides fail here, before any job starts
    validate_microcircuit_params(
        microcircuit_run_params(MC, "run", condition=_c, run=_r)
    )
for _w in MC["scaling"]["widths"]:
    validate_microcircuit_params(
        microcircuit_run_params(MC, "scaling_run", condition="sal", run=0, width=_w)
    )


rule microcircuit_run:
    """One teacher-student run: the teacher's targets, then the student's training with its feedback."""
    output:
        "results/microcircuit/teacher_student/{condition}/run~{run}.nc",
    log:
        "logs/microcircuit/teacher_student/{condition}/run~{run}.log",
    benchmark:
        "results/benchmarks/microcircuit/teacher_student/{condition}/run~{run}.tsv"
    wildcard_constraints:
        condition="sal|bp|fa",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        family="microcircuit",
        experiment="run",
        params=lambda wc: microcircuit_run_params(MC, "run", **wc),
        code=MICROCIRCUIT_CODE,
    script:
        "../scripts/run_experiment.py"


rule microcircuit_summary:
    """All runs stacked over (condition, run)."""
    input:
        [f"results/microcircuit/teacher_student/{c}/run~{r}.nc" for c, r in MC_RUNS],
    output:
        "results/microcircuit/teacher_student/summary.nc",
    log:
        "logs/microcircuit/teacher_student/summary.log",
    params:
        family="microcircuit",
        experiment="teacher_student",
        labels=[[c, r] for c, r in MC_RUNS],
        options={},
        code=MICROCIRCUIT_CODE,
    script:
        "../scripts/summarize.py"


MCS = MC["scaling"]
MCS_RUNS = [
    (w, c, r) for w in MCS["widths"] for c in MCS["conditions"] for r in MCS["runs"]
]


rule microcircuit_scaling_run:
    """One run of the width and depth study (beyond the paper)."""
    output:
        "results/microcircuit/scaling/{width}/{condition}/run~{run}.nc",
    log:
        "logs/microcircuit/scaling/{width}/{condition}/run~{run}.log",
    benchmark:
        "results/benchmarks/microcircuit/scaling/{width}/{condition}/run~{run}.tsv"
    wildcard_constraints:
        condition="sal|bp|fa",
        width=r"\d+x\d+(?:x\d+)+",
    threads: 1
    resources:
        mem_mb=1000,
        runtime=120,
    params:
        family="microcircuit",
        experiment="scaling_run",
        params=lambda wc: microcircuit_run_params(MC, "scaling_run", **wc),
        code=MICROCIRCUIT_CODE,
    script:
        "../scripts/run_experiment.py"


rule microcircuit_scaling_summary:
    input:
        [f"results/microcircuit/scaling/{w}/{c}/run~{r}.nc" for w, c, r in MCS_RUNS],
    output:
        "results/microcircuit/scaling/summary.nc",
    log:
        "logs/microcircuit/scaling/summary.log",
    params:
        family="microcircuit",
        experiment="scaling",
        labels=[list(x) for x in MCS_RUNS],
        options={},
        code=MICROCIRCUIT_CODE,
    script:
        "../scripts/summarize.py"


rule plot_figS3_microcircuit_scaling:
    input:
        scaling="results/microcircuit/scaling/summary.nc",
    output:
        pdf=report(
            "results/figures/figS3_microcircuit_scaling.pdf",
            caption="../report/figS3_microcircuit_scaling.rst",
            category="Cortical microcircuits",
        ),
        png="results/figures/figS3_microcircuit_scaling.png",
        csv="results/tables/figS3_microcircuit_scaling.csv",
    log:
        "logs/figures/figS3_microcircuit_scaling.log",
    params:
        family="microcircuit",
        figure="figS3_microcircuit_scaling",
        code=PLOT_CODE,
    script:
        "../scripts/plot_figure.py"


rule plot_fig6_microcircuit:
    input:
        teacher_student="results/microcircuit/teacher_student/summary.nc",
    output:
        pdf=report(
            "results/figures/fig6_microcircuit.pdf",
            caption="../report/fig6_microcircuit.rst",
            category="Cortical microcircuits",
        ),
        png="results/figures/fig6_microcircuit.png",
        csv="results/tables/fig6_microcircuit.csv",
    log:
        "logs/figures/fig6_microcircuit.log",
    params:
        family="microcircuit",
        figure="fig6_microcircuit",
        code=PLOT_CODE,
    script:
        "../scripts/plot_figure.py"


ALL_FIGURES += figure_files("fig6_microcircuit") + figure_files(
    "figS3_microcircuit_scaling"
)
FIGURE_TARGETS.update(
    {
        "fig6": ["fig6_microcircuit"],
        "figS3": ["figS3_microcircuit_scaling"],
        "microcircuit": ["fig6_microcircuit", "figS3_microcircuit_scaling"],
    }
)
