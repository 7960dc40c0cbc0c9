"""Result files: xarray Datasets in HDF5 (h5netcdf engine), written atomically, read with clear errors.

Every result file carries the global attributes ``sal_kind`` (what the file holds),
``sal_version``, ``seed`` (or -1 for deterministic computations) and ``parameters`` (JSON), so that
any number in any figure can be traced to the code, parameters and seed that made it. No wall-clock
time is stored: the same inputs give bitwise identical files.

Spike rasters are stored flat (``spike_time``, ``neuron_id``, sorted by time, then neuron) with a
CSR-style ``segment_offsets`` index over recording segments (trials, epochs or windows): segment k
holds entries ``segment_offsets[k] : segment_offsets[k + 1]``. This maps directly to SONATA and NWB.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import xarray as xr

from . import __version__

ENGINE = "h5netcdf"
COMPRESSION = {"compression": "gzip", "compression_opts": 4, "shuffle": True}


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def provenance(kind: str, params: dict, seed: int | None = None) -> dict:
    """Global attributes every result file carries: kind, package version, seed, parameters."""
    return {
        "sal_kind": kind,
        "sal_version": __version__,
        "seed": -1 if seed is None else int(seed),
        "parameters": json.dumps(_jsonable(params), sort_keys=True),
        "Conventions": "CF-1.10",
    }


def parameters(ds: xr.Dataset) -> dict:
    """The parameters a result file was made with (decoded from its JSON attribute)."""
    return json.loads(ds.attrs["parameters"])


def spike_raster(times, neuron_ids, segment_offsets=None) -> dict:
    """Data variables of a flat spike raster sorted by time (then neuron id).

    ``segment_offsets`` (length n_segments + 1) marks recording segments in the *given* order;
    entries are sorted within each segment, so each segment must already be contiguous in time.
    """
    times = np.asarray(times, dtype=np.int64)
    neuron_ids = np.asarray(neuron_ids, dtype=np.int32)
    if times.shape != neuron_ids.shape:
        raise ValueError("spike times and neuron ids must have the same length")
    offsets = np.array([0, times.size] if segment_offsets is None else segment_offsets, dtype=np.int64)
    order = np.concatenate(
        [lo + np.lexsort((neuron_ids[lo:hi], times[lo:hi])) for lo, hi in zip(offsets[:-1], offsets[1:])]
        or [np.zeros(0, dtype=np.int64)]
    ).astype(np.int64)
    return {
        "spike_time": xr.Variable(
            "spike", times[order], {"units": "steps", "long_name": "spike time (simulation step)"}
        ),
        "neuron_id": xr.Variable("spike", neuron_ids[order], {"long_name": "index of the spiking neuron"}),
        "segment_offsets": xr.Variable(
            "segment_edge", offsets, {"long_name": "CSR offsets of recording segments into the spike arrays"}
        ),
    }


def segment_spikes(ds: xr.Dataset, segment: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(spike_time, neuron_id) of one recording segment of a stored raster."""
    lo, hi = ds["segment_offsets"].values[segment : segment + 2]
    return ds["spike_time"].values[lo:hi], ds["neuron_id"].values[lo:hi]


def write(ds: xr.Dataset, path) -> Path:
    """Write ``ds`` to ``path`` atomically (temporary file in the same folder, then rename).

    An interrupted write never leaves a readable half-file under ``path``.
    """
    path = Path(path)
    missing = {"sal_kind", "sal_version", "parameters", "seed"} - set(ds.attrs)
    if missing:
        raise ValueError(f"{path}: dataset lacks provenance attributes {sorted(missing)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = {
        name: COMPRESSION
        for name, var in ds.variables.items()
        if var.dtype.kind in "fiub" and var.ndim > 0 and var.size > 1
    }
    _remove_stale_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        ds.to_netcdf(tmp, engine=ENGINE, encoding=encoding, invalid_netcdf=True)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _remove_stale_temporaries(path: Path) -> None:
    """Delete the temporary files of earlier writes of ``path`` whose process is gone (a killed job)."""
    for tmp in path.parent.glob(f".{path.name}.tmp-*"):
        pid = tmp.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists() and int(pid) != os.getpid():
            tmp.unlink(missing_ok=True)


class ResultFileError(ValueError):
    """A result file is missing, unreadable, truncated or not what the caller expects."""


def read(path, kind: str | None = None) -> xr.Dataset:
    """Load a result file fully into memory; raise ResultFileError naming the file on any problem."""
    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{path}: result file does not exist")
    try:
        with xr.open_dataset(path, engine=ENGINE) as handle:
            ds = handle.load()
    except Exception as err:  # h5py/h5netcdf raise many types for corrupt files
        raise ResultFileError(
            f"{path}: not a readable HDF5 result file (truncated or corrupt?): {err}"
        ) from err
    if "sal_kind" not in ds.attrs:
        raise ResultFileError(f"{path}: not a SAL result file (no 'sal_kind' attribute)")
    if kind is not None and ds.attrs["sal_kind"] != kind:
        raise ResultFileError(f"{path}: holds {ds.attrs['sal_kind']!r}, expected {kind!r}")
    return ds


RASTER_DIMS = {"spike", "segment_edge", "segment"}


def combine(runs: dict, dims: tuple[str, ...], kind: str) -> xr.Dataset:
    """Stack per-run datasets along new dimensions into one summary dataset.

    ``runs`` maps a tuple of labels (one per entry of ``dims``, e.g. (condition, seed)) to a dataset.
    Spike rasters (ragged) are dropped; the runs' parameters are kept, keyed by their labels.
    """
    parts = []
    for labels, ds in runs.items():
        ds = ds.drop_vars([v for v in ds.variables if set(ds[v].dims) & RASTER_DIMS])
        parts.append(ds.expand_dims({d: [lab] for d, lab in zip(dims, labels)}))
    merged = xr.combine_by_coords(parts, combine_attrs="drop")
    runs_params = {"/".join(map(str, labels)): parameters(ds) for labels, ds in runs.items()}
    merged.attrs = provenance(kind, {"dims": list(dims), "runs": runs_params})
    return merged
