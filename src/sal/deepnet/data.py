"""Image data sets of fig 8 (spec deepnet §7): found locally or downloaded with verified checksums.

Where a data set comes from, in order: the folder given as ``path`` (train parameter ``data_path``); known
local locations (``<resources>/<name>/``, and for Fashion-MNIST Debian's ``dataset-fashion-mnist`` package at
/usr/share/datasets/fashion-mnist); else, with ``download=True``, the canonical URLs into
``<resources>/<name>/`` (written atomically, MD5 verified). Every file read is checked against the published
checksum (Fashion-MNIST: SHA-256 of the uncompressed IDX content, because Debian re-compresses the .gz files).
A missing data set raises :class:`DatasetNotFoundError` saying exactly how to provide it.

``digits`` is the 8×8 data set bundled with scikit-learn (1 797 images, offline everywhere), split once
into 1 437 training and 360 test images by a fixed seed: the quick study's stand-in, not a paper data set.

Images stay uint8 NHWC in memory; :meth:`ImageData.normalize` maps a batch to float32 (x/scale − mean)/std
with the official per-data-set constants, :meth:`ImageData.augment` applies the official augmentation
(random crop with zero padding 4 + horizontal flip for CIFAR-10/SVHN, horizontal flip for (Fashion-)MNIST).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_PATH_KEY = "data_path"
DIGITS_SPLIT_SEED = 0
DIGITS_TEST_SIZE = 360
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")

FASHION_MNIST_URLS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                      "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")
# file stem -> (MD5 of the published .gz, SHA-256 of the uncompressed IDX content)
FASHION_MNIST_FILES = {
    "train-images-idx3-ubyte": ("8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
    "train-labels-idx1-ubyte": ("25c81989df183df01b3e8a0aad5dffbe",
                                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
    "t10k-images-idx3-ubyte": ("bef4ecab320f06d8554ea6380940ec79",
                               "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
    "t10k-labels-idx1-ubyte": ("bb300cfdad3c16e7a12a480ee83cd310",
                               "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
}
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_TAR = ("cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a")
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_BATCHES = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"
SVHN_FILES = {"train_32x32.mat": "e26dedcc434d2e4c54c9b2d4a06d8373",
              "test_32x32.mat": "eb5a983be6a315427106f1b164d9cef3"}

# official normalisation (symmnet/datasets.py) after scaling to [0, 1]; digits: statistics of its training split
NORMALISATION = {
    "fashion_mnist": ((0.29,), (0.32,)),
    "cifar10": ((0.49, 0.48, 0.44), (0.20, 0.20, 0.20)),
    "svhn": ((0.44, 0.44, 0.47), (0.12, 0.12, 0.11)),
}
AUGMENTATION = {"digits": "flip", "fashion_mnist": "flip", "cifar10": "crop_flip", "svhn": "crop_flip"}
DATASETS = tuple(AUGMENTATION)


class DatasetNotFoundError(FileNotFoundError):
    """A data set is neither at the given path, nor at a known location, nor downloadable."""


class DatasetChecksumError(ValueError):
    """A data-set file does not match its published checksum (corrupt, truncated or a different file)."""


@dataclass(frozen=True)
class ImageData:
    """Training and test images (uint8, NHWC) with labels, normalisation constants and augmentation kind."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    scale: float  # raw value of full intensity (255; 16 for digits)
    mean: tuple
    std: tuple
    augmentation: str  # "flip" or "crop_flip"
    source: str

    @property
    def input_shape(self) -> tuple:
        return tuple(self.x_train.shape[1:])

    def normalize(self, x: np.ndarray) -> np.ndarray:
        """float32 (x/scale − mean)/std per channel."""
        mean = np.asarray(self.mean, dtype=np.float32)
        inv_std = 1 / np.asarray(self.std, dtype=np.float32)
        return (x.astype(np.float32) * np.float32(1 / self.scale) - mean) * inv_std

    def augment(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Random crop (zero padding 4; per image offsets ~ U{0..8}², drawn first) for "crop_flip", then a
        horizontal flip of each image with probability 1/2; vectorised over the batch."""
        n, h, w, _ = x.shape
        if self.augmentation == "crop_flip":
            pad = 4
            padded = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
            top = rng.integers(0, 2 * pad + 1, size=n)
            left = rng.integers(0, 2 * pad + 1, size=n)
            rows = (top[:, None] + np.arange(h))[:, :, None]
            cols = (left[:, None] + np.arange(w))[:, None, :]
            x = padded[np.arange(n)[:, None, None], rows, cols]
        flip = rng.random(n) < 0.5
        return np.where(flip[:, None, None, None], x[:, :, ::-1], x)


def load_dataset(name: str, path=None, resources="resources", download: bool = True) -> ImageData:
    """Load data set ``name`` (one of DATASETS) from ``path``, a known location or (``download``) the web."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {list(DATASETS)}")
    if name == "digits":
        return _digits()
    path = None if path is None else Path(path)
    resources = Path(resources)
    return {"fashion_mnist": _fashion_mnist, "cifar10": _cifar10, "svhn": _svhn}[name](path, resources, download)


# --------------------------------------------------------------------------- helpers
def _digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def _file_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path, actual: str, expected: str) -> None:
    if actual != expected:
        raise DatasetChecksumError(f"{path}: checksum mismatch (got {actual}, expected {expected}); the file is "
                                   f"corrupt, truncated or not the published one: delete or replace it")


def _how_to_provide(name: str, files: list[str], urls: list[str], resources: Path, debian: bool) -> str:
    ways = [f"  - set the train parameter '{DATA_PATH_KEY}' (load_dataset(path=...)) to a folder holding "
            + ", ".join(files)]
    if debian:
        ways.append(f"  - install Debian's package: apt-get install dataset-fashion-mnist "
                    f"(puts the files in {DEBIAN_FASHION_MNIST})")
    ways.append(f"  - download {' and '.join(urls)} into {resources / name}/ (load_dataset does this itself with "
                f"download=True; checksums are verified)")
    return "Provide it in one of these ways:\n" + "\n".join(ways)


def _not_found(name, looked, files, urls, resources, debian=False, failure="") -> DatasetNotFoundError:
    where = ", ".join(str(p) for p in looked) or "nowhere"
    message = f"data set '{name}' not found (looked in: {where}).{failure}\n"
    return DatasetNotFoundError(message + _how_to_provide(name, files, urls, resources, debian))


def _download(url: str, dest: Path, md5: str) -> None:
    """Fetch ``url`` to ``dest`` atomically (temporary name, MD5 check, rename)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=60) as response, open(tmp, "wb") as out:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                digest.update(chunk)
                out.write(chunk)
        _check(url, digest.hexdigest(), md5)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def _fetch_all(name, targets, resources, looked, files, urls, debian=False) -> None:
    """Download each (mirror URLs, destination, md5); on failure raise DatasetNotFoundError saying what to do."""
    for mirrors, dest, md5 in targets:
        errors = []
        for url in mirrors:
            try:
                _download(url, dest, md5)
                break
            except (OSError, DatasetChecksumError) as err:  # URLError and timeouts are OSErrors
                errors.append(f"{url}: {err}")
        else:
            failure = " Download failed: " + "; ".join(errors)
            raise _not_found(name, looked, files, urls, resources, debian, failure)


# --------------------------------------------------------------------------- digits
def _digits() -> ImageData:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = bunch.images.astype(np.uint8)[..., None]
    y = bunch.target.astype(np.int64)
    order = np.random.default_rng(np.random.SeedSequence(DIGITS_SPLIT_SEED)).permutation(len(y))
    test, train = order[:DIGITS_TEST_SIZE], order[DIGITS_TEST_SIZE:]
    scaled = x[train].astype(np.float64) / 16
    return ImageData("digits", x[train], y[train], x[test], y[test], 16.0, (float(scaled.mean()),),
                     (float(scaled.std()),), AUGMENTATION["digits"], "sklearn.datasets.load_digits")


# --------------------------------------------------------------------------- Fashion-MNIST
def _idx_folder(folder: Path) -> Path | None:
    """``folder`` or its torchvision layout FashionMNIST/raw, if it holds all four IDX files (.gz or not)."""
    for candidate in (folder, folder / "FashionMNIST" / "raw"):
        if all((candidate / stem).is_file() or (candidate / f"{stem}.gz").is_file() for stem in FASHION_MNIST_FILES):
            return candidate
    return None


def _read_idx(folder: Path, stem: str) -> np.ndarray:
    raw_path = folder / stem
    path = raw_path if raw_path.is_file() else folder / f"{stem}.gz"
    try:
        data = path.read_bytes() if path == raw_path else gzip.decompress(path.read_bytes())
    except (OSError, EOFError) as err:
        raise DatasetChecksumError(f"{path}: unreadable ({err})") from err
    _check(path, _digest(data, "sha256"), FASHION_MNIST_FILES[stem][1])
    ndim = data[3]
    shape = np.frombuffer(data, dtype=">i4", count=ndim, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _fashion_mnist(path, resources, download) -> ImageData:
    name = "fashion_mnist"
    files = [f"{stem}(.gz)" for stem in FASHION_MNIST_FILES]
    urls = [FASHION_MNIST_URLS[0] + f"{stem}.gz" for stem in FASHION_MNIST_FILES]
    local = resources / name
    looked = [path] if path is not None else [local, DEBIAN_FASHION_MNIST]
    folder = next((f for f in map(_idx_folder, looked) if f is not None), None)
    if folder is None:
        if path is not None or not download:
            raise _not_found(name, looked, files, urls, resources, debian=True)
        targets = [([base + f"{stem}.gz" for base in FASHION_MNIST_URLS], local / f"{stem}.gz", md5)
                   for stem, (md5, _) in FASHION_MNIST_FILES.items()]
        _fetch_all(name, targets, resources, looked, files, urls, debian=True)
        folder = local
    arrays = {stem: _read_idx(folder, stem) for stem in FASHION_MNIST_FILES}
    mean, std = NORMALISATION[name]
    return ImageData(name, arrays["train-images-idx3-ubyte"][..., None],
                     arrays["train-labels-idx1-ubyte"].astype(np.int64),
                     arrays["t10k-images-idx3-ubyte"][..., None], arrays["t10k-labels-idx1-ubyte"].astype(np.int64),
                     255.0, mean, std, AUGMENTATION[name], str(folder))


# --------------------------------------------------------------------------- CIFAR-10
def _cifar_batches(folder: Path):
    """(source, {batch name: bytes}) of the six pickled batches in ``folder`` (extracted or the tarball), or None."""
    for batches in (folder / CIFAR10_DIR, folder):
        if all((batches / b).is_file() for b in CIFAR10_BATCHES):
            return str(batches), {b: (batches / b).read_bytes() for b in CIFAR10_BATCHES}
    tar = folder / CIFAR10_TAR[0]
    if tar.is_file():
        _check(tar, _file_md5(tar), CIFAR10_TAR[1])
        with tarfile.open(tar, "r:gz") as archive:
            return str(tar), {b: archive.extractfile(f"{CIFAR10_DIR}/{b}").read() for b in CIFAR10_BATCHES}
    return None


def _cifar10(path, resources, download) -> ImageData:
    name = "cifar10"
    files = [f"{CIFAR10_DIR}/ (data_batch_1..5, test_batch) or {CIFAR10_TAR[0]}"]
    local = resources / name
    looked = [path] if path is not None else [local]
    found = next((b for b in map(_cifar_batches, looked) if b is not None), None)
    if found is None:
        if path is not None or not download:
            raise _not_found(name, looked, files, [CIFAR10_URL], resources)
        _fetch_all(name, [([CIFAR10_URL], local / CIFAR10_TAR[0], CIFAR10_TAR[1])], resources, looked, files,
                   [CIFAR10_URL])
        found = _cifar_batches(local)
    source, raw = found
    parts = {}
    for batch, md5 in CIFAR10_BATCHES.items():
        data = raw[batch]
        _check(f"{source}:{batch}", _digest(data, "md5"), md5)
        entry = pickle.loads(data, encoding="bytes")  # safe: the bytes are the published (checksummed) file
        parts[batch] = (entry[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                        np.asarray(entry[b"labels"], dtype=np.int64))
    train = [parts[f"data_batch_{i}"] for i in range(1, 6)]
    mean, std = NORMALISATION[name]
    return ImageData(name, np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
                     np.ascontiguousarray(parts["test_batch"][0]), parts["test_batch"][1], 255.0, mean, std,
                     AUGMENTATION[name], source)


# --------------------------------------------------------------------------- SVHN
def _svhn(path, resources, download) -> ImageData:
    from scipy.io import loadmat

    name = "svhn"
    urls = [SVHN_URL + f for f in SVHN_FILES]
    local = resources / name
    looked = [path] if path is not None else [local]
    folder = next((f for f in looked if all((f / fn).is_file() for fn in SVHN_FILES)), None)
    if folder is None:
        if path is not None or not download:
            raise _not_found(name, looked, list(SVHN_FILES), urls, resources)
        _fetch_all(name, [([SVHN_URL + fn], local / fn, md5) for fn, md5 in SVHN_FILES.items()], resources,
                   looked, list(SVHN_FILES), urls)
        folder = local
    split = {}
    for fn, md5 in SVHN_FILES.items():
        _check(folder / fn, _file_md5(folder / fn), md5)
        mat = loadmat(folder / fn)
        labels = mat["y"].ravel().astype(np.int64)
        split[fn] = (np.ascontiguousarray(mat["X"].transpose(3, 0, 1, 2)), np.where(labels == 10, 0, labels))
    mean, std = NORMALISATION[name]
    (x_train, y_train), (x_test, y_test) = split["train_32x32.mat"], split["test_32x32.mat"]
    return ImageData(name, x_train, y_train, x_test, y_test, 255.0, mean, std, AUGMENTATION[name], str(folder))
