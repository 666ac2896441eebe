"""``hjgan patch stylegan2-ada DIR``: the StyleGAN2-ADA patches, applied version-checked and all or nothing.

- ``hj-flags.patch``: ``train.py`` gets ``--hj=0|1`` and the ``--hj-*`` options;
- ``cpu.patch`` (``--cpu``): runs on a machine without CUDA, and two fixes newer torch needs on GPUs too.

The files live in the repository's ``patches/stylegan2-ada-pytorch/`` (this package's ``patches`` folder
links to it and ships it); the mechanics are :mod:`hjgan_plugin.patching`'s.
"""
from __future__ import annotations

from pathlib import Path

from hjgan_plugin.patching import PatchError, PatchResult, PatchSet

HOST = "stylegan2-ada"  # hjgan patch HOST
HJ_PATCH = "hj-flags.patch"
CPU_PATCH = "cpu.patch"
PATCHES = PatchSet(folder=Path(__file__).resolve().parent / "patches", host="stylegan2-ada-pytorch", marker="train.py")

__all__ = ["CPU_PATCH", "HJ_PATCH", "PATCHES", "PatchError", "PatchResult", "check_version", "is_applied", "patch",
           "patch_messages", "version_problems"]

manifest = PATCHES.manifest
version_problems = PATCHES.version_problems
check_version = PATCHES.check_version


def is_applied(repo: str | Path, name: str) -> bool:
    """True if patch ``name`` is already in the checkout ``repo``."""
    return PATCHES.is_applied(repo, name)


def patch(repo: str | Path, *, cpu: bool = False, reverse: bool = False, check_only: bool = False) -> PatchResult:
    """Apply (``reverse=True``: remove) ``hj-flags.patch`` and, with ``cpu=True``, ``cpu.patch``."""
    return PATCHES.apply(repo, [HJ_PATCH] + ([CPU_PATCH] if cpu else []), reverse=reverse, check_only=check_only)


def patch_messages(repo: Path, *, cpu: bool, reverse: bool, check_only: bool) -> list[str]:
    """:func:`patch` for ``hjgan patch``: one message per patch."""
    return patch(repo, cpu=cpu, reverse=reverse, check_only=check_only).messages(Path(repo), reverse=reverse)
