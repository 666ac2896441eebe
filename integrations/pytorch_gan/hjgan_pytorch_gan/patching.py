"""``hjgan patch pytorch-gan DIR``: one patch per script, applied version-checked and all or nothing.

``<model>.patch`` gives ``implementations/<model>/<model>.py`` the ``--hj`` switch and the ``--hj-*``
options (four lines through :mod:`.hj`), and fixes what stops the script on current torch (each patch
says what in its header). The files live in the repository's ``patches/pytorch-gan/`` (this package's
``patches`` folder links to it and ships it); the mechanics are :mod:`hjgan_plugin.patching`'s.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from hjgan_plugin.patching import PatchError, PatchResult, PatchSet

from .adapters import MODELS

HOST = "pytorch-gan"  # hjgan patch HOST
PATCHES = PatchSet(folder=Path(__file__).resolve().parent / "patches", host="eriklindernoren/PyTorch-GAN",
                   marker="implementations/gan/gan.py")
NAMES = tuple(f"{model}.patch" for model in MODELS)

__all__ = ["HOST", "NAMES", "PATCHES", "PatchError", "PatchResult", "patch", "patch_messages"]


def patch(repo: str | Path, *, models: Sequence[str] | None = None, reverse: bool = False,
          check_only: bool = False) -> PatchResult:
    """Apply (``reverse=True``: remove) the patches of ``models`` (default: all twelve), all or nothing."""
    names = NAMES if models is None else tuple(f"{m}.patch" for m in models)
    unknown = sorted(set(names) - set(NAMES))
    if unknown:
        raise PatchError(f"no pytorch-gan patch {unknown}; there are {list(NAMES)}")
    return PATCHES.apply(repo, names, reverse=reverse, check_only=check_only)


def patch_messages(repo: Path, *, cpu: bool, reverse: bool, check_only: bool) -> list[str]:
    """:func:`patch` for ``hjgan patch``: one message per patch. The scripts pick the CPU themselves when
    CUDA is absent, so ``--cpu`` has nothing to add."""
    lines = patch(repo, reverse=reverse, check_only=check_only).messages(Path(repo), reverse=reverse)
    return lines + (["--cpu: nothing to add, the pytorch-gan scripts run on a CPU as they are"] if cpu else [])
