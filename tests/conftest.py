"""Shared test helpers."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def copy_workflow():
    """A function that copies the workflow (Snakefile, workflow/, config/) into a folder and returns it,
    so that end-to-end tests run Snakemake in a fresh directory and never touch the checkout's results."""

    def copy(dest: Path) -> Path:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "Snakefile", dest)
        shutil.copytree(ROOT / "workflow", dest / "workflow")
        shutil.copytree(ROOT / "config", dest / "config")
        return dest

    return copy
