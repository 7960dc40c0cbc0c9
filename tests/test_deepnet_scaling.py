"""The depth and width study of fully connected networks (fig S4, beyond the paper): the network without
conv blocks, the gradient-alignment probe, and SAL against FA on a small deep network."""

import re
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import sal.config
from sal.deepnet import CNN, load_dataset
from sal.deepnet.experiments import scaling_run
from sal.deepnet.layers import SoftmaxCrossEntropy
from sal.deepnet.params import ScalingRun, scaling_params
from sal.deepnet.summaries import scaling_metrics, scaling_summary
from sal.deepnet.train import fit

ROOT = Path(__file__).resolve().parents[1]
#: a short SAL phase (2 blocks of 1000 steps at batch 8, η = 0.2: the default study's)
SHORT_PHASE = {"batch": 8, "block_steps": 1000, "blocks_per_epoch": 2, "eta": 0.2}


def small_params(depth, width, methods, seeds, epochs):
    p = scaling_params("digits", depth, width)
    p.update(methods=methods, seeds=seeds, epochs=epochs, gradient_batch=256, sal_phase=SHORT_PHASE)
    return p


@pytest.fixture(scope="module")
def deep():
    """Three hidden layers of 32 on digits, BP / FA / SAL, 3 seeds, 4 epochs (~3 CPU-s)."""
    with threadpool_limits(1):
        return scaling_run(small_params(3, 32, ["bp", "fa", "sal"], [0, 1, 2], 4))


def test_sal_aligns_every_feedback_matrix_of_a_deep_network(deep):
    """SAL's angle(W, B) falls in every FC layer and every seed, and ends below FA's in every layer.

    Both start near 90° (independent random W and B). Measured: SAL falls by 29-60° per layer and run, FA's
    angles (W drifting toward its fixed B; fc1's B is unused and stays) end 25-29° above SAL's seed mean;
    SAL's seeds differ by ≤ 3°. Tolerances: a fall of ≥ 20° per run, and ≥ 10° below FA's seed mean."""
    sal, fa = deep.sel({"method": "sal"}), deep.sel({"method": "fa"})
    initial, final = sal["initial_angle"].values, sal["angle"].isel(epoch=-1).values  # (seed, layer)
    assert np.all(initial > 75), initial
    assert np.all(final < initial - 20), (initial, final)
    fa_final = fa["angle"].isel(epoch=-1).mean("seed").values
    assert np.all(final.mean(0) < fa_final - 10), (final.mean(0), fa_final)


def test_sal_gradients_are_closer_to_backprop_than_fa_gradients(deep):
    """In every hidden layer, the seed-mean angle between SAL's weight gradient and backprop's (same batch)
    is ≥ 10° below FA's after the last epoch. Measured: 22-27° below (per-seed ranges ≤ 11°, so each 3-seed
    mean is good to ~±5°); at initialisation both are 79-100° (the same random B)."""
    hidden = [f"fc{k}" for k in (1, 2, 3)]
    sal = deep["gradient_angle"].sel({"method": "sal", "layer": hidden}).isel(epoch=-1).mean("seed").values
    fa = deep["gradient_angle"].sel({"method": "fa", "layer": hidden}).isel(epoch=-1).mean("seed").values
    assert np.all(sal < fa - 10), (sal, fa)
    start = deep["initial_gradient_angle"].sel({"method": "sal", "layer": hidden}).values
    assert np.all(start > 60), start


def test_backprop_and_every_output_layer_have_exactly_backprops_gradient(deep):
    """BP's gradients are backprop's (angle exactly 0), and so is every method's output-layer gradient."""
    assert np.all(deep["gradient_angle"].sel({"method": "bp"}).values == 0)
    assert np.all(deep["gradient_angle"].sel({"layer": "fc4"}).values == 0)
    assert np.all(deep["angle"].sel({"method": "bp"}).values == 0)


def test_gradient_probe_leaves_training_unchanged():
    """Training with the probe is bitwise the training without it (it restores BatchNorm's running statistics
    and draws no random numbers), and it leaves the network's state as it found it."""
    data = load_dataset("digits")
    p = small_params(2, 16, ["sal"], [0], 2)
    run = {k: p[k] for k in ("dataset", "data_path", "epochs", "batch_size", "test_batch_size", "lr", "momentum",
                             "double_softmax", "augment")}
    run.update(method="sal", seed=5, hidden=[16, 16], weight_decay=0.0, phase=SHORT_PHASE)

    def build(rng):
        return CNN("sal", data.input_shape, rng, channels=(), hidden=[16, 16])

    with threadpool_limits(1):
        plain = fit(run, data, build)
        probed = fit(run, data, build, gradient_batch=100)
    for name in plain.data_vars:
        np.testing.assert_array_equal(plain[name].values, probed[name].values, err_msg=name)
    net = build(np.random.default_rng(0))
    before = {k: v.copy() for k, v in net.state().items()}
    angles = net.gradient_angles(SoftmaxCrossEntropy(False), data.normalize(data.x_train[:50]), data.y_train[:50])
    assert angles.shape == (3,) and np.all(np.isfinite(angles))
    for key, value in net.state().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)
    assert [fc.feedback for fc in net.fc] == ["B"] * 3


def test_network_without_conv_blocks_is_a_flat_mlp():
    """channels=() gives fc layers on the flattened image; the first skips its unused input gradient."""
    net = CNN("fa", (8, 8, 1), np.random.default_rng(0), channels=(), hidden=[32, 16])
    assert net.sizes == [64, 32, 16, 10] and net.convs == []
    assert [fc.input_grad for fc in net.fc] == [False, True, True]
    x = np.random.default_rng(1).normal(size=(4, 8, 8, 1)).astype(np.float32)
    net.backward(np.ones_like(net.forward(x)))
    assert net.fc[0].W.grad.shape == (32, 64)


def test_summary_pads_shallower_networks_and_metrics_use_their_layers():
    """Stacking a 1- and a 2-hidden-layer run: fc3 is NaN for depth 1, and the feedback angle averages the
    used B only (fc2 … fc_{depth+1}), the gradient angle the hidden layers only (fc1 … fc_depth)."""
    with threadpool_limits(1):
        runs = {(f"{d}x16",): scaling_run(small_params(d, 16, ["bp", "fa"], [0], 1)) for d in (1, 2)}
    summary = scaling_summary(runs, depths=[1, 2], depth_width=16, widths=[16], width_depth=1)
    assert list(summary["layer"].values) == ["fc1", "fc2", "fc3"]
    assert np.all(np.isnan(summary["angle"].sel(shape="1x16", layer="fc3").values))
    assert list(summary["in_width_sweep"].values) == [True, False]
    metrics = scaling_metrics(summary)
    final = summary.isel(epoch=-1).sel({"method": "fa"})
    shallow = metrics.sel({"method": "fa", "shape": "1x16"})
    np.testing.assert_allclose(shallow["feedback_angle"], final["angle"].sel(shape="1x16", layer="fc2"))
    np.testing.assert_allclose(shallow["gradient_angle"], final["gradient_angle"].sel(shape="1x16", layer="fc1"))
    deep2 = metrics.sel({"method": "fa", "shape": "2x16"})
    np.testing.assert_allclose(deep2["feedback_angle"],
                               final["angle"].sel(shape="2x16", layer=["fc2", "fc3"]).mean("layer"))
    assert np.all(metrics["gap"].sel({"method": "bp"}).values == 0)


def test_scaling_run_needs_bp_as_the_reference():
    p = small_params(1, 8, ["fa", "sal"], [0], 1)
    with pytest.raises(ValueError, match="methods.*including bp"):
        ScalingRun.check(p)


@pytest.mark.parametrize("key, value, message", [
    ("methods", ["fa", "sal"], "does not contain items matching"),
    ("depths", [0], "less than the minimum of 1"),
    ("sal_phase", {"steps": 3}, "'steps' was unexpected"),
])
def test_config_rejects_a_bad_scaling_block(key, value, message):
    """The schema names the bad key of deepnet.scaling and why."""
    config = sal.config.read_yaml(ROOT / "config" / "config.yaml")
    config["deepnet"]["scaling"][key] = value
    with pytest.raises(sal.config.ConfigError, match=rf"deepnet\.scaling\.{key}.*{re.escape(message)}"):
        sal.config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
