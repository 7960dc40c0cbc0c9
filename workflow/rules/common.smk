# Shared helpers: config validation, code provenance, figure targets.

import hashlib
from pathlib import Path

import sal
import sal.config

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
sal.config.validate(config, SCHEMA)  # fails before any job starts, naming the bad key

SAL_SOURCE = Path(sal.__file__).parent


def code_version(*parts):
    """Package version + hash of the named source files/folders of the installed package.

    Used as a rule param, so that a change to the code a rule runs reruns that rule.
    """
    digest = hashlib.sha256()
    for part in parts:
        path = SAL_SOURCE / part
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            digest.update(str(f.relative_to(SAL_SOURCE)).encode())
            digest.update(f.read_bytes())
    return f"{sal.__version__}+{digest.hexdigest()[:12]}"


SHARED_CODE = (
    "__init__.py",
    "kernels.py",
    "rng.py",
    "store.py",
    "pipeline.py",
    "progress.py",
)
PLOT_CODE = code_version("plotting", "store.py", "pipeline.py")

# Every figure of every family; `rule all` builds them. Families add to these in their .smk files.
ALL_FIGURES = []
# Short target names (`snakemake fig2c`) -> figure stems
FIGURE_TARGETS = {}


def figure_files(stem):
    return [
        f"results/figures/{stem}.pdf",
        f"results/figures/{stem}.png",
        f"results/tables/{stem}.csv",
    ]


wildcard_constraints:
    seed=r"\d+",
