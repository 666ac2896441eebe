"""Training and evaluation on the squares testbed (docs/design.md §8), shared by the demo and the benchmarks.

:func:`train` trains the testbed GAN (:class:`~hjgan_plugin.testbed.Generator`,
:class:`~hjgan_plugin.testbed.Discriminator`) on squares rendered on the fly: non-saturating loss, R1
(γ = 1) on D, Adam, batch 64; with ``plugin`` given, ``hjgan_plugin.attach(...)`` adds the joint
Hessian/Jacobian penalty to the generator loss. :func:`evaluate` measures MIG and the valid fraction,
:func:`traversal` draws a latent-traversal grid and :func:`measure_penalties` gives the unweighted
penalties. Same seed, same numbers.
"""
from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..metrics import mig
from .models import Discriminator, Generator
from .squares import SquaresDataset, factors_from_images, valid_fraction

# Plugin setting of the demo (base scales; effective = 0.5 × these with the default game).
# Chosen by the sweep recorded in docs/demo_sweep.md.
DEFAULT_LAMBDA_H = 4.5e-5
DEFAULT_LAMBDA_J = 1.5e-5

BATCH = 64
R1_GAMMA = 1.0
LR_G = 1e-3
LR_D = 2e-4
BETAS = (0.5, 0.999)


def _r1(D: torch.nn.Module, real: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """D's logits on ``real`` and the R1 gradient penalty ``E ||∇_x D(x)||²``."""
    real = real.detach().requires_grad_(True)
    logits = D(real)
    (grad,) = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return logits, grad.pow(2).flatten(1).sum(1).mean()


@torch.no_grad()
def measure_penalties(G: torch.nn.Module, z: torch.Tensor, epsilon: float = 0.1, k: int = 2,
                      seed: int = 0) -> tuple[float, float]:
    """Unweighted Hessian and Jacobian penalties of ``G`` at ``z`` (:func:`hjgan_plugin.joint_penalty`,
    docs/design.md §1 defaults), without gradients.

    Used to draw the same curves for both runs (the baseline has no plugin session to report them);
    the directions come from a fixed ``seed`` so successive measurements are comparable.
    """
    from hjgan_plugin import joint_penalty

    gen = torch.Generator().manual_seed(seed)
    v = torch.randint(0, 2, (k, *z.shape), generator=gen).to(z) * 2 - 1
    p = joint_penalty(G, z, alpha=1.0, beta=1.0, k=k, epsilon=epsilon, directions=v)
    return float(p.hessian), float(p.jacobian)


def ema_update(G_ema: torch.nn.Module, G: torch.nn.Module, beta: float) -> None:
    """``θ_ema ← β θ_ema + (1 − β) θ`` for every parameter; buffers copied."""
    with torch.no_grad():
        for p_ema, p in zip(G_ema.parameters(), G.parameters()):
            p_ema.lerp_(p, 1.0 - beta)
        for b_ema, b in zip(G_ema.buffers(), G.buffers()):
            b_ema.copy_(b)



@dataclasses.dataclass
class TrainingState:
    """What one testbed training run carries from iteration to iteration (see :func:`setup`)."""

    G: Generator
    D: Discriminator
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    session: Any
    data: SquaresDataset
    z_gen: torch.Generator


def setup(plugin: dict[str, Any] | None, seed: int = 0, lr_g: float = LR_G, lr_d: float = LR_D) -> TrainingState:
    """The networks, optimizers, plugin session (``plugin``: ``attach`` keyword arguments or ``None``),
    data stream and latent stream of one run, seeded by ``seed`` as :func:`train` seeds them."""
    torch.manual_seed(seed)
    G, D = Generator(), Discriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=lr_g, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=BETAS)
    session = None
    if plugin is not None:
        from hjgan_plugin import attach

        session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, **plugin)
    return TrainingState(G, D, opt_g, opt_d, session, SquaresDataset(seed=seed + 1),
                         torch.Generator().manual_seed(seed + 2))


def iteration(state: TrainingState) -> tuple[torch.Tensor, torch.Tensor]:
    """One training iteration: a D step (non-saturating loss + R1, γ = 1, on real images), then a G step
    (non-saturating loss plus the plugin's penalty when a session is attached). Returns both losses."""
    G, D = state.G, state.D
    real, _ = state.data.batch(BATCH)
    z = torch.randn(BATCH, G.latent_dim, generator=state.z_gen)
    with torch.no_grad():
        fake = G(z)
    logits_real, r1 = _r1(D, real)
    loss_d = F.softplus(D(fake)).mean() + F.softplus(-logits_real).mean() + R1_GAMMA / 2 * r1
    state.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    state.opt_d.step()
    z = torch.randn(BATCH, G.latent_dim, generator=state.z_gen)
    fake = G(z)
    loss_g = F.softplus(-D(fake)).mean()
    if state.session is not None:
        loss_g = loss_g + state.session.generator_penalty(z, G_z=fake)
    state.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    state.opt_g.step()
    return loss_d, loss_g


def train(plugin: dict[str, Any] | None, iters: int = 2000, seed: int = 0, log_every: int = 250,
          measure_every: int = 50, name: str | None = None,
          log: Callable[[str], None] = print, ema_beta: float | None = None,
          checkpoints: Sequence[int] = (), checkpoint_samples: int = 5000,
          lr_g: float = LR_G, lr_d: float = LR_D) -> dict[str, Any]:
    """Train the testbed GAN for ``iters`` iterations; ``plugin`` is ``None`` (baseline) or the
    keyword arguments of ``hjgan_plugin.attach`` (e.g. ``{"penalty": "joint", "lambda_h": ...}``).

    ``ema_beta``: also keep an exponential moving average of G's weights (``G_ema``), updated after
    every G step. ``checkpoints``: iterations at which :func:`evaluate` runs on ``checkpoint_samples``
    samples, of G and (with ``ema_beta``) of ``G_ema``; none of this touches the training's random streams.
    ``lr_g``, ``lr_d``: Adam's learning rates (default the demo's).

    Returns ``{"name", "G", "G_ema", "seconds", "history", "plugin"}``; ``history`` has per-measurement lists
    ``it``, ``hessian``, ``jacobian`` (unweighted, :func:`measure_penalties` on a fixed batch), per-log lists
    of the losses and ``checkpoints`` (one dict per checkpoint: ``it``, ``mig``, ``valid``, ``mig_ema``,
    ``valid_ema``).
    """
    name = name or ("baseline" if plugin is None else "plugin")
    state = setup(plugin, seed=seed, lr_g=lr_g, lr_d=lr_d)
    G, session = state.G, state.session
    z_fixed = torch.randn(BATCH, G.latent_dim, generator=torch.Generator().manual_seed(seed + 3))
    hist: dict[str, list[Any]] = {"it": [], "hessian": [], "jacobian": [], "log_it": [],
                                  "loss_d": [], "loss_g": [], "hj_total": [], "checkpoints": []}
    G_ema = copy.deepcopy(G).requires_grad_(False) if ema_beta is not None else None
    checkpoints = set(checkpoints)
    start = time.perf_counter()
    for it in range(1, iters + 1):
        loss_d, loss_g = iteration(state)
        if G_ema is not None:
            ema_update(G_ema, G, ema_beta)
        if it in checkpoints:
            row: dict[str, Any] = {"it": it, **evaluate(G, n=checkpoint_samples)}
            if G_ema is not None:
                row.update({f"{k}_ema": v for k, v in evaluate(G_ema, n=checkpoint_samples).items()})
            hist["checkpoints"].append(row)

        if it % measure_every == 0 or it == 1 or it == iters:
            h, j = measure_penalties(G, z_fixed, seed=seed)
            hist["it"].append(it)
            hist["hessian"].append(h)
            hist["jacobian"].append(j)
        if it % log_every == 0 or it == iters:
            hj = 0.0
            if session is not None:  # the weighted Eq. 15 term of the last step
                last = session.last
                hj = float(last.get("hj_total", last.get("hj_penalty", float("nan"))))
            hist["log_it"].append(it)
            hist["loss_d"].append(loss_d.item())
            hist["loss_g"].append(loss_g.item())
            hist["hj_total"].append(hj)
            log(f"[{name}] it {it:5d}/{iters}  loss_D {loss_d.item():.3f}  loss_G {loss_g.item():.3f}  "
                f"L_H {hist['hessian'][-1]:.3g}  L_J {hist['jacobian'][-1]:.3g}  "
                f"{time.perf_counter() - start:.0f}s")
    return {"name": name, "G": G, "G_ema": G_ema, "seconds": time.perf_counter() - start, "history": hist,
            "plugin": plugin}


@torch.no_grad()
def evaluate(G: torch.nn.Module, n: int = 10_000, seed: int = 12345, bins: int = 20) -> dict[str, float]:
    """MIG between ``z`` and the factors read from ``G(z)`` by moments, and the valid fraction
    (docs/design.md §8: 20 bins, all ``n`` samples)."""
    z = torch.randn(n, G.latent_dim, generator=torch.Generator().manual_seed(seed))
    images = G(z)
    return {"mig": mig(z.numpy(), factors_from_images(images).numpy(), bins=bins),
            "valid": valid_fraction(images)}


@torch.no_grad()
def traversal(G: torch.nn.Module, steps: int = 9, span: float = 2.0) -> np.ndarray:
    """Latent traversal: row ``d`` sweeps ``z_d`` over ``[-span, span]`` with the other latents at 0.

    Returns one grey image ``(d·16 + gaps, steps·16 + gaps)`` in [0, 1] (gaps are 0.5 grey).
    """
    d, size, pad = G.latent_dim, G.size, 1
    values = torch.linspace(-span, span, steps)
    z = torch.zeros(d, steps, d)
    for i in range(d):
        z[i, :, i] = values
    imgs = G(z.view(-1, d)).view(d, steps, size, size).numpy()
    grid = np.full((d * (size + pad) - pad, steps * (size + pad) - pad), 0.5)
    for i in range(d):
        for j in range(steps):
            grid[i * (size + pad):i * (size + pad) + size, j * (size + pad):j * (size + pad) + size] = imgs[i, j]
    return grid
