"""The microcircuits' contract (see ``sal.contract``): the teacher-student task of fig 6 and the width and
depth study (fig S3, beyond the paper)."""

from ..contract import Experiment, Family, Headline, Summary, figures
from ..plotting.microcircuit import FIGURES
from . import summaries
from .experiments import run
from .params import Run, run_params


def _runs(block):
    return [((c, r), {"condition": c, "run": r}) for c in block["conditions"] for r in block["runs"]]


def _scaling_runs(block):
    s = block["scaling"]
    return [((w, c, r), {"width": w, "condition": c, "run": r})
            for w in s["widths"] for c in s["conditions"] for r in s["runs"]]


FAMILY = Family(
    name="microcircuit",
    title="Cortical microcircuits",
    experiments=(
        Experiment("run", run, "teacher_student/{condition}/run~{run}.nc",
                   lambda block, **wc: run_params(block, "run", **wc), check=Run.check,
                   constraints={"condition": "sal|bp|fa", "run": r"\d+"}, resources={"mem_mb": 1000, "runtime": 60},
                   kind="microcircuit.run"),
        Experiment("scaling_run", run, "scaling/{width}/{condition}/run~{run}.nc",
                   lambda block, **wc: run_params(block, "scaling_run", **wc), check=Run.check,
                   constraints={"condition": "sal|bp|fa|out", "run": r"\d+", "width": r"\d+x\d+(?:x\d+)+"},
                   resources={"mem_mb": 1000, "runtime": 120}, group="scaling_runs", kind="microcircuit.run"),
    ),
    summaries=(
        Summary("teacher_student", summaries.teacher_student_summary, "run", "teacher_student/summary.nc", _runs),
        Summary("scaling", summaries.scaling_summary, "scaling_run", "scaling/summary.nc", _scaling_runs),
    ),
    figures=figures(FIGURES),
    products=lambda block: {"": {"teacher_student": "results/microcircuit/teacher_student/summary.nc",
                                 "scaling": "results/microcircuit/scaling/summary.nc"}},
    headline=(Headline("headline_numbers", summaries.headline_rows, summaries.PAPER),
              Headline("headline_numbers", summaries.scaling_headline_rows, summaries.PAPER_SCALING)),
)
