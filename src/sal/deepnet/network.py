"""The CNN of fig 8 and its seven feedback variants (spec deepnet §1), plus the W–B alignment metrics.

Two conv blocks (Conv k×k, no bias → ReLU → BatchNorm2d → MaxPool 2), then fc1 → ReLU → BatchNorm1d,
fc2 → ReLU → BatchNorm1d, fc3 → softmax (in the loss). Paper: 64 channels, k = 5, FC [n_flat, 384, 192, 10];
``small_network()`` is the 8×8-digits variant of the quick study. Without conv blocks (``channels=()``) the
same class is the fully connected network of the depth and width study: flattened pixels, then any number of
fc → ReLU → BatchNorm1d blocks, then the output layer.

A method is a choice of feedback in the FC and conv layers (the same layer classes for all):

    method  FC input gradient   conv input gradient   feedback matrices B
    bp      δ W                 true (W)              unused
    fa      δ B                 FA (B)                fixed random
    bp_fa   δ W                 FA (B)                conv B fixed: upper limit of FC-only methods
    kp      δ B                 FA (B)                FC B gets W's gradient δᵀx; weight decay on FC W and B
    scfa    δ (|B₀| ⊙ sign W)   FA (B)                |B₀| fixed
    sal     δ B                 FA (B)                set by the SAL sleep phase before each epoch
    rdd     δ B                 FA (B)                set by the RDD phase before each epoch
"""

from __future__ import annotations

import numpy as np

from .. import checks
from ..metrics import angle
from .layers import BatchNorm, Conv2d, Flatten, Linear, MaxPool2, ReLU

# method -> (FC feedback, conv feedback, FC B learns W's gradient)
METHODS = {
    "bp": ("W", "W", False),
    "fa": ("B", "B", False),
    "bp_fa": ("W", "B", False),
    "kp": ("B", "B", True),
    "scfa": ("sign", "B", False),
    "sal": ("B", "B", False),
    "rdd": ("B", "B", False),
}
PHASE_METHODS = ("sal", "rdd")


def paper_network() -> dict:
    """The paper's architecture: 2 × (conv 5×5, 64 channels), FC hidden sizes 384, 192."""
    return {"channels": [64, 64], "kernel": 5, "padding": 0, "hidden": [384, 192]}


def small_network() -> dict:
    """The quick-study network for 8×8 digits: 2 × (conv 3×3 with zero padding 1, 8 channels), FC 64, 32.

    With padding 1 the maps go 8 → 8 → pool 4 → 4 → pool 2, so n_flat = 8·2·2 = 32 (unpadded 3×3 or 5×5
    kernels shrink an 8×8 image to nothing after two blocks).
    """
    return {"channels": [8, 8], "kernel": 3, "padding": 1, "hidden": [64, 32]}


def flat_size(input_shape, channels, kernel, padding) -> int:
    """Features after the conv blocks (H·W·C without any) for an (H, W, C) input."""
    h, w, c = input_shape
    if not channels:
        return h * w * c
    for _ in channels:
        h, w = (h + 2 * padding - kernel + 1) // 2, (w + 2 * padding - kernel + 1) // 2
    if h < 1 or w < 1:
        raise ValueError(f"input {tuple(input_shape)} is too small for two blocks of {kernel}×{kernel} conv "
                         f"(padding {padding}) + 2×2 pooling")
    return channels[-1] * h * w


class CNN:
    """The fig-8 network for one feedback ``method``; parameters drawn from ``rng``.

    Draw order (the same for every method, so one seed gives the same W for all methods): per conv layer
    W then B; per FC layer W, B, bias; each ~ U(±1/√fan_in) independently. BatchNorm γ = 1, β = 0.
    ``weight_decay`` applies to the FC W and B only (the official KP parameter groups); all else has none.
    """

    def __init__(self, method, input_shape, rng, channels=(64, 64), kernel=5, padding=0, hidden=(384, 192),
                 n_classes=10, weight_decay=0.0, dtype=np.float32):
        if method not in METHODS:
            raise ValueError(f"unknown feedback method {method!r}; known: {sorted(METHODS)}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
        if len(tuple(input_shape)) != 3:
            raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
        for k, n in enumerate(input_shape):
            checks.integer(f"input_shape[{k}]", n, ge=1)
        for name, values in (("channels", channels), ("hidden", hidden)):
            for k, n in enumerate(values):
                checks.integer(f"{name}[{k}]", n, ge=1)
        checks.integer("kernel", kernel, ge=1)
        checks.integer("padding", padding, ge=0)
        checks.integer("n_classes", n_classes, ge=2)
        checks.number("weight_decay", weight_decay, ge=0)
        fc_feedback, conv_feedback, learn_feedback = METHODS[method]
        self.method = method
        h, w, c = input_shape
        self.sizes = [flat_size(input_shape, channels, kernel, padding), *hidden, n_classes]
        self.layers = []
        self.convs = []
        for i, n_out in enumerate(channels, start=1):
            conv = Conv2d(f"conv{i}", c, n_out, kernel, rng, dtype, conv_feedback, padding, input_grad=i > 1)
            self.convs.append(conv)
            self.layers += [conv, ReLU(f"relu{i}"), BatchNorm(f"bn{i}", n_out, dtype), MaxPool2(f"pool{i}")]
            c = n_out
        self.layers.append(Flatten("flatten"))
        self.fc = []
        n_fc = len(self.sizes) - 1
        for i, (n_in, n_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            fc = Linear(f"fc{i}", n_in, n_out, rng, dtype, fc_feedback, learn_feedback, weight_decay,
                        input_grad=bool(channels) or i > 1)
            self.fc.append(fc)
            self.layers.append(fc)
            if i < n_fc:
                j = len(channels) + i
                self.layers += [ReLU(f"relu{j}"), BatchNorm(f"bn{j}", n_out, dtype)]

    def forward(self, x, train=True):
        """Class scores (batch, n_classes) of NHWC inputs; ``train`` selects BatchNorm's mode."""
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, dz) -> None:
        """Propagate dL/dscores; fills every parameter's gradient (stops at the first layer that needs no
        input gradient)."""
        for layer in reversed(self.layers):
            dz = layer.backward(dz)
            if dz is None:
                break

    def params(self):
        """The parameters SGD updates (FC B only for KP)."""
        return [p for layer in self.layers for p in layer.params()]

    def state(self) -> dict:
        """Every array of the network state (weights, B, momenta, BatchNorm statistics), by name; live views."""
        return {f"{layer.name}.{key}": arr for layer in self.layers for key, arr in layer.state().items()}

    def load_state(self, state: dict) -> None:
        """Copy a saved ``state()`` into this network (shapes must match)."""
        own = self.state()
        if set(own) != set(state):
            raise ValueError(f"network state mismatch: missing {sorted(set(own) - set(state))}, "
                             f"unexpected {sorted(set(state) - set(own))}")
        for key, arr in own.items():
            np.copyto(arr, state[key])

    def phase_lists(self):
        """(W_list, b_list, B_list): the FC arrays themselves (k-th = fc_{k+1}, W and B of shape (out, in)), the
        interface of the SAL and RDD phases (see ``train.run_phase``)."""
        return ([fc.W.value for fc in self.fc], [fc.b.value for fc in self.fc], [fc.B.value for fc in self.fc])

    def alignment(self) -> dict:
        """Alignment of W with the feedback actually used, per FC layer (see :func:`alignment`)."""
        rows = [alignment(fc.W.value, fc.feedback_matrix()) for fc in self.fc]
        return {key: np.array([r[key] for r in rows]) for key in rows[0]}

    def gradient_angles(self, loss, x, labels) -> np.ndarray:
        """Gradient alignment: angle (degrees) between each FC layer's weight gradient δᵀx under this
        network's feedback and the one backprop gives on the same batch (0 for bp and the output layer).

        One forward pass in training mode (batch statistics, as in SGD), then two backward passes, the second
        with every layer's feedback set to W. The BatchNorm running statistics are restored, so training is
        unchanged (the gradient buffers are overwritten, but SGD refills them before every step).
        """
        norms = [layer for layer in self.layers if isinstance(layer, BatchNorm)]
        running = [(bn.running_mean.copy(), bn.running_var.copy()) for bn in norms]
        loss.forward(self.forward(x, train=True), labels)
        dz = loss.backward()
        self.backward(dz)
        own = [fc.W.grad for fc in self.fc]  # backward allocates new gradient arrays: these stay
        feedback = [(layer, layer.feedback) for layer in self.fc + self.convs]
        for layer, _ in feedback:
            layer.feedback = "W"
        try:
            self.backward(dz)
        finally:
            for layer, used in feedback:
                layer.feedback = used
        for bn, (mean, var) in zip(norms, running):
            np.copyto(bn.running_mean, mean)
            np.copyto(bn.running_var, var)
        return np.array([angle(g, fc.W.grad) for g, fc in zip(own, self.fc)])


def alignment(W: np.ndarray, M: np.ndarray) -> dict:
    """Alignment of W with a feedback matrix M of its shape, on the flattened matrices, in float64:
    the angle between them (``sal.metrics.angle``);
    var(W − M) (unbiased, as ``torch.var``); the correlation coefficient of the entries; the mean of
    sign(W)·sign(M) ∈ [−1, 1] (as the official ``symm/sign``)."""
    w = np.asarray(W, dtype=np.float64).ravel()
    m = np.asarray(M, dtype=np.float64).ravel()
    return {
        "angle": angle(w, m),
        "var_difference": float(np.var(w - m, ddof=1)),
        "correlation": float(np.corrcoef(w, m)[0, 1]),
        "sign_agreement": float(np.mean(np.sign(w) * np.sign(m))),
    }
