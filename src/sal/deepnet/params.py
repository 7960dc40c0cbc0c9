"""The deep-network experiments' parameters (spec deepnet §1, §4, §5): the paper's and the quick study's
settings of fig 7 (weight scatter), fig 8 (CNN training) and fig 9 (SALNet), of the depth and width study
of fully connected networks (fig S4, beyond the paper), the runs built from the ``deepnet`` config block,
and the typed parameter model of each experiment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..params import Params, key
from .data import DATASETS, default_path
from .network import METHODS, paper_network, small_network

FC_SIZES = [1600, 384, 192, 10]
SEED = dict(ge=0, le=2**32 - 1)


def paper_params(dataset: str, method: str, seed: int) -> dict:
    """The paper's run (spec §1): 100 epochs of SGD (lr 0.01, momentum 0.9, batch 128, test batch 256),
    weight decay 1e-3 on FC W and B for KP only, the official double softmax and augmentation.
    ``phase`` holds keyword arguments for the SAL/RDD phase class ({} = its defaults, the paper's settings).
    ``data_path``: the folder the data set was retrieved into (``sal.deepnet.data.retrieve``; by default the
    workflow's resources/datasets/<dataset>, relative to the working directory); None for digits."""
    return {
        "dataset": dataset, "data_path": default_path(dataset),
        "method": method, "seed": int(seed),
        "epochs": 100, "batch_size": 128, "test_batch_size": 256, "lr": 0.01, "momentum": 0.9,
        "weight_decay": 1e-3 if method == "kp" else 0.0,
        "double_softmax": True, "augment": True, "network": paper_network(), "phase": {},
    }


def quick_params(method: str, seed: int) -> dict:
    """The quick study (clearly not the paper): 8×8 digits, the small network, 20 epochs of batch 32, the clean
    cross-entropy and no augmentation (horizontal flips of digits are odd); offline, seconds per run (BP ≈ 0.3 s
    per epoch; the SAL/RDD phases add their own cost)."""
    return {**paper_params("digits", method, seed), "epochs": 20, "batch_size": 32,
            "double_softmax": False, "augment": False, "network": small_network()}


def paper_params_fig7() -> dict:
    """Fig 7 as in the official notebook (100 s; RDD with the update counter fixed)."""
    return {"n": 50, "weights_seed": 43, "seconds": 100, "record_seconds": 1.0, "sal_eta": 0.05, "sal_batch": 8,
            "sal_steps_per_second": 1250, "sal_official_refractory": True, "rdd_update_seconds": 10.0,
            "rdd_official_bug": False}


def quick_params_fig7() -> dict:
    """A reduced fig 7: 20 s, RDD updates every 5 s (seconds on a laptop)."""
    return {**paper_params_fig7(), "seconds": 20, "rdd_update_seconds": 5.0}


def paper_params_fig9(eta: float, seed: int) -> dict:
    """Fig 9 run of one learning rate η and initialisation seed: 2000 epochs of 1000 steps at batch 64."""
    return {"sizes": list(FC_SIZES), "eta": float(eta), "epochs": 2000, "batch": 64, "steps": 1000,
            "init_seed": int(seed), "tau_ref": 10, "official_refractory": True}


def quick_params_fig9(eta: float = 0.04, seed: int = 0) -> dict:
    """A reduced fig 9: layers [100, 40, 20, 10], 20 epochs of 250 steps at batch 8."""
    return {**paper_params_fig9(eta, seed), "sizes": [100, 40, 20, 10], "epochs": 20, "batch": 8, "steps": 250}


#: feedback methods of the depth and width study (bp_fa is bp without conv layers)
SCALING_METHODS = ("bp", "fa", "kp", "scfa", "sal")


def scaling_params(dataset: str, depth: int, width: int) -> dict:
    """One shape of the depth and width study: ``depth`` hidden layers of ``width`` units (fc → ReLU →
    BatchNorm1d each) on flattened images, trained with BP, FA, KP and SAL for seeds 0-2 by fig 8's SGD
    (lr 0.01, momentum 0.9, KP weight decay 1e-3 on W and B; batch 32 on digits, 128 otherwise) with the clean
    cross-entropy and no augmentation; the gradient alignment is measured on the first 512 training images.
    ``sal_phase``: keyword arguments of ``SALPhase`` ({} = fig 8's phase, 5 blocks of 2000 steps at batch 32)."""
    fig8 = quick_params("bp", 0) if dataset == "digits" else paper_params(dataset, "bp", 0)
    return {
        "dataset": dataset, "data_path": default_path(dataset), "depth": int(depth), "width": int(width),
        "methods": ["bp", "fa", "kp", "sal"], "seeds": [0, 1, 2], "epochs": 20,
        **{k: fig8[k] for k in ("batch_size", "test_batch_size", "lr", "momentum")},
        "kp_weight_decay": 1e-3, "double_softmax": False, "augment": False, "gradient_batch": 512, "sal_phase": {},
    }


def fig9_epochs(f9: dict, eta) -> int:
    """The epochs of fig 9's run at ``eta`` (a number or its wildcard text) from the ``fig9`` config block,
    whose ``epochs`` is one number for every η or a list with one per η of ``etas``."""
    epochs = f9["epochs"]
    if not isinstance(epochs, list):
        return int(epochs)
    labels = [f"{e:g}" for e in f9["etas"]]
    key = f"{float(eta):g}"
    if len(epochs) != len(labels) or key not in labels:
        raise ValueError(f"deepnet.fig9.epochs {epochs}: need one number per η of etas {f9['etas']} (η = {key})")
    return int(epochs[labels.index(key)])


def run_params(config: dict, experiment: str, **labels) -> dict:
    """Parameters of one run from the ``deepnet`` config block.

    weight_scatter: the paper's fig-7 setting (``fig7.scale: paper``) or the quick one.
    train (labels dataset, method, seed): ``quick_params`` for digits, else ``paper_params``, with the
    block's ``epochs``; the data set is read from its retrieved folder (``data.default_path``).
    salnet (labels eta, seed): fig 9, paper or quick sizes.
    """
    if experiment == "weight_scatter":
        return paper_params_fig7() if config["fig7"]["scale"] == "paper" else quick_params_fig7()
    if experiment == "train":
        f8, ds, method, seed = config["fig8"], labels["dataset"], labels["method"], int(labels["seed"])
        p = quick_params(method, seed) if ds == "digits" else paper_params(ds, method, seed)
        p["epochs"] = f8["epochs"]
        return p
    if experiment == "salnet":
        f9 = config["fig9"]
        p = paper_params_fig9(float(labels["eta"]), int(labels["seed"]))
        p.update({k: f9[k] for k in ("sizes", "batch", "steps") if f9.get(k) is not None})
        return {**p, "epochs": fig9_epochs(f9, labels["eta"])}
    if experiment == "scaling_run":
        sc = config["scaling"]
        p = scaling_params(labels["dataset"], int(labels["depth"]), int(labels["width"]))
        return {**p, **{k: sc[k] for k in ("methods", "seeds", "epochs", "gradient_batch", "sal_phase")}}
    raise ValueError(f"unknown deepnet experiment {experiment!r}; known: weight_scatter, train, salnet, scaling_run")


DATA_PATH_RULE = "the folder the data set was retrieved into (a non-empty string; None only for digits)"


@dataclass(frozen=True, kw_only=True)
class SGDKeys(Params):
    """The keys every SGD training run shares: the data set and where it lies, the schedule, the optimiser
    and the official loss and augmentation switches."""

    dataset: str = key(choices=tuple(DATASETS))
    data_path: str | None = key(allowed=DATA_PATH_RULE)
    epochs: int = key(ge=1)
    batch_size: int = key(ge=1)
    test_batch_size: int = key(ge=1)
    lr: float = key(ge=0)
    momentum: float = key(ge=0)
    double_softmax: bool = key()
    augment: bool = key()

    def relations(self):
        if self.data_path == "" or self.data_path is None and self.dataset != "digits":
            yield "data_path", self.data_path, DATA_PATH_RULE


@dataclass(frozen=True, kw_only=True)
class Network(Params):
    """The CNN's architecture (``network.paper_network``, ``small_network``)."""

    label: ClassVar[str] = "deepnet"
    channels: list[int] = key(min_length=1, ge=1)
    kernel: int = key(ge=1)
    padding: int = key(ge=0)
    hidden: list[int] = key(ge=1)


@dataclass(frozen=True, kw_only=True)
class Train(SGDKeys):
    """One CNN training run of fig 8: ``train.train``."""

    label: ClassVar[str] = "deepnet"
    method: str = key(choices=tuple(sorted(METHODS)))
    seed: int = key(**SEED)
    weight_decay: float = key(ge=0)
    network: Network = key()
    phase: dict = key(allowed="a mapping of keyword arguments of the SAL/RDD phase class")


@dataclass(frozen=True, kw_only=True)
class ScalingRun(SGDKeys):
    """One network shape of the depth and width study, every method and seed: ``experiments.scaling_run``."""

    label: ClassVar[str] = "deepnet scaling_run"
    depth: int = key(ge=1, le=100)
    width: int = key(ge=1, le=100000)
    methods: list[str] = key(min_length=1, unique=True, choices=SCALING_METHODS)
    seeds: list[int] = key(min_length=1, unique=True, **SEED)
    kp_weight_decay: float = key(ge=0)
    gradient_batch: int = key(ge=2)
    sal_phase: dict = key(allowed="a mapping of keyword arguments of SALPhase")

    def relations(self):
        yield from super().relations()
        if "bp" not in self.methods:
            yield "methods", self.methods, "a list including bp (the reference of the accuracy gap)"


@dataclass(frozen=True, kw_only=True)
class WeightScatter(Params):
    """Fig 7: ``experiments.weight_scatter``."""

    label: ClassVar[str] = "deepnet weight_scatter"
    n: int = key(ge=1)
    weights_seed: int = key(**SEED)
    seconds: int = key(ge=1)
    record_seconds: float = key(gt=0)
    sal_eta: float = key(ge=0)
    sal_batch: int = key(ge=1)
    sal_steps_per_second: int = key(ge=1)
    sal_official_refractory: bool = key()
    rdd_update_seconds: float = key(gt=0)
    rdd_official_bug: bool = key()

    def relations(self):
        n_rec = int(round(self.seconds / self.record_seconds))
        if n_rec < 1 or abs(n_rec * self.record_seconds - self.seconds) > 1e-9:
            yield "seconds", self.seconds, f"a positive multiple of record_seconds = {self.record_seconds}"
        steps = self.sal_steps_per_second * self.record_seconds
        if steps != int(steps):
            yield ("sal_steps_per_second", self.sal_steps_per_second,
                   f"an integer number of steps per record_seconds = {self.record_seconds}")


@dataclass(frozen=True, kw_only=True)
class Salnet(Params):
    """Fig 9: ``experiments.salnet``."""

    label: ClassVar[str] = "deepnet salnet"
    sizes: list[int] = key(min_length=2, ge=1)
    eta: float = key(gt=0)
    epochs: int = key(ge=1)
    batch: int = key(ge=1)
    steps: int = key(ge=1)
    init_seed: int = key(**SEED)
    tau_ref: int = key(ge=1)
    official_refractory: bool = key()
