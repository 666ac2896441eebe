"""NVlabs stylegan2-ada-pytorch integration (upstream d72cc7d).

Two ways to turn it on, both giving ``train.py`` the ``--hj=1`` switch and the ``--hj-*`` options:

- patch the checkout once: ``hjgan patch stylegan2-ada DIR`` (``--cpu`` adds the CPU patch), then
  ``python train.py ... --hj=1``;
- or leave it untouched: ``hjgan stylegan2-ada train --repo DIR <train.py options> --hj=1``.

Modules: :mod:`.adapter` (calls, pairing, reporting; no upstream imports), :mod:`.options` (flags ->
training kwargs), :mod:`.loss` and :mod:`.optim` (the ``class_name`` swaps, imported by upstream's
training loop), :mod:`.launcher` and :mod:`.patching` (the two ways in).
"""
from .adapter import ADAPTER, StyleGAN2Networks, call_generator, pair_parameters

__all__ = ["ADAPTER", "StyleGAN2Networks", "call_generator", "pair_parameters"]
