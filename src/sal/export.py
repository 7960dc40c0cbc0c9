"""Export of result files with spikes to the field's formats: NWB (pynwb) and Neo (Elephant).

Needs the optional extra ``pip install sal[nwb]`` (pynwb, nwbinspector, neo, nixio).

- ``to_nwb(path, out)``: an NWB file with a units table (one row per neuron, spike times in seconds,
  ``obs_intervals`` the recorded windows), the weight trajectories as ``TimeSeries`` in the
  processing module ``sal`` (timestamps in seconds), the recording segments as ``epochs`` and the
  provenance (kind, version, code hash, seed, parameters) as JSON in the file's ``notes``.
- ``to_neo(path)``: a ``neo.Block`` with one ``Segment`` per recording segment and one ``SpikeTrain``
  per neuron (seconds; ``t_start``/``t_stop`` the recorded window), ready for Elephant.

Spike times are stored in simulation steps; seconds are ``steps * step_ms / 1000`` with the file's
``step_ms`` (see ``sal.store.time_base``). Sampling runs restart their clock at every wake-sleep cycle:
there the export adds the simulated time of the cycles before the recorded one, so that all times
are on one clock (the simulated time since the start of the run).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import store

#: NWB requires a session start; a simulation has none, and no wall-clock time is stored (the same
#: file gives the same export), so a fixed date stands for "time zero of the simulation"
SESSION_START = datetime(2000, 1, 1, tzinfo=timezone.utc)
PAPER = "https://arxiv.org/abs/2503.02642"


def _need(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"sal.export needs {module}: pip install 'sal[nwb]'") from err


def _check(ds, path) -> None:
    if "spike_time" not in ds.variables:
        raise store.ResultFileError(f"{path}: holds no spikes (kind {ds.attrs['sal_kind']!r}): nothing to export")
    if "step_ms" not in ds.attrs:
        raise store.ResultFileError(f"{path}: records no step length ('step_ms'); rerun it with this version")


def _sampling_cycle_steps(p: dict) -> np.ndarray:
    """Steps of every wake-sleep cycle of a sampling run (validation cycles run val_factor times longer)."""
    it = np.arange(int(p["epochs"]))
    return p["dur"] * p["tau_ref"] * np.where(it % p["val_step"] == 0, p["val_factor"], 1)


def segments(ds) -> list[tuple[int, int, int]]:
    """(t_start, t_stop, offset) in steps of every recording segment on the run's single clock:
    the segment's spikes happened at ``spike_time + offset``, within [t_start, t_stop)."""
    kind, p = ds.attrs["sal_kind"], store.parameters(ds)
    off = ds["segment_offsets"].values
    n = off.size - 1
    if kind == "principle.weight_evolution":
        steps = int(p["steps_per_epoch"])
        return [(int(e) * steps, (int(e) + 1) * steps, 0) for e in ds["segment_epoch"].values]
    if kind == "sampling.run":
        start = np.r_[0, np.cumsum(_sampling_cycle_steps(p))]
        return [(int(start[i]), int(start[i]) + int(p["record_steps"]), int(start[i]))
                for i in ds["segment_iteration"].values]
    if kind == "sampling.simulate":
        return [(0, int(p["n_steps"]), 0)]
    if kind == "microcircuit.run":
        steps, begin = int(p["steps_per_pattern"]), ds["pattern_start"].values
        return [(int(begin[k]), int(begin[k]) + steps, 0) for k in ds["segment_pattern"].values]
    # unknown layout: each segment from its first to one step after its last spike
    t = ds["spike_time"].values
    return [(int(t[lo]) if hi > lo else 0, int(t[hi - 1]) + 1 if hi > lo else 0, 0)
            for lo, hi in zip(off[:-1], off[1:])][:n]


def record_times(ds, dim: str) -> np.ndarray | None:
    """Times (steps, on the run's clock) at which the values along ``dim`` were recorded, or None."""
    kind, p = ds.attrs["sal_kind"], store.parameters(ds)
    if kind == "principle.weight_evolution" and dim == "epoch":
        return ds["epoch"].values.astype(np.int64) * int(p["steps_per_epoch"])  # after e epochs
    if kind == "sampling.run" and dim == "iteration":
        end = np.cumsum(_sampling_cycle_steps(p))  # recorded after the cycle's update
        return end[ds["iteration"].values]
    if kind == "microcircuit.run" and dim == "pattern":
        return ds["pattern_start"].values.astype(np.int64) + int(p["steps_per_pattern"])  # end of the pattern
    return None


def spike_trains(ds) -> list[dict]:
    """Per segment: {"t_start", "t_stop" (s), "trains": {neuron id: spike times (s), sorted}}."""
    scale = float(ds.attrs["step_ms"]) / 1000.0
    off = ds["segment_offsets"].values
    neurons = _neurons(ds)
    out = []
    for k, (t0, t1, shift) in enumerate(segments(ds)):
        t, ids = store.segment_spikes(ds, k)
        times = (t + shift) * scale
        out.append({"t_start": t0 * scale, "t_stop": t1 * scale,
                    "trains": {int(i): np.sort(times[ids == i]) for i in neurons}})
    assert len(out) == off.size - 1
    return out


def _neurons(ds) -> np.ndarray:
    if "neuron" in ds.sizes:
        return np.arange(ds.sizes["neuron"])
    return np.arange(int(ds["neuron_id"].values.max()) + 1 if ds.sizes["spike"] else 0)


def _weights(ds) -> list[str]:
    """Data variables that are weight trajectories over a recorded dimension."""
    return [name for name, var in ds.data_vars.items()
            if var.ndim >= 1 and var.dtype.kind == "f" and "weight" in var.attrs.get("long_name", "")
            and record_times(ds, var.dims[0]) is not None]


def provenance_json(ds) -> str:
    """The file's global attributes (provenance and time base) as JSON."""
    return json.dumps({k: store._jsonable(v) for k, v in ds.attrs.items()}, sort_keys=True)


def to_nwb(path, out) -> Path:
    """Write the spikes, weight trajectories and provenance of the result file ``path`` as NWB ``out``."""
    _need("pynwb")
    import uuid

    from pynwb import NWBHDF5IO, NWBFile, TimeSeries
    from pynwb.file import Subject
    from pynwb.misc import Units

    ds = store.read(path)
    _check(ds, path)
    scale = float(ds.attrs["step_ms"]) / 1000.0
    attrs = ds.attrs
    identity = f"{attrs['sal_kind']}|{attrs.get('sal_code', '')}|{attrs['seed']}|{attrs['parameters']}"
    nwb = NWBFile(
        session_description=f"SAL simulation: {attrs['sal_kind']} (seed {attrs['seed']}), exported from "
                            f"{Path(path).name}; spike times in seconds = steps x {attrs['step_ms']:g} ms",
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, identity)),
        session_start_time=SESSION_START,
        session_id=Path(path).stem,
        experimenter=["SAL reproduction"],
        institution="simulation",
        lab="sal",
        experiment_description="Spike-based alignment learning (Gierlich et al., arXiv 2503.02642); "
                               f"step length: {attrs.get('step_ms_source', '')}",
        related_publications=[PAPER],
        source_script=f"sal {attrs['sal_version']} (sal.export.to_nwb)",
        source_script_file_name="sal/export.py",
        notes=provenance_json(ds),
        keywords=["spiking network", "synaptic plasticity", "simulation"],
        subject=Subject(subject_id=f"{attrs['sal_kind']}-seed{attrs['seed']}",
                        description="simulated spiking network (no animal): sex unknown, born at the "
                                    "start of the simulation", sex="U", date_of_birth=SESSION_START),
    )
    nwb.units = Units(name="units", description="simulated neurons; spike times in seconds",
                      resolution=scale)
    segs = segments(ds)
    for t0, t1, _ in segs:
        nwb.add_epoch(start_time=t0 * scale, stop_time=t1 * scale, tags=["spike recording"])
    trains = spike_trains(ds)
    population = ds["neuron_population"].values if "neuron_population" in ds.variables else None
    if population is not None:
        nwb.add_unit_column(name="population", description="population of the neuron")
    nwb.add_unit_column(name="neuron_id", description="neuron id in the result file (neuron_id)")
    intervals = [[s["t_start"], s["t_stop"]] for s in trains]
    for i in _neurons(ds):
        kwargs = {"population": str(population[i])} if population is not None else {}
        times = np.concatenate([s["trains"][int(i)] for s in trains]) if trains else np.zeros(0)
        nwb.add_unit(spike_times=times, obs_intervals=intervals, neuron_id=int(i), **kwargs)
    names = _weights(ds)
    if names:
        module = nwb.create_processing_module(name="sal", description="weight trajectories of the SAL run")
        for name in names:
            var = ds[name]
            steps = record_times(ds, var.dims[0])  # integer steps: regular spacing is decided exactly
            step = np.diff(steps)
            timing = ({"starting_time": float(steps[0] * scale), "rate": 1.0 / float(step[0] * scale)}
                      if step.size and np.all(step == step[0]) and step[0] > 0 else {"timestamps": steps * scale})
            module.add(TimeSeries(
                name=name, data=var.values, unit=var.attrs.get("units", "1"), **timing,
                description=f"{var.attrs.get('long_name', name)}; dimensions {', '.join(var.dims)}",
                comments=f"recorded along {var.dims[0]!r}; dimensionless weights have unit '1'",
            ))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with NWBHDF5IO(str(out), "w") as io:
        io.write(nwb)
    return out


def to_neo(path):
    """A ``neo.Block`` of the result file ``path``: one Segment per recording segment, one SpikeTrain
    (seconds) per neuron, annotated with its neuron id; the block is annotated with the provenance."""
    neo = _need("neo")
    import quantities as pq

    ds = store.read(path)
    _check(ds, path)
    block = neo.Block(name=ds.attrs["sal_kind"], description=f"exported from {Path(path).name}",
                      file_origin=str(path))
    block.annotate(sal_kind=ds.attrs["sal_kind"], seed=int(ds.attrs["seed"]), step_ms=float(ds.attrs["step_ms"]),
                   provenance=provenance_json(ds))
    population = ds["neuron_population"].values if "neuron_population" in ds.variables else None
    for k, seg in enumerate(spike_trains(ds)):
        segment = neo.Segment(name=f"segment {k}", index=k)
        for i, times in seg["trains"].items():
            train = neo.SpikeTrain(times * pq.s, t_start=seg["t_start"] * pq.s, t_stop=seg["t_stop"] * pq.s,
                                   name=f"neuron {i}")
            train.annotate(neuron_id=i, **({"population": str(population[i])} if population is not None else {}))
            segment.spiketrains.append(train)
        block.segments.append(segment)
    return block


def write_neo(path, out) -> Path:
    """``to_neo(path)`` saved with Neo's NixIO (``.nix``, needs nixio) or, for any other suffix, PickleIO."""
    neo = _need("neo")
    block = to_neo(path)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".nix":
        out.unlink(missing_ok=True)
        with neo.io.NixIO(str(out), mode="ow") as io:
            io.write_block(block)
    else:
        neo.io.PickleIO(str(out)).write_block(block)
    return out


def inspect_nwb(path) -> list:
    """nwbinspector messages of an NWB file with importance ERROR or CRITICAL (empty: no errors)."""
    nwbinspector = _need("nwbinspector")
    from nwbinspector import Importance

    return [m for m in nwbinspector.inspect_nwbfile(nwbfile_path=str(path))
            if m.importance in (Importance.ERROR, Importance.CRITICAL)]
