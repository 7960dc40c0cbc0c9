"""Config validation: a bad value fails before any job starts, naming the key, the value and the rule.

The JSON schema (workflow/schemas/config.schema.yaml) states types and ranges; the few relations
between keys that a schema cannot express (window > tau_ref, min < max) are checked here.
"""

from __future__ import annotations

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


def validate(config: dict, schema_path) -> dict:
    """Check ``config`` against the schema file and the key relations; return it unchanged if valid."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if err.context:  # oneOf/anyOf: report the most specific reason, not "valid under none"
            err = max(err.context, key=lambda e: len(e.absolute_path))
        value = err.instance if not isinstance(err.instance, dict) else "{...}"
        problems.append(f"config key {_key(err.absolute_path)} = {value!r}: {err.message}")
    if not problems:
        problems += [f"config key {_key(k)} = {v!r}: {msg}" for k, v, msg in _relations(config)]
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


def load(paths, schema_path=None) -> dict:
    """Read YAML config files (later ones overlay earlier ones) and validate the result.

    Without ``schema_path`` the schema is looked up in the checkout the first file belongs to.
    """
    config: dict = {}
    for path in paths:
        merge(config, yaml.safe_load(Path(path).read_text()) or {})
    if schema_path is None:
        schema_path = Path(paths[0]).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"
        if not schema_path.is_file():
            raise ConfigError(f"cannot find the config schema at {schema_path} (use a repository checkout)")
    return validate(config, schema_path)
