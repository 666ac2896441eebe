"""pro-gan-pth 3.4 on torch 2.x: the version check and the run-time fixes (no edit to site-packages).

pro-gan-pth 3.4 was written for torch 1.10. Two of its calls fail on torch 2.x; :func:`apply` fixes both
from outside, for this process only, without changing the numbers upstream computes:

- ``ProGAN.train`` builds ``torch.optim.Adam(..., betas=(0, 0.99))``, an int beside a float, which
  torch 2.x rejects ("betas must be either both floats or both Tensors"). Upstream's ``gan`` module sees
  ``torch`` through a proxy whose ``torch.optim.Adam`` is :class:`FloatBetasAdam`: the same optimizer
  (an ``Adam`` subclass, same state dict) with the betas given as floats.
- ``EqualizedConvTranspose2d.forward`` calls torch's private ``_output_padding`` with its pre-1.12
  signature (no ``num_spatial_dims``). The class gets an ``_output_padding`` that accepts the old call and
  forwards to torch's with ``num_spatial_dims=2``.

This module imports neither hjgan_plugin nor pro-gan-pth at import time, so it can be loaded on its own
(e.g. by file path) where only pro-gan-pth is installed, to run a generator trained with the plugin.
"""
from __future__ import annotations

import importlib
import importlib.metadata
import types
from typing import Any, Iterable

import torch
from torch import nn

DISTRIBUTION = "pro-gan-pth"
REQUIRED_VERSION = "3.4"
INSTALL_HINT = f"pip install --no-deps {DISTRIBUTION}=={REQUIRED_VERSION}"
_MISSING = object()


class UnsupportedVersionError(RuntimeError):
    """pro-gan-pth is missing or is not the version this integration supports."""


def installed_version() -> str | None:
    """The installed pro-gan-pth version, or ``None``."""
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_version(found: Any = _MISSING) -> str:
    """Return the pro-gan-pth version, or refuse any version but 3.4 with the one needed.

    :param found: the version to check; by default the installed one (``None``: not installed).
    """
    version = installed_version() if found is _MISSING else found
    if version is None:
        raise UnsupportedVersionError(f"hjgan progan needs {DISTRIBUTION} {REQUIRED_VERSION}, which is not "
                                      f"installed: {INSTALL_HINT} (its own pins do not resolve on torch 2.x)")
    if str(version) != REQUIRED_VERSION:
        raise UnsupportedVersionError(f"hjgan progan needs {DISTRIBUTION} {REQUIRED_VERSION}, found {version}: "
                                      f"{INSTALL_HINT}")
    return str(version)


class FloatBetasAdam(torch.optim.Adam):
    """``torch.optim.Adam`` with ``betas`` converted to floats (``(0, 0.99)`` -> ``(0.0, 0.99)``)."""

    def __init__(self, params: Iterable[Any], *args: Any, betas: Any = (0.9, 0.999), **kwargs: Any):
        if not isinstance(betas[0], torch.Tensor):
            betas = (float(betas[0]), float(betas[1]))
        super().__init__(params, *args, betas=betas, **kwargs)


class _Proxy(types.ModuleType):
    """A module whose attributes are ``target``'s, except those set on the proxy itself."""

    def __init__(self, target: types.ModuleType, **overrides: Any):
        super().__init__(target.__name__)
        self._hjgan_target = target
        for name, value in overrides.items():
            setattr(self, name, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._hjgan_target, name)


def _output_padding(self: nn.ConvTranspose2d, input: Any, output_size: Any, stride: Any = None,
                    padding: Any = None, kernel_size: Any = None, num_spatial_dims: int = 2,
                    dilation: Any = None) -> Any:
    """torch >= 1.12's ``_output_padding``, also callable with the pre-1.12 arguments upstream passes."""
    stride = self.stride if stride is None else stride
    padding = self.padding if padding is None else padding
    kernel_size = self.kernel_size if kernel_size is None else kernel_size
    return nn.ConvTranspose2d._output_padding(self, input, output_size, stride, padding, kernel_size,
                                              num_spatial_dims, dilation)


def apply() -> list[str]:
    """Install the fixes of the module docstring (idempotent); return what was fixed in this call."""
    check_version()
    gan = importlib.import_module("pro_gan_pytorch.gan")
    custom_layers = importlib.import_module("pro_gan_pytorch.custom_layers")
    fixed = []
    if not isinstance(gan.torch, _Proxy):
        gan.torch = _Proxy(torch, optim=_Proxy(torch.optim, Adam=FloatBetasAdam))
        fixed.append("pro_gan_pytorch.gan: torch.optim.Adam(betas=(0, 0.99)) -> float betas")
    convt = custom_layers.EqualizedConvTranspose2d
    if convt.__dict__.get("_output_padding") is not _output_padding:
        convt._output_padding = _output_padding
        fixed.append("EqualizedConvTranspose2d._output_padding: pre-1.12 call signature")
    return fixed
