# Tables of headline numbers (ours next to the paper's) for the report, from the families' registries.
# The deep networks have their own table: at paper scale fig 8 costs hundreds of CPU-hours, and the other
# families' numbers should not wait for it.


rule headline:
    input:
        unpack(lambda wc: HEADLINE_INPUTS[wc.table]),
    output:
        report(
            "results/tables/{table}.csv",
            caption="../report/headline_numbers.rst",
            category="Headline numbers",
            labels=table_label,
        ),
    log:
        "logs/{table}.log",
    wildcard_constraints:
        table=one_of(HEADLINE_INPUTS),
    conda:
        ENV
    params:
        code=lambda wc: headline.headline_code(wc.table, FAMILIES),
    script:
        "../scripts/headline.py"
