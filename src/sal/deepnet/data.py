"""Image data sets of fig 8 (spec deepnet §7): retrieved once into a folder, then only read.

:func:`retrieve` fills a folder (in the workflow ``resources/datasets/<name>``, a step of its own that runs once,
before any training job) with the data set's files, from the first of: the folder ``source`` (config
``deepnet.fig8.data_paths``) if given, and then only from there; known local locations (for Fashion-MNIST
Debian's ``dataset-fashion-mnist`` package at /usr/share/datasets/fashion-mnist; ``resources/<name>/``, where
earlier versions downloaded to); else a download with pooch from the official mirrors. Files are copied, never
linked (compute nodes may not see the login node's /usr/share), and each is verified against its published
hash (Fashion-MNIST: SHA-256 of the uncompressed IDX content, because Debian re-compresses the .gz files, and
pooch checks the MD5 of a downloaded .gz; the others: MD5 of the published file). The folder is built under a
temporary sibling name and renamed when complete, so an interrupted retrieve leaves no half folder, and a
retrieve that finds ``dest`` complete does nothing. From the shell:
``python -m sal.deepnet.data NAME DEST [--source FOLDER]``.

:func:`load_dataset` only reads (train parameter ``data_path``: the retrieved folder; it verifies the hashes
again) and never downloads; a missing data set raises :class:`DatasetNotFoundError` saying how to provide it.
Accepted layouts, for ``source`` and ``data_path`` alike: Fashion-MNIST the four IDX files, each .gz or not, in
the folder or its torchvision layout ``FashionMNIST/raw``; CIFAR-10 the six pickled batches in
``cifar-10-batches-py/`` or the folder itself, or ``cifar-10-python.tar.gz``; SVHN ``train_32x32.mat`` and
``test_32x32.mat``.

``digits`` is the 8×8 data set bundled with scikit-learn (1 797 images, offline everywhere), split once
into 1 437 training and 360 test images by a fixed seed: the quick study's stand-in, not a paper data set.
It needs no retrieve (the workflow calls none for it; :func:`retrieve` writes only a marker file) and
load_dataset ignores ``path`` for it.

Images stay uint8 NHWC in memory; :meth:`ImageData.normalize` maps a batch to float32 (x/scale − mean)/std
with the official per-data-set constants, :meth:`ImageData.augment` applies the official augmentation
(random crop with zero padding 4 + horizontal flip for CIFAR-10/SVHN, horizontal flip for (Fashion-)MNIST).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import logging
import os
import pickle
import shutil
import tarfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pooch

log = logging.getLogger(__name__)

DATA_PATH_KEY = "data_path"
DIGITS_SPLIT_SEED = 0
DIGITS_TEST_SIZE = 360
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist
LEGACY_RESOURCES = Path("resources")  # earlier versions downloaded into resources/<name>/ (relative to the cwd)
RETRIEVED = "resources/datasets"  # the workflow retrieves each data set into RETRIEVED/<name>
DIGITS_MARKER = "bundled-with-scikit-learn.txt"
DOWNLOAD_TIMEOUT = 60  # seconds without data before a download attempt is given up

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
    """A data set is not in the folder a run reads, or could not be retrieved from anywhere."""


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



class _File(NamedTuple):
    """One file of a data set: ``path`` where it is, ``rel`` its name in a retrieved folder, and its check."""

    key: str
    path: Path
    rel: str
    kind: str  # "md5" (of the file) or "idx-sha256" (of the uncompressed IDX content)
    expected: str


def default_path(name: str) -> str | None:
    """Where the workflow retrieves data set ``name`` (relative to its working directory); None for digits."""
    return None if name == "digits" else f"{RETRIEVED}/{name}"


def load_dataset(name: str, path=None) -> ImageData:
    """Read data set ``name`` (one of DATASETS) from the folder ``path`` (see :func:`retrieve`); digits from
    scikit-learn (``path`` ignored). Never downloads."""
    _check_name(name)
    if name == "digits":
        return _digits()
    if path is None:
        raise _not_found(name, None, " No folder given (train parameter 'data_path' is None).")
    folder = Path(path)
    files = _files(name, folder)
    if files is None:
        raise _not_found(name, folder, f" Looked in: {folder}.")
    return {"fashion_mnist": _fashion_mnist, "cifar10": _cifar10, "svhn": _svhn}[name](files)


def retrieve(name: str, dest, source=None) -> Path:
    """Fill the folder ``dest`` with data set ``name``'s files: copied from ``source`` if given, else from a
    known local location, else downloaded (pooch); every file verified. Atomic (built in a temporary sibling
    folder, then renamed); nothing to do if ``dest`` is already complete. Returns ``dest``."""
    _check_name(name)
    dest = Path(dest)
    if dest.is_dir() and not any(dest.iterdir()):
        dest.rmdir()  # an empty folder (made by hand or by a tool) holds nothing to keep
    if dest.exists():
        if _complete(name, dest):
            log.info("%s: already retrieved in %s", name, dest)
            return dest
        raise FileExistsError(f"{dest} exists but does not hold a complete '{name}' data set; delete it and "
                              f"retrieve again")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{uuid.uuid4().hex[:12]}")  # a sibling: the rename stays on one disk
    tmp.mkdir()  # (not mkdtemp: its mode 0700 would stay on dest; mkdir honours the umask)
    try:
        origin = _fill(name, tmp, Path(source) if source else None, dest)  # "" (an empty config entry) = none
        try:
            os.rename(tmp, dest)
        except OSError:
            if not _complete(name, dest):  # else a concurrent retrieve finished first: its folder is as good
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("%s: retrieved from %s into %s", name, origin, dest)
    return dest


# --------------------------------------------------------------------------- retrieving
def known_locations(name: str) -> list[Path]:
    """Local folders that may already hold data set ``name``, in the order retrieve looks."""
    return [LEGACY_RESOURCES / name] + ([DEBIAN_FASHION_MNIST] if name == "fashion_mnist" else [])


def _downloads(name: str) -> list[tuple[list[str], str, str]]:
    """(mirror URLs, file name, pooch known_hash) of every file to download for data set ``name``."""
    if name == "fashion_mnist":
        return [([base + f"{stem}.gz" for base in FASHION_MNIST_URLS], f"{stem}.gz", f"md5:{md5}")
                for stem, (md5, _) in FASHION_MNIST_FILES.items()]
    if name == "cifar10":
        return [([CIFAR10_URL], CIFAR10_TAR[0], f"md5:{CIFAR10_TAR[1]}")]
    return [([SVHN_URL + fn], fn, f"md5:{md5}") for fn, md5 in SVHN_FILES.items()]


def _complete(name: str, folder: Path) -> bool:
    return (folder / DIGITS_MARKER).is_file() if name == "digits" else _files(name, folder) is not None


def _fill(name: str, tmp: Path, source: Path | None, dest: Path) -> str:
    """Put the files of ``name`` (to be ``dest``) into the empty folder ``tmp``; return where they came from."""
    if name == "digits":
        (tmp / DIGITS_MARKER).write_text("digits: bundled with scikit-learn (sklearn.datasets.load_digits); "
                                         "nothing to retrieve\n")
        return "scikit-learn"
    looked = [source] if source is not None else known_locations(name)
    for folder in looked:
        files = _files(name, folder)
        if files is not None:
            for f in files:
                target = tmp / f.rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(f.path, target)
                _verify(target, f.kind, f.expected, label=f.path)
            return str(folder)
    if source is not None:
        raise _not_found(name, dest, f" Not in the given source folder {source}.")
    downloader = pooch.HTTPDownloader(timeout=DOWNLOAD_TIMEOUT)
    for mirrors, fname, known_hash in _downloads(name):
        errors = []
        for url in mirrors:
            log.info("%s: downloading %s", name, url)
            try:
                pooch.retrieve(url, known_hash, fname=fname, path=tmp, downloader=downloader)
                break
            except (OSError, ValueError) as err:  # requests' errors are OSErrors; a hash mismatch a ValueError
                errors.append(f"{url}: {err}")
        else:
            where = ", ".join(map(str, looked))
            raise _not_found(name, dest, f" Not in {where}; download failed: " + "; ".join(errors))
    return "download"


# --------------------------------------------------------------------------- checks and messages
def _check_name(name: str) -> None:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {list(DATASETS)}")


def _check(label, actual: str, expected: str) -> None:
    if actual != expected:
        raise DatasetChecksumError(f"{label}: checksum mismatch (got {actual}, expected {expected}); the file is "
                                   f"corrupt, truncated or not the published one: delete or replace it")


def _idx_content(path: Path, label=None) -> bytes:
    """The IDX bytes of ``path`` (gunzipped if it ends in .gz); an unreadable file is named as ``label``."""
    try:
        return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as err:
        raise DatasetChecksumError(f"{label or path}: unreadable ({err})") from err


def _verify(path: Path, kind: str, expected: str, label=None) -> None:
    """Raise DatasetChecksumError naming ``label`` (default ``path``) unless ``path`` has the expected hash."""
    actual = (hashlib.sha256(_idx_content(path, label)).hexdigest() if kind == "idx-sha256"
              else pooch.file_hash(str(path), alg="md5"))
    _check(label or path, actual, expected)


def _layouts(name: str) -> str:
    return {"fashion_mnist": ", ".join(f"{stem}.gz" for stem in FASHION_MNIST_FILES) + " (.gz or not)",
            "cifar10": f"{CIFAR10_DIR}/ (data_batch_1..5, test_batch) or {CIFAR10_TAR[0]}",
            "svhn": " and ".join(SVHN_FILES)}[name]


def _not_found(name: str, path: Path | None, reason: str) -> DatasetNotFoundError:
    """DatasetNotFoundError for ``name`` (``reason`` says what was missing) with the ways to provide it."""
    path = path if path is not None else default_path(name)
    urls = [u for mirrors, _, _ in _downloads(name) for u in mirrors[:1]]
    ways = [f"  - retrieve it (once, before training; downloads if needed, verifies checksums): "
            f"python -m sal.deepnet.data {name} {path} [--source FOLDER]; the workflow does this itself "
            f"(target: resources/datasets/{name}) and gives the training runs that folder as '{DATA_PATH_KEY}'",
            f"  - a folder of your own holding {_layouts(name)}: retrieve's --source (workflow config: "
            f"deepnet.fig8.data_paths.{name}); it is copied, not linked"]
    if name == "fashion_mnist":
        ways.append(f"  - install Debian's package: apt-get install dataset-fashion-mnist (puts the files in "
                    f"{DEBIAN_FASHION_MNIST}, where retrieve finds them)")
    ways.append(f"  - without network on this machine: download {', '.join(urls)} elsewhere and give the folder "
                f"as the source")
    return DatasetNotFoundError(f"data set '{name}' not found.{reason}\nProvide it in one of these ways:\n"
                                + "\n".join(ways))


def _files(name: str, folder: Path) -> list[_File] | None:
    """Every file of data set ``name`` in ``folder`` (any accepted layout), or None if one is missing."""
    if name == "fashion_mnist":
        for candidate in (folder, folder / "FashionMNIST" / "raw"):
            found = []
            for stem, (_, sha256) in FASHION_MNIST_FILES.items():
                path = next((p for p in (candidate / stem, candidate / f"{stem}.gz") if p.is_file()), None)
                if path is None:
                    break
                found.append(_File(stem, path, path.name, "idx-sha256", sha256))
            else:
                return found
        return None
    if name == "cifar10":
        for batches in (folder / CIFAR10_DIR, folder):
            if all((batches / b).is_file() for b in CIFAR10_BATCHES):
                return [_File(b, batches / b, f"{CIFAR10_DIR}/{b}", "md5", md5) for b, md5 in CIFAR10_BATCHES.items()]
        tar = folder / CIFAR10_TAR[0]
        return [_File("tar", tar, tar.name, "md5", CIFAR10_TAR[1])] if tar.is_file() else None
    if all((folder / fn).is_file() for fn in SVHN_FILES):
        return [_File(fn, folder / fn, fn, "md5", md5) for fn, md5 in SVHN_FILES.items()]
    return None


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
def _read_idx(f: _File) -> np.ndarray:
    data = _idx_content(f.path)
    _check(f.path, hashlib.sha256(data).hexdigest(), f.expected)
    ndim = data[3]
    shape = np.frombuffer(data, dtype=">i4", count=ndim, offset=4)
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _fashion_mnist(files: list[_File]) -> ImageData:
    name = "fashion_mnist"
    arrays = {f.key: _read_idx(f) for f in files}
    mean, std = NORMALISATION[name]
    return ImageData(name, arrays["train-images-idx3-ubyte"][..., None],
                     arrays["train-labels-idx1-ubyte"].astype(np.int64),
                     arrays["t10k-images-idx3-ubyte"][..., None], arrays["t10k-labels-idx1-ubyte"].astype(np.int64),
                     255.0, mean, std, AUGMENTATION[name], str(files[0].path.parent))


# --------------------------------------------------------------------------- CIFAR-10
def _cifar10(files: list[_File]) -> ImageData:
    name = "cifar10"
    if files[0].key == "tar":
        tar = files[0]
        _verify(tar.path, tar.kind, tar.expected)
        with tarfile.open(tar.path, "r:gz") as archive:
            raw = {b: archive.extractfile(f"{CIFAR10_DIR}/{b}").read() for b in CIFAR10_BATCHES}
        source = str(tar.path)
    else:
        raw = {f.key: f.path.read_bytes() for f in files}
        source = str(files[0].path.parent)
    parts = {}
    for batch, md5 in CIFAR10_BATCHES.items():
        data = raw[batch]
        _check(f"{source}:{batch}", hashlib.md5(data).hexdigest(), md5)
        entry = pickle.loads(data, encoding="bytes")  # safe: the bytes are the published (checksummed) file
        parts[batch] = (entry[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
                        np.asarray(entry[b"labels"], dtype=np.int64))
    train = [parts[f"data_batch_{i}"] for i in range(1, 6)]
    mean, std = NORMALISATION[name]
    return ImageData(name, np.concatenate([x for x, _ in train]), np.concatenate([y for _, y in train]),
                     np.ascontiguousarray(parts["test_batch"][0]), parts["test_batch"][1], 255.0, mean, std,
                     AUGMENTATION[name], source)


# --------------------------------------------------------------------------- SVHN
def _svhn(files: list[_File]) -> ImageData:
    from scipy.io import loadmat

    name = "svhn"
    split = {}
    for f in files:
        _verify(f.path, f.kind, f.expected)
        mat = loadmat(f.path)
        labels = mat["y"].ravel().astype(np.int64)
        split[f.key] = (np.ascontiguousarray(mat["X"].transpose(3, 0, 1, 2)), np.where(labels == 10, 0, labels))
    mean, std = NORMALISATION[name]
    (x_train, y_train), (x_test, y_test) = split["train_32x32.mat"], split["test_32x32.mat"]
    return ImageData(name, x_train, y_train, x_test, y_test, 255.0, mean, std, AUGMENTATION[name],
                     str(files[0].path.parent))


def main(argv=None) -> None:
    """``python -m sal.deepnet.data NAME DEST [--source FOLDER]``: :func:`retrieve` from the shell."""
    parser = argparse.ArgumentParser(prog="python -m sal.deepnet.data", description=retrieve.__doc__)
    parser.add_argument("name", choices=DATASETS)
    parser.add_argument("dest", help=f"folder to fill (the workflow's: {RETRIEVED}/NAME)")
    parser.add_argument("--source", help="a folder already holding the files (copied and verified)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    print(retrieve(args.name, args.dest, args.source))


if __name__ == "__main__":
    main()
