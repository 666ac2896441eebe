"""hjgan_plugin: joint Hessian-Jacobian disentanglement penalty and Eagle-Dove weight exchange.

Public API::

    from hjgan_plugin import hessian_penalty, jacobian_penalty, joint_penalty   # estimators (docs/design.md §1)
    from hjgan_plugin import EagleDove                                          # alpha, beta (docs/design.md §3)
    from hjgan_plugin import attach, HJConfig                                   # any training loop
"""
from .config import HJConfig
from .directions import rademacher
from .errors import LowPrecisionWarning, NondeterministicGeneratorError, NonFinitePenaltyWarning
from .estimators import JointPenalty, hessian_penalty, jacobian_penalty, joint_penalty, orojar
from .game import EagleDove
from .layers import capture
from .session import Session, attach

__version__ = "0.1.0"

__all__ = [
    "EagleDove",
    "HJConfig",
    "JointPenalty",
    "LowPrecisionWarning",
    "Session",
    "attach",
    "NonFinitePenaltyWarning",
    "NondeterministicGeneratorError",
    "capture",
    "hessian_penalty",
    "jacobian_penalty",
    "joint_penalty",
    "orojar",
    "rademacher",
]
