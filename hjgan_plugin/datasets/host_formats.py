"""Write a known-factor set in a host trainer's own input format, with its factors beside the images.

=================  ===============================================================  ===================
format             files under ``DIR``                                              read by
=================  ===============================================================  ===================
``mnist``          ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``       torchvision's MNIST
                   (grey only; labels: the categorical factor, else 0)              (PyTorch-GAN)
``folder``         ``images/000000.png`` ...                                        pro-gan-pth's image
                                                                                    folder (ProGAN)
``stylegan2-zip``  ``dataset.zip``: ``00000/img00000000.png`` ... (no labels)        StyleGAN2-ADA's
                                                                                    ``--data``
=================  ===============================================================  ===================

Every format also gets ``factors.npy`` (float32, one row per training image, in the set's factor order;
``mnist`` adds ``factors_t10k.npy`` for its test split) and ``known_factors.json`` (the set, its factor
names, size, count, seed and format, and the host flags to use). The set is written into a temporary
folder beside ``DIR`` and renamed into place, so an interrupted write leaves no mismatched files.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .idx import encode_idx
from .known_factors import FactorSet

FORMATS = ("mnist", "folder", "stylegan2-zip")
META = "known_factors.json"


@dataclass(frozen=True)
class WrittenSet:
    """What :func:`write_known_factor_set` wrote: the folder, what a host reads, its flags."""

    root: Path
    data_path: Path
    flags: str
    meta: dict


def _png(image: np.ndarray) -> bytes:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("the folder and stylegan2-zip formats write PNGs with Pillow: pip install pillow "
                          "(or hjgan_plugin[demo])") from None

    buf = io.BytesIO()
    Image.fromarray(image if image.shape[2] == 3 else image[:, :, 0]).save(buf, format="PNG")
    return buf.getvalue()


def _uint8(images: torch.Tensor) -> np.ndarray:
    """``(n, C, H, W)`` in [0, 1] -> ``(n, H, W, C)`` uint8 (round to nearest)."""
    return (images.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def _check(fs: FactorSet, fmt: str, size: int, n: int) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if n < 1:
        raise ValueError(f"n must be >= 1 images, got {n}")
    if fmt == "mnist" and fs.channels != 1:
        raise ValueError(f"the mnist format holds grey images, and {fs.name!r} has {fs.channels} channels: "
                         "use a grey set (dsprites, shaded-grey) or --format folder / stylegan2-zip")
    if fmt != "mnist" and (size < 4 or size & (size - 1)):
        raise ValueError(f"{fmt} needs a power-of-two size >= 4 (ProGAN and StyleGAN2-ADA grow to 2^k), got {size}")
    if size < 4:
        raise ValueError(f"size must be >= 4 pixels, got {size}")


def _render(fs: FactorSet, n: int, size: int, generator: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    factors = fs.sample(n, generator)
    return _uint8(fs.render(factors, size)), factors.numpy().astype(np.float32)


def _labels(fs: FactorSet, factors: np.ndarray) -> np.ndarray:
    if fs.n_classes:
        return fs.encode(torch.from_numpy(factors))[1].numpy().astype(np.uint8)
    return np.zeros(len(factors), np.uint8)


def _write_mnist(tmp: Path, fs: FactorSet, n: int, size: int, gen: torch.Generator) -> tuple[Path, str]:
    raw = tmp / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, count in (("train", n), ("t10k", max(1, n // 6))):
        images, factors = _render(fs, count, size, gen)
        (raw / f"{split}-images-idx3-ubyte").write_bytes(encode_idx(images[..., 0]))
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(encode_idx(_labels(fs, factors)))
        np.save(tmp / ("factors.npy" if split == "train" else "factors_t10k.npy"), factors)
    return Path("."), f"--img_size {size} --channels 1"


def _write_folder(tmp: Path, fs: FactorSet, n: int, size: int, gen: torch.Generator) -> tuple[Path, str]:
    images, factors = _render(fs, n, size, gen)
    (tmp / "images").mkdir()
    for i, image in enumerate(images):
        (tmp / "images" / f"{i:06d}.png").write_bytes(_png(image))
    np.save(tmp / "factors.npy", factors)
    depth = size.bit_length() - 2  # pro-gan-pth: depth d trains up to 2^(d+1) pixels
    return Path("images"), f"--depth {depth} --num_channels {fs.channels}"


def _write_zip(tmp: Path, fs: FactorSet, n: int, size: int, gen: torch.Generator) -> tuple[Path, str]:
    images, factors = _render(fs, n, size, gen)
    with zipfile.ZipFile(tmp / "dataset.zip", "w", compression=zipfile.ZIP_STORED) as z:
        for i, image in enumerate(images):  # StyleGAN2-ADA's dataset_tool layout: 1000 images a folder
            z.writestr(f"{i // 1000:05d}/img{i:08d}.png", _png(image))
        z.writestr("dataset.json", json.dumps({"labels": None}))
    np.save(tmp / "factors.npy", factors)
    return Path("dataset.zip"), "--data {path} --mirror=0"


_WRITERS = {"mnist": _write_mnist, "folder": _write_folder, "stylegan2-zip": _write_zip}
_HOSTS = {"mnist": "PyTorch-GAN scripts (torchvision MNIST)", "folder": "ProGAN (pro-gan-pth image folder)",
          "stylegan2-zip": "StyleGAN2-ADA train.py"}


def write_known_factor_set(root: str | os.PathLike, fs: FactorSet, fmt: str, size: int, n: int, seed: int = 0,
                           force: bool = False) -> WrittenSet:
    """Render ``n`` images of ``fs`` at ``size`` pixels (seeded) and write them to ``root`` as ``fmt``.

    ``root`` must not exist, be empty, or (``force``) hold an earlier set, which is replaced whole.
    """
    _check(fs, fmt, size, n)
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise FileExistsError(f"{root} exists and is not a folder")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise FileExistsError(f"{root} is not empty")
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        relative, flags = _WRITERS[fmt](tmp, fs, n, size, torch.Generator().manual_seed(seed))
        flags = flags.replace("{path}", str(root / relative))
        meta = {"set": fs.name, "factor_names": list(fs.factor_names), "channels": fs.channels, "size": size,
                "n": n, "seed": seed, "format": fmt, "data": str(relative), "host": _HOSTS[fmt], "flags": flags}
        (tmp / META).write_text(json.dumps(meta, indent=1) + "\n")
        if root.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{root.name}.old.", dir=root.parent))
            os.replace(root, old / "set")
            os.replace(tmp, root)
            shutil.rmtree(old)
        else:
            os.replace(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return WrittenSet(root, root / relative, flags, meta)


def read_meta(root: str | os.PathLike) -> dict:
    """The ``known_factors.json`` of a set written by :func:`write_known_factor_set`."""
    path = Path(root) / META
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: {root} was not written by `hjgan data dsprites|shaded`")
    return json.loads(path.read_text())
