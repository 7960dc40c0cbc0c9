"""Layers of the CNN of fig 8 with explicit forward and backward passes (spec deepnet §1).

Activations are NHWC arrays (batch, height, width, channel): a convolution is then one matrix product of
im2col windows (contiguous in the channel axis) with the flattened kernel, BatchNorm normalises over all
axes but the last for both conv and FC activations, and no transposes are needed between layers.
Parameters keep PyTorch's shapes: conv kernels (out, in, k, k), linear weights (out, in), so that fan-ins,
initialisation and the alignment metrics read as in the paper's code.

Every layer has ``forward(x, train)`` and ``backward(dy) -> dx``; ``backward`` also writes the gradients of
the layer's :class:`Param` s. Feedback variants live in the layers: an FC or conv layer sends its input
gradient through its forward weights W ("W"), its own feedback matrix B ("B"), or, for sign-concordant
feedback alignment, through |B₀| ⊙ sign W ("sign"). Weight gradients are always the true local ones.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.lib.stride_tricks import sliding_window_view

FEEDBACK = ("W", "B", "sign")


class Param:
    """A trainable array with its gradient and SGD momentum buffer; weight decay is per parameter (its group)."""

    def __init__(self, value: np.ndarray, weight_decay: float = 0.0):
        self.value = value
        self.grad = np.zeros_like(value)
        self.momentum = np.zeros_like(value)
        self.weight_decay = float(weight_decay)


class SGD:
    """``torch.optim.SGD`` with momentum (no dampening, no Nesterov) and per-parameter weight decay:
    g = ∇ + λ p;  m ← μ m + g;  p ← p − η m  (m = 0 initially, so the first step uses m = g as in PyTorch)."""

    def __init__(self, params: list[Param], lr: float, momentum: float):
        self.params = list(params)
        self.lr = float(lr)
        self.momentum = float(momentum)

    def step(self) -> None:
        for p in self.params:
            g = p.grad + p.weight_decay * p.value if p.weight_decay else p.grad
            p.momentum *= self.momentum
            p.momentum += g
            p.value -= self.lr * p.momentum


def uniform(rng: np.random.Generator, fan_in: int, shape, dtype) -> np.ndarray:
    """U(±1/√fan_in): PyTorch's default for weights (kaiming_uniform, a=√5) and biases; drawn in float64."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


@njit(cache=True)
def _col2im(dcols, dx):
    """Scatter-add window gradients dcols (n, ho, wo, k, k, c) back onto the input map dx (n, h, w, c)."""
    n, ho, wo, k, _, c = dcols.shape
    for b in range(n):
        for y in range(ho):
            for x in range(wo):
                for i in range(k):
                    for j in range(k):
                        for ch in range(c):
                            dx[b, y + i, x + j, ch] += dcols[b, y, x, i, j, ch]


class Conv2d:
    """5×5 (any k) convolution, stride 1, no bias, optional zero padding: im2col (a strided view, copied
    once) times the flattened kernel, one BLAS product per pass; col2im is a compiled loop.

    ``feedback`` "W" backpropagates through the kernel, "B" through the fixed random kernel B (FA).
    The first layer skips its input gradient (``input_grad=False``): nothing upstream needs it.
    """

    def __init__(self, name, n_in, n_out, kernel, rng, dtype, feedback="W", padding=0, input_grad=True):
        if feedback not in ("W", "B"):
            raise ValueError(f"conv feedback must be 'W' or 'B', got {feedback!r}")
        fan_in = n_in * kernel * kernel
        self.name, self.kernel, self.padding = name, kernel, padding
        self.feedback, self.input_grad = feedback, input_grad
        self.W = Param(uniform(rng, fan_in, (n_out, n_in, kernel, kernel), dtype))
        self.B = Param(uniform(rng, fan_in, (n_out, n_in, kernel, kernel), dtype))

    def params(self):
        return [self.W]

    def state(self):
        return {"W": self.W.value, "W.momentum": self.W.momentum, "B": self.B.value}

    @staticmethod
    def _flat(kernel):  # (out, in, k, k) -> (out, k·k·in), matching the column order of the windows
        return kernel.transpose(0, 2, 3, 1).reshape(kernel.shape[0], -1)

    def forward(self, x, train=True):
        p, k = self.padding, self.kernel
        if p:
            x = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        n, h, w, c = x.shape
        ho, wo = h - k + 1, w - k + 1
        windows = sliding_window_view(x, (k, k), axis=(1, 2))  # (n, ho, wo, c, k, k), a view
        self._cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * ho * wo, k * k * c)
        self._in_shape = x.shape
        return (self._cols @ self._flat(self.W.value).T).reshape(n, ho, wo, -1)

    def backward(self, dy):
        n, ho, wo, o = dy.shape
        k, p = self.kernel, self.padding
        dy2 = dy.reshape(-1, o)
        c = self._in_shape[3]
        self.W.grad = (dy2.T @ self._cols).reshape(o, k, k, c).transpose(0, 3, 1, 2)
        if not self.input_grad:
            return None
        feedback = self.W.value if self.feedback == "W" else self.B.value
        dcols = (dy2 @ self._flat(feedback)).reshape(n, ho, wo, k, k, c)
        dx = np.zeros(self._in_shape, dtype=dy.dtype)
        _col2im(dcols, dx)
        return dx[:, p:dx.shape[1] - p, p:dx.shape[2] - p, :] if p else dx


@njit(cache=True)
def _relu_forward(x, y):
    for i in range(x.size):
        y[i] = x[i] if x[i] > 0 else 0


@njit(cache=True)
def _relu_backward(y, dy, dx):
    for i in range(y.size):
        dx[i] = dy[i] if y[i] > 0 else 0


class ParameterFree:
    """A layer without parameters or state (ReLU, max-pool, flatten)."""

    def __init__(self, name):
        self.name = name

    def params(self):
        return []

    def state(self):
        return {}


class ReLU(ParameterFree):
    """max(x, 0); the backward pass gates by the stored output (single-pass compiled loops: memory-bound)."""

    def forward(self, x, train=True):
        x = np.ascontiguousarray(x)
        self._y = np.empty_like(x)
        _relu_forward(x.reshape(-1), self._y.reshape(-1))
        return self._y

    def backward(self, dy):
        dx = np.empty_like(self._y)
        _relu_backward(self._y.reshape(-1), np.ascontiguousarray(dy).reshape(-1), dx.reshape(-1))
        return dx


@njit(cache=True)
def _bn_statistics(x):
    """Per-column mean and biased variance of x (rows, channels): two passes, float64 accumulators."""
    m, c = x.shape
    total = np.zeros(c)
    for r in range(m):
        for j in range(c):
            total[j] += x[r, j]
    mean = total / m
    sq = np.zeros(c)
    for r in range(m):
        for j in range(c):
            d = x[r, j] - mean[j]
            sq[j] += d * d
    return mean, sq / m


@njit(cache=True)
def _bn_normalize(x, mean, inv, gamma, beta, xhat, y):
    m, c = x.shape
    for r in range(m):
        for j in range(c):
            h = (x[r, j] - mean[j]) * inv[j]
            xhat[r, j] = h
            y[r, j] = h * gamma[j] + beta[j]


@njit(cache=True)
def _bn_backward(dy, xhat, scale, dx):
    """dx = γ/σ (dy − mean(dy) − x̂ mean(dy x̂)) per column; returns (Σ dy x̂, Σ dy) = (dγ, dβ)."""
    m, c = dy.shape
    s_dy = np.zeros(c)
    s_dyx = np.zeros(c)
    for r in range(m):
        for j in range(c):
            s_dy[j] += dy[r, j]
            s_dyx[j] += dy[r, j] * xhat[r, j]
    mean_dy = (s_dy / m).astype(dy.dtype)
    mean_dyx = (s_dyx / m).astype(dy.dtype)
    for r in range(m):
        for j in range(c):
            dx[r, j] = scale[j] * (dy[r, j] - mean_dy[j] - xhat[r, j] * mean_dyx[j])
    return s_dyx, s_dy


class BatchNorm:
    """BatchNorm over all axes but the last (channels): BatchNorm2d on NHWC maps, BatchNorm1d on (batch, features).

    Training mode normalises with the batch mean and biased variance and updates the running statistics
    with momentum 0.1 (unbiased variance, as PyTorch); evaluation mode uses the running statistics.
    """

    def __init__(self, name, n, dtype, momentum=0.1, eps=1e-5):
        self.name, self.momentum, self.eps = name, momentum, eps
        self.gamma = Param(np.ones(n, dtype=dtype))
        self.beta = Param(np.zeros(n, dtype=dtype))
        self.running_mean = np.zeros(n, dtype=dtype)
        self.running_var = np.ones(n, dtype=dtype)

    def params(self):
        return [self.gamma, self.beta]

    def state(self):
        return {"gamma": self.gamma.value, "gamma.momentum": self.gamma.momentum, "beta": self.beta.value,
                "beta.momentum": self.beta.momentum, "running_mean": self.running_mean,
                "running_var": self.running_var}

    def forward(self, x, train=True):
        if not train:
            inv = 1 / np.sqrt(self.running_var + self.eps)
            return (x - self.running_mean) * (inv * self.gamma.value) + self.beta.value
        x2 = np.ascontiguousarray(x).reshape(-1, x.shape[-1])
        m = x2.shape[0]
        mean, var = _bn_statistics(x2)
        dtype = x.dtype
        self._inv = (1 / np.sqrt(var + self.eps)).astype(dtype)
        self._xhat = np.empty_like(x2)
        y = np.empty_like(x2)
        _bn_normalize(x2, mean.astype(dtype), self._inv, self.gamma.value, self.beta.value, self._xhat, y)
        mom = self.momentum
        self.running_mean *= 1 - mom
        self.running_mean += (mom * mean).astype(dtype)
        self.running_var *= 1 - mom
        self.running_var += (mom * var * (m / max(m - 1, 1))).astype(dtype)
        return y.reshape(x.shape)

    def backward(self, dy):
        dy2 = np.ascontiguousarray(dy).reshape(self._xhat.shape)
        dx = np.empty_like(dy2)
        dgamma, dbeta = _bn_backward(dy2, self._xhat, self.gamma.value * self._inv, dx)
        self.gamma.grad = dgamma.astype(dy.dtype)
        self.beta.grad = dbeta.astype(dy.dtype)
        return dx.reshape(dy.shape)


@njit(cache=True)
def _maxpool2_forward(x, y, arg):
    n, ho, wo, c = y.shape
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for ch in range(c):
                    best = x[b, 2 * i, 2 * j, ch]
                    k = 0
                    for q in range(1, 4):  # window in row-major order; first maximum wins (as PyTorch)
                        v = x[b, 2 * i + q // 2, 2 * j + q % 2, ch]
                        if v > best:
                            best = v
                            k = q
                    y[b, i, j, ch] = best
                    arg[b, i, j, ch] = k


@njit(cache=True)
def _maxpool2_backward(dy, arg, dx):
    n, ho, wo, c = dy.shape
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for ch in range(c):
                    k = arg[b, i, j, ch]
                    dx[b, 2 * i + k // 2, 2 * j + k % 2, ch] = dy[b, i, j, ch]


class MaxPool2(ParameterFree):
    """2×2 max pooling, stride 2 (odd edges dropped). Ties send the gradient to the first maximum only,
    which matters here: BatchNorm after ReLU maps every silenced unit of a channel to the same value."""

    def forward(self, x, train=True):
        n, h, w, c = x.shape
        y = np.empty((n, h // 2, w // 2, c), dtype=x.dtype)
        self._arg = np.empty(y.shape, dtype=np.uint8)
        self._in_shape = x.shape
        _maxpool2_forward(x, y, self._arg)
        return y

    def backward(self, dy):
        dx = np.zeros(self._in_shape, dtype=dy.dtype)
        _maxpool2_backward(np.ascontiguousarray(dy), self._arg, dx)
        return dx


class Flatten(ParameterFree):
    """NHWC maps -> (batch, C·H·W) in PyTorch's (C, H, W) order, so fc1's columns match the official layout."""

    def forward(self, x, train=True):
        self._shape = x.shape
        return x.transpose(0, 3, 1, 2).reshape(x.shape[0], -1)

    def backward(self, dy):
        n, h, w, c = self._shape
        return dy.reshape(n, c, h, w).transpose(0, 2, 3, 1)


class Linear:
    """y = x Wᵀ + b with W (out, in) and a feedback matrix B of W's shape.

    Backward: dW = δᵀx, db = Σδ (always); dx = δ M with M = W ("W", backprop), B ("B": FA, SAL, RDD, KP) or
    B ⊙ sign W ("sign": SC-FA, B holds |B₀|). ``learn_feedback`` (Kolen-Pollack) gives B the same gradient δᵀx.
    The first layer of a network without conv layers skips its input gradient (``input_grad=False``).
    """

    def __init__(self, name, n_in, n_out, rng, dtype, feedback="W", learn_feedback=False, weight_decay=0.0,
                 input_grad=True):
        if feedback not in FEEDBACK:
            raise ValueError(f"linear feedback must be one of {FEEDBACK}, got {feedback!r}")
        self.name, self.feedback, self.learn_feedback = name, feedback, learn_feedback
        self.input_grad = input_grad
        self.W = Param(uniform(rng, n_in, (n_out, n_in), dtype), weight_decay)
        self.B = Param(uniform(rng, n_in, (n_out, n_in), dtype), weight_decay)
        self.b = Param(uniform(rng, n_in, (n_out,), dtype))
        if feedback == "sign":
            np.abs(self.B.value, out=self.B.value)

    def params(self):
        return [self.W, self.b] + ([self.B] if self.learn_feedback else [])

    def state(self):
        return {"W": self.W.value, "W.momentum": self.W.momentum, "b": self.b.value, "b.momentum": self.b.momentum,
                "B": self.B.value, "B.momentum": self.B.momentum}

    def feedback_matrix(self) -> np.ndarray:
        """The matrix the input gradient is sent through (W, B or B ⊙ sign W)."""
        if self.feedback == "W":
            return self.W.value
        if self.feedback == "B":
            return self.B.value
        return self.B.value * np.sign(self.W.value)

    def forward(self, x, train=True):
        self._x = x
        return x @ self.W.value.T + self.b.value

    def backward(self, dy):
        self.W.grad = dy.T @ self._x
        self.b.grad = dy.sum(axis=0)
        if self.learn_feedback:
            self.B.grad = self.W.grad
        return dy @ self.feedback_matrix() if self.input_grad else None


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxCrossEntropy:
    """Mean cross-entropy of the class scores z.

    ``double_softmax=True`` reproduces the official quirk: the network ends in a Softmax and
    ``nn.CrossEntropyLoss`` applies a second one, L = CE(softmax(p), y) with p = softmax(z) (L ≥ ≈ 1.46,
    weak gradients). ``False`` is the clean loss CE(softmax(z), y).
    """

    def __init__(self, double_softmax: bool):
        self.double_softmax = bool(double_softmax)

    def forward(self, z, labels) -> float:
        """Mean loss over the batch (keeps what backward needs)."""
        n = z.shape[0]
        self._labels = labels
        if self.double_softmax:
            self._p = softmax(z)
            scores = self._p
        else:
            scores = z
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1))
        self._q = np.exp(shifted - log_norm[:, None])
        return float(np.mean(log_norm - shifted[np.arange(n), labels]))

    def backward(self):
        """dL/dz of the last forward."""
        n = self._q.shape[0]
        g = self._q.copy()
        g[np.arange(n), self._labels] -= 1
        g /= n
        if not self.double_softmax:
            return g
        p = self._p
        return p * (g - (p * g).sum(axis=1, keepdims=True))
