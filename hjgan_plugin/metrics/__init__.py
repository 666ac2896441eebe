"""Evaluation metrics, runnable offline on a CPU (docs/design.md §10).

Disentanglement: MIG, VP, DCI. Mode collapse: mode coverage / high-quality fraction / reverse KL on
2D mixtures, NDB/JSD, Stacked-Digits modes. Quality: FD-digits (a Fréchet distance on the project's
own digit classifier: not FID); FID, KID and IS on the FID Inception-v3 and PPL on LPIPS/VGG16, each
from a weights file the user supplies (nothing downloads); PPL-digits (PPL on the digit classifier:
not PPL). Significance: Welch / Mann–Whitney tests on per-split or per-seed scores. scikit-learn (the
``eval`` extra) is imported only by the functions that need it (DCI's regressors, the digits data).
"""
from .dci import dci
from .digits import DigitClassifier, fd_digits, frechet_distance, stacked_mode_stats
from .disentanglement import discrete_entropy, discrete_mutual_info, discretize, mig
from .inception import INCEPTION_WEIGHTS, FIDInceptionV3, load_inception
from .mode_collapse import (
                      assign_modes,
                      jensen_shannon_divergence,
                      mode_coverage,
                      ndb_jsd,
)
from .ppl import (
                      VGG16_WEIGHTS,
                      DigitsFeatureDistance,
                      LPIPSDistance,
                      load_lpips_vgg16,
                      perceptual_path_length,
)
from .progress import ProgressBar
from .quality import (
                      fid,
                      fid_from_features,
                      inception_score,
                      inception_score_from_logits,
                      kid,
                      kid_from_features,
                      quality_scores,
)
from .significance import compare_scores
from .vp import variation_pairs, vp_from_differences, vp_score

__all__ = [
    "INCEPTION_WEIGHTS",
    "VGG16_WEIGHTS",
    "DigitClassifier",
    "DigitsFeatureDistance",
    "FIDInceptionV3",
    "LPIPSDistance",
    "ProgressBar",
    "assign_modes",
    "compare_scores",
    "dci",
    "discrete_entropy",
    "discrete_mutual_info",
    "discretize",
    "fd_digits",
    "fid",
    "fid_from_features",
    "frechet_distance",
    "inception_score",
    "inception_score_from_logits",
    "jensen_shannon_divergence",
    "kid",
    "kid_from_features",
    "load_inception",
    "load_lpips_vgg16",
    "mig",
    "mode_coverage",
    "ndb_jsd",
    "perceptual_path_length",
    "quality_scores",
    "stacked_mode_stats",
    "variation_pairs",
    "vp_from_differences",
    "vp_score",
]
