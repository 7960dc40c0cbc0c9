"""Result files: round trip, provenance, atomic writes, clear errors for bad files."""

import h5py
import numpy as np
import pytest
import xarray as xr

from sal import store


def dataset(kind="test.kind"):
    ds = xr.Dataset({"x": (("t",), np.linspace(0, 1, 50), {"units": "1", "long_name": "x"})},
                    attrs=store.provenance(kind, {"a": 1, "nested": {"b": [1, 2]}, "arr": np.arange(2)}, seed=5))
    ds.update(store.spike_raster([7, 3, 3, 1, 20, 15], [0, 1, 0, 1, 0, 1], segment_offsets=[0, 4, 6]))
    return ds


def test_round_trip_with_raster_and_provenance(tmp_path):
    path = store.write(dataset(), tmp_path / "sub" / "r.nc")
    back = store.read(path, kind="test.kind")
    np.testing.assert_array_equal(back["x"].values, np.linspace(0, 1, 50))
    assert back["x"].attrs["units"] == "1"
    assert back.attrs["seed"] == 5 and back.attrs["sal_version"]
    assert store.parameters(back) == {"a": 1, "nested": {"b": [1, 2]}, "arr": [0, 1]}
    t, ids = store.segment_spikes(back, 0)
    assert t.tolist() == [1, 3, 3, 7] and ids.tolist() == [1, 0, 1, 0]  # sorted by time, then neuron
    assert store.segment_spikes(back, 1)[0].tolist() == [15, 20]
    with h5py.File(path) as f:
        assert f["x"].compression == "gzip" and f["x"].shuffle


def test_identical_inputs_give_identical_bytes(tmp_path):
    a = store.write(dataset(), tmp_path / "a.nc")
    b = store.write(dataset(), tmp_path / "b.nc")
    assert a.read_bytes() == b.read_bytes()


def test_write_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "r.nc"

    def boom(self, path, **kw):
        open(path, "wb").write(b"partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(xr.Dataset, "to_netcdf", boom)
    with pytest.raises(KeyboardInterrupt):
        store.write(dataset(), target)
    assert list(tmp_path.iterdir()) == []


def test_write_requires_provenance(tmp_path):
    with pytest.raises(ValueError, match="provenance"):
        store.write(xr.Dataset({"x": ("t", [1.0, 2.0])}), tmp_path / "r.nc")


def test_missing_truncated_foreign_and_wrong_kind_files_are_named(tmp_path):
    with pytest.raises(store.ResultFileError, match="does not exist"):
        store.read(tmp_path / "nope.nc")
    good = store.write(dataset(), tmp_path / "good.nc")
    cut = tmp_path / "cut.nc"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(store.ResultFileError, match="cut.nc.*truncated or corrupt"):
        store.read(cut)
    text = tmp_path / "text.nc"
    text.write_text("hello")
    with pytest.raises(store.ResultFileError, match="text.nc"):
        store.read(text)
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"y": ("t", [1.0])}).to_netcdf(foreign, engine="h5netcdf")
    with pytest.raises(store.ResultFileError, match="foreign.nc: not a SAL result file"):
        store.read(foreign)
    with pytest.raises(store.ResultFileError, match="expected 'other'"):
        store.read(good, kind="other")


def test_combine_stacks_runs_and_drops_rasters():
    runs = {("a", 0): dataset(), ("a", 1): dataset(), ("b", 0): dataset(), ("b", 1): dataset()}
    out = store.combine(runs, ("condition", "seed"), "test.summary")
    assert out["x"].dims == ("condition", "seed", "t")
    assert "spike_time" not in out and out.attrs["sal_kind"] == "test.summary"
    assert set(store.parameters(out)["runs"]) == {"a/0", "a/1", "b/0", "b/1"}


def test_a_killed_write_leaves_no_temporary_behind_after_the_next_write(tmp_path):
    import xarray as xr

    from sal.store import provenance, write

    path = tmp_path / "run.nc"
    stale = tmp_path / ".run.nc.tmp-999999999"  # a write whose process was killed (no such PID)
    stale.write_bytes(b"half a file")
    live = tmp_path / f".run.nc.tmp-{__import__('os').getppid()}"  # a write still running elsewhere
    live.write_bytes(b"busy")
    write(xr.Dataset({"x": ("i", [1.0, 2.0])}, attrs=provenance("test", {})), path)
    assert path.is_file() and not stale.exists() and live.exists()
