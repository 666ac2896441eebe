"""Pure pieces of the mode-collapse remedies the built-in plugins apply (docs/design.md §13): the top-k
schedule and mean, and spectral normalization of a discriminator's layers with a plain state dict."""
from .spectral import NORMALIZED_LAYERS, apply_spectral_norm, plain_state_dict
from .topk import topk_count, topk_fraction, topk_mean

__all__ = ["NORMALIZED_LAYERS", "apply_spectral_norm", "plain_state_dict", "topk_count", "topk_fraction", "topk_mean"]
