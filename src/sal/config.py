"""Config validation: a bad value fails before any job starts, naming the key, the value and the rule.

The JSON schema (workflow/schemas/config.schema.yaml) states types and ranges; the few relations
between keys that a schema cannot express (window > tau_ref, min < max, the official input size) and
that the dataset folders given exist are checked here.
"""

from __future__ import annotations

import math
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """The configuration violates the schema; the message lists every offending key."""


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "<top level>"


def _relations(config: dict):
    """(key, value, message) for every violated relation between keys."""
    pr = config.get("principle", {})
    chains = [(("principle", n), pr.get(n, {})) for n in ("stdd_examples", "phase_plane", "proof")]
    shapes = pr.get("psp_shapes", {})
    chains += [(("principle", "psp_shapes", n), shapes.get(n, {})) for n in ("stdd_row", "attractor")]
    chains.append((("principle", "stdd_vs_simulation"), pr.get("stdd_vs_simulation", {})))
    for path, block in chains:
        if "window" in block and "tau_ref" in block and block["window"] <= block["tau_ref"]:
            yield path + ("window",), block["window"], f"must be > tau_ref = {block['tau_ref']}"
    ranges = [(("principle", "phase_plane"), pr.get("phase_plane", {}), "w_min", "w_max"),
              (("principle", "psp_shapes", "attractor"), shapes.get("attractor", {}), "w_min", "w_max"),
              (("principle", "psp_shapes", "attractor"), shapes.get("attractor", {}), "b_min", "b_max"),
              (("principle", "psp_shapes", "kernel_plot"), shapes.get("kernel_plot", {}), "t_min", "t_max")]
    for path, block, lo, hi in ranges:
        if lo in block and hi in block and block[lo] >= block[hi]:
            yield path + (hi,), block[hi], f"must be > {lo} = {block[lo]}"
    dales = config.get("sampling", {}).get("dales_law", {})
    for grid in ("phase_plane", "rates"):  # one point (w_min = w_max) is a valid E-I grid
        block = dales.get(grid, {})
        if "w_min" in block and "w_max" in block and block["w_min"] > block["w_max"]:
            yield ("sampling", "dales_law", grid, "w_max"), block["w_max"], f"must be >= w_min = {block['w_min']}"
    dims = (config.get("microcircuit", {}).get("overrides") or {}).get("dims")
    if dims:
        from .microcircuit.params import paper_params  # (only then: it imports the whole family)

        inputs = paper_params("sal")["dims"][0]  # the official runs' patterns (inputs_training) have this size
        if dims[0] != inputs:
            yield ("microcircuit", "overrides", "dims"), dims, (
                f"must start with {inputs}, the input size of the official runs' patterns (other input sizes: "
                "microcircuit.scaling.widths)")
    f9 = config.get("deepnet", {}).get("fig9", {})
    if isinstance(f9.get("epochs"), list) and len(f9["epochs"]) != len(f9.get("etas", [])):
        yield ("deepnet", "fig9", "epochs"), f9["epochs"], (
            f"must be one number, or one per η of etas {f9.get('etas')}")
    for protocol, block in config.get("sampling", {}).get("protocols", {}).items():
        path = ("sampling", "protocols", protocol)
        for scenario, sc in block.get("scenarios", {}).items():
            if sc["highlight"] not in sc["levels"]:
                yield path + ("scenarios", scenario, "highlight"), sc["highlight"], f"must be one of levels {sc['levels']}"
            if 0 not in sc["levels"]:
                yield path + ("scenarios", scenario, "levels"), sc["levels"], "must include 0 (the baseline)"
            if "none" not in sc["conditions"]:
                yield path + ("scenarios", scenario, "conditions"), sc["conditions"], (
                    "must include 'none' (the noise-free baseline)")
            if protocol == "A" and "kp" in sc["conditions"]:
                yield path + ("scenarios", scenario, "conditions"), sc["conditions"], "kp exists only in protocol B"
        if protocol == "A" and "kp_sweep" in block:
            yield path + ("kp_sweep",), "{...}", "the KP sweep exists only in protocol B"


def _missing_folders(config: dict):
    """(key, value, message) of every dataset folder in ``deepnet.fig8.data_paths`` that does not exist (an
    empty entry means none); relative paths are read from the working directory, as retrieve_dataset does."""
    for name, folder in config.get("deepnet", {}).get("fig8", {}).get("data_paths", {}).items():
        if folder and not Path(folder).is_dir():
            where = "" if Path(folder).is_absolute() else f" (relative to the working directory {Path.cwd()})"
            yield ("deepnet", "fig8", "data_paths", name), folder, f"no such folder{where}"


def _non_finite(node, path=()):
    """(key, value) of every NaN or infinite number in the config (JSON-schema bounds are false for NaN)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _non_finite(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _non_finite(value, path + (i,))
    elif isinstance(node, float) and not math.isfinite(node):
        yield path, node


# Integers are ints: an integer-valued float such as 2.0e+5 is refused for an integer key (JSON Schema
# would accept it, and the run would then fail or name its file 2.0), consistently for every key.
_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda checker, value: isinstance(value, int) and not isinstance(value, bool))
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)


def validate(config: dict, schema_path) -> dict:
    """Check ``config`` against the schema file and the key relations; return it unchanged if valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = _Validator(schema)
    problems = [f"config key {_key(k)} = {v!r}: must be a finite number" for k, v in _non_finite(config)]
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if err.context:  # oneOf/anyOf: report the most specific reason, not "valid under none"
            err = max(err.context, key=lambda e: len(e.absolute_path))
        value = err.instance if not isinstance(err.instance, dict) else "{...}"
        problems.append(f"config key {_key(err.absolute_path)} = {value!r}: {err.message}")
    if not problems:
        problems += [f"config key {_key(k)} = {v!r}: {msg}" for k, v, msg in (*_relations(config),
                                                                               *_missing_folders(config))]
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def merge(base: dict, overlay: dict) -> dict:
    """Recursive update, as Snakemake applies ``--configfile`` overlays: dicts merge, the rest replaces."""
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merge(base[key], value)
        else:
            base[key] = value
    return base


def read_yaml(path) -> dict:
    """A YAML config file as a dict; ConfigError naming the file (and the line of a syntax error)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"config file {path}{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: must be a mapping of keys, got {type(data).__name__}")
    return data


def load(paths, schema_path=None) -> dict:
    """Read YAML config files (later ones overlay earlier ones) and validate the result.

    Without ``schema_path`` the schema is looked up in the checkout the first file belongs to.
    """
    config: dict = {}
    for path in paths:
        merge(config, read_yaml(path))
    if schema_path is None:
        schema_path = Path(paths[0]).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"
        if not schema_path.is_file():
            raise ConfigError(f"cannot find the config schema at {schema_path} (use a repository checkout)")
    return validate(config, schema_path)
