"""Minimal patches to upstream trainers, one folder per host (installed as ``hjgan_plugin.patches``).

- ``stylegan2-ada-pytorch/hj-flags.patch``: ``train.py`` gets ``--hj=0|1`` and the ``--hj-*`` options.
- ``stylegan2-ada-pytorch/cpu.patch``: runs on a machine without CUDA (tests): device selection, CUDA
  events, ``pin_memory``, peak-memory stats, gloo for ``--gpus`` > 1, StyleGAN3's ``--cbase``/``--cmax``
  for a tiny network; and two fixes for torch >= 1.12 that GPU runs need as well (no-ops otherwise):
  the ``InfiniteSampler`` call newer torch rejects, and a broadcast of every buffer from rank 0 before
  DDP wraps a module (newer DDP no longer syncs buffers with ``broadcast_buffers=False``, so the
  ``noise_const`` buffers differed between ranks and upstream's own consistency check failed).
- ``stylegan2-ada-pytorch/upstream.json``: the supported upstream commit and the hashes of the files the
  integration relies on (``hjgan patch`` refuses any other version).

Apply them with ``hjgan patch stylegan2-ada DIR [--cpu]`` (checks the version, all or nothing) or
``git apply``.
"""
from pathlib import Path


def patch_dir(host: str) -> Path:
    """The folder of one host's patches (``"stylegan2-ada-pytorch"``)."""
    folder = Path(__file__).resolve().parent / host
    if not folder.is_dir():
        raise FileNotFoundError(f"no patches for {host!r} in {folder.parent}")
    return folder
