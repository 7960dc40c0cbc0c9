"""Fig-8 data sets (spec deepnet §7): retrieve (user folder, Debian's package, pooch download) and read-only
loading. No external network exists here: downloads come from a local HTTP server on 127.0.0.1."""

import functools
import gzip
import hashlib
import http.server
import inspect
import io
import pickle
import tarfile
import threading

import numpy as np
import pooch
import pytest

from sal.deepnet import DatasetChecksumError, DatasetNotFoundError, load_dataset, paper_params, train
from sal.deepnet import data as data_module
from sal.deepnet.data import retrieve
from sal.deepnet.network import small_network

DEBIAN = data_module.DEBIAN_FASHION_MNIST
WAYS = {"fashion_mnist": ["dataset-fashion-mnist", "train-images-idx3-ubyte.gz"],
        "cifar10": ["cifar-10-python.tar.gz"], "svhn": ["train_32x32.mat"]}


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No known local copies (no Debian package, no resources/ in the cwd); every download attempt refused
    and recorded."""
    calls = []

    def refuse(url, *args, **kwargs):
        calls.append(url)
        raise OSError("network unreachable (test)")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data_module, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-package")
    monkeypatch.setattr(pooch, "retrieve", refuse)
    return calls


def leftovers(folder):
    """Everything under ``folder`` (temporary folders start with a dot)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --------------------------------------------------------------------------- synthetic data sets
def fake_idx(kind, n):
    """A small IDX file: n 28×28 images or n labels."""
    rng = np.random.default_rng(n)
    if kind == "images":
        return bytes([0, 0, 8, 3]) + np.array([n, 28, 28], ">i4").tobytes() + rng.integers(0, 256, n * 784,
                                                                                             np.uint8).tobytes()
    return bytes([0, 0, 8, 1]) + np.array([n], ">i4").tobytes() + rng.integers(0, 10, n, np.uint8).tobytes()


def fake_fashion_mnist(n_train=5, n_test=3):
    return {"train-images-idx3-ubyte": fake_idx("images", n_train),
            "train-labels-idx1-ubyte": fake_idx("labels", n_train),
            "t10k-images-idx3-ubyte": fake_idx("images", n_test),
            "t10k-labels-idx1-ubyte": fake_idx("labels", n_test)}


def fashion_source(folder, monkeypatch):
    """Fake Fashion-MNIST in torchvision's layout, two files gzipped and two not, with its hashes patched in."""
    raw = folder / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for i, (stem, content) in enumerate(fake_fashion_mnist().items()):
        if i % 2:
            (raw / stem).write_bytes(content)
        else:
            (raw / f"{stem}.gz").write_bytes(gzip.compress(content, mtime=0))
        monkeypatch.setitem(data_module.FASHION_MNIST_FILES, stem, ("unused", hashlib.sha256(content).hexdigest()))
    return {"shape": (5, 28, 28, 1), "files": ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte",
                                               "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte"]}


def cifar_batches():
    rng = np.random.default_rng(0)
    images, raw = {}, {}
    for batch in data_module.CIFAR10_BATCHES:
        images[batch] = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)  # official layout: CHW rows
        raw[batch] = pickle.dumps({b"data": images[batch].reshape(4, -1), b"labels": [1, 2, 3, 4]})
    return images, raw


def cifar_source(folder, monkeypatch):
    """Fake CIFAR-10 batches directly in the folder (no cifar-10-batches-py/), hashes patched in."""
    folder.mkdir(parents=True, exist_ok=True)
    for batch, raw in cifar_batches()[1].items():
        (folder / batch).write_bytes(raw)
        monkeypatch.setitem(data_module.CIFAR10_BATCHES, batch, hashlib.md5(raw).hexdigest())
    return {"shape": (20, 32, 32, 3), "files": ["cifar-10-batches-py"] + [
        f"cifar-10-batches-py/{b}" for b in sorted(data_module.CIFAR10_BATCHES)]}


def svhn_mats(folder):
    from scipy.io import savemat

    x = np.random.default_rng(0).integers(0, 256, (32, 32, 3, 3), dtype=np.uint8)  # official layout: (H, W, C, N)
    for name in data_module.SVHN_FILES:
        savemat(folder / name, {"X": x, "y": np.array([[10], [1], [9]], dtype=np.uint8)})
    return x


def svhn_source(folder, monkeypatch):
    folder.mkdir(parents=True, exist_ok=True)
    svhn_mats(folder)
    for name in data_module.SVHN_FILES:
        monkeypatch.setitem(data_module.SVHN_FILES, name, hashlib.md5((folder / name).read_bytes()).hexdigest())
    return {"shape": (3, 32, 32, 3), "files": sorted(data_module.SVHN_FILES)}


SOURCES = {"fashion_mnist": fashion_source, "cifar10": cifar_source, "svhn": svhn_source}


# --------------------------------------------------------------------------- retrieve from local folders
@pytest.mark.parametrize("name", sorted(SOURCES))
def test_retrieve_copies_a_user_folder_and_a_second_call_does_nothing(name, isolated, monkeypatch, tmp_path):
    expected = SOURCES[name](tmp_path / "mine", monkeypatch)
    dest = tmp_path / "resources" / "datasets" / name
    assert retrieve(name, dest, source=tmp_path / "mine") == dest
    assert leftovers(dest) == expected["files"]
    files = [p for p in dest.rglob("*") if p.is_file()]
    assert files and not any(p.is_symlink() for p in dest.rglob("*"))  # copies: nodes may not see the source
    d = load_dataset(name, dest)
    assert d.x_train.shape == expected["shape"] and d.x_train.dtype == np.uint8
    assert leftovers(dest.parent) == [name] + [f"{name}/{f}" for f in expected["files"]]  # no temporary folder

    monkeypatch.setattr(data_module, "_fill", lambda *a: pytest.fail("a complete folder was retrieved again"))
    mtimes = {p: p.stat().st_mtime_ns for p in files}
    assert retrieve(name, dest, source=tmp_path / "elsewhere") == dest
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes and isolated == []


def test_retrieve_reads_only_the_given_source(isolated, monkeypatch, tmp_path):
    """A source without the files is an error naming it, even where a known location holds the data set."""
    fashion_source(tmp_path / "known", monkeypatch)
    monkeypatch.setattr(data_module, "DEBIAN_FASHION_MNIST", tmp_path / "known")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetNotFoundError, match=f"given source folder {tmp_path / 'empty'}"):
        retrieve("fashion_mnist", tmp_path / "dest", source=tmp_path / "empty")
    assert not (tmp_path / "dest").exists() and isolated == []
    retrieve("fashion_mnist", tmp_path / "dest")  # no source: the known location
    assert load_dataset("fashion_mnist", tmp_path / "dest").x_test.shape == (3, 28, 28, 1)


def test_retrieve_finds_an_earlier_download_in_resources(isolated, monkeypatch, tmp_path):
    cifar_source(tmp_path / "resources" / "cifar10", monkeypatch)  # the cwd is tmp_path
    retrieve("cifar10", "resources/datasets/cifar10")
    assert load_dataset("cifar10", "resources/datasets/cifar10").y_train.tolist() == [1, 2, 3, 4] * 5
    assert isolated == []


@pytest.mark.skipif(not DEBIAN.is_dir(), reason=f"Debian's dataset-fashion-mnist not installed ({DEBIAN} missing)")
def test_retrieve_copies_debians_package(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pooch, "retrieve", lambda *a, **k: pytest.fail("downloaded although Debian's copy exists"))
    dest = retrieve("fashion_mnist", tmp_path / "resources" / "datasets" / "fashion_mnist")
    for src in DEBIAN.iterdir():
        copy = dest / src.name
        assert copy.is_file() and not copy.is_symlink() and copy.read_bytes() == src.read_bytes()
        assert copy.stat().st_ino != src.stat().st_ino
    d = load_dataset("fashion_mnist", dest)
    assert d.x_train.shape == (60000, 28, 28, 1) and d.x_test.shape == (10000, 28, 28, 1)
    assert np.bincount(d.y_test).tolist() == [1000] * 10
    reference = load_dataset("fashion_mnist", DEBIAN)  # the copy reads exactly as the original
    for field in ("x_train", "y_train", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(d, field), getattr(reference, field))


# --------------------------------------------------------------------------- checksums and atomicity
def test_retrieve_refuses_a_file_with_a_wrong_hash_naming_it(isolated, monkeypatch, tmp_path):
    (tmp_path / "mine").mkdir()
    for stem, content in fake_fashion_mnist().items():  # valid IDX files, but not the published ones
        (tmp_path / "mine" / f"{stem}.gz").write_bytes(gzip.compress(content))
    with pytest.raises(DatasetChecksumError) as err:
        retrieve("fashion_mnist", tmp_path / "dest", source=tmp_path / "mine")
    assert f"{tmp_path / 'mine' / 'train-images-idx3-ubyte.gz'}: checksum mismatch" in str(err.value)
    assert leftovers(tmp_path) == ["mine"] + [f"mine/{s}.gz" for s in sorted(data_module.FASHION_MNIST_FILES)]
    truncated = tmp_path / "mine" / "train-images-idx3-ubyte.gz"
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(DatasetChecksumError, match=f"{truncated}: unreadable"):
        retrieve("fashion_mnist", tmp_path / "dest", source=tmp_path / "mine")


def test_a_failing_retrieve_leaves_no_folder_and_no_temporary_folder(isolated, monkeypatch, tmp_path):
    """Interrupted after two of four files (Ctrl-C or a killed job): neither dest nor a half folder remains."""
    fashion_source(tmp_path / "mine", monkeypatch)
    dest = tmp_path / "resources" / "datasets" / "fashion_mnist"
    copyfile, copied = data_module.shutil.copyfile, []

    def interrupted(src, dst):
        if len(copied) == 2:
            raise KeyboardInterrupt
        copied.append(dst)
        return copyfile(src, dst)

    monkeypatch.setattr(data_module.shutil, "copyfile", interrupted)
    with pytest.raises(KeyboardInterrupt):
        retrieve("fashion_mnist", dest, source=tmp_path / "mine")
    assert len(copied) == 2 and str(copied[0]).startswith(str(dest.parent / ".fashion_mnist.part-"))
    assert leftovers(dest.parent) == []
    monkeypatch.setattr(data_module.shutil, "copyfile", copyfile)
    retrieve("fashion_mnist", dest, source=tmp_path / "mine")  # the next attempt starts afresh
    assert len(leftovers(dest)) == 4 and leftovers(dest.parent) == ["fashion_mnist"] + [
        f"fashion_mnist/{f}" for f in leftovers(dest)]


def test_a_failed_download_leaves_nothing_and_says_what_to_do(isolated, tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        retrieve("svhn", tmp_path / "resources" / "datasets" / "svhn")
    message = str(err.value)
    assert "download failed" in message and "network unreachable" in message and "data_paths" in message
    assert isolated == [data_module.SVHN_URL + "train_32x32.mat"]
    assert leftovers(tmp_path / "resources" / "datasets") == []


def test_an_incomplete_dest_is_not_overwritten(isolated, monkeypatch, tmp_path):
    fashion_source(tmp_path / "mine", monkeypatch)
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="does not hold a complete 'fashion_mnist'"):
        retrieve("fashion_mnist", tmp_path / "dest", source=tmp_path / "mine")
    assert leftovers(tmp_path / "dest") == ["notes.txt"]
    (tmp_path / "dest" / "notes.txt").unlink()  # an empty folder is filled
    retrieve("fashion_mnist", tmp_path / "dest", source=tmp_path / "mine")
    assert len(leftovers(tmp_path / "dest")) == 4


def test_digits_needs_no_retrieve(isolated, tmp_path):
    assert retrieve("digits", tmp_path / "digits") == tmp_path / "digits"
    assert leftovers(tmp_path / "digits") == [data_module.DIGITS_MARKER] and isolated == []
    retrieve("digits", tmp_path / "digits")  # complete: nothing to do
    assert load_dataset("digits", None).x_train.shape == (1437, 8, 8, 1)
    with pytest.raises(ValueError, match="unknown data set 'mnist'"):
        retrieve("mnist", tmp_path / "mnist")


# --------------------------------------------------------------------------- download through pooch
@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """A local HTTP server (127.0.0.1, a thread) serving tmp_path/www; yields (folder, base URL)."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(www)))
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(data_module, "DOWNLOAD_TIMEOUT", 5)
    try:
        yield www, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def no_local_copies(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data_module, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-package")


def serve_fashion_mnist(www, base, monkeypatch):
    """Fake Fashion-MNIST .gz files on the second mirror only (the first one answers 404), hashes patched in."""
    (www / "fashion").mkdir()
    for stem, content in fake_fashion_mnist().items():
        gz = gzip.compress(content, mtime=0)
        (www / "fashion" / f"{stem}.gz").write_bytes(gz)
        monkeypatch.setitem(data_module.FASHION_MNIST_FILES, stem,
                            (hashlib.md5(gz).hexdigest(), hashlib.sha256(content).hexdigest()))
    monkeypatch.setattr(data_module, "FASHION_MNIST_URLS", (base + "missing/", base + "fashion/"))


def test_download_through_pooch_from_the_second_mirror(http_server, no_local_copies, monkeypatch, tmp_path):
    www, base = http_server
    serve_fashion_mnist(www, base, monkeypatch)
    dest = retrieve("fashion_mnist", tmp_path / "resources" / "datasets" / "fashion_mnist")
    assert leftovers(dest) == sorted(f"{stem}.gz" for stem in data_module.FASHION_MNIST_FILES)
    d = load_dataset("fashion_mnist", dest)
    expected = np.frombuffer(fake_idx("images", 3)[16:], np.uint8).reshape(3, 28, 28)
    np.testing.assert_array_equal(d.x_test[..., 0], expected)
    assert leftovers(dest.parent) == ["fashion_mnist"] + [f"fashion_mnist/{f}" for f in leftovers(dest)]


@pytest.mark.parametrize("name", ["cifar10", "svhn"])
def test_download_through_pooch_cifar10_tarball_and_svhn(name, http_server, no_local_copies, monkeypatch, tmp_path):
    www, base = http_server
    if name == "cifar10":
        images, raw = cifar_batches()
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for batch, content in raw.items():
                info = tarfile.TarInfo(f"cifar-10-batches-py/{batch}")
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
                monkeypatch.setitem(data_module.CIFAR10_BATCHES, batch, hashlib.md5(content).hexdigest())
        (www / "cifar-10-python.tar.gz").write_bytes(buffer.getvalue())
        monkeypatch.setattr(data_module, "CIFAR10_URL", base + "cifar-10-python.tar.gz")
        monkeypatch.setattr(data_module, "CIFAR10_TAR", ("cifar-10-python.tar.gz",
                                                         hashlib.md5(buffer.getvalue()).hexdigest()))
    else:
        svhn_mats(www)
        for fn in data_module.SVHN_FILES:
            monkeypatch.setitem(data_module.SVHN_FILES, fn, hashlib.md5((www / fn).read_bytes()).hexdigest())
        monkeypatch.setattr(data_module, "SVHN_URL", base)
    dest = retrieve(name, tmp_path / name)
    d = load_dataset(name, dest)
    if name == "cifar10":
        assert leftovers(dest) == ["cifar-10-python.tar.gz"] and d.x_train.shape == (20, 32, 32, 3)
        np.testing.assert_array_equal(d.x_test[2, 5, 7], images["test_batch"][2, :, 5, 7])
    else:
        assert leftovers(dest) == sorted(data_module.SVHN_FILES) and d.y_test.tolist() == [0, 1, 9]


def test_a_download_with_a_wrong_hash_is_refused(http_server, no_local_copies, monkeypatch, tmp_path):
    www, base = http_server
    serve_fashion_mnist(www, base, monkeypatch)
    (www / "fashion" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not the published file")
    with pytest.raises(DatasetNotFoundError) as err:
        retrieve("fashion_mnist", tmp_path / "fm")
    assert "t10k-labels-idx1-ubyte.gz" in str(err.value) and "hash" in str(err.value)
    assert "404" in str(err.value)  # the first mirror's answer is reported too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["www"]  # no dest, no temporary folder


# --------------------------------------------------------------------------- load_dataset only reads
def test_load_dataset_has_no_download_parameters():
    assert list(inspect.signature(load_dataset).parameters) == ["name", "path"]


@pytest.mark.parametrize("name", sorted(WAYS))
def test_load_dataset_never_downloads_and_says_how_to_provide_it(name, isolated, tmp_path):
    folder = tmp_path / "resources" / "datasets" / name
    with pytest.raises(DatasetNotFoundError) as err:
        load_dataset(name, folder)
    message = str(err.value)
    for needle in [f"'{name}'", "data_path", str(folder), f"python -m sal.deepnet.data {name} {folder}",
                   "--source", f"data_paths.{name}", "http", *WAYS[name]]:
        assert needle in message
    with pytest.raises(DatasetNotFoundError, match="'data_path' is None"):
        load_dataset(name, None)
    assert isolated == [] and leftovers(tmp_path) == []  # nothing fetched, nothing written


def test_load_refuses_local_files_with_wrong_content_naming_the_file(isolated, tmp_path):
    for stem, raw in fake_fashion_mnist().items():
        (tmp_path / stem).write_bytes(raw)
    with pytest.raises(DatasetChecksumError, match="train-images-idx3-ubyte: checksum mismatch"):
        load_dataset("fashion_mnist", tmp_path)


def test_cifar10_batches_are_parsed_to_nhwc(isolated, monkeypatch, tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    images, raw = cifar_batches()
    for batch, content in raw.items():
        (folder / batch).write_bytes(content)
        monkeypatch.setitem(data_module.CIFAR10_BATCHES, batch, hashlib.md5(content).hexdigest())
    d = load_dataset("cifar10", tmp_path)
    assert d.x_train.shape == (20, 32, 32, 3) and d.x_test.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(d.x_test[2, 5, 7], images["test_batch"][2, :, 5, 7])
    assert d.y_train.tolist() == [1, 2, 3, 4] * 5 and d.augmentation == "crop_flip"


def test_svhn_mat_files_are_parsed_with_label_10_as_0(isolated, monkeypatch, tmp_path):
    x = svhn_mats(tmp_path)
    for name in data_module.SVHN_FILES:
        monkeypatch.setitem(data_module.SVHN_FILES, name, hashlib.md5((tmp_path / name).read_bytes()).hexdigest())
    d = load_dataset("svhn", tmp_path)
    assert d.x_train.shape == (3, 32, 32, 3) and d.y_test.tolist() == [0, 1, 9]
    np.testing.assert_array_equal(d.x_train[1], x[..., 1])


def test_training_reads_the_retrieved_folder_only(isolated, monkeypatch, tmp_path):
    params = {**paper_params("fashion_mnist", "bp", 0), "network": small_network(), "epochs": 1}
    assert params["data_path"] == "resources/datasets/fashion_mnist"  # the workflow's folder (cwd-relative)
    with pytest.raises(DatasetNotFoundError, match="resources/datasets/fashion_mnist"):
        train(params)
    for bad in ({"data_path": None}, {"data_path": ""}, {"download": True}, {"resources": "resources"}):
        with pytest.raises(ValueError, match="data_path|unknown"):
            train({**params, **bad})
    fashion_source(tmp_path / "mine", monkeypatch)
    retrieve("fashion_mnist", params["data_path"], source=tmp_path / "mine")
    assert train(params)["test_accuracy"].shape == (1,) and isolated == []


def test_command_line_retrieve(isolated, monkeypatch, tmp_path, capsys):
    fashion_source(tmp_path / "mine", monkeypatch)
    data_module.main(["fashion_mnist", str(tmp_path / "fm"), "--source", str(tmp_path / "mine")])
    assert capsys.readouterr().out.strip() == str(tmp_path / "fm") and len(leftovers(tmp_path / "fm")) == 4
