"""Shared test helpers."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def copy_workflow():
    """A function that copies the workflow (workflow/, config/, environment.yml; with ``source=True`` also
    src/, whose package the copied workflow then runs) into a folder and returns it, so that end-to-end
    tests run Snakemake in a fresh directory and never touch the checkout's results."""

    def copy(dest: Path, source: bool = False) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "environment.yml", dest)
        shutil.copytree(ROOT / "workflow", dest / "workflow")
        shutil.copytree(ROOT / "config", dest / "config")
        if source:
            shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        return dest

    return copy
