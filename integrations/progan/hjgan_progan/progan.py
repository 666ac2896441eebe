"""``HJProGAN``: pro-gan-pth's ``ProGAN`` with the plugin in its generator step (docs/design.md §6).

Imports pro-gan-pth (after :func:`.compat.check_version` and :func:`.compat.apply`). The subclass
overrides only the public hooks upstream's ``train`` calls:

- ``optimize_generator`` adds the Eq. 15 penalty to upstream's generator loss; its passes call
  ``gen(z, depth, alpha)`` at the step's depth and fade-in alpha, reusing the adversarial pass;
- ``optimize_discriminator`` runs upstream's step, then counts it for the weight exchange, whose
  pairing is rebuilt for the blocks of the current depth whenever the depth changes [ours, docs/design.md §4]
  (:func:`.adapter.depth_pairing`);
- ``get_save_info`` adds the session's state under ``"hj"`` to upstream's checkpoint dict (plain types:
  ``create_generator_from_saved_model`` still loads it, with or without hjgan_plugin);
- ``train`` runs upstream's loop with its tensorboard writer wrapped: at each of upstream's feedback
  points (where it logs ``gen_loss``) the plugin's scalars go to the same log, at the same step, and
  to stdout.

Fine-tuning a saved model: :meth:`HJProGAN.from_checkpoint` with ``warmup=T``; the session starts at
step 0, so the weights ramp up from 0 over the first T generator steps.
"""
from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Any, Iterator

import torch

from . import compat

compat.check_version()
compat.apply()

from pro_gan_pytorch import gan as _gan  # noqa: E402  (upstream, after the fixes)
from pro_gan_pytorch.networks import Discriminator, Generator  # noqa: E402

from hjgan_plugin.config import HJConfig  # noqa: E402
from hjgan_plugin.exchange.pairing import resolve_pairs  # noqa: E402
from hjgan_plugin.layers import unwrap  # noqa: E402
from hjgan_plugin.session import Session, attach  # noqa: E402

from .adapter import ADAPTER, depth_pairing  # noqa: E402

UpstreamSummaryWriter = _gan.SummaryWriter
REPORT_TAG = "gen_loss"  # upstream logs this one at each feedback point; the plugin's scalars follow it


def progan_config(config: HJConfig | None = None, **fields: Any) -> HJConfig:
    """An enabled config for ProGAN; the exchange uses the adapter's depth pairing unless
    ``exchange_pairing`` is given."""
    base = config.to_dict() if config is not None else {"exchange_pairing": "adapter"}
    base.update(fields, enabled=True)
    return HJConfig.from_dict(base)


class HJProGAN(_gan.ProGAN):
    """``ProGAN(gen, dis, device, use_ema, ema_beta)`` plus ``hj``: an :class:`HJConfig` (or ``None`` for
    :func:`progan_config`'s defaults) and ``hj_fields`` overriding it."""

    def __init__(self, gen: Generator, dis: Discriminator, *args: Any, hj: HJConfig | None = None,
                 **kwargs: Any):
        hj_fields = {k[3:]: kwargs.pop(k) for k in list(kwargs) if k.startswith("hj_")}
        super().__init__(gen, dis, *args, **kwargs)
        self.hj_config = progan_config(hj, **hj_fields)
        self.hj_session: Session = attach(self.gen, self.dis, config=self.hj_config, adapter=ADAPTER,
                                          manual_steps=True)
        self.hj_depth: int | None = None

    @classmethod
    def from_checkpoint(cls, path: str | Path, *, hj: HJConfig | None = None, device: Any = torch.device("cpu"),
                        use_ema: bool = True, ema_beta: float = 0.999, **hj_fields: Any) -> "HJProGAN":
        """Networks (and the EMA generator) from one of upstream's ``.bin`` checkpoints; a fresh session."""
        saved = torch.load(path, map_location="cpu", weights_only=True)
        gen, dis = Generator(**saved["generator"]["conf"]), Discriminator(**saved["discriminator"]["conf"])
        gen.load_state_dict(saved["generator"]["state_dict"])
        dis.load_state_dict(saved["discriminator"]["state_dict"])
        progan = cls(gen, dis, device=device, use_ema=use_ema, ema_beta=ema_beta, hj=hj,
                     **{f"hj_{k}": v for k, v in hj_fields.items()})
        if use_ema and "shadow_generator" in saved:
            unwrap(progan.gen_shadow).load_state_dict(saved["shadow_generator"]["state_dict"])
        return progan

    # ------------------------------------------------------------------ depth-following exchange
    def hj_follow_depth(self, depth: int) -> None:
        """Rebuild the exchange's pairing for the blocks of ``depth`` when the depth changes."""
        if depth == self.hj_depth:
            return
        self.hj_depth = depth
        exchange = self.hj_session.exchange
        if exchange is not None and self.hj_config.exchange_pairing == "adapter":
            exchange.report = resolve_pairs(self.gen, self.dis, depth_pairing(depth))
            print(f"hj: depth {depth}: {exchange.report}")

    # ------------------------------------------------------------------ upstream's hooks
    def optimize_discriminator(self, loss: Any, dis_optim: torch.optim.Optimizer, noise: torch.Tensor,
                               real_batch: torch.Tensor, depth: int, alpha: float, labels: Any = None) -> float:
        self.hj_follow_depth(depth)
        overflows = self.dis_overflow_count
        value = super().optimize_discriminator(loss, dis_optim, noise, real_batch, depth, alpha, labels=labels)
        if self.dis_overflow_count == overflows:  # upstream stepped
            self.hj_session.step("D")
        return value

    def optimize_generator(self, loss: Any, gen_optim: torch.optim.Optimizer, noise: torch.Tensor,
                           real_batch: torch.Tensor, depth: int, alpha: float, labels: Any = None) -> float:
        """Upstream's generator step with ``+ session.generator_penalty(noise, depth, alpha)`` in the
        loss; returns the adversarial loss, as upstream does (the penalty is reported as ``hj_penalty``)."""
        self.hj_follow_depth(depth)
        real_samples = self.progressive_downsample_batch(real_batch, depth, alpha)
        fake_samples = self.gen(noise, depth, alpha)
        adversarial = loss.gen_loss(self.dis, real_samples, fake_samples, depth, alpha, labels=labels)
        penalty = self.hj_session.generator_penalty(noise, depth, alpha, G_z=fake_samples)
        gen_optim.zero_grad()
        (adversarial + penalty).backward()
        if self._check_grad_ok(self.gen):
            gen_optim.step()
            self.hj_session.step("G")
        else:
            self.gen_overflow_count += 1
        return adversarial.item()

    def get_save_info(self, gen_optim: torch.optim.Optimizer, dis_optim: torch.optim.Optimizer) -> dict[str, Any]:
        return {**super().get_save_info(gen_optim, dis_optim), "hj": self.hj_session.state_dict()}

    def train(self, *args: Any, **kwargs: Any) -> None:
        """Upstream's ``train`` (same arguments), its tensorboard log carrying the plugin's scalars."""
        with _reporting_writer(self):
            return super().train(*args, **kwargs)

    # ------------------------------------------------------------------ reporting
    def hj_report(self, writer: Any, step: int | None) -> dict[str, float]:
        """Write the session's last scalars to ``writer`` at ``step`` and print them; return them."""
        scalars = {k: v for k, v in self.hj_session.last.items() if not math.isnan(v)}
        for name, value in scalars.items():
            writer.add_scalar(name, value, global_step=step)
        print("hj: step %s  " % step + "  ".join(f"{k}: {v:.6g}" for k, v in scalars.items()), flush=True)
        return scalars


class _ReportingWriter(UpstreamSummaryWriter):
    """Upstream's ``SummaryWriter``; after each ``gen_loss`` it adds the plugin's scalars."""

    def __init__(self, progan: HJProGAN, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._hj_progan = progan

    def add_scalar(self, tag: str, scalar_value: Any, global_step: Any = None, *args: Any, **kwargs: Any) -> None:
        super().add_scalar(tag, scalar_value, global_step, *args, **kwargs)
        if tag == REPORT_TAG:
            self._hj_progan.hj_report(super(), global_step)


@contextlib.contextmanager
def _reporting_writer(progan: HJProGAN) -> Iterator[None]:
    """Upstream's ``gan.SummaryWriter`` is :class:`_ReportingWriter` for the duration of one ``train``."""
    _gan.SummaryWriter = lambda *args, **kwargs: _ReportingWriter(progan, *args, **kwargs)
    try:
        yield
    finally:
        _gan.SummaryWriter = UpstreamSummaryWriter
