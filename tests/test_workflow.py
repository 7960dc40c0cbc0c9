"""End to end: the Snakemake workflow on config/test.yaml in a fresh directory."""

import subprocess
import sys
from pathlib import Path

import pytest

FIGURES = ["fig2c_stdd", "fig2d_weight_evolution", "fig2e_phase_plane", "fig11_psp_shapes", "fig12_proof",
           "figS1_stdd_vs_simulation", "fig4_synaptic_noise", "fig5_plasticity_noise", "figS2_kolen_pollack", "fig10_dales_law",
           "fig6_microcircuit", "figS3_microcircuit_scaling", "fig7_weight_scatter", "fig8_cnn_training", "fig8_methods_datasets",
           "fig9_salnet"]

pytestmark = pytest.mark.slow


def snakemake(workdir, *args, overlays=()):
    """Run snakemake on the test config (plus overlay files); targets and flags go in ``args``."""
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile", "config/test.yaml", *overlays]
    return subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, copy_workflow):
    work = copy_workflow(tmp_path_factory.mktemp("workflow"))
    run = snakemake(work)
    assert run.returncode == 0, run.stderr[-4000:]
    return work


def test_every_figure_and_table_is_built(workdir):
    for stem in FIGURES:
        for path in (f"results/figures/{stem}.pdf", f"results/figures/{stem}.png", f"results/tables/{stem}.csv"):
            assert (workdir / path).stat().st_size > 100, path


def test_rerun_does_nothing(workdir):
    run = snakemake(workdir, "-n")
    assert run.returncode == 0
    assert "Nothing to be done" in run.stdout + run.stderr


def test_changed_parameter_reruns_only_its_dependents(workdir):
    (workdir / "over.yaml").write_text("principle:\n  proof:\n    b_i: 0.5\n")
    run = snakemake(workdir, "-n", overlays=["over.yaml"])
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    table = out[out.index("Job stats"):].split("total")[0]
    jobs = {line.split()[0] for line in table.splitlines()[3:] if line.strip()}
    assert jobs == {"principle_analytic", "plot_fig12_proof", "headline_numbers", "all"}, table


def test_named_target_rebuilds_one_figure(workdir):
    (workdir / "results/figures/fig2c_stdd.png").unlink()
    run = snakemake(workdir, "fig2c")
    assert run.returncode == 0, run.stderr[-3000:]
    assert (workdir / "results/figures/fig2c_stdd.png").exists()
    assert "plot_fig2d_weight_evolution" not in run.stdout + run.stderr


def test_bad_config_fails_before_any_job(workdir):
    (workdir / "bad.yaml").write_text("principle:\n  phase_plane:\n    tau_ref: 0\n")
    run = snakemake(workdir, "-n", overlays=["bad.yaml"])
    assert run.returncode != 0
    assert "principle.phase_plane.tau_ref = 0" in run.stdout + run.stderr


def test_headline_tables_list_every_family(workdir):
    import pandas as pd

    tables = {name: pd.read_csv(workdir / f"results/tables/{name}.csv", keep_default_na=False)
              for name in ("headline_numbers", "headline_numbers_deepnet")}
    assert set(tables["headline_numbers"]["figure"]) == {"fig 2c", "fig 2d", "fig 12", "fig 4", "fig 5", "fig 6"}
    assert set(tables["headline_numbers_deepnet"]["figure"]) == {"fig 7", "fig 8"}
    for table in tables.values():
        assert not table["ours"].astype(str).isin(["", "nan", "inf"]).any(), table


def test_killed_run_leaves_no_partial_results_and_resumes(tmp_path, copy_workflow):
    """SIGKILL the whole workflow mid-way: every result file present is complete (atomic writes), and
    after `--unlock` the next run with --rerun-incomplete finishes the job."""
    import os
    import signal
    import time

    from sal import store

    copy_workflow(tmp_path)
    cmd = [sys.executable, "-m", "snakemake", "fig2d", "--cores", "2", "--configfile", "config/test.yaml"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 300
    results = tmp_path / "results" / "principle" / "weight_evolution"
    while time.time() < deadline and not list(results.rglob("seed~*.nc")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    written = list(results.rglob("*.nc"))
    assert written, "the workflow was killed before it wrote anything"
    assert not (tmp_path / "results/figures/fig2d_weight_evolution.png").exists()
    for path in written:
        store.read(path)  # complete, readable files only
    unlock = subprocess.run(cmd + ["--unlock"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert unlock.returncode == 0, unlock.stderr[-3000:]
    run = subprocess.run(cmd + ["--rerun-incomplete"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (tmp_path / "results/figures/fig2d_weight_evolution.png").stat().st_size > 100


FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # Debian's dataset-fashion-mnist (CI installs it)


@pytest.mark.skipif(not FASHION_MNIST.is_dir(), reason="dataset-fashion-mnist not installed")
def test_paper_config_fashion_mnist_part_runs(tmp_path, copy_workflow):
    """The paper config's fig-8 part on Fashion-MNIST: paper network, SAL sleep phase, one epoch, offline."""
    copy_workflow(tmp_path)
    documented = [sys.executable, "-m", "snakemake", "-n", "--configfile", "config/paper.yaml", "--config",
                  "deepnet={fig8: {datasets: [fashion_mnist]}}", "--", "fig8"]  # README / config/README.md
    run = subprocess.run(documented, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-4000:]
    assert "deepnet_train                    35" in run.stdout and "cifar10" not in run.stdout
    (tmp_path / "one_run.yaml").write_text(
        "deepnet:\n  fig8: {datasets: [fashion_mnist], methods: [sal], seeds: [0], epochs: 1}\n")
    target = "results/deepnet/training/fashion_mnist/sal/seed~0.nc"
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/paper.yaml", "one_run.yaml",
           "--", target]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-4000:]
    from sal import store
    ds = store.read(tmp_path / target)
    params = store.parameters(ds)
    assert params["dataset"] == "fashion_mnist" and params["network"]["channels"] == [64, 64]
    assert float(ds["test_accuracy"][-1]) > 70  # one epoch of the paper network on Fashion-MNIST
    assert (ds["angle_after_phase"].isel(epoch=0) < ds["initial_angle"]).all()  # the sleep phase aligned B
