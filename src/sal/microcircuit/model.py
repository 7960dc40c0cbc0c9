"""The spiking cortical microcircuit (spec microcircuit §1-3) as one compiled loop over patterns and steps.

Depth. ``dims`` = [n0, n1, ..., nL], L >= 2 (the paper's circuit is [1, 1, 1]): layer 0 is the input
(potential clamped to x), layers 1 .. L-1 are hidden pyramidal layers, layer L is the output. This is
the natural stacking of the spec's dendritic microcircuit (§2), one hidden layer at a time:
- hidden l: v_bas = W_{l,l-1} z_{l-1}; v_api = B_l z_{l+1} + W_PI_l z_inn_l;
  u = bias_hidden + v_bas + lambda_api_l v_api (lambda_api_l: the run's ``lambda_api_hidden[l-1]``, else
  ``lambda_api``; lambda_api_l = 1 and W_IP = W_PI = 0 in symmetrization patterns, for every hidden layer);
- every hidden layer l has one interneuron per neuron of layer l+1: u = bias of layer l+1 (bias_hidden
  if l+1 is hidden, bias_output if it is the output) + W_IP_l z_l (spikes of the same step);
- output L: v_bas = W_{L,L-1} z_{L-1}, nudged toward the target as in the spec;
- self-predicting state W_IP_l = W_{l+1,l}, W_PI_l = -B_l for every l, imposed at initialisation, after
  every plastic step and at the end of every symmetrization pattern, so v_api = B_l (z_{l+1} - z_inn_l);
- forward (Urbanczik-Senn) plasticity of every W_{l,l-1} with learning rate lr_forward[l-1]:
  phi(<u_l>) - phi(<v_bas,l> + bias_l), times the presynaptic spike of step t-1, with the same sliding
  means as the paper circuit (so W10 and W_{L,L-1} follow exactly the spec's rules of W10 and W21);
- feedback B_l (layer l+1 -> hidden l): BP copies B_l = W_{l+1,l}ᵀ after every change of W_{l+1,l};
  FA keeps B_l fixed; SAL learns every B_l with the nearest-neighbour STDP of the spec (post = hidden
  layer l, pre = layer l+1), only in symmetrization patterns.
For L = 2 this is exactly the circuit of the spec (B1 is its B).

Neuron ids, in the order in which every step draws its uniform numbers: input, hidden 1,
interneurons 1, hidden 2, interneurons 2, ..., output (for L = 2: input, hidden, interneuron, output).
Each neuron is a discrete-time neural-sampling unit: it spikes if U < phi(u of the previous step) and
its last spike is at least tau_ref steps back; its PSP is rectangular (tau_syn steps, from the spike's
own step), so with tau_syn = tau_ref it contributes its sampling state z in {0, 1}.

Step order (as the official code): spikes -> potentials (all layers and interneurons, from the spikes
of this step; then the 2000-step sliding means) -> forward plasticity, copy of B for BP and the
self-predicting state -> SAL STDP of B (symmetrization patterns only) -> recording. The state (spike
times, potentials, sliding means, weights, clock) is never reset between patterns.

Memory layout: the kernel is one loop for every depth. All forward weights live in one flat array
(W_{l,l-1} row-major at offset ``w_at[l]``), all feedback weights B_l and interneuron weights W_PI_l
(n_l, n_{l+1}) and W_IP_l (n_{l+1}, n_l) in flat arrays at offset ``b_at[l]``; ``Layout`` computes the
offsets and ``Microcircuit`` exposes the matrices as views.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import checks
from .params import Run, backward_names, forward_names, matrix

NEVER = -(2**40)  # last spike of a neuron that has not fired yet
TRAINING, SYMMETRIZATION, VALIDATION = 0, 1, 2  # pattern phases
BP, FA, SAL = 0, 1, 2  # feedback: weight transport, fixed random B, spike-based alignment learning
FEEDBACK = {"bp": BP, "fa": FA, "sal": SAL}


class Layout:
    """Sizes and offsets of a circuit with dims [n0, ..., nL] (see the module docstring).

    dims[l]: neurons of layer l; pyr[l]: first neuron id of pyramidal layer l; inn[l]: first id of the
    interneurons of hidden layer l (0, unused, for l = 0, L); w_at[l]: offset of W_{l,l-1} (l >= 1) in the
    flat forward weights; b_at[l]: offset of B_l, W_PI_l and W_IP_l (1 <= l < L) in the flat feedback and
    interneuron weights; col[l]: first sliding-mean column of layer l >= 1 (n_l columns of <u>, then n_l
    of <v_bas>). The kernel gets them as unsigned arrays (``kernel_arrays``): unsigned index arithmetic
    spares Numba's negative-index check on every access (measured ~1.6x faster inner loops).
    """

    def __init__(self, dims):
        self.dims = n = tuple(int(d) for d in dims)
        self.depth = depth = len(n) - 1
        self.pyr, self.inn = [0] * (depth + 1), [0] * (depth + 1)
        self.w_at, self.b_at, self.col = [0] * (depth + 1), [0] * (depth + 1), [0] * (depth + 1)
        neuron = n[0]
        for l in range(1, depth + 1):
            self.pyr[l] = neuron
            neuron += n[l]
            if l < depth:
                self.inn[l] = neuron
                neuron += n[l + 1]
                self.w_at[l + 1] = self.w_at[l] + n[l] * n[l - 1]
                self.b_at[l + 1] = self.b_at[l] + n[l] * n[l + 1]
                self.col[l + 1] = self.col[l] + 2 * n[l]
        self.n_neurons = neuron
        self.n_w = self.w_at[depth] + n[depth] * n[depth - 1]
        self.n_b = self.b_at[depth - 1] + n[depth - 1] * n[depth]
        self.n_cols = self.col[depth] + 2 * n[depth]
        self.forward = forward_names(depth)
        self.backward = backward_names(depth)

    def kernel_arrays(self):
        """(n, pyr, inn, w_at, b_at, col) as uint64 arrays for the kernel, each with a trailing 0: an empty
        layer L+1 above the output, so "the layer above" of any layer is defined."""
        return tuple(np.array(list(a) + [0], dtype=np.uint64)
                     for a in (self.dims, self.pyr, self.inn, self.w_at, self.b_at, self.col))

    def forward_shape(self, l):
        """Shape of W_{l,l-1}."""
        return self.dims[l], self.dims[l - 1]

    def backward_shape(self, l):
        """Shape of B_l and W_PI_l (W_IP_l is its transpose)."""
        return self.dims[l], self.dims[l + 1]

    def split(self, flat, at, shapes, names):
        """Matrices of a flat weight array (..., size), keyed by name: views of the state, copies of records."""
        out = {}
        for l, (name, shape) in enumerate(zip(names, shapes), start=1):
            size = shape[0] * shape[1]
            out[name] = flat[..., at[l]:at[l] + size].reshape(flat.shape[:-1] + shape)
        return out

    def forward_matrices(self, flat):
        """W10, W21, ... as views of the flat forward weights (..., n_w)."""
        return self.split(flat, self.w_at, [self.forward_shape(l) for l in range(1, self.depth + 1)], self.forward)

    def backward_matrices(self, flat, prefix=None, transposed=False):
        """B1, B2, ... (or prefix1, prefix2, ...; transposed shapes for W_IP) as views of a flat array."""
        shapes = [self.backward_shape(l)[::-1] if transposed else self.backward_shape(l)
                  for l in range(1, self.depth)]
        names = [f"{prefix}{l}" for l in range(1, self.depth)] if prefix else self.backward
        return self.split(flat, self.b_at, shapes, names)


@njit(cache=True)
def _phi(u, log_tau_ref):
    """Hazard of a neural-sampling neuron, 1 / (1 + tau_ref exp(-u)), written as the official logistic."""
    return 1.0 / (1.0 + np.exp(log_tau_ref - u))


@njit(cache=True)
def _self_predicting(l, copy_b, n, w_at, b_at, w, b, w_ip, w_pi):
    """Hidden layer l: B_l <- W_{l+1,l}ᵀ if copy_b (BP), then W_IP_l <- W_{l+1,l}, W_PI_l <- -B_l."""
    n_l, n_up, ow, ob = n[l], n[l + 1], w_at[l + 1], b_at[l]
    for a in range(n_l):
        for c in range(n_up):
            if copy_b:
                b[ob + a * n_up + c] = w[ow + c * n_l + a]
            w_ip[ob + c * n_l + a] = w[ow + c * n_l + a]
            w_pi[ob + a * n_up + c] = -b[ob + a * n_up + c]


@njit(cache=True)
def _present(x, y, nudged, phase, steps, lag, feedback,
             n, pyr, inn, w_at, b_at, col, bias, lr,
             w, b, w_ip, w_pi,
             last, u, ring, ring_sum, clock,
             tau_ref, tau_syn, lambda_api, lambda_nudge, lr_b,
             a_causal, a_anticausal, tau_causal, tau_anticausal, rng,
             rec_w, rec_b, rec_w_ip, rec_w_pi, rec_u, rec_api, rec_u_out, rec_count,
             raster_on, raster_t, raster_id, raster_n):
    """Present patterns p = 0 .. P-1 (input x[p], target y[p] if nudged[p]) for ``steps`` steps each.

    Layout arrays (n, pyr, inn, w_at, b_at, col) from ``Layout.kernel_arrays``; bias[l] and lr[l] per layer
    l >= 1, lambda_api[l] per hidden layer l (1 in symmetrization patterns). Weights and state arrays are
    updated in place; per-pattern records go to the rec_* arrays (rec_u, rec_api: mean potential u and mean
    apical potential of every neuron id, 0 where undefined) and the spikes of patterns with raster_on[p] to raster_t/raster_id (raster_n[0] entries used so far).
    Sliding means: ring buffer of the last ``window`` values (slot 0 starts as the initial 0) with running
    sums that are recomputed exactly at every wrap, so no rounding drift accumulates.
    """
    depth = n.shape[0] - 2  # layers 0 .. depth, plus the empty layer depth + 1
    n_out, i_out = n[depth], pyr[depth]
    bias_o = bias[depth]
    n_neurons = last.shape[0]
    window, n_cols = ring.shape
    log_tau = np.log(tau_ref)
    capacity = raster_t.shape[0]
    z = np.zeros(n_neurons)
    row = np.zeros(n_cols)
    d = np.zeros(n_cols)  # Urbanczik-Senn error of one layer
    changed = np.zeros(depth + 1, dtype=np.bool_)
    sum_u = np.zeros(n_neurons)  # over the pattern, per neuron id
    sum_api = np.zeros(n_neurons)
    sum_out = np.zeros(n_out)  # u_o after the learning lag

    for p in range(x.shape[0]):
        symm = phase[p] == SYMMETRIZATION
        if symm:  # interneuron pathway off during symmetrization
            w_ip[:] = 0.0
            w_pi[:] = 0.0
        forward_on = phase[p] == TRAINING and nudged[p]
        stdp_on = symm and feedback == SAL
        sum_u[:] = 0.0
        sum_api[:] = 0.0
        sum_out[:] = 0.0
        for s in range(steps):
            t = clock[0]
            # --- spikes from the previous step's potentials (every neuron draws, refractory or not)
            for i in range(n_neurons):
                r = rng.random()
                if t - last[i] >= tau_ref and r < _phi(u[i], log_tau):
                    last[i] = t
                    rec_count[p, i] += 1
                    if raster_on[p] and raster_n[0] < capacity:
                        raster_t[raster_n[0]] = t
                        raster_id[raster_n[0]] = i
                        raster_n[0] += 1
            for i in range(n_neurons):
                z[i] = 1.0 if t - last[i] < tau_syn else 0.0
            # --- potentials of layer l = 1 .. L (neuron j) and of the interneurons of hidden layer l-1
            #     (one per neuron j of layer l): both sum over the spikes of layer l-1, in one loop
            count = clock[2]
            for k in range(n[0]):
                u[k] = x[p, k]
            for l in range(1, depth + 1):
                n_l, n_pre, i_l, i_pre, ow, c_l = n[l], n[l - 1], pyr[l], pyr[l - 1], w_at[l], col[l]
                i_ib, ob_b = inn[l - 1], b_at[l - 1]  # interneurons of hidden layer l-1 (if l >= 2)
                n_up, i_up, i_in, ob = n[l + 1], pyr[l + 1], inn[l], b_at[l]  # layer above (empty for l = L)
                for j in range(n_l):
                    v_bas = 0.0
                    if l >= 2:
                        v_inn = 0.0
                        for k in range(n_pre):
                            v_bas += w[ow + j * n_pre + k] * z[i_pre + k]
                            v_inn += w_ip[ob_b + j * n_pre + k] * z[i_pre + k]
                        u[i_ib + j] = bias[l] + v_inn
                        sum_u[i_ib + j] += u[i_ib + j]
                    else:
                        for k in range(n_pre):
                            v_bas += w[ow + j * n_pre + k] * z[i_pre + k]
                    if l < depth:  # hidden: apical input from layer l+1 and from the interneurons of layer l
                        top_down = 0.0
                        lateral = 0.0
                        for c in range(n_up):
                            top_down += b[ob + j * n_up + c] * z[i_up + c]
                            lateral += w_pi[ob + j * n_up + c] * z[i_in + c]
                        v_api = top_down + lateral
                        u[i_l + j] = bias[l] + v_bas + (1.0 if symm else lambda_api[l]) * v_api
                        sum_api[i_l + j] += v_api
                    elif nudged[p]:  # output, nudged with the sliding mean before this step
                        v_nudge = y[p, j] - ring_sum[c_l + n_l + j] / count - bias_o
                        u[i_l + j] = bias_o + v_bas + lambda_nudge * v_nudge
                    else:
                        u[i_l + j] = bias_o + v_bas
                    sum_u[i_l + j] += u[i_l + j]
                    row[c_l + j] = u[i_l + j]
                    row[c_l + n_l + j] = v_bas
            # --- sliding means over the last `window` steps
            pos = clock[1]
            if count < window:
                count += 1
            else:
                for j in range(n_cols):
                    ring_sum[j] -= ring[pos, j]
            for j in range(n_cols):
                ring[pos, j] = row[j]
                ring_sum[j] += row[j]
            pos += 1
            if pos == window:
                pos = 0
                ring_sum[:] = 0.0
                for r_ in range(window):
                    for j in range(n_cols):
                        ring_sum[j] += ring[r_, j]
            clock[1] = pos
            clock[2] = count
            # --- forward plasticity of every W_{l,l-1} (presynaptic factor: spike in the previous step)
            if forward_on and s >= lag:
                for l in range(1, depth + 1):
                    n_l, n_pre, i_pre, ow, c_l = n[l], n[l - 1], pyr[l - 1], w_at[l], col[l]
                    computed = False
                    for k in range(n_pre):
                        if last[i_pre + k] == t - 1:
                            if not computed:
                                for a in range(n_l):
                                    d[a] = (_phi(ring_sum[c_l + a] / count, log_tau)
                                            - _phi(ring_sum[c_l + n_l + a] / count + bias[l], log_tau))
                                computed = True
                            for a in range(n_l):
                                w[ow + a * n_pre + k] += lr[l] * d[a]
                    changed[l] = computed
                for l in range(1, depth):  # BP weight transport, then the self-predicting state
                    if changed[l + 1]:
                        _self_predicting(l, feedback == BP, n, w_at, b_at, w, b, w_ip, w_pi)
            # --- SAL: nearest-neighbour STDP of every B_l (post = hidden l, pre = layer l+1);
            #     same-step pairs ignored
            if stdp_on:
                for l in range(1, depth):
                    n_l, n_up, i_l, i_up, ob = n[l], n[l + 1], pyr[l], pyr[l + 1], b_at[l]
                    for a in range(n_l):
                        if last[i_l + a] == t:
                            for c in range(n_up):
                                if last[i_up + c] != t:
                                    b[ob + a * n_up + c] += lr_b * (
                                        a_causal * np.exp(-(t - last[i_up + c]) / tau_causal))
                    for c in range(n_up):
                        if last[i_up + c] == t:
                            for a in range(n_l):
                                if last[i_l + a] != t:
                                    b[ob + a * n_up + c] += lr_b * (
                                        a_anticausal * np.exp(-(t - last[i_l + a]) / tau_anticausal))
            # --- recording (the pattern sums of u and v_api are accumulated with the potentials)
            if s >= lag:
                for c in range(n_out):
                    sum_out[c] += u[i_out + c]
            clock[0] = t + 1
        if symm:  # re-impose the self-predicting state with the new B
            for l in range(1, depth):
                _self_predicting(l, False, n, w_at, b_at, w, b, w_ip, w_pi)
        for i in range(n_neurons):
            rec_u[p, i] = sum_u[i] / steps
            rec_api[p, i] = sum_api[i] / steps
        for c in range(n_out):
            rec_u_out[p, c] = sum_out[c] / (steps - lag)
        rec_w[p] = w
        rec_b[p] = b
        rec_w_ip[p] = w_ip
        rec_w_pi[p] = w_pi


class Microcircuit:
    """State of one circuit (weights, spike times, potentials, sliding means, clock) and its parameters.

    ``present`` advances the circuit through a sequence of patterns in one compiled call; state carries
    over between calls exactly as between patterns. Weights are numbers (filled) or matrices, keyed
    W10 (n1, n0), W21 (n2, n1), ..., W_{L,L-1} and B1 (n1, n2), ..., B_{L-1} (n_{L-1}, n_L);
    ``feedback`` ("bp", "fa", "sal") defaults to the params' condition; spiking noise comes only from ``rng``.
    """

    def __init__(self, params: dict, weights: dict, rng: np.random.Generator, feedback: str | None = None):
        self.p = params = Run.check(params)
        if not isinstance(weights, dict):
            raise ValueError(f"weights must be a dict of weight matrices, got {type(weights).__name__}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
        if feedback is not None and feedback not in FEEDBACK:
            raise ValueError(f"feedback must be one of {sorted(FEEDBACK)} or None, got {feedback!r}")
        self.layout = lay = Layout(params["dims"])
        self.dims = lay.dims
        self.feedback = FEEDBACK[params["condition"] if feedback is None else feedback]
        self.w = np.zeros(lay.n_w)
        self.b = np.zeros(lay.n_b)
        for name, view in {**lay.forward_matrices(self.w), **lay.backward_matrices(self.b)}.items():
            if name not in weights:
                raise ValueError(f"microcircuit weights lack {name!r} (dims {list(lay.dims)} need "
                                 f"{lay.forward + lay.backward})")
            view[:] = matrix(weights[name], view.shape, name)
        self.w_ip = np.zeros(lay.n_b)
        self.w_pi = np.zeros(lay.n_b)
        n, _, _, w_at, b_at, _ = lay.kernel_arrays()
        for l in range(1, lay.depth):  # BP: B = Wᵀ from the start; all: the self-predicting state
            _self_predicting(l, self.feedback == BP, n, w_at, b_at, self.w, self.b, self.w_ip, self.w_pi)
        self.last = np.full(lay.n_neurons, NEVER, dtype=np.int64)
        self.u = np.zeros(lay.n_neurons)
        window = int(params["moving_average_steps"])
        self.ring = np.zeros((window, lay.n_cols))  # slot 0 holds the initial value 0
        self.ring_sum = np.zeros(lay.n_cols)
        self.clock = np.array([0, 1 % window, 1], dtype=np.int64)  # step t, ring position, ring fill
        self.rng = rng

    def _matrices(self, w, b, w_ip, w_pi) -> dict:
        lay = self.layout
        return {**lay.forward_matrices(w), **lay.backward_matrices(b),
                **lay.backward_matrices(w_ip, prefix="W_IP", transposed=True),
                **lay.backward_matrices(w_pi, prefix="W_PI")}

    def weights(self) -> dict:
        """Copies of the current weights W10, W21, ..., B1, ... and interneuron weights W_IP1, W_PI1, ..."""
        return {k: v.copy() for k, v in self._matrices(self.w, self.b, self.w_ip, self.w_pi).items()}

    def present(self, x, y, nudged, phase, steps: int, raster=None) -> dict:
        """Present P patterns for ``steps`` steps each; return per-pattern records.

        x: (P, n0) input potentials; y: (P, nL) targets (used where ``nudged``); phase: TRAINING,
        SYMMETRIZATION or VALIDATION per pattern; raster: bool per pattern, record its spikes.
        Records: weights (as ``weights``) at the end of each pattern, mean potentials u_hidden<l>,
        v_apical<l>, u_interneuron<l> (hidden layer l), u_output, the output mean after the learning lag,
        spike counts per neuron id, and the raster.
        """
        lay = self.layout
        n0, n_out = lay.dims[0], lay.dims[-1]
        # writable C-contiguous copies: one compiled specialisation for every caller
        x = checks.array("x", x)
        if x.ndim not in (1, 2) or x.shape[-1] != n0:
            raise ValueError(f"x must have shape (P, {n0}) or ({n0},) (dims {list(lay.dims)}), got {x.shape}")
        x = np.array(x.reshape(-1, n0))
        n_pat = x.shape[0]

        def per_pattern(name, value, dtype, shape):
            try:
                return np.array(np.broadcast_to(np.asarray(value, dtype=dtype), shape))
            except ValueError:
                raise ValueError(f"{name} must broadcast to shape {shape}, got shape {np.shape(value)}") from None

        y = per_pattern("y", checks.array("y", y), np.float64, (n_pat, n_out))
        nudged = per_pattern("nudged", nudged, np.bool_, (n_pat,))
        phase = per_pattern("phase", phase, np.int64, (n_pat,))
        if not np.all((phase >= 0) & (phase <= 2)):
            raise ValueError(f"phase must be TRAINING, SYMMETRIZATION or VALIDATION (0, 1, 2), got {np.unique(phase)}")
        raster = per_pattern("raster", False if raster is None else raster, np.bool_, (n_pat,))
        lag = int(self.p["learning_lag"])
        steps = checks.integer("steps", steps, ge=1)
        if not 0 <= lag < steps:
            raise ValueError(f"learning_lag = {lag} must be < steps per pattern = {steps}")
        n_neurons = lay.n_neurons
        capacity = int(raster.sum()) * n_neurons * (steps // int(self.p["tau_ref"]) + 1)
        rec_w, rec_b = np.empty((n_pat, lay.n_w)), np.empty((n_pat, lay.n_b))
        rec_w_ip, rec_w_pi = np.empty((n_pat, lay.n_b)), np.empty((n_pat, lay.n_b))
        u_mean, api_mean = np.empty((n_pat, n_neurons)), np.empty((n_pat, n_neurons))
        rec = {"u_output_after_lag": np.empty((n_pat, n_out)),
               "spike_count": np.zeros((n_pat, n_neurons), dtype=np.int64)}
        raster_t = np.empty(capacity, dtype=np.int64)
        raster_id = np.empty(capacity, dtype=np.int32)
        raster_n = np.zeros(1, dtype=np.int64)
        p = self.p
        bias = np.array([np.nan] + [float(p["bias_hidden"])] * (lay.depth - 1) + [float(p["bias_output"])])
        lr = np.array([np.nan] + [float(v) for v in p["lr_forward"]])
        lambda_api = np.array([np.nan] + [float(v) for v in p.get("lambda_api_hidden") or
                                          [p["lambda_api"]] * (lay.depth - 1)] + [np.nan])
        _present(x, y, nudged, phase, steps, lag, self.feedback,
                 *lay.kernel_arrays(), bias, lr,
                 self.w, self.b, self.w_ip, self.w_pi,
                 self.last, self.u, self.ring, self.ring_sum, self.clock,
                 int(p["tau_ref"]), int(p["tau_syn"]), lambda_api, float(p["lambda_nudge"]),
                 float(p["lr_b"]), float(p["stdp_a_causal"]), float(p["stdp_a_anticausal"]),
                 float(p["stdp_tau_causal"]), float(p["stdp_tau_anticausal"]), self.rng,
                 rec_w, rec_b, rec_w_ip, rec_w_pi, u_mean, api_mean,
                 rec["u_output_after_lag"], rec["spike_count"], raster, raster_t, raster_id, raster_n)
        rec.update(self._matrices(rec_w, rec_b, rec_w_ip, rec_w_pi))
        for l in range(1, lay.depth):
            hidden = slice(lay.pyr[l], lay.pyr[l] + lay.dims[l])
            rec[f"u_hidden{l}"] = u_mean[:, hidden]
            rec[f"v_apical{l}"] = api_mean[:, hidden]
            rec[f"u_interneuron{l}"] = u_mean[:, lay.inn[l]:lay.inn[l] + lay.dims[l + 1]]
        rec["u_output"] = u_mean[:, lay.pyr[-1]:]
        rec["raster_time"] = raster_t[: raster_n[0]]
        rec["raster_neuron"] = raster_id[: raster_n[0]]
        return rec
