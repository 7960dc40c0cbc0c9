"""Code hashes follow exactly the code a step runs (the rerun triggers of the workflow), and result files
record them with the commit and library versions."""

import sys

from sal import provenance
from sal.plotting import principle as plots
from sal.principle.registry import FAMILY as PRINCIPLE
from sal.sampling import summaries as sampling_summaries


def test_a_figure_hash_covers_its_function_and_helpers_not_other_figures():
    sources = provenance.code_sources(plots.fig12)
    assert "sal.plotting.principle.fig12" in sources and "sal.plotting.style" in sources
    assert "sal.plotting.principle.fig2c" not in sources
    assert any("sal.mplstyle" in s for s in sources.values())  # the style file's content counts too


def test_a_run_hash_reaches_its_numba_kernel_and_nothing_unrelated():
    sources = provenance.code_sources(PRINCIPLE.experiment("weight_evolution").function)
    assert "sal.principle.simulate._simulate" in sources  # the @njit kernel, through its py_func
    assert not any(name.startswith("sal.principle.stdd.") for name in sources)
    assert not any(name.startswith("sal.plotting") for name in sources)


def test_module_constants_are_part_of_the_hash(monkeypatch):
    before = provenance.code_hash(sampling_summaries.noise_sweep_summary)
    monkeypatch.setattr(sampling_summaries, "QUANTILES", (0.1, 0.5, 0.9))
    assert provenance.code_hash(sampling_summaries.noise_sweep_summary) != before


def test_hash_is_stable_and_ignores_other_libraries_state(monkeypatch, capsys):
    fn = PRINCIPLE.experiment("stdd_vs_simulation").function
    first = provenance.code_hash(fn)
    monkeypatch.setattr(sys, "stderr", sys.stdout)  # e.g. pytest's capture replaces the streams
    assert provenance.code_hash(fn) == first and len(first) == 16


def test_attributes_name_code_commit_and_versions():
    attrs = provenance.attributes("0123456789abcdef")
    assert attrs["sal_code"] == "0123456789abcdef"
    for lib in ("python", "numpy", "numba", "scipy", "xarray", "h5py"):
        assert attrs[f"version_{lib}"], lib
    assert set(attrs["sal_commit"].removesuffix("+dirty")) <= set("0123456789abcdef")


def test_hash_does_not_depend_on_where_the_checkout_lies(tmp_path):
    """Two copies of the package at different paths hash a run alike (a clone or a cluster checkout must not
    rerun what the same code already made); the hash still sees the code that records the commit."""
    import shutil
    import subprocess
    from pathlib import Path

    script = ("from sal import pipeline; from sal.deepnet.registry import FAMILY; "
              "print(pipeline.experiment_code(FAMILY.experiment('salnet')))")
    hashes = []
    for name in ("a", "bb/c"):
        shutil.copytree(Path(provenance.__file__).parent, tmp_path / name / "sal",
                        ignore=shutil.ignore_patterns("__pycache__"))
        out = subprocess.run([sys.executable, "-c", script], env={"PYTHONPATH": str(tmp_path / name)},
                             capture_output=True, text=True, check=True)
        hashes.append(out.stdout.strip())
    assert hashes[0] == hashes[1] and len(hashes[0]) == 16
    assert "sal.provenance:__file__" in provenance.code_sources(provenance.git_commit)
