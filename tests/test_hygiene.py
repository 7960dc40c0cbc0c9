"""Workflow hygiene: snakefmt-formatted rules, a clean Snakemake lint, and no figure stem or rule block
written outside the place the contract gives it."""

import re
import subprocess
import sys
from pathlib import Path

from sal.registry import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
SNAKEFILES = ["workflow/Snakefile", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "workflow" / "rules").glob("*.smk"))]


def test_snakefmt_clean():
    run = subprocess.run([sys.executable, "-m", "snakefmt", "--check", *SNAKEFILES], cwd=ROOT,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_lint_is_clean():
    run = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Congratulations, your workflow is in a good condition!" in run.stdout + run.stderr


def test_figure_stems_live_only_in_plotting_modules_captions_and_docs():
    """A figure is declared once: its plot function (sal/plotting/<family>.py), its caption, the docs.
    (Tests may name the figures whose behaviour they check.)"""
    stems = [f.stem for family in FAMILIES for f in family.figures]
    allowed = {f"src/sal/plotting/{family.name}.py" for family in FAMILIES}
    code = [p for folder in ("src", "workflow", "config", "benchmarks") for p in (ROOT / folder).rglob("*")
            if p.suffix in {".py", ".smk", ".yaml", ".yml"} or p.name == "Snakefile"]
    assert code
    for path in code:
        rel = str(path.relative_to(ROOT))
        if rel in allowed:
            continue
        text = path.read_text(errors="replace")
        for stem in stems:
            assert not re.search(rf"\b{stem}\b", text), f"{rel} names figure {stem}"


def test_every_group_of_the_workflow_is_sized_in_the_slurm_profile():
    import yaml

    profile = yaml.safe_load((ROOT / "workflow/profiles/slurm/config.yaml").read_text())
    groups = {f"{family.name}_{e.group}" for family in FAMILIES for e in family.experiments if e.group}
    groups |= {f"{family.name}_figures" for family in FAMILIES}
    assert groups <= set(profile["group-components"]), groups - set(profile["group-components"])
    assert not set(profile["set-resources"]) - {f"{family.name}_{e.name}" for family in FAMILIES
                                                for e in family.experiments}, "set-resources names no rule"
