"""Result files: xarray Datasets in HDF5 (h5netcdf engine), written atomically, read with clear errors.

Every result file carries the global attributes ``sal_kind`` (what the file holds),
``sal_version``, ``seed`` (or -1 for deterministic computations) and ``parameters`` (JSON), so that
any number in any figure can be traced to the code, parameters and seed that made it. No wall-clock
time is stored: the same inputs give bitwise identical files.

Spike rasters are stored flat (``spike_time``, ``neuron_id``, sorted by time, then neuron) with a
CSR-style ``segment_offsets`` index over recording segments (trials, epochs or windows): segment k
holds entries ``segment_offsets[k] : segment_offsets[k + 1]``. This maps directly to SONATA and NWB
(``sal.export``).

Every variable carries ``units`` (UDUNITS strings; dimensionless quantities, counts, indices and labels
``"1"``) and ``long_name``. Attributes set where a variable is made win; ``write`` fills what is missing
from ``VARIABLE_ATTRS`` (by variable name), and ``write(..., strict=True)`` (the workflow's writes) refuses
a variable that has neither. Spike times are integer simulation steps: every file with a raster records
its time base as the global attributes ``time_unit = "steps"``, ``step_ms`` (milliseconds per step) and
``step_ms_source`` (where that length comes from; see ``time_base``).
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
        "neuron_id": xr.Variable("spike", neuron_ids[order], {"units": "1", "long_name": "index of the spiking neuron"}),
        "segment_offsets": xr.Variable(
            "segment_edge", offsets,
            {"units": "1", "long_name": "CSR offsets of recording segments into the spike arrays"},
        ),
    }


def time_base(step_ms: float, source: str) -> dict:
    """Global attributes of a file with spikes: spike times are in steps of ``step_ms`` milliseconds.

    ``source`` says where the step length comes from (a spec value or a documented assumption).
    A spike at step t happened at t * step_ms / 1000 seconds.
    """
    step_ms = float(step_ms)
    if not step_ms > 0:
        raise ValueError(f"step_ms must be > 0, got {step_ms}")
    return {"time_unit": "steps", "step_ms": step_ms, "step_ms_source": str(source)}


def spike_times_seconds(ds: xr.Dataset) -> np.ndarray:
    """All spike times of a stored raster in seconds (``spike_time * step_ms / 1000``)."""
    if "step_ms" not in ds.attrs:
        raise ResultFileError("the file records no step length (global attribute 'step_ms')")
    return ds["spike_time"].values * (float(ds.attrs["step_ms"]) / 1000.0)


def segment_spikes(ds: xr.Dataset, segment: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(spike_time, neuron_id) of one recording segment of a stored raster."""
    lo, hi = ds["segment_offsets"].values[segment : segment + 2]
    return ds["spike_time"].values[lo:hi], ds["neuron_id"].values[lo:hi]


def complete_attributes(ds: xr.Dataset) -> xr.Dataset:
    """A shallow copy of ``ds`` whose variables lacking ``units``/``long_name`` get them from
    ``VARIABLE_ATTRS`` (data are shared, never changed; attributes already set are kept)."""
    ds = ds.copy(deep=False)
    for name, var in ds.variables.items():
        default = VARIABLE_ATTRS.get(name)
        if default is None:
            continue
        attrs = dict(var.attrs)
        for key, value in zip(("units", "long_name"), default):
            attrs.setdefault(key, value)
        var.attrs = attrs
    return ds


def attribute_problems(ds: xr.Dataset) -> list[str]:
    """What keeps ``ds`` from being self-describing: variables without units or long_name, a
    raster without its time base."""
    problems = [f"variable {name!r} has no {key!r}" for name, var in ds.variables.items()
                for key in ("units", "long_name") if key not in var.attrs]
    if "spike_time" in ds.variables:
        problems += [f"a file with spikes lacks the global attribute {key!r} (see store.time_base)"
                     for key in ("step_ms", "time_unit") if key not in ds.attrs]
    return problems


def write(ds: xr.Dataset, path, *, strict: bool = False) -> Path:
    """Write ``ds`` to ``path`` atomically (temporary file in the same folder, then rename).

    An interrupted write never leaves a readable half-file under ``path``. Missing ``units`` and
    ``long_name`` are filled from ``VARIABLE_ATTRS``; with ``strict`` a variable still lacking them (or
    a raster without ``step_ms``) is refused. Only attributes are added: the data stay as given.
    """
    path = Path(path)
    missing = {"sal_kind", "sal_version", "parameters", "seed"} - set(ds.attrs)
    if missing:
        raise ValueError(f"{path}: dataset lacks provenance attributes {sorted(missing)}")
    ds = complete_attributes(ds)
    if strict and (problems := attribute_problems(ds)):
        raise ValueError(f"{path}: not self-describing: " + "; ".join(problems))
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
        ds = ds.expand_dims({d: [lab] for d, lab in zip(dims, labels)})
        for d in dims:  # the new label coordinates: described, not left bare
            ds[d].attrs = {"units": "1", "long_name": VARIABLE_ATTRS.get(d, ("1", f"run label {d}"))[1]}
        parts.append(ds)
    # per-variable attributes (units, long_name) are kept where the runs agree; the dataset's own
    # attributes are replaced below
    merged = xr.combine_by_coords(parts, combine_attrs="drop_conflicts")
    runs_params = {"/".join(map(str, labels)): parameters(ds) for labels, ds in runs.items()}
    merged.attrs = provenance(kind, {"dims": list(dims), "runs": runs_params})
    return merged


#: units and long_name by variable name, filled in by ``write`` where the variable lacks them (the
#: attributes a run function sets win). Weights, biases, potentials and probabilities are
#: dimensionless ("1"); so are counts, indices and labels.
VARIABLE_ATTRS: dict[str, tuple[str, str]] = {
    # labels of runs and sweeps (summaries) and other coordinates
    "algorithm": ("1", "feedback alignment algorithm"),
    "case": ("1", "simulation case"),
    "condition": ("1", "condition (plasticity / feedback method)"),
    "dataset": ("1", "data set"),
    "epoch": ("1", "epoch"),
    "eta": ("1", "SAL learning rate eta"),
    "example": ("1", "example"),
    "hidden_layer": ("1", "hidden layer l (feedback B_l)"),
    "iteration": ("1", "wake-sleep cycle"),
    "kernel": ("1", "PSP kernel"),
    "kp_rate": ("1", "Kolen-Pollack weight-decay rate"),
    "layer": ("1", "fully connected layer"),
    "layer_size_in": ("1", "input size of the layer"),
    "layer_size_out": ("1", "output size of the layer"),
    "level": ("1", "noise level"),
    "method": ("1", "learning method"),
    "neuron": ("1", "neuron"),
    "pattern": ("1", "pattern presentation"),
    "pattern_epoch": ("1", "epoch of the pattern"),
    "pattern_start": ("steps", "first step of the pattern"),
    "post": ("1", "postsynaptic neuron"),
    "pre": ("1", "presynaptic neuron"),
    "quantile": ("1", "quantile over runs"),
    "run": ("1", "run (seed index)"),
    "seed": ("1", "seed"),
    "symmetrization": ("1", "symmetrization pattern"),
    "system": ("1", "E-I system"),
    "validation": ("1", "validation pattern"),
    "width": ("1", "network widths"),
    "scenario": ("1", "noise scenario"),
    "highlight_level": ("1", "noise level whose trajectories the figure shows"),
    "plastic": ("1", "plastic weights of the condition"),
    "time": ("s", "simulated time"),
    "segment_epoch": ("1", "epoch of raster segment"),
    "segment_iteration": ("1", "wake-sleep cycle of raster segment"),
    "segment_pattern": ("1", "pattern of the segment"),
    "neuron_population": ("1", "population of each neuron id"),
    "input_index": ("1", "index into inputs_training or inputs_validation"),
    "spike_count": ("1", "spikes per neuron"),
    # weights, biases and their drifts (dimensionless)
    "W": ("1", "weight pre -> post"),
    "W_target": ("1", "target weight pre -> post"),
    "b": ("1", "bias"),
    "b_target": ("1", "target bias"),
    "b_i": ("1", "bias of neuron i"),
    "b_j": ("1", "bias of neuron j"),
    "pair_b_i": ("1", "bias of neuron i of the bias pair"),
    "pair_b_j": ("1", "bias of neuron j of the bias pair"),
    "w": ("1", "weight"),
    "w_ij": ("1", "weight j -> i (W_ij)"),
    "w_ji": ("1", "weight i -> j (W_ji)"),
    "w_sym": ("1", "symmetric weight"),
    "w_e1e2": ("1", "raw excitatory weight"),
    "w_e2e1": ("1", "raw excitatory weight"),
    "w_effective": ("1", "effective weight e1 -> e2"),
    "offset_e1e2": ("1", "W_eff - W_EE of e2 -> e1"),
    "offset_e2e1": ("1", "W_eff - W_EE of e1 -> e2"),
    "dw_ij": ("1", "SAL drift of W_ij"),
    "dw_ji": ("1", "SAL drift of W_ji"),
    "dw_ana": ("1", "SAL drift of W_ji, analytic"),
    "dw_sim": ("1", "SAL drift of W_ji, simulated"),
    "dw_e1e2": ("1", "SAL drift of e2 -> e1"),
    "dw_e2e1": ("1", "SAL drift of e1 -> e2"),
    "B1": ("1", "feedback weights B1"),
    "W10": ("1", "input -> hidden1 weights W10"),
    "W21": ("1", "weights W21"),
    # sampling quality and symmetry
    "dkl": ("nat", "D_KL(target || sampled)"),
    "dkl_quartiles": ("nat", "quartiles over runs of dkl"),
    "dkl_missing_states": ("1", "target states never sampled (D_KL = inf if > 0)"),
    "dkl_infinite": ("1", "runs whose D_KL is infinite (unsampled target states)"),
    "asymmetry": ("1", "Var(W_ij - W_ji), i < j"),
    "asymmetry_quartiles": ("1", "quartiles over runs of asymmetry"),
    "q": ("1", "sampled distribution"),
    "p_target": ("1", "target distribution"),
    "states": ("1", "binary state (neuron 0 = most significant bit)"),
    "rate_e2": ("1/tau_ref", "e2 spikes per tau_ref"),
    # spike-time-difference distributions and kernels
    "p": ("1", "probability of the spike-time difference"),
    "p_ana": ("1", "analytic probability of the spike-time difference"),
    "p_sim": ("1", "simulated probability of the spike-time difference"),
    "p_err": ("1", "standard error of p_sim"),
    "p_asym": ("1", "probability of the spike-time difference (W_ji != W_ij)"),
    "p_sym": ("1", "probability of the spike-time difference (W_ji = W_ij)"),
    "sal_window": ("1", "SAL window K(dt) for W_ji"),
    "kappa": ("1", "PSP kernel"),
    "tau_syn_factor": ("1", "tau_syn / tau_ref of the kernel"),
    "deviation": ("1", "mean relative deviation of the attractor line from the diagonal"),
    "n_pairs": ("1", "number of paired spikes"),
    "tv": ("1", "total-variation distance"),
    "zmax": ("1", "largest per-bin |z| score"),
    "delta": ("1", "delta(t)"),
    "Delta": ("1", "Delta(t) = integral of delta"),
    "epsilon": ("1", "epsilon"),
    "lag": ("steps", "spike-time difference t_j - t_i"),
    "t": ("steps", "time"),
    # deep-network metrics (summaries)
    "angle": ("degree", "angle between W and the feedback matrix"),
    "initial_angle": ("degree", "angle between W and the feedback matrix, at initialisation"),
    "test_accuracy": ("percent", "test accuracy"),
    "train_accuracy": ("percent", "training accuracy"),
    "test_loss": ("1", "mean test loss"),
    "train_loss": ("1", "mean training loss"),
    # microcircuit metrics (summaries)
    "alignment_angle": ("degree", "angle between B_l and W_{l+1,l} transposed, hidden layer l"),
    "validation_loss": ("1", "validation loss"),
}
