"""IDX files (hjgan_plugin.datasets.idx), torchvision's MNIST layout and ``hjgan data mnist``.

Every IDX file here is written by the project, except in the two tests that use Debian's
``dataset-fashion-mnist`` files and the torchvision of the hosts venv (each skips, saying why, without them).
"""
from __future__ import annotations

import gzip
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hosts import HOSTS_PYTHON, NO_HOSTS_PYTHON
from click.testing import CliRunner

from hjgan_plugin.cli import main as cli_main
from hjgan_plugin.datasets.idx import (DEBIAN_FASHION_MNIST, DTYPES, IDXError, decode_idx, encode_idx,
                                       find_mnist_files, read_idx, write_idx)
from hjgan_plugin.datasets.torchvision_mnist import legacy_cache, raw_folder, write_mnist_layout

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _mnist_like(n_train: int = 12, n_test: int = 5, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
            "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
            "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
            "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8)}


@pytest.fixture
def source(tmp_path) -> tuple[Path, dict[str, np.ndarray]]:
    """A folder of the four files, gzipped like Debian's, and their arrays."""
    folder, arrays = tmp_path / "src", _mnist_like()
    folder.mkdir()
    for name, array in arrays.items():
        write_idx(folder / f"{name}.gz", array)
    return folder, arrays


def _run(*args: str):
    return CliRunner().invoke(cli_main, ["data", "mnist", *args])


# --------------------------------------------------------------------------------------- the format
@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7, 28, 28), (9,), (2, 3, 4, 5)])
def test_round_trip_uint8(tmp_path, suffix, shape):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = write_idx(tmp_path / f"x{suffix}", array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == (suffix == ".gz")
    back = read_idx(path)
    assert back.dtype == np.uint8 and back.shape == shape and np.array_equal(back, array)
    assert back.flags.writeable


@pytest.mark.parametrize("dtype", [d.newbyteorder("=") for d in DTYPES.values()])
def test_round_trip_every_type_big_endian(dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    data = encode_idx(array)
    code = next(c for c, d in DTYPES.items() if d.newbyteorder("=") == dtype)
    assert data[:4] == bytes((0, 0, code, 3)) and data[4:16] == bytes((0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4))
    assert data[16:] == array.astype(dtype.newbyteorder(">")).tobytes()
    back = decode_idx(data)
    assert back.dtype == dtype and np.array_equal(back, array)


def test_labels_header_is_mnists():
    assert encode_idx(np.zeros(60000, np.uint8))[:8] == bytes.fromhex("00000801 0000ea60")


def test_gzip_is_reproducible(tmp_path):
    array = np.arange(10, dtype=np.uint8)
    assert write_idx(tmp_path / "a.gz", array).read_bytes() == write_idx(tmp_path / "b.gz", array).read_bytes()
    assert write_idx(tmp_path / "c", array, compress=True).read_bytes() == (tmp_path / "a.gz").read_bytes()


GOOD = encode_idx(np.arange(6, dtype=np.uint8).reshape(2, 3))


@pytest.mark.parametrize("data, message", [
    (b"", "0 bytes, expected an IDX header of at least 4 bytes"),
    (b"\x00\x00\x08", "3 bytes, expected an IDX header"),
    (b"\x01\x02\x08\x01" + bytes(8), "not an IDX file: it starts with bytes 01 02 08 01, expected 00 00"),
    (b"\x00\x00\x07\x01" + bytes(8), "unknown IDX type code 0x07, expected one of 0x08, 0x09"),
    (b"\x00\x00\x08\x00", "the header declares 0 dimensions"),
    (GOOD[:9], "truncated header: 2 dimensions need 12 header bytes, the file has 9"),
    (GOOD[:-1], "truncated data: shape (2, 3) of uint8 needs 6 bytes after the 12-byte header, the file has 5"),
    (GOOD + b"\x00", "trailing bytes after the data: shape (2, 3) of uint8 needs 6 bytes"),
])
def test_bad_file_messages_name_the_file(tmp_path, data, message):
    path = tmp_path / "bad-idx"
    path.write_bytes(data)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    assert str(info.value).startswith(f"{path}: ") and message in str(info.value)


def test_bad_gzip_messages(tmp_path):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(GOOD)[:-6])
    with pytest.raises(IDXError, match=f"^{path}: a gzip file that does not decompress .*truncated or corrupt"):
        read_idx(path)
    path.write_bytes(gzip.compress(GOOD)[:2] + b"garbage")
    with pytest.raises(IDXError, match="does not decompress"):
        read_idx(path)


def test_wrong_dimensions_and_unwritable(tmp_path):
    path = write_idx(tmp_path / "labels", np.zeros(4, np.uint8))
    with pytest.raises(IDXError, match=r"labels: 1 dimensions \(4,\), expected 3"):
        read_idx(path, ndim=3)
    with pytest.raises(IDXError, match="dtype int64 has no IDX type code; use one of uint8"):
        encode_idx(np.zeros(3, np.int64))
    with pytest.raises(IDXError, match=r"shape \(\) cannot be written as IDX"):
        encode_idx(np.uint8(3))


# --------------------------------------------------------------------------------------- finding
@pytest.mark.parametrize("spelling", ["{}", "{}.gz", "{dotted}", "{dotted}.gz"])
def test_find_accepts_the_usual_names(tmp_path, spelling):
    for name in NAMES:
        write_idx(tmp_path / spelling.format(name, dotted=name.replace("-idx", ".idx")), np.zeros(1, np.uint8))
    found = find_mnist_files(tmp_path)
    assert sorted(found) == sorted(n.rsplit("-", 2)[0] for n in NAMES)
    assert all(p.parent == tmp_path for p in found.values())


@pytest.mark.parametrize("sub", ["MNIST/raw", "datasets/fashion-mnist", "fashion-mnist"])
def test_find_looks_in_torchvision_and_debian_layouts(tmp_path, sub):
    (tmp_path / sub).mkdir(parents=True)
    for name in NAMES:
        write_idx(tmp_path / sub / f"{name}.gz", np.zeros(1, np.uint8))
    assert {p.parent for p in find_mnist_files(tmp_path).values()} == {tmp_path / sub}


def test_find_prefers_plain_and_names_what_is_missing(tmp_path):
    for name in NAMES[:3]:
        write_idx(tmp_path / name, np.zeros(1, np.uint8))
        write_idx(tmp_path / f"{name}.gz", np.zeros(1, np.uint8))
    with pytest.raises(FileNotFoundError, match=r"missing t10k-labels-idx1-ubyte \(each may also end in .gz\)"):
        find_mnist_files(tmp_path)
    write_idx(tmp_path / f"{NAMES[3]}.gz", np.zeros(1, np.uint8))
    assert [p.name for p in find_mnist_files(tmp_path).values()] == [*NAMES[:3], f"{NAMES[3]}.gz"]
    with pytest.raises(FileNotFoundError, match="no such folder"):
        find_mnist_files(tmp_path / "nowhere")


# --------------------------------------------------------------------------------------- the layout
def test_layout_round_trip(source, tmp_path):
    folder, arrays = source
    written = write_mnist_layout(tmp_path / "data", folder)
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert raw_folder(tmp_path / "data") == raw and sorted(p.name for p in raw.iterdir()) == sorted(NAMES)
    assert [w.action for w in written] == ["copied"] * 4
    for name, array in arrays.items():
        assert (raw / name).read_bytes() == encode_idx(array)  # uncompressed, byte for byte
    assert [w.action for w in write_mnist_layout(tmp_path / "data", folder)] == ["unchanged"] * 4


def test_layout_link_and_fashion(source, tmp_path):
    folder, arrays = source
    plain = tmp_path / "plain"
    plain.mkdir()
    for name, array in arrays.items():
        write_idx(plain / name, array)
    written = write_mnist_layout(tmp_path / "data", plain, link=True, layout="FashionMNIST")
    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    assert [w.action for w in written] == ["linked"] * 4
    assert all((raw / n).is_symlink() and (raw / n).resolve() == (plain / n).resolve() for n in NAMES)
    assert [w.action for w in write_mnist_layout(tmp_path / "data", plain, link=True, layout="FashionMNIST")] \
        == ["unchanged"] * 4
    assert [w.action for w in write_mnist_layout(tmp_path / "data", folder, link=True, layout="FashionMNIST")] \
        == ["copied"] * 4  # gzipped sources are decompressed, and the links replaced by files
    assert not any((raw / n).is_symlink() for n in NAMES) and (plain / NAMES[0]).read_bytes() == encode_idx(
        arrays[NAMES[0]])


def test_layout_refuses_bad_sources(tmp_path):
    arrays = _mnist_like()
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:-1]
    for name, array in arrays.items():
        write_idx(tmp_path / name, array)
    with pytest.raises(IDXError, match="has 12 images but .*train-labels-idx1-ubyte has 11 labels"):
        write_mnist_layout(tmp_path / "data", tmp_path)
    write_idx(tmp_path / NAMES[1], np.zeros((12, 2), np.uint8))
    with pytest.raises(IDXError, match=r"uint8 of shape \(12, 2\), expected uint8 with 1 dimension \(train labels"):
        write_mnist_layout(tmp_path / "data", tmp_path)
    write_idx(tmp_path / NAMES[1], np.zeros(12, np.int32))
    with pytest.raises(IDXError, match="int32 of shape"):
        write_mnist_layout(tmp_path / "data", tmp_path)
    assert not (tmp_path / "data").exists()
    (tmp_path / "data" / "MNIST" / "processed").mkdir(parents=True)
    assert legacy_cache(tmp_path / "data") is None
    for name in ("training.pt", "test.pt"):
        (tmp_path / "data" / "MNIST" / "processed" / name).write_bytes(b"")
    assert legacy_cache(tmp_path / "data") == tmp_path / "data" / "MNIST" / "processed"


# --------------------------------------------------------------------------------------- the command
def test_cli_writes_the_layout(source, tmp_path):
    folder, arrays = source
    result = _run(str(tmp_path / "data"), "--from", str(folder))
    assert result.exit_code == 0, result.output
    assert "train-images-idx3-ubyte  12x28x28  copied from" in result.output
    assert "MNIST('" in result.output and "download=True) now loads these" in result.output
    assert "Fashion-MNIST" not in result.output
    for name, array in arrays.items():
        assert np.array_equal(read_idx(tmp_path / "data" / "MNIST" / "raw" / name), array)


def test_cli_subset_and_refusal_to_overwrite(source, tmp_path):
    folder, arrays = source
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert _run(str(tmp_path / "data"), "--from", str(folder)).exit_code == 0
    before = {n: (raw / n).read_bytes() for n in NAMES}
    result = _run(str(tmp_path / "data"), "--from", str(folder), "--subset", "5")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "holds different files: train-images-idx3-ubyte, train-labels-idx1-ubyte; --force" in result.output
    assert {n: (raw / n).read_bytes() for n in NAMES} == before  # nothing written
    result = _run(str(tmp_path / "data"), "--from", str(folder), "--subset", "5", "--force")
    assert result.exit_code == 0, result.output
    assert "12x28x28" not in result.output and "5x28x28  subset" in result.output and "unchanged" in result.output
    for name in NAMES[:2]:
        assert np.array_equal(read_idx(raw / name), arrays[name][:5])
    for name in NAMES[2:]:
        assert (raw / name).read_bytes() == before[name]
    result = _run(str(tmp_path / "data"), "--from", str(folder), "--subset", "13")
    assert result.exit_code == 2 and "subset 13: expected 1 to 12" in result.output
    assert _run(str(tmp_path / "data"), "--from", str(folder), "--subset", "0").exit_code == 2


@pytest.mark.parametrize("case", ["no folder", "empty folder", "a file", "bad file"])
def test_cli_bad_sources_say_how_to_get_the_files(tmp_path, case):
    src = tmp_path / "src"
    if case != "no folder":
        src.mkdir() if case != "a file" else src.write_bytes(b"")
    if case == "bad file":
        for name in NAMES:
            (src / name).write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05abc")
    result = _run(str(tmp_path / "data"), "--from", str(src))
    assert result.exit_code == 2 and not isinstance(result.exception, Exception), result.output
    expected = {"no folder": "no such folder", "empty folder": "missing train-images-idx3-ubyte",
                "a file": "not a folder", "bad file": "truncated data"}[case]
    assert expected in result.output
    if case != "bad file":
        assert "apt-get install dataset-fashion-mnist" in result.output
        assert "--from a folder holding" in result.output
    assert not (tmp_path / "data").exists()


def test_cli_default_source_missing(monkeypatch, tmp_path):
    from hjgan_plugin.cli import data

    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "not-installed")
    result = _run(str(tmp_path / "data"))
    assert result.exit_code == 2
    assert "dataset-fashion-mnist package is not installed" in result.output
    assert "apt-get install dataset-fashion-mnist" in result.output and "--from" in result.output


# --------------------------------------------------------------------------------------- real files
def _debian() -> Path:
    if not DEBIAN_FASHION_MNIST.is_dir():
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION_MNIST} absent; "
                    "apt-get install dataset-fashion-mnist)")
    return DEBIAN_FASHION_MNIST


def test_debian_fashion_mnist(tmp_path):
    folder = _debian()
    found = find_mnist_files(folder)
    assert {p.name for p in found.values()} == {f"{n}.gz" for n in NAMES}
    labels = read_idx(found["train-labels"], ndim=1)
    assert labels.shape == (60000,) and set(np.unique(labels)) == set(range(10))
    assert read_idx(found["t10k-images"], ndim=3).shape == (10000, 28, 28)
    result = _run(str(tmp_path / "data"), "--subset", "100")
    assert result.exit_code == 0, result.output
    assert "Fashion-MNIST images (Debian's package)" in result.output
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert np.array_equal(read_idx(raw / NAMES[1]), labels[:100])
    assert (raw / NAMES[3]).read_bytes() == gzip.decompress(found["t10k-labels"].read_bytes())


def test_torchvision_loads_the_layout_offline(source, tmp_path):
    if not HOSTS_PYTHON.exists():
        pytest.skip(NO_HOSTS_PYTHON)
    folder, arrays = source
    assert _run(str(tmp_path / "data"), "--from", str(folder)).exit_code == 0
    script = ("import sys, torch, torchvision.datasets.utils as u\n"
              "def no_net(*a, **k): raise SystemExit('tried to download')\n"
              "u.download_and_extract_archive = u.download_url = no_net\n"
              "from torchvision.datasets import MNIST\n"
              "import torchvision.datasets.mnist as m; m.download_and_extract_archive = no_net\n"
              "for train in (True, False):\n"
              "    d = MNIST(sys.argv[1], train=train, download=True)\n"
              "    image, label = d[0]\n"
              "    pixels = list(image.getdata())\n"
              "    print(len(d), pixels[:8], label, d.data[0].flatten().tolist() == pixels)\n")
    env = dict(os.environ, http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9",
               HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9", no_proxy="", NO_PROXY="")
    done = subprocess.run([str(HOSTS_PYTHON), "-c", script, str(tmp_path / "data")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for line, split in zip(done.stdout.splitlines(), ("train", "t10k")):
        images, labels = arrays[f"{split}-images-idx3-ubyte"], arrays[f"{split}-labels-idx1-ubyte"]
        assert line == f"{len(images)} {images[0].flatten()[:8].tolist()} {labels[0]} True"
