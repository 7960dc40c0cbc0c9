"""Fig 7 (weight scatter: SAL vs RDD vs STDWI on two populations) and fig 9 (pure SAL in SALNet).

Fig 7 (spec §4): W (50×50) and B ~ U(±√(3/50)) from default_rng(43), drawn in the order W, B
(initial angle 91.4°); each method aligns its own copy of B with the fixed W for 100 "seconds".
SAL: the 2-layer SAL net, 1250 steps of batch 8 per second, one B update per second. RDD: the lower
population driven, B = β σ_B/std(β) every 10 s (the official notebook never updates B: its update
counter restarts every second; ``rdd_official_bug=True`` reproduces that flat curve). STDWI: the
protocol of Ahmad et al. as in the official notebook.

Fig 9 (spec §5): SALNet [1600, 384, 192, 10] with frozen random W, biases and B; each epoch is one
block of ``steps`` steps of ``batch`` copies followed by one B update; the angle per FC layer per epoch.

The runs are ``experiments.weight_scatter`` and ``experiments.salnet``; their parameters are in ``params``.
"""

from __future__ import annotations

import numpy as np

from ..rng import generator
from .params import FC_SIZES  # noqa: F401 (the paper's SALNet sizes)

ALGORITHMS = ("sal", "rdd", "stdwi")  # dimension "algorithm" ("method" would clash with .sel(method=))


def initial_weights_fig7(n: int, weights_seed: int):
    """W (post, pre) and B (post, pre) ~ U(±√(3/n)) from default_rng(weights_seed), W drawn first.

    The notebook draws B in the spiking layout (pre, post); we store its transpose, as for every B.
    """
    rng = np.random.default_rng(weights_seed)
    bound = np.sqrt(3.0 / n)
    W = rng.uniform(-bound, bound, size=(n, n))
    B = rng.uniform(-bound, bound, size=(n, n)).T.copy()
    return W, B


def initial_salnet(sizes, init_seed: int):
    """Frozen W_l ~ U(±1/√n_{l-1}) (fc_l: (n_l, n_{l-1})), B_l ~ U(±1/√n_l) in the same layout (the
    spiking top-down weights of layer l-1, fan-in n_l), biases b_l ~ U(±1/√n_l); drawn in this order."""
    rng = generator(init_seed)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    W = [rng.uniform(-1.0, 1.0, (n_out, n_in)) / np.sqrt(n_in) for n_in, n_out in pairs]
    B = [rng.uniform(-1.0, 1.0, (n_out, n_in)) / np.sqrt(n_out) for n_in, n_out in pairs]
    b = [rng.uniform(-1.0, 1.0, n_out) / np.sqrt(n_out) for _, n_out in pairs]
    return W, b, B
