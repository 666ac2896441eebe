"""pro-gan-pth 3.4 (ProGAN) integration.

``hjgan progan train TRAIN_PATH OUTPUT_DIR [progan_train options] --hj [--hj-*]`` runs upstream's own
``progan_train`` script with the plugin's flags added to its parser. Modules: :mod:`.adapter` (calls,
depth-following pairing; no upstream imports), :mod:`.compat` (version check, torch 2.x fixes; imports
neither hjgan_plugin nor upstream at import time), :mod:`.progan` (``HJProGAN``, the ``ProGAN`` subclass),
:mod:`.launcher` (the command).
"""
from .adapter import ADAPTER, call_generator, depth_pairing, pair_parameters

__all__ = ["ADAPTER", "call_generator", "depth_pairing", "pair_parameters"]
