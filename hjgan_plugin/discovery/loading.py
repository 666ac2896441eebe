"""A host's checkpoint as a frozen function of its latent (docs/design.md §12): what the
``hjgan_generator_loaders`` hook's loaders return, and how ``hjgan discover --adapter`` finds them."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor


@dataclass
class LoadedGenerator:
    """``G(latent) -> image`` of a loaded checkpoint, its latent size, how to draw latents
    (``sample_latents(n, torch.Generator)``; ``None``: standard normal) and a line saying what was loaded."""

    G: Callable[[Tensor], Any]
    latent_dim: int
    sample_latents: Callable[[int, torch.Generator], Tensor] | None = None
    description: str = ""


def load_with(name: str, checkpoint: str, pm: Any = None, **options: Any) -> LoadedGenerator:
    """Load ``checkpoint`` with the loader registered as ``name``; an unknown name lists the registered ones."""
    from ..plugin_manager import generator_loaders, get_plugin_manager

    loaders = generator_loaders(pm or get_plugin_manager())
    if name not in loaders:
        known = ", ".join(sorted(loaders)) or "none (install a host integration)"
        raise ValueError(f"no generator loader {name!r}; registered: {known} (a plugin adds one with the "
                         "hjgan_generator_loaders hook)")
    loaded = loaders[name](checkpoint, **options)
    if not isinstance(loaded, LoadedGenerator):
        raise TypeError(f"the {name!r} loader returned {type(loaded).__name__}, not a LoadedGenerator")
    return loaded


__all__ = ["LoadedGenerator", "load_with"]
