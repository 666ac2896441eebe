"""Adapters: one trainer's conventions as data plus a few small functions (docs/design.md §6)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from torch import Tensor, nn

PairList = Sequence[tuple]


@dataclass(frozen=True)
class Adapter:
    """How the plugin talks to one trainer.

    :param name: unique name (``hjgan plugins`` lists it; ``attach(adapter=name)`` selects it).
    :param call_generator: ``(G, z, *args, **kwargs) -> activation(s)`` used for the penalty passes,
        e.g. StyleGAN2's ``G(z, c, noise_mode='const')``. ``None``: call ``G(z, *args, **kwargs)``.
    :param layers: default module names to regularize when the config says ``output``; ``None`` keeps G's output.
    :param pair_parameters: ``(G, D) -> [(g_param, d_param[, adjoint]), ...]`` for the exchange
        (``--hj-exchange-pairing=adapter``). ``None``: only the generic mirror rule is available.
    :param report: ``(scalars, step) -> None`` sends scalars to the trainer's logger.
    :param generator_adversarial_loss: ``(D, G_z, *G_args, **G_kwargs) -> Tensor (N,)``: the trainer's own
        generator adversarial loss per sample, before its mean (lower: D finds the sample more real).
        Plugins that weight samples by D's verdict (top-k) need it; ``None``: the trainer's loss is unknown.
    :param discriminator_loss: ``(D, real, fake, *G_args, **G_kwargs) -> scalar``: the trainer's D loss (the
        unrolled GAN takes D's steps with it); ``None``: unknown.
    :param matches: ``(G) -> bool``; lets ``attach`` pick this adapter automatically.
    :param description: one line for ``hjgan plugins``.
    :param defaults: ``((field, value), ...)``: the option values this host runs at unless the user sets
        them, e.g. ``(("lambda_h", 1e-4), ("layers", ("model.4", "output")))``, from the project's
        measurements on it. ``attach(adapter=...)`` takes them for the options it is not passed (a ``config``
        passed in is taken as it is: its integration applies them to the flags not given).
    :param tradeoff: what the project measured of the penalty at this host's default settings (the built-in
        ones, or ``defaults``), when it did not pay (worse samples, no disentanglement gain, or not at the
        bar's cost): ``attach`` warns with it (:class:`~hjgan_plugin.errors.TradeOffWarning`) while the
        penalty's weights and layers are those defaults. Empty: nothing measured, or it paid.
    """

    name: str
    call_generator: Callable[..., Any] | None = None
    layers: tuple[str, ...] | None = None
    pair_parameters: Callable[[nn.Module, nn.Module], PairList] | None = None
    report: Callable[[dict[str, float], int], None] | None = None
    matches: Callable[[Any], bool] | None = None
    description: str = ""
    generator_adversarial_loss: Callable[..., Tensor] | None = None
    discriminator_loss: Callable[..., Tensor] | None = None
    tradeoff: str = ""
    defaults: tuple[tuple[str, Any], ...] = ()

    def defaults_text(self) -> str:
        """The defaults as flags (``--hj-lambda-h=0.0001 --hj-layers=model.4,output``); empty without any."""
        from .options import flags_text

        return flags_text(self.defaults)

    def generator_fn(self, G: Callable) -> Callable[..., Any]:
        """G as the estimators call it: ``fn(z, *args, **kwargs)``."""
        if self.call_generator is None:
            return G
        call = self.call_generator
        return _BoundCall(call, G)


class _BoundCall:
    """``call(G, z, ...)`` with G bound; keeps a reference to G so the passes can find its module."""

    def __init__(self, call: Callable[..., Any], G: Callable):
        self.call, self.func = call, G  # ``func`` lets layers.find_module see the module

    def __call__(self, z: Tensor, *args: Any, **kwargs: Any) -> Any:
        return self.call(self.func, z, *args, **kwargs)


GENERIC = Adapter(
    name="generic",
    description="any nn.Module or function G(z, *args, **kwargs); mirror pairing for the exchange",
)


def non_saturating_loss(D: Any, G_z: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """The non-saturating generator loss per sample, ``softplus(-D(G_z))`` (Goodfellow et al. 2014; StyleGAN2's)."""
    import torch.nn.functional as F

    return F.softplus(-D(G_z, *args, **kwargs)).reshape(len(G_z), -1).mean(1)


def non_saturating_d_loss(D: Any, real: Tensor, fake: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """D's loss of the non-saturating GAN, ``softplus(-D(real)) + softplus(D(fake))``, means over the batch."""
    import torch.nn.functional as F

    return F.softplus(-D(real, *args, **kwargs)).mean() + F.softplus(D(fake, *args, **kwargs)).mean()


NON_SATURATING = Adapter(
    name="non-saturating",
    generator_adversarial_loss=non_saturating_loss,
    discriminator_loss=non_saturating_d_loss,
    description="the generic adapter for a loop whose G loss is softplus(-D(G(z))) (D gives logits)",
)
