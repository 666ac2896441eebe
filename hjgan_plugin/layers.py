"""Regularize named intermediate modules of an ``nn.Module`` generator (multi-layer, docs/design.md §1).

``capture(G, ["block1", "block2"])`` returns a callable with G's signature that returns the
listed activations (a list, the multi-layer convention of the reference implementations). Forward
hooks collect the activations; once the last of them has been produced the pass stops, so the
perturbed passes never run the layers after the deepest named module. The name ``"output"`` is G's
final output (then the pass runs to the end).
"""
from __future__ import annotations

import difflib
from typing import Any, Sequence

from torch import Tensor, nn

from .options import OUTPUT  # noqa: E402,F401  (the layer name that means G's output)


class _StopForward(Exception):
    """Raised from a forward hook once every requested activation is captured."""


def unwrap(module: nn.Module) -> nn.Module:
    """The user's module inside DistributedDataParallel / DataParallel (``.module``) and
    ``torch.compile`` (``._orig_mod``) wrappers."""
    while True:
        if isinstance(module, (nn.parallel.DistributedDataParallel, nn.DataParallel)):
            module = module.module
        elif type(module).__name__ == "OptimizedModule" and hasattr(module, "_orig_mod"):
            module = module._orig_mod
        else:
            return module


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []


class CapturedGenerator:
    """Callable ``(z, *args, **kwargs) -> list[Tensor]``: the named activations of ``module``.

    A module whose output is a tuple (e.g. StyleGAN2's ``(x, img)`` blocks) contributes each of its
    tensors, in order.
    """

    def __init__(self, module: nn.Module, layers: Sequence[str], call: Any = None):
        if isinstance(layers, str):
            layers = [layers]
        if not layers:
            raise ValueError("capture() needs at least one layer name ('output' for G's final output)")
        self.module = module
        self.call = module if call is None else call  # an adapter's call: hooks on module, G called by it
        self.layers = tuple(layers)
        inner = unwrap(module)
        available = dict(inner.named_modules())
        self._targets: dict[str, nn.Module] = {}
        for name in self.layers:
            if name == OUTPUT:
                continue
            if name not in available:
                close = difflib.get_close_matches(name, [n for n in available if n], n=5)
                hint = f" Did you mean {close}?" if close else ""
                raise ValueError(
                    f"--hj-layers: {type(inner).__name__} has no module named {name!r}.{hint} "
                    f"Names come from G.named_modules(); use 'output' for G's final output."
                )
            self._targets[name] = available[name]
        self.stops_early = OUTPUT not in self.layers

    def __call__(self, z: Tensor, *args: Any, **kwargs: Any) -> list[Tensor]:
        captured: dict[str, list[Tensor]] = {}
        handles = []

        def make_hook(name: str):
            def hook(_mod: nn.Module, _inp: Any, out: Any) -> None:
                if name in captured:  # module called twice in one pass: keep the first call
                    return
                captured[name] = _tensors(out)
                if self.stops_early and len(captured) == len(self._targets):
                    raise _StopForward

            return hook

        for name, mod in self._targets.items():
            handles.append(mod.register_forward_hook(make_hook(name)))
        output = None
        try:
            output = self.call(z, *args, **kwargs)
        except _StopForward:
            pass
        finally:
            for h in handles:
                h.remove()
        missing = [n for n in self._targets if n not in captured]
        if missing:
            raise RuntimeError(f"layers {missing} were not called during G's forward pass; check --hj-layers")
        result: list[Tensor] = []
        for name in self.layers:
            result.extend(_tensors(output) if name == OUTPUT else captured[name])
        return result

    def __repr__(self) -> str:
        return f"CapturedGenerator({type(unwrap(self.module)).__name__}, layers={list(self.layers)})"


def capture(module: nn.Module, layers: Sequence[str], call: Any = None) -> CapturedGenerator:
    """Wrap ``module`` so that calling it returns the activations of ``layers`` (a list).

    ``call``: how to run a pass (an adapter's ``call_generator`` bound to G); default ``module(z, ...)``.
    The names are looked up in ``module`` either way.
    """
    return CapturedGenerator(module, layers, call)


def find_module(G: Any) -> nn.Module | None:
    """The ``nn.Module`` behind G: G itself, a bound method's owner, or a capture's module."""
    if isinstance(G, nn.Module):
        return G
    if isinstance(G, CapturedGenerator):
        return G.module
    owner = getattr(G, "__self__", None)
    if isinstance(owner, nn.Module):
        return owner
    inner = getattr(G, "func", None)  # functools.partial
    if inner is not None and inner is not G:
        return find_module(inner)
    return None

