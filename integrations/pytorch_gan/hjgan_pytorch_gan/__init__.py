"""eriklindernoren/PyTorch-GAN integration (upstream 36d3c77): ``--hj`` on twelve of its scripts.

``hjgan patch pytorch-gan DIR`` patches ``implementations/<model>/<model>.py`` for gan, dcgan, wgan_gp,
began, bgan, ebgan, infogan, cgan, aae, acgan, lsgan and sgan; each then calls :mod:`.hj` in four lines.

Modules: :mod:`.hj` (the glue the scripts call), :mod:`.adapters` (call conventions), :mod:`.pairing`
(exchange pairings), :mod:`.report` (scalars in the scripts' log style), :mod:`.patching`.
"""
from .adapters import CONVENTIONS, MODELS, AAENetworks, convention_for

__all__ = ["AAENetworks", "CONVENTIONS", "MODELS", "convention_for"]
