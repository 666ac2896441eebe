"""The IDX file format of MNIST and Fashion-MNIST, read and written with numpy alone.

An IDX file is a 4-byte magic number, the dimensions, then the data, all big-endian:

* bytes 0-1: zero; byte 2: the element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
  0x0D float32, 0x0E float64); byte 3: the number of dimensions ``n``;
* ``n`` unsigned 32-bit big-endian sizes (MNIST images: ``count, 28, 28``; labels: ``count``);
* ``prod(sizes)`` elements in C order, big-endian.

The file may be gzipped (recognized by its first two bytes, not by its name). MNIST's four files are
``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (``.gz`` or not; the ``train-images.idx3-ubyte``
spelling is accepted too), as the original site, torchvision's ``raw/`` folder and Debian's
``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist/``) ship them.
"""
from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
#: The four MNIST files, by key: (the torchvision file name, the expected number of dimensions).
MNIST_FILES: dict[str, tuple[str, int]] = {
    "train-images": ("train-images-idx3-ubyte", 3),
    "train-labels": ("train-labels-idx1-ubyte", 1),
    "t10k-images": ("t10k-images-idx3-ubyte", 3),
    "t10k-labels": ("t10k-labels-idx1-ubyte", 1),
}
#: Sub-folders searched when a folder holds none of the files itself (torchvision's and Debian's layouts).
SUBFOLDERS = ("raw", "MNIST/raw", "FashionMNIST/raw", "mnist", "fashion-mnist", "datasets/fashion-mnist")
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


class IDXError(ValueError):
    """A file is not a valid IDX file (or not the one expected); the message names the file."""


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's content, gunzipped when it starts with the gzip magic bytes."""
    data = Path(path).read_bytes()
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXError(f"{path}: a gzip file that does not decompress ({exc}); "
                       "the file is truncated or corrupt") from None


def decode_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the (uncompressed) IDX ``data``; ``name`` is used in the error messages."""
    if len(data) < 4:
        raise IDXError(f"{name}: {len(data)} bytes, expected an IDX header of at least 4 bytes "
                       f"(0, 0, type code, number of dimensions)")
    if data[0] != 0 or data[1] != 0:
        raise IDXError(f"{name}: not an IDX file: it starts with bytes {data[:4].hex(' ')}, "
                       f"expected 00 00 then a type code and the number of dimensions")
    code, ndim = data[2], data[3]
    if code not in DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in DTYPES)
        raise IDXError(f"{name}: unknown IDX type code 0x{code:02X}, expected one of {known}")
    if ndim == 0:
        raise IDXError(f"{name}: the header declares 0 dimensions, expected at least 1")
    offset = 4 + 4 * ndim
    if len(data) < offset:
        raise IDXError(f"{name}: truncated header: {ndim} dimensions need {offset} header bytes, "
                       f"the file has {len(data)}")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - offset
    if actual != expected:
        what = "truncated data" if actual < expected else "trailing bytes after the data"
        raise IDXError(f"{name}: {what}: shape {shape} of {dtype.newbyteorder('=').name} needs {expected} "
                       f"bytes after the {offset}-byte header, the file has {actual}")
    return np.frombuffer(data, dtype=dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike, ndim: int | None = None) -> np.ndarray:
    """Read an IDX file (plain or gzipped); with ``ndim``, refuse a file of another dimensionality."""
    array = decode_idx(read_bytes(path), str(path))
    if ndim is not None and array.ndim != ndim:
        raise IDXError(f"{path}: {array.ndim} dimensions {array.shape}, expected {ndim}")
    return array


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of ``array`` (uint8, int8, int16, int32, float32 or float64; at most 255 dims)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise IDXError(f"dtype {array.dtype} has no IDX type code; use one of "
                       + ", ".join(d.newbyteorder("=").name for d in DTYPES.values()))
    if not 1 <= array.ndim <= 255 or any(d >= 2**32 for d in array.shape):
        raise IDXError(f"shape {array.shape} cannot be written as IDX (1-255 dimensions, each < 2**32)")
    header = bytes((0, 0, code, array.ndim)) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=DTYPES[code]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as IDX; gzipped (reproducibly: no timestamp) if ``compress`` or the name ends in .gz."""
    path = Path(path)
    data = encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def _candidates(name: str) -> list[str]:
    dotted = name.replace("-idx", ".idx")  # train-images.idx3-ubyte, as some mirrors spell it
    return [name, name + ".gz", dotted, dotted + ".gz"]


def _files_in(folder: Path) -> dict[str, Path]:
    found = {}
    for key, (name, _) in MNIST_FILES.items():
        hit = next((folder / c for c in _candidates(name) if (folder / c).is_file()), None)
        if hit is not None:
            found[key] = hit
    return found


def find_mnist_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The four MNIST-style files in ``folder`` (or in one of its :data:`SUBFOLDERS`), by key of :data:`MNIST_FILES`.

    An uncompressed file is preferred to its ``.gz``. Raises ``FileNotFoundError`` naming what is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    found = _files_in(folder)
    if not found:
        complete = [sub for sub in SUBFOLDERS if len(_files_in(folder / sub)) == len(MNIST_FILES)]
        if len(complete) > 1:
            raise FileNotFoundError(f"{folder}: several sub-folders hold the four files ({', '.join(complete)}); "
                                    "give the one to use")
        if complete:
            return _files_in(folder / complete[0])
    missing = [name for key, (name, _) in MNIST_FILES.items() if key not in found]
    if missing:
        raise FileNotFoundError(f"{folder}: missing {', '.join(missing)} (each may also end in .gz)")
    return found
