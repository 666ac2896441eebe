"""Write torchvision's MNIST folder layout from IDX files already on disk, so nothing downloads.

``torchvision.datasets.MNIST(root, download=True)`` (checked against torchvision 0.29.1) skips the
download when the four uncompressed files exist as ``root/MNIST/raw/{train,t10k}-{images-idx3,
labels-idx1}-ubyte`` (its ``_check_exists`` tests only that each is a file; the ``.gz`` names are
not read), then reads them as IDX and requires uint8 data, 3 dimensions for images and 1 for labels.
``FashionMNIST`` reads the same files from ``root/FashionMNIST/raw/``. If both
``root/<Class>/processed/training.pt`` and ``test.pt`` exist, torchvision loads those instead (its
legacy cache), which :func:`write_mnist_layout` reports.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .idx import GZIP_MAGIC, MNIST_FILES, IDXError, decode_idx, encode_idx, find_mnist_files, read_bytes

LAYOUTS = ("MNIST", "FashionMNIST")  # torchvision's class names, which name the folder under root


@dataclass(frozen=True)
class WrittenFile:
    """One file of the layout: where it is, where it came from, what was done, its array shape."""

    path: Path
    source: Path
    action: str  # "copied", "linked", "subset", "unchanged"
    shape: tuple[int, ...]


def raw_folder(root: str | os.PathLike, layout: str = "MNIST") -> Path:
    """The folder torchvision reads the four files from: ``root/<layout>/raw``."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r}: expected one of {', '.join(LAYOUTS)}")
    return Path(root) / layout / "raw"


def _load(files: dict[str, Path]) -> dict[str, tuple[bytes, np.ndarray]]:
    loaded = {}
    for key, (_, ndim) in MNIST_FILES.items():
        data = read_bytes(files[key])
        array = decode_idx(data, str(files[key]))
        if array.dtype != np.uint8 or array.ndim != ndim:
            raise IDXError(f"{files[key]}: {array.dtype} of shape {array.shape}, expected uint8 with {ndim} "
                           f"dimension{'s' if ndim > 1 else ''} ({key.replace('-', ' ')})")
        loaded[key] = data, array
    for split in ("train", "t10k"):
        images, labels = loaded[f"{split}-images"][1], loaded[f"{split}-labels"][1]
        if len(images) != len(labels):
            raise IDXError(f"{files[split + '-images']} has {len(images)} images but "
                           f"{files[split + '-labels']} has {len(labels)} labels; expected the same count")
    return loaded


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _same(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:  # a dangling link, a folder
        return False


def write_mnist_layout(root: str | os.PathLike, source: str | os.PathLike, *, subset: int | None = None,
                       force: bool = False, link: bool = False, layout: str = "MNIST") -> list[WrittenFile]:
    """Write ``root/<layout>/raw/`` from the four IDX files found in ``source`` (see :func:`find_mnist_files`).

    Every source file is checked (IDX, uint8, dimensions, as many labels as images) before anything is
    written. Files are written uncompressed; ``link`` symlinks an uncompressed source instead of copying
    it. ``subset`` keeps the first N training images and labels (the test files stay whole). A file
    already there with other content raises ``FileExistsError`` unless ``force``; an identical one is
    left as it is. Returns what was done, file by file.
    """
    files = find_mnist_files(source)
    loaded = _load(files)
    n_train = len(loaded["train-images"][1])
    if subset is not None and not 1 <= subset <= n_train:
        raise ValueError(f"subset {subset}: expected 1 to {n_train} (the training images in {source})")
    target = raw_folder(root, layout)
    plan = []
    for key, (name, _) in MNIST_FILES.items():
        data, array = loaded[key]
        action = "copied"
        if subset is not None and key.startswith("train"):
            array = array[:subset]
            data, action = encode_idx(array), "subset"
        elif link and not _is_gzip(files[key]):
            action = "linked"
        plan.append((target / name, files[key], data, action, array.shape))
    different = [p for p, _, data, _, _ in plan if (p.exists() or p.is_symlink()) and not _same(p, data)]
    if different and not force:
        raise FileExistsError(f"{target} already holds different files: {', '.join(p.name for p in different)}")
    done = []
    for path, src, data, action, shape in plan:
        same = (path.is_symlink() and path.resolve() == src.resolve()) if action == "linked" else \
            (not path.is_symlink() and _same(path, data))
        done.append(WrittenFile(path, src, "unchanged" if same else action, tuple(shape)))
    if all(d.action == "unchanged" for d in done):
        return done
    # the four files are written into a new folder beside raw/, which then replaces it: images and labels
    # change together, and an interrupted write leaves the old set (or none), never a mixed one
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for (path, src, data, _, _), written in zip(plan, done):
            if written.action == "linked":
                (fresh / path.name).symlink_to(src.resolve())
            else:
                (fresh / path.name).write_bytes(data)
        if target.is_dir():
            for other in target.iterdir():  # anything else the folder held stays in it (copied: the old set is
                if not (fresh / other.name).exists() and not (fresh / other.name).is_symlink():  # whole till the swap)
                    if other.is_dir() and not other.is_symlink():
                        shutil.copytree(other, fresh / other.name, symlinks=True)
                    else:
                        shutil.copy2(other, fresh / other.name, follow_symlinks=False)
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / target.name)
            os.replace(fresh, target)
            shutil.rmtree(old)
        else:
            os.replace(fresh, target)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return done


def legacy_cache(root: str | os.PathLike, layout: str = "MNIST") -> Path | None:
    """``root/<layout>/processed`` if it holds torchvision's legacy ``training.pt`` and ``test.pt``, which it
    would load instead of ``raw/``; otherwise ``None``."""
    processed = Path(root) / layout / "processed"
    return processed if all((processed / f).is_file() for f in ("training.pt", "test.pt")) else None
