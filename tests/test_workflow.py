"""End to end: the Snakemake workflow on config/test.yaml in a fresh directory."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import sal.config
from sal.registry import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = sal.config.load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])
#: every figure stem the test study builds, from the families' registries
FIGURES = [job.stem for family in FAMILIES for job in family.figure_jobs(TEST_CONFIG[family.name])]

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
    assert jobs == {"principle_proof", "plot_principle", "headline", "all"}, table
    outputs = "\n".join(line for line in out.splitlines() if line.strip().startswith("output:"))
    assert "results/figures/fig12_proof.pdf" in outputs and "results/figures/fig2c_stdd.pdf" not in outputs


def test_named_target_rebuilds_one_figure(workdir):
    (workdir / "results/figures/fig2c_stdd.png").unlink()
    run = snakemake(workdir, "fig2c")
    assert run.returncode == 0, run.stderr[-3000:]
    assert (workdir / "results/figures/fig2c_stdd.png").exists()
    assert "fig2d_weight_evolution" not in run.stdout + run.stderr


def test_a_failing_job_writes_its_error_into_its_own_log(workdir):
    source = workdir / "results/principle/proof/analytic.nc"
    good = source.read_bytes()
    source.write_bytes(b"not HDF5")  # newer than the figure: fig 12 is redrawn from it, and fails
    try:
        run = snakemake(workdir, "fig12")
        assert run.returncode != 0
        log = (workdir / "logs/figures/fig12_proof.log").read_text()
        assert "not a readable HDF5 result file" in log and "Traceback" in log, log
    finally:
        source.write_bytes(good)
    assert snakemake(workdir, "fig12").returncode == 0


def test_bad_config_fails_before_any_job(workdir):
    (workdir / "bad.yaml").write_text("principle:\n  phase_plane:\n    tau_ref: 0\n")
    run = snakemake(workdir, "-n", overlays=["bad.yaml"])
    assert run.returncode != 0
    assert "principle.phase_plane.tau_ref = 0" in run.stdout + run.stderr


def test_headline_tables_list_every_family(workdir):
    import pandas as pd

    tables = {name: pd.read_csv(workdir / f"results/tables/{name}.csv", keep_default_na=False)
              for name in ("headline_numbers", "headline_numbers_deepnet")}
    assert set(tables["headline_numbers"]["figure"]) == {"fig 2c", "fig 2d", "fig 12", "fig 4", "fig 5", "fig 6", "fig S3"}
    assert set(tables["headline_numbers_deepnet"]["figure"]) == {"fig 7", "fig 8", "fig 9", "fig S4"}
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
    assert re.search(r"^deepnet_train +35$", run.stdout, re.M) and "cifar10" not in run.stdout
    assert re.search(r"^retrieve_dataset +1$", run.stdout, re.M)  # once, before any training job
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
    assert params["data_path"] == "resources/datasets/fashion_mnist"  # the retrieved copy, nothing else
    assert sorted(p.name for p in (tmp_path / "resources/datasets/fashion_mnist").iterdir())
    assert float(ds["test_accuracy"][-1]) > 70  # one epoch of the paper network on Fashion-MNIST
    assert (ds["angle_after_phase"].isel(epoch=0) < ds["initial_angle"]).all()  # the sleep phase aligned B


def _dry_run(work, *args, env=None):
    """(jobs per rule, output files) that a dry run of ``args`` plans."""
    cmd = [sys.executable, "-m", "snakemake", "-n", *args, "--cores", "1", "--configfile", "config/test.yaml"]
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=600, env=env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    if "Nothing to be done" in out:
        return {}, set()
    table = out[out.index("Job stats"):].split("total")[0]
    jobs = {line.split()[0]: int(line.split()[1]) for line in table.splitlines()[3:] if line.strip()}
    outputs = {f.strip() for line in out.splitlines() if line.strip().startswith("output:")
               for f in line.split("output:", 1)[1].split(",")}
    return jobs, outputs


def test_code_edits_rerun_exactly_their_dependents(tmp_path, copy_workflow):
    """Edit (in a copy of the package) a plot function, a summary function and a kernel: the dry run plans
    exactly the jobs that run the edited code, and their dependents."""
    work = copy_workflow(tmp_path, source=True)  # the copied workflow runs the copied package (src/)
    run = snakemake(work, "principle")
    assert run.returncode == 0, run.stderr[-4000:]
    assert _dry_run(work, "principle") == ({}, set())
    pr = TEST_CONFIG["principle"]["weight_evolution"]
    n_runs = len(pr["conditions"]) * len(pr["seeds"])
    figure = lambda stem: f"results/figures/{stem}.pdf"  # noqa: E731

    def edited(path, anchor):
        """Dry run after a comment line is added right below ``anchor`` in ``path``; then undo the edit."""
        source = work / "src" / "sal" / path
        text = source.read_text()
        assert text.count(anchor) == 1, anchor
        source.write_text(text.replace(anchor, anchor + "\n    # an edit", 1))  # (a comment: any source edit counts)
        try:
            return _dry_run(work, "principle")
        finally:
            source.write_text(text)

    jobs, outputs = edited("plotting/principle.py", "def fig12(proof):")
    print("plot function edited:", jobs)
    assert jobs == {"plot_principle": 1, "principle": 1}
    assert figure("fig12_proof") in outputs and figure("fig2c_stdd") not in outputs

    jobs, outputs = edited("principle/summaries.py",
                           "def weight_evolution_summary(runs: dict, conditions: dict, ms_per_tau_ref: float) -> xr.Dataset:")
    print("summary function edited:", jobs)
    assert jobs == {"principle_weight_evolution_summary": 1, "plot_principle": 2, "principle": 1}
    assert {figure("fig2d_weight_evolution"), figure("fig2e_phase_plane")} <= outputs

    jobs, outputs = edited("principle/simulate.py", "    n_kappa = kappa.shape[0]")
    print("simulation kernel edited:", jobs)
    assert jobs == {"principle_weight_evolution": n_runs, "principle_stdd_vs_simulation": 1,
                    "principle_weight_evolution_summary": 1, "plot_principle": 3, "principle": 1}
    assert figure("figS1_stdd_vs_simulation") in outputs and figure("fig12_proof") not in outputs
    assert _dry_run(work, "principle") == ({}, set())  # every edit undone: nothing to do


def test_a_figure_added_to_a_registry_is_built_everywhere(tmp_path, copy_workflow):
    """A new figure touches its plot function (with its registry entry, FIGURES) and its caption; it is then
    in `rule all`, has its named targets and belongs to its family's SLURM group."""
    import yaml

    work = copy_workflow(tmp_path, source=True)
    plots = work / "src/sal/plotting/principle.py"
    plots.write_text(plots.read_text() + '''

def figS9_delta(proof):
    import matplotlib.pyplot as plt
    import pandas as pd
    fig, ax = plt.subplots()
    ax.plot(proof["t"], proof["delta"].T)
    return fig, pd.DataFrame({"t": proof["t"].values})


FIGURES["figS9_delta"] = figS9_delta
''')
    (work / "workflow/report/figS9_delta.rst").write_text("The proof's delta(t) again.\n")
    stem_files = {f"results/figures/figS9_delta.{e}" for e in ("pdf", "png")} | {"results/tables/figS9_delta.csv"}
    for target in ((), ("figS9",), ("principle",)):
        jobs, outputs = _dry_run(work, *target)
        assert stem_files <= outputs, target
    jobs, _ = _dry_run(work, "figS9")
    assert jobs == {"principle_proof": 1, "plot_principle": 1, "figS9": 1}
    profile = yaml.safe_load((work / "workflow/profiles/slurm/config.yaml").read_text())
    assert "principle_figures" in profile["group-components"]  # plot_principle's group (group: in the rule)
    rules = subprocess.run([sys.executable, "-m", "snakemake", "--list-rules"], cwd=work, capture_output=True,
                           text=True, timeout=300).stdout.split()
    assert "figS9" in rules and "plot_principle" in rules


def test_workflow_runs_as_a_module_and_from_another_directory(tmp_path):
    """A host workflow elsewhere uses this one as a module (`use rule * from sal`), and the workflow runs
    with --directory elsewhere: paths come from the workflow's own location (dry runs)."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "Snakefile").write_text(f'''configfile: "{ROOT}/config/config.yaml"


module sal:
    snakefile:
        "{ROOT}/workflow/Snakefile"
    config:
        config


use rule * from sal as sal_*
''')
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "--configfile", str(ROOT / "config/test.yaml")]
    run = subprocess.run(cmd, cwd=host, capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "sal_plot_principle" in out and "results/figures/fig12_proof.pdf" in out
    elsewhere = tmp_path / "elsewhere"
    run = subprocess.run(cmd + ["-s", str(ROOT / "workflow/Snakefile"), "--directory", str(elsewhere), "fig12"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "principle_proof" in run.stdout
