"""One CNN training run of fig 8 as params -> xarray.Dataset (spec deepnet §1, §6, §7), with resumable checkpoints.

Per epoch: for ``sal``/``rdd`` the phase object first updates the FC feedback matrices B in place (as the
official code, before the epoch's SGD); then one pass of SGD over the shuffled (and, if ``augment``,
augmented) training set in batches, then the test set in evaluation mode; then the alignment metrics.
All methods log the alignment at the same point, after the epoch's SGD (the official code logs sal/rdd
before SGD and the others after); sal/rdd additionally log the angle right after their phase. The metrics
compare W with the feedback the backward pass actually uses (W for bp and bp_fa, |B₀| ⊙ sign W for scfa,
B otherwise). The test set doubles as the validation set (as in the paper's code).

:func:`fit` is the loop itself, for any network of the ``CNN`` class (the fully connected networks of the
depth study are CNNs without conv blocks); with ``gradient_batch`` it also logs the gradient alignment
(``CNN.gradient_angles``) on the first ``gradient_batch`` training images, at initialisation and after every
epoch's SGD (no random numbers drawn, so training is unchanged).

Seeding: ``seed`` → ``SeedSequence(seed).spawn(4)`` → Generators for initialisation, batch order,
augmentation and the phase (handed to the phase object, which keeps it). Every array of the state
(weights, B, momenta, BatchNorm statistics), the Generators' states, the phase object (pickled: it must
be picklable) and the metrics so far go into the checkpoint after every epoch, so a resumed run is bitwise
identical to an uninterrupted one.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from ..checkpoint import Checkpoint
from ..progress import Progress
from ..rng import substreams
from ..store import provenance
from .data import load_dataset
from .layers import SGD, SoftmaxCrossEntropy
from .network import CNN, PHASE_METHODS
from .params import Train
from .rdd import RDDPhase
from .salphase import SALPhase

PHASES = {"sal": SALPhase, "rdd": RDDPhase}
STREAMS = ("init", "batches", "augment", "phase")
CHECKPOINT_KIND = "sal.deepnet.train checkpoint"
METRICS = {
    "angle": ("degree", "angle between W and the feedback matrix used in the backward pass"),
    "var_difference": ("1", "variance of the entries of W minus the feedback matrix (unbiased)"),
    "correlation": ("1", "correlation coefficient of the entries of W and the feedback matrix"),
    "sign_agreement": ("1", "mean of sign(W) * sign(feedback matrix), in [-1, 1]"),
}


def make_phase(method: str, sizes, kwargs: dict, rng: np.random.Generator):
    """The SAL or RDD phase object for FC sizes ``sizes``, drawing from ``rng``. Its ``run(W_list, b_list,
    B_list)`` updates the FC feedback matrices in place."""
    return PHASES[method](list(sizes), rng=rng, **kwargs)


def run_phase(phase, net) -> None:
    """One SAL/RDD phase on float64 copies of the FC W, b and B (the phases accumulate small updates in
    double precision); the updated B is copied back into the network's (float32) feedback matrices."""
    W_list, b_list, B_list = net.phase_lists()
    B64 = [B.astype(np.float64) for B in B_list]
    phase.run([W.astype(np.float64) for W in W_list], [b.astype(np.float64) for b in b_list], B64)
    for B, updated in zip(B_list, B64):
        B[...] = updated


def run_epoch(net, loss, optimizer, data, p, rng_batches, rng_augment) -> tuple[float, float]:
    """One SGD pass over the training set; returns (mean loss, accuracy in %) of the epoch's batches."""
    n = len(data.y_train)
    order = rng_batches.permutation(n)
    total, correct = 0.0, 0
    for start in range(0, n, p["batch_size"]):
        idx = order[start:start + p["batch_size"]]
        x = data.x_train[idx]
        if p["augment"]:
            x = data.augment(x, rng_augment)
        scores = net.forward(data.normalize(x), train=True)
        y = data.y_train[idx]
        total += loss.forward(scores, y) * len(idx)
        net.backward(loss.backward())
        optimizer.step()
        correct += int(np.count_nonzero(scores.argmax(axis=1) == y))
    return total / n, 100.0 * correct / n


def evaluate(net, loss, data, batch_size) -> tuple[float, float]:
    """(mean loss, accuracy in %) on the test set, BatchNorm in evaluation mode."""
    n = len(data.y_test)
    total, correct = 0.0, 0
    for start in range(0, n, batch_size):
        x, y = data.x_test[start:start + batch_size], data.y_test[start:start + batch_size]
        scores = net.forward(data.normalize(x), train=False)
        total += loss.forward(scores, y) * len(y)
        correct += int(np.count_nonzero(scores.argmax(axis=1) == y))
    return total / n, 100.0 * correct / n


def train(params: dict, checkpoint=None) -> xr.Dataset:
    """Train the CNN of ``params`` (see ``params.paper_params``) and return per-epoch losses, accuracies and
    W–B alignment metrics per FC layer. With ``checkpoint`` (a file path), the full state is saved there
    atomically after every epoch, and a run finds and resumes it (same parameters; ``epochs`` may grow)."""
    p = json.loads(json.dumps(Train.check(params)))  # a deep copy, as JSON (what the result file stores)
    data = load_dataset(p["dataset"], p["data_path"])
    return fit(p, data, lambda rng: CNN(p["method"], data.input_shape, rng, **p["network"],
                                        weight_decay=p["weight_decay"]), checkpoint)


def gradient_probe(net, loss, data, n: int):
    """A function returning ``net.gradient_angles`` on the first ``n`` training images (fixed, not augmented)."""
    x, labels = data.normalize(data.x_train[:n]), data.y_train[:n]
    return lambda: net.gradient_angles(loss, x, labels)


def fit(p: dict, data, build, checkpoint=None, gradient_batch=None) -> xr.Dataset:
    """The training loop of ``train`` for the checked parameters ``p`` (a JSON-able dict with the keys of
    ``params.Train`` except ``network``; it names the checkpoint and the result) on ``data``, for the network
    ``build(rng)`` returns from the initialisation Generator. ``gradient_batch``: log the gradient alignment
    on that many training images (None: not)."""
    rngs = dict(zip(STREAMS, substreams(p["seed"], len(STREAMS))))
    net = build(rngs["init"])
    loss = SoftmaxCrossEntropy(p["double_softmax"])
    optimizer = SGD(net.params(), p["lr"], p["momentum"])
    phase = make_phase(p["method"], net.sizes, p["phase"], rngs["phase"]) if p["method"] in PHASE_METHODS else None
    probe = None if gradient_batch is None else gradient_probe(net, loss, data, gradient_batch)
    records = {"initial": net.alignment(), "epochs": []}
    if probe is not None:
        records["initial_gradient_angle"] = probe()

    saver = Checkpoint(checkpoint, CHECKPOINT_KIND, p)
    state = saver.load()
    if state is not None:
        net.load_state(state["network"])
        for name, rng_state in state["rngs"].items():
            rngs[name].bit_generator.state = rng_state
        phase, records = state["phase"], state["records"]

    progress = Progress(p["epochs"] - len(records["epochs"]),
                        f"deepnet {p['dataset']} {p['method']} seed {p['seed']}")
    for epoch in range(len(records["epochs"]), p["epochs"]):
        record = {}
        if phase is not None:
            run_phase(phase, net)
            record["angle_after_phase"] = net.alignment()["angle"]
        record["train_loss"], record["train_accuracy"] = run_epoch(
            net, loss, optimizer, data, p, rngs["batches"], rngs["augment"])
        record["test_loss"], record["test_accuracy"] = evaluate(net, loss, data, p["test_batch_size"])
        if not all(np.all(np.isfinite(prm.value)) for prm in net.params()):
            raise FloatingPointError(f"deepnet {p['method']}: parameters diverged in epoch {epoch}")
        record["alignment"] = net.alignment()
        if probe is not None:
            record["gradient_angle"] = probe()
        records["epochs"].append(record)
        saver.save(epoch + 1, {"network": net.state(), "rngs": {k: g.bit_generator.state for k, g in rngs.items()},
                               "phase": phase, "records": records})
        progress.update()
    return _dataset(p, net, records)


def _dataset(p: dict, net: CNN, records: dict) -> xr.Dataset:
    epochs = records["epochs"]
    layers = [fc.name for fc in net.fc]
    data = {}
    for key, long_name in (("train_loss", "mean training loss of the epoch's batches (train mode, during SGD)"),
                           ("test_loss", "mean test loss (evaluation mode, after the epoch)")):
        data[key] = xr.Variable("epoch", [r[key] for r in epochs], {"units": "1", "long_name": long_name})
    for key, long_name in (("train_accuracy", "training accuracy of the epoch's batches (during SGD)"),
                           ("test_accuracy", "test accuracy (evaluation mode, after the epoch)")):
        data[key] = xr.Variable("epoch", [r[key] for r in epochs], {"units": "percent", "long_name": long_name})
    for key, (units, long_name) in METRICS.items():
        data[key] = xr.Variable(("epoch", "layer"), np.array([r["alignment"][key] for r in epochs]),
                                {"units": units, "long_name": long_name + ", after the epoch's SGD"})
        data[f"initial_{key}"] = xr.Variable("layer", records["initial"][key],
                                             {"units": units, "long_name": long_name + ", at initialisation"})
    if p["method"] in PHASE_METHODS:
        data["angle_after_phase"] = xr.Variable(
            ("epoch", "layer"), np.array([r["angle_after_phase"] for r in epochs]),
            {"units": "degree", "long_name": f"angle between W and B right after the epoch's {p['method']} phase"})
    if "initial_gradient_angle" in records:
        long_name = "angle between the weight gradient under the method's feedback and backprop's, same batch"
        data["gradient_angle"] = xr.Variable(("epoch", "layer"), np.array([r["gradient_angle"] for r in epochs]),
                                             {"units": "degree", "long_name": long_name + ", after the epoch's SGD"})
        data["initial_gradient_angle"] = xr.Variable(
            "layer", records["initial_gradient_angle"], {"units": "degree", "long_name": long_name + ", at initialisation"})
    coords = {"epoch": ("epoch", np.arange(1, len(epochs) + 1), {"long_name": "epochs completed"}),
              "layer": ("layer", layers, {"long_name": "fully connected layer"}),
              "layer_size_in": ("layer", net.sizes[:-1], {"long_name": "input size of the layer"}),
              "layer_size_out": ("layer", net.sizes[1:], {"long_name": "output size of the layer"})}
    return xr.Dataset(data, coords=coords, attrs=provenance("deepnet.train", p, p["seed"]))
