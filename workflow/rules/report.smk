# Tables of headline numbers (ours next to the paper's) for the report. The deep networks get their own
# table: at paper scale fig 8 costs hundreds of CPU-hours, and the other families' numbers should not
# wait for it.

HEADLINE_INPUTS = {
    "stdd_examples": ANALYTIC_FILE.format(experiment="stdd_examples"),
    "weight_evolution": WE_SUMMARY,
    "proof": ANALYTIC_FILE.format(experiment="proof"),
    "teacher_student": "results/microcircuit/teacher_student/summary.nc",
}
if {"syn_noise", "plast_noise"} <= set(SP.get("B", {}).get("scenarios", {})):
    HEADLINE_INPUTS.update(
        {
            s: SWEEP_SUMMARY.format(protocol="B", scenario=s)
            for s in ("syn_noise", "plast_noise")
        }
    )
HEADLINE_TABLES = {
    "headline_numbers": HEADLINE_INPUTS,
    "headline_numbers_deepnet": {
        **DEEPNET_FIGURES["fig7_weight_scatter"],
        **DEEPNET_FIGURES["fig8_cnn_training"],
    },
}

for _table, _inputs in HEADLINE_TABLES.items():

    rule:
        name:
            _table
        input:
            **_inputs,
        output:
            report(
                f"results/tables/{_table}.csv",
                caption="../report/headline_numbers.rst",
                category="Headline numbers",
            ),
        log:
            f"logs/{_table}.log",
        params:
            code=code_version("headline.py", "store.py", "microcircuit/analysis.py"),
        script:
            "../scripts/headline.py"


ALL_FIGURES += [f"results/tables/{table}.csv" for table in HEADLINE_TABLES]
