"""``discover_directions``: K latent directions of a frozen generator, by any method, one interface
(docs/design.md §12)."""
from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..layers import OUTPUT, capture, find_module
from ..options import check_value
from ..passes import listify
from .closed_form import activations, first_layer_weight, ganspace, jacobian_eigenvectors, sefa
from .gradient import gradient_directions
from .latents import latent_sampler
from .orthonormal import check_subspace
from .penalty import PENALTIES, learn_directions
from .result import Directions

#: method -> where it comes from (``hjgan discover --help`` and the README's table read this).
METHODS: dict[str, str] = {
    "hessian": "Hessian Penalty w.r.t. the directions' coefficients (Peebles et al. 2020, biggan_discovery)",
    "jacobian": "OroJaR's orthogonal-Jacobian penalty, same procedure (Wei et al. 2021)",
    "joint": "both terms from shared passes (Eq. 15), same procedure [ours]",
    "sefa": "closed form: eigenvectors of AᵀA of the first layer (Shen & Zhou 2021); layer=None: of E[JᵀJ]",
    "ganspace": "PCA of a layer's activations, regressed to the latent (Härkönen et al. 2020)",
    "gradient": "classifier-gradient directions with channel masks (Chen et al. 2022, reconstructed)",
}
_PENALTY_OPTIONS = {n: p.default for n, p in inspect.signature(learn_directions).parameters.items()
                    if p.kind is p.KEYWORD_ONLY and n not in ("penalty", "steps", "batch_size", "lr", "seed",
                                                              "sample_latents", "G_args", "on_step")}
OPTIONS: dict[str, dict[str, Any]] = {
    **{m: _PENALTY_OPTIONS for m in PENALTIES},
    "sefa": {"layer": None, "samples": 256, "probes": 4},
    "ganspace": {"layer": "output", "samples": 2000},
    "gradient": {"attributes": None, "samples": 256, "channels": 0.5},
}


@contextlib.contextmanager
def frozen(module: nn.Module | None) -> Iterator[None]:
    """``module`` in eval mode (BatchNorm on running statistics, no dropout) for the block, every
    submodule's own mode restored after; its parameters are never changed."""
    if module is None:
        yield
        return
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def _check_layers(module: nn.Module | None, layers: Sequence[str], what: str) -> None:
    if module is None:
        raise TypeError(f"{what} needs G to be an nn.Module (or a bound method of one) to find named layers")
    names = [n for n, _ in module.named_modules() if n]
    unknown = [name for name in layers if name not in (OUTPUT, "input") and name not in names]
    if unknown:
        shown = ", ".join(names[:40]) + (f", ... ({len(names)} in all)" if len(names) > 40 else "")
        raise ValueError(f"{what}: G has no layer named {unknown}; valid names: output, {shown}")


def _check_differentiable(G: Callable, latent_dim: int, G_args: tuple, method: str,
                          sample_latents: Callable | None) -> None:
    z = latent_sampler(sample_latents, latent_dim)(2, torch.Generator().manual_seed(0)).requires_grad_(True)
    try:
        outs = listify(G(z, *G_args))
    except Exception as exc:
        raise TypeError(f"G could not be called as G(z{', *G_args' if G_args else ''}) with z of shape "
                        f"{tuple(z.shape)}: {type(exc).__name__}: {exc}") from exc
    if not all(isinstance(o, Tensor) for o in outs) or not any(o.requires_grad for o in outs):
        raise TypeError(f"method {method!r} differentiates G's output with respect to z, but G's output does not "
                        "depend differentiably on z (computed under torch.no_grad, detached, or not a tensor)")


def discover_directions(G: Callable, latent_dim: int, num_directions: int, method: str = "joint", *,
                        steps: int = 500, batch_size: int = 32, lr: float = 0.01, seed: int = 0,
                        sample_latents: Callable[[int, torch.Generator], Tensor] | None = None,
                        G_args: tuple = (), on_step: Callable[[int, float], None] | None = None,
                        **method_options: Any) -> Directions:
    """Find ``num_directions`` directions in the ``latent_dim``-d latent of the frozen ``G``.

    :param G: any callable ``z -> image or list of activations`` (an ``nn.Module``, a bound method, a
        lambda around a host's generator). Its parameters are not changed; an ``nn.Module`` G (or the
        module behind a bound method) is put in eval mode for the run and restored after.
    :param method: one of :data:`METHODS`.
    :param steps, batch_size, lr: the iterative methods' Adam steps, latents per step, learning rate;
        ``batch_size`` is also the chunk size of the sampling methods.
    :param sample_latents: ``(n, torch.Generator) -> (n, latent_dim)``; default standard normal (pass
        StyleGAN's mapping here to work in w space).
    :param G_args: extra inputs of G after the latent (e.g. labels, the same for every call).
    :param on_step: ``(step, loss)`` after each step of an iterative method (a progress bar).
    :param method_options: per method, :data:`OPTIONS`: ``hessian``/``jacobian``/``joint``: ``sampling``
        (``"path"``, HP / ``"zero"``, OroJaR), ``path_size``, ``subspace`` (latent indices), ``ortho``,
        ``layers``, ``k``, ``epsilon``, ``alpha``, ``beta``, ``init``; ``sefa``: ``layer`` (the first
        layer's name; ``None``: weight-free E[JᵀJ]), ``samples``, ``probes``; ``ganspace``: ``layer``
        (``"output"``, a module name, or ``"input"`` for PCA of the latents), ``samples``;
        ``gradient``: ``attributes`` (functions ``image -> (N,)`` scores), ``samples``, ``channels``.
    :returns: :class:`Directions` (``directions`` (K, latent_dim), ``method``, ``config``, ``history``).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    unknown = sorted(set(method_options) - set(OPTIONS[method]))
    if unknown:
        raise TypeError(f"method {method!r} takes no option {unknown}; its options: {', '.join(OPTIONS[method])}")
    options = {**OPTIONS[method], **method_options}
    counts = {"latent_dim": latent_dim, "num_directions": num_directions, "steps": steps, "batch_size": batch_size,
              **{name: options[name] for name in ("samples", "probes", "k") if name in options}}
    for name, value in counts.items():
        check_value(name, value, int, ">= 1")
    for name, value in {"lr": lr, **{n: options[n] for n in ("path_size", "epsilon") if n in options}}.items():
        check_value(name, value, float, "> 0")
    subspace = check_subspace(options.get("subspace"), latent_dim)
    room = latent_dim if subspace is None else len(subspace)
    if num_directions > room:
        where = f"the {room}-index subspace" if subspace is not None else f"the {latent_dim}-d latent"
        raise ValueError(f"{num_directions} orthonormal directions do not fit in {where}: K must be <= {room}")
    module = find_module(G)
    config = {"method": method, "latent_dim": latent_dim, "num_directions": num_directions, "steps": steps,
              "batch_size": batch_size, "lr": lr, "seed": seed,
              **{k: v for k, v in options.items() if k != "attributes"}}
    history: list[float] = []
    with frozen(module):
        if method in PENALTIES:
            if options["layers"]:
                _check_layers(module, options["layers"], "layers")
            _check_differentiable(G, latent_dim, G_args, method, sample_latents)
            Q, history = learn_directions(G, latent_dim, num_directions, penalty=method, steps=steps,
                                          batch_size=batch_size, lr=lr, seed=seed, sample_latents=sample_latents,
                                          G_args=G_args, on_step=on_step, **{**options, "subspace": subspace})
        elif method == "sefa" and options["layer"] is not None:
            _check_layers(module, [options["layer"]], "sefa layer")
            weight = first_layer_weight(dict(module.named_modules())[options["layer"]], latent_dim)
            Q, values = sefa(weight, num_directions)
            config["eigenvalues"] = values.tolist()
        elif method == "sefa":
            _check_differentiable(G, latent_dim, G_args, "sefa (layer=None)", sample_latents)
            Q, values = jacobian_eigenvectors(G, latent_dim, num_directions, samples=options["samples"],
                                              probes=options["probes"], batch_size=batch_size, seed=seed,
                                              sample_latents=sample_latents, G_args=G_args)
            config["eigenvalues"] = values.tolist()
        elif method == "ganspace":
            layer = options["layer"]
            if layer not in (OUTPUT, "input"):
                _check_layers(module, [layer], "ganspace layer")
            call = G if layer in (OUTPUT, "input") else capture(module, [layer], call=G)
            z, acts = activations(G, call, latent_dim, options["samples"], batch_size, seed, sample_latents, G_args)
            Q, explained = ganspace(z, None if layer == "input" else acts, num_directions)
            config["explained_variance"] = explained.tolist()
        else:
            attributes = options["attributes"] or []
            if len(attributes) != num_directions:
                raise ValueError(f"method 'gradient' finds one direction per attribute: {len(attributes)} "
                                 f"attribute(s) for num_directions={num_directions}")
            _check_differentiable(G, latent_dim, G_args, method, sample_latents)
            Q, _ = gradient_directions(G, latent_dim, attributes, samples=options["samples"], batch_size=batch_size,
                                       channels=options["channels"], seed=seed, sample_latents=sample_latents,
                                       G_args=G_args)
    if "eigenvalues" in config and not any(config["eigenvalues"]):
        raise ValueError(f"method {method!r}: every eigenvalue is 0, so the directions are arbitrary: G's output "
                         "does not change with z (a G that ignores its latent, or a layer that does not see it)")
    if history and all(loss == 0 for loss in history):
        raise ValueError(f"method {method!r}: the loss stayed at 0 for all {len(history)} steps, so the directions "
                         "are the random initial ones: G does not depend on z along this subspace (a G that "
                         "ignores its latent, or layers that do not see it)")
    return Directions(Q, method, config, history)


__all__ = ["METHODS", "OPTIONS", "discover_directions", "frozen"]
