"""Built-in plugin: top-k generator updates (Sinha et al., "Top-k Training of GANs: Improving GAN Performance
by Throwing Away Bad Samples", NeurIPS 2020), a mode-collapse remedy that works on the generator's loss.

Options (``--hj-topk-nu`` etc., ``attach(topk_nu=...)``):

- ``topk_nu``: the smallest fraction of the batch that updates G (ν); 1 = off, the default. The paper uses 0.5–0.75.
- ``topk_gamma``: the decay of k per period (γ, the paper's 0.99 per epoch).
- ``topk_period``: generator steps per decay (the plugin does not see epochs).

The term it adds is ``mean of the k smallest per-sample losses − mean of all``, on the adapter's per-sample
generator loss (:attr:`hjgan_plugin.Adapter.generator_adversarial_loss`), so that with the trainer's own mean
loss the generator's gradient is the top-k loss's. Cost: one more D forward and backward on the fakes per G step
(and a G forward when the caller does not pass ``G_z``). An adapter without the per-sample loss is refused at
attach time.
"""
from __future__ import annotations

from typing import Any

from torch import Tensor

from ..hookspecs import hookimpl
from ..remedies.topk import topk_count, topk_fraction, topk_mean


def _enabled(context: Any) -> bool:
    return float(context.getoption("topk_nu")) < 1.0


@hookimpl
def hjgan_addoption(parser: Any) -> None:
    group = parser.getgroup("topk", "top-k generator updates (Sinha et al. 2020)")
    group.addoption("nu", type=float, default=1.0, range="(0, 1]",
                    help="top-k: smallest fraction of the batch that updates G (the paper: 0.5-0.75); 1 = off")
    group.addoption("gamma", type=float, default=0.99, range="(0, 1]", help="top-k: decay of k per period")
    group.addoption("period", type=int, default=100, range=">= 1", help="top-k: generator steps per decay of k")


@hookimpl
def hjgan_configure(context: Any) -> None:
    if not _enabled(context):
        return
    topk_fraction(0, float(context.getoption("topk_nu")), float(context.getoption("topk_gamma")),
                  int(context.getoption("topk_period")))  # checks the three values
    if context.discriminator is None:
        raise ValueError("--hj-topk-nu needs the discriminator, to score the fakes: attach(G, D, ...)")
    if context.adapter.generator_adversarial_loss is None:
        raise ValueError(f"--hj-topk-nu needs the trainer's generator loss per sample, and adapter "
                         f"{context.adapter.name!r} does not give it; for a loop with the non-saturating loss "
                         "softplus(-D(G(z))) use attach(..., adapter='non-saturating'), or give your adapter "
                         "a generator_adversarial_loss")


@hookimpl
def hjgan_generator_loss_terms(context: Any, z: Tensor, G_args: tuple, G_kwargs: dict,
                               G_z: Any) -> dict[str, Tensor] | None:
    if not _enabled(context):
        return None
    fake = context.generator_output(z, G_args, G_kwargs, G_z)
    losses = context.adapter.generator_adversarial_loss(context.discriminator, fake, *G_args, **G_kwargs)
    fraction = topk_fraction(context.steps["G"], float(context.getoption("topk_nu")),
                             float(context.getoption("topk_gamma")), int(context.getoption("topk_period")))
    k = topk_count(len(losses), fraction)
    context.record(topk_k=float(k))
    return {"topk": topk_mean(losses, k) - losses.mean()}
