"""The paper-scale archive: its manifest matches its files, the archive config rebuilds figures without a
single simulation, and the archived numbers hold the paper's claims."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sal import archive, store
from sal.config import load as load_config
from sal.deepnet.summaries import final_accuracy, salnet_metrics, scaling_metrics, sweep_shapes
from sal.sampling import summaries
from sal.microcircuit.analysis import final_pattern
from sal.microcircuit.params import parse_width

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT / "archive" / "paper"
pytestmark = pytest.mark.skipif(not (ARCHIVE / archive.MANIFEST).is_file(), reason="no archive/paper yet")


def archived(rel):
    path = ARCHIVE / rel
    if rel not in archive.read_manifest(ARCHIVE):
        pytest.skip(f"{rel} is not archived yet")
    return store.read(path)


def test_manifest_matches_the_files():
    assert archive.check(ARCHIVE) == []
    files = archive.read_manifest(ARCHIVE)
    assert sum(e["bytes"] for e in files.values()) < 50e6  # summaries only: small
    for rel, e in files.items():
        assert e["config"] and (rel.endswith(".csv") or (e["code"] and e["commit"])), rel


def test_archive_config_plans_no_simulation(tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-n", "--cores", "1", "-s", str(ROOT / "workflow/Snakefile"),
           "--directory", str(tmp_path), "--configfile", str(ROOT / "config/archive.yaml")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    table = out[out.index("Job stats"):].split("total")[0]
    jobs = {line.split()[0] for line in table.splitlines()[3:] if line.strip()}
    assert jobs and all(j.startswith("plot_") or j in {"headline", "all"} for j in jobs), jobs
    # every archived summary is drawn: the figures are planned with the archived study's config (paper.yaml)
    read = {f.strip() for line in out.splitlines() if line.strip().startswith("input:")
            for f in line.split(":", 1)[1].split(",")}
    unread = [rel for rel in archive.read_manifest(ARCHIVE) if rel.endswith(".nc") and str(ARCHIVE / rel) not in read]
    assert unread == []


def test_archived_microcircuit_holds_the_papers_claims():
    ds = archived("results/microcircuit/teacher_student/summary.nc")
    assert ds.sizes["run"] == 20
    loss = ds["validation_loss"].isel(epoch=-1)
    assert int((loss.sel(condition="sal") < 0.01).sum()) == 20  # SAL converges in 20/20
    assert int((loss.sel(condition="bp") < 0.01).sum()) == 20
    params = store.parameters(ds)["runs"]
    teacher = np.array([np.ravel(params[f"fa/{r}"]["teacher_forward"][-1])[0] for r in ds["run"].values])
    b0 = ds["B1"].sel(condition="fa").isel(pattern=0).values.reshape(20, -1)[:, 0]
    opposed = np.sign(b0) != np.sign(teacher)
    failed = loss.sel(condition="fa").values >= 0.01
    assert opposed.sum() == 9 and np.array_equal(failed, opposed)  # FA fails exactly in the 9 opposed runs
    sal = ds.sel(condition="sal").isel(pattern=final_pattern(ds))
    agree = np.sign(sal["B1"].values.reshape(20, -1)[:, 0]) == np.sign(sal["W21"].values.reshape(20, -1)[:, 0])
    assert agree.all()  # SAL learns W21's sign in every run


def test_archived_principle_holds_the_papers_claims():
    ex = archived("results/principle/stdd_examples/analytic.nc")
    assert float(ex["dw_ji"].sel(example="excitatory")) == pytest.approx(-0.028886, abs=5e-7)
    we = archived("results/principle/weight_evolution/summary.nc")
    assert we.sizes["seed"] == 20
    final = we.isel(epoch=-1).sel(condition="both_plastic")
    assert abs(float(final["w_ji"].median()) - float(final["w_ij"].median())) < 0.05  # the weights meet
    assert (archived("results/principle/proof/analytic.nc")["Delta"].min("t") >= 0).all()


@pytest.mark.parametrize("scenario, no_sal_factor", [("syn_noise", 2.0), ("plast_noise", 1.5)])
def test_archived_sampling_holds_the_papers_claims(scenario, no_sal_factor):
    """Protocol B at paper scale (20 runs, every level), at noise 0.8: SAL ends within 25 % of the noise-free
    baseline's median D_KL and no SAL well above it (synaptic noise: at least twice, the issue's reading of
    fig 4; fig 5 gives no factor, 1.5x is "clearly above"), SAL's asymmetry 100x below no SAL's."""
    ds = archived(f"results/sampling/B/{scenario}/summary.nc")
    assert ds.sizes["run"] == 20 and ds["level"].size == (6 if scenario == "syn_noise" else 5)
    final = ds[["dkl", "asymmetry"]].isel(iteration=-1).median("run")
    baseline = float(final["dkl"].sel(condition="none", level=0.0))
    at = final.sel(level=0.8)
    assert float(at["dkl"].sel(condition="none")) >= no_sal_factor * baseline
    assert abs(float(at["dkl"].sel(condition="sal")) / baseline - 1) <= 0.25
    assert float(at["asymmetry"].sel(condition="none")) >= 100 * float(at["asymmetry"].sel(condition="sal"))


@pytest.mark.parametrize("scenario", ["syn_noise", "plast_noise"])
def test_archived_kp_best_rate_is_the_lowest_median_of_the_archived_sweep(scenario):
    """KP's "best rate" in figs 4-5 is the one paper.yaml declares, and that is our own fig S2 sweep's rate
    with the lowest median final D_KL at the highlighted noise level, not a number picked by hand."""
    sweep = archived(f"results/sampling/B/{scenario}/kp_sweep/summary.nc")
    best = archived(f"results/sampling/B/{scenario}/kp_best/summary.nc")
    paper = load_config([ROOT / "config/config.yaml", ROOT / "config/paper.yaml"])
    declared = paper["sampling"]["protocols"]["B"]["scenarios"][scenario]["kp_best_rate"]
    highlight = float(archived(f"results/sampling/B/{scenario}/summary.nc")["highlight_level"])
    assert summaries.kp_rate(best, "kp_best") == declared == summaries.best_kp_rate(sweep, highlight)
    assert best.sizes["run"] == sweep.sizes["run"] == 20


def test_archived_fig8_holds_the_papers_claims():
    """Fig 8 on Fashion-MNIST with the paper network: SAL's sleep phase aligns every FC layer's feedback
    (the paper: the angle falls toward 0; FA's stays far from it), and SAL learns close to the BP+FA upper
    limit of FC-only methods. One seed, so 'close' is 1 pp (the official reduced run: BP 89.8, SAL 88.4)."""
    tr = archived("results/deepnet/training/summary.nc").sel(dataset="fashion_mnist")
    angle = tr["angle"].isel(epoch=-1).mean("seed")
    initial = tr["initial_angle"].mean("seed")
    sal, fa = ({"method": "sal"}, {"method": "fa"})  # not sel(method=...): that keyword is sel's lookup method
    assert (angle.sel(sal) < 0.5 * initial.sel(sal)).all()  # aligned from ~90 deg
    assert (angle.sel(sal) < 0.5 * angle.sel(fa)).all()
    acc = final_accuracy(tr).mean("seed")
    assert abs(float(acc.sel(sal) - acc.sel({"method": "bp_fa"}))) <= 1.0
    assert float(acc.sel({"method": "bp"})) >= float(acc.sel(fa))


def test_archived_fig9_holds_the_papers_claims():
    """Fig 9 at the paper's sizes (pure SAL, frozen random W), each η run until its angles plateau (2000
    epochs for η <= 0.02, 400 for the larger): larger η aligns faster, to a higher noise floor. Faster: every
    η gets every FC layer below 45°, and the time it takes shrinks as η grows. Plateau: every η's angles
    drift by less than 2° per 100 epochs over its last 10 % of epochs. Higher floor: the floor grows with η
    in every FC layer."""
    m = salnet_metrics(archived("results/deepnet/salnet/summary.nc")).sortby("eta")
    assert list(m["epochs"].values) == [2000, 2000, 400, 400]
    speed = m["time_to_threshold"].transpose("layer", "eta").values
    assert np.isfinite(speed).all()
    assert (speed[:, :-1] > speed[:, 1:]).all()
    assert (abs(m["drift"]) < 2).all()
    floor = m["floor"].transpose("layer", "eta").values
    assert (floor[:, :-1] < floor[:, 1:]).all()


def test_archived_figS3_shows_learning_below_the_top_layer():
    """Fig S3 at paper.yaml's 5 runs (60 epochs, paper_here.yaml), written before its data: in every circuit
    with one multi-unit hidden layer the output-only control ends at least 4/3 of BP's loss (median of the
    paired runs; default study 0.22 and 0.56), SAL's feedback ends closer to W21ᵀ than FA's in every hidden
    layer of every multi-unit circuit (median angle), and SAL gives B W21's sign in 1-1-1 in at least as
    many runs as FA."""
    ds = archived("results/microcircuit/scaling/summary.nc")
    assert ds.sizes["run"] == 5
    final = ds.isel(epoch=-1)
    for width in ds["width"].values:
        dims = parse_width(width)
        at = final.sel(width=width)
        if max(dims) == 1:
            agree = at["sign_agreement"].sel(hidden_layer=1)
            assert int(agree.sel(condition="sal").sum()) >= int(agree.sel(condition="fa").sum())
            continue
        if len(dims) == 3:
            loss = at["validation_loss"]
            assert np.median(loss.sel(condition="bp").values / loss.sel(condition="out").values) < 0.75, width
        for l in range(1, len(dims) - 1):
            angle = at["alignment_angle"].sel(hidden_layer=l)
            assert np.median(angle.sel(condition="sal")) < np.median(angle.sel(condition="fa")), (width, l)


def test_archived_figS4_answers_the_depth_question():
    """Fig S4 on Fashion-MNIST (3 seeds, 20 epochs), written before its data, with the literature's expected
    shape and the default study's finding: SAL's feedback and its hidden layers' gradients are closer to
    backprop's than FA's in every network (seed means), and in the deepest network SAL's accuracy gap to BP
    is smaller than FA's."""
    m = scaling_metrics(archived("results/deepnet/scaling/fashion_mnist/summary.nc")).mean("seed")
    assert m.sizes["shape"] == 8
    sal, fa = m.sel({"method": "sal"}), m.sel({"method": "fa"})
    assert (sal["feedback_angle"] < fa["feedback_angle"]).all()
    assert (sal["gradient_angle"] < fa["gradient_angle"]).all()
    deepest = sweep_shapes(m, "depth").isel(shape=-1)
    assert int(deepest["depth"]) == 6
    assert float(deepest["gap"].sel({"method": "sal"})) < float(deepest["gap"].sel({"method": "fa"}))


def test_archived_headline_tables_compare_with_a_new_study():
    tables = sorted((ARCHIVE / "results" / "tables").glob("headline_numbers*.csv"))
    assert tables
    for table in tables:
        side = archive.compare(table, table)
        assert (side["ours (archive)"] == side["ours (yours)"]).all()
        assert len(side) == len(pd.read_csv(table))
