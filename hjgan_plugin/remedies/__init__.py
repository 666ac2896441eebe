"""Pure pieces of the mode-collapse remedies the built-in plugins apply (docs/design.md §13): the top-k
schedule and mean, spectral normalization of a discriminator's layers with a plain state dict, and the
unrolled discriminator's parameters."""
from .spectral import NORMALIZED_LAYERS, apply_spectral_norm, plain_state_dict
from .topk import topk_count, topk_fraction, topk_mean
from .unrolled import as_module_call, unrolled_parameters

__all__ = ["NORMALIZED_LAYERS", "apply_spectral_norm", "as_module_call", "plain_state_dict", "topk_count",
           "topk_fraction", "topk_mean", "unrolled_parameters"]
