# SAL reproduction pipeline: `snakemake --cores 2` builds every figure of the default study.
# Rules live in workflow/rules/<family>.smk; science lives in the `sal` package (src/sal).

from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/principle.smk"
include: "workflow/rules/sampling.smk"
include: "workflow/rules/microcircuit.smk"
include: "workflow/rules/deepnet.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        ALL_FIGURES,


# Named targets: `snakemake fig2c` (or fig2, fig11, principle, ...) rebuilds just those figures.
for _target, _stems in FIGURE_TARGETS.items():

    rule:
        name:
            _target
        input:
            [f for stem in _stems for f in figure_files(stem)],
