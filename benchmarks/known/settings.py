"""The known-factor benchmark's settings: ``plain``, ``hj`` (the shipped defaults: the script's adapter's where
it has them, else the built-in ones) and a λ at a layer set.

``out:L`` regularizes G's output image, ``recipe:L`` the references' kind of layer set (each upsampling
stage's normalized activation, then the output: :data:`RECIPE_LAYERS`); both at ``--hj-lambda-h L`` and
``--hj-lambda-j L · 1e-3`` (the defaults' ratio, 0.1 : 1e-4). Suffixes: ``:biased`` adds
``--hj-unbiased false`` (the TF reference's variance, half the unbiased one at k = 2), ``:every=N`` the lazy
``--hj-interval N``, ``:sub=F`` ``--hj-subbatch F``, ``:warmup=N`` the ramp ``--hj-warmup N`` (fine-tuning):
``recipe:0.01:every=4:sub=0.5``.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

#: Per script: the modules the ``recipe`` layer set names (``named_modules`` of its generator). dcgan's
#: ``conv_blocks`` are BN(128) → up → conv → BN → LeakyReLU → up → conv → BN → LeakyReLU → conv → tanh: the
#: first BN (4×4 of the 16 px, 8×8 of the 32 px image) and the two activations after each later BN, as the
#: Hessian Penalty's ProGAN code takes each stage's activation after PixelNorm.
RECIPE_LAYERS: dict[str, tuple[str, ...]] = {
    "dcgan": ("conv_blocks.0", "conv_blocks.4", "conv_blocks.8", "output"),
    "lsgan": ("conv_blocks.0", "conv_blocks.4", "conv_blocks.8", "output"),
    # gan's MLP: Linear → LeakyReLU, then three Linear → BN → LeakyReLU blocks, Linear → tanh
    "gan": ("model.4", "model.7", "model.10", "output"),
}
LAYER_SETS = ("out", "recipe")
RATIO_J = 1e-3  # λ_J / λ_H, as in the defaults (0.1, 1e-4)
#: Suffixes: ``biased`` (the TF reference's variance), ``every=N`` (lazy: every N G steps, gain N),
#: ``sub=F`` (the penalty on a fraction F of the batch), ``warmup=N`` (λ ramps from 0 over N G steps).
SUFFIXES = ("biased", "every=N", "sub=F", "warmup=N")


@dataclass(frozen=True)
class Setting:
    layers: str
    lambda_h: float
    biased: bool = False
    every: int = 1
    sub: float = 1.0
    warmup: int = 0


def _number(setting: str, text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"setting {setting!r}: {text!r} is not a{'n integer' if kind is int else ' number'}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"setting {setting!r}: {text} must be finite and > 0")
    return value


def parse(setting: str) -> Setting | None:
    """``None`` for ``plain``/``hj``; else the :class:`Setting`. Raises ``argparse.ArgumentTypeError``."""
    if setting in ("plain", "hj"):
        return None
    parts = setting.split(":")
    if len(parts) < 2 or parts[0] not in LAYER_SETS:
        raise argparse.ArgumentTypeError(f"setting {setting!r}: use plain, hj, out:LAMBDA or recipe:LAMBDA "
                                         f"(e.g. recipe:0.01), then optionally :{', :'.join(SUFFIXES)}")
    extra: dict = {}
    for part in parts[2:]:
        name, _, value = part.partition("=")
        if part == "biased":
            extra["biased"] = True
        elif name in ("every", "warmup") and value:
            extra[name] = int(_number(setting, value, int))
        elif name == "sub" and value:
            extra["sub"] = _number(setting, value, float)
            if extra["sub"] > 1:
                raise argparse.ArgumentTypeError(f"setting {setting!r}: sub={value} must be in (0, 1]")
        else:
            raise argparse.ArgumentTypeError(f"setting {setting!r}: unknown suffix {part!r}; known: {', '.join(SUFFIXES)}")
    return Setting(parts[0], _number(setting, parts[1], float), **extra)


def check(setting: str) -> str:
    parse(setting)
    return setting


def flags(setting: str, model: str, recipe: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """The patched script's extra flags for ``setting`` on ``model``. Every option a script's adapter may
    default is given (layers, both λ, interval, sub-batch, variance), so that a setting means the same on
    every script and whatever its defaults. ``recipe``: the layer sets (default :data:`RECIPE_LAYERS`)."""
    s = parse(setting)
    if s is None:
        return [] if setting == "plain" else ["--hj"]
    recipe = RECIPE_LAYERS if recipe is None else recipe
    if s.layers == "recipe" and model not in recipe:
        raise argparse.ArgumentTypeError(f"no recipe layer set for {model}; known: {sorted(recipe)}")
    layers = ",".join(recipe[model]) if s.layers == "recipe" else "output"
    return ["--hj", "--hj-lambda-h", f"{s.lambda_h:g}", "--hj-lambda-j", f"{s.lambda_h * RATIO_J:g}",
            "--hj-layers", layers, "--hj-interval", str(s.every), "--hj-subbatch", f"{s.sub:g}",
            "--hj-unbiased", "false" if s.biased else "true"] + (["--hj-warmup", str(s.warmup)] if s.warmup else [])


def label(setting: str) -> str:
    s = parse(setting)
    if s is None:
        return "plain" if setting == "plain" else "--hj (the shipped defaults)"
    text = f"{'output' if s.layers == 'out' else 'recipe layers'}, λ_H {s.lambda_h:g}"
    return text + (", biased var" if s.biased else "") + (f", every {s.every}" if s.every > 1 else "") + \
        (f", sub-batch {s.sub:g}" if s.sub < 1 else "") + (f", ramp {s.warmup}" if s.warmup else "")
