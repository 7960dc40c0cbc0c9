"""The fig-8 CNN (spec deepnet §1, §6, §7): gradients, feedback variants, digits, training, checkpoints
(data-set files and retrieve: test_deepnet_data.py)."""

import dataclasses
import pickle
import sys
import types

import numpy as np
import pytest
import xarray as xr

from sal import store
from sal.store import provenance
from sal.deepnet import CNN, METHODS, load_dataset, quick_params, train
from sal.deepnet.layers import SGD, BatchNorm, Conv2d, Linear, MaxPool2, SoftmaxCrossEntropy
from sal.deepnet.network import small_network
from sal.progress import Progress

train_module = sys.modules["sal.deepnet.train"]  # the module (sal.deepnet.train is also the function)

F64 = np.float64


def numeric_grad(loss, arr, eps=1e-6):
    """Central finite differences of the scalar ``loss()`` w.r.t. every entry of ``arr`` (changed in place)."""
    grad = np.zeros_like(arr)
    for idx in np.ndindex(arr.shape):
        old = arr[idx]
        arr[idx] = old + eps
        up = loss()
        arr[idx] = old - eps
        down = loss()
        arr[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def check_layer(layer, x, params=()):
    """Gradient check of L = Σ R ⊙ layer(x) for the input and the given Params (train mode)."""
    rng = np.random.default_rng(1)
    r = rng.normal(size=layer.forward(x.copy(), True).shape)

    def loss():
        return float(np.sum(r * layer.forward(x, True)))

    layer.forward(x, True)
    dx = layer.backward(r)
    analytic = [p.grad.copy() for p in params]
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-6, atol=1e-8)
    for p, g in zip(params, analytic):
        np.testing.assert_allclose(g, numeric_grad(loss, p.value), rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------- gradient checks (float64)
@pytest.mark.parametrize("padding", [0, 1])
def test_conv_gradients(padding):
    rng = np.random.default_rng(0)
    conv = Conv2d("c", 2, 3, 3, rng, F64, padding=padding)
    check_layer(conv, rng.normal(size=(2, 5, 6, 2)), [conv.W])


@pytest.mark.parametrize("shape", [(3, 4, 4, 3), (6, 5)])
def test_batchnorm_train_mode_gradients(shape):
    rng = np.random.default_rng(0)
    bn = BatchNorm("bn", shape[-1], F64)
    bn.gamma.value[:] = rng.uniform(0.5, 1.5, shape[-1])
    bn.beta.value[:] = rng.normal(size=shape[-1])
    check_layer(bn, rng.normal(size=shape), [bn.gamma, bn.beta])


def test_batchnorm_running_statistics_and_eval_mode():
    rng = np.random.default_rng(0)
    x = rng.normal(2.0, 3.0, size=(50, 4))
    bn = BatchNorm("bn", 4, F64)
    y = bn.forward(x, True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1))
    np.testing.assert_allclose(bn.forward(x, False), (x - bn.running_mean) / np.sqrt(bn.running_var + 1e-5))


def test_maxpool_gradients_and_ties():
    rng = np.random.default_rng(0)
    check_layer(MaxPool2("p"), rng.normal(size=(2, 5, 4, 3)))  # odd height: last row dropped
    pool = MaxPool2("p")
    pool.forward(np.zeros((1, 2, 2, 1)), True)
    dx = pool.backward(np.ones((1, 1, 1, 1)))
    assert dx[0, :, :, 0].tolist() == [[1, 0], [0, 0]]  # a tie sends the gradient to the first maximum only


def test_linear_gradients():
    rng = np.random.default_rng(0)
    fc = Linear("fc", 5, 4, rng, F64)
    check_layer(fc, rng.normal(size=(3, 5)), [fc.W, fc.b])


@pytest.mark.parametrize("double_softmax", [False, True])
def test_softmax_cross_entropy_gradients(double_softmax):
    rng = np.random.default_rng(0)
    z, labels = rng.normal(size=(4, 10)), np.array([0, 3, 9, 3])
    ce = SoftmaxCrossEntropy(double_softmax)
    ce.forward(z, labels)
    np.testing.assert_allclose(ce.backward(), numeric_grad(lambda: ce.forward(z, labels), z), rtol=1e-6, atol=1e-9)


def test_double_softmax_loss_is_bounded_below():
    ce = SoftmaxCrossEntropy(True)
    perfect = np.array([[50.0] + [0.0] * 9])
    assert ce.forward(perfect, np.array([0])) == pytest.approx(np.log(np.e + 9) - 1, rel=1e-9)  # ≈ 1.46
    assert SoftmaxCrossEntropy(False).forward(perfect, np.array([0])) < 1e-9


@pytest.mark.parametrize("double_softmax", [False, True])
def test_whole_bp_network_gradients(double_softmax):
    rng = np.random.default_rng(0)
    net = CNN("bp", (8, 8, 1), rng, channels=(3, 2), kernel=3, padding=1, hidden=(5, 4), dtype=F64)
    x, labels = rng.normal(size=(4, 8, 8, 1)), np.array([1, 0, 9, 4])
    ce = SoftmaxCrossEntropy(double_softmax)
    ce.forward(net.forward(x, True), labels)
    net.backward(ce.backward())
    for p in net.params():
        analytic = p.grad.copy()
        np.testing.assert_allclose(analytic, numeric_grad(lambda: ce.forward(net.forward(x, True), labels), p.value),
                                   rtol=1e-5, atol=1e-9)


# --------------------------------------------------------------------------- feedback variants
CLAIMED = {"bp": ("W", "W"), "fa": ("B", "B"), "bp_fa": ("W", "B"), "kp": ("B", "B"), "scfa": ("sign", "B"),
           "sal": ("B", "B"), "rdd": ("B", "B")}


def conv_input_grad(dy, kernel, in_shape):
    """Reference transposed convolution (no padding) by its definition."""
    dx = np.zeros(in_shape)
    n, ho, wo, o = dy.shape
    k = kernel.shape[2]
    for i in range(ho):
        for j in range(wo):
            dx[:, i:i + k, j:j + k, :] += np.einsum("no,ocab->nabc", dy[:, i, j, :], kernel)
    return dx


def test_every_method_is_tested():
    assert set(CLAIMED) == set(METHODS)


@pytest.mark.parametrize("method", sorted(CLAIMED))
def test_fc_layers_send_the_claimed_feedback(method):
    rng = np.random.default_rng(0)
    net = CNN(method, (8, 8, 1), rng, **small_network(), dtype=F64)
    for fc in net.fc:
        W, B = fc.W.value, fc.B.value
        x = rng.normal(size=(6, W.shape[1]))
        delta = rng.normal(size=(6, W.shape[0]))
        fc.forward(x)
        dx = fc.backward(delta)
        expected = {"W": W, "B": B, "sign": np.abs(B) * np.sign(W)}[CLAIMED[method][0]]
        np.testing.assert_allclose(dx, delta @ expected, rtol=1e-12)
        if CLAIMED[method][0] != "W":
            assert not np.allclose(dx, delta @ W, rtol=0.1)
        if method == "scfa":
            assert np.all(B >= 0)  # B holds |B0|
        np.testing.assert_allclose(fc.W.grad, delta.T @ x, rtol=1e-12)  # weight gradients are the true ones


@pytest.mark.parametrize("method", sorted(CLAIMED))
def test_conv_layers_send_the_claimed_feedback(method):
    rng = np.random.default_rng(0)
    net = CNN(method, (12, 12, 1), rng, channels=(2, 3), kernel=3, padding=0, hidden=(4, 4), dtype=F64)
    conv = net.convs[1]
    x = rng.normal(size=(2, 5, 5, 2))
    dy = rng.normal(size=conv.forward(x).shape)
    dx = conv.backward(dy)
    kernel = conv.W.value if CLAIMED[method][1] == "W" else conv.B.value
    np.testing.assert_allclose(dx, conv_input_grad(dy, kernel, x.shape), rtol=1e-12)
    if CLAIMED[method][1] == "B":
        assert not np.allclose(dx, conv_input_grad(dy, conv.W.value, x.shape), rtol=0.1)


def test_bp_fa_has_true_fc_gradients_and_fa_in_conv():
    rng = np.random.default_rng(3)
    x, labels = rng.normal(size=(5, 8, 8, 1)), rng.integers(0, 10, 5)
    grads = {}
    for method in ("bp", "bp_fa"):
        net = CNN(method, (8, 8, 1), np.random.default_rng(0), **small_network(), dtype=F64)
        ce = SoftmaxCrossEntropy(False)
        ce.forward(net.forward(x), labels)
        net.backward(ce.backward())
        grads[method] = {"fc": [fc.W.grad for fc in net.fc], "conv": [c.W.grad for c in net.convs]}
    for g_bp, g_bpfa in zip(grads["bp"]["fc"], grads["bp_fa"]["fc"]):
        np.testing.assert_array_equal(g_bp, g_bpfa)
    np.testing.assert_array_equal(grads["bp"]["conv"][1], grads["bp_fa"]["conv"][1])  # reached through FC W only
    assert not np.allclose(grads["bp"]["conv"][0], grads["bp_fa"]["conv"][0], rtol=0.1)  # through conv2's B


def test_kolen_pollack_drives_W_minus_B_to_zero_geometrically():
    rng = np.random.default_rng(0)
    lr, momentum, decay = 0.01, 0.9, 0.1
    net = CNN("kp", (8, 8, 1), rng, **small_network(), weight_decay=decay)
    assert {id(p) for p in net.params() if p.weight_decay} == {id(q) for fc in net.fc for q in (fc.W, fc.B)}
    ce, opt = SoftmaxCrossEntropy(False), SGD(net.params(), lr, momentum)
    norm0 = [np.linalg.norm(fc.W.value - fc.B.value) for fc in net.fc]
    m, d, ratios = 0.0, 1.0, []  # W - B obeys a data-independent recurrence: m ← μ m + λ d, d ← d − η m
    for step in range(1, 301):
        ce.forward(net.forward(rng.normal(size=(16, 8, 8, 1)).astype(np.float32)), rng.integers(0, 10, 16))
        net.backward(ce.backward())
        opt.step()
        m = momentum * m + decay * d
        d -= lr * m
        if step % 100 == 0:
            ratios.append([np.linalg.norm(fc.W.value - fc.B.value) / n0 for fc, n0 in zip(net.fc, norm0)])
            np.testing.assert_allclose(ratios[-1], d, rtol=1e-3)
    ratios = np.array(ratios)
    assert np.all(ratios[-1] < 0.06)
    np.testing.assert_allclose(ratios[1] / ratios[0], ratios[2] / ratios[1], rtol=0.05)  # geometric
    assert all(np.linalg.norm(fc.W.value) > 0.1 for fc in net.fc)  # W itself does not decay away


# --------------------------------------------------------------------------- data sets
def test_digits_loader():
    d = load_dataset("digits")
    assert d.x_train.shape == (1437, 8, 8, 1) and d.x_test.shape == (360, 8, 8, 1)
    assert d.x_train.dtype == np.uint8 and set(np.unique(d.y_train)) == set(range(10))
    x = d.normalize(d.x_train)
    assert x.dtype == np.float32 and abs(x.mean()) < 1e-5 and x.std() == pytest.approx(1, abs=1e-5)
    np.testing.assert_array_equal(load_dataset("digits").y_test, d.y_test)  # fixed split


def test_augmentation_is_seeded():
    d = load_dataset("digits")
    x = d.x_train[:64]
    a1, a2 = d.augment(x, np.random.default_rng(5)), d.augment(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a1, a2)
    flipped = np.array([np.array_equal(a, b[:, ::-1]) and not np.array_equal(a, b) for a, b in zip(a1, x)])
    assert 16 < flipped.sum() < 48
    crop = dataclasses.replace(d, augmentation="crop_flip")
    c = crop.augment(x, np.random.default_rng(5))
    assert c.shape == x.shape and not np.array_equal(c, a1)


# --------------------------------------------------------------------------- training
class StubPhase:
    """Stands in for SALPhase/RDDPhase: moves B a random fraction toward W; keeps a counter as state."""

    calls = []

    def __init__(self, sizes, *, rng, rate=0.5):
        self.sizes, self.rng, self.rate, self.count = sizes, rng, rate, 0

    def run(self, W_list, b_list, B_list):
        StubPhase.calls.append([(W.shape, b.shape, B.shape) for W, b, B in zip(W_list, b_list, B_list)])
        self.count += 1
        for W, B in zip(W_list, B_list):
            B += (self.rate * self.rng.uniform(0.5, 1.0)) * (W - B)


@pytest.fixture
def stub_phases(monkeypatch):
    StubPhase.calls = []
    monkeypatch.setattr(train_module, "PHASES", {"sal": StubPhase, "rdd": StubPhase})
    return StubPhase.calls


def quick(method, **override):
    return {**quick_params(method, 7), **override}


def test_short_bp_training_on_digits_learns():
    ds = train(quick("bp", epochs=5))
    assert ds["test_accuracy"].values[-1] > 85
    assert ds["train_loss"].values[-1] < ds["train_loss"].values[0]
    np.testing.assert_array_equal(ds["angle"].values, 0)  # bp: the feedback is W itself
    assert ds.attrs["sal_kind"] == "deepnet.train" and store.parameters(ds)["method"] == "bp"


def test_seeded_epoch_is_bitwise_reproducible(tmp_path):
    p = quick("fa", epochs=1, augment=True)
    runs = [train(p, checkpoint=tmp_path / f"run{i}.pkl") for i in range(2)]
    xr.testing.assert_identical(runs[0], runs[1])
    states = [pickle.loads((tmp_path / f"run{i}.pkl").read_bytes())["network"] for i in range(2)]
    for key in states[0]:
        assert states[0][key].tobytes() == states[1][key].tobytes(), key
    other = train({**p, "seed": 8})
    assert not np.array_equal(other["train_loss"].values, runs[0]["train_loss"].values)


@pytest.mark.parametrize("method", ["kp", "sal"])
def test_checkpoint_resume_equals_uninterrupted_run(method, stub_phases, tmp_path, monkeypatch):
    p = quick(method, epochs=3, augment=True)
    full = train(p)
    path = tmp_path / "ckpt.pkl"
    original = Progress.update

    def interrupt(self, n=1):
        original(self, n)
        raise KeyboardInterrupt  # killed right after epoch 1 was checkpointed

    monkeypatch.setattr(Progress, "update", interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(p, checkpoint=path)
    monkeypatch.setattr(Progress, "update", original)
    assert pickle.loads(path.read_bytes())["epoch"] == 1
    resumed = train(p, checkpoint=path)
    xr.testing.assert_identical(full, resumed)
    for key in full.data_vars:
        assert full[key].values.tobytes() == resumed[key].values.tobytes(), key
    with pytest.raises(ValueError, match="other parameters"):
        train({**p, "lr": 0.02}, checkpoint=path)


def test_phase_runs_before_each_epoch_and_aligns(stub_phases):
    ds = train(quick("sal", epochs=2))
    sizes = [32, 64, 32, 10]
    shapes = [((o, i), (o,), (o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    assert stub_phases == [shapes, shapes]
    assert np.all(ds["angle_after_phase"].values[0] < ds["initial_angle"].values)
    assert ds["initial_angle"].values == pytest.approx(90, abs=6)


def test_bad_parameters_name_key_and_allowed_values():
    with pytest.raises(ValueError, match="'method' is 'sgd'"):
        train(quick("sgd"))
    with pytest.raises(ValueError, match="unknown deepnet parameters \\['lr_decay'\\]"):
        train({**quick("bp"), "lr_decay": 0.1})


def _fake_run(dataset, method, seed, accuracy, n_in):
    """A stored-run lookalike: constant test accuracy, angles falling from 90° (no training needed)."""
    epochs = np.arange(1, 7)
    layers = ["fc1", "fc2", "fc3"]
    angle = np.linspace(80, 20, epochs.size)[:, None] * np.ones(3)
    data = {"train_accuracy": ("epoch", np.full(epochs.size, accuracy)),
            "test_accuracy": ("epoch", np.full(epochs.size, accuracy)),
            "test_loss": ("epoch", np.full(epochs.size, 0.5)),
            "angle": (("epoch", "layer"), angle), "initial_angle": ("layer", np.full(3, 90.0))}
    coords = {"epoch": epochs, "layer": layers, "layer_size_in": ("layer", [n_in, 384, 192]),
              "layer_size_out": ("layer", [384, 192, 10])}
    return xr.Dataset(data, coords=coords, attrs=provenance("deepnet.train", {"dataset": dataset, "method": method,
                                                                              "seed": seed}, seed))


def test_fig8_summary_and_table_keep_methods_and_datasets_apart():
    """Two data sets with different fc1 sizes stack; the table's cells are each method's own mean ± std."""
    from sal.deepnet.summaries import training_summary
    from sal.plotting.deepnet import fig8, fig8_table

    accuracy = {("svhn", "bp"): (90, 92), ("svhn", "sal"): (88, 86),
                ("fashion_mnist", "bp"): (91, 91), ("fashion_mnist", "sal"): (80, 84)}
    runs = {(d, m, s): _fake_run(d, m, s, acc[s], 1600 if d == "svhn" else 1024)
            for (d, m), acc in accuracy.items() for s in (0, 1)}
    summary = training_summary(runs)
    _, table = fig8_table(summary)
    cells = {(r.method, r.dataset): (r.accuracy_mean, r.accuracy_std) for r in table.itertuples()}
    for key, acc in accuracy.items():
        assert cells[key[::-1]] == pytest.approx((np.mean(acc), np.std(acc)))
    fig, numbers = fig8(summary)
    assert list(numbers["dataset"].unique()) == ["svhn", "fashion_mnist"]  # config order, curves of the first
    curve = numbers[(numbers.method == "sal") & (numbers.quantity == "test_accuracy")]
    assert set(curve["dataset"]) == {"svhn"} and curve["value"].tolist() == pytest.approx([87] * 6)
