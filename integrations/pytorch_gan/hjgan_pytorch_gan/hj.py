"""The glue the patched PyTorch-GAN scripts call, a few lines per script (docs/design.md §6):

    from hjgan_pytorch_gan import hj
    hj.add_options(parser)                                   # --hj, every --hj-* flag, --hj-save/--hj-resume
    ...
    session = hj.attach(opt, generator, discriminator, optimizer_G, optimizer_D, model="cgan")
    ...
    g_loss = g_loss + session.generator_penalty(z, gen_labels, G_z=gen_imgs)

Without ``--hj``, :func:`attach` returns :data:`OFF`, whose penalty is the integer 0 and which touches
neither the networks, the optimizers nor any random number generator: the script's numbers stay the
same for the same seed. ``--hj-save`` and ``--hj-resume`` (:mod:`.loading`, the scripts' checkpoints) work
with or without ``--hj``. With ``--hj`` it returns a :class:`ScriptSession` around
:func:`hjgan_plugin.attach`'s session with the model's adapter (:mod:`.adapters`); it prints the
scalars after each penalty in the scripts' own ``[name: value]`` log style (:mod:`.report`).
"""
from __future__ import annotations

import argparse
from typing import Any

import torch
from torch import Tensor, nn

from hjgan_plugin import HJConfig
from hjgan_plugin import attach as core_attach
from hjgan_plugin.adapters import Adapter
from hjgan_plugin.options import BUILTIN_OPTIONS
from hjgan_plugin.session import Session

from . import loading
from .adapters import AAENetworks, convention_for, defaults_epilog
from .report import format_line


def add_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``--hj`` and every ``--hj-*`` flag, installed plugins' options included
    (:meth:`hjgan_plugin.HJConfig.add_argparse_args`), and the checkpoint flags (:mod:`.loading`);
    ``--help`` ends with the scripts' measured defaults."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "\n\n".join(filter(None, [parser.epilog, defaults_epilog()]))
    HJConfig.add_argparse_args(parser)
    loading.add_options(parser)
    return parser


class _Off:
    """What :func:`attach` returns without ``--hj``: every call is a no-op (nothing is drawn or hooked)."""

    enabled = False
    session = None
    last: dict[str, float] = {}

    def generator_penalty(self, z: Any, *G_args: Any, G_z: Any = None, real: Any = None, **G_kwargs: Any) -> int:
        return 0

    def fresh_z(self, n: int) -> None:
        return None

    def __repr__(self) -> str:
        return "hj: off (no --hj)"


OFF = _Off()


class ScriptSession:
    """The session of one patched script: :class:`hjgan_plugin.Session` plus :meth:`fresh_z` (AAE)."""

    enabled = True

    def __init__(self, session: Session, latent_dim: int | None, log_every: int = 1):
        if log_every < 0:
            raise ValueError(f"log_every must be >= 0 (0: never), got {log_every}")
        self.session, self.latent_dim, self.log_every = session, latent_dim, log_every

    def generator_penalty(self, z: Tensor, *G_args: Any, G_z: Any = None, real: Tensor | None = None,
                          **G_kwargs: Any) -> Tensor:
        """:meth:`hjgan_plugin.Session.generator_penalty`: add it to the script's ``g_loss`` (``real``: the
        step's real batch, for plugins that take D's steps). Prints the scalars every ``log_every`` G steps."""
        total = self.session.generator_penalty(z, *G_args, G_z=G_z, real=real, **G_kwargs)
        step = self.session.steps["G"]
        if self.log_every and step % self.log_every == 0:
            print(format_line(self.session.last, step), flush=True)
        return total

    def fresh_z(self, n: int) -> Tensor:
        """``n`` latents from the prior the script samples (standard normal), on G's device: the AAE's
        decoder is trained on ``encoder(real)``, the penalty perturbs decoder inputs drawn afresh."""
        if self.latent_dim is None:
            raise ValueError("fresh_z needs opt.latent_dim")
        device = next(self.session.generator.parameters()).device
        return torch.randn(n, self.latent_dim, device=device)

    @property
    def last(self) -> dict[str, float]:
        return self.session.last

    def __repr__(self) -> str:
        return f"hj: {self.session!r}"


def attach(opt: argparse.Namespace, generator: nn.Module, discriminator: nn.Module,
           optimizer_G: torch.optim.Optimizer, optimizer_D: torch.optim.Optimizer, *, model: str,
           encoder: nn.Module | None = None, optimizer_info: torch.optim.Optimizer | None = None,
           adapter: str | Adapter | None = None, log_every: int = 1, **fields: Any) -> ScriptSession | _Off:
    """Attach the plugin to one script's networks, after its optimizers; :data:`OFF` without ``--hj``.

    :param model: the script (``"gan"``, ``"cgan"``, ...), which picks the call convention and pairing.
    :param encoder: ``aae``: the encoder, trained by ``optimizer_G`` with the decoder (``generator``).
    :param optimizer_info: ``infogan``: its third optimizer steps G too; each of its steps counts as a G step.
    :param adapter: override the model's adapter (a registered name or an object).
    :param log_every: print the scalars every N generator steps (0: never).
    :param fields: option overrides, as :func:`hjgan_plugin.attach` takes them.

    ``--hj-resume`` loads its checkpoint into the networks and optimizers first, and ``--hj-save`` starts
    counting G steps, with or without ``--hj``.
    """
    config = HJConfig.from_argparse(opt)
    parts = {"generator": generator, "discriminator": discriminator, "encoder": encoder, "optimizer_G": optimizer_G,
             "optimizer_D": optimizer_D, "optimizer_info": optimizer_info}
    loading.attach(opt, {k: v for k, v in parts.items() if v is not None}, model, optimizer_G)
    if not config.enabled:
        return OFF
    G = AAENetworks(encoder, generator) if encoder is not None else generator
    if adapter is None:
        adapter = convention_for(model, G).adapter(model)
    if isinstance(adapter, Adapter):  # the script's measured defaults, for the --hj-* flags not given
        given = {o.field for o in BUILTIN_OPTIONS if getattr(opt, o.dest, None) is not None}
        fields = {**{k: v for k, v in adapter.defaults if k not in given}, **fields}
    if getattr(opt, "hj_exchange_pairing", None) is None and "exchange_pairing" not in fields:
        fields["exchange_pairing"] = "adapter"  # the core's positional mirror pairs nothing on most scripts
    if optimizer_info is not None:
        _check_interval(config.interval, model)
    session = core_attach(G, discriminator, optimizer_G=optimizer_G, optimizer_D=optimizer_D, config=config,
                          adapter=adapter, **fields)
    if optimizer_info is not None:
        optimizer_info.register_step_post_hook(lambda *_: session.step("G"))
    if session.exchange is not None:
        print(f"[hj] {model}: {session.exchange.report}")
    return ScriptSession(session, getattr(opt, "latent_dim", None), log_every)


def _check_interval(interval: int, model: str) -> None:
    """With two G steps per iteration, only an odd ``--hj-interval`` keeps the lazy gain unbiased."""
    if interval > 1 and interval % 2 == 0:
        raise ValueError(f"{model}: optimizer_info's step counts as a G step (two per iteration), so an even "
                         f"--hj-interval {interval} would run the penalty every {interval // 2} iteration(s) at "
                         f"gain {interval}; use an odd interval")


__all__ = ["OFF", "ScriptSession", "add_options", "attach"]
