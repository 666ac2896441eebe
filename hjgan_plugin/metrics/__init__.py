"""Disentanglement metrics (MIG; VP and DCI are to follow)."""
from .disentanglement import discrete_entropy, discrete_mutual_info, discretize, mig

__all__ = ["mig", "discretize", "discrete_entropy", "discrete_mutual_info"]
from .mode_collapse import assign_modes, jensen_shannon_divergence, mode_coverage, ndb_jsd

__all__ += ["assign_modes", "jensen_shannon_divergence", "mode_coverage", "ndb_jsd"]
from .digits import DigitClassifier, fd_digits, frechet_distance, stacked_mode_stats

__all__ += ["DigitClassifier", "fd_digits", "frechet_distance", "stacked_mode_stats"]
