"""The project's main demo: the SPEC §8 squares testbed, trained without and with the plugin.

    python -m hjgan_plugin.demo [--out DIR] [--iters N] [--seed S]

Trains the testbed GAN (:mod:`hjgan_plugin.testbed`) twice from the same seed on squares it renders
itself: a baseline, and the same trainer with ``hjgan_plugin.attach(...)`` adding the joint
Hessian/Jacobian penalty to the generator loss. It then writes one picture, ``DIR/demo.png`` (for each
run a latent-traversal grid, plus MIG / valid-fraction bars and the penalty terms over training), and
prints a table of MIG, valid fraction and seconds per run. Both runs together took about 2 minutes on
2 CPU cores at the default 2000 iterations (one torch thread, ``--threads``).

The plugin's λ defaults come from the small sweep in ``docs/demo_sweep.md``; they are base scales and
the Eagle-Dove game's α = β = 0.5 halves them (SPEC §2). MIG is measured between z and the factors read
back from the generated images by image moments; a MIG gain means something only with the valid
fraction (the SPEC §8 quality gate) beside it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import mig
from .testbed import Discriminator, Generator, SquaresDataset, factors_from_images, valid_fraction

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
    SPEC §1 defaults), without gradients.

    Used to draw the same curves for both runs (the baseline has no plugin session to report them);
    the directions come from a fixed ``seed`` so successive measurements are comparable.
    """
    from hjgan_plugin import joint_penalty

    gen = torch.Generator().manual_seed(seed)
    v = torch.randint(0, 2, (k, *z.shape), generator=gen).to(z) * 2 - 1
    p = joint_penalty(G, z, alpha=1.0, beta=1.0, k=k, epsilon=epsilon, directions=v)
    return float(p.hessian), float(p.jacobian)


def train(plugin: dict[str, Any] | None, iters: int = 2000, seed: int = 0, log_every: int = 250,
          measure_every: int = 50, name: str | None = None,
          log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train the testbed GAN for ``iters`` iterations; ``plugin`` is ``None`` (baseline) or the
    keyword arguments of ``hjgan_plugin.attach`` (e.g. ``{"penalty": "joint", "lambda_h": ...}``).

    Returns ``{"name", "G", "seconds", "history"}``; ``history`` has per-measurement lists ``it``,
    ``hessian``, ``jacobian`` (unweighted, :func:`measure_penalties` on a fixed batch) and per-log
    lists of the losses.
    """
    name = name or ("baseline" if plugin is None else "plugin")
    torch.manual_seed(seed)
    G, D = Generator(), Discriminator()
    opt_g = torch.optim.Adam(G.parameters(), lr=LR_G, betas=BETAS)
    opt_d = torch.optim.Adam(D.parameters(), lr=LR_D, betas=BETAS)
    session = None
    if plugin is not None:
        from hjgan_plugin import attach

        session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, **plugin)
    data = SquaresDataset(seed=seed + 1)
    z_gen = torch.Generator().manual_seed(seed + 2)
    z_fixed = torch.randn(BATCH, G.latent_dim, generator=torch.Generator().manual_seed(seed + 3))
    hist: dict[str, list[float]] = {"it": [], "hessian": [], "jacobian": [], "log_it": [],
                                    "loss_d": [], "loss_g": [], "hj_total": []}
    start = time.perf_counter()
    for it in range(1, iters + 1):
        # --- D step: non-saturating loss + R1 (gamma = 1) on real images ---
        real, _ = data.batch(BATCH)
        z = torch.randn(BATCH, G.latent_dim, generator=z_gen)
        with torch.no_grad():
            fake = G(z)
        logits_real, r1 = _r1(D, real)
        loss_d = F.softplus(D(fake)).mean() + F.softplus(-logits_real).mean() + R1_GAMMA / 2 * r1
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        # --- G step: non-saturating loss (+ the plugin's penalty) ---
        z = torch.randn(BATCH, G.latent_dim, generator=z_gen)
        fake = G(z)
        loss_g = F.softplus(-D(fake)).mean()
        if session is not None:
            loss_g = loss_g + session.generator_penalty(z, G_z=fake)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()

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
    return {"name": name, "G": G, "seconds": time.perf_counter() - start, "history": hist,
            "plugin": plugin}


@torch.no_grad()
def evaluate(G: torch.nn.Module, n: int = 10_000, seed: int = 12345, bins: int = 20) -> dict[str, float]:
    """MIG between ``z`` and the factors read from ``G(z)`` by moments, and the valid fraction (SPEC §8:
    20 bins, all ``n`` samples)."""
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


def make_figure(results: Sequence[dict[str, Any]], path: str) -> None:
    """One PNG: a traversal grid per run, MIG / valid-fraction bars and the penalty curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(results)
    fig = plt.figure(figsize=(5.2 * n, 7.4))
    gs = fig.add_gridspec(2, 2 * n, height_ratios=[1.0, 1.25])
    for i, r in enumerate(results):
        ax = fig.add_subplot(gs[0, 2 * i:2 * i + 2])
        ax.imshow(traversal(r["G"]), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{r['name']}: {r['label']}\nMIG {r['mig']:.2f}, valid {r['valid']:.2f}", fontsize=10)
        ax.set_xticks([8 + 17 * j for j in (0, 2, 4, 6, 8)], ["-2", "-1", "0", "+1", "+2"])
        ax.set_yticks([8 + 17 * d for d in range(r["G"].latent_dim)],
                      [f"z{d + 1}" for d in range(r["G"].latent_dim)])
        ax.set_xlabel("one latent swept, the others at 0")
    colors = ["tab:gray", "tab:blue", "tab:orange", "tab:green"]
    ax = fig.add_subplot(gs[1, :n])
    width = 0.8 / n
    for i, r in enumerate(results):
        ax.bar(np.arange(2) + (i - (n - 1) / 2) * width, [r["mig"], r["valid"]], width,
               label=r["name"], color=colors[i % len(colors)])
    ax.axhline(0.3, color="k", lw=0.8, ls=":", label="valid ≥ 0.3 gate")
    ax.set_xticks([0, 1], ["MIG", "valid fraction"])
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    ax.set_title("disentanglement and quality gate", fontsize=10)
    ax = fig.add_subplot(gs[1, n:])
    for i, r in enumerate(results):
        h = r["history"]
        c = colors[i % len(colors)]
        ax.plot(h["it"], h["hessian"], color=c, ls="-", label=f"{r['name']} L_H")
        ax.plot(h["it"], h["jacobian"], color=c, ls="--", label=f"{r['name']} L_J")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_title("unweighted penalties on a fixed z batch", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_table(results: Sequence[dict[str, Any]]) -> str:
    """The printed summary: one row per run."""
    lines = [f"{'run':<10} {'MIG':>6} {'valid':>6} {'seconds':>8}  setting"]
    for r in results:
        lines.append(f"{r['name']:<10} {r['mig']:6.3f} {r['valid']:6.3f} {r['seconds']:8.1f}  {r['label']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m hjgan_plugin.demo", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="demo_out", help="output folder for demo.png (default: demo_out)")
    p.add_argument("--iters", type=int, default=2000, help="training iterations per run (default: 2000)")
    p.add_argument("--seed", type=int, default=0, help="seed shared by both runs (default: 0)")
    p.add_argument("--hj-lambda-h", dest="lambda_h", type=float, default=DEFAULT_LAMBDA_H,
                   help=f"plugin run's base Hessian scale (default: {DEFAULT_LAMBDA_H:g})")
    p.add_argument("--hj-lambda-j", dest="lambda_j", type=float, default=DEFAULT_LAMBDA_J,
                   help=f"plugin run's base Jacobian scale (default: {DEFAULT_LAMBDA_J:g})")
    p.add_argument("--eval-samples", type=int, default=10_000, help="samples for MIG / valid (default: 10000)")
    p.add_argument("--log-every", type=int, default=250, help="progress line every N iterations")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default: 1; results depend on it through float rounding, "
                        "and 1 reproduces docs/demo_sweep.md)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    plugin = {"penalty": "joint", "lambda_h": args.lambda_h, "lambda_j": args.lambda_j}
    runs = [("baseline", None, "no penalty"),
            ("plugin", plugin, f"joint, λ_H={args.lambda_h:g}, λ_J={args.lambda_j:g} (α=β=0.5)")]
    results = []
    t0 = time.perf_counter()
    for name, cfg, label in runs:
        print(f"== {name}: {label}, {args.iters} iterations, seed {args.seed}", flush=True)
        r = train(cfg, iters=args.iters, seed=args.seed, log_every=args.log_every, name=name,
                  log=lambda s: print(s, flush=True))
        r.update(evaluate(r["G"], n=args.eval_samples), label=label)
        results.append(r)
    path = os.path.join(args.out, "demo.png")
    make_figure(results, path)
    print(format_table(results))
    print(f"wrote {path}  (total {time.perf_counter() - t0:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
