"""Benchmark of the fig-8 CNN: time of one training epoch, per-layer forward/backward breakdown, projections.

    python benchmarks/deepnet.py [--threads N] [FASHION_MNIST_FOLDER]

Prints: one epoch of the quick study (8×8 digits, small network) through ``sal.deepnet.train``; one epoch of
the paper network on Fashion-MNIST if it is present locally (the folder argument, resources/datasets/fashion_mnist
or Debian's /usr/share/datasets/fashion-mnist), else the epoch projected from the measured per-sample cost
on synthetic 28×28 batches; the same projection for CIFAR-10/SVHN (32×32×3); the SAL sleep phase's ms per
step and the RDD phase's time per epoch (from ``deepnet_spiking.py``, which times them in more detail);
and, if PyTorch is installed, the same architecture's training batch in PyTorch with our ratio.

Threads: N BLAS threads for us and N PyTorch threads (default 1, as every pipeline job runs). Results do not
depend on the thread count, the speed does; on a busy machine spinning OpenBLAS threads can be several
times slower than one thread, so compare ratios measured in one run on an otherwise idle machine.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from deepnet_spiking import rdd_seconds_per_simulated_second, sal_ms_per_step

from sal.deepnet import CNN, DatasetNotFoundError, load_dataset, paper_network, paper_params, quick_params, train
from sal.deepnet.data import default_path, known_locations
from sal.deepnet.layers import SGD, SoftmaxCrossEntropy

BATCH, TEST_BATCH = 128, 256


def layer_times(net, x, y, repeats=5):
    """Median seconds per batch of each layer's forward and backward pass, and of the SGD step."""
    loss = SoftmaxCrossEntropy(True)
    optimizer = SGD(net.params(), 0.01, 0.9)
    rows = {layer.name: ([], []) for layer in net.layers}
    step = []
    for rep in range(repeats + 1):  # the first pass loads the compiled kernels
        h = x
        for layer in net.layers:
            start = time.perf_counter()
            h = layer.forward(h, True)
            rows[layer.name][0].append(time.perf_counter() - start)
        loss.forward(h, y)
        g = loss.backward()
        for layer in reversed(net.layers):
            start = time.perf_counter()
            g = layer.backward(g)
            rows[layer.name][1].append(time.perf_counter() - start)
        start = time.perf_counter()
        optimizer.step()
        step.append(time.perf_counter() - start)
    med = {name: (np.median(f[1:]), np.median(b[1:])) for name, (f, b) in rows.items()}
    return med, float(np.median(step[1:]))


def eval_time(net, x, repeats=5):
    """Median seconds of one forward pass in evaluation mode."""
    times = []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        net.forward(x, train=False)
        times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))


def print_breakdown(title, med, step):
    total = sum(f + b for f, b in med.values()) + step
    print(f"\n{title}: {1e3 * total:.1f} ms per training batch of {BATCH}")
    print(f"  {'layer':8s} {'forward ms':>10s} {'backward ms':>11s}")
    for name, (f, b) in med.items():
        print(f"  {name:8s} {1e3 * f:10.2f} {1e3 * b:11.2f}")
    print(f"  {'SGD step':8s} {1e3 * step:10.2f}")
    return total


def projected_epoch(shape, n_train, n_test, label):
    """Paper network on synthetic batches of ``shape``: per-sample cost × data-set size."""
    rng = np.random.default_rng(0)
    net = CNN("fa", shape, rng, **paper_network())
    x = rng.normal(size=(BATCH, *shape)).astype(np.float32)
    med, step = layer_times(net, x, rng.integers(0, 10, BATCH))
    per_batch = print_breakdown(f"paper network, {label} input {shape}", med, step)
    per_test = eval_time(net, rng.normal(size=(TEST_BATCH, *shape)).astype(np.float32)) / TEST_BATCH
    epoch = n_train * per_batch / BATCH + n_test * per_test
    print(f"  projected epoch ({n_train} train + {n_test} test samples): {epoch:.1f} s; "
          f"100 epochs: {100 * epoch / 3600:.2f} h")
    return per_batch


def measured_epoch(params, label):
    """Wall time of a one-epoch ``train`` run (after a warm-up run on digits has loaded the kernels)."""
    start, cpu = time.perf_counter(), time.process_time()
    ds = train({**params, "epochs": 1})
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label}: one epoch (incl. test pass and data loading) {seconds:.2f} s wall, {cpu:.2f} s CPU, "
          f"test accuracy {float(ds['test_accuracy'][-1]):.1f} %")


def phase_timing():
    """The SAL sleep phase and the RDD phase at the paper's FC sizes (details in deepnet_spiking.py)."""
    wall, _, _, _ = sal_ms_per_step(32)
    print(f"SAL sleep phase [1600, 384, 192, 10], batch 32: {wall:.2f} ms per step (target <= 5 ms); "
          f"one fig-8 epoch's phase (5 x 2000 steps): {10 * wall:.0f} s")
    epoch = 30 * sum(rdd_seconds_per_simulated_second())
    print(f"RDD phase [1600, 384, 192, 10]: one 90-s epoch's phase {epoch:.0f} s")


def torch_ratio(ours_per_batch, threads):
    """The same architecture in PyTorch (CPU), if installed: seconds per training batch and our ratio."""
    try:
        import torch
        from torch import nn
    except ImportError:
        print("PyTorch: not installed; no ratio (the paper's code runs this network in PyTorch)")
        return
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(3, 64, 5, bias=False), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 5, bias=False), nn.ReLU(), nn.BatchNorm2d(64), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(1600, 384), nn.ReLU(), nn.BatchNorm1d(384), nn.Linear(384, 192), nn.ReLU(),
        nn.BatchNorm1d(192), nn.Linear(192, 10), nn.Softmax(dim=-1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.randn(BATCH, 3, 32, 32), torch.randint(0, 10, (BATCH,))
    times = []
    for _ in range(6):
        start = time.perf_counter()
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    theirs = float(np.median(times[1:]))
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads), 32×32×3 batch of {BATCH}: "
          f"{1e3 * theirs:.1f} ms; ours / PyTorch = {ours_per_batch / theirs:.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS and PyTorch threads (default 1)")
    parser.add_argument("fashion_mnist", nargs="?", help="folder with the Fashion-MNIST idx files")
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        run(args.fashion_mnist, args.threads)


def run(fmnist_path, threads):
    quick = quick_params("bp", 0)
    train({**quick, "epochs": 1})  # warm-up: load the cached compiled kernels
    measured_epoch(quick, "quick study (digits 8×8, small network, batch 32, BP)")
    rng = np.random.default_rng(0)
    digits = load_dataset("digits")
    net = CNN("fa", digits.input_shape, rng, **quick["network"])
    x = digits.normalize(digits.x_train[:BATCH])
    print_breakdown("small network, digits", *layer_times(net, x, digits.y_train[:BATCH]))

    folders = [fmnist_path] if fmnist_path else [default_path("fashion_mnist"), *known_locations("fashion_mnist")]
    try:
        folder = next((str(f) for f in folders if f and Path(f).is_dir()), None)
        load_dataset("fashion_mnist", folder)
        measured_epoch({**paper_params("fashion_mnist", "fa", 0), "data_path": folder},
                       "\nFashion-MNIST, paper network, FA")
    except DatasetNotFoundError:
        print("\nFashion-MNIST not present locally: epoch projected from the per-sample cost below")
    projected_epoch((28, 28, 1), 60_000, 10_000, "Fashion-MNIST")
    cifar_batch = projected_epoch((32, 32, 3), 50_000, 10_000, "CIFAR-10 (SVHN: 73 257 + 26 032 samples)")
    print()
    phase_timing()
    torch_ratio(cifar_batch, threads)


if __name__ == "__main__":
    main()
