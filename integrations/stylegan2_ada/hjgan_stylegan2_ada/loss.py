"""``HJStyleGAN2Loss``: upstream's ``StyleGAN2Loss`` plus the plugin (``loss_kwargs.class_name`` swap).

Imported by upstream's training loop, inside its own process, where ``training`` and ``torch_utils``
(the user's stylegan2-ada-pytorch checkout) are importable. The loss sees only ``G_mapping``,
``G_synthesis`` and ``D`` (DDP-wrapped when ``--gpus`` > 1); it attaches a session to them and:

- in the ``Gmain``/``Gboth`` phases runs the Eq. 15 penalty on the round's latents (lazily every
  ``--hj-interval`` G steps with gain N, on ``--hj-subbatch`` of them) *before* upstream's own G pass,
  with DDP gradient synchronisation off, so that upstream's last backward of the phase is the one that
  all-reduces (it covers every G parameter, the penalty's layers-only or w-space graph might not);
- counts G and D steps from the step-hooked optimizers (:mod:`.optim`), ``Gmain``/``Dmain`` only (the
  lazy ``Greg``/``Dreg`` phases step the same optimizers), and runs the weight exchange after them;
- reports ``Loss/G/hj_hessian``, ``Loss/G/hj_jacobian``, ``Loss/G/hj_penalty`` and ``Loss/hj/*`` to
  ``training_stats`` (stats.jsonl, tensorboard).

Upstream restarts its image counter at 0 on ``--resume``; so does the session: a resumed or fine-tuned
run gets the ``--hj-warmup`` ramp from its first step.
"""
from __future__ import annotations

from typing import Any

from torch_utils import misc  # upstream (user's checkout)
from training.loss import StyleGAN2Loss  # upstream (user's checkout)

from hjgan_plugin.config import HJConfig
from hjgan_plugin.session import attach

from .adapter import ADAPTER, StyleGAN2Networks, w_latents
from .optim import register_loss

G_PHASES = ("Gmain", "Gboth")
D_PHASES = ("Dmain", "Dboth")


class HJStyleGAN2Loss(StyleGAN2Loss):
    """``StyleGAN2Loss(device, G_mapping, G_synthesis, D, ..., hj={HJConfig fields})``."""

    def __init__(self, device: Any, G_mapping: Any, G_synthesis: Any, D: Any, hj: dict | None = None,
                 **kwargs: Any):
        super().__init__(device, G_mapping, G_synthesis, D, **kwargs)
        fields = dict(hj or {})
        fields.pop("enabled", None)
        self.hj_config = HJConfig.from_dict({**fields, "enabled": True})
        self.networks = StyleGAN2Networks(G_mapping, G_synthesis)
        self.session = attach(self.networks, D, config=self.hj_config, adapter=ADAPTER, manual_steps=True)
        self.phase: str | None = None
        register_loss(self)

    def accumulate_gradients(self, phase, real_img, real_c, gen_z, gen_c, sync, gain):  # upstream's signature
        self.phase = phase
        if phase in G_PHASES:
            self._accumulate_penalty(gen_z, gen_c, gain)
        super().accumulate_gradients(phase=phase, real_img=real_img, real_c=real_c, gen_z=gen_z, gen_c=gen_c,
                                     sync=sync, gain=gain)

    def _accumulate_penalty(self, gen_z, gen_c, gain) -> None:
        session, cfg = self.session, self.hj_config
        with misc.ddp_sync(self.G_mapping, False), misc.ddp_sync(self.G_synthesis, False):
            latent = gen_z if cfg.space == "z" else w_latents(self.networks, gen_z, gen_c)
            penalty = session.generator_penalty(latent, gen_c, space=cfg.space)
        if penalty.requires_grad:
            penalty.mul(gain).backward()

    def after_optimizer_step(self, role: str) -> None:
        """From the step-hooked optimizers: count main-phase steps (the exchange runs from here)."""
        if (role == "G" and self.phase in G_PHASES) or (role == "D" and self.phase in D_PHASES):
            self.session.step(role)
