"""What a discovery returns and saves (docs/design.md §12): the directions, the method, its config and the
loss history; ``directions.pt`` is a plain dict any torch program can read."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

FORMAT = "hjgan_plugin.directions/1"


@dataclass
class Directions:
    """``directions`` (K, d) with orthonormal rows (unless found with ``ortho=False``), the ``method`` that
    found them, its ``config`` (every argument, for the record) and ``history`` (one loss per step of an
    iterative method; empty for a closed-form one)."""

    directions: Tensor
    method: str
    config: dict[str, Any] = field(default_factory=dict)
    history: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        d = self.directions
        if not isinstance(d, Tensor) or d.ndim != 2 or not d.is_floating_point() or 0 in d.shape:
            shape = tuple(d.shape) if isinstance(d, Tensor) else type(d).__name__
            raise ValueError(f"directions must be a non-empty floating (K, d) tensor, got {shape}")
        if not torch.isfinite(d).all():
            raise ValueError(f"directions hold NaN or inf ({int((~torch.isfinite(d)).sum())} entries): a diverged "
                             "discovery; run it again with a smaller lr or epsilon")

    @property
    def num_directions(self) -> int:
        return int(self.directions.shape[0])

    @property
    def latent_dim(self) -> int:
        return int(self.directions.shape[1])

    def coefficients(self, z: Tensor) -> Tensor:
        """Where latents ``z`` (N, d) lie along the directions: ``z Qᵀ`` (N, K)."""
        return z.to(self.directions) @ self.directions.T

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "directions": self.directions.detach().cpu(), "method": self.method,
                "config": self.config, "history": list(self.history)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`to_dict` to ``path`` (``torch.save``) through a temporary file, so that an interrupted
        save leaves no half-written file."""
        path = Path(path)
        if path.is_dir():
            raise ValueError(f"{path} is a folder: save directions to a file in it, e.g. {path / 'directions.pt'}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        try:
            torch.save(self.to_dict(), tmp)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Directions":
        """Read a file written by :meth:`save`; another file is refused, naming what was expected."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such directions file (hjgan discover --out DIR writes DIR/directions.pt)")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same message
            raise ValueError(f"{path}: not a directions file written by hjgan discover ({type(exc).__name__}: {exc})") from None
        if not isinstance(blob, dict) or blob.get("format") != FORMAT:
            keys = sorted(blob) if isinstance(blob, dict) else type(blob).__name__
            raise ValueError(f"{path}: not a directions file (expected a dict with format {FORMAT!r}, "
                             f"directions, method, config; got {keys})")
        try:
            return cls(blob["directions"], blob["method"], dict(blob.get("config", {})), list(blob.get("history", [])))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}: not usable directions: {exc}") from None


__all__ = ["Directions", "FORMAT"]
