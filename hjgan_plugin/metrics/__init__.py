"""Evaluation metrics, runnable offline on a CPU (issue 5).

Disentanglement: MIG, VP, DCI. Mode collapse: mode coverage / high-quality fraction / reverse KL on
2D mixtures, NDB/JSD, Stacked-Digits modes. Quality: FD-digits (a Fréchet distance on the project's
own digit classifier: not FID). scikit-learn (the ``eval`` extra) is imported only by the functions
that need it (DCI's regressors, the digits data).
"""
from .dci import dci
from .digits import DigitClassifier, fd_digits, frechet_distance, stacked_mode_stats
from .disentanglement import discrete_entropy, discrete_mutual_info, discretize, mig
from .mode_collapse import assign_modes, jensen_shannon_divergence, mode_coverage, ndb_jsd
from .vp import variation_pairs, vp_score

__all__ = [
    "DigitClassifier",
    "assign_modes",
    "dci",
    "discrete_entropy",
    "discrete_mutual_info",
    "discretize",
    "fd_digits",
    "frechet_distance",
    "jensen_shannon_divergence",
    "mig",
    "mode_coverage",
    "ndb_jsd",
    "stacked_mode_stats",
    "variation_pairs",
    "vp_score",
]
