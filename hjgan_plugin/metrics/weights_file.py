"""Find a pretrained-weights file the user supplies (nothing is ever downloaded).

FID/KID/IS need the FID Inception-v3 weights and PPL the VGG16 LPIPS weights. They are the user's
files: a path passed explicitly wins, else the named environment variable, else an error that names
the file, where it officially comes from, and how to pass it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["WeightsSpec", "resolve_weights"]


@dataclass(frozen=True)
class WeightsSpec:
    """What a metric needs: a description, the official file name, its official URLs (text only),
    the environment variable and the command-line option that point to it."""

    what: str
    filename: str
    urls: tuple[str, ...]
    env_var: str
    option: str

    def how_to_get(self) -> str:
        """One sentence: the file to supply, where it officially comes from, and how to pass it."""
        where = " or ".join(self.urls)
        return (f"supply the {self.what} file {self.filename} (official copy: {where}; download it yourself, "
                f"nothing is downloaded at run time) and pass it with {self.option} PATH or "
                f"{self.env_var}=PATH")


def resolve_weights(path: str | os.PathLike | None, spec: WeightsSpec) -> str:
    """The weights file to load: ``path``, else ``$spec.env_var``; ``FileNotFoundError`` naming it otherwise."""
    source = "argument"
    if path is None or os.fspath(path) == "":
        path = os.environ.get(spec.env_var) or None
        source = spec.env_var
    if path is None:
        raise FileNotFoundError(f"no {spec.what} file given: {spec.how_to_get()}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        via = f" (from {source})" if source != "argument" else ""
        raise FileNotFoundError(f"{spec.what} file not found: {path!r}{via}; {spec.how_to_get()}")
    return path
