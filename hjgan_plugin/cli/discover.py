"""``hjgan discover`` and ``hjgan traverse``: latent directions of a frozen generator, and walks along them
(docs/design.md §12).

    hjgan discover --generator MODULE:FACTORY --latent-dim D --num-directions K --method M --out DIR
    hjgan discover --adapter stylegan2-ada --checkpoint network-snapshot.pkl [--space w] --num-directions K --out DIR
    hjgan traverse DIR/directions.pt --generator MODULE:FACTORY [--steps 7 --range 3 --samples 2 --gif walk.gif]

``--adapter NAME --checkpoint FILE`` reads a host's own checkpoint through the loader a host integration
registers (``hjgan_generator_loaders``); the latent size comes from the file.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from .errors import InputError
from .loaders import call_factory, load_generator


def _source(spec: str | None, adapter: str | None, checkpoint: str | None, space: str,
            latent_dim: int | None, ema: bool | None = None) -> tuple[Any, int, Any]:
    """``(G, latent_dim, sample_latents)`` from ``--generator`` (+ a state dict) or ``--adapter`` + ``--checkpoint``."""
    if (spec is None) == (adapter is None):
        raise click.UsageError("give either --generator MODULE:FACTORY or --adapter NAME --checkpoint FILE")
    if adapter is not None:
        from ..discovery.loading import load_with

        if checkpoint is None:
            raise click.UsageError(f"--adapter {adapter} needs --checkpoint FILE (the host's own checkpoint)")
        if not Path(checkpoint).is_file():
            raise click.BadParameter(f"no such file: {checkpoint}", param_hint="--checkpoint")
        try:
            loaded = load_with(adapter, checkpoint, space=space, **({} if ema is None else {"ema": ema}))
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--adapter/--checkpoint") from None
        except (ImportError, RuntimeError) as exc:  # e.g. the host's package lives in .venv-hosts, not here
            raise click.ClickException(f"the {adapter!r} loader cannot run here: {exc}") from None
        if latent_dim is not None and latent_dim != loaded.latent_dim:
            raise click.BadParameter(f"{checkpoint} has a {loaded.latent_dim}-d {space} latent, not {latent_dim}",
                                     param_hint="--latent-dim")
        click.echo(f"loaded {loaded.description}", err=True)
        return loaded.G, loaded.latent_dim, loaded.sample_latents
    if ema is not None:
        raise click.UsageError("--ema/--no-ema choose a host checkpoint's generator: use them with --adapter")
    if latent_dim is None:
        raise click.UsageError("--generator needs --latent-dim D")
    return _generator(spec, checkpoint), latent_dim, None


def _generator(spec: str, checkpoint: str | None) -> Any:
    """The factory's network, with ``--checkpoint`` (a plain state dict) loaded into it."""
    import torch

    G = load_generator(spec, "--generator")
    if checkpoint is None:
        return G
    if not isinstance(G, torch.nn.Module):
        raise click.BadParameter("--checkpoint loads a state dict, so the factory must return an nn.Module",
                                 param_hint="--checkpoint")
    if not Path(checkpoint).is_file():
        raise click.BadParameter(f"no such file: {checkpoint}", param_hint="--checkpoint")
    try:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a truncated, corrupt or foreign file gets one message
        raise click.BadParameter(f"{checkpoint} is not a readable torch checkpoint ({type(exc).__name__}: "
                                 f"{' '.join(str(exc).split())[:200]})", param_hint="--checkpoint") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise click.BadParameter(f"{checkpoint} is not a state dict (a dict of tensors, or one under 'state_dict')",
                                 param_hint="--checkpoint")
    missing, unexpected = G.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise click.BadParameter(f"{checkpoint} does not fit {type(G).__name__} built by {spec}: missing "
                                 f"{list(missing)[:5]}, unexpected {list(unexpected)[:5]}", param_hint="--checkpoint")
    return G.eval()


def _attributes(spec: str | None) -> list[Any]:
    """The attribute scores of ``--attributes``: ``FACTORY()`` returns a list of functions image -> (N,)."""
    if spec is None:
        raise click.UsageError("--method gradient needs --attributes MODULE:FACTORY (a list of functions "
                               "image -> (N,) scores)")
    if ":" not in spec:
        raise click.BadParameter(f"{spec}: expected MODULE:FACTORY or FILE.py:FACTORY", param_hint="--attributes")
    scores = call_factory(spec, "--attributes")
    if callable(scores) and not isinstance(scores, (list, tuple)):
        scores = [scores]
    if not isinstance(scores, (list, tuple)) or not all(callable(f) for f in scores):
        raise click.BadParameter(f"{spec}() must return a list of functions image -> (N,) scores",
                                 param_hint="--attributes")
    return list(scores)


def _ints(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        if "-" in text and "," not in text:
            lo, hi = (int(x) for x in text.split("-"))
            return list(range(lo, hi + 1))
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected comma-separated indices (0,1,5) or a range (0-39)",
                                 param_hint="--subspace") from None


def _plot_loss(history: list[float], path: Path, method: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(history)
    ax.set_yscale("log" if min(history) > 0 else "linear")
    ax.set_xlabel("step")
    ax.set_ylabel(f"{method} loss")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


ESTIMATE_AFTER = 5  # steps timed before the estimate of the whole run is printed


def cost_estimate(seconds: float, done: int, steps: int) -> str:
    """``"discovery: 0.84 s a step over the first 5: about 7 min for 500 steps (--steps sets it)"``."""
    total = seconds / done * steps
    text = f"{total:.0f} s" if total < 120 else f"{total / 60:.0f} min" if total < 7200 else f"{total / 3600:.1f} h"
    return f"discovery: {seconds / done:.2g} s a step over the first {done}: about {text} for {steps} steps " \
           "(--steps sets it)"


def _finite_positive(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    """``--range``: click's FloatRange lets NaN and inf through."""
    import math

    if not math.isfinite(value) or value <= 0:
        raise click.BadParameter(f"must be a finite number > 0, got {value}")
    return value


def _walk(G: Any, directions: Any, samples: int, steps: int, span: float, seed: int, out: Path,
          gif: str | None, scale: int, sample_latents: Any = None) -> list[Path]:
    import torch

    from ..discovery.latents import latent_sampler
    from ..discovery.traversal import save_gif, save_grid, traverse

    z = latent_sampler(sample_latents, directions.shape[1])(samples, torch.Generator().manual_seed(seed))
    images = traverse(G, directions, z, steps=steps, span=span)
    written = [save_grid(images, out, scale=scale)]
    if gif is not None:
        written.append(save_gif(images, gif, scale=scale))
    return written


_SOURCE = [
    click.option("--generator", "spec", default=None,
                 help="MODULE:FACTORY or FILE.py:FACTORY (FACTORY() returns G: z -> image), or a TorchScript file"),
    click.option("--adapter", default=None,
                 help="a host's checkpoint loader (stylegan2-ada, progan; `hjgan plugins` lists them)"),
    click.option("--checkpoint", default=None,
                 help="with --adapter: the host's checkpoint; with --generator: a state dict for the factory's network"),
    click.option("--space", type=click.Choice(["z", "w"]), default="z", show_default=True,
                 help="with --adapter: the latent space (w: StyleGAN's)"),
    click.option("--ema/--no-ema", default=None,
                 help="with --adapter: the checkpoint's moving-average generator (StyleGAN2-ADA's G_ema, ProGAN's "
                      "shadow; the default where there is one) or the trained one. After a short run the average "
                      "is still close to its initialisation"),
]


def _source_options(command: Any) -> Any:
    for option in reversed(_SOURCE):
        command = option(command)
    return command


@click.command("discover")
@_source_options
@click.option("--latent-dim", type=int, default=None, help="size of G's latent (with --adapter: read from the file)")
@click.option("--num-directions", type=int, required=True, help="K, the number of directions")
@click.option("--method", type=click.Choice(["hessian", "jacobian", "joint", "sefa", "ganspace", "gradient"]),
              default="joint", show_default=True)
@click.option("--attributes", default=None,
              help="gradient: MODULE:FACTORY or FILE.py:FACTORY returning a list of functions image -> (N,) scores, "
                   "one direction each")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="folder for directions.pt and pictures")
@click.option("--steps", type=int, default=500, show_default=True, help="Adam steps (hessian, jacobian, joint)")
@click.option("--batch-size", type=int, default=32, show_default=True)
@click.option("--lr", type=float, default=0.01, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--sampling", type=click.Choice(["path", "zero"]), default="path", show_default=True,
              help="path: the Hessian Penalty's (one direction, random distance); zero: OroJaR's (w = 0)")
@click.option("--path-size", type=float, default=3.0, show_default=True, help="the path sampling's distance bound")
@click.option("--subspace", default=None, help="latent indices to search in: 0,1,5 or 0-39")
@click.option("--no-ortho", is_flag=True, help="do not orthonormalize the directions each step")
@click.option("--layers", default=None, help="comma-separated module names to penalize (default: G's output)")
@click.option("--layer", default=None,
              help="sefa: the first layer's name (default: weight-free E[JᵀJ]); ganspace: the layer to take PCA of "
                   "('input': of the latents) [default: output]")
@click.option("--samples", type=int, default=None, help="sefa/ganspace: latents to sample")
@click.option("--traversal-steps", type=click.IntRange(min=2), default=7, show_default=True)
@click.option("--range", "span", type=float, default=3.0, show_default=True, callback=_finite_positive,
              help="traversal: walk from -range to range")
@click.option("--scale", type=click.IntRange(min=1), default=4, show_default=True, help="pixel scale of the pictures")
@click.option("--no-progress", is_flag=True, help="no progress bar")
def discover(spec: str | None, adapter: str | None, checkpoint: str | None, space: str, ema: bool | None,
             latent_dim: int | None,
             num_directions: int, method: str, out: str,
             steps: int, batch_size: int, lr: float, seed: int, sampling: str, path_size: float,
             subspace: str | None, no_ortho: bool, layers: str | None, layer: str | None, samples: int | None,
             attributes: str | None,
             traversal_steps: int, span: float, scale: int, no_progress: bool) -> None:
    """Find K latent directions of a frozen G; write DIR/directions.pt, DIR/traversal.png (rows: directions,
    columns: steps, centre column framed) and, for the iterative methods, DIR/loss.png."""
    from ..discovery import discover_directions
    from ..discovery.penalty import PENALTIES
    from ..metrics.progress import ProgressBar

    G, latent_dim, sample_latents = _source(spec, adapter, checkpoint, space, latent_dim, ema)
    options: dict[str, Any] = {}
    if method in PENALTIES:
        options = {"sampling": sampling, "path_size": path_size, "subspace": _ints(subspace), "ortho": not no_ortho,
                   "layers": layers.split(",") if layers else None}
    elif layer is not None or method == "ganspace":
        options["layer"] = layer or "output"
    if samples is not None and method in ("sefa", "ganspace", "gradient"):
        options["samples"] = samples
    if method == "gradient":
        options["attributes"] = _attributes(attributes)
    elif attributes is not None:
        raise click.UsageError("--attributes is for --method gradient")
    bar = ProgressBar(steps if method in PENALTIES else 0, f"{method} discovery", enabled=not no_progress)
    started = time.monotonic()

    def on_step(step: int, loss: float) -> None:
        bar.update(note=f"loss {loss:.3g}")
        if step + 1 == ESTIMATE_AFTER < steps:  # the cost, said once, early enough to stop a run that is too long
            click.echo("\n" + cost_estimate(time.monotonic() - started, ESTIMATE_AFTER, steps), err=True)

    try:
        found = discover_directions(G, latent_dim, num_directions, method, steps=steps, batch_size=batch_size,
                                    lr=lr, seed=seed, on_step=on_step, sample_latents=sample_latents, **options)
    except (ValueError, TypeError, FloatingPointError) as exc:
        raise InputError(str(exc)) from None
    finally:
        bar.close()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = [found.save(folder / "directions.pt")]
    written += _walk(G, found.directions, 1, traversal_steps, span, seed, folder / "traversal.png", None, scale,
                     sample_latents)
    if found.history:
        _plot_loss(found.history, folder / "loss.png", method)
        written.append(folder / "loss.png")
    for path in written:
        click.echo(f"wrote {path}")


@click.command("traverse")
@click.argument("directions_file", type=click.Path())
@_source_options
@click.option("--steps", type=click.IntRange(min=2), default=7, show_default=True, help="images per direction")
@click.option("--range", "span", type=float, default=3.0, show_default=True, callback=_finite_positive,
              help="walk from -range to range")
@click.option("--samples", type=click.IntRange(min=1), default=1, show_default=True,
              help="base latents (rows per direction)")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the base latents")
@click.option("--out", default="traversal.png", show_default=True, help="the grid PNG")
@click.option("--gif", default=None, help="also write a looping GIF here")
@click.option("--scale", type=click.IntRange(min=1), default=4, show_default=True, help="pixel scale")
def traverse(directions_file: str, spec: str | None, adapter: str | None, checkpoint: str | None, space: str,
             ema: bool | None, steps: int, span: float, samples: int, seed: int, out: str, gif: str | None, scale: int) -> None:
    """Render saved directions as a grid (rows: sample x direction, columns: steps) and optionally a GIF."""
    from ..discovery import Directions

    try:
        found = Directions.load(directions_file)
    except (FileNotFoundError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="DIRECTIONS_FILE") from None
    G, _, sample_latents = _source(spec, adapter, checkpoint, space, found.latent_dim, ema)
    try:
        written = _walk(G, found.directions, samples, steps, span, seed, Path(out), gif, scale, sample_latents)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")


COMMANDS = (discover, traverse)
