"""Self-describing result files (units, long_name, time base) and their export to NWB and Neo."""

import numpy as np
import pytest

from sal import store
from sal.principle.simulate import weight_evolution
from sal.principle.summaries import weight_evolution_summary
from sal.sampling import paper_params, run

pytest.importorskip("pynwb")
pytest.importorskip("neo")
export = pytest.importorskip("sal.export")

WE = dict(psp="rect", tau_ref=25, tau_syn=25, min_isi=26, stdp_history=10, steps_per_epoch=1500,
          epochs=4, learning_rate=0.03, w_ji=0.5, w_ij=1.5, b_i=-0.5, b_j=-0.2, plastic=["w_ji", "w_ij"])
QUICK = dict(epochs=901, val_step=100, val_factor=2, dur=10)  # 10 records > 7 neurons (NWB orientation)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    runs = {(c, s): weight_evolution({**WE, "plastic": plastic}, seed=s)
            for c, plastic in (("both", ["w_ji", "w_ij"]), ("fixed", ["w_ji"])) for s in (0, 1)}
    summary = weight_evolution_summary(runs, {"both": ["w_ji", "w_ij"], "fixed": ["w_ji"]}, 10.0)
    sampling = run({**paper_params("syn_noise_sal", "B", 1, noise=0.3), **QUICK})
    return {"principle": store.write(runs[("both", 0)], folder / "we.nc", strict=True),
            "summary": store.write(summary, folder / "summary.nc", strict=True),
            "sampling": store.write(sampling, folder / "sampling.nc", strict=True)}


def _microcircuit(tmp_path):
    from sal.microcircuit import paper_params as mc_params
    from sal.microcircuit import run as mc_run

    p = {**mc_params("sal", 0), "epochs": 1, "steps_per_pattern": 2500, "teacher_steps_per_pattern": 2500}
    return store.write(mc_run(p), tmp_path / "mc.nc", strict=True)


def test_every_variable_has_units_and_long_name(files, tmp_path):
    paths = [*files.values(), _microcircuit(tmp_path)]
    for path in paths:
        ds = store.read(path)
        assert store.attribute_problems(ds) == [], path
    summary = store.read(files["summary"])
    assert summary["w_ji"].attrs == {"units": "1", "long_name": "weight i -> j (W_ji)"}  # kept by combine
    sampling = store.read(files["sampling"])
    assert sampling["asymmetry"].attrs["units"] == "1" and sampling["dkl"].attrs["units"] == "nat"
    assert sampling.attrs["time_unit"] == "steps" and sampling.attrs["step_ms"] == 10.0 / 50
    assert store.read(files["principle"]).attrs["step_ms"] == 10.0 / 25


def test_strict_write_refuses_bare_variables_and_rasters_without_time_base(tmp_path):
    import xarray as xr

    bare = xr.Dataset({"mystery": ("i", [1.0])}, attrs=store.provenance("test", {}))
    with pytest.raises(ValueError, match="'mystery' has no 'units'"):
        store.write(bare, tmp_path / "a.nc", strict=True)
    raster = xr.Dataset(store.spike_raster([1, 2], [0, 1]), attrs=store.provenance("test", {}))
    with pytest.raises(ValueError, match="step_ms"):
        store.write(raster, tmp_path / "b.nc", strict=True)
    store.write(raster.assign_attrs(store.time_base(0.5, "test")), tmp_path / "b.nc", strict=True)


def test_attributes_only_the_data_stay_bitwise_identical(files):
    again = weight_evolution(WE, seed=0)
    back = store.read(files["principle"])
    for name in again.variables:
        np.testing.assert_array_equal(back[name].values, again[name].values)


@pytest.mark.parametrize("family", ["principle", "sampling"])
def test_nwb_round_trip_of_spike_counts_and_times(files, family, tmp_path):
    from pynwb import NWBHDF5IO

    ds = store.read(files[family])
    out = export.to_nwb(files[family], tmp_path / "run.nwb")
    assert export.inspect_nwb(out) == []
    scale = ds.attrs["step_ms"] / 1000.0
    segs = export.segments(ds)
    with NWBHDF5IO(str(out), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        assert len(units) == len(export._neurons(ds))
        for i, row in units.iterrows():
            expected = []
            for k, (_, _, shift) in enumerate(segs):
                t, ids = store.segment_spikes(ds, k)
                expected.append((t[ids == row["neuron_id"]] + shift) * scale)
            np.testing.assert_allclose(row["spike_times"], np.sort(np.concatenate(expected)), rtol=0, atol=1e-12)
        assert sum(len(t) for t in units["spike_times"]) == ds.sizes["spike"]
        weight = "w_ji" if family == "principle" else "W"
        series = nwb.processing["sal"][weight]
        np.testing.assert_array_equal(series.data[:], ds[weight].values)
        assert store.parameters(ds) == __import__("json").loads(__import__("json").loads(nwb.notes)["parameters"])
    if family == "principle":  # tau_ref = 25 steps = 10 ms: spikes at step t happen at t * 0.4 ms
        assert scale == 0.4e-3
        assert series.rate == pytest.approx(1 / (WE["steps_per_epoch"] * scale))


def test_neo_spike_trains_are_analysable_with_elephant(files, tmp_path):
    elephant = pytest.importorskip("elephant.statistics")
    import quantities as pq

    ds = store.read(files["sampling"])
    block = export.to_neo(files["sampling"])
    assert len(block.segments) == ds.sizes["segment"]
    total = 0
    for k, segment in enumerate(block.segments):
        t, ids = store.segment_spikes(ds, k)
        shift = export.segments(ds)[k][2]
        for train in segment.spiketrains:
            i = train.annotations["neuron_id"]
            np.testing.assert_allclose(train.times.rescale(pq.s).magnitude,
                                       np.sort(t[ids == i] + shift) * ds.attrs["step_ms"] / 1000, atol=1e-12)
            rate = elephant.mean_firing_rate(train).rescale(pq.Hz).magnitude
            duration = (train.t_stop - train.t_start).rescale(pq.s).magnitude
            assert rate == pytest.approx(len(train) / duration)
            total += len(train)
    assert total == ds.sizes["spike"]
    saved = export.write_neo(files["sampling"], tmp_path / "run.pkl")
    import neo

    back = neo.io.PickleIO(str(saved)).read_block()
    assert sum(len(st) for s in back.segments for st in s.spiketrains) == total


def test_cli_export(files, tmp_path, capsys):
    from sal.cli import main

    assert main(["export", "nwb", str(files["principle"]), "-o", str(tmp_path / "a.nwb"), "--inspect"]) == 0
    assert (tmp_path / "a.nwb").is_file()
    assert main(["export", "neo", str(files["principle"]), "-o", str(tmp_path / "a.pkl")]) == 0
    assert main(["export", "nwb", str(files["summary"]), "-o", str(tmp_path / "s.nwb")]) == 2
    assert "holds no spikes" in capsys.readouterr().err
