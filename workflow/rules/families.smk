# The rules of every model family, generated from its contract (sal.registry):
#   one rule per experiment (a run -> results/<family>/...nc), one per summary (runs -> summary.nc),
#   one plot rule per family (datasets -> results/figures/<stem>.{pdf,png} + results/tables/<stem>.csv).
# Each rule's `code` param is the hash of the code it runs, so a code change reruns exactly its dependents.

for _family in FAMILIES:
    for _exp in _family.experiments:

        rule:
            name:
                f"{_family.name}_{_exp.name}"
            input:
                unpack(run_dataset(_exp)),
            output:
                _family.output_pattern(_exp.output),
            log:
                log_of(_family, _exp.output),
            benchmark:
                f"results/benchmarks/{_family.name}/{Path(_exp.output).with_suffix('.tsv')}"
            wildcard_constraints:
                **_exp.constraints,
            group:
                group(_family, _exp.group)
            conda:
                ENV
            threads: 1
            resources:
                **_exp.resources,
            params:
                family=_family.name,
                experiment=_exp.name,
                params=run_params(_family, _exp),
                seed=run_seed(_exp),
                checkpoint=run_checkpoint(_exp),
                code=pipeline.experiment_code(_exp),
            script:
                "../scripts/run_experiment.py"

    for _summary in _family.summaries:

        rule:
            name:
                f"{_family.name}_{_summary.name}_summary"
            input:
                lambda wc, f=_family, s=_summary: summary_runs(f, s)(wc)[1],
            output:
                _family.output_pattern(_summary.output),
            log:
                log_of(_family, _summary.output),
            wildcard_constraints:
                **summary_constraints(_family, _summary),
            group:
                group(_family, "figures")
            conda:
                ENV
            params:
                family=_family.name,
                summary=_summary.name,
                labels=lambda wc, f=_family, s=_summary: summary_runs(f, s)(wc)[0],
                expected=lambda wc, f=_family, s=_summary: f.summary_expected(
                    s.name, config[f.name], **wc
                ),
                options=lambda wc, f=_family, s=_summary: s.options(
                    config[f.name], **wc
                ),
                code=pipeline.summary_code(_summary),
            script:
                "../scripts/summarize.py"

    rule:
        name:
            f"plot_{_family.name}"
        input:
            unpack(lambda wc: FIGURE_JOBS[wc.stem].inputs),
        output:
            pdf=report(
                "results/figures/{stem}.pdf",
                caption="../report/figure.rst",
                category=_family.title,
                labels=figure_label,
            ),
            png="results/figures/{stem}.png",
            csv="results/tables/{stem}.csv",
        log:
            "logs/figures/{stem}.log",
        wildcard_constraints:
            stem=one_of(figure_stems(_family)),
        group:
            group(_family, "figures")
        conda:
            ENV
        params:
            family=_family.name,
            figure=lambda wc: FIGURE_JOBS[wc.stem].figure.stem,
            kinds=lambda wc: FIGURE_JOBS[wc.stem].kinds,
            caption=caption,
            code=lambda wc: pipeline.figure_code(FIGURE_JOBS[wc.stem].figure.function),
        script:
            "../scripts/plot_figure.py"
