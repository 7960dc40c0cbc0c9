"""Config files validate; bad values fail naming the key, the value and what is allowed."""

import copy
from pathlib import Path

import pytest
import yaml

from sal.config import ConfigError, load, validate
from sal.registry import FAMILIES

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.yaml")))
def test_shipped_configs_are_valid(name):
    config = load([ROOT / "config" / "config.yaml", ROOT / "config" / name])
    assert set(config) - {"archive", "archive_study"} == {"principle", "sampling", "microcircuit", "deepnet"}


def test_overlay_merges_recursively():
    config = load([ROOT / "config" / "config.yaml", ROOT / "config" / "test.yaml"])
    assert config["principle"]["proof"]["window"] == 20  # from the overlay
    assert config["principle"]["proof"]["b_i"] == DEFAULT["principle"]["proof"]["b_i"]  # kept


def _empty_mappings(overlay, base, path=()):
    for key, value in overlay.items():
        below = base.get(key) if isinstance(base, dict) else None
        if value == {} and below:
            yield ".".join(map(str, path + (key,)))
        elif isinstance(value, dict):
            yield from _empty_mappings(value, below or {}, path + (key,))


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "config").glob("*.yaml") if p.name != "config.yaml"))
def test_overlays_hold_no_empty_mapping_that_would_change_nothing(name):
    """Overlays merge mappings (as Snakemake's --configfile does), so ``key: {}`` over a non-empty mapping of
    config.yaml keeps every entry of it: a silent no-op (paper.yaml's fig S4 once meant fig 8's SAL phase so)."""
    overlay = yaml.safe_load((ROOT / "config" / name).read_text()) or {}
    assert list(_empty_mappings(overlay, DEFAULT)) == []


BAD = [
    ("principle.stdd_examples.tau_ref", 1, "minimum of 2"),
    ("principle.stdd_examples.tau_ref", 2.5, "not of type 'integer'"),
    ("principle.stdd_examples.psp", "square", "is not one of"),
    ("principle.stdd_examples.window", 40, "must be > tau_ref = 50"),
    ("principle.phase_plane.w_step", 0, "less than or equal to the minimum"),
    ("principle.phase_plane.w_max", -3.0, "must be > w_min"),
    ("principle.weight_evolution.seeds", [], "should be non-empty"),
    ("principle.weight_evolution.seeds", [-1], "less than the minimum"),
    ("principle.weight_evolution.params.learning_rate", -0.1, "less than the minimum"),
    ("principle.weight_evolution.params.epochs", 0, "less than the minimum"),
    ("principle.psp_shapes.attractor.b_max", -2.0, "must be > b_min"),
    ("principle.psp_shapes.stdd_row.bias_pairs", [[0.1]], "too short"),
    ("principle.proof.examples.excitatory.epsilon", 0, "less than or equal to the minimum"),
    ("principle.stdd_vs_simulation.pairing", "all", "is not one of"),
    ("principle.stdd_vs_simulation.n_steps", 10, "less than the minimum"),
    ("principle.stdd_vs_simulation.typo_key", 1, "'typo_key' was unexpected"),
    ("sampling.protocols.B.overrides.val_step", 0, "less than the minimum of 1"),
    ("sampling.protocols.B.runs", [0, 20], "greater than the maximum of 19"),
    ("sampling.protocols.B.scenarios.syn_noise.highlight", 0.5, "must be one of levels"),
    ("sampling.protocols.B.scenarios.syn_noise.levels", [0.4, 0.8], "must include 0"),
    ("sampling.protocols.B.scenarios.plast_noise.conditions", ["sal"], "must include 'none'"),
    ("sampling.protocols.B.rate_scale", 0, "less than or equal to the minimum"),
    ("microcircuit.conditions", ["sal", "backprop"], "is not one of"),
    ("microcircuit.overrides", {"epochs": 0}, "less than the minimum of 1"),
    # non-finite numbers: JSON-schema bounds are false for NaN, and some keys have no bound
    ("principle.weight_evolution.ms_per_tau_ref", float("inf"), "must be a finite number"),
    ("principle.psp_shapes.kernel_plot.t_min", float("-inf"), "must be a finite number"),
    ("principle.weight_evolution.params.learning_rate", float("nan"), "must be a finite number"),
    ("principle.stdd_examples.examples.excitatory.w_ji", float("nan"), "must be a finite number"),
    # integer-valued floats are refused where integers are meant
    ("principle.weight_evolution.seeds", [1.0], "not of type 'integer'"),
    ("principle.stdd_vs_simulation.n_steps", 2.0e5, "not of type 'integer'"),
]


def validation_error(key: str, value, *, runs=False, merge=False, valid=False) -> str:
    """The message with which the default config, its dotted ``key`` set to ``value`` (``merge``: a mapping
    merged into it), is refused: by the schema and the key relations (ConfigError), with ``runs`` also by
    the typed parameters of every run, as workflow/rules/common.smk checks before any job. ``valid``: assert
    that it is accepted instead (returns "")."""
    config = copy.deepcopy(DEFAULT)
    *parents, last = key.split(".")
    node = config
    for p in parents:
        node = node[p]
    node[last] = {**node[last], **value} if merge else value

    def check():
        validate(config, SCHEMA)
        for family in FAMILIES if runs else ():
            family.check_runs(config[family.name])

    if valid:
        check()
        return ""
    with pytest.raises(ConfigError if not runs else ValueError) as err:
        check()
    return str(err.value)


@pytest.mark.parametrize("key, value, message", BAD)
def test_bad_values_are_rejected_with_the_key(key, value, message):
    last = key.rsplit(".", 1)[-1]
    text = validation_error(key, value)
    assert message in text
    assert (key if last != "typo_key" else key.rsplit(".", 1)[0]) in text, text


def test_yaml_errors_name_the_file_and_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("principle:\n  proof: [1, 2\n  other: 3\n")
    with pytest.raises(ConfigError, match=r"bad.yaml, line \d+, column \d+: not valid YAML"):
        load([ROOT / "config" / "config.yaml", bad])
    with pytest.raises(ConfigError, match="cannot read config file .*missing.yaml"):
        load([ROOT / "config" / "config.yaml", tmp_path / "missing.yaml"])
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load([ROOT / "config" / "config.yaml", tmp_path / "list.yaml"])
