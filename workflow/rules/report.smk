# The table of headline numbers (ours next to the paper's) for the report; spans every family.

HEADLINE_INPUTS = {
    "stdd_examples": ANALYTIC_FILE.format(experiment="stdd_examples"),
    "weight_evolution": WE_SUMMARY,
    "proof": ANALYTIC_FILE.format(experiment="proof"),
    "teacher_student": "results/microcircuit/teacher_student/summary.nc",
    **DEEPNET_FIGURES["fig7_weight_scatter"],
    **DEEPNET_FIGURES["fig8_cnn_training"],
}
if {"syn_noise", "plast_noise"} <= set(SP.get("B", {}).get("scenarios", {})):
    HEADLINE_INPUTS.update(
        {
            s: SWEEP_SUMMARY.format(protocol="B", scenario=s)
            for s in ("syn_noise", "plast_noise")
        }
    )


rule headline_numbers:
    """Headline numbers of every figure next to the paper's (from the specs)."""
    input:
        **HEADLINE_INPUTS,
    output:
        report(
            "results/tables/headline_numbers.csv",
            caption="../report/headline_numbers.rst",
            category="Headline numbers",
        ),
    log:
        "logs/headline_numbers.log",
    params:
        code=code_version("headline.py", "store.py", "microcircuit/analysis.py"),
    script:
        "../scripts/headline.py"


ALL_FIGURES.append("results/tables/headline_numbers.csv")
