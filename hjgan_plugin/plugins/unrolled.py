"""Built-in plugin: the unrolled GAN (Metz et al., "Unrolled Generative Adversarial Networks", ICLR 2017), a
mode-collapse remedy that works through D's optimization: G's loss is taken against D unrolled K steps ahead.

Options (``--hj-unrolled-steps`` etc., ``attach(unrolled_steps=...)``):

- ``unrolled_steps``: K, D's steps unrolled for G's loss; 0 = off, the default (the paper: 5–10 on its ring);
- ``unrolled_lr``: the size of those steps (plain gradient steps);
- ``unrolled_second_order``: 1 backpropagates through the unrolled steps into G (the paper's method), 0 treats
  D^K as a constant.

The term added is ``L_G(D^K) − L_G(D)`` on the adapter's per-sample generator loss, so with the trainer's own
loss the generator's gradient is the one against D^K. It needs the step's real batch,
``session.generator_penalty(z, G_z=fake, real=real)``, and an adapter that knows the trainer's G and D losses
(``non-saturating``); anything else is refused, at attach time where it can be. Cost: K D forward and
backward passes on real and fake batches per G step, twice that with the second-order graph.
"""
from __future__ import annotations

from typing import Any

from torch import Tensor, nn

from ..hookspecs import hookimpl
from ..options import parse_bool
from ..remedies.unrolled import as_module_call, unrolled_parameters


@hookimpl
def hjgan_addoption(parser: Any) -> None:
    group = parser.getgroup("unrolled", "unrolled GAN (Metz et al. 2017)")
    group.addoption("steps", type=int, default=0, range=">= 0", help="unrolled GAN: D steps unrolled for G's loss; 0 = off")
    group.addoption("lr", type=float, default=1e-3, range="> 0", help="unrolled GAN: size of the unrolled D steps")
    group.addoption("second_order", type=parse_bool, default=True,
                    help="unrolled GAN: backpropagate through the unrolled steps into G")


@hookimpl
def hjgan_configure(context: Any) -> None:
    steps = int(context.getoption("unrolled_steps"))
    if steps == 0:
        return
    if not isinstance(context.discriminator, nn.Module):
        raise ValueError("--hj-unrolled-steps unrolls the discriminator: attach(G, D, ...) with D an nn.Module")
    adapter = context.adapter
    if adapter.generator_adversarial_loss is None or adapter.discriminator_loss is None:
        raise ValueError(f"--hj-unrolled-steps needs the trainer's G and D losses, and adapter {adapter.name!r} "
                         "does not give both; for a loop with the non-saturating loss use attach(..., "
                         "adapter='non-saturating'), or give your adapter generator_adversarial_loss and "
                         "discriminator_loss")


@hookimpl
def hjgan_generator_loss_terms(context: Any, z: Tensor, G_args: tuple, G_kwargs: dict, G_z: Any,
                               real: Any) -> dict[str, Tensor] | None:
    steps = int(context.getoption("unrolled_steps"))
    if steps == 0:
        return None
    if real is None:
        raise ValueError("--hj-unrolled-steps needs the step's real batch: session.generator_penalty(z, G_z=fake, "
                         "real=real)")
    fake = context.generator_output(z, G_args, G_kwargs, G_z)
    if not isinstance(real, Tensor) or not real.is_floating_point() or real.shape[1:] != fake.shape[1:] \
            or len(real) == 0:
        shape = tuple(real.shape) if isinstance(real, Tensor) else type(real).__name__
        raise ValueError(f"--hj-unrolled-steps: the real batch must be a floating tensor shaped like the fakes "
                         f"(N, {', '.join(map(str, fake.shape[1:]))}) for D's unrolled steps, got {shape}")
    D, adapter = context.discriminator, context.adapter
    params = unrolled_parameters(D, adapter.discriminator_loss, real, fake, steps,
                                 float(context.getoption("unrolled_lr")),
                                 bool(context.getoption("unrolled_second_order")), G_args)
    ahead = adapter.generator_adversarial_loss(as_module_call(D, params), fake, *G_args).mean()
    now = adapter.generator_adversarial_loss(D, fake, *G_args).mean()
    return {"unrolled": ahead - now}
