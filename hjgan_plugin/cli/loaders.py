"""What the ``hjgan eval`` commands share: file loaders, output, error handling and common options.

Inputs are ``.npy`` arrays or ``.pt`` tensors (``torch.save``). Every command prints one JSON object
(``--json``) or a short table, so results drop into logs and spreadsheets. Long loops draw a progress
bar on stderr; ``--no-progress`` turns it off.
"""
from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np
import torch

json_option = click.option("--json", "as_json", is_flag=True, help="print a JSON object")
progress_option = click.option("--no-progress", "no_progress", is_flag=True,
                               help="no progress bar on stderr")


def load_raw(path: str | Path) -> torch.Tensor:
    """A ``.npy`` or ``.pt`` file as a tensor of its own dtype; a clear error for a missing or unknown file."""
    path = Path(path)
    if not path.is_file():
        raise click.BadParameter(f"no such file: {path}")
    if path.suffix == ".npy":
        return torch.from_numpy(np.load(path))
    if path.suffix in (".pt", ".pth"):
        value = torch.load(path, weights_only=True, map_location="cpu")
        if not isinstance(value, torch.Tensor):
            raise click.BadParameter(f"{path} holds a {type(value).__name__}, expected one tensor")
        return value
    raise click.BadParameter(f"{path}: expected a .npy or .pt file")


def load_array(path: str | Path) -> torch.Tensor:
    """A ``.npy`` or ``.pt`` file as a float tensor; a clear error for a missing or unknown file."""
    return load_raw(path).float()


def load_images(path: str | Path) -> torch.Tensor:
    """Images from a file: uint8 arrays stay uint8 (0-255), anything else becomes float32."""
    x = load_raw(path)
    return x if x.dtype == torch.uint8 else x.float()


def load_scores(path: str | Path, key: str | None) -> list[float]:
    """Scores from a JSON list, a JSON object's list ``key`` (e.g. ``is_splits`` of ``eval quality --json``),
    or a 1-d ``.npy``/``.pt`` array."""
    path = Path(path)
    if path.suffix != ".json":
        return load_array(path).reshape(-1).tolist()
    if not path.is_file():
        raise click.BadParameter(f"no such file: {path}")
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}") from None
    if isinstance(value, dict):
        lists = sorted(k for k, v in value.items() if isinstance(v, list))
        if key is None and len(lists) == 1:
            key = lists[0]
        if key is None or key not in value:
            raise click.BadParameter(f"{path} is a JSON object: choose its list of scores with --key "
                                     f"(lists in it: {', '.join(lists) or 'none'})")
        value = value[key]
    if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise click.BadParameter(f"{path}: expected a list of numbers")
    return [float(v) for v in value]


def call_factory(spec: str, option: str) -> Any:
    """Import ``MODULE:FACTORY`` or ``FILE.py:FACTORY`` and return ``FACTORY()`` (whatever it builds)."""
    import importlib
    import importlib.util

    where, name = spec.rsplit(":", 1)
    try:
        if where.endswith(".py"):
            if not Path(where).is_file():
                raise click.BadParameter(f"no such file: {where}", param_hint=option)
            mod_spec = importlib.util.spec_from_file_location(f"_hjgan_user_{Path(where).stem}", where)
            module = importlib.util.module_from_spec(mod_spec)
            mod_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {where}: {exc}", param_hint=option) from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise click.BadParameter(f"{where} has no callable {name!r} (a factory)",
                                 param_hint=option)
    return factory()


def load_generator(spec: str, option: str) -> Any:
    """``FILE.py:FACTORY`` or ``MODULE:FACTORY`` (``FACTORY()`` returns the callable) or a TorchScript file."""
    if ":" not in spec:
        path = Path(spec)
        if not path.is_file():
            raise click.BadParameter(f"no such file: {spec} (expected FILE.py:FACTORY, MODULE:FACTORY or a "
                                     f"TorchScript file)", param_hint=option)
        try:
            with warnings.catch_warnings():  # torch 2.13 deprecates TorchScript, which is what this loads
                warnings.simplefilter("ignore", DeprecationWarning)
                return torch.jit.load(str(path), map_location="cpu").eval()
        except (RuntimeError, ValueError):
            raise click.BadParameter(f"{spec} is not a TorchScript file (torch.jit.save); or name a factory as "
                                     f"FILE.py:FACTORY / MODULE:FACTORY", param_hint=option) from None
    net = call_factory(spec, option)
    if not callable(net):
        raise click.BadParameter(f"{spec}() returned a {type(net).__name__}, not a callable network",
                                 param_hint=option)
    return net.eval() if isinstance(net, torch.nn.Module) else net


def load_digit_classifier(path: str | None, progress: bool) -> Any:
    """A saved DigitClassifier, or a freshly trained one (seed 0)."""
    from ..metrics import DigitClassifier

    if path is not None:
        if not Path(path).is_file():
            raise click.BadParameter(f"no such classifier file: {path} "
                                     "(create one with --save-classifier)", param_hint="--classifier")
        return DigitClassifier.load(path)
    click.echo("training the digit classifier (seed 0, ~3 s; --save-classifier keeps it)", err=True)
    return DigitClassifier().fit(progress=progress)


def load_fashion_classifier(path: str | None, folder: str | None, size: int, progress: bool) -> Any:
    """A saved FashionClassifier, or one trained now (seed 0) at ``size`` (rounded to a multiple of 4)."""
    from ..datasets.idx import DEBIAN_FASHION_MNIST
    from ..metrics.fashion import FashionClassifier

    if path is not None:
        if not Path(path).is_file():
            raise click.BadParameter(f"no such classifier file: {path} "
                                     "(create one with --save-classifier)", param_hint="--classifier")
        return FashionClassifier.load(path)
    size = max(4, 4 * round(size / 4))
    click.echo(f"training the Fashion-MNIST classifier (seed 0, {size}x{size}, about a minute; "
               "--save-classifier keeps it)", err=True)
    try:
        return FashionClassifier(folder=folder or DEBIAN_FASHION_MNIST, size=size).fit(progress=progress)
    except FileNotFoundError as exc:
        raise click.BadParameter(str(exc), param_hint="--fashion") from None


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _emit(result: dict[str, Any], as_json: bool) -> None:
    result = _plain(result)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for key, value in result.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list) and len(value) > 8:
            continue  # per-bin / per-mode detail only in --json
        click.echo(f"{key:>24s}  {value}")


def _guard(fn, *args, **kwargs) -> Any:
    """Run a metric; its input errors become click usage errors (message, exit status 2)."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(str(exc)) from None
